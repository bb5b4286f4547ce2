"""Frechet distance, kernel inception distance and inception score, against references."""

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from tfp_rbm import evaluation


def _correlated_features(rng, num_samples, num_features, shift=0.):
  mixing = rng.normal(size=[num_features, num_features])
  return rng.normal(size=[num_samples, num_features]) @ mixing + shift


def _scipy_frechet_distance(a, b):
  """Heusel et al.'s reference computation (pytorch-fid's), with SciPy's `sqrtm`."""
  mean_a, mean_b = a.mean(0), b.mean(0)
  cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
  sqrt_product = scipy.linalg.sqrtm(cov_a @ cov_b).real
  return np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2. * sqrt_product)


def _random_rotation(rng, size):
  return np.linalg.qr(rng.normal(size=[size, size]))[0]


# -- Frechet distance --

def test_frechet_distance_matches_scipy():
  rng = np.random.default_rng(0)
  a = _correlated_features(rng, 60, 8)
  b = _correlated_features(rng, 40, 8, shift=0.5)
  expected = _scipy_frechet_distance(a, b)
  actual = evaluation.frechet_distance(a, b)
  assert actual.dtype == tf.float64
  np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6)
  np.testing.assert_allclose(evaluation.frechet_distance(b, a).numpy(), expected, rtol=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero():
  a = _correlated_features(np.random.default_rng(1), 50, 10).astype(np.float32)
  scale = np.trace(np.cov(a, rowvar=False))
  assert abs(evaluation.frechet_distance(a, a).numpy()) < 1e-9 * scale


def test_frechet_distance_from_moments_closed_form():
  # Covariances sharing eigenvectors: tr (S_a S_b)^(1/2) = sum sqrt(lambda_a lambda_b), so
  # FID = ||mu_a - mu_b||^2 + sum (sqrt(lambda_a) - sqrt(lambda_b))^2.
  rng = np.random.default_rng(2)
  rotation = _random_rotation(rng, 5)
  spectrum_a, spectrum_b = rng.uniform(0.1, 4., size=[2, 5])
  mean_a, mean_b = rng.normal(size=[2, 5])
  expected = (np.sum((mean_a - mean_b) ** 2)
              + np.sum((np.sqrt(spectrum_a) - np.sqrt(spectrum_b)) ** 2))
  actual = evaluation.frechet_distance_from_moments(
      mean_a, rotation @ np.diag(spectrum_a) @ rotation.T,
      mean_b, rotation @ np.diag(spectrum_b) @ rotation.T)
  np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-10)


def test_frechet_distance_from_moments_handles_singular_covariances():
  # A rank-1 covariance against the identity in 3-D: the eigenvalue route needs no offset.
  direction = np.array([1., 2., 2.]) / 3.
  actual = evaluation.frechet_distance_from_moments(
      np.zeros(3), 4. * np.outer(direction, direction), np.zeros(3), np.eye(3))
  np.testing.assert_allclose(actual.numpy(), 4. + 3. - 2. * 2., atol=1e-12)


def test_frechet_distance_of_large_gaussian_samples_approaches_the_closed_form():
  rng = np.random.default_rng(3)
  cov_a = np.array([[2., 0.5, 0.], [0.5, 1., 0.3], [0., 0.3, 0.5]])
  cov_b = np.diag([1., 2., 0.4])
  mean_a, mean_b = np.zeros(3), np.array([1., -0.5, 0.2])
  a = rng.multivariate_normal(mean_a, cov_a, size=20000)
  b = rng.multivariate_normal(mean_b, cov_b, size=20000)
  exact = evaluation.frechet_distance_from_moments(mean_a, cov_a, mean_b, cov_b).numpy()
  np.testing.assert_allclose(exact, _scipy_frechet_distance(
      rng.multivariate_normal(mean_a, cov_a, size=200000),
      rng.multivariate_normal(mean_b, cov_b, size=200000)), rtol=0.02)
  np.testing.assert_allclose(evaluation.frechet_distance(a, b).numpy(), exact, rtol=0.05)


def test_frechet_distance_in_a_compiled_function():
  rng = np.random.default_rng(4)
  a, b = _correlated_features(rng, 30, 4), _correlated_features(rng, 30, 4, shift=1.)
  compiled = tf.function(evaluation.frechet_distance, jit_compile=False)
  np.testing.assert_allclose(compiled(tf.constant(a), tf.constant(b)).numpy(),
                             _scipy_frechet_distance(a, b), rtol=1e-6)
  a[0, 0] = np.nan
  with pytest.raises(tf.errors.InvalidArgumentError, match='`features_a` must be finite'):
    compiled(tf.constant(a), tf.constant(b))


