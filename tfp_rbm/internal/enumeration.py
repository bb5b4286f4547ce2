"""Exact sums over every state of a binary or spin layer, in bounded memory.

`logsumexp_over_binary_states` visits the `2^n` states in chunks inside a
`tf.while_loop` (it compiles under XLA); the spin version maps `s = 2 b - 1`;
`logsumexp_over_projected_binary_states` sums a log-weight of `x P` (an
RBM's input to its other layer) with one addition per state and column.
`expectations_over_binary_states` accumulates weighted averages (moments,
`E[log p~]`) and `argmax_over_binary_states` the most probable state, one
chunk at a time, so memory is bounded by one chunk whatever the layer size.
"""

import math

import numpy as np
import tensorflow as tf

__all__ = [
    'MAX_ENUMERATION_BITS',
    'argmax_over_binary_states',
    'argmax_over_spin_states',
    'binary_states',
    'bits_within_value_budget',
    'check_enumeration_bits',
    'expectations_over_binary_states',
    'expectations_over_spin_states',
    'logsumexp_over_binary_states',
    'logsumexp_over_projected_binary_states',
    'logsumexp_over_spin_states',
]

# 2^24 states of a 784-unit layer take minutes: beyond this, estimate log Z.
MAX_ENUMERATION_BITS = 24
_DEFAULT_CHUNK_BITS = 12
# The values one chunk of states (or one log Z in a training step) may hold: 16 MiB of float32.
_VALUE_BUDGET_BITS = 22


def bits_within_value_budget(values_per_state):
  """The most bits `n` with `2^n * values_per_state <= 2^22` (at least 0)."""
  return max(0, int(math.floor(_VALUE_BUDGET_BITS - math.log2(values_per_state))))


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
  chunk_size = 2 ** chunk_bits

  def chunk_logsumexp(chunk):
    indices = tf.range(chunk_size, dtype=tf.int64) + tf.cast(chunk, tf.int64) * chunk_size
    return tf.reduce_logsumexp(
        log_weight_fn(binary_states(indices, num_bits, dtype)), axis=-1)

  return _logsumexp_over_chunks(chunk_logsumexp, 2 ** (num_bits - chunk_bits), dtype)


def logsumexp_over_projected_binary_states(log_weight_fn, projection,
                                           chunk_bits=_DEFAULT_CHUNK_BITS):
  """`logsumexp_x log_weight_fn(x P)` over all `x in {0,1}^n`, `P = projection`.

  For a log-weight that depends on the state only through its product with
  a matrix (an RBM's input to the other layer, with a bias column): the
  states of a chunk share their high bits, so `x P` is the product of the
  low bits (the same `[2^chunk_bits, m]` block for every chunk, computed
  once) plus one row for the chunk's high bits. One addition per state and
  column instead of `n` multiply-adds; otherwise as
  `logsumexp_over_binary_states` (chunked, bounded memory, XLA).

  Args:
    log_weight_fn: maps products of shape `batch_shape + [k, m]` to
      log-weights of shape `batch_shape + [k]`.
    projection: float tensor of shape `batch_shape + [n, m]`, `n` static and
      at most `MAX_ENUMERATION_BITS`; row `j` multiplies bit `j`.
    chunk_bits: Python int, log2 of the chunk size.

  Returns:
    Tensor of shape `batch_shape`.
  """
  num_bits = projection.shape[-2]
  dtype = projection.dtype
  chunk_bits = min(chunk_bits, num_bits)
  low_states = binary_states(tf.range(2 ** chunk_bits, dtype=tf.int64), chunk_bits, dtype)
  low = tf.linalg.matmul(low_states, projection[..., :chunk_bits, :])  # [..., 2^c, m]

  def chunk_logsumexp(chunk):
    if chunk_bits == num_bits:
      return tf.reduce_logsumexp(log_weight_fn(low), axis=-1)
    high_state = binary_states(tf.reshape(tf.cast(chunk, tf.int64), [1]),
                               num_bits - chunk_bits, dtype)
    high = tf.linalg.matmul(high_state, projection[..., chunk_bits:, :])  # [..., 1, m]
    return tf.reduce_logsumexp(log_weight_fn(low + high), axis=-1)

  return _logsumexp_over_chunks(chunk_logsumexp, 2 ** (num_bits - chunk_bits), dtype)


def _logsumexp_over_chunks(chunk_logsumexp, num_chunks, dtype):
  """`logsumexp` of `chunk_logsumexp(chunk)` over `chunk in [0, num_chunks)`, one at a time."""
  if num_chunks == 1:
    return chunk_logsumexp(0)
  per_chunk = tf.map_fn(
      chunk_logsumexp, tf.range(num_chunks, dtype=tf.int64),
      fn_output_signature=dtype, parallel_iterations=1)
  return tf.reduce_logsumexp(per_chunk, axis=0)


def logsumexp_over_spin_states(log_weight_fn, num_bits, dtype,
                               chunk_bits=_DEFAULT_CHUNK_BITS):
  """`logsumexp` of `log_weight_fn(s)` over all spins `s in {-1,+1}^num_bits`.

  `logsumexp_over_binary_states` with each state mapped by `s = 2 b - 1`:
  chunked, bounded memory, compiles under XLA.
  """
  return logsumexp_over_binary_states(
      lambda bits: log_weight_fn(2. * bits - 1.), num_bits, dtype, chunk_bits)


