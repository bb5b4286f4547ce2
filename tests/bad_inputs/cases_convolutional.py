"""Bad inputs of the convolutional Gaussian-Bernoulli RBM."""

import numpy as np

from bad_input_registry import register_bad_input
from tfp_rbm import distributions as tfrd
from tfp_rbm import flows
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs


def _convolutional(filters=None, strides=(2, 1), level_shapes=((4, 4, 1), (2, 2, 2)),
                   **kwargs):
  """Levels 4x4x1 (3x3, stride 2) and 2x2x2 (2x2, stride 1) onto a 2x2x3 hidden map."""
  if filters is None:
    filters = [np.zeros([3, 3, 1, 3]), np.zeros([2, 2, 2, 3])]
  return tfrd.ConvolutionalGaussianBernoulliRBM(
      filters, list(strides), np.zeros([24]), np.zeros([3]), np.ones([24]),
      [list(shape) for shape in level_shapes], **kwargs)


@register_bad_input('distributions/convolutional_hidden_maps_differ', ValueError,
                    r'`filters\[1\]` \(stride 2, .*\) maps level 1 of shape \[2, 2, 2\] onto '
                    r'a hidden map of shape \[1, 1, 3\], but level 0 maps onto \[2, 2, 3\]')
def _hidden_maps_differ():
  _convolutional(strides=(2, 2))


@register_bad_input('distributions/convolutional_filter_channels', ValueError,
                    r'`filters\[1\]` has 3 input channels but `level_shapes\[1\]` is '
                    r'\[2, 2, 2\]: expected 2')
def _filter_channels():
  _convolutional(filters=[np.zeros([3, 3, 1, 3]), np.zeros([2, 2, 3, 3])])


@register_bad_input('distributions/convolutional_number_of_levels', ValueError,
                    r'`filters` has 1 levels but `level_shapes` has 2')
def _number_of_levels():
  _convolutional(filters=[np.zeros([3, 3, 1, 3])], strides=(2, 1))


@register_bad_input('distributions/convolutional_number_of_strides', ValueError,
                    r'`strides` must be a list of 2 positive integers')
def _number_of_strides():
  _convolutional(strides=(2,))


@register_bad_input('distributions/convolutional_visible_bias_size', ValueError,
                    r'`visible_bias` has 20 units but the levels and filters give 24')
def _visible_bias_size():
  tfrd.ConvolutionalGaussianBernoulliRBM(
      [np.zeros([3, 3, 1, 3]), np.zeros([2, 2, 2, 3])], [2, 1], np.zeros([20]), np.zeros([3]),
      np.ones([24]), [[4, 4, 1], [2, 2, 2]])


@register_bad_input('distributions/convolutional_hidden_bias_channels', ValueError,
                    r'`hidden_bias` has 12 units but the levels and filters give 3')
def _hidden_bias_channels():
  tfrd.ConvolutionalGaussianBernoulliRBM(
      [np.zeros([3, 3, 1, 3]), np.zeros([2, 2, 2, 3])], [2, 1], np.zeros([24]), np.zeros([12]),
      np.ones([24]), [[4, 4, 1], [2, 2, 2]])


@register_bad_input('distributions/convolutional_padding', ValueError,
                    r"`padding` must be 'SAME' or 'VALID'")
def _padding():
  _convolutional(padding='same')


@register_bad_input('distributions/convolutional_filters_not_a_list', ValueError,
                    r'`filters` must be a list with one filter tensor per level')
def _filters_not_a_list():
  _convolutional(filters=np.zeros([3, 3, 1, 3]))


@register_bad_input('distributions/convolutional_valid_filter_too_large', ValueError,
                    r"`filters\[1\]` has spatial size \[3, 3\], larger than level 1's \[2, 2\]")
def _valid_filter_too_large():
  _convolutional(filters=[np.zeros([3, 3, 1, 3]), np.zeros([3, 3, 2, 3])], strides=(1, 1),
                 padding='VALID')


@register_bad_input('distributions/convolutional_batched_filters', ValueError,
                    r'`filters\[0\]` must have a known shape \[k, k, 1, K\] \(no batch')
