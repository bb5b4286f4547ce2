"""AIS estimates of log Z against exact enumeration, and the schedules."""

import annealing_test_models as models
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import evaluation
from tfp_rbm.distributions import BoltzmannMachine
from tfp_rbm.distributions import GaussianBernoulliRBM
from tfp_rbm.distributions import SmoothedRBM

TOLERANCE_NATS = 0.05


def _numpy_spread(log_weights):
  """`log(mean(w) -+ 3 std(w, ddof=1) / sqrt(n))`, `-inf` for a non-positive lower end."""
  shift = np.max(log_weights)
  w = np.exp(log_weights - shift)
  mean, error = np.mean(w), 3. * np.std(w, ddof=1) / np.sqrt(len(w))
  return shift + (np.log(mean - error) if mean > error else -np.inf), shift + np.log(mean + error)


def _ais_error(name, num_steps):
  estimate = models.ais_estimate(name, num_steps)
  dist, _ = models.model(name)
  return estimate, float(estimate.log_normalizer - dist.exact_log_normalizer())


@pytest.mark.parametrize(
    'name', ['random_bernoulli', 'trained_bernoulli', 'random_gaussian_bernoulli'])
def test_ais_matches_exact_log_normalizer_784_visible(name):
  estimate, error = _ais_error(name, 300)
  assert abs(error) < TOLERANCE_NATS
  assert estimate.method == 'ais'
  assert estimate.log_weights.dtype == tf.float64
  assert estimate.log_weights.shape == [100]
  lower, upper = _numpy_spread(estimate.log_weights.numpy())
  np.testing.assert_allclose([float(estimate.lower), float(estimate.upper)], [lower, upper],
                             rtol=0., atol=1e-9)
  np.testing.assert_allclose(
      float(tf.reduce_logsumexp(estimate.log_weights) - np.log(100.)),
      float(estimate.log_normalizer), rtol=1e-12)


def test_more_temperatures_shrink_error():
  _, coarse = _ais_error('trained_bernoulli', 10)
  _, fine = _ais_error('trained_bernoulli', 300)
  assert abs(coarse) > TOLERANCE_NATS
  assert abs(fine) < abs(coarse) / 3.


def test_with_log_normalizer_normalizes_log_prob():
  dist, _ = models.model('random_bernoulli')
  estimate, _ = _ais_error('random_bernoulli', 300)
  v = dist.sample(5, seed=(3, 4), num_steps=10)
  np.testing.assert_allclose(
      dist.with_log_normalizer(estimate.log_normalizer).log_prob(v),
      dist.log_prob(v), atol=TOLERANCE_NATS)


def _small_gaussian_bernoulli(dtype=np.float64, batch_shape=()):
  rng = np.random.default_rng(7)
  return GaussianBernoulliRBM(
      weights=rng.normal(0., 0.3, batch_shape + (20, 5)).astype(dtype),
      visible_bias=rng.normal(0., 1., batch_shape + (20,)).astype(dtype),
      hidden_bias=rng.normal(0., 1., batch_shape + (5,)).astype(dtype),
      scale=np.full(batch_shape + (20,), 0.8, dtype))


def test_same_seed_same_estimate_whatever_the_blocking():
  dist, _ = models.model('random_bernoulli')
  first = models.ais_estimate('random_bernoulli', 10)
  blocked = evaluation.log_normalizer(dist, num_chains=100, betas=10, seed=(1, 2),
                                      block_size=3)
  other = evaluation.log_normalizer(dist, num_chains=100, betas=10, seed=(1, 3))
  np.testing.assert_array_equal(first.log_weights, blocked.log_weights)
  assert not np.allclose(first.log_weights, other.log_weights)


def test_float32_batch_of_machines_accumulates_in_float64():
  dist = _small_gaussian_bernoulli(np.float32, batch_shape=(2,))
  estimate = evaluation.log_normalizer(dist, num_chains=100, betas=100,
                                       schedule='sigmoid', seed=(2, 2))
  assert estimate.log_weights.dtype == tf.float64
  assert estimate.log_weights.shape == [100, 2]
  assert estimate.log_normalizer.dtype == tf.float32
  assert estimate.log_normalizer.shape == [2]
  exact = dist.exact_log_normalizer()
  assert abs(float(exact[0] - exact[1])) > 1.
  np.testing.assert_allclose(estimate.log_normalizer, exact, atol=TOLERANCE_NATS)


