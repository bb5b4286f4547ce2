"""Math shared by the Boltzmann-machine distributions.

Pure functions over tensors: the stable `log(2 cosh a)`, the binary states of
a layer in lexicographic order, a chunked `logsumexp` over all `2^n` states
that runs in bounded memory, and the dense products between layers that
broadcast batches of machines. For machines over spins `s in {-1, +1}^n`:
the same enumeration over spin states, independent spin draws, the
distribution of independent spins, and the spectral norm (exact, and a
certified upper bound that compiles well under XLA) that bounds the coupling
of a Gaussian-smoothed machine. The argument checks that every
distribution here shares: static shape and dtype checks that raise at once,
and value assertions for `validate_args`.
"""

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import control_flow_util  # pylint: disable=g-direct-tensorflow-import
from tensorflow_probability.python.distributions import finite_discrete
from tensorflow_probability.python.distributions import independent
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import tensor_util

__all__ = [
    'MAX_ENUMERATION_BITS',
    'SPECTRAL_BOUND_SQUARINGS',
    'annealing_base_parameters',
    'broadcast_to_batch_and_event',
    'check_batch_shapes',
    'check_enumeration_bits',
    'check_event_value',
    'common_float_dtype',
    'convert_value',
    'finite_assertions',
    'parameters_to_validate',
    'value_assertions',
    'bernoulli_sample',
    'binary_states',
    'hidden_to_visible',
    'independent_spins',
    'log_cosh2',
    'logsumexp_over_binary_states',
    'logsumexp_over_spin_states',
    'normal_from_uniform',
    'sample_spins',
    'spectral_norm',
    'spectral_norm_bound',
    'standard_normal',
    'uniform',
    'visible_to_hidden',
]


# 2^24 states of a 784-unit layer take minutes: beyond this, estimate log Z.
MAX_ENUMERATION_BITS = 24
_DEFAULT_CHUNK_BITS = 12
# `spectral_norm_bound` squares the Gram matrix this many times: it exceeds
# `||M||_2` by a factor of at most `rank^(1/256)` (1.03 at rank 1536).
SPECTRAL_BOUND_SQUARINGS = 6


def log_cosh2(a):
  """`log(2 cosh a) = |a| + softplus(-2|a|)`, finite for any real `a`."""
  abs_a = tf.abs(a)
  return abs_a + tf.math.softplus(-2. * abs_a)


def binary_states(indices, num_bits, dtype):
  """The `{0,1}^num_bits` states with the given integer indices.

  Args:
    indices: int64 tensor of shape `[k]`, values in `[0, 2^num_bits)`.
    num_bits: Python int.
    dtype: dtype of the result.

  Returns:
    Tensor of shape `[k, num_bits]`; bit `j` of state `i` is `(i >> j) & 1`.
  """
  shifts = tf.range(num_bits, dtype=tf.int64)
  bits = tf.bitwise.bitwise_and(
      tf.bitwise.right_shift(indices[:, tf.newaxis], shifts), tf.constant(1, tf.int64))
  return tf.cast(bits, dtype)


def logsumexp_over_binary_states(log_weight_fn, num_bits, dtype,
                                 chunk_bits=_DEFAULT_CHUNK_BITS):
  """`logsumexp` of `log_weight_fn(state)` over all states in `{0,1}^num_bits`.

  The states are visited in chunks of `2^chunk_bits`, so memory is bounded by
  one chunk whatever `num_bits` is; the loop is a `tf.while_loop` and
  compiles under XLA.

  Args:
    log_weight_fn: maps states of shape `[k, num_bits]` to log-weights of
      shape `batch_shape + [k]`.
    num_bits: Python int, at most `MAX_ENUMERATION_BITS`.
    dtype: floating dtype of the states.
    chunk_bits: Python int, log2 of the chunk size.

  Returns:
    Tensor of shape `batch_shape`.
  """
  chunk_bits = min(chunk_bits, num_bits)
  num_chunks = 2 ** (num_bits - chunk_bits)
  chunk_size = 2 ** chunk_bits

  def chunk_logsumexp(chunk):
    indices = tf.range(chunk_size, dtype=tf.int64) + tf.cast(chunk, tf.int64) * chunk_size
    return tf.reduce_logsumexp(
        log_weight_fn(binary_states(indices, num_bits, dtype)), axis=-1)

  if num_chunks == 1:
    return chunk_logsumexp(0)
  per_chunk = tf.map_fn(
      chunk_logsumexp, tf.range(num_chunks, dtype=tf.int64),
      fn_output_signature=dtype, parallel_iterations=1)
  return tf.reduce_logsumexp(per_chunk, axis=0)


