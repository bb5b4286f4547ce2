"""Activation normalisation: per-channel affine map with data-dependent init."""

import tensorflow as tf
from tensorflow_probability import bijectors as tfb
from tensorflow_probability import util as tfp_util
# No public API: `convert_nonref_to_tensor` keeps variables as variables.
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.bijectors import identity_hashed
from tfp_rbm.bijectors import validation

__all__ = ['ActNorm']


class ActNorm(identity_hashed.IdentityHashed, tfb.Bijector):
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

  A batch holding NaN or Inf (or whose variance overflows) never initialises:
  `inverse` waits for a finite batch, leaving `loc`, `log_scale` and
  `initialized` as they were, in eager mode, `tf.function` and XLA alike
  (the guard is a `tf.where` inside the graph, so a compiled train step
  cannot write NaN into the variables). That batch's latent is NaN, so its
  loss is too, and the next finite batch initialises. `initialize(y)` asked
  explicitly refuses such a batch: a `ValueError` in eager mode, an
  `InvalidArgumentError` in a graph (XLA drops assertions, but not the guard).

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
        are given, if `num_channels < 1`, or if `loc` and `log_scale` are not
        vectors of one size.
      TypeError: if the dtype is not float32 or float64.
    """
    parameters = dict(locals())
    if (num_channels is None) == (loc is None or log_scale is None):
      raise ValueError('Pass either `num_channels` or both `loc` and '
                       '`log_scale` to ActNorm.')
    with tf.name_scope(name) as name:
      if num_channels is not None:
        num_channels = validation.check_positive_int(
            num_channels, 'num_channels', 'ActNorm')
        dtype = validation.supported_dtype(dtype, 'dtype', 'ActNorm')
        self._loc = tf.Variable(tf.zeros([num_channels], dtype), name='loc')
        self._log_scale = tf.Variable(tf.zeros([num_channels], dtype),
                                      name='log_scale')
        self._initialized = tf.Variable(False, trainable=False,
                                        name='initialized')
      else:
        dtype = validation.parameters_dtype(
            {'loc': loc, 'log_scale': log_scale}, 'ActNorm')
        self._loc = tensor_util.convert_nonref_to_tensor(loc, dtype=dtype,
                                                         name='loc')
        self._log_scale = tensor_util.convert_nonref_to_tensor(
            log_scale, dtype=dtype, name='log_scale')
        self._initialized = None
        if (self._loc.shape.rank != 1 or self._log_scale.shape.rank != 1
            or not self._loc.shape.is_compatible_with(self._log_scale.shape)):
          raise ValueError(
              'Arguments `loc` and `log_scale` of ActNorm must be vectors '
              f'[C] of one size; got shapes {self._loc.shape.as_list()} and '
              f'{self._log_scale.shape.as_list()}.')
      self._num_channels = tf.compat.dimension_value(self._loc.shape[0])
      self._epsilon = epsilon
      super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True,
                       validate_args=validate_args, dtype=dtype,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        loc=tfp_util.ParameterProperties(event_ndims=1),
        log_scale=tfp_util.ParameterProperties(event_ndims=1))

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

  # Plain Python control flow on static facts: autograph must not rewrite it
  # (it mistakes the `initialized` property for a call when converting).
  @tf.autograph.experimental.do_not_convert
  def initialize(self, y):
    """Sets `loc` and `log_scale` from the data-side batch `y`, and the flag.

    Args:
      y: float `Tensor` `[..., C]`, the batch entering this layer in the
        inverse (data -> latent) direction.

    Returns:
      The `initialized` flag after the call, a boolean `Tensor`.

    Raises:
      ValueError: if this ActNorm was built from given `loc` and `log_scale`,
        if `y` does not have `C` channels, or (eagerly) if `y` holds NaN or
        Inf; in a graph the last is an assertion, and the variables keep
        their values.
    """
    if self._initialized is None:
      raise ValueError('This ActNorm was built from given `loc` and '
                       '`log_scale`; it has nothing to initialise.')
    y = self._checked(tf.convert_to_tensor(y, dtype=self.dtype, name='y'), 'y')
    finite, update = self._initialize_if_finite(y)
    message = ('Argument `y` of ActNorm.initialize must be finite to set `loc` '
               'and `log_scale` (found NaN or Inf, or a variance that '
               'overflows); the variables are left as they were.')
    if tf.executing_eagerly():
      if not finite:
        raise ValueError(message)
      return self._initialized.read_value()
    assertion = tf.debugging.assert_equal(finite, True, message=message)
    with tf.control_dependencies([update, assertion]):
      return self._initialized.read_value()

  def _initialize_if_finite(self, y):
    """`(finite, op)`: the op sets the variables from `y` only if `finite`."""
    mean, variance = tf.nn.moments(y, axes=list(range(len(y.shape) - 1)))
    log_scale = 0.5 * tf.math.log(variance + self._epsilon)
    finite = tf.reduce_all(tf.math.is_finite(mean) & tf.math.is_finite(log_scale))
    # `tf.where`, not a Python branch: the guard must live in a traced graph.
    return finite, tf.group(
        self._loc.assign(tf.where(finite, mean, self._loc)),
        self._log_scale.assign(tf.where(finite, log_scale, self._log_scale)),
        self._initialized.assign(tf.logical_or(self._initialized, finite)))

  def _maybe_initialize(self, y):
    if self._initialized is None:
      return tf.no_op()
    return tf.cond(self._initialized, tf.no_op,
                   lambda: self._initialize_if_finite(y)[1])

  def _checked(self, value, arg):
    """`value`, its channels checked statically and, under `validate_args`, its finiteness."""
    validation.check_event_shape(value, [self._num_channels], arg, 'ActNorm',
                                 source='(`num_channels`)')
    return validation.checked_finite(self, value, arg)

  def _forward(self, x):
    x = self._checked(x, 'x')
    return x * tf.exp(self._log_scale) + self._loc

  def _inverse(self, y):
    y = self._checked(y, 'y')
    with tf.control_dependencies([self._maybe_initialize(y)]):
      loc = tf.convert_to_tensor(self._loc)
      log_scale = tf.convert_to_tensor(self._log_scale)
    return (y - loc) * tf.exp(-log_scale)

  def _forward_log_det_jacobian(self, x):
    validation.check_event_shape(x, [self._num_channels], 'x', 'ActNorm',
                                 source='(`num_channels`)')
    return tf.reduce_sum(self._log_scale, axis=-1)
