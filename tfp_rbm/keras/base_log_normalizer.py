"""The log Z of an energy-based base as `FlowModel` uses it: an estimate, else exact."""

import numpy as np
import tensorflow as tf

__all__ = ['BaseLogNormalizer', 'check_estimate']


class BaseLogNormalizer(tf.Module):
  """log Z of a flow's base: a given estimate while it holds, else exact enumeration.

  A base with an intractable normalizer (the RBMs) needs its log Z for a
  normalized `log_prob` and for bits/dim. This object keeps an estimate of it
  (e.g. AIS's, `tfp_rbm.evaluation.log_normalizer`) in a variable, valid for
  the base's parameters at the time it was given: a training update of them
  calls `forget`. Without an estimate, `log_normalizer()` enumerates log Z
  exactly when the base is small enough, and is NaN otherwise.

  The estimate is a non-trainable variable copied on every replica under a
  `tf.distribute` strategy (`ONLY_FIRST_REPLICA`), and is saved with the
  object (`tf.train.Checkpoint`).

  #### Examples

  ```python
  log_z = tfp_rbm.keras.BaseLogNormalizer(rbm)
  log_z.log_normalizer()          # exact for a small rbm, NaN for a large one
  log_z.assign(tfp_rbm.evaluation.log_normalizer(rbm, 'ais').log_normalizer)
  log_z.normalized_base().log_prob(z)
  ```
  """

  # The base is the model's, not this object's: `variables` lists the estimate only.
  _TF_MODULE_IGNORED_PROPERTIES = tf.Module._TF_MODULE_IGNORED_PROPERTIES.union(('_base',))

  def __init__(self, base, estimate=None, name='base_log_normalizer'):
    """Holds `estimate` (None: none yet) for `base`.

    Args:
      base: a distribution with `exact_log_normalizer()`,
        `with_log_normalizer(log_z)` and `max_enumeration_bits`.
      estimate: a number, or None.
      name: name of the module.
    """
    super().__init__(name=name)
    self._base = base
    with self.name_scope:
      # NaN: no estimate for the base's current parameters.
      self._estimate = tf.Variable(
          check_estimate(estimate, base.dtype, 'estimate'), trainable=False, name='estimate',
          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

  @property
  def estimate(self):
    """The variable holding the estimate; NaN when there is none."""
    return self._estimate

  def _as_estimate(self, value):
    return tf.cast(np.nan if value is None else value, self._base.dtype)

  def has_estimate(self):
    """Whether an estimate is held (eager)."""
    return bool(np.isfinite(self._estimate.numpy()).all())

  def assign(self, estimate):
    """Uses `estimate` for the base's current parameters; None drops the estimate.

    Raises:
      TypeError: if `estimate` is not a number (or numeric tensor) or None.
      ValueError: if its shape is not the estimate's, or (eagerly) it is not
        finite.
    """
    self._estimate.assign(check_estimate(estimate, self._base.dtype, 'estimate',
                                         shape=self._estimate.shape))

  def forget(self, where=True):
    """Drops the estimate where `where` (a bool tensor) holds: the base changed."""
    self._estimate.assign(tf.where(where, self._as_estimate(None), self._estimate))

  def assign_exact_if_missing(self):
    """Without an estimate, enumerates log Z once (if the base is small enough) and keeps it."""
    if not self.has_estimate():
      try:
        self.assign(self._base.exact_log_normalizer())
      except ValueError:  # Too many states to enumerate: stays NaN.
        pass

  def log_normalizer(self, max_enumeration_bits=None):
    """The base's log Z: the estimate, else exact (if enumerable), else NaN.

    Args:
      max_enumeration_bits: lowers the base's own limit on exact enumeration
        (units in the enumerated layer), or None.

    Returns:
      A scalar tensor (or one per batch member of the base).
    """
    estimate = tf.convert_to_tensor(self._estimate)
    base = self._base
    if max_enumeration_bits is not None and max_enumeration_bits < base.max_enumeration_bits:
      base = base.copy(max_enumeration_bits=max_enumeration_bits)
    try:
      return tf.cond(tf.reduce_all(tf.math.is_finite(estimate)), lambda: estimate,
                     base.exact_log_normalizer)
    except ValueError:  # Too many states to enumerate.
      return estimate

  def normalized_base(self):
    """The base normalized by `log_normalizer()`: a snapshot of its current log Z.

    Eagerly, when log Z is unavailable (NaN), the base is returned as it is,
    so that its `log_prob` raises and says why; in a `tf.function` its log Z
    is NaN.
    """
    log_z = self.log_normalizer()
    if tf.executing_eagerly() and np.any(np.isnan(log_z)):
      return self._base
    return self._base.with_log_normalizer(log_z)


def check_estimate(value, dtype, arg, shape=None):
  """A log Z estimate as a `dtype` tensor (None: NaN, no estimate), or a named error.

  With `shape`, the estimate must have that shape (the held estimate's).

  Eagerly, a given value must be finite: NaN means "no estimate", which is
  said with None.
  """
  if value is None:
    return tf.constant(np.nan, dtype)
  value_dtype = (tf.as_dtype(value.dtype) if tf.is_tensor(value)
                 else tf.as_dtype(np.asarray(value).dtype) if _is_numeric(value) else None)
  if value_dtype is None or not (value_dtype.is_floating or value_dtype.is_integer):
    raise TypeError(f'Argument `{arg}` must be a number, an estimate of log Z (or None '
                    f'to drop it); got {value!r}.')
  estimate = tf.cast(value, dtype)
  if shape is not None and not estimate.shape.is_compatible_with(shape):
    raise ValueError(f'Argument `{arg}` must have shape {shape}; got {estimate.shape}.')
  if tf.executing_eagerly() and not np.all(np.isfinite(estimate.numpy())):
    raise ValueError(f'Argument `{arg}` must be finite; got {estimate.numpy()} (None drops '
                     'the estimate).')
  return estimate


def _is_numeric(value):
  if isinstance(value, (bool, np.bool_)):
    return False
  try:
    return np.asarray(value).dtype.kind in 'iuf'
  except (TypeError, ValueError):
    return False
