"""Bad inputs of the bijectors and the flow builders: each raises naming the argument."""

import numpy as np
import tensorflow as tf

from bad_input_registry import register_bad_input
from tfp_rbm import bijectors
from tfp_rbm import flows
from tfp_rbm import networks

# pylint: disable=protected-access  (the flows' masks and inner bijectors)

SMALL_GLOW = dict(image_shape=[8, 8, 1], num_levels=1, num_steps=1, hidden_channels=4)
SMALL_NICE = dict(event_size=6, num_coupling_layers=2, hidden_units=4, num_hidden_layers=1)
SMALL_FLOWPP = dict(image_shape=[2, 2, 1], num_components=2, hidden_channels=4,
                    num_blocks=1, num_checkerboard_steps=1, num_channel_steps=0,
                    num_final_steps=0)


def _mixture(**kwargs):
  components = tf.zeros([4, 3])
  return bijectors.MixtureLogisticCDF(components, components, components, **kwargs)


# ActNorm.

@register_bad_input('bijectors/actnorm_zero_channels', ValueError,
                    r'`num_channels` of ActNorm .* at least 1; got 0')
def _actnorm_zero_channels():
  bijectors.ActNorm(num_channels=0)


@register_bad_input('bijectors/actnorm_wrong_channels', ValueError,
                    r'`y` of ActNorm .* event shape \[3\].*got shape \[2, 4, 4, 5\]')
def _actnorm_wrong_channels():
  bijectors.ActNorm(num_channels=3).inverse(tf.zeros([2, 4, 4, 5]))


@register_bad_input('bijectors/actnorm_float16', TypeError,
                    r'`dtype` of ActNorm must be float32 or float64; got float16')
def _actnorm_float16():
  bijectors.ActNorm(num_channels=3, dtype='float16')


@register_bad_input('bijectors/actnorm_loc_and_log_scale_sizes', ValueError,
                    r'`loc` and `log_scale` of ActNorm .* \[3\] and \[4\]')
def _actnorm_loc_and_log_scale_sizes():
  bijectors.ActNorm(loc=tf.zeros([3]), log_scale=tf.zeros([4]))


@register_bad_input('bijectors/actnorm_initialize_nan', ValueError,
                    r'`y` of ActNorm.initialize must be finite')
def _actnorm_initialize_nan():
  data = np.ones([4, 2, 2, 3], np.float32)
  data[0, 0, 0, 0] = np.nan
  bijectors.ActNorm(num_channels=3).initialize(data)


@register_bad_input('bijectors/actnorm_initialize_nan_in_tf_function',
                    tf.errors.InvalidArgumentError,
                    r'`y` of ActNorm.initialize must be finite')
def _actnorm_initialize_nan_in_tf_function():
  data = np.ones([4, 2, 2, 3], np.float32)
  data[0, 0, 0, 0] = np.inf
  tf.function(bijectors.ActNorm(num_channels=3).initialize)(tf.constant(data))


# Invertible1x1Conv.

@register_bad_input('bijectors/invertible_1x1_conv_wrong_channels', ValueError,
                    r'`x` of Invertible1x1Conv .* event shape \[4\].*got shape \[2, 3, 3, 2\]')
def _invertible_1x1_conv_wrong_channels():
  bijectors.Invertible1x1Conv(num_channels=4, seed=0).forward(tf.zeros([2, 3, 3, 2]))


@register_bad_input('bijectors/invertible_1x1_conv_zero_channels', ValueError,
                    r'`num_channels` of Invertible1x1Conv .* at least 1; got 0')
def _invertible_1x1_conv_zero_channels():
  bijectors.Invertible1x1Conv(num_channels=0)


@register_bad_input('bijectors/invertible_1x1_conv_bfloat16', TypeError,
                    r'`dtype` of Invertible1x1Conv must be float32 or float64; got bfloat16')
def _invertible_1x1_conv_bfloat16():
  bijectors.Invertible1x1Conv(num_channels=2, dtype=tf.bfloat16)


@register_bad_input('bijectors/invertible_1x1_conv_lower_upper_not_square', ValueError,
                    r'`lower_upper` of Invertible1x1Conv .* square .* \[2, 3\]')
