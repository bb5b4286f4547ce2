"""Activation normalisation: per-channel affine map with data-dependent init."""

import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.bijectors.validation import checked_finite

__all__ = ['ActNorm']


class ActNorm(tfb.Bijector):
  """Per-channel scale and shift, initialised from the first data batch.

  #### Mathematical Details

  For an input whose last axis holds the channels,

  ```none
  Y = g(X) = X * exp(log_scale) + loc
  X = g^{-1}(Y) = (Y - loc) * exp(-log_scale)
  log|det dY/dX| = (number of positions) * sum_c log_scale[c]
  ```

  `inverse` maps data to latent. On its first `inverse` call (or through
  `initialize(y)`) an ActNorm that owns its variables sets

  ```none
  loc = mean(Y),  log_scale = 0.5 * log(var(Y) + epsilon)
  ```

  over every axis but the last, so the latent output of the batch has zero
  mean and unit variance per channel; `epsilon` keeps a constant channel
  finite. Whether this has happened is the non-trainable variable
  `initialized`, so a `tf.train.Checkpoint` restores it and the layer is not
  initialised again. `forward` (sampling) never initialises.

  #### Examples

  ```python
  actnorm = tfp_rbm.bijectors.ActNorm(num_channels=3)
  z = actnorm.inverse(images)  # initialises from `images`: z ~ mean 0, std 1
  ```

  #### References

  [1]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039
  """

  def __init__(self, num_channels=None, loc=None, log_scale=None,
               epsilon=1e-6, dtype=tf.float32, validate_args=False,
               name='act_norm'):
    """Builds an ActNorm over `num_channels`, or from given `loc`/`log_scale`.

    Args:
      num_channels: Python `int`; when given, the bijector creates `loc` and
        `log_scale` variables (zero, i.e. the identity) and initialises them
        from data on first use.
      loc: float `Tensor` or `tf.Variable` of shape `[C]`, used instead of
        `num_channels`; no data-dependent initialisation then.
      log_scale: float `Tensor` or `tf.Variable` of shape `[C]`, with `loc`.
      epsilon: Python `float` added to the variance at initialisation.
      dtype: dtype of the variables created from `num_channels`.
      validate_args: Python `bool`; check that inputs are finite.
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: if neither or both of `num_channels` and `loc`/`log_scale`
        are given.
    """
    parameters = dict(locals())
    if (num_channels is None) == (loc is None or log_scale is None):
      raise ValueError('Pass either `num_channels` or both `loc` and '
                       '`log_scale` to ActNorm.')
    with tf.name_scope(name) as name:
      if num_channels is not None:
        dtype = tf.as_dtype(dtype)
        self._loc = tf.Variable(tf.zeros([num_channels], dtype), name='loc')
        self._log_scale = tf.Variable(tf.zeros([num_channels], dtype),
                                      name='log_scale')
        self._initialized = tf.Variable(False, trainable=False,
                                        name='initialized')
      else:
        dtype = dtype_util.common_dtype([loc, log_scale], tf.float32)
        self._loc = tensor_util.convert_nonref_to_tensor(loc, dtype=dtype,
                                                         name='loc')
        self._log_scale = tensor_util.convert_nonref_to_tensor(
            log_scale, dtype=dtype, name='log_scale')
        self._initialized = None
      self._epsilon = epsilon
      super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True,
                       validate_args=validate_args, dtype=dtype,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        loc=parameter_properties.ParameterProperties(event_ndims=1),
        log_scale=parameter_properties.ParameterProperties(event_ndims=1))

  @property
  def loc(self):
    return self._loc

  @property
  def log_scale(self):
    return self._log_scale

  @property
  def initialized(self):
    """Non-trainable boolean `tf.Variable`, or None for given parameters."""
    return self._initialized

  def initialize(self, y):
    """Sets `loc` and `log_scale` from the data-side batch `y`, and the flag.

    Args:
      y: float `Tensor` `[..., C]`, the batch entering this layer in the
        inverse (data -> latent) direction.

    Returns:
      The assignment op of the `initialized` flag.
    """
    if self._initialized is None:
      raise ValueError('This ActNorm was built from given `loc` and '
                       '`log_scale`; it has nothing to initialise.')
    y = checked_finite(self, tf.convert_to_tensor(y, dtype=self.dtype,
                                                  name='y'), 'y')
    mean, variance = tf.nn.moments(y, axes=list(range(len(y.shape) - 1)))
    return tf.group(
        self._loc.assign(mean),
        self._log_scale.assign(0.5 * tf.math.log(variance + self._epsilon)),
        self._initialized.assign(True))

  def _maybe_initialize(self, y):
    if self._initialized is None:
      return tf.no_op()
    return tf.cond(self._initialized, tf.no_op, lambda: self.initialize(y))

  def _forward(self, x):
    x = checked_finite(self, x, 'x')
    return x * tf.exp(self._log_scale) + self._loc

  def _inverse(self, y):
    y = checked_finite(self, y, 'y')
    with tf.control_dependencies([self._maybe_initialize(y)]):
      loc = tf.convert_to_tensor(self._loc)
      log_scale = tf.convert_to_tensor(self._log_scale)
    return (y - loc) * tf.exp(-log_scale)

  def _forward_log_det_jacobian(self, x):
    return tf.reduce_sum(self._log_scale, axis=-1)
