"""Persistent chains: shapes, resets, exact resume, and the surrogate gradient."""

import numpy as np
import pytest
import tensorflow as tf

import cases_distributions
from tfp_rbm import distributions as tfrd
from tfp_rbm import training


def _rbm(dtype=tf.float32):
  rng = np.random.default_rng(0)
  return tfrd.BernoulliRBM(tf.Variable(rng.normal(size=[4, 3]), dtype=dtype),
                           tf.Variable(rng.normal(size=[4]), dtype=dtype),
                           tf.Variable(rng.normal(size=[3]), dtype=dtype))


def test_advance_writes_back_the_chains_it_returns():
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=50, num_gibbs_steps=3, seed=1)
  before = chains.states.numpy()
  out = chains.advance(rbm, 10).numpy()
  after = chains.states.numpy()
  changed = np.any(before != after, axis=-1)
  assert out.shape == (10, 4)
  assert changed.sum() <= 10
  for row in out:
    assert np.any(np.all(after == row, axis=-1))


def test_checkpoint_resumes_the_chains_exactly(tmp_path):
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=64, num_gibbs_steps=2, seed=3)
  chains.advance(rbm, 16)
  path = tf.train.Checkpoint(chains=chains).write(str(tmp_path / 'ckpt'))
  expected = chains.advance(rbm, 16).numpy()
  restored = training.PersistentChains(rbm, buffer_size=64, num_gibbs_steps=2, seed=99)
  tf.train.Checkpoint(chains=restored).read(path).assert_consumed()
  np.testing.assert_array_equal(restored.advance(rbm, 16).numpy(), expected)


def test_full_reset_gives_fresh_noise_chains():
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=2000, num_gibbs_steps=0,
                                     reset_fraction=1., seed=5)
  chains.states.assign(tf.ones_like(chains.states))
  out = chains.advance(rbm, 2000).numpy()
  np.testing.assert_allclose(out.mean(), 0.5, atol=0.03)


def test_bad_arguments_are_named():
  rbm = _rbm()
  with pytest.raises(ValueError, match='reset_fraction'):
    training.PersistentChains(rbm, buffer_size=10, reset_fraction=1.5)
  with pytest.raises(ValueError, match='buffer_size'):
    training.PersistentChains(rbm, buffer_size=0)
  chains = training.PersistentChains(rbm, buffer_size=10)
  with pytest.raises(ValueError, match='num_chains'):
    chains.advance(rbm, 11)


def test_flow_loss_needs_chains_for_an_rbm_and_refuses_them_for_exact_bases():
  import tensorflow_probability as tfp
  rbm = _rbm()
  x = tf.zeros([2, 4])
  with pytest.raises(ValueError, match='chain_samples'):
    training.flow_loss(rbm, x)
  with pytest.raises(ValueError, match='chain_samples'):
    training.flow_loss(tfp.distributions.Normal(0., 1.), tf.zeros([2]), chain_samples=x)


def test_surrogate_gradients_equal_exact_nll_gradients_with_exact_samples():
  """With chains replaced by exact samples (enumeration), grad L = grad NLL."""
  rbm = _rbm(tf.float64)
  states = cases_distributions.all_binary_states(4)
  pmf = np.exp(rbm.log_prob(states).numpy())
  rng = np.random.default_rng(1)
  data = states[rng.choice(16, size=30, p=pmf)]
  variables = rbm.trainable_variables
  with tf.GradientTape(persistent=True) as tape:
    nll = -tf.reduce_mean(rbm.log_prob(data))
    data_term = training.flow_loss(rbm, data, chain_samples=states[:1]) - \
        rbm.surrogate_log_normalizer(states[:1])
    surrogate = data_term - tf.reduce_sum(pmf * rbm.free_energy(states))
  for exact, estimate in zip(tape.gradient(nll, variables), tape.gradient(surrogate, variables)):
    np.testing.assert_allclose(estimate.numpy(), exact.numpy(), atol=1e-10)
