"""Value checks that several bijectors run under `validate_args`."""

import tensorflow as tf

__all__ = ['checked_finite']


def checked_finite(bijector, value, arg_name):
  """Returns `value`, asserted finite first when `bijector.validate_args`."""
  if not bijector.validate_args:
    return value
  return tf.debugging.assert_all_finite(
      value, f'Argument `{arg_name}` of {type(bijector).__name__} must be '
      'finite.')
