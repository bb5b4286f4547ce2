"""Brute-force checks of the Gaussian-smoothed RBM (RBM-Flow base)."""

import re

import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate

import cases_smoothed
import registry
from tfp_rbm import distributions as tfrd
from tfp_rbm import mcmc
from tfp_rbm.distributions import smoothed_rbm


def _parameters(num_a, num_b, seed, scale=0.7, delta_margin=0.4):
  rng = np.random.default_rng(seed)
  w = rng.normal(size=[num_a, num_b]) * scale
  h = rng.normal(size=[num_a + num_b]) * 0.5
  return w, h, np.linalg.norm(w, ord=2) + delta_margin


def _smoothed(num_a, num_b, seed=0, dtype=tf.float64, **kwargs):
  w, h, delta = _parameters(num_a, num_b, seed)
  return tfrd.SmoothedRBM(tf.constant(w, dtype), tf.constant(h, dtype),
                          tf.constant(delta, dtype), **kwargs)


@pytest.mark.parametrize('num_a,num_b', [(2, 3), (6, 4)])
def test_log_prob_equals_marginalization_over_all_spins(num_a, num_b):
  dist = _smoothed(num_a, num_b, seed=num_a)
  rng = np.random.default_rng(1)
  z = np.concatenate([dist.sample(4, seed=(1, 2), num_steps=5).numpy(),
                      rng.normal(size=[3, num_a + num_b]) * 3.])
  expected = cases_smoothed.smoothed_log_prob_exact(dist[tf.newaxis], z[:, None, :])[:, 0]
  np.testing.assert_allclose(dist.log_prob(z).numpy(), expected, atol=1e-8, rtol=0)


def test_exact_log_normalizer_is_chunked_enumeration_of_spins():
  dist = _smoothed(7, 9, seed=2)
  j = cases_smoothed.coupling_matrix(dist.weights.numpy())
  spins = cases_smoothed.all_spins(16)
  neg_energy = 0.5 * np.einsum('ki,ij,kj->k', spins, j, spins) + spins @ dist.field.numpy()
  log_z_s = np.logaddexp.reduce(neg_energy)
  np.testing.assert_allclose(dist.exact_log_normalizer(chunk_bits=3).numpy(),
                             dist.log_normalizer_from_chain(log_z_s).numpy(), rtol=1e-12)
  np.testing.assert_allclose(dist.exact_log_normalizer(chunk_bits=3).numpy(),
                             dist.exact_log_normalizer().numpy(), rtol=1e-12)


def test_density_integrates_to_one_in_two_dimensions():
  dist = tfrd.SmoothedRBM(weights=tf.constant([[0.8]], tf.float64),
                          field=tf.constant([0.3, -0.7], tf.float64),
                          delta=tf.constant(1.5, tf.float64))
  grid = np.linspace(-14., 14., 701)
  points = np.stack(np.meshgrid(grid, grid, indexing='ij'), axis=-1)
  density = np.exp(dist.log_prob(points).numpy())
  total = integrate.simpson(integrate.simpson(density, x=grid, axis=1), x=grid)
  np.testing.assert_allclose(total, 1., atol=1e-6)


def test_zero_coupling_equals_discrete_mixture():
  h = tf.constant([[0.3, -1.2, 0.5, 2.], [0.1, 0.2, -0.3, 0.4]], tf.float64)
  delta = tf.constant([1.5, 3.], tf.float64)
  smoothed = tfrd.SmoothedRBM(tf.zeros([2, 1, 3], tf.float64), h, delta)
  mixture = tfrd.DiscreteMixture(h, delta)
  z = np.random.default_rng(0).normal(size=[5, 2, 4]) * 2.
  np.testing.assert_allclose(smoothed.log_prob(z).numpy(), mixture.log_prob(z).numpy(),
                             atol=1e-12)
  np.testing.assert_allclose(smoothed.spin_posterior(z).mean().numpy(),
                             mixture.spin_posterior(z).mean().numpy(), atol=1e-12)


def test_sample_moments_match_enumeration():
  dist = _smoothed(2, 3, seed=5)
  mean, cov = cases_smoothed.mixture_moments(cases_smoothed.coupling_matrix(
      dist.weights.numpy()), dist.field.numpy(), dist.delta_parameter().numpy())
  z = dist.sample(20000, seed=(3, 4), num_steps=30).numpy()
  registry.assert_moments_within_monte_carlo_error(z, mean, cov)