def _rng_algorithm():
  """Threefry under XLA, TF's default elsewhere.

  Under XLA on CPU, threefry is 2-3x faster than the default generator, whose
  noise otherwise costs more than a Gibbs sweep's matrix products
  (benchmarks/gibbs.py); TF's non-XLA kernels implement only the default.
  """
  if control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()):
    return 'threefry'
  return 'auto_select'


def uniform(shape, seed, dtype):
  """Stateless `U[0, 1)` noise of the given shape."""
  return tf.random.stateless_uniform(shape, seed, dtype=dtype, alg=_rng_algorithm())


def standard_normal(shape, seed, dtype):
  """Stateless `N(0, 1)` noise of the given shape, by inverting the normal CDF.

  `sqrt(2) erfinv(2 u - 1 + eps)`, `u` uniform on the grid `{k eps}` of
  `[0, 1)` that `stateless_uniform` draws from (`eps` the dtype's machine
  epsilon): the points are the grid's midpoints mapped to `(-1, 1)`,
  symmetric and never `+-1`, so the draws are symmetric and finite
  (`|z| <= 5.3` in float32). Under XLA on a CPU this is 2.5x faster than
  `tf.random.stateless_normal`, whose Box-Muller transform evaluates a sine
  and a cosine per pair (27 ms against 67 ms for 10,000 x 784 draws) and
  cost as much as a matrix product in a Gaussian-Bernoulli Gibbs sweep.
  """
  return normal_from_uniform(
      tf.random.stateless_uniform(shape, seed, dtype=dtype, alg=_rng_algorithm()))


def normal_from_uniform(u):
  """`sqrt(2) erfinv(2 u - 1 + eps)`: `N(0, 1)` from `u` uniform on `{k eps}` in `[0, 1)`."""
  eps = np.finfo(u.dtype.as_numpy_dtype).eps
  return np.sqrt(2.) * tf.math.erfinv(2. * u - 1. + eps)


def bernoulli_sample(logits, seed):
  """Draws `{0, 1}` units with `p(1) = sigmoid(logits)`, in the logits' dtype."""
  u = uniform(tf.shape(logits), seed, logits.dtype)
  return tf.cast(u < tf.sigmoid(logits), logits.dtype)


def visible_to_hidden(visible, weights):
  """`(W^T v)_j = sum_i v_i W_ij`, broadcasting sample and batch dimensions."""
  if weights.shape.rank == 2:
    # A single machine: one dense matmul over all leading dimensions.
    flat = tf.reshape(visible, [-1, tf.shape(visible)[-1]])
    product = tf.matmul(flat, weights)
    return tf.reshape(product, tf.concat([tf.shape(visible)[:-1], tf.shape(weights)[-1:]], 0))
  return tf.einsum('...i,...ij->...j', visible, weights)


def hidden_to_visible(hidden, weights):
  """`(W h)_i = sum_j W_ij h_j`, broadcasting sample and batch dimensions."""
  if weights.shape.rank == 2:
    flat = tf.reshape(hidden, [-1, tf.shape(hidden)[-1]])
    product = tf.matmul(flat, weights, transpose_b=True)
    return tf.reshape(product, tf.concat([tf.shape(hidden)[:-1], tf.shape(weights)[-2:-1]], 0))
  return tf.einsum('...j,...ij->...i', hidden, weights)


def log_two(dtype):
  return tf.constant(np.log(2.), dtype)


def logsumexp_over_spin_states(log_weight_fn, num_bits, dtype,
                               chunk_bits=_DEFAULT_CHUNK_BITS):
  """`logsumexp` of `log_weight_fn(s)` over all spins `s in {-1,+1}^num_bits`.

  `logsumexp_over_binary_states` with each state mapped by `s = 2 b - 1`:
  chunked, bounded memory, compiles under XLA.
  """
  return logsumexp_over_binary_states(
      lambda bits: log_weight_fn(2. * bits - 1.), num_bits, dtype, chunk_bits)


def sample_spins(local_field, seed):
  """Independent spins with `p(s_i = +1) = sigmoid(2 x_i)`, `x` the local field.

  That is `p(s_i) = exp(x_i s_i) / (2 cosh x_i)`; stateless in `seed`.
  """
  return 2. * bernoulli_sample(2. * local_field, seed) - 1.


def independent_spins(local_field):
  """`p(s) = prod_i exp(x_i s_i) / (2 cosh x_i)` over `{-1,+1}^n` as a distribution.

  A TFP distribution with event shape `[n]` whose samples and `log_prob`
  arguments are the spins themselves (values -1. and +1.).
  """
  outcomes = tf.constant([-1., 1.], dtype=local_field.dtype)
  return independent.Independent(
      finite_discrete.FiniteDiscrete(
          outcomes, logits=tf.stack([-local_field, local_field], axis=-1)),
      reinterpreted_batch_ndims=1)