def _invertible_1x1_conv_lower_upper_not_square():
  bijectors.Invertible1x1Conv(lower_upper=tf.ones([2, 3]), permutation=[0, 1])


# MaskedCoupling.

@register_bad_input('bijectors/masked_coupling_wrong_event_size', ValueError,
                    r'`y` of MaskedCoupling .* event shape \[6\] of `mask`.*got shape \[2, 7\]')
def _masked_coupling_wrong_event_size():
  net = networks.MLP(output_units=3, hidden_units=4, num_hidden_layers=1)
  coupling = bijectors.MaskedCoupling(flows._parity_mask(6, 0), net, flows._nice_shift)
  coupling.inverse(tf.zeros([2, 7]))


@register_bad_input('bijectors/masked_coupling_mask_without_transformed_part', ValueError,
                    r'Argument `mask` .* both conditioning')
def _masked_coupling_mask_without_transformed_part():
  net = networks.MLP(output_units=2, hidden_units=4, num_hidden_layers=1)
  bijectors.MaskedCoupling([True, True], net, flows._nice_shift)


# MixtureLogisticCDF.

@register_bad_input('bijectors/mixture_logistic_cdf_zero_search_iterations', ValueError,
                    r'`max_search_iterations` of MixtureLogisticCDF .* at least 1; got 0')
def _mixture_logistic_cdf_zero_search_iterations():
  _mixture(max_search_iterations=0)


@register_bad_input('bijectors/mixture_logistic_cdf_float16', TypeError,
                    r'`mixture_logits`, `locs`, `log_scales` of MixtureLogisticCDF must be '
                    r'float32 or float64; got float16')
def _mixture_logistic_cdf_float16():
  components = tf.zeros([4, 3], tf.float16)
  bijectors.MixtureLogisticCDF(components, components, components)


@register_bad_input('bijectors/mixture_logistic_cdf_zero_components', ValueError,
                    r'`num_components` of MixtureLogisticCDF.from_conditioner_output '
                    r'.* at least 1; got 0')
def _mixture_logistic_cdf_zero_components():
  bijectors.MixtureLogisticCDF.from_conditioner_output(tf.zeros([1, 4]), num_components=0)


@register_bad_input('bijectors/mixture_logistic_cdf_input_shape', ValueError,
                    r'`y` of MixtureLogisticCDF has shape \(2, 5\)')
def _mixture_logistic_cdf_input_shape():
  _mixture().inverse(tf.zeros([2, 5]))


# Squeeze.

@register_bad_input('bijectors/squeeze_forward_event_shape_channels', ValueError,
                    r'`input_shape` of Squeeze .* channel count divisible by 4, got 2')
def _squeeze_forward_event_shape_channels():
  bijectors.Squeeze().forward_event_shape([4, 4, 2])


@register_bad_input('bijectors/squeeze_odd_height', ValueError,
                    r'`y` of Squeeze .* height divisible by 2, got 7')
def _squeeze_odd_height():
  bijectors.Squeeze().inverse(tf.zeros([1, 7, 4, 1]))


@register_bad_input('bijectors/squeeze_fractional_factor', ValueError,
                    r'`factor` of Squeeze must be an integer')
def _squeeze_fractional_factor():
  bijectors.Squeeze(factor=1.5)


# Pre-processing.

@register_bad_input('bijectors/logit_preprocessing_float16', TypeError,
                    r'`dtype` of logit_preprocessing must be float32 or float64')
def _logit_preprocessing_float16():
  bijectors.logit_preprocessing(dtype=tf.float16)


@register_bad_input('bijectors/logit_preprocessing_alpha', ValueError,
                    r'Argument `alpha` must be in \[0, 0.5\)')
def _logit_preprocessing_alpha():
  bijectors.logit_preprocessing(alpha=0.5)


@register_bad_input('bijectors/dequantized_image_preprocessing_num_bits', ValueError,
                    r'`num_bits` of dequantized_image_preprocessing .* at least 1; got 0')
def _dequantized_image_preprocessing_num_bits():
  bijectors.dequantized_image_preprocessing(num_bits=0)


# multiscale.

@register_bad_input('bijectors/multiscale_no_levels', ValueError,
                    r'Argument `levels` must hold at least one')