# -- Kernel inception distance --

def _numpy_kid(a, b):
  d = a.shape[1]
  k_aa, k_bb, k_ab = ((x @ y.T / d + 1.) ** 3 for x, y in ((a, a), (b, b), (a, b)))
  m, n = len(a), len(b)
  return ((k_aa.sum() - np.trace(k_aa)) / (m * (m - 1))
          + (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1)) - 2. * k_ab.mean())


def test_kid_matches_numpy_on_the_whole_sets():
  rng = np.random.default_rng(5)
  a, b = rng.normal(size=[30, 6]), rng.normal(size=[25, 6]) + 0.3
  kid = evaluation.kernel_inception_distance(a, b)
  np.testing.assert_allclose(kid.mean.numpy(), _numpy_kid(a, b), rtol=1e-10)
  assert kid.values.shape == [1] and kid.stddev.numpy() == 0.


def test_kid_is_unbiased_and_positive_between_distributions():
  rng = np.random.default_rng(6)
  same = np.array([evaluation.kernel_inception_distance(
      rng.normal(size=[20, 4]), rng.normal(size=[20, 4])).mean.numpy() for _ in range(100)])
  standard_error = same.std() / np.sqrt(len(same))
  # The biased (V-statistic) estimate would sit ~1 above 0, far beyond this bound.
  assert abs(same.mean()) < 4. * standard_error
  different = evaluation.kernel_inception_distance(
      rng.normal(size=[20, 4]), rng.normal(size=[20, 4]) + 1.).mean.numpy()
  assert different > 20. * standard_error


def test_kid_subsets_are_drawn_without_replacement_from_a_stateless_seed():
  rng = np.random.default_rng(7)
  a, b = rng.normal(size=[40, 3]), rng.normal(size=[30, 3]) + 0.5
  kid = evaluation.kernel_inception_distance(a, b, num_subsets=8, subset_size=10, seed=(1, 2))
  again = evaluation.kernel_inception_distance(a, b, num_subsets=8, subset_size=10, seed=(1, 2))
  assert kid.values.shape == [8]
  np.testing.assert_array_equal(kid.values.numpy(), again.values.numpy())
  np.testing.assert_allclose(kid.mean.numpy(), kid.values.numpy().mean(), rtol=1e-12)
  np.testing.assert_allclose(kid.stddev.numpy(), kid.values.numpy().std(), rtol=1e-12)
  assert np.unique(kid.values.numpy()).size == 8
  # Subsets as large as the sets are permutations of them: every value is the whole-set one.
  whole = evaluation.kernel_inception_distance(a[:30], b, num_subsets=3, seed=(3, 4))
  np.testing.assert_allclose(whole.values.numpy(), [_numpy_kid(a[:30], b)] * 3, rtol=1e-10)


# -- Inception score --

def _numpy_inception_score(probabilities, num_splits):
  """Salimans et al.'s code: consecutive parts `[i n // S, (i + 1) n // S)`."""
  n = len(probabilities)
  scores = []
  for i in range(num_splits):
    part = probabilities[i * n // num_splits:(i + 1) * n // num_splits]
    marginal = part.mean(0, keepdims=True)
    kl = part * (np.log(part) - np.log(marginal))
    scores.append(np.exp(kl.sum(1).mean()))
  return np.mean(scores), np.std(scores)


def test_inception_score_of_constant_predictions_is_one():
  probabilities = np.tile([[0.2, 0.5, 0.3]], [12, 1])
  score = evaluation.inception_score(probabilities, num_splits=3)
  np.testing.assert_allclose(score.values.numpy(), np.ones(3), rtol=1e-12)


@pytest.mark.parametrize('num_classes', [1, 4, 10])
def test_inception_score_of_equiprobable_confident_classes_is_their_number(num_classes):
  one_hot = np.eye(num_classes, dtype=np.float32)[np.arange(5 * num_classes) % num_classes]
  score = evaluation.inception_score(one_hot, num_splits=5)
  np.testing.assert_allclose(score.values.numpy(), np.full(5, num_classes), rtol=1e-12)
  assert score.stddev.numpy() == pytest.approx(0., abs=1e-12)


def test_inception_score_matches_numpy_with_uneven_splits():
  rng = np.random.default_rng(8)
  logits = rng.normal(size=[11, 5]) * 2.
  probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
  mean, stddev = _numpy_inception_score(probabilities, num_splits=3)
  score = evaluation.inception_score(probabilities, num_splits=3)
  np.testing.assert_allclose([score.mean.numpy(), score.stddev.numpy()], [mean, stddev],
                             rtol=1e-10)
  assert 1. <= score.mean.numpy() <= 5.
