"""Registry entries: a small instance of every bijector tfp_rbm defines.

Every public class of `tfp_rbm.bijectors` has a case building an instance of
it; every public function of `tfp_rbm.bijectors` and `tfp_rbm.flows` has a
case of its own name (`test_bijector_invariants.py` checks both). Conditioner
networks are built with random (not zero) last layers so that the couplings
are not the identity and every check is informative. ActNorm layers that
initialise from data are initialised on a batch first. The gradient check
sweeps multiples of `x` up to 20x, so each case scales `x` for 20x to reach
the tails of its range (for the logit pre-processing, |x| up to about 15:
beyond it float32 `sigmoid` rounds to 1).
"""

import functools

import numpy as np
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from registry import register_bijector
from tfp_rbm import bijectors
from tfp_rbm import dequantization
from tfp_rbm import flows
from tfp_rbm import networks

# pylint: disable=protected-access  (the flows' masks and inner bijectors)


def _normal(shape, dtype, seed, scale=1.):
  return tf.constant(scale * np.random.default_rng(seed).normal(size=shape),
                     dtype=dtype)


def _variable(shape, dtype, seed, scale=0.5):
  return tf.Variable(_normal(shape, dtype, seed, scale))


@register_bijector('actnorm')
def _actnorm(dtype):
  bijector = bijectors.ActNorm(loc=_variable([3], dtype, 0),
                               log_scale=_variable([3], dtype, 1))
  return bijector, _normal([2, 3], dtype, 2)


@register_bijector('actnorm_data_initialized', event_ndims=3)
def _actnorm_data_initialized(dtype):
  bijector = bijectors.ActNorm(num_channels=3, dtype=dtype)
  bijector.initialize(_normal([4, 2, 2, 3], dtype, 31, scale=3.) + 1.)
  return bijector, _normal([2, 2, 2, 3], dtype, 32)


@register_bijector('invertible_1x1_conv', event_ndims=3)
def _invertible_1x1_conv(dtype):
  bijector = bijectors.Invertible1x1Conv(num_channels=3, seed=3, dtype=dtype)
  return bijector, _normal([2, 2, 1, 3], dtype, 4)


@register_bijector('masked_coupling_glow_affine', event_ndims=3)
def _masked_coupling_glow_affine(dtype):
  net = networks.ConvNet(output_channels=4, hidden_channels=4,
                         zero_init_output=False, seed=5, dtype=dtype.name)
  bijector = bijectors.MaskedCoupling(
      flows._channel_mask([2, 1, 4], parity=0), net, flows._glow_affine)
  return bijector, _normal([2, 2, 1, 4], dtype, 6)


@register_bijector('masked_coupling_nice_shift')
def _masked_coupling_nice_shift(dtype):
  net = networks.MLP(output_units=2, hidden_units=4, num_hidden_layers=2,
                     seed=7, dtype=dtype.name)
  bijector = bijectors.MaskedCoupling(flows._parity_mask(5, parity=0), net,
                                      flows._nice_shift)
  return bijector, _normal([2, 5], dtype, 8)


@register_bijector('squeeze', event_ndims=3)
def _squeeze(dtype):
  return bijectors.Squeeze(), _normal([2, 2, 1, 4], dtype, 11)


@register_bijector('mixture_logistic_cdf', event_ndims=0)
def _mixture_logistic_cdf(dtype):
  bijector = bijectors.MixtureLogisticCDF(
      mixture_logits=_variable([4, 3], dtype, 12, scale=1.),
      locs=_variable([4, 3], dtype, 13, scale=2.),
      log_scales=_variable([4, 3], dtype, 14),
      log_scale=_variable([4], dtype, 15),
      shift=_variable([4], dtype, 16))
  return bijector, _normal([2, 4], dtype, 17, scale=3.)


def _masked_coupling_mixture(dtype, mask, channels, transformed):
  k = 2
  net = networks.GatedResidualConvNet(
      output_channels=transformed * (3 * k + 2), hidden_channels=4,
      num_blocks=1, zero_init_output=False, seed=18, dtype=dtype.name)
  bijector = bijectors.MaskedCoupling(
      mask([2, 2, channels], parity=1), net,
      functools.partial(bijectors.MixtureLogisticCDF.from_conditioner_output,
                        num_components=k))
  return bijector, _normal([2, 2, 2, channels], dtype, 19)


