"""Argument checks shared by every distribution and bijector, each naming the argument.

Static checks (dtype, shapes, counts) raise at once; value checks
(finiteness, spins) are assertions for `validate_args`. One dtype rule
(`common_float_dtype`), one finiteness check (`finite_assertions`) and one
check of a count such as `num_steps` or `block_size` (`check_integer`).
"""

import numpy as np
import tensorflow as tf
# No public API: `is_ref` tells a variable (checked when read) from a constant.
from tensorflow_probability.python.internal import tensor_util

__all__ = [
    'SUPPORTED_FLOAT_DTYPES',
    'broadcast_to_batch_and_event',
    'check_batch_shapes',
    'check_event_value',
    'check_integer',
    'common_float_dtype',
    'convert_value',
    'finite_assertions',
    'machine_epsilon',
    'parameters_to_validate',
    'proposal_parameters',
    'value_assertions',
]


# The one dtype rule of the package. float16 and bfloat16 lose the energies'
# sums and log Z to rounding, lack kernels the flows need (the 1x1
# convolution's LU solve, the root search's loop), and their 8-11 bit
# mantissas cannot hold a log-det of thousands of dimensions.
SUPPORTED_FLOAT_DTYPES = (tf.float32, tf.float64)


def common_float_dtype(named_args):
  """The common floating dtype of the given arguments, naming a bad one.

  Raises:
    TypeError: if an argument's dtype is not float32 or float64 (e.g. an
      integer, float16 or bfloat16), or two arguments' dtypes differ.
  """
  dtype = None
  for arg, value in named_args.items():
    if value is None:
      continue
    arg_dtype = getattr(value, 'dtype', None)
    if arg_dtype is None:
      continue
    arg_dtype = tf.as_dtype(arg_dtype)
    if arg_dtype not in SUPPORTED_FLOAT_DTYPES:
      raise TypeError(f'Argument `{arg}` must be float32 or float64 (the supported dtypes); '
                      f'got {arg_dtype.name}.')
    if dtype is not None and arg_dtype != dtype:
      raise TypeError(
          f'Argument `{arg}` has dtype {arg_dtype.name} but other parameters have '
          f'{dtype.name}; use one floating dtype.')
    dtype = arg_dtype
  return dtype or tf.float32


def machine_epsilon(dtype):
  """The spacing of floats at 1 in `dtype` (a TF or NumPy floating dtype)."""
  return np.finfo(tf.as_dtype(dtype).as_numpy_dtype).eps


def check_integer(value, arg, minimum=0, maximum=None):
  """`value`, a count such as `num_steps`, checked where it is known before running.

  A Python or NumPy integer, or an integer tensor whose value is static
  (`tf.get_static_value`), is checked and returned as a Python `int`; an
  integer scalar tensor known only when the graph runs is returned as it
  is. Free of ops: safe to call once per public call.

  Args:
    value: the count.
    arg: the argument's name, for errors.
    minimum: smallest allowed value.
    maximum: largest allowed value, or None.

  Returns:
    A Python `int`, or the dynamic tensor.

  Raises:
    TypeError: if `value` is not an integer (a bool, float, string, ...).
    ValueError: if it is not a scalar or lies outside `[minimum, maximum]`.
  """
  if tf.is_tensor(value):
    if not value.dtype.is_integer:
      raise TypeError(f'Argument `{arg}` must be an integer; got a {value.dtype.name} tensor.')
    if value.shape.rank not in (None, 0):
      raise ValueError(f'Argument `{arg}` must be a scalar; got shape {value.shape}.')
    static = tf.get_static_value(value)
    if static is None:
      return value
    value = static
  if isinstance(value, np.ndarray) and value.ndim == 0:
    value = value[()]
  if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
    raise TypeError(f'Argument `{arg}` must be an integer; got {value!r} '
                    f'({type(value).__name__}).')
  value = int(value)
  if value < minimum or (maximum is not None and value > maximum):
    allowed = f'at least {minimum}' if maximum is None else f'in [{minimum}, {maximum}]'
    raise ValueError(f'Argument `{arg}` must be {allowed}; got {value}.')
  return value


