"""Argument checks shared by the bijectors and the flow builders, each naming the argument.

Static checks (dtypes, sizes, shapes) raise at once and add no op to the
graph; the finiteness of values is asserted only under `validate_args`.
"""

import numbers

import tensorflow as tf
# No public API: TFP's dtype inference over nested arguments and variables.
from tensorflow_probability.python.internal import dtype_util

from tfp_rbm.internal.validation import SUPPORTED_FLOAT_DTYPES

__all__ = [
    'check_event_shape',
    'check_positive_int',
    'checked_finite',
    'parameters_dtype',
    'supported_dtype',
]

def checked_finite(bijector, value, arg_name):
  """Returns `value`, asserted finite first when `bijector.validate_args`."""
  if not bijector.validate_args:
    return value
  return tf.debugging.assert_all_finite(
      value, f'Argument `{arg_name}` of {type(bijector).__name__} must be '
      'finite.')


def supported_dtype(dtype, arg, owner):
  """`dtype` as a `tf.DType`; a `TypeError` naming `arg` unless float32 or float64."""
  return _supported(dtype, f'Argument `{arg}`', owner)


def parameters_dtype(named_args, owner):
  """The common dtype of `{argument_name: value}` (float32 if none has one), checked."""
  names = ', '.join(f'`{arg}`' for arg, value in named_args.items() if value is not None)
  try:
    dtype = dtype_util.common_dtype(list(named_args.values()), dtype_hint=tf.float32)
  except TypeError as cause:
    raise TypeError(f'Arguments {names} of {owner} must share one dtype.') from cause
  return _supported(dtype, f'Arguments {names}', owner)


def _supported(dtype, what, owner):
  try:
    as_dtype = tf.as_dtype(dtype)
  except TypeError:
    as_dtype = None
  if as_dtype not in SUPPORTED_FLOAT_DTYPES:
    raise TypeError(f'{what} of {owner} must be float32 or float64; got '
                    f'{getattr(as_dtype, "name", repr(dtype))}.')
  return as_dtype


def check_positive_int(value, arg, owner, minimum=1):
  """Raises a `ValueError` naming `arg` unless `value` is an integer >= `minimum`."""
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
      or value < minimum):
    raise ValueError(f'Argument `{arg}` of {owner} must be an integer of at least '
                     f'{minimum}; got {value!r}.')
  return int(value)


def check_event_shape(value, event_shape, arg, owner, source=''):
  """Raises a `ValueError` unless the static shape of `value` ends in `event_shape`.

  Static only, so free on the hot path: sizes unknown on either side pass.
  The message names `arg`, the expected event shape (and, through
  `source`, where it comes from, e.g. "of `mask`") and the actual shape.
  """
  event_shape = tf.TensorShape(event_shape)
  shape = value.shape
  if shape.rank is None or event_shape.rank is None:
    return
  if (shape.rank < event_shape.rank or not shape[shape.rank - event_shape.rank:]
      .is_compatible_with(event_shape)):
    source = f' {source}' if source else ''
    raise ValueError(
        f'Argument `{arg}` of {owner} must have the event shape '
        f'{event_shape.as_list()}{source} (its last {event_shape.rank} axes); got '
        f'shape {shape.as_list()}.')