def spectral_norm(matrix):
  """Largest singular value `||M||_2` of each matrix of a batch, by exact SVD.

  Differentiable: its gradient is `u v^T` for the top singular pair.
  """
  return tf.linalg.svd(matrix, compute_uv=False)[..., 0]


def spectral_norm_bound(matrix, num_squarings=SPECTRAL_BOUND_SQUARINGS):
  """A certified upper bound on `||M||_2`, by repeated squaring: only matmuls.

  With `G = M^T M` (or `M M^T`, whichever is smaller), `p = 2^(k+2)` and
  `k = num_squarings`:

  ```none
  ||M||_2 <= ||G^(2^k)||_F^(2/p) = (sum_i sigma_i^p)^(1/p) <= rank^(1/p) ||M||_2
  ```

  Each squaring is preceded by a division by the Frobenius norm, whose log is
  carried separately, so nothing overflows or underflows. Unlike `svd`
  (a slow Jacobi loop when XLA compiles it on a CPU: 50 s for 272 x 512), it
  costs `k + 1` matrix products of the smaller side, and it is a smooth
  function of `M` with the gradient of those products.

  Args:
    matrix: float tensor, `batch_shape + [m, n]`.
    num_squarings: Python `int` `k >= 0`; the bound is within a factor
      `rank^(1/2^(k+2))` of `||M||_2`.

  Returns:
    Float tensor, `batch_shape`, `>= ||M||_2` (and `> 0`, even for `M = 0`).
  """
  with tf.name_scope('spectral_norm_bound'):
    # `M / max|M|` first, so that no sum of squares overflows.
    largest = tf.reduce_max(tf.abs(matrix), axis=[-2, -1])
    largest = tf.where(largest > 0., largest, tf.ones_like(largest))
    unit = matrix / largest[..., tf.newaxis, tf.newaxis]
    rows, cols = matrix.shape[-2], matrix.shape[-1]
    gram = tf.linalg.matmul(unit, unit, transpose_a=rows >= cols, transpose_b=rows < cols)
    # G^(2^j) = exp(log_scale) * gram after j squarings.
    log_scale = 2. * tf.math.log(largest)
    tiny = np.finfo(matrix.dtype.as_numpy_dtype).tiny
    for _ in range(num_squarings):
      frobenius = tf.sqrt(tf.reduce_sum(tf.square(gram), axis=[-2, -1]) + tiny)
      normalized = gram / frobenius[..., tf.newaxis, tf.newaxis]
      gram = tf.linalg.matmul(normalized, normalized)
      log_scale = 2. * (log_scale + tf.math.log(frobenius))
    # `tiny` only raises the norm, so the bound stays an upper bound.
    log_frobenius = 0.5 * tf.math.log(tf.reduce_sum(tf.square(gram), axis=[-2, -1]) + tiny)
    return tf.exp((log_scale + log_frobenius) / 2. ** (num_squarings + 1))


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


def check_enumeration_bits(max_enumeration_bits):
  """Raises `ValueError` unless `0 <= max_enumeration_bits <= MAX_ENUMERATION_BITS`."""
  if (isinstance(max_enumeration_bits, bool)
      or not isinstance(max_enumeration_bits, (int, np.integer))
      or not 0 <= max_enumeration_bits <= MAX_ENUMERATION_BITS):
    raise ValueError(
        f'Argument `max_enumeration_bits` must be an integer in [0, {MAX_ENUMERATION_BITS}] '
        f'(exact log Z enumerates 2^bits states); got {max_enumeration_bits!r}.')


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


def annealing_base_parameters(annealing_base, own, dtype, owner):
  """The `beta = 0` machine's parameters: `annealing_base` over the model's `own`.

  Args:
    annealing_base: None or a dict whose keys are among `own`'s.
    own: dict of the model's own values, used for the keys not given.
    dtype: dtype to convert the given values to.
    owner: the distribution's class name, for errors.

  Returns:
    A dict with `own`'s keys, all tensors.

  Raises:
    TypeError: if `annealing_base` is neither None nor a dict.
    ValueError: if it has a key that `own` lacks.
  """
  if annealing_base is None:
    annealing_base = {}
  if not isinstance(annealing_base, dict):
    raise TypeError(
        "Argument `annealing_base` must be a dict of the beta = 0 machine's parameters "
        f'(e.g. from `annealing_base(points)`) or None; got {type(annealing_base).__name__}.')
  unknown = sorted(set(annealing_base) - set(own))
  if unknown:
    raise ValueError(f'Argument `annealing_base` of {owner} takes the keys {sorted(own)}; '
                     f'got unknown {unknown}.')
  return {arg: (tf.convert_to_tensor(annealing_base[arg], dtype=dtype, name=arg)
                if arg in annealing_base else tf.convert_to_tensor(value))
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