@pytest.mark.parametrize('num_a,num_b', [(2, 3), (3, 2)])
def test_smoothing_noise_has_precision_coupling_plus_delta(num_a, num_b):
  dist = _smoothed(num_a, num_b, seed=6)
  spins = np.array([1., -1., -1., 1., 1.])
  j = cases_smoothed.coupling_matrix(dist.weights.numpy())
  cov = np.linalg.inv(j + dist.delta_parameter().numpy() * np.eye(5))
  from_smooth = dist.smooth(np.tile(spins, [20000, 1]), seed=(5, 6)).numpy()
  from_sample = dist.sample(20000, seed=(5, 7), num_steps=0, initial_state=spins).numpy()
  for z in (from_smooth, from_sample):
    registry.assert_moments_within_monte_carlo_error(z, spins, cov)


def test_spin_posterior_is_bayes_rule():
  dist = _smoothed(2, 2, seed=7)
  j = cases_smoothed.coupling_matrix(dist.weights.numpy())
  h, delta = dist.field.numpy(), dist.delta_parameter().numpy()
  spins = cases_smoothed.all_spins(4)
  z = np.random.default_rng(2).normal(size=[3, 4]) * 1.5
  log_joint = (cases_smoothed.spin_log_pmf(j, h)
               + cases_smoothed.gaussian_log_pdf(z[:, None, :], spins, j + delta * np.eye(4)))
  bayes = log_joint - np.logaddexp.reduce(log_joint, axis=-1, keepdims=True)  # [3, 16]
  posterior = dist.spin_posterior(z)
  np.testing.assert_allclose(posterior.log_prob(spins[:, None, :]).numpy().T, bayes, atol=1e-10)
  np.testing.assert_array_equal(posterior.mode().numpy(), spins[np.argmax(bayes, axis=-1)])


def _variables(num_a, num_b, seed, with_margin):
  w, h, delta = _parameters(num_a, num_b, seed)
  weights = tf.Variable(w, name='weights')
  field = tf.Variable(h, name='field')
  if with_margin:
    smoothing = dict(margin=tf.Variable(-0.5, dtype=tf.float64, name='margin'))
  else:
    smoothing = dict(delta=tf.Variable(delta, name='delta'))
  return tfrd.SmoothedRBM(weights, field, **smoothing, validate_args=True)


@pytest.mark.parametrize('with_margin', [False, True])
def test_gradients_reach_every_parameter_and_match_finite_differences(with_margin):
  dist = _variables(2, 3, seed=8, with_margin=with_margin)
  z = tf.constant(np.random.default_rng(3).normal(size=[4, 5]))
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(dist.log_prob(z))
  variables = dist.trainable_variables
  assert len(variables) == 3
  grads = tape.gradient(loss, variables)
  for v, g in zip(variables, grads):
    assert g is not None and np.all(np.isfinite(g.numpy())) and np.any(g.numpy() != 0.), v.name
  smoothing = dist.margin if with_margin else dist.delta
  step = 1e-5
  values = []
  for sign in (1., -1.):
    smoothing.assign_add(sign * step)
    values.append(tf.reduce_sum(dist.log_prob(z)).numpy())
    smoothing.assign_add(-sign * step)
  analytic = grads[[v is smoothing for v in variables].index(True)].numpy()
  np.testing.assert_allclose(analytic, (values[0] - values[1]) / (2 * step), rtol=1e-6)


def test_chain_energy_and_log_normalizer_mapping():
  dist = _smoothed(2, 3, seed=10)
  j = cases_smoothed.coupling_matrix(dist.weights.numpy())
  h = dist.field.numpy()
  spins = cases_smoothed.all_spins(5)
  neg_energy = 0.5 * np.einsum('ki,ij,kj->k', spins, j, spins) + spins @ h
  np.testing.assert_allclose(dist.chain_unnormalized_log_prob(spins).numpy(), neg_energy,
                             atol=1e-12)
  np.testing.assert_allclose(dist.spin_energy(spins).numpy(), -neg_energy, atol=1e-12)
  np.testing.assert_allclose(
      dist.log_normalizer_from_chain(np.logaddexp.reduce(neg_energy)).numpy(),
      dist.exact_log_normalizer().numpy(), rtol=1e-12)


