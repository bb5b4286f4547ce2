"""Flow++'s mixture-of-logistics CDF coupling over images."""

import numpy as np
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb
from tensorflow_probability.python.internal import cache_util

from tfp_rbm.bijectors import mixture_logistic_cdf
from tfp_rbm.bijectors.validation import checked_finite

__all__ = ['MixLogCDFCoupling']

_MASKS = ('checkerboard', 'channel')


class MixLogCDFCoupling(tfb.Bijector):
  """Half of an image sets a mixture-of-logistics CDF for the other half.

  #### Mathematical Details

  A mask splits an event `[H, W, C]` into a conditioning part `A` and a
  transformed part `B`: `'checkerboard'` takes the pixels with
  `(h + w) % 2 == parity` (all channels), `'channel'` takes the first
  (`parity=0`) or second (`parity=1`) half of the channels. The conditioner
  reads `A` and returns, for each element of `B`, `K` mixture logits `pi`,
  locations `mu`, log-scales `s`, and `a`, `b`. Data maps to latent
  (`inverse`, analytic) by

  ```none
  X_A = Y_A
  X_B = logit(sum_k pi_k sigmoid((Y_B - mu_k) exp(-s_k))) exp(a) + b
  ```

  with `a = tanh(raw a)` and `s` floored at -7, as in Flow++; the log-det
  is the sum over `B` of `MixtureLogisticCDF`'s elementwise log-det.
  `forward` (sampling) inverts the CDF by `MixtureLogisticCDF`'s bracketed
  bisection. A zero conditioner output gives the identity.

  #### Examples

  ```python
  k = 4
  net = tfp_rbm.networks.GatedResidualConvNet(
      output_channels=3 * (3 * k + 2), hidden_channels=32, num_blocks=2)
  coupling = tfp_rbm.bijectors.MixLogCDFCoupling(
      net, num_components=k, mask='checkerboard', parity=0)
  z = coupling.inverse(images)  # images: [batch, H, W, 3]
  ```

  #### References

  [1]: Jonathan Ho, Xi Chen, Aravind Srinivas, Yan Duan, Pieter Abbeel.
       Flow++: Improving Flow-Based Generative Models with Variational
       Dequantization and Architecture Design. https://arxiv.org/abs/1902.00275
  """

  # `inverse` computes the log-det from the same conditioner output: TFP's
  # greedy cache keeps it, so `log_prob` runs the network once, not twice.
  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def __init__(self, conditioner, num_components, mask='checkerboard',
               parity=0, num_bisection_steps=None, validate_args=False,
               name='mix_log_cdf_coupling'):
    """Builds the coupling.

    Args:
      conditioner: callable (a Keras layer, e.g.
        `tfp_rbm.networks.GatedResidualConvNet`). For `mask='checkerboard'`
        it maps the masked image `[..., H, W, C]` to
        `[..., H, W, C * (3K + 2)]`; for `mask='channel'` it maps
        `[..., H, W, C/2]` to `[..., H, W, C/2 * (3K + 2)]`.
      num_components: Python `int` `K`, logistics per element.
      mask: `'checkerboard'` or `'channel'`.
      parity: `0` or `1`, which half conditions (see above).
      num_bisection_steps: Python `int` steps of the sampling-direction
        search; see `MixtureLogisticCDF`.
      validate_args: Python `bool`; check that inputs are finite.
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: for an unknown `mask`, a `parity` other than 0 or 1, or
        `num_components < 1`.
    """
    parameters = dict(locals())
    if mask not in _MASKS:
      raise ValueError(f'Argument `mask` must be one of {_MASKS}, got '
                       f'{mask!r}.')
    if parity not in (0, 1):
      raise ValueError(f'Argument `parity` must be 0 or 1, got {parity}.')
    if num_components < 1:
      raise ValueError(f'Argument `num_components` must be positive, got '
                       f'{num_components}.')
    with tf.name_scope(name) as name:
      self._conditioner = conditioner
      self._num_components = num_components
      self._mask = mask
      self._parity = parity
      self._num_bisection_steps = num_bisection_steps
      super().__init__(forward_min_event_ndims=3, validate_args=validate_args,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def conditioner(self):
    return self._conditioner

  @property
  def num_components(self):
    return self._num_components

  def _checkerboard(self, event_shape, dtype):
    height, width, _ = event_shape
    rows, cols = np.meshgrid(np.arange(height), np.arange(width),
                             indexing='ij')
    conditioning = ((rows + cols) % 2 == self._parity)[..., np.newaxis]
    return tf.constant(conditioning, dtype)

  def _mixture(self, conditioning, transformed_channels):
    """The elementwise transform of the transformed part, from `A`."""
    k = self._num_components
    output = tf.cast(self._conditioner(conditioning), conditioning.dtype)
    expected = transformed_channels * (3 * k + 2)
    if output.shape[-1] != expected:
      raise ValueError(f'The `conditioner` of MixLogCDFCoupling must return '
                       f'{expected} channels ({transformed_channels} '
                       f'transformed channels x (3 * {k} + 2) mixture '
                       f'parameters), got {output.shape[-1]}.')
    output = tf.reshape(output, tf.concat(
        [tf.shape(output)[:-1], [transformed_channels, 3 * k + 2]], axis=0))
    logits, locs, log_scales, log_scale, shift = tf.split(
        output, [k, k, k, 1, 1], axis=-1)
    return mixture_logistic_cdf.MixtureLogisticCDF(
        mixture_logits=logits, locs=locs, log_scales=log_scales,
        log_scale=tf.tanh(log_scale[..., 0]), shift=shift[..., 0],
        num_bisection_steps=self._num_bisection_steps)

  def _check_event(self, z, arg_name):
    event_shape = z.shape[-3:]
    if len(z.shape) < 3 or not event_shape.is_fully_defined():
      raise ValueError(f'Argument `{arg_name}` of MixLogCDFCoupling must have '
                       f'a static event shape [H, W, C], got {z.shape}.')
    if self._mask == 'channel' and event_shape[-1] % 2:
      raise ValueError(f'Argument `{arg_name}` of MixLogCDFCoupling with a '
                       f'channel mask must have an even channel count, got '
                       f'{event_shape[-1]}.')
    return event_shape

  def _transform(self, z, arg_name, direction):
    """Applies the mixture's `forward` or `inverse` to `B`; for `inverse`
    also returns the inverse log-det summed over `B`."""
    event_shape = self._check_event(z, arg_name)
    # Checks both halves: the conditioning one reaches only the network.
    z = checked_finite(self, z, arg_name)
    if self._mask == 'channel':
      halves = tf.split(z, 2, axis=-1)
      conditioning, transformed = halves[self._parity], halves[1 - self._parity]
      mixture = self._mixture(conditioning, event_shape[-1] // 2)
      transformed_mask = tf.ones([], z.dtype)
    else:
      transformed_mask = 1. - self._checkerboard(event_shape, z.dtype)
      transformed = z
      mixture = self._mixture(z * (1. - transformed_mask), event_shape[-1])
    new = getattr(mixture, direction)(transformed)
    if self._mask == 'channel':
      halves = [conditioning, new]
      new = tf.concat(halves if self._parity == 0 else halves[::-1], axis=-1)
    else:
      new = (1. - transformed_mask) * z + transformed_mask * new
    if direction == 'forward':
      return new, None
    ildj = tf.reduce_sum(
        transformed_mask
        * mixture.inverse_log_det_jacobian(transformed, event_ndims=0),
        axis=[-3, -2, -1])
    return new, {'ildj': ildj}

  def _augmented_forward(self, x):
    return self._transform(x, 'x', 'forward')

  def _augmented_inverse(self, y):
    return self._transform(y, 'y', 'inverse')

  def _forward(self, x):
    return self._augmented_forward(x)[0]

  def _inverse(self, y):
    return self._augmented_inverse(y)[0]

  def _inverse_log_det_jacobian(self, y):
    return self._augmented_inverse(y)[1]['ildj']
