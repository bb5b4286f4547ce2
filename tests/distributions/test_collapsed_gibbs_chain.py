"""The Gaussian-Bernoulli RBM's chain with its visible layer integrated out: same law as sweeps.

Two sweeps from a fixed `v_0` of a 3x2 machine (and of the same machine with
three labels): the law of `v_2` is exact by enumerating `h_0` and `h_1` (4
states each, the label summed out) with the transition `p(h_1 | h_0)` a 2-D
Gaussian integral of the hidden input (Gauss-Hermite, 60x60 nodes).
`run_gibbs` (the integrated chain) and `tfp.mcmc`'s sweeps
(`BlockGibbsKernel`) must both match its mean and covariance.
"""

import itertools

import numpy as np
import pytest
import scipy.special
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import mcmc
from tfp_rbm.distributions import GaussianBernoulliRBM
from tfp_rbm.distributions import LabeledGaussianBernoulliRBM

W = np.array([[0.9, -0.6], [0.4, 1.1], [-0.7, 0.3]])
B = np.array([0.2, -0.3, 0.5])
C = np.array([-0.4, 0.6])
SIGMA = np.array([0.8, 1.2, 1.0])
V0 = np.array([0.5, -1.0, 1.5])
U = np.array([[1.5, -0.5], [-1.0, 0.8], [0.2, 0.1]])  # three labels
D = np.array([0.3, -0.2, 0.0])
STATES = np.array(list(itertools.product([0., 1.], repeat=2)))


def _state_probs(hidden_input):
  """`p(h)` of the 4 states for independent units with logits `hidden_input` `[..., 2]`."""
  p = scipy.special.expit(hidden_input)[..., np.newaxis, :]
  return np.prod(np.where(STATES == 1., p, 1. - p), axis=-1)


def _labelled_state_probs(hidden_input):
  """`p(h | a) = sum_y p(y | a) p(h | a, y)` of the labelled machine, `a` the hidden input."""
  inputs = hidden_input[..., np.newaxis, :] + U  # [..., K, 2]
  log_label = D + np.sum(np.logaddexp(0., inputs), axis=-1)
  p_label = scipy.special.softmax(log_label, axis=-1)
  return np.einsum('...k,...ks->...s', p_label, _state_probs(inputs))


def _exact_moments_of_v2(state_probs=_state_probs):
  p_h0 = state_probs(C + W.T @ (V0 / SIGMA))
  nodes, weights = np.polynomial.hermite_e.hermegauss(60)  # for N(0, 1)
  weights = weights / weights.sum()
  x = np.stack(np.meshgrid(nodes, nodes, indexing='ij'), -1).reshape(-1, 2)
  wx = np.outer(weights, weights).reshape(-1)
  chol = np.linalg.cholesky(W.T @ W)
  transition = np.stack([
      wx @ state_probs(C + W.T @ (B / SIGMA) + W.T @ W @ h0 + x @ chol.T) for h0 in STATES])
  p_h1 = p_h0 @ transition
  means = B + SIGMA * (STATES @ W.T)  # E[v | h_1], [4, 3]
  mean = p_h1 @ means
  centred = means - mean
  covariance = np.diag(SIGMA ** 2) + np.einsum('k,ki,kj->ij', p_h1, centred, centred)
  return mean, covariance


@pytest.mark.parametrize('labels', [False, True])
@pytest.mark.parametrize('sampler', ['run_gibbs', 'block_gibbs_kernel'])
def test_two_sweeps_have_the_exact_law_of_v2(sampler, labels):
  rbm = (LabeledGaussianBernoulliRBM(W, B, C, SIGMA, U, D) if labels
         else GaussianBernoulliRBM(W, B, C, SIGMA))
  n = 200_000
  start = tf.constant(np.tile(V0, [n, 1]))
  if sampler == 'run_gibbs':
    v2 = mcmc.run_gibbs(rbm, start, 2, seed=(4, 2)).numpy()
  else:
    v2 = tfp.mcmc.sample_chain(1, start, kernel=mcmc.BlockGibbsKernel(rbm),
                               num_burnin_steps=1, trace_fn=None, seed=(4, 2))[0].numpy()
  mean, covariance = _exact_moments_of_v2(_labelled_state_probs if labels else _state_probs)
  standard_error = np.sqrt(np.diag(covariance) / n)
  np.testing.assert_array_less(np.abs(v2.mean(0) - mean), 5. * standard_error)
  np.testing.assert_allclose(np.cov(v2, rowvar=False), covariance, atol=0.02)


def test_the_integrated_chain_runs_for_zero_steps_batches_and_xla():
  """A batch of two machines; zero steps returns the start; graph as eager; XLA compiles it."""
  rbm = GaussianBernoulliRBM(np.stack([W, -W]), np.stack([B, B]), np.stack([C, C]),
                             np.stack([SIGMA, SIGMA]))
  start = tf.constant(np.tile(V0, [50, 2, 1]))
  np.testing.assert_array_equal(mcmc.run_gibbs(rbm, start, 0, seed=(1, 1)), start)
  # In a caller's graph (no factor given) the QR in the loop must pay: from 2 steps for
  # a labelled 784x16 machine's 64 chains (a training step), from 73 for a 784x512
  # machine's 128 chains (the NICE training step keeps its 25 plain sweeps).
  assert rbm._min_steps_to_integrate(100) == 2
  labelled = LabeledGaussianBernoulliRBM(np.zeros([784, 16]), np.zeros(784), np.zeros(16), 1.,
                                         np.zeros([10, 16]), np.zeros(10))
  assert labelled._min_steps_to_integrate(64) == 2
  wide = GaussianBernoulliRBM(np.zeros([784, 512]), np.zeros(784), np.zeros(512), 1.)
  assert wide._min_steps_to_integrate(128) == 73
  assert wide._min_steps_to_integrate(10_000, factor_given=True) == 2
  chain = lambda state, seed: rbm.gibbs_chain(state, 3, seed)
  args = (start, tf.constant([1, 2]))
  eager = chain(*args)
  np.testing.assert_allclose(tf.function(chain)(*args), eager, rtol=1e-12)
  # Steps known only when running: the plain sweeps, the same law (other draws).
  plain = tf.function(rbm.gibbs_chain)(start, tf.constant(3), args[1])
  assert plain.shape == eager.shape and np.all(plain != eager)
  # The factor from outside the loop (`run_gibbs` eagerly): R^T R = W^T W; none for W = 0.
  factor = rbm.gibbs_chain_setup()['gram_factor'].numpy()
  np.testing.assert_allclose(np.swapaxes(factor, -1, -2) @ factor,
                             np.swapaxes(rbm.weights, -1, -2) @ rbm.weights, atol=1e-12)
  zero = GaussianBernoulliRBM(np.zeros([3, 2]), B, C, SIGMA)
  assert zero.gibbs_chain_setup() == {'gram_factor': None}  # singular: the plain sweeps
  assert np.isfinite(mcmc.run_gibbs(zero, start[:, 0], 3, seed=(1, 3))).all()
  compiled = tf.function(chain, jit_compile=True)(*args)
  assert eager.shape == compiled.shape == [50, 2, 3]
  assert np.isfinite(compiled).all() and np.any(compiled != start)