def test_gibbs_chains_xla_and_composite():
  dist = _variables(3, 2, seed=12, with_margin=True)
  state = dist.initial_chain_state(64, seed=(1, 1))
  assert set(np.unique(state.numpy())) == {-1., 1.}
  out = mcmc.run_gibbs(dist, state, num_steps=3, seed=(1, 2))
  assert out.shape == (64, 5) and set(np.unique(out.numpy())) == {-1., 1.}
  z = dist.smooth(out[:6], seed=(2, 3))

  @tf.function(jit_compile=True)
  def compiled(d, v, spins):
    return d.log_prob(v), d.spin_posterior(v).mean(), d.smooth(spins, seed=(4, 5))

  log_prob, posterior_mean, smoothed = compiled(dist, z, out)
  np.testing.assert_allclose(log_prob.numpy(), dist.log_prob(z).numpy(), rtol=1e-10)
  np.testing.assert_allclose(posterior_mean.numpy(), dist.spin_posterior(z).mean().numpy(),
                             rtol=1e-10)
  assert smoothed.shape == (64, 5) and np.all(np.isfinite(smoothed.numpy()))


def test_bad_shapes_and_parameterizations_raise_value_errors():
  w = tf.zeros([2, 3], tf.float64)
  with pytest.raises(ValueError, match='`field` has 4 spins.*add up to the event size, 5'):
    tfrd.SmoothedRBM(w, tf.zeros([4], tf.float64), 1.)
  with pytest.raises(ValueError, match='Exactly one of `delta` or `margin`'):
    tfrd.SmoothedRBM(w, tf.zeros([5], tf.float64))
  with pytest.raises(ValueError, match='Exactly one of `delta` or `margin`'):
    tfrd.SmoothedRBM(w, tf.zeros([5], tf.float64), delta=1., margin=0.)
  with pytest.raises(TypeError, match='`weights` must be float32 or float64'):
    tfrd.SmoothedRBM(tf.zeros([2, 3], tf.int32), tf.zeros([5]), 1.)


@pytest.mark.parametrize('weights,delta,message', [
    ([[0.5, 0.]], -1., '`delta` must be positive'),
    ([[3., 4.]], 4.9, 'must exceed the largest singular value of `weights`'),
    ([[np.nan, 0.]], 1., '`weights` must be finite'),
    ([[0.5, 0.]], np.inf, '`delta` must be finite'),
])
def test_invalid_parameters_raise_naming_the_argument(weights, delta, message):
  with pytest.raises(tf.errors.InvalidArgumentError, match=message):
    tfrd.SmoothedRBM(tf.constant(weights, tf.float64), tf.zeros([3], tf.float64),
                     tf.constant(delta, tf.float64), validate_args=True)


def test_invalid_variables_and_values_raise_when_used():
  delta = tf.Variable(6., dtype=tf.float64)
  dist = tfrd.SmoothedRBM(tf.constant([[3., 4.]], tf.float64), tf.zeros([3], tf.float64),
                          delta, validate_args=True)
  z = tf.zeros([3], tf.float64)
  dist.log_prob(z)
  delta.assign(4.5)
  with pytest.raises(tf.errors.InvalidArgumentError, match='largest singular value'):
    dist.log_prob(z)
  delta.assign(6.)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`value` must be finite'):
    dist.log_prob(tf.constant([0., np.nan, 0.], tf.float64))


def test_margin_keeps_precision_positive_definite_for_a_batch_of_machines():
  rng = np.random.default_rng(14)
  dist = tfrd.SmoothedRBM(weights=tf.constant(rng.normal(size=[2, 2, 3]) * 3.),
                          field=tf.constant(rng.normal(size=[5])),
                          margin=tf.constant([-3., 1.], tf.float64), validate_args=True)
  bound = cases_smoothed.spectral_bound_reference(dist.weights.numpy())
  assert np.all(bound >= np.linalg.norm(dist.weights.numpy(), ord=2, axis=(-2, -1)))
  np.testing.assert_allclose(dist.delta_parameter().numpy(),
                             bound + np.log1p(np.exp([-3., 1.])), rtol=1e-12)
  z = rng.normal(size=[4, 2, 5])
  log_prob = dist.log_prob(z).numpy()
  np.testing.assert_allclose(log_prob, cases_smoothed.smoothed_log_prob_exact(dist, z),
                             atol=1e-8)
  np.testing.assert_allclose(dist[1].log_prob(z[:, 1]).numpy(), log_prob[:, 1], rtol=1e-12)