@register_bijector('masked_coupling_checkerboard_mixture', event_ndims=3)
def _masked_coupling_checkerboard_mixture(dtype):
  return _masked_coupling_mixture(dtype, flows._checkerboard_mask,
                                  channels=1, transformed=1)


@register_bijector('masked_coupling_channel_mixture', event_ndims=3)
def _masked_coupling_channel_mixture(dtype):
  return _masked_coupling_mixture(dtype, flows._channel_mask, channels=2,
                                  transformed=1)


@register_bijector('logit_preprocessing', event_ndims=0)
def _logit_preprocessing(dtype):
  bijector = bijectors.logit_preprocessing(alpha=0.05, dtype=dtype)
  return bijector, _normal([2, 3], dtype, 20, scale=0.3)


@register_bijector('dequantized_image_preprocessing', event_ndims=0)
def _dequantized_image_preprocessing(dtype):
  bijector = bijectors.dequantized_image_preprocessing(dtype=dtype)
  return bijector, _normal([2, 3], dtype, 21, scale=0.3)


@register_bijector('multiscale')
def _multiscale(dtype):
  levels = [
      tfb.Chain([bijectors.Squeeze(),
                 bijectors.Invertible1x1Conv(num_channels=4, seed=22,
                                             dtype=dtype)]),
      tfb.Chain([bijectors.Squeeze(),
                 tfb.Scale(log_scale=_variable([8], dtype, 23))]),
  ]
  bijector = bijectors.multiscale(levels, image_shape=[4, 4, 1])
  return bijector, _normal([2, 16], dtype, 24)


def _initialized(flow, image_shape, dtype, seed):
  """Initialises the flow's ActNorms on a data batch; returns a latent x."""
  data = _normal([3] + list(image_shape), dtype, seed)
  flow.inverse(data)
  return _normal([2, int(np.prod(image_shape))], dtype, seed + 1)


@register_bijector('glow')
def _glow(dtype):
  flow = flows.glow(image_shape=[4, 4, 1], num_levels=2, num_steps=1,
                    hidden_channels=4, seed=25, dtype=dtype.name)
  return flow, _initialized(flow, [4, 4, 1], dtype, 26)


@register_bijector('nice')
def _nice(dtype):
  flow = flows.nice(event_size=5, num_coupling_layers=2, hidden_units=4,
                    num_hidden_layers=1, seed=27, dtype=dtype.name)
  return flow, _normal([2, 5], dtype, 28)


@register_bijector('realnvp')
def _realnvp(dtype):
  # Its networks' output layers start at zero: every variable is drawn afresh.
  flow = flows.realnvp(event_size=5, num_coupling_layers=2, hidden_units=4,
                       num_hidden_layers=1, seed=31, dtype=dtype.name)
  for index, variable in enumerate(flow.trainable_variables):
    variable.assign(_normal(variable.shape, dtype, 61 + index, scale=0.3))
  return flow, _normal([2, 5], dtype, 32, scale=0.2)


@register_bijector('flowpp')
def _flowpp(dtype):
  flow = flows.flowpp(image_shape=[2, 2, 1], num_components=2,
                      hidden_channels=4, num_blocks=1,
                      num_checkerboard_steps=1, num_channel_steps=1,
                      num_final_steps=0, seed=29, dtype=dtype.name)
  return flow, _initialized(flow, [2, 2, 1], dtype, 30)


@register_bijector('variational_dequantizer')
def _variational_dequantizer(dtype):
  # The noise flow eps -> u of one image's q(u | x), with random (not zero) networks; the
  # pixels' batch of 1 broadcasts against any batch of eps.
  dequantizer = dequantization.VariationalDequantizer(
      [2, 2, 1], num_bins=4, num_coupling_layers=2, hidden_units=4, seed=33, dtype=dtype.name)
  for index, variable in enumerate(dequantizer.trainable_variables):
    variable.assign(_normal(variable.shape, dtype, 34 + index, scale=0.3))
  bijector = dequantizer.bijector(tf.constant([[0., 3., 1., 2.]], dtype))
  return bijector, _normal([2, 4], dtype, 60, scale=0.1)
