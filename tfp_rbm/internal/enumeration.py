"""Exact sums over every state of a binary or spin layer, in bounded memory.

`logsumexp_over_binary_states` visits the `2^n` states in chunks inside a
`tf.while_loop` (it compiles under XLA); the spin version maps `s = 2 b - 1`.
"""

import numpy as np
import tensorflow as tf

__all__ = [
    'MAX_ENUMERATION_BITS',
    'binary_states',
    'check_enumeration_bits',
    'logsumexp_over_binary_states',
    'logsumexp_over_spin_states',
]

# 2^24 states of a 784-unit layer take minutes: beyond this, estimate log Z.
MAX_ENUMERATION_BITS = 24
_DEFAULT_CHUNK_BITS = 12


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


def logsumexp_over_spin_states(log_weight_fn, num_bits, dtype,
                               chunk_bits=_DEFAULT_CHUNK_BITS):
  """`logsumexp` of `log_weight_fn(s)` over all spins `s in {-1,+1}^num_bits`.

  `logsumexp_over_binary_states` with each state mapped by `s = 2 b - 1`:
  chunked, bounded memory, compiles under XLA.
  """
  return logsumexp_over_binary_states(
      lambda bits: log_weight_fn(2. * bits - 1.), num_bits, dtype, chunk_bits)


def check_enumeration_bits(max_enumeration_bits):
  """Raises `ValueError` unless `0 <= max_enumeration_bits <= MAX_ENUMERATION_BITS`."""
  if (isinstance(max_enumeration_bits, bool)
      or not isinstance(max_enumeration_bits, (int, np.integer))
      or not 0 <= max_enumeration_bits <= MAX_ENUMERATION_BITS):
    raise ValueError(
        f'Argument `max_enumeration_bits` must be an integer in [0, {MAX_ENUMERATION_BITS}] '
        f'(exact log Z enumerates 2^bits states); got {max_enumeration_bits!r}.')
