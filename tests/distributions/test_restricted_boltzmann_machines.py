"""Brute-force checks of the binary and Gaussian-Bernoulli RBMs."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import integrate

import cases_distributions
import registry
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
  mean, cov = cases_distributions.gaussian_bernoulli_moments_exact(dist[tf.newaxis])
  samples = dist.sample(20000, seed=(5, 6), num_steps=200).numpy()
  registry.assert_moments_within_monte_carlo_error(samples, mean[0], cov[0])


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
  """Zero sweeps return the start; one sweep draws from `sum_h p(h | v0) p(v | h)`."""
  dist = _gaussian_bernoulli(3, 2)
  start = np.array([1.5, -0.5, 2.])
  unmoved = dist.sample(5, seed=(1, 2), num_steps=0, initial_state=start)
  np.testing.assert_array_equal(unmoved.numpy(), np.tile(start, [5, 1]))
  hs = cases_distributions.all_binary_states(2)
  w, b, c, s = (t.numpy() for t in (dist.weights, dist.visible_bias, dist.hidden_bias,
                                    dist.scale))
  log_ph = hs @ c + hs @ (w.T @ (start / s))  # log p(h | v0) + const
  ph = np.exp(log_ph - np.logaddexp.reduce(log_ph))
  component_means = b + s * (hs @ w.T)
  mean = ph @ component_means
  cov = np.diag(s ** 2) + np.einsum('k,ki,kj->ij', ph, component_means - mean,
                                    component_means - mean)
  moved = dist.sample(20000, seed=(1, 2), num_steps=1, initial_state=start).numpy()
  registry.assert_moments_within_monte_carlo_error(moved, mean, cov)


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
  base = {'visible_bias': tf.constant([0.5, -1., 2.], tf.float64)}
  np.testing.assert_allclose(dist.annealed(0., base).exact_log_normalizer().numpy(),
                             dist.proposal_log_normalizer(base).numpy(), rtol=1e-12)
  scaled_base = dict(base, scale=tf.constant([0.4, 1., 2.5], tf.float64))
  np.testing.assert_allclose(dist.annealed(0., scaled_base).exact_log_normalizer().numpy(),
                             dist.proposal_log_normalizer(scaled_base).numpy(), rtol=1e-12)
  at_one = dist.annealed(1., scaled_base)
  for arg in ('weights', 'visible_bias', 'hidden_bias', 'scale'):
    np.testing.assert_allclose(getattr(at_one, arg), getattr(dist, arg) * np.ones([1]),
                               rtol=1e-12, err_msg=arg)
  binary = _bernoulli(4, 3)
  binary_base = {'visible_bias': tf.ones([4], tf.float64)}
  np.testing.assert_allclose(binary.annealed(0., binary_base).exact_log_normalizer().numpy(),
                             binary.proposal_log_normalizer(binary_base), rtol=1e-12)


@pytest.mark.parametrize('beta', [0., 0.3, 0.8, 1.])
def test_gaussian_bernoulli_annealed_with_a_scale_interpolates_the_energies(beta):
  """`E_beta(v, h) = (1 - beta) E_0(v) + beta E(v, h) + const` (docs/math.md section 8)."""
  rng = np.random.default_rng(0)
  dist = tfrd.GaussianBernoulliRBM(rng.normal(0., 0.5, [3, 2]), rng.normal(0., 1., [3]),
                                   rng.normal(0., 1., [2]), scale=rng.uniform(0.5, 2., [3]))
  base = {'visible_bias': rng.normal(0., 1., [3]), 'scale': rng.uniform(0.2, 3., [3])}

  def energy(machine, v, h):
    w, b, c, s = (np.asarray(getattr(machine, arg)) for arg in
                  ('weights', 'visible_bias', 'hidden_bias', 'scale'))
    return (np.sum((v - b) ** 2 / (2. * s ** 2), -1) - h @ c
            - np.einsum('ni,ij,nj->n', v / s, w, h))

  v = rng.normal(0., 2., [10, 3])
  h = rng.integers(0, 2, [10, 2]).astype(np.float64)
  base_energy = np.sum((v - base['visible_bias']) ** 2 / (2. * base['scale'] ** 2), -1)
  difference = (energy(dist.annealed(beta, base), v, h)
                - (1. - beta) * base_energy - beta * energy(dist, v, h))
  np.testing.assert_allclose(difference, difference[0], atol=1e-10)


def test_proposal_must_name_the_machines_parameters():
  dist = _gaussian_bernoulli(3, 5)
  with pytest.raises(TypeError, match='proposal'):
    dist.annealed(0.5, tf.zeros([3], tf.float64))
  with pytest.raises(ValueError, match="unknown \\['field'\\]"):
    dist.annealed(0.5, {'field': tf.zeros([3], tf.float64)})
  with pytest.raises(ValueError, match="unknown \\['scale'\\]"):
    _bernoulli(4, 3).proposal_log_normalizer({'scale': tf.ones([4], tf.float64)})
  smoothed = tfrd.SmoothedRBM(weights=np.full([3, 2], 0.1), field=np.zeros(5), delta=2.)
  with pytest.raises(ValueError, match="unknown \\['visible_bias'\\]"):
    smoothed.annealed(0.5, {'visible_bias': np.zeros(5)})
  with pytest.raises(TypeError, match='proposal'):
    smoothed.proposal_log_normalizer(np.zeros(5))


def test_hidden_probs_and_visible_distribution_are_bayes_rule():
  """Both conditionals of the binary RBM from its joint, by enumerating all (v, h)."""
  dist = _bernoulli(3, 2, seed=7)
  w, b, c = (t.numpy() for t in (dist.weights, dist.visible_bias, dist.hidden_bias))
  vs, hs = (cases_distributions.all_binary_states(n) for n in (3, 2))
  log_joint = (vs @ b)[:, None] + (hs @ c)[None, :] + vs @ w @ hs.T  # [v, h] + const
  p_h_given_v = np.exp(log_joint - np.logaddexp.reduce(log_joint, axis=1, keepdims=True))
  np.testing.assert_allclose(dist.hidden_probs(vs).numpy(), p_h_given_v @ hs, atol=1e-12)
  log_p_v_given_h = log_joint - np.logaddexp.reduce(log_joint, axis=0, keepdims=True)
  np.testing.assert_allclose(
      dist.visible_distribution(hs).log_prob(vs[:, None, :]).numpy(), log_p_v_given_h,
      atol=1e-12)


def test_gaussian_bernoulli_conditionals_are_bayes_rule():
  """`p(h | v)` by enumerating h; `p(v | h)` normalized by integrating over v (D = 1)."""
  dist = _gaussian_bernoulli(1, 3, seed=8)
  w, b, c, s = (t.numpy() for t in (dist.weights, dist.visible_bias, dist.hidden_bias,
                                    dist.scale))
  hs = cases_distributions.all_binary_states(3)

  def log_joint(v):  # -E(v, h), v [n, 1] -> [n, 2^H]
    return (-((v - b) ** 2 / (2 * s ** 2)).sum(-1)[:, None] + (hs @ c)[None]
            + (v / s) @ w @ hs.T)

  v = np.array([[-2.], [0.3], [1.7]])
  joint = log_joint(v)
  p_h_given_v = np.exp(joint - np.logaddexp.reduce(joint, axis=1, keepdims=True))
  np.testing.assert_allclose(dist.hidden_probs(v).numpy(), p_h_given_v @ hs, atol=1e-12)
  grid = np.linspace(b[0] - 30 * s[0], b[0] + 30 * s[0], 40001)[:, None]
  log_z_given_h = np.log(integrate.simpson(np.exp(log_joint(grid)), x=grid[:, 0], axis=0))
  np.testing.assert_allclose(
      dist.visible_distribution(hs).log_prob(v[:, None, :]).numpy(),
      joint - log_z_given_h, atol=1e-8)


def test_batch_from_scale_alone():
  rng = np.random.default_rng(9)
  w, b, c = rng.normal(size=[3, 2]), rng.normal(size=[3]), rng.normal(size=[2])
  scale = rng.uniform(0.5, 1.5, size=[4, 3])
  dist = tfrd.GaussianBernoulliRBM(w, b, c, scale)
  assert dist.batch_shape == [4]
  x = rng.normal(size=[5, 4, 3])
  each = np.stack([tfrd.GaussianBernoulliRBM(w, b, c, scale[k]).log_prob(x[:, k]).numpy()
                   for k in range(4)], axis=1)
  np.testing.assert_allclose(dist.log_prob(x).numpy(), each, rtol=1e-12)
  np.testing.assert_allclose(dist.proposal_log_normalizer().numpy(),
                             [dist[k].proposal_log_normalizer().numpy() for k in range(4)],
                             rtol=1e-12)


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

  def test_scale_of_wrong_size_names_scale(self):
    with pytest.raises(ValueError, match='`scale` has 5 units'):
      tfrd.GaussianBernoulliRBM(tf.zeros([4, 3]), tf.zeros([4]), tf.zeros([3]), tf.ones([5]))
    for scale in (1., tf.ones([1]), tf.ones([2, 4])):  # Scalars and batches are fine.
      tfrd.GaussianBernoulliRBM(tf.zeros([4, 3]), tf.zeros([4]), tf.zeros([3]), scale)

  def test_mismatched_batch_shapes_name_both_arguments(self):
    with pytest.raises(ValueError, match='`weights` .*and `visible_bias` .*broadcast'):
      tfrd.BernoulliRBM(tf.zeros([2, 4, 3]), tf.zeros([3, 4]), tf.zeros([3]))
    with pytest.raises(ValueError, match='`hidden_bias` .*and `scale` .*broadcast'):
      tfrd.GaussianBernoulliRBM(tf.zeros([4, 3]), tf.zeros([4]), tf.zeros([2, 3]),
                                tf.ones([5, 4]))

  @pytest.mark.parametrize('bits', [-1, 25, 40, 2.5, True])
  def test_max_enumeration_bits_out_of_range(self, bits):
    message = r'`max_enumeration_bits` must be an integer in \[0, 24\]'
    for make in (_bernoulli, _gaussian_bernoulli):
      with pytest.raises(ValueError, match=message):
        make(3, 2).copy(max_enumeration_bits=bits)
    _bernoulli(3, 2).copy(max_enumeration_bits=24)

  def test_wrong_event_size_or_dtype_of_data_names_the_argument(self):
    dist = _gaussian_bernoulli(3, 2, dtype=tf.float32)
    with pytest.raises(ValueError, match=r'`visible` must have shape \[\.\.\., 3\]'):
      dist.hidden_probs(tf.zeros([2, 4]))
    with pytest.raises(TypeError, match='`visible` has dtype float64'):
      dist.hidden_probs(tf.zeros([2, 3], tf.float64))
    with pytest.raises(ValueError, match=r'`hidden` must have shape \[\.\.\., 2\]'):
      dist.visible_distribution(tf.zeros([3]))
    with pytest.raises(ValueError, match=r'`value` must have shape \[\.\.\., 3\]'):
      dist.free_energy(tf.zeros([2]))
    with pytest.raises(ValueError, match=r'`initial_state` must have shape \[\.\.\., 3\]'):
      dist.sample(2, seed=(1, 2), num_steps=1, initial_state=tf.zeros([2]))
    with pytest.raises(TypeError, match='`initial_state` has dtype float64'):
      dist.sample(2, seed=(1, 2), num_steps=1, initial_state=tf.zeros([3], tf.float64))
    np.testing.assert_allclose(  # NumPy data are converted, as by `log_prob`.
        dist.hidden_probs(np.zeros([2, 3])).numpy(), dist.hidden_probs(tf.zeros([2, 3])))

  def test_data_outside_the_support_under_validate_args(self):
    dist = tfrd.BernoulliRBM(tf.zeros([3, 2]), tf.zeros([3]), tf.zeros([2]),
                             validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match='`initial_state` of BernoulliRBM must be binary'):
      dist.sample(2, seed=(1, 2), num_steps=1, initial_state=[0., 0.5, 1.])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match='`visible` of BernoulliRBM must be binary'):
      dist.hidden_probs([0., 0.5, 1.])
    gaussian = _gaussian_bernoulli(3, 2, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match='`visible` must be finite'):
      gaussian.hidden_probs([np.nan, 0., 0.])
    with pytest.raises(tf.errors.InvalidArgumentError, match='`initial_state` must be finite'):
      gaussian.sample(2, seed=(1, 2), num_steps=1, initial_state=[np.inf, 0., 0.])


@pytest.mark.parametrize('num_visible, num_hidden', [(13, 2), (13, 13), (3, 13)])
def test_exact_statistics_span_several_enumeration_chunks(num_visible, num_hidden):
  """2^13 states are two chunks of 2^12: the running merge equals one NumPy sum.

  The entropy and mode enumerate the 2^13 visible states; with `H = 13` the
  mean and variance enumerate 2^13 hidden states too. With `D = 3` every
  statistic enumerates the visible layer (the smaller), in one chunk.
  """
  dist = _bernoulli(num_visible, num_hidden, scale=0.5)
  visible = cases_distributions.all_binary_states(num_visible)
  log_p = dist.log_prob(visible).numpy()
  p = np.exp(log_p)
  np.testing.assert_allclose(p.sum(), 1., rtol=1e-10)
  mean = p @ visible
  np.testing.assert_allclose(dist.mean().numpy(), mean, rtol=1e-9, atol=1e-12)
  np.testing.assert_allclose(dist.variance().numpy(), mean * (1. - mean), rtol=1e-9, atol=1e-12)
  np.testing.assert_allclose(dist.entropy().numpy(), -np.sum(p * log_p), rtol=1e-9)
  np.testing.assert_array_equal(dist.mode().numpy(), visible[np.argmax(log_p)])


def test_entropy_and_kl_divergence_are_differentiable():
  """Gradients of the exact entropy and KL match finite differences in `hidden_bias`."""
  rng = np.random.default_rng(3)
  hidden_bias = tf.Variable(rng.normal(size=[3]))
  weights, visible_bias = rng.normal(size=[4, 3]), rng.normal(size=[4])

  def statistics(c):
    p = tfrd.BernoulliRBM(weights, visible_bias, c)
    q = tfrd.BernoulliRBM(weights * 0.5, visible_bias, tf.zeros([3], tf.float64))
    return p.entropy(), tfp.distributions.kl_divergence(p, q)

  with tf.GradientTape(persistent=True) as tape:
    values = statistics(hidden_bias)
  step = 1e-6
  for index, value in enumerate(values):
    finite_difference = [
        (statistics(hidden_bias + step * e)[index] - statistics(hidden_bias - step * e)[index])
        / (2 * step) for e in np.eye(3)]
    np.testing.assert_allclose(tape.gradient(value, hidden_bias).numpy(),
                               np.array(finite_difference), rtol=1e-6, atol=1e-8)