def _fold_over_chunks(chunk_fn, combine, num_bits, chunk_bits):
  """`combine`s `chunk_fn(indices)` over the chunks of `2^chunk_bits` state indices.

  A `tf.while_loop` whose state is one chunk's result: bounded memory, and
  it compiles (and differentiates) under XLA.
  """
  chunk_bits = min(chunk_bits, num_bits)
  num_chunks = 2 ** (num_bits - chunk_bits)
  chunk_size = 2 ** chunk_bits

  def chunk_result(chunk):
    return chunk_fn(tf.range(chunk_size, dtype=tf.int64) + chunk * chunk_size)

  first = chunk_result(tf.constant(0, tf.int64))
  if num_chunks == 1:
    return first
  _, total = tf.while_loop(
      lambda chunk, _: chunk < num_chunks,
      lambda chunk, total: (chunk + 1, combine(total, chunk_result(chunk))),
      (tf.constant(1, tf.int64), first),
      maximum_iterations=num_chunks - 1, parallel_iterations=1)
  return total


def expectations_over_binary_states(log_weight_and_values_fn, num_bits, dtype,
                                    chunk_bits=_DEFAULT_CHUNK_BITS):
  """`log sum_x w(x)` and `E[f(x)] = sum_x w(x) f(x) / sum_x w(x)` over `{0,1}^num_bits`.

  Each chunk's weighted average is merged into the running one with the
  weights' running log-sum, so nothing overflows and memory is one chunk.

  Args:
    log_weight_and_values_fn: maps states of shape `[k, num_bits]` to
      `(log_w, values)`: log-weights of shape `batch_shape + [k]` and a dict
      of tensors of shape `batch_shape + [k, m]` (each broadcasting with
      `log_w[..., tf.newaxis]`).
    num_bits: Python int, at most `MAX_ENUMERATION_BITS`.
    dtype: floating dtype of the states.
    chunk_bits: Python int, log2 of the chunk size.

  Returns:
    `(log_normalizer, averages)`: `log sum_x w(x)`, shape `batch_shape`, and
    a dict of the weighted averages, each of shape `batch_shape + [m]`.
  """

  def chunk_fn(indices):
    log_w, values = log_weight_and_values_fn(binary_states(indices, num_bits, dtype))
    log_total = tf.reduce_logsumexp(log_w, axis=-1)
    weights = tf.exp(log_w - log_total[..., tf.newaxis])[..., tf.newaxis]
    return log_total, {name: tf.reduce_sum(weights * value, axis=-2)
                       for name, value in values.items()}

  def combine(total, chunk):
    (log_a, mean_a), (log_b, mean_b) = total, chunk
    log_total = tf.reduce_logsumexp(tf.stack([log_a, log_b]), axis=0)
    share_a = tf.exp(log_a - log_total)[..., tf.newaxis]
    share_b = tf.exp(log_b - log_total)[..., tf.newaxis]
    return log_total, {name: share_a * mean_a[name] + share_b * mean_b[name]
                       for name in mean_a}

  return _fold_over_chunks(chunk_fn, combine, num_bits, chunk_bits)


def expectations_over_spin_states(log_weight_and_values_fn, num_bits, dtype,
                                  chunk_bits=_DEFAULT_CHUNK_BITS):
  """`expectations_over_binary_states` over spins `s = 2 b - 1 in {-1,+1}^num_bits`."""
  return expectations_over_binary_states(
      lambda bits: log_weight_and_values_fn(2. * bits - 1.), num_bits, dtype, chunk_bits)


def argmax_over_binary_states(log_weight_fn, num_bits, dtype,
                              chunk_bits=_DEFAULT_CHUNK_BITS):
  """The state of `{0,1}^num_bits` with the largest `log_weight_fn(state)`.

  Args:
    log_weight_fn: maps states of shape `[k, num_bits]` to log-weights of
      shape `batch_shape + [k]`.
    num_bits: Python int, at most `MAX_ENUMERATION_BITS`.
    dtype: floating dtype of the states.
    chunk_bits: Python int, log2 of the chunk size.

  Returns:
    Tensor of shape `batch_shape + [num_bits]`; ties go to the lowest index.
  """

  def chunk_fn(indices):
    log_w = log_weight_fn(binary_states(indices, num_bits, dtype))
    return tf.reduce_max(log_w, axis=-1), tf.gather(indices, tf.argmax(log_w, axis=-1))

  def combine(best, chunk):
    chunk_is_better = chunk[0] > best[0]
    return (tf.where(chunk_is_better, chunk[0], best[0]),
            tf.where(chunk_is_better, chunk[1], best[1]))

  _, best_index = _fold_over_chunks(chunk_fn, combine, num_bits, chunk_bits)
  states = binary_states(tf.reshape(best_index, [-1]), num_bits, dtype)
  return tf.reshape(states, tf.concat([tf.shape(best_index), [num_bits]], axis=0))


def argmax_over_spin_states(log_weight_fn, num_bits, dtype, chunk_bits=_DEFAULT_CHUNK_BITS):
  """`argmax_over_binary_states` over spins `s = 2 b - 1`, returned as spins."""
  return 2. * argmax_over_binary_states(
      lambda bits: log_weight_fn(2. * bits - 1.), num_bits, dtype, chunk_bits) - 1.


def check_enumeration_bits(max_enumeration_bits):
  """Raises `ValueError` unless `0 <= max_enumeration_bits <= MAX_ENUMERATION_BITS`."""
  if (isinstance(max_enumeration_bits, bool)
      or not isinstance(max_enumeration_bits, (int, np.integer))
      or not 0 <= max_enumeration_bits <= MAX_ENUMERATION_BITS):
    raise ValueError(
        f'Argument `max_enumeration_bits` must be an integer in [0, {MAX_ENUMERATION_BITS}] '
        f'(exact log Z enumerates 2^bits states); got {max_enumeration_bits!r}.')
