"""Pre-processing of bounded data: the logit transform with a margin."""

import tensorflow as tf
from tensorflow_probability import bijectors as tfb

from tfp_rbm.bijectors import validation

__all__ = ['dequantized_image_preprocessing', 'logit_preprocessing']


def logit_preprocessing(alpha=0.05, high=1., dtype=tf.float32,
                        validate_args=False, name='logit_preprocessing'):
  """The logit transform of data in [0, high] with a margin `alpha` (RealNVP).

  #### Mathematical Details

  Data `Y` in [0, high] maps to latent (`inverse`) by

  ```none
  p = alpha + (1 - 2 alpha) Y / high
  X = g^{-1}(Y) = logit(p)
  log|dX/dY| = log(1 - 2 alpha) - log(high) - log(p) - log(1 - p)
  ```

  and `forward` is `Y = high (sigmoid(X) - alpha) / (1 - 2 alpha)`, that is
  `tfb.Sigmoid(low, high')` with `low = -high alpha / (1 - 2 alpha)` and
  `high' = high (1 - alpha) / (1 - 2 alpha)`, which is what this returns.
  The margin keeps the logit finite at 0 and `high` (`alpha = 0.05` in
  RealNVP); with `alpha = 0` the data must lie in the open interval
  (0, high). Data outside the range give NaN: `tfb.Sigmoid` does not check
  its inverse's domain, even under `validate_args`.

  #### Examples

  ```python
  preprocessing = tfp_rbm.bijectors.logit_preprocessing(alpha=0.05)
  z = preprocessing.inverse(images)  # images in [0, 1]
  ```

  #### References

  [1]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803

  Args:
    alpha: Python `float` in [0, 0.5), the margin.
    high: Python `float`, the upper end of the data range.
    dtype: the dtype of the data.
    validate_args: Python `bool`, passed to `tfb.Sigmoid`.
    name: Python `str` name of the bijector.

  Returns:
    A `tfb.Sigmoid`: data -> latent is its `inverse`.

  Raises:
    ValueError: if `alpha` is outside [0, 0.5) or `high` is not positive
      and finite.
    TypeError: if `dtype` is not float32 or float64.
  """
  dtype = validation.supported_dtype(dtype, 'dtype', name)
  if not 0. <= alpha < 0.5:
    raise ValueError(f'Argument `alpha` must be in [0, 0.5), got {alpha}.')
  if not 0. < high < float('inf'):
    raise ValueError(f'Argument `high` must be positive and finite, got {high}.')
  width = high / (1. - 2. * alpha)
  return tfb.Sigmoid(low=tf.constant(-alpha * width, dtype),
                     high=tf.constant((1. - alpha) * width, dtype),
                     validate_args=validate_args, name=name)


def dequantized_image_preprocessing(num_bits=8, alpha=0.05, dtype=tf.float32,
                                    validate_args=False):
  """Maps dequantized pixel values in [0, 2^num_bits) to logit space.

  Data to latent (`inverse`): `logit_preprocessing(alpha, high=2^num_bits)`,
  whose log-det includes `-log(2^num_bits)` per dimension, so
  `TransformedDistribution(base, tfb.Chain([preprocessing, flow]))` gives
  log-densities of pixel values and bits/dim is
  `-log_prob(x) / (num_dims * log(2))` for `x = pixels + uniform noise`.

  Args:
    num_bits: Python `int`, bits per pixel value.
    alpha: Python `float`, the margin of `logit_preprocessing`.
    dtype: the dtype of the data.
    validate_args: Python `bool`.

  Returns:
    A `tfb.Sigmoid`: data (pixel values) -> latent is its `inverse`.

  Raises:
    ValueError: if `num_bits < 1`, or as `logit_preprocessing`.
    TypeError: if `dtype` is not float32 or float64.
  """
  num_bits = validation.check_positive_int(
      num_bits, 'num_bits', 'dequantized_image_preprocessing')
  return logit_preprocessing(alpha, high=2. ** num_bits, dtype=dtype,
                             validate_args=validate_args,
                             name='dequantized_image_preprocessing')
