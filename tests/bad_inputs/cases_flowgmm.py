"""Bad inputs of FlowGMM's base, the class-conditional Gaussian mixture, and its spec."""

import numpy as np

from bad_input_registry import register_bad_input
from tfp_rbm import distributions as tfrd
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs


def _mixture(loc=None, scale=1., label_logits=None, **kwargs):
  """3 classes in 2 dimensions unless `loc` is given."""
  return tfrd.ClassConditionalGaussianMixture(np.zeros([3, 2]) if loc is None else loc, scale,
                                              label_logits, **kwargs)


_VALUE = np.zeros([2, 2])


@register_bad_input('distributions/flowgmm_loc_vector', ValueError,
                    r'`loc` must have shape \[\.\.\., num_classes, D\]')
def _loc_vector():
  _mixture(np.zeros([2]))


@register_bad_input('distributions/flowgmm_no_classes', ValueError,
                    r'`loc` must have at least one class')
def _no_classes():
  _mixture(np.zeros([0, 2]))


@register_bad_input('distributions/flowgmm_scale_shape', ValueError,
                    r'`scale` has shape \(4, 2\), which does not broadcast with the classes and '
                    r'units \(3, 2\) of `loc`')
def _scale_shape():
  _mixture(scale=np.ones([4, 2]))


@register_bad_input('distributions/flowgmm_label_logits_classes', ValueError,
                    r'`label_logits` has 4 classes but `loc` has shape \(3, 2\): expected 3')
def _label_logits_classes():
  _mixture(label_logits=np.zeros([4]))


@register_bad_input('distributions/flowgmm_scalar_label_logits', ValueError,
                    r'`label_logits` must be at least a vector')
def _scalar_label_logits():
  _mixture(label_logits=0.)


@register_bad_input('distributions/flowgmm_integer_loc', TypeError,
                    r'`loc` must be float32 or float64')
def _integer_loc():
  _mixture(np.zeros([3, 2], np.int32))


@register_bad_input('distributions/flowgmm_joint_label_too_large', ValueError,
                    r'`labels` must hold class indices in \[0, 3\); got \[3\]')
def _joint_label_too_large():
  _mixture().joint_log_prob(_VALUE, [0, 3])


@register_bad_input('distributions/flowgmm_joint_label_negative', ValueError,
                    r'`labels` must hold class indices in \[0, 3\); got \[-1\]')
def _joint_label_negative():
  _mixture().joint_log_prob(_VALUE, [-1, 0])


@register_bad_input('distributions/flowgmm_joint_float_labels', TypeError,
                    r'`labels` must hold integer class indices in \[0, 3\); got dtype float32')
def _joint_float_labels():
  _mixture().joint_log_prob(_VALUE, [0., 1.])


@register_bad_input('distributions/flowgmm_value_event_size', ValueError,
                    r'`value` must have shape \[\.\.\., 2\]; got shape \(2, 3\)')
def _value_event_size():
  _mixture().label_posterior(np.zeros([2, 3]))


@register_bad_input('distributions/flowgmm_sample_labels_do_not_broadcast', ValueError,
                    r'`labels` has shape \(3,\), which does not broadcast with the shape '
                    r'\(2,\) of sample_shape \+ batch_shape')
def _sample_labels_do_not_broadcast():
  _mixture().sample(2, seed=(1, 2), labels=[0, 1, 2])


@register_bad_input('keras/flowgmm_spec_without_num_classes', ValueError,
                    r"kind 'class_conditional_gaussian_mixture' needs `num_classes`, a positive "
                    r'int; got 0')
def _spec_without_num_classes():
  specs.build_base({'kind': 'class_conditional_gaussian_mixture', 'num_classes': 0}, 4)


@register_bad_input('keras/flowgmm_spec_bad_initial_scale', ValueError,
                    r'needs a positive `initial_scale`; got -1.0')
def _spec_bad_initial_scale():
  specs.build_base({'kind': 'class_conditional_gaussian_mixture', 'num_classes': 2,
                    'initial_scale': -1.}, 4)


@register_bad_input('keras/flowgmm_spec_isotropic_not_bool', ValueError,
                    r"kind 'class_conditional_gaussian_mixture' needs a bool `isotropic`; got "
                    r"'yes'")
def _spec_isotropic_not_bool():
  specs.build_base({'kind': 'class_conditional_gaussian_mixture', 'num_classes': 2,
                    'isotropic': 'yes'}, 4)


@register_bad_input('keras/flowgmm_fit_labels_out_of_range', ValueError,
                    r'`y` must hold class indices in \[0, 2\) \(num_classes of the base\), or -1 '
                    r'for an unlabelled example; got \[2\]')
def _fit_labels_out_of_range():
  model = FlowModel(2, base={'kind': 'class_conditional_gaussian_mixture', 'num_classes': 2})
  model.compile(optimizer='adam')
  model.fit(np.zeros([4, 2], np.float32), np.array([0, 1, 2, -1]), verbose=0)