class _SpikyPath:
  """A float32 annealing path whose log-densities jump between 2^25 and `beta`.

  `log f_k` is `2^25` at odd steps `k` and `beta_k` at even ones, whatever the
  state: in float64 the increments telescope to `log f_K - log f_0 = 1`,
  while a float32 running sum loses every `beta_k` against `2^25` and ends at 0.
  """
  dtype = tf.float32
  num_steps = 10

  def __init__(self, beta=1.):
    self.beta = beta

  def annealed(self, beta, proposal=None):
    del proposal
    return _SpikyPath(beta)

  def gibbs_step(self, state, seed):
    del seed
    return state

  def chain_unnormalized_log_prob(self, state):
    odd = tf.math.floormod(tf.round(self.beta * self.num_steps), 2.) == 1.
    return tf.zeros(tf.shape(state)[:1]) + tf.where(odd, 2.**25, self.beta)

  def annealing_step(self, state, beta_from, beta_to, seed, proposal=None):
    return BoltzmannMachine.annealing_step(self, state, beta_from, beta_to, seed, proposal)


def test_log_weights_accumulate_in_float64():
  betas = evaluation.linear_schedule(_SpikyPath.num_steps)
  log_f = np.array([2.**25 if k % 2 else np.float32(beta) for k, beta in enumerate(betas)],
                   np.float32)
  increments = np.diff(log_f.astype(np.float64))
  float32_sum = np.float32(0.)
  for increment in increments:
    float32_sum = np.float32(float32_sum + np.float32(increment))
  assert np.sum(increments) == 1. and float32_sum == 0.
  _, log_weights = evaluation.run_annealing(_SpikyPath(), tf.zeros([3, 2]), betas, seed=(1, 1))
  assert log_weights.dtype == tf.float64
  np.testing.assert_array_equal(log_weights.numpy(), np.sum(increments))


def test_progress_bar_reports_the_temperatures_and_changes_nothing(capsys):
  dist, _ = models.model('random_bernoulli')
  quiet = evaluation.log_normalizer(dist, num_chains=4, betas=5, seed=(1, 5))
  shown = evaluation.log_normalizer(dist, num_chains=4, betas=5, seed=(1, 5), progress=True)
  err = capsys.readouterr().err
  assert 'AIS' in err and '5/5' in err
  np.testing.assert_array_equal(quiet.log_weights, shown.log_weights)


@pytest.mark.parametrize('num_chains', [0, 1])
def test_ais_needs_two_chains_for_its_spread(num_chains):
  with pytest.raises(ValueError, match='`num_chains` must be at least 2'):
    evaluation.log_normalizer(_small_gaussian_bernoulli(), num_chains=num_chains, betas=3)


@pytest.mark.parametrize('method', ['ais', 'exact'])
def test_a_base_without_annealing_path_is_named(method):
  from tensorflow_probability.python.distributions import normal  # pylint: disable=g-import-not-at-top
  with pytest.raises(TypeError, match='lacks the capability `annealed`.*got Normal'):
    evaluation.log_normalizer(normal.Normal(0., 1.), method=method)


def test_exact_method():
  dist = _small_gaussian_bernoulli()
  estimate = evaluation.log_normalizer(dist, method='exact')
  assert estimate.method == 'exact' and estimate.log_weights is None
  assert float(estimate.lower) == float(estimate.upper) == float(
      dist.exact_log_normalizer())


def test_unknown_method_raises():
  with pytest.raises(ValueError, match='`method`'):
    evaluation.log_normalizer(_small_gaussian_bernoulli(), method='raise')


