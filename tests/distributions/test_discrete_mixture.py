"""Checks of the discrete mixture (D-Flow base) against TFP's mixture and brute force."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import integrate

import cases_smoothed
from tfp_rbm import distributions as tfrd

tfd = tfp.distributions

FIELD = np.array([[0.3, -1.2, 0.5], [2., 0., -0.4]])
DELTA = np.array([1.5, 4.])


def _mixture(dtype=tf.float64):
  return tfrd.DiscreteMixture(tf.constant(FIELD, dtype), tf.constant(DELTA, dtype))


def _tfp_mixture(dtype=tf.float64):
  """The same distribution assembled from TFP pieces: components at -1 and +1."""
  field = tf.constant(FIELD, dtype)[..., tf.newaxis]
  scale = tf.constant(DELTA, dtype)[:, tf.newaxis, tf.newaxis] ** -0.5
  return tfd.Independent(tfd.MixtureSameFamily(
      tfd.Categorical(logits=tf.concat([-field, field], axis=-1)),
      tfd.Normal(loc=tf.constant([-1., 1.], dtype), scale=scale)), reinterpreted_batch_ndims=1)


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
def test_log_prob_mean_and_variance_match_tfp_mixture(dtype):
  z = np.random.default_rng(0).normal(size=[6, 2, 3]) * 3.
  ours, reference = _mixture(dtype), _tfp_mixture(dtype)
  tol = 1e-5 if dtype == tf.float32 else 1e-12
  np.testing.assert_allclose(ours.log_prob(z).numpy(), reference.log_prob(z).numpy(),
                             rtol=tol, atol=tol)
  np.testing.assert_allclose(ours.mean().numpy(), reference.mean().numpy(), rtol=tol, atol=tol)
  np.testing.assert_allclose(ours.variance().numpy(), reference.variance().numpy(),
                             rtol=tol, atol=tol)


def test_log_prob_equals_enumeration_of_all_spins():
  dist = _mixture()
  z = np.random.default_rng(1).normal(size=[5, 2, 3]) * 2.
  np.testing.assert_allclose(dist.log_prob(z).numpy(),
                             cases_smoothed.smoothed_log_prob_exact(dist, z), atol=1e-10)


def test_density_integrates_to_one_in_one_dimension():
  dist = tfrd.DiscreteMixture(tf.constant([0.7], tf.float64), tf.constant(0.8, tf.float64))
  grid = np.linspace(-15., 15., 20001)
  density = np.exp(dist.log_prob(grid[:, None]).numpy())
  np.testing.assert_allclose(integrate.simpson(density, x=grid), 1., atol=1e-8)


def test_stable_for_large_fields_and_points():
  dist = tfrd.DiscreteMixture(tf.constant([40., -40.], tf.float32), tf.constant(50., tf.float32))
  z = tf.constant([[1., -1.], [30., -30.]])
  log_prob = dist.log_prob(z).numpy()
  assert np.all(np.isfinite(log_prob))
  np.testing.assert_allclose(log_prob[0], np.log(50. / (2 * np.pi)), atol=1e-4)


def test_sample_moments_match_exact_moments():
  dist = _mixture()
  z = dist.sample(20000, seed=(1, 2)).numpy()
  n = z.shape[0]
  mean, variance = dist.mean().numpy(), dist.variance().numpy()
  np.testing.assert_array_less(np.abs(z.mean(0) - mean), 5 * np.sqrt(variance / n))
  squares = (z - mean) ** 2
  np.testing.assert_array_less(np.abs(squares.mean(0) - variance),
                               5 * squares.std(0) / np.sqrt(n))


def test_spin_posterior_is_bayes_rule_and_smooth_draws_the_components():
  dist = _mixture()
  z = np.random.default_rng(2).normal(size=[4, 2, 3])
  reference = _tfp_mixture().distribution  # batch [2, 3], per-coordinate mixture
  log_joint = (reference.mixture_distribution.logits_parameter().numpy()
               + reference.components_distribution.log_prob(z[..., None]).numpy())
  bayes_plus = np.exp(log_joint[..., 1] - np.logaddexp(log_joint[..., 0], log_joint[..., 1]))
  np.testing.assert_allclose(dist.spin_posterior(z).mean().numpy(), 2 * bayes_plus - 1,
                             atol=1e-12)
  spins = np.array([1., -1., 1.])
  drawn = dist.smooth(np.tile(spins, [20000, 1, 1]), seed=(3, 4)).numpy() - spins
  np.testing.assert_array_less(np.abs(drawn.mean(0)),
                               np.broadcast_to(5 * np.sqrt(1. / DELTA / 20000)[:, None], [2, 3]))
  np.testing.assert_allclose(drawn.var(0), np.broadcast_to(1. / DELTA[:, None], [2, 3]),
                             rtol=0.05)


def test_gradients_reach_field_and_delta():
  field = tf.Variable(FIELD)
  delta = tf.Variable(DELTA)
  dist = tfrd.DiscreteMixture(field, delta, validate_args=True)
  z = tf.constant(np.random.default_rng(3).normal(size=[4, 2, 3]))
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(dist.log_prob(z))
  grad_field, grad_delta = tape.gradient(loss, [field, delta])
  step = 1e-6
  finite_difference = []
  for k in range(2):
    values = []
    for sign in (1., -1.):
      delta.assign(DELTA + sign * step * np.eye(2)[k])
      values.append(tf.reduce_sum(dist.log_prob(z)).numpy())
    finite_difference.append((values[0] - values[1]) / (2 * step))
  delta.assign(DELTA)
  np.testing.assert_allclose(grad_delta.numpy(), finite_difference, rtol=1e-6)
  assert np.all(np.isfinite(grad_field.numpy())) and np.all(grad_field.numpy() != 0.)


def test_xla_agrees_with_eager():
  dist = _mixture(tf.float32)
  z = dist.sample(5, seed=(4, 5))

  @tf.function(jit_compile=True)
  def compiled(d, v):
    return d.log_prob(v), d.spin_posterior(v).mean(), d.sample(3, seed=(1, 1))

  log_prob, posterior_mean, samples = compiled(dist, z)
  np.testing.assert_allclose(log_prob.numpy(), dist.log_prob(z).numpy(), rtol=1e-5)
  np.testing.assert_allclose(posterior_mean.numpy(), dist.spin_posterior(z).mean().numpy(),
                             rtol=1e-5, atol=1e-6)
  assert samples.shape == (3, 2, 3)


def test_no_closed_form_entropy_is_offered():
  with pytest.raises(NotImplementedError):
    _mixture().entropy()


@pytest.mark.parametrize('field,delta,message', [
    ([0.5, 0.], 0., '`delta` must be positive'),
    ([np.nan, 0.], 1., '`field` must be finite'),
    ([0.5, 0.], np.inf, '`delta` must be finite'),
])
def test_invalid_parameters_raise_naming_the_argument(field, delta, message):
  with pytest.raises(tf.errors.InvalidArgumentError, match=message):
    tfrd.DiscreteMixture(tf.constant(field, tf.float64), tf.constant(delta, tf.float64),
                         validate_args=True)


def test_invalid_shapes_variables_and_values():
  with pytest.raises(ValueError, match='`field` must be at least a vector'):
    tfrd.DiscreteMixture(1., 1.)
  delta = tf.Variable(1.)
  dist = tfrd.DiscreteMixture(tf.zeros([2]), delta, validate_args=True)
  delta.assign(-1.)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`delta` must be positive'):
    dist.log_prob(tf.zeros([2]))
  delta.assign(1.)
  with pytest.raises(tf.errors.InvalidArgumentError, match='`value` must be finite'):
    dist.log_prob(tf.constant([np.inf, 0.]))


def test_bad_spins_and_batch_shapes_name_the_argument():
  with pytest.raises(ValueError, match='`field` .*and `delta` .*broadcast'):
    tfrd.DiscreteMixture(tf.zeros([2, 3]), tf.ones([3]))
  dist = tfrd.DiscreteMixture(tf.zeros([3]), 2., validate_args=True)
  with pytest.raises(ValueError, match=r'`spins` must have shape \[\.\.\., 3\]'):
    dist.smooth(tf.ones([4, 2]), seed=(1, 2))
  with pytest.raises(TypeError, match='`spins` has dtype float64'):
    dist.smooth(tf.ones([3], tf.float64), seed=(1, 2))
  with pytest.raises(tf.errors.InvalidArgumentError, match='`spins` must hold spins'):
    dist.smooth([1., 0., -1.], seed=(1, 2))
  with pytest.raises(tf.errors.InvalidArgumentError, match='`spins` must be finite'):
    dist.smooth([1., np.nan, -1.], seed=(1, 2))
