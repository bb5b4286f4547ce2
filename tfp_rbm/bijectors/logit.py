"""Pre-processing of 8-bit images: the logit transform of scaled pixels."""

import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from tfp_rbm.bijectors.validation import checked_finite

__all__ = ['Logit', 'dequantized_image_preprocessing']


class Logit(tfb.Bijector):
  """The logit transform with a margin `alpha` (RealNVP's pre-processing).

  #### Mathematical Details

  Data `Y` in [0, high] maps to latent (`inverse`) by

  ```none
  p = alpha + (1 - 2 alpha) Y / high
  X = g^{-1}(Y) = logit(p)
  log|dX/dY| = log(1 - 2 alpha) - log(high) - log(p) - log(1 - p)
  ```

  and `forward` is `Y = high (sigmoid(X) - alpha) / (1 - 2 alpha)`. The
  margin keeps the logit finite at 0 and `high` (`alpha = 0.05` in RealNVP);
  with `alpha = 0` the data must lie in the open interval (0, high).

  #### Examples

  ```python
  logit = tfp_rbm.bijectors.Logit(alpha=0.05)
  z = logit.inverse(images / 256.)
  ```

  #### References

  [1]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803
  """

  def __init__(self, alpha=0.05, high=1., validate_args=False, name='logit'):
    """Builds the transform.

    Args:
      alpha: Python `float` in [0, 0.5), the margin.
      high: Python `float`, the upper end of the data range.
      validate_args: Python `bool`; check that data lie in [0, high] ((0,
        high) when `alpha = 0`) and latents are finite.
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: if `alpha` is outside [0, 0.5) or `high` is not positive.
    """
    parameters = dict(locals())
    if not 0. <= alpha < 0.5:
      raise ValueError(f'Argument `alpha` must be in [0, 0.5), got {alpha}.')
    if not high > 0.:
      raise ValueError(f'Argument `high` must be positive, got {high}.')
    with tf.name_scope(name) as name:
      self._alpha = alpha
      self._high = high
      super().__init__(forward_min_event_ndims=0, validate_args=validate_args,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def alpha(self):
    return self._alpha

  @property
  def high(self):
    return self._high

  def _range_assertions(self, y):
    if not self.validate_args:
      return []
    low, high = tf.zeros([], y.dtype), tf.constant(self._high, y.dtype)
    # Both comparisons are false for NaN, so NaN fails too.
    if self._alpha:
      message = (f'Argument `y` must be in [0, {self._high:g}] for the logit '
                 'step.')
      return [tf.debugging.assert_greater_equal(y, low, message=message),
              tf.debugging.assert_less_equal(y, high, message=message)]
    message = (f'Argument `y` must be in (0, {self._high:g}) for the logit '
               'step with `alpha = 0`.')
    return [tf.debugging.assert_greater(y, low, message=message),
            tf.debugging.assert_less(y, high, message=message)]

  def _margined(self, y):
    with tf.control_dependencies(self._range_assertions(y)):
      return self._alpha + (1. - 2. * self._alpha) / self._high * y

  def _forward(self, x):
    x = checked_finite(self, x, 'x')
    return self._high * (tf.sigmoid(x) - self._alpha) / (1. - 2. * self._alpha)

  def _inverse(self, y):
    p = self._margined(y)
    return tf.math.log(p) - tf.math.log1p(-p)

  def _inverse_log_det_jacobian(self, y):
    p = self._margined(y)
    return (tf.math.log(tf.constant((1. - 2. * self._alpha) / self._high,
                                    y.dtype))
            - tf.math.log(p) - tf.math.log1p(-p))


def dequantized_image_preprocessing(num_bits=8, alpha=0.05,
                                    validate_args=False):
  """Maps dequantized pixel values in [0, 2^num_bits) to logit space.

  Data to latent (`inverse`): `Logit(alpha, high=2^num_bits)`, whose log-det
  includes `-log(2^num_bits)` per dimension, so
  `TransformedDistribution(base, tfb.Chain([preprocessing, flow]))` gives
  log-densities of pixel values and bits/dim is
  `-log_prob(x) / (num_dims * log(2))` for `x = pixels + uniform noise`.
  Under `validate_args`, a pixel value outside [0, 2^num_bits] is an error.

  Args:
    num_bits: Python `int`, bits per pixel value.
    alpha: Python `float`, the margin of `Logit`.
    validate_args: Python `bool`.

  Returns:
    A `Logit`: data (pixel values) -> latent is its `inverse`.
  """
  return Logit(alpha, high=2. ** num_bits, validate_args=validate_args,
               name='dequantized_image_preprocessing')
