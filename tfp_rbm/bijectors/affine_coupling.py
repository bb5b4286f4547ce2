"""Glow's affine coupling over the channels of an image."""

import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb
from tensorflow_probability.python.internal import cache_util

from tfp_rbm.bijectors.validation import checked_finite

__all__ = ['AffineCoupling']


class AffineCoupling(tfb.Bijector):
  """Half of the channels scale and shift the other half (Glow).

  #### Mathematical Details

  Split the channels of an event `[H, W, C]` (C even) into halves
  `(a, b)`, and let `[shift, h] = conditioner(a)` (`C` output channels).
  With `scale = sigmoid(h + 2)`, data maps to latent (`inverse`) by

  ```none
  X_a = Y_a,   X_b = (Y_b + shift) * scale
  log|det dX/dY| = sum log(scale)
  ```

  and `forward` is `Y_b = X_b / scale - shift`. The `+ 2` makes a
  zero-initialised conditioner start near the identity; the sigmoid keeps
  every scale in (0, 1), so the inverse cannot blow up.

  #### Examples

  ```python
  net = tfp_rbm.networks.ConvNet(output_channels=4, hidden_channels=64)
  coupling = tfp_rbm.bijectors.AffineCoupling(net)
  z = coupling.inverse(images)  # images: [batch, H, W, 4]
  ```

  #### References

  [1]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039
  """

  # Both directions know the log-det once the conditioner has run: TFP's
  # greedy cache keeps it, so `log_prob` runs the network once, not twice.
  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def __init__(self, conditioner, validate_args=False,
               name='affine_coupling'):
    """Builds the coupling.

    Args:
      conditioner: callable (a Keras layer, e.g. `tfp_rbm.networks.ConvNet`)
        mapping `[..., H, W, C/2]` to `[..., H, W, C]`: shift, then the
        pre-sigmoid scale.
      validate_args: Python `bool`; check that inputs are finite.
      name: Python `str` name prefixed to ops.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      self._conditioner = conditioner
      super().__init__(forward_min_event_ndims=3, validate_args=validate_args,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def conditioner(self):
    return self._conditioner

  def _split(self, z, arg_name):
    channels = z.shape[-1]
    if channels is None or channels % 2:
      raise ValueError(f'Argument `{arg_name}` of AffineCoupling must have a '
                       f'static, even channel count, got {channels}.')
    return tf.split(checked_finite(self, z, arg_name), 2, axis=-1)

  def _shift_and_log_scale(self, conditioning):
    output = self._conditioner(conditioning)
    if output.shape[-1] != 2 * conditioning.shape[-1]:
      raise ValueError(f'The `conditioner` of AffineCoupling must return '
                       f'{2 * conditioning.shape[-1]} channels (shift and '
                       f'scale), got {output.shape[-1]}.')
    shift, pre_scale = tf.split(tf.cast(output, conditioning.dtype), 2,
                                axis=-1)
    return shift, tf.math.log_sigmoid(pre_scale + 2.)

  def _augmented_forward(self, x):
    x_a, x_b = self._split(x, 'x')
    shift, log_scale = self._shift_and_log_scale(x_a)
    y = tf.concat([x_a, x_b * tf.exp(-log_scale) - shift], axis=-1)
    return y, {'ildj': tf.reduce_sum(log_scale, axis=[-3, -2, -1])}

  def _augmented_inverse(self, y):
    y_a, y_b = self._split(y, 'y')
    shift, log_scale = self._shift_and_log_scale(y_a)
    x = tf.concat([y_a, (y_b + shift) * tf.exp(log_scale)], axis=-1)
    return x, {'ildj': tf.reduce_sum(log_scale, axis=[-3, -2, -1])}

  def _forward(self, x):
    return self._augmented_forward(x)[0]

  def _inverse(self, y):
    return self._augmented_inverse(y)[0]

  def _inverse_log_det_jacobian(self, y):
    return self._augmented_inverse(y)[1]['ildj']
