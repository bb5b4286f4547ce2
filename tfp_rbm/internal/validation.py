"""Argument checks shared by every distribution and bijector, each naming the argument.

Static checks (dtype, shapes) raise at once; value checks (finiteness,
spins) are assertions for `validate_args`. One dtype rule
(`common_float_dtype`) and one finiteness check (`finite_assertions`).
"""

import tensorflow as tf
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import tensor_util

__all__ = [
        'broadcast_to_batch_and_event',
    'check_batch_shapes',
    'check_event_value',
    'common_float_dtype',
    'convert_value',
    'finite_assertions',
    'parameters_to_validate',
    'proposal_parameters',
    'value_assertions',
]


def common_float_dtype(named_args):
  """The common floating dtype of the given arguments, naming a bad one."""
  dtype = None
  for arg, value in named_args.items():
    if value is None:
      continue
    arg_dtype = getattr(value, 'dtype', None)
    if arg_dtype is None:
      continue
    arg_dtype = tf.as_dtype(arg_dtype)
    if not arg_dtype.is_floating:
      raise TypeError(f'Argument `{arg}` must be float32 or float64; got {arg_dtype.name}.')
    if dtype is not None and arg_dtype != dtype:
      raise TypeError(
          f'Argument `{arg}` has dtype {arg_dtype.name} but other parameters have '
          f'{dtype.name}; use one floating dtype.')
    dtype = arg_dtype
  return dtype or tf.float32


def check_batch_shapes(properties, named_parameters):
  """Raises `ValueError` naming two parameters whose batch shapes do not broadcast.

  A parameter's batch shape is its shape less its `event_ndims` trailing
  axes, read from `properties` (the class's `parameter_properties()`). Static
  shapes only: unknown dimensions pass.

  Args:
    properties: dict from argument name to `ParameterProperties`.
    named_parameters: iterable of `(argument_name, tensor_or_None)`.
  """
  seen = []
  for arg, tensor in named_parameters:
    if tensor is None or tensor.shape.rank is None:
      continue
    batch = tensor.shape[:max(tensor.shape.rank - properties[arg].event_ndims, 0)]
    for other_arg, other_batch in seen:
      try:
        tf.broadcast_static_shape(other_batch, batch)
      except ValueError:
        raise ValueError(
            f'Arguments `{other_arg}` (batch shape {other_batch}) and `{arg}` (batch '
            f'shape {batch}) must have batch shapes that broadcast.') from None
    seen.append((arg, batch))


def proposal_parameters(proposal, own, dtype, owner):
  """The `beta = 0` machine's parameters: `proposal` over the model's `own`.

  Args:
    proposal: None or a dict whose keys are among `own`'s.
    own: dict of the model's own values, used for the keys not given.
    dtype: dtype to convert the given values to.
    owner: the distribution's class name, for errors.

  Returns:
    A dict with `own`'s keys, all tensors.

  Raises:
    TypeError: if `proposal` is neither None nor a dict.
    ValueError: if it has a key that `own` lacks.
  """
  if proposal is None:
    proposal = {}
  if not isinstance(proposal, dict):
    raise TypeError(
        "Argument `proposal` must be a dict of the beta = 0 machine's parameters "
        f'(e.g. from `fit_proposal(points)`) or None; got {type(proposal).__name__}.')
  unknown = sorted(set(proposal) - set(own))
  if unknown:
    raise ValueError(f'Argument `proposal` of {owner} takes the keys {sorted(own)}; '
                     f'got unknown {unknown}.')
  return {arg: (tf.convert_to_tensor(proposal[arg], dtype=dtype, name=arg)
                if arg in proposal else tf.convert_to_tensor(value))
          for arg, value in own.items()}


def convert_value(value, dtype, arg):
  """A tensor or variable as a tensor of its own dtype; other values converted to `dtype`.

  The dtype of a tensor is left for `check_event_value` to check, so that
  the error names `arg`.
  """
  return tf.convert_to_tensor(value, dtype=None if tf.is_tensor(value) else dtype, name=arg)


def check_event_value(value, dtype, event_size, arg):
  """Raises, naming `arg`, unless `value` has `dtype` and `event_size` units on its last axis.

  Static only: an unknown size passes, and no op is added to the graph.
  """
  if value.dtype != dtype:
    raise TypeError(f'Argument `{arg}` has dtype {value.dtype.name}, but the distribution '
                    f'has dtype {dtype.name}.')
  size = value.shape[-1] if value.shape.rank else None
  if value.shape.rank == 0 or (None not in (size, event_size) and size != event_size):
    raise ValueError(f'Argument `{arg}` must have shape [..., {event_size}]; got shape '
                     f'{value.shape}.')


def parameters_to_validate(named_parameters, is_init):
  """`{argument_name: tensor}` of the parameters to validate now, each read once.

  TFP's convention: a constant is checked once at construction
  (`is_init=True`), a variable every time it is used (`is_init=False`).

  Args:
    named_parameters: iterable of `(argument_name, tensor_or_None)`.
    is_init: whether the distribution is being constructed.
  """
  return {arg: tf.convert_to_tensor(tensor) for arg, tensor in named_parameters
          if tensor is not None and is_init != tensor_util.is_ref(tensor)}


def finite_assertions(named_tensors):
  """Assertions that each tensor of `{argument_name: tensor}` is finite, naming it."""
  return [assert_util.assert_equal(
      tf.reduce_all(tf.math.is_finite(tensor)), True,
      message=f'Argument `{arg}` must be finite (found NaN or Inf).')
          for arg, tensor in named_tensors.items()]


def value_assertions(distribution, value, arg, spins=False):
  """Checks of `value`, a point of `distribution`'s event space, naming `arg`.

  Its dtype and event size are checked statically (raising at once, no op
  added); under `validate_args`, assertions that it is finite and, with
  `spins`, that each entry is -1 or +1.
  """
  check_event_value(value, distribution.dtype,
                    tf.compat.dimension_value(distribution.event_shape[-1]), arg)
  if not distribution.validate_args:
    return []
  assertions = finite_assertions({arg: value})
  if spins:
    assertions.append(assert_util.assert_equal(
        tf.reduce_all(tf.abs(value) == 1.), True,
        message=f'Argument `{arg}` must hold spins, -1 or +1.'))
  return assertions


def broadcast_to_batch_and_event(distribution, value):
  """`value` broadcast against the distribution's `batch_shape + event_shape`."""
  # The private shape methods open no name scope, so they repeat no assertions.
  shape = tf.broadcast_dynamic_shape(
      tf.shape(value),
      tf.concat([distribution._batch_shape_tensor(),  # pylint: disable=protected-access
                 distribution._event_shape_tensor()], axis=0))  # pylint: disable=protected-access
  return tf.broadcast_to(value, shape)