def _multiscale_no_levels():
  bijectors.multiscale([], image_shape=[4, 4, 1])


# The builders.

@register_bad_input('bijectors/glow_float16', TypeError,
                    r'`dtype` of glow must be float32 or float64; got float16')
def _glow_float16():
  flows.glow(dtype='float16', **SMALL_GLOW)


@register_bad_input('bijectors/glow_wrong_image_size', ValueError,
                    r'`y` of glow .* event shape \[8, 8, 1\] \(`image_shape`\).*'
                    r'got shape \[2, 16, 16, 1\]')
def _glow_wrong_image_size():
  flows.glow(**SMALL_GLOW).inverse(tf.zeros([2, 16, 16, 1]))


@register_bad_input('bijectors/glow_zero_steps', ValueError,
                    r'`num_steps` of glow .* at least 1; got 0')
def _glow_zero_steps():
  flows.glow(**dict(SMALL_GLOW, num_steps=0))


@register_bad_input('bijectors/nice_wrong_event_size', ValueError,
                    r'`y` of nice .* event shape \[6\] \(`event_size`\).*got shape \[3, 7\]')
def _nice_wrong_event_size():
  flows.nice(**SMALL_NICE).inverse(tf.zeros([3, 7]))


@register_bad_input('bijectors/nice_bfloat16', TypeError,
                    r'`dtype` of nice must be float32 or float64; got bfloat16')
def _nice_bfloat16():
  flows.nice(dtype='bfloat16', **SMALL_NICE)


@register_bad_input('bijectors/nice_fractional_event_size', ValueError,
                    r'`event_size` of nice must be an integer of at least 2; got 6.5')
def _nice_fractional_event_size():
  flows.nice(**dict(SMALL_NICE, event_size=6.5))


@register_bad_input('bijectors/flowpp_float16', TypeError,
                    r'`dtype` of flowpp must be float32 or float64; got float16')
def _flowpp_float16():
  flows.flowpp(dtype=np.float16, **SMALL_FLOWPP)


@register_bad_input('bijectors/flowpp_zero_components', ValueError,
                    r'`num_components` of flowpp .* at least 1; got 0')
def _flowpp_zero_components():
  flows.flowpp(**dict(SMALL_FLOWPP, num_components=0))


@register_bad_input('bijectors/flowpp_wrong_image_size', ValueError,
                    r'`y` of flowpp .* event shape \[2, 2, 1\] \(`image_shape`\).*'
                    r'got shape \[1, 4, 4, 1\]')
def _flowpp_wrong_image_size():
  flows.flowpp(**SMALL_FLOWPP).inverse(tf.zeros([1, 4, 4, 1]))


@register_bad_input('bijectors/flowpp_wrong_channels', ValueError,
                    r'`y` of flowpp .* event shape \[2, 2, 1\].*got shape \[1, 2, 2, 3\]')
def _flowpp_wrong_channels():
  flows.flowpp(**SMALL_FLOWPP).inverse(tf.zeros([1, 2, 2, 3]))



@register_bad_input('bijectors/nice_wrong_latent_size', ValueError,
                    r'`x` of nice .* event shape \[6\] \(`event_size`\).*got shape \[3, 7\]')
def _nice_wrong_latent_size():
  flows.nice(**SMALL_NICE).forward(tf.zeros([3, 7]))


@register_bad_input('bijectors/glow_wrong_latent_size', ValueError,
                    r'`x` of glow .* event shape \[64\] \(the size of `image_shape`\).*'
                    r'got shape \[2, 256\]')
def _glow_wrong_latent_size():
  flows.glow(**SMALL_GLOW).forward(tf.zeros([2, 256]))


@register_bad_input('bijectors/invertible_1x1_conv_log_det_wrong_channels', ValueError,
                    r'`x` of Invertible1x1Conv .* event shape \[4\].*got shape \[2, 3\]')
def _invertible_1x1_conv_log_det_wrong_channels():
  # The log-det reads only `lower_upper`: without its own check any input passed.
  bijectors.Invertible1x1Conv(num_channels=4, seed=0).forward_log_det_jacobian(
      tf.zeros([2, 3]), event_ndims=1)
