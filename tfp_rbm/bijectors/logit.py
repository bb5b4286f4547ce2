"""Pre-processing of 8-bit images: scaling to [0, 1] and the logit transform."""

import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

__all__ = ['Logit', 'dequantized_image_preprocessing']


class Logit(tfb.Bijector):
  """The logit transform with a margin `alpha` (RealNVP's pre-processing).

  #### Mathematical Details

  Data `Y` in [0, 1] maps to latent (`inverse`) by

  ```none
  p = alpha + (1 - 2 alpha) Y
  X = g^{-1}(Y) = logit(p)
  log|dX/dY| = log(1 - 2 alpha) - log(p) - log(1 - p)
  ```

  and `forward` is `Y = (sigmoid(X) - alpha) / (1 - 2 alpha)`. The margin
  keeps the logit finite at 0 and 1 (`alpha = 0.05` in RealNVP).

  #### Examples

  ```python
  logit = tfp_rbm.bijectors.Logit(alpha=0.05)
  z = logit.inverse(images / 256.)
  ```

  #### References

  [1]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803
  """

  def __init__(self, alpha=0.05, validate_args=False, name='logit'):
    """Builds the transform.

    Args:
      alpha: Python `float` in [0, 0.5), the margin.
      validate_args: Python `bool`; check that data lie in [0, 1].
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: if `alpha` is outside [0, 0.5).
    """
    parameters = dict(locals())
    if not 0. <= alpha < 0.5:
      raise ValueError(f'Argument `alpha` must be in [0, 0.5), got {alpha}.')
    with tf.name_scope(name) as name:
      self._alpha = alpha
      super().__init__(forward_min_event_ndims=0, validate_args=validate_args,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def alpha(self):
    return self._alpha

  def _margined(self, y):
    assertions = []
    if self.validate_args:
      message = 'Argument `y` must be in [0, 1] for the logit step.'
      # `y >= 0` and `y <= 1` are both false for NaN, so NaN fails too.
      assertions = [
          tf.debugging.assert_greater_equal(y, tf.zeros([], y.dtype),
                                            message=message),
          tf.debugging.assert_less_equal(y, tf.ones([], y.dtype),
                                         message=message)]
    with tf.control_dependencies(assertions):
      return self._alpha + (1. - 2. * self._alpha) * y

  def _forward(self, x):
    return (tf.sigmoid(x) - self._alpha) / (1. - 2. * self._alpha)

  def _inverse(self, y):
    p = self._margined(y)
    return tf.math.log(p) - tf.math.log1p(-p)

  def _inverse_log_det_jacobian(self, y):
    p = self._margined(y)
    return (tf.math.log1p(-2. * tf.constant(self._alpha, y.dtype))
            - tf.math.log(p) - tf.math.log1p(-p))


def dequantized_image_preprocessing(num_bits=8, alpha=0.05, dtype=tf.float32,
                                    validate_args=False):
  """Maps dequantized pixel values in [0, 2^num_bits) to logit space.

  Data to latent (`inverse`): `Y / 2^num_bits`, then `Logit(alpha)`. The
  chain's log-det includes `-log(2^num_bits)` per dimension, so
  `TransformedDistribution(base, tfb.Chain([preprocessing, flow]))` gives
  log-densities of pixel values and bits/dim is
  `-log_prob(x) / (num_dims * log(2))` for `x = pixels + uniform noise`.

  Args:
    num_bits: Python `int`, bits per pixel value.
    alpha: Python `float`, the margin of `Logit`.
    dtype: dtype of the data.
    validate_args: Python `bool`.

  Returns:
    A `tfb.Chain`: data (pixel values) -> latent is its `inverse`.
  """
  pixel_range = tf.constant(2. ** num_bits, dtype=dtype)
  return tfb.Chain([tfb.Scale(pixel_range, validate_args=validate_args),
                    Logit(alpha, validate_args=validate_args)],
                   validate_args=validate_args,
                   name='dequantized_image_preprocessing')