def test_margin_log_prob_bounds_the_spectral_norm_once():
  """`delta` from `margin` is computed once per call, not once per use."""
  dist = _variables(3, 2, seed=15, with_margin=True)
  graph = tf.function(dist.log_prob).get_concrete_function(
      tf.TensorSpec([None, 5], tf.float64)).graph
  scopes = {re.search(r'spectral_norm_bound(_\d+)?/', op.name).group(0)
            for op in graph.get_operations() if 'spectral_norm_bound' in op.name}
  assert len(scopes) == 1, scopes
  assert 'Svd' not in [op.type for op in graph.get_operations()]


def test_batch_mismatch_and_enumeration_bits_name_the_arguments():
  with pytest.raises(ValueError, match='`weights` .*and `delta` .*broadcast'):
    tfrd.SmoothedRBM(tf.zeros([2, 2, 3]), tf.zeros([5]), tf.ones([3]))
  with pytest.raises(ValueError, match='`field` .*and `margin` .*broadcast'):
    tfrd.SmoothedRBM(tf.zeros([2, 3]), tf.zeros([4, 5]), margin=tf.zeros([3]))
  for bits in (-1, 25):
    with pytest.raises(ValueError, match='`max_enumeration_bits` must be an integer'):
      tfrd.SmoothedRBM(tf.zeros([2, 3]), tf.zeros([5]), 1., max_enumeration_bits=bits)


def test_group_sizes_are_asserted_for_dynamic_shapes():
  weights = tf.zeros([2, 3], tf.float64)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.float64)])
  def log_prob(field):
    dist = tfrd.SmoothedRBM(weights, field, tf.constant(1., tf.float64), validate_args=True)
    return dist.log_prob(tf.zeros([5], tf.float64))

  log_prob(tf.zeros([5], tf.float64))
  with pytest.raises(tf.errors.InvalidArgumentError, match='spin groups must add up'):
    log_prob(tf.zeros([4], tf.float64))


def test_spins_of_wrong_size_dtype_or_value_name_the_argument():
  dist = _smoothed(2, 3, dtype=tf.float32, validate_args=True)
  spins = tf.constant([[1., -1., 1., 1., -1.]])
  with pytest.raises(ValueError, match=r'`spins` must have shape \[\.\.\., 5\]'):
    dist.spin_energy(spins[:, 1:])
  with pytest.raises(TypeError, match='`spins` has dtype float64'):
    dist.smooth(tf.cast(spins, tf.float64), seed=(1, 2))
  with pytest.raises(ValueError, match=r'`value` must have shape \[\.\.\., 5\]'):
    dist.spin_posterior(spins[:, 1:])
  with pytest.raises(ValueError, match=r'`initial_state` must have shape \[\.\.\., 5\]'):
    dist.sample(2, seed=(1, 2), num_steps=1, initial_state=spins[:, 1:])
  half = spins * [[1., 1., 0.5, 1., 1.]]
  nan = spins * [[1., np.nan, 1., 1., 1.]]
  with pytest.raises(tf.errors.InvalidArgumentError, match='`spins` must hold spins'):
    dist.smooth(half, seed=(1, 2))
  with pytest.raises(tf.errors.InvalidArgumentError, match='`spins` must be finite'):
    dist.smooth(nan, seed=(1, 2))
  with pytest.raises(tf.errors.InvalidArgumentError, match='`spins` must hold spins'):
    dist.spin_energy(half)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`initial_state` must hold spins'):
    dist.sample(2, seed=(1, 2), num_steps=1, initial_state=half)


def _rank_one_or_full(rank_one, rng):
  """A 6 x 4 coupling; rank one makes the bound `B(W)` equal to `||W||_2` exactly."""
  if rank_one:
    return np.outer(rng.normal(size=6), rng.normal(size=4)) * 0.4
  return rng.normal(size=[6, 4]) * 0.7