def _batched_filters():
  _convolutional(filters=[np.zeros([2, 3, 3, 1, 3]), np.zeros([2, 2, 2, 3])])


# -- The per-level form (`event_structure='levels'`) and a flow returning its levels --

def _per_level():
  return _convolutional(event_structure='levels')


@register_bad_input('distributions/convolutional_event_structure', ValueError,
                    r"`event_structure` must be 'flat' or 'levels'; got 'images'")
def _event_structure():
  _convolutional(event_structure='images')


@register_bad_input('distributions/convolutional_levels_wrong_number', ValueError,
                    r'`value` must be a list of 2 levels of shapes \[\.\.\., H, W, C\] '
                    r'\[\[4, 4, 1\], \[2, 2, 2\]\] \(`level_shapes`\); got a list of 1')
def _levels_wrong_number():
  _per_level().log_prob([np.zeros([3, 4, 4, 1])])


@register_bad_input('distributions/convolutional_levels_wrong_shape', ValueError,
                    r'`value\[1\]` must have shape \[\.\.\., 2, 2, 2\] \(`level_shapes\[1\]`\); '
                    r'got shape \(3, 2, 2, 3\)')
def _levels_wrong_shape():
  _per_level().unnormalized_log_prob([np.zeros([3, 4, 4, 1]), np.zeros([3, 2, 2, 3])])


@register_bad_input('distributions/convolutional_levels_flat_value', ValueError,
                    r'`value` must be a list of 2 levels .*; got one ndarray')
def _levels_flat_value():
  _per_level().log_prob(np.zeros([3, 24]))


@register_bad_input('distributions/convolutional_points_levels_shape', ValueError,
                    r'`points\[0\]` must have shape \[\.\.\., 4, 4, 1\]')
def _points_levels_shape():
  _convolutional().fit_proposal([np.zeros([3, 4, 4, 2]), np.zeros([3, 2, 2, 2])])


def _glow_levels(**kwargs):
  return flows.glow(image_shape=[4, 4, 1], num_levels=2, num_steps=1, hidden_channels=4,
                    **kwargs)


@register_bad_input('bijectors/glow_latent_structure', ValueError,
                    r"`latent_structure` of glow must be 'flat' or 'levels'; got 'list'")
def _glow_latent_structure():
  _glow_levels(latent_structure='list')


@register_bad_input('bijectors/glow_levels_wrong_number', ValueError,
                    r"`x` of glow \(latent_structure='levels'\) must be a list of 2 levels "
                    r'of shapes \[\.\.\., H, W, C\] \[\[2, 2, 2\], \[1, 1, 8\]\]; got a list of 3')
def _glow_levels_wrong_number():
  _glow_levels(latent_structure='levels').forward([np.zeros([1, 2, 2, 2], np.float32)] * 3)


@register_bad_input('bijectors/glow_levels_wrong_shape', ValueError,
                    r'`x` of glow must have the event shape \[1, 1, 8\] \(level 1 of '
                    r'`latent_level_shapes`\)')
def _glow_levels_wrong_shape():
  _glow_levels(latent_structure='levels').forward(
      [np.zeros([1, 2, 2, 2], np.float32), np.zeros([1, 1, 1, 4], np.float32)])


@register_bad_input('keras/convolutional_levels_need_an_image_flow', ValueError,
                    r"`event_structure='levels'` needs a `glow`/`flowpp` flow spec")
def _levels_need_an_image_flow():
  specs.build_base({'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [3, 2],
                    'strides': [2, 1], 'level_shapes': [[4, 4, 1], [2, 2, 2]],
                    'event_structure': 'levels'}, 24)


@register_bad_input('keras/convolutional_levels_flat_flow', ValueError,
                    r"`flow` has latent_structure='flat', but the base takes the latent per "
                    r'level')
def _levels_flat_flow():
  FlowModel(16, base={'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [1, 1],
                      'strides': [2, 1], 'num_filters': 2},
            flow={'builder': 'glow', 'image_shape': [4, 4, 1], 'num_levels': 2,
                  'num_steps': 1, 'hidden_channels': 4, 'latent_structure': 'flat'})
