"""Brute-force checks of the binary and Gaussian-Bernoulli RBMs."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import integrate

import cases_distributions
from tfp_rbm import distributions as tfrd
from tfp_rbm import mcmc


def _bernoulli(num_visible, num_hidden, seed=0, scale=1.0, dtype=tf.float64):
  rng = np.random.default_rng(seed)
  return tfrd.BernoulliRBM(
      weights=tf.constant(rng.normal(size=[num_visible, num_hidden]) * scale, dtype),
      visible_bias=tf.constant(rng.normal(size=[num_visible]), dtype),
      hidden_bias=tf.constant(rng.normal(size=[num_hidden]), dtype))


def _gaussian_bernoulli(num_visible, num_hidden, seed=0, dtype=tf.float64, **kwargs):
  rng = np.random.default_rng(seed)
  return tfrd.GaussianBernoulliRBM(
      weights=tf.constant(rng.normal(size=[num_visible, num_hidden]) * 0.7, dtype),
      visible_bias=tf.constant(rng.normal(size=[num_visible]), dtype),
      hidden_bias=tf.constant(rng.normal(size=[num_hidden]), dtype),
      scale=tf.constant(rng.uniform(0.5, 1.5, size=[num_visible]), dtype), **kwargs)


def _exact_binary_pmf(dist):
  states = cases_distributions.all_binary_states(dist.num_visible)
  batched = dist[tf.newaxis]
  return states, np.exp(cases_distributions.bernoulli_rbm_log_prob_exact(
      batched, states[:, None, :])[:, 0])


@pytest.mark.parametrize('num_visible,num_hidden', [(5, 3), (3, 6)])
def test_bernoulli_log_prob_matches_enumeration_of_both_layers(num_visible, num_hidden):
  dist = _bernoulli(num_visible, num_hidden)
  states, pmf = _exact_binary_pmf(dist)
  np.testing.assert_allclose(dist.log_prob(states).numpy(), np.log(pmf), atol=1e-10)
  np.testing.assert_allclose(pmf.sum(), 1., atol=1e-12)


def test_chunked_enumeration_equals_single_chunk():
  dist = _gaussian_bernoulli(4, 9)
  np.testing.assert_allclose(dist.exact_log_normalizer(chunk_bits=2).numpy(),
                             dist.exact_log_normalizer(chunk_bits=12).numpy(), rtol=1e-12)
  binary = _bernoulli(10, 7)
  np.testing.assert_allclose(binary.exact_log_normalizer(chunk_bits=3).numpy(),
                             binary.exact_log_normalizer().numpy(), rtol=1e-12)


def test_gaussian_bernoulli_density_integrates_to_one_in_one_dimension():
  dist = _gaussian_bernoulli(1, 4, seed=3)
  b, s = float(dist.visible_bias[0]), float(dist.scale[0])
  grid = np.linspace(b - 15 * s, b + 15 * s, 20001)
  density = np.exp(dist.log_prob(grid[:, None]).numpy())
  np.testing.assert_allclose(integrate.simpson(density, x=grid), 1., atol=1e-7)


def test_gaussian_bernoulli_log_prob_matches_two_dimensional_integration():
  dist = _gaussian_bernoulli(2, 3, seed=4)
  x = np.random.default_rng(0).normal(size=[6, 2])
  exact = cases_distributions.gaussian_bernoulli_log_prob_exact(dist[tf.newaxis], x[:, None, :])
  np.testing.assert_allclose(dist.log_prob(x).numpy(), exact[:, 0], atol=1e-5)


def test_bernoulli_gibbs_chains_match_exact_marginal():
  dist = _bernoulli(4, 3, seed=5, dtype=tf.float32)
  states, pmf = _exact_binary_pmf(_bernoulli(4, 3, seed=5))
  samples = dist.sample(20000, seed=(3, 4), num_steps=100).numpy()
  codes = samples @ (2 ** np.arange(3, -1, -1))
  counts = np.bincount(codes.astype(int), minlength=16)
  expected_codes = states @ (2 ** np.arange(3, -1, -1))
  expected = np.zeros(16)
  expected[expected_codes.astype(int)] = pmf
  total_variation = 0.5 * np.abs(counts / counts.sum() - expected).sum()
  # 20,000 samples over 16 states: sampling noise alone gives TV ~ 0.01.
  assert total_variation < 0.02, total_variation


def test_gaussian_bernoulli_gibbs_moments_match_exact_mixture():
  dist = _gaussian_bernoulli(3, 4, seed=6)
  hs = cases_distributions.all_binary_states(4)
  w, b, c, s = (t.numpy() for t in (dist.weights, dist.visible_bias, dist.hidden_bias,
                                    dist.scale))
  a = hs @ w.T
  log_ph = hs @ c + np.sum(b * a / s + a ** 2 / 2, axis=-1)
  ph = np.exp(log_ph - np.logaddexp.reduce(log_ph))
  means = b + s * a
  mean = ph @ means
  cov = np.diag(s ** 2) + np.einsum('k,ki,kj->ij', ph, means - mean, means - mean)
  samples = dist.sample(20000, seed=(5, 6), num_steps=200).numpy()
  standard_error = np.sqrt(np.diag(cov) / samples.shape[0])
  np.testing.assert_array_less(np.abs(samples.mean(0) - mean), 5 * standard_error)
  np.testing.assert_allclose(np.cov(samples.T), cov, atol=0.08)


def test_block_gibbs_kernel_runs_under_sample_chain():
  dist = _bernoulli(4, 3, seed=5, dtype=tf.float32)
  _, pmf = _exact_binary_pmf(_bernoulli(4, 3, seed=5))
  exact_mean = (cases_distributions.all_binary_states(4) * pmf[:, None]).sum(0)
  chain = tfp.mcmc.sample_chain(
      num_results=200, num_burnin_steps=50,
      current_state=dist.initial_chain_state(200, seed=(1, 1)),
      kernel=mcmc.BlockGibbsKernel(dist), trace_fn=None, seed=(1, 2))
  assert chain.shape == (200, 200, 4)
  np.testing.assert_allclose(chain.numpy().mean((0, 1)), exact_mean, atol=0.03)


def test_sample_continues_from_initial_state():
  dist = _gaussian_bernoulli(3, 2, dtype=tf.float32)
  start = tf.fill([5, 3], 100.)
  one_step = dist.sample(5, seed=(1, 2), num_steps=0, initial_state=start)
  np.testing.assert_array_equal(one_step.numpy(), start.numpy())
  moved = dist.sample(5, seed=(1, 2), num_steps=1, initial_state=start)
  assert np.all(np.abs(moved.numpy()) < 100.)


@pytest.mark.parametrize('jit_compile', [True, False])
def test_run_gibbs_reaches_exact_marginal_compiled_or_not(jit_compile):
  # XLA and the graph may draw different numbers from one stateless seed, so
  # both are held to the exact marginal rather than to each other.
  dist = _bernoulli(4, 3, seed=5, dtype=tf.float32)
  states, pmf = _exact_binary_pmf(_bernoulli(4, 3, seed=5))
  start = dist.initial_chain_state(5000, seed=(2, 2))
  samples = mcmc.run_gibbs(dist, start, 50, seed=(3, 3), jit_compile=jit_compile)
  again = mcmc.run_gibbs(dist, start, 50, seed=(3, 3), jit_compile=jit_compile)
  np.testing.assert_array_equal(samples.numpy(), again.numpy())
  np.testing.assert_allclose(samples.numpy().mean(0), (states * pmf[:, None]).sum(0), atol=0.03)


def test_supplied_log_normalizer_is_used_and_large_models_refuse_to_guess():
  dist = _gaussian_bernoulli(5, 30)
  x = tf.zeros([2, 5], tf.float64)
  with pytest.raises(ValueError, match='max_enumeration_bits'):
    dist.log_prob(x)
  with pytest.raises(ValueError, match='Estimate it'):
    dist.exact_log_normalizer()
  normalized = dist.with_log_normalizer(3.)
  np.testing.assert_allclose(normalized.log_prob(x).numpy(),
                             dist.unnormalized_log_prob(x).numpy() - 3.)


def test_annealed_endpoints():
  dist = _gaussian_bernoulli(3, 5)
  np.testing.assert_allclose(dist.annealed(1.).exact_log_normalizer().numpy(),
                             dist.exact_log_normalizer().numpy(), rtol=1e-12)
  base_bias = tf.constant([0.5, -1., 2.], tf.float64)
  np.testing.assert_allclose(dist.annealed(0., base_bias).exact_log_normalizer().numpy(),
                             dist.annealing_base_log_normalizer(base_bias).numpy(), rtol=1e-12)
  binary = _bernoulli(4, 3)
  np.testing.assert_allclose(binary.annealed(0., tf.ones([4], tf.float64))
                             .exact_log_normalizer().numpy(),
                             binary.annealing_base_log_normalizer(tf.ones([4], tf.float64)),
                             rtol=1e-12)


def test_surrogate_gradient_equals_exact_log_normalizer_gradient():
  """grad of the surrogate with exact model samples is grad log Z (MATH.md §5)."""
  dist_vars = [tf.Variable(v) for v in (np.full([3, 2], 0.3), np.zeros(3), np.zeros(2))]
  dist = tfrd.BernoulliRBM(*dist_vars)
  states, pmf = _exact_binary_pmf(tfrd.BernoulliRBM(*[v.numpy() for v in dist_vars]))
  with tf.GradientTape(persistent=True) as tape:
    log_z = dist.exact_log_normalizer()
    # An exact expectation: the chain states weighted by their probabilities.
    surrogate = -tf.reduce_sum(pmf * dist.free_energy(states))
  for exact, estimate in zip(tape.gradient(log_z, dist_vars),
                             tape.gradient(surrogate, dist_vars)):
    np.testing.assert_allclose(estimate.numpy(), exact.numpy(), atol=1e-10)


class TestBadInput:

  def test_mismatched_bias_sizes_name_the_argument(self):
    with pytest.raises(ValueError, match='visible_bias'):
      tfrd.BernoulliRBM(tf.zeros([4, 3]), tf.zeros([5]), tf.zeros([3]))
    with pytest.raises(ValueError, match='hidden_bias'):
      tfrd.GaussianBernoulliRBM(tf.zeros([4, 3]), tf.zeros([4]), tf.zeros([2]), 1.)
    with pytest.raises(ValueError, match='weights'):
      tfrd.BernoulliRBM(tf.zeros([4]), tf.zeros([4]), tf.zeros([1]))

  def test_integer_or_mixed_dtypes_name_the_argument(self):
    with pytest.raises(TypeError, match='weights'):
      tfrd.BernoulliRBM(tf.zeros([4, 3], tf.int32), tf.zeros([4]), tf.zeros([3]))
    with pytest.raises(TypeError, match='visible_bias'):
      tfrd.BernoulliRBM(tf.zeros([4, 3]), tf.zeros([4], tf.float64), tf.zeros([3]))

  def test_non_finite_parameters_are_caught_under_validate_args(self):
    weights = np.zeros([2, 2], np.float32)
    weights[0, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match='`weights` must be finite'):
      tfrd.BernoulliRBM(weights, np.zeros(2, np.float32), np.zeros(2, np.float32),
                        validate_args=True)
    variable = tf.Variable([np.inf, 0.], dtype=tf.float32)
    dist = tfrd.GaussianBernoulliRBM(np.zeros([2, 2], np.float32), variable,
                                     np.zeros(2, np.float32), 1., validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match='`visible_bias` must be finite'):
      dist.log_prob(tf.zeros([2]))

  def test_non_positive_scale(self):
    with pytest.raises(tf.errors.InvalidArgumentError, match='`scale` must be positive'):
      _gaussian_bernoulli(2, 2, validate_args=True).copy(scale=tf.constant([1., -1.],
                                                                            tf.float64))

  def test_out_of_support_and_non_finite_data(self):
    dist = tfrd.BernoulliRBM(tf.zeros([3, 2]), tf.zeros([3]), tf.zeros([2]),
                             validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match='must be binary'):
      dist.log_prob([0., 0.5, 1.])
    gaussian = _gaussian_bernoulli(2, 2, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match='`value` must be finite'):
      gaussian.log_prob([np.nan, 0.])
