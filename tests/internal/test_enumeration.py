"""The chunked sums over binary and spin states against NumPy, across chunks and under XLA."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.internal import enumeration


def _log_weight_fn(weights):
  """`log w(x) = x^T A x` for a batch of two matrices `A`, states `[k, n]` -> `[2, k]`."""
  return lambda states: tf.einsum('ki,bij,kj->bk', states, weights, states)


@pytest.mark.parametrize('spins', [False, True])
@pytest.mark.parametrize('jit_compile', [False, True])
def test_expectations_and_argmax_match_numpy_across_chunks(spins, jit_compile):
  num_bits = 6
  weights = tf.constant(np.random.default_rng(0).normal(size=[2, num_bits, num_bits]))
  states = np.array(list(itertools.product([0., 1.], repeat=num_bits)))[:, ::-1]
  if spins:
    states = 2. * states - 1.
  log_w = np.einsum('ki,bij,kj->bk', states, weights.numpy(), states)
  p = np.exp(log_w - np.logaddexp.reduce(log_w, axis=-1, keepdims=True))

  expectations = (enumeration.expectations_over_spin_states if spins
                  else enumeration.expectations_over_binary_states)
  argmax = (enumeration.argmax_over_spin_states if spins
            else enumeration.argmax_over_binary_states)

  def log_weight_and_values(x):
    log_weight = _log_weight_fn(weights)(x)
    return log_weight, {'x': x, 'log_w': log_weight[..., tf.newaxis]}

  @tf.function(jit_compile=jit_compile)
  def compute():
    log_z, averages = expectations(log_weight_and_values, num_bits, tf.float64, chunk_bits=2)
    return log_z, averages, argmax(_log_weight_fn(weights), num_bits, tf.float64, chunk_bits=2)

  log_z, averages, mode = compute()
  np.testing.assert_allclose(log_z.numpy(), np.logaddexp.reduce(log_w, axis=-1), rtol=1e-12)
  np.testing.assert_allclose(averages['x'].numpy(), p @ states, rtol=1e-12, atol=1e-12)
  np.testing.assert_allclose(averages['log_w'].numpy()[:, 0], np.sum(p * log_w, axis=-1),
                             rtol=1e-12)
  np.testing.assert_array_equal(mode.numpy(), states[np.argmax(log_w, axis=-1)])


def test_expectations_are_finite_for_weights_that_overflow_exp():
  """Running log-sums: log-weights of 1e4 would overflow `exp` in any dtype."""
  log_z, averages = enumeration.expectations_over_binary_states(
      lambda x: (1e4 * tf.reduce_sum(x, axis=-1), {'x': x}), 4, tf.float32, chunk_bits=1)
  np.testing.assert_allclose(log_z.numpy(), 4e4)
  np.testing.assert_allclose(averages['x'].numpy(), np.ones(4))


@pytest.mark.parametrize('chunk_bits', [2, 6])
@pytest.mark.parametrize('jit_compile', [False, True])
def test_projected_logsumexp_matches_numpy_across_chunks(chunk_bits, jit_compile):
  """`logsumexp_x f(x P)` for a batch of two `P` `[5, 3]`, chunks of 4 states or one chunk."""
  num_bits = 5
  projection = tf.constant(np.random.default_rng(1).normal(size=[2, num_bits, 3]))
  states = np.array(list(itertools.product([0., 1.], repeat=num_bits)))[:, ::-1]
  products = np.einsum('ki,bim->bkm', states, projection.numpy())
  log_w = np.sin(3. * products[..., 0]) * products[..., 1] + np.cos(products[..., 2])
  log_weight = lambda p: tf.sin(3. * p[..., 0]) * p[..., 1] + tf.cos(p[..., 2])
  compute = tf.function(lambda: enumeration.logsumexp_over_projected_binary_states(
      log_weight, projection, chunk_bits=chunk_bits), jit_compile=jit_compile)
  np.testing.assert_allclose(compute().numpy(), np.logaddexp.reduce(log_w, axis=-1),
                             rtol=1e-12)