@pytest.mark.parametrize('rank_one', [False, True], ids=['full_rank', 'rank_one'])
@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
@pytest.mark.parametrize('margin', [-16., -30., -100.])
def test_very_negative_margins_keep_the_precision_positive_definite(margin, dtype, rank_one):
  """`softplus(margin)` rounds away next to `B(W)`; the floor keeps `J~` well conditioned.

  In float32 at margin -16 `delta` was `||W||_2` exactly, and every log_prob
  and sample NaN.
  """
  rng = np.random.default_rng(17)
  w = _rank_one_or_full(rank_one, rng)
  dist = tfrd.SmoothedRBM(tf.constant(w, dtype), tf.constant(rng.normal(size=[10]), dtype),
                          margin=tf.constant(margin, dtype), validate_args=True)
  eps = np.finfo(dtype.as_numpy_dtype).eps
  norm = np.linalg.norm(w.astype(dtype.as_numpy_dtype).astype(np.float64), ord=2)
  delta = float(dist.delta_parameter().numpy())
  # The floor is `log(2) sqrt(eps) B(W)`; a few eps of rounding are allowed for.
  assert delta - norm >= 0.6 * np.sqrt(eps) * norm
  j = cases_smoothed.coupling_matrix(w.astype(dtype.as_numpy_dtype).astype(np.float64))
  _, expected_log_det = np.linalg.slogdet(j + delta * np.eye(10))
  np.testing.assert_allclose(dist.log_det_precision().numpy(), expected_log_det,
                             atol=0.05 if dtype == tf.float32 else 1e-5)
  z = dist.sample(200, seed=(1, 2), num_steps=3).numpy()
  assert np.all(np.isfinite(z))
  # The flattest direction of the smoothing has variance 1 / (delta - ||W||_2).
  assert np.std(z) < 10. / np.sqrt(delta - norm)
  log_prob = dist.log_prob(z).numpy()
  assert np.all(np.isfinite(log_prob))
  if dtype == tf.float64:
    expected = cases_smoothed.smoothed_log_prob_exact(dist[tf.newaxis], z[:, None, :])[:, 0]
    np.testing.assert_allclose(log_prob, expected, rtol=1e-6)
  validated = tfrd.SmoothedRBM(dist.weights, dist.field, delta=dist.delta_parameter(),
                               validate_args=True)
  np.testing.assert_allclose(validated.log_prob(z).numpy(), log_prob, rtol=1e-4)


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
def test_delta_from_margin_is_bound_plus_softplus_margin_above_the_floor(dtype):
  """`B + c softplus(softplus(m) / c)`, `c = sqrt(eps) B + eps`: `B + softplus(m)` past `40 c`."""
  rng = np.random.default_rng(18)
  w = tf.constant(rng.normal(size=[4, 5, 4]), dtype)
  margin = tf.constant([-30., -5., 0., 3.], dtype)
  delta = smoothed_rbm.delta_from_margin(w, margin).numpy()
  bound = cases_smoothed.spectral_bound_reference(w.numpy().astype(np.float64))
  softplus = np.log1p(np.exp(margin.numpy().astype(np.float64)))
  eps = np.finfo(dtype.as_numpy_dtype).eps
  floor = np.sqrt(eps) * bound + eps
  rtol = 1e-6 if dtype == tf.float32 else 1e-12
  np.testing.assert_allclose(delta, bound + floor * np.logaddexp(0., softplus / floor),
                             rtol=rtol)
  above = softplus > 40. * floor
  assert above[2:].all()  # Margins 0 and 3 in either dtype.
  np.testing.assert_allclose(delta[above], (bound + softplus)[above], rtol=rtol)


def test_margin_gradient_survives_the_floor():
  """The smooth floor passes a positive gradient to `margin` and `weights` at every margin."""
  w = tf.Variable(np.random.default_rng(19).normal(size=[4, 3]), dtype=tf.float32)
  for value in (-100., -16., 0., 10.):
    margin = tf.Variable(value)
    with tf.GradientTape() as tape:
      delta = smoothed_rbm.delta_from_margin(w, margin)
    grad_w, grad_margin = tape.gradient(delta, [w, margin])
    assert np.all(np.isfinite(grad_w.numpy())) and float(grad_margin) >= 0.
    assert np.isfinite(float(grad_margin))


def test_a_delta_within_rounding_of_the_spectral_norm_is_refused():
  """`delta` passing a bare `delta > ||W||_2` by one ulp would fail the Cholesky factor."""
  w = np.array([[3., 4.]], np.float32)  # ||W||_2 = 5
  with pytest.raises(tf.errors.InvalidArgumentError, match='largest singular value'):
    tfrd.SmoothedRBM(w, np.zeros(3, np.float32), delta=np.nextafter(np.float32(5.), 6.),
                     validate_args=True)
  tfrd.SmoothedRBM(w, np.zeros(3, np.float32), delta=np.float32(5.01), validate_args=True)