def test_schedules():
  for schedule in (evaluation.linear_schedule(10), evaluation.sigmoid_schedule(10)):
    assert schedule.shape == (11,) and schedule[0] == 0. and schedule[-1] == 1.
    assert np.all(np.diff(schedule) > 0.)
  sigmoid = evaluation.sigmoid_schedule(10)
  assert sigmoid[1] < 0.1 and sigmoid[5] == pytest.approx(0.5)
  custom = [0., 0.5, 0.5, 1.]
  np.testing.assert_array_equal(evaluation.annealing_schedule(custom), custom)


# NaN passes every order check (its comparisons are False): only finiteness refuses it.
@pytest.mark.parametrize('betas', [[0., 1.2, 1.], [0.1, 1.], [0., 0.6, 0.4, 1.], [1.],
                                   [[0., 1.]], 0, [0., np.nan, 1.]])
def test_bad_betas_raise(betas):
  with pytest.raises(ValueError, match='`betas`'):
    evaluation.annealing_schedule(betas)


def test_bad_schedule_name_raises():
  with pytest.raises(ValueError, match='`schedule`'):
    evaluation.annealing_schedule(10, schedule='cosine')


def test_effective_sample_size_is_high_for_a_slow_path_and_warns_for_a_fast_one():
  estimate, _ = _ais_error('trained_bernoulli', 300)
  w = np.exp(estimate.log_weights.numpy() - np.max(estimate.log_weights))
  np.testing.assert_allclose(estimate.effective_sample_size, w.sum() ** 2 / np.sum(w ** 2),
                             rtol=1e-9)
  assert float(estimate.effective_sample_size) > 50.
  dist, base = models.model('trained_bernoulli')
  with pytest.warns(RuntimeWarning, match='effective chains of 100'):
    fast = evaluation.log_normalizer(dist, num_chains=100, betas=2, proposal=base,
                                     seed=(0, 1))
  assert float(fast.effective_sample_size) < 5.
  assert evaluation.log_normalizer(dist, method='exact').effective_sample_size is None


def test_proposal_fits_the_data_marginals():
  data = models.prototype_data()
  mean = np.clip(data.mean(0), 1e-3, 1. - 1e-3)
  bernoulli, _ = models.model('trained_bernoulli')
  np.testing.assert_allclose(bernoulli.fit_proposal(data)['visible_bias'],
                             np.log(mean / (1. - mean)), rtol=1e-12)
  gaussian, _ = models.model('random_gaussian_bernoulli')
  z = np.random.default_rng(0).normal(2., 1., [50, models.NUM_VISIBLE])
  gaussian_base = gaussian.fit_proposal(z)
  np.testing.assert_allclose(gaussian_base['visible_bias'], z.mean(0), rtol=1e-12)
  np.testing.assert_allclose(gaussian_base['scale'], z.std(0), rtol=1e-12)
  with pytest.raises(ValueError, match='points'):
    gaussian.fit_proposal(z[:, :5])
  rng = np.random.default_rng(1)
  smoothed = SmoothedRBM(weights=rng.normal(0., 0.3, [3, 2]), field=rng.normal(0., 0.5, [5]),
                         delta=2.)
  z = rng.normal(0., 1., [40, 5])
  mean_code = smoothed.spin_posterior(z).mean().numpy().mean(0)
  # Independent spins with field h0 have mean tanh(h0): the base has the data's mean code.
  np.testing.assert_allclose(np.tanh(smoothed.fit_proposal(z)['field']), mean_code,
                             rtol=1e-10)


@pytest.mark.parametrize('keys', [('visible_bias',), ('visible_bias', 'scale')])
def test_ais_from_the_data_base_of_a_gaussian_bernoulli_rbm_matches_exact(keys):
  """With the model's scale, or with the data's (the precisions are annealed)."""
  dist, _ = models.model('random_gaussian_bernoulli')
  data = dist.sample(500, seed=(3, 4), num_steps=50)
  base = {key: value for key, value in dist.fit_proposal(data).items() if key in keys}
  estimate = evaluation.log_normalizer(dist, num_chains=100, betas=300, seed=(1, 2),
                                       proposal=base)
  assert abs(float(estimate.log_normalizer - dist.exact_log_normalizer())) < TOLERANCE_NATS


