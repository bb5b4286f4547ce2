"""NICE's final diagonal scaling layer."""

import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.bijectors.validation import checked_finite

__all__ = ['DiagonalScale']


class DiagonalScale(tfb.Bijector):
  """Elementwise scaling by `exp(log_scale)`, the last layer of NICE.

  #### Mathematical Details

  ```none
  Y = g(X) = X * exp(log_scale),   log|det dY/dX| = sum log_scale
  ```

  so data maps to latent as `X = Y * exp(-log_scale)`; NICE's scaling
  matrix `S` is `exp(-log_scale)` (Dinh et al., 2014, Sec. 3.3). Built from
  `event_size`, `log_scale` is a zero-initialised `tf.Variable`.

  #### Examples

  ```python
  scale = tfp_rbm.bijectors.DiagonalScale(event_size=784)
  z = scale.inverse(x)
  ```

  #### References

  [1]: Laurent Dinh, David Krueger, Yoshua Bengio. NICE: Non-linear
       Independent Components Estimation. https://arxiv.org/abs/1410.8516
  """

  def __init__(self, event_size=None, log_scale=None, dtype=tf.float32,
               validate_args=False, name='diagonal_scale'):
    """Builds the scaling from `event_size` (a variable) or a `log_scale`.

    Args:
      event_size: Python `int`; creates a zero `tf.Variable` `log_scale`.
      log_scale: float `Tensor`/`tf.Variable` `[D]`, used instead.
      dtype: dtype of the variable built from `event_size`.
      validate_args: Python `bool`; check that inputs are finite.
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: if neither or both of `event_size` and `log_scale` are
        given.
    """
    parameters = dict(locals())
    if (event_size is None) == (log_scale is None):
      raise ValueError('Pass either `event_size` or `log_scale` to '
                       'DiagonalScale.')
    with tf.name_scope(name) as name:
      if event_size is not None:
        dtype = tf.as_dtype(dtype)
        self._log_scale = tf.Variable(tf.zeros([event_size], dtype),
                                      name='log_scale')
      else:
        dtype = dtype_util.common_dtype([log_scale], tf.float32)
        self._log_scale = tensor_util.convert_nonref_to_tensor(
            log_scale, dtype=dtype, name='log_scale')
      super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True,
                       validate_args=validate_args, dtype=dtype,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        log_scale=parameter_properties.ParameterProperties(event_ndims=1))

  @property
  def log_scale(self):
    return self._log_scale

  def _forward(self, x):
    return checked_finite(self, x, 'x') * tf.exp(self._log_scale)

  def _inverse(self, y):
    return checked_finite(self, y, 'y') * tf.exp(-self._log_scale)

  def _forward_log_det_jacobian(self, x):
    return tf.reduce_sum(self._log_scale, axis=-1)