def check_batch_shapes(properties, named_parameters, fitted=()):
  """Raises `ValueError` naming two parameters whose batch shapes do not broadcast.

  A parameter's batch shape is its shape less its `event_ndims` trailing
  axes, read from `properties` (the class's `parameter_properties()`). Static
  shapes only: unknown dimensions pass.

  A parameter named in `fitted` (an estimate of a function of the others,
  such as a supplied `log_normalizer`) must in addition leave the batch shape
  of the others as it is: an estimate of shape `[5]` cannot make five machines
  out of one.

  Args:
    properties: dict from argument name to `ParameterProperties`.
    named_parameters: iterable of `(argument_name, tensor_or_None)`.
    fitted: names of the parameters that must not widen the batch shape.
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
  model_batch = tf.TensorShape([])
  for arg, batch in seen:
    if arg not in fitted:
      model_batch = tf.broadcast_static_shape(model_batch, batch)
  for arg, batch in seen:
    if arg in fitted and not _broadcasts_to(batch, model_batch):
      raise ValueError(
          f'Argument `{arg}` has batch shape {batch}, wider than the batch shape '
          f'{model_batch} of the other parameters: it must broadcast to it.')


def _broadcasts_to(shape, target):
  """Whether static `shape` broadcasts to `target` without widening it; unknown sizes pass."""
  try:
    widened = tf.broadcast_static_shape(shape, target)
  except ValueError:
    return False
  return widened == target or not (shape.is_fully_defined() and target.is_fully_defined())


def proposal_parameters(proposal, own, dtype, owner, shape=None):
  """The `beta = 0` machine's parameters: `proposal` over the model's `own`.

  Args:
    proposal: None or a dict whose keys are among `own`'s.
    own: dict of the model's own values, used for the keys not given.
    dtype: dtype to convert the given values to.
    owner: the distribution's class name, for errors.
    shape: static `batch_shape + event_shape` of the machine; each given
      value must broadcast to it (a proposal's parameters are per unit of
      the chains' state).

  Returns:
    A dict with `own`'s keys, all tensors.

  Raises:
    TypeError: if `proposal` is neither None nor a dict, or a value is not
      a float array of `dtype`.
    ValueError: if it has a key that `own` lacks, or a value whose shape
      does not broadcast to `shape`.
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
  converted = {}
  for arg, value in proposal.items():
    try:
      converted[arg] = tf.convert_to_tensor(value, dtype=dtype, name=arg)
    except (TypeError, ValueError):
      raise TypeError(
          f"Argument `proposal['{arg}']` of {owner} must be a float array of dtype "
          f'{tf.as_dtype(dtype).name}; got {type(value).__name__}.') from None
    if shape is not None and not _broadcasts_to(converted[arg].shape, shape):
      raise ValueError(
          f"Argument `proposal['{arg}']` of {owner} has shape {converted[arg].shape}; "
          f'it must broadcast to the batch and event shape {shape} of the machine.')
  return {arg: converted[arg] if arg in converted else tf.convert_to_tensor(value)
          for arg, value in own.items()}


def convert_value(value, dtype, arg):
  """A tensor or variable as a tensor of its own dtype; other values converted to `dtype`.

  The dtype of a tensor is left for `check_event_value` to check, so that
  the error names `arg`.
  """
  return tf.convert_to_tensor(value, dtype=None if tf.is_tensor(value) else dtype, name=arg)


def check_event_value(value, dtype, event_size, arg, batch_shape=None):
  """Raises, naming `arg`, unless `value` fits the distribution's dtype and shapes.

  `value` must have `dtype`, `event_size` units on its last axis and, with
  `batch_shape`, leading dimensions that broadcast with it (`value` is
  `sample_shape + batch_shape + [event_size]`). Static only: an unknown size
  passes, and no op is added to the graph.
  """
  if value.dtype != dtype:
    raise TypeError(f'Argument `{arg}` has dtype {value.dtype.name}, but the distribution '
                    f'has dtype {dtype.name}.')
  size = value.shape[-1] if value.shape.rank else None
  if value.shape.rank == 0 or (None not in (size, event_size) and size != event_size):
    raise ValueError(f'Argument `{arg}` must have shape [..., {event_size}]; got shape '
                     f'{value.shape}.')
  if batch_shape is not None and value.shape.rank is not None:
    try:
      tf.broadcast_static_shape(value.shape[:-1], batch_shape)
    except ValueError:
      raise ValueError(
          f'Argument `{arg}` has shape {value.shape}, whose leading dimensions '
          f'{value.shape[:-1]} do not broadcast with the batch shape {batch_shape} of the '
          f'distribution: it must have shape sample_shape + batch_shape + [{event_size}].'
      ) from None


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
  return [tf.debugging.assert_equal(
      tf.reduce_all(tf.math.is_finite(tensor)), True,
      message=f'Argument `{arg}` must be finite (found NaN or Inf).')
          for arg, tensor in named_tensors.items()]


def value_assertions(distribution, value, arg, spins=False):
  """Checks of `value`, a point of `distribution`'s event space, naming `arg`.

  Its dtype, event size and batch dimensions are checked statically
  (raising at once, no op added); under `validate_args`, assertions that it is finite and, with
  `spins`, that each entry is -1 or +1.
  """
  check_event_value(value, distribution.dtype,
                    tf.compat.dimension_value(distribution.event_shape[-1]), arg,
                    distribution.batch_shape)
  if not distribution.validate_args:
    return []
  assertions = finite_assertions({arg: value})
  if spins:
    assertions.append(tf.debugging.assert_equal(
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
