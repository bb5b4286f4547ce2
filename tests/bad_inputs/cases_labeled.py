"""Bad inputs of the labelled Gaussian-Bernoulli RBM and its semi-supervised loss."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from bad_input_registry import register_bad_input
from tfp_rbm import distributions as tfrd
from tfp_rbm import flow_density
from tfp_rbm.keras import specs
from tfp_rbm.training import labeled_surrogate_loss


def _labeled(label_weights=None, label_bias=None, batch_shape=(), **kwargs):
  """4 visible and 3 hidden units, 5 classes unless the label layer is given."""
  rng = np.random.default_rng(0)
  return tfrd.LabeledGaussianBernoulliRBM(
      rng.normal(size=[*batch_shape, 4, 3]) * 0.3, rng.normal(size=[*batch_shape, 4]),
      rng.normal(size=[*batch_shape, 3]), np.ones([*batch_shape, 4]),
      rng.normal(size=[*batch_shape, 5, 3]) if label_weights is None else label_weights,
      rng.normal(size=[*batch_shape, 5]) if label_bias is None else label_bias, **kwargs)


_VALUE = np.zeros([2, 4])

# -- The label layer's shapes ---------------------------------------------------


@register_bad_input('distributions/labeled_label_weights_hidden_mismatch', ValueError,
                    r'`label_weights` has 2 hidden units but `weights` has shape '
                    r'\(4, 3\): expected 3')
def _label_weights_hidden_mismatch():
  _labeled(np.zeros([5, 2]), np.zeros([5]))


@register_bad_input('distributions/labeled_label_bias_classes_mismatch', ValueError,
                    r'`label_bias` has 4 classes but `label_weights` has shape \(5, 3\): '
                    r'expected 5')
def _label_bias_classes_mismatch():
  _labeled(np.zeros([5, 3]), np.zeros([4]))


@register_bad_input('distributions/labeled_label_weights_vector', ValueError,
                    r'`label_weights` must have shape \[\.\.\., num_classes, num_hidden\]')
def _label_weights_vector():
  _labeled(np.zeros([3]), np.zeros([5]))


@register_bad_input('distributions/labeled_no_classes', ValueError,
                    r'`label_weights` must have at least one class')
def _no_classes():
  _labeled(np.zeros([0, 3]), np.zeros([0]))


@register_bad_input('distributions/labeled_scalar_label_bias', ValueError,
                    r'`label_bias` must be at least a vector')
def _scalar_label_bias():
  _labeled(np.zeros([5, 3]), 0.)


@register_bad_input('distributions/labeled_label_batch_mismatch', ValueError,
                    r'`label_weights` \(batch shape \(2,\)\) and `label_bias` '
                    r'\(batch shape \(3,\)\) must have batch shapes that broadcast')
def _label_batch_mismatch():
  _labeled(np.zeros([2, 5, 3]), np.zeros([3, 5]))


@register_bad_input('distributions/labeled_integer_label_weights', TypeError,
                    r'`label_weights` must be float32 or float64')
def _integer_label_weights():
  _labeled(np.zeros([5, 3], np.int32), np.zeros([5]))


# -- Labels: integer class indices in [0, K) ----------------------------------------


@register_bad_input('distributions/labeled_joint_label_too_large', ValueError,
                    r'`labels` must hold class indices in \[0, 5\); got \[5\]')
def _joint_label_too_large():
  _labeled().joint_log_prob(_VALUE, [0, 5])


@register_bad_input('distributions/labeled_joint_label_negative', ValueError,
                    r'`labels` must hold class indices in \[0, 5\); got \[-1\]')
def _joint_label_negative():
  _labeled().joint_log_prob(_VALUE, [-1, 2])


@register_bad_input('distributions/labeled_joint_float_labels', TypeError,
                    r'`labels` must hold integer class indices in \[0, 5\); got dtype float32')
def _joint_float_labels():
  _labeled().joint_log_prob(_VALUE, [0., 1.])


@register_bad_input('distributions/labeled_joint_labels_do_not_broadcast', ValueError,
                    r'`labels` has shape \(3,\), which does not broadcast with the shape '
                    r'\(2,\) of value')
def _joint_labels_do_not_broadcast():
  _labeled().joint_log_prob(_VALUE, [0, 1, 2])


@register_bad_input('distributions/labeled_conditional_label_too_large', ValueError,
                    r'`labels` must hold class indices in \[0, 5\); got \[7\]')
def _conditional_label_too_large():
  _labeled().label_conditional(7)


@register_bad_input('distributions/labeled_sample_boolean_labels', TypeError,
                    r'`labels` must hold integer class indices .*got dtype bool')
def _sample_boolean_labels():
  _labeled().sample(2, seed=(1, 2), num_steps=1, labels=[True, False])


@register_bad_input('distributions/labeled_sample_labels_do_not_broadcast', ValueError,
                    r'`labels` has shape \(3,\), which does not broadcast with the shape '
                    r'\(2, 2\) of sample_shape \+ batch_shape')
def _sample_labels_do_not_broadcast():
  _labeled(batch_shape=(2,)).sample(2, seed=(1, 2), num_steps=1, labels=[0, 1, 2])


@register_bad_input('distributions/labeled_dynamic_label_out_of_range',
                    tf.errors.InvalidArgumentError,
                    r'`labels` must hold class indices in \[0, num_classes\)')
def _dynamic_label_out_of_range():
  dist = _labeled(validate_args=True)
  tf.function(dist.joint_log_prob)(tf.constant(_VALUE), tf.constant([0, 5]))


# -- The semi-supervised loss: -1 marks an unlabelled example -------------------------


@register_bad_input('training/labeled_loss_label_below_unlabelled', ValueError,
                    r'`labels` must hold class indices in \[0, 5\), or -1 for an unlabelled '
                    r'example; got \[-2\]')
def _loss_label_below_unlabelled():
  dist = _labeled()
  labeled_surrogate_loss.semi_supervised_flow_loss(dist, _VALUE, [-1, -2], _VALUE)


@register_bad_input('training/labeled_loss_float_labels', TypeError,
                    r'`labels` must hold integer class indices, -1 for unlabelled; got dtype '
                    r'float32')
def _loss_float_labels():
  dist = _labeled()
  labeled_surrogate_loss.semi_supervised_flow_loss(dist, _VALUE, [-1., 0.], _VALUE)


@register_bad_input('training/labeled_loss_negative_label_weight', ValueError,
                    r'`label_weight` must be non-negative; got -0.5')
def _loss_negative_label_weight():
  dist = _labeled()
  labeled_surrogate_loss.semi_supervised_flow_loss(dist, _VALUE, [0, 1], _VALUE, -0.5)


@register_bad_input('training/labeled_loss_negative_classification_weight', ValueError,
                    r'`classification_weight` must be non-negative; got -2.0')
def _loss_negative_classification_weight():
  dist = _labeled()
  labeled_surrogate_loss.semi_supervised_flow_loss(dist, _VALUE, [0, 1], _VALUE,
                                                   classification_weight=-2.)


@register_bad_input('training/labeled_loss_base_without_labels', TypeError,
                    r'`distribution` must have a base with labels')
def _loss_base_without_labels():
  dist = tfrd.GaussianBernoulliRBM(np.zeros([4, 3]), np.zeros([4]), np.zeros([3]), 1.)
  labeled_surrogate_loss.semi_supervised_flow_loss(dist, _VALUE, [0, 1], _VALUE)


@register_bad_input('flow_density/joint_log_prob_label_out_of_range', ValueError,
                    r'`labels` must hold class indices in \[0, 5\); got \[5\]')
def _flow_joint_label_out_of_range():
  model = tfp.distributions.TransformedDistribution(
      _labeled(), tfp.bijectors.Shift(tf.constant(1., tf.float64)))
  flow_density.joint_log_prob(model, _VALUE, [0, 5])


@register_bad_input('flow_density/label_posterior_base_without_labels', TypeError,
                    r'Argument `distribution` must have a base with labels.*got Normal')
def _flow_posterior_base_without_labels():
  flow_density.label_posterior(
      tfp.distributions.TransformedDistribution(tfp.distributions.Normal(0., 1.),
                                                tfp.bijectors.Shift(1.)), np.zeros([2]))


@register_bad_input('keras/labeled_spec_negative_class_unit_strength', ValueError,
                    r"kind 'labeled_gaussian_bernoulli_rbm' needs a finite "
                    r'`class_unit_strength` >= 0; got -1.0')
def _spec_negative_class_unit_strength():
  specs.build_base({'kind': 'labeled_gaussian_bernoulli_rbm', 'num_hidden': 3,
                    'num_classes': 2, 'class_unit_strength': -1.}, 4)