def _annealing_step_cases():
  rng = np.random.default_rng(11)
  bernoulli = models.random_bernoulli_rbm(seed=3, num_visible=30, num_hidden=6)
  gaussian = _small_gaussian_bernoulli()
  batch32 = _small_gaussian_bernoulli(np.float32, batch_shape=(2,))
  points = rng.normal(size=(50, 20)) * 1.5 + 0.3
  return [
      (bernoulli, bernoulli.sample(5, seed=(1, 1)), {'visible_bias': rng.normal(size=30)}),
      (gaussian, gaussian.sample(5, seed=(1, 2)), gaussian.fit_proposal(points)),
      (batch32, batch32.sample(5, seed=(1, 3)),
       batch32.fit_proposal(np.stack([points, points[::-1]], 1).astype(np.float32))),
  ]


@pytest.mark.parametrize('case', range(3))
def test_shared_annealing_step_is_the_two_machines_difference_and_sweep(case):
  dist, state, proposal = _annealing_step_cases()[case]
  assert type(dist).__dict__['_annealing_scales_hidden_input']
  rtol = 1e-12 if dist.dtype == tf.float64 else 1e-5
  for beta_from, beta_to in ((0., 0.01), (0.99, 1.), (0.5, 0.5), (0.6, 0.2)):
    log_ratio, next_state = dist.annealing_step(state, beta_from, beta_to, (4, case), proposal)
    to, frm = dist.annealed(beta_to, proposal), dist.annealed(beta_from, proposal)
    direct = (tf.cast(to.chain_unnormalized_log_prob(state), tf.float64)
              - tf.cast(frm.chain_unnormalized_log_prob(state), tf.float64))
    # float32 terms of size |log f| cancel in the difference: compare at their scale.
    scale = np.abs(to.chain_unnormalized_log_prob(state).numpy()).max()
    assert log_ratio.dtype == tf.float64 and log_ratio.shape == direct.shape
    np.testing.assert_allclose(log_ratio, direct, rtol=0., atol=rtol * scale)
    if beta_from == beta_to:
      np.testing.assert_array_equal(log_ratio, 0.)
    np.testing.assert_allclose(next_state, to.gibbs_step(state, (4, case)), rtol=rtol,
                               atol=rtol)


@tf.function(jit_compile=True, autograph=False)
def _separate_log_ratio(dist, proposal, state, beta_from, beta_to):
  return (tf.cast(dist.annealed(beta_to, proposal).chain_unnormalized_log_prob(state), tf.float64)
          - tf.cast(dist.annealed(beta_from, proposal).chain_unnormalized_log_prob(state),
                    tf.float64))


@tf.function(jit_compile=True, autograph=False)
def _separate_sweep(dist, proposal, state, beta, seed, step):
  return dist.annealed(beta, proposal).gibbs_step(
      state, tf.random.experimental.stateless_fold_in(seed, step))


@pytest.mark.parametrize('reverse', [False, True])
def test_run_annealing_is_the_walk_of_separate_machines(reverse):
  """The walk as written before the shared step: each temperature's machine on its own."""
  dist, state, proposal = _annealing_step_cases()[1]
  seed = tfp.random.sanitize_seed((5, 6), salt='run_annealing')
  betas = tf.constant(evaluation.sigmoid_schedule(5), dist.dtype)
  betas_walked = betas[::-1] if reverse else betas
  reference, weights_ref = state, 0.
  for i in range(5):
    a, b = betas_walked[i], betas_walked[i + 1]
    if reverse:
      reference = _separate_sweep(dist, proposal, reference, a, seed, i)
      weights_ref += _separate_log_ratio(dist, proposal, reference, a, b)
    else:
      weights_ref += _separate_log_ratio(dist, proposal, reference, a, b)
      reference = _separate_sweep(dist, proposal, reference, b, seed, i)
  final, weights = evaluation.run_annealing(dist, state, betas.numpy(), (5, 6),
                                            proposal=proposal, reverse=reverse, block_size=3)
  np.testing.assert_allclose(weights, weights_ref, rtol=1e-10)
  np.testing.assert_allclose(final, reference, rtol=1e-10, atol=1e-12)
