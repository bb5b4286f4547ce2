"""RAISE lower bounds on log p(x), and the AIS/RAISE bracket around the exact value."""

import functools
import itertools

import annealing_test_models as models
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python.distributions import normal

from tfp_rbm import evaluation
from tfp_rbm.distributions import BernoulliRBM
from tfp_rbm.distributions import SmoothedRBM

NUM_POINTS = 20
CHAINS_PER_POINT = 5


@functools.lru_cache(maxsize=None)
def _raise(num_steps, seed=(5, 6)):
  """RAISE on the first training points of the CD-trained 784 x 12 binary RBM."""
  dist, base = models.model('trained_bernoulli')
  return evaluation.raise_log_prob(
      dist, models.prototype_data()[:NUM_POINTS], num_chains_per_point=CHAINS_PER_POINT,
      betas=num_steps, proposal=base, seed=seed)


def _exact():
  dist, _ = models.model('trained_bernoulli')
  return dist.log_prob(models.prototype_data()[:NUM_POINTS])


def test_ais_raise_bracket_contains_exact_log_likelihood():
  """Mean log p over the points: RAISE <= exact <= AIS, up to Monte Carlo error.

  AIS's side uses log Z at the low end of its 3-standard-error spread. RAISE
  bounds the annealed model's log-likelihood, which at a finite schedule can
  sit slightly above the RBM's at some points (see the exact check below), so
  its side allows 3 standard errors of the mean over the points.
  """
  dist, _ = models.model('trained_bernoulli')
  exact = _exact()
  ais = models.ais_estimate('trained_bernoulli', 300)
  ais_upper = float(tf.reduce_mean(exact + dist.exact_log_normalizer() - ais.lower))
  raise_error = _raise(300) - exact
  standard_error = float(tf.math.reduce_std(raise_error)) / np.sqrt(NUM_POINTS)
  assert float(tf.reduce_mean(raise_error)) <= 3. * standard_error
  assert float(tf.reduce_mean(exact)) <= ais_upper
  assert ais_upper - float(tf.reduce_mean(exact + raise_error)) < 0.5


def test_raise_is_unbiased_for_the_annealed_model():
  """`mean exp(log p^)` is `p_ann(x) = (p_0 T_1 T_2)(x)`, enumerated on 3 x 2 units."""
  rng = np.random.default_rng(1)
  w, b, c = rng.normal(0., 1.5, [3, 2]), rng.normal(0., 1., [3]), rng.normal(0., 1., [2])
  base_bias = np.full(3, 0.3)
  visible = np.array(list(itertools.product([0., 1.], repeat=3)))
  hidden = np.array(list(itertools.product([0., 1.], repeat=2)))
  sigmoid = lambda a: 1. / (1. + np.exp(-a))

  def bernoulli_probs(states, probs):  # [n, K], [m, K] -> [m, n]
    return np.prod(np.where(states[None] == 1., probs[:, None], 1. - probs[:, None]), -1)

  def gibbs_matrix(beta):  # T_beta(v' | v), [v, v']
    hidden_given_visible = bernoulli_probs(hidden, sigmoid(beta * c + visible @ (beta * w)))
    visible_bias = (1. - beta) * base_bias + beta * b
    visible_given_hidden = bernoulli_probs(
        visible, sigmoid(visible_bias + hidden @ (beta * w).T))
    return hidden_given_visible @ visible_given_hidden

  p_0 = bernoulli_probs(visible, sigmoid(base_bias)[None])[0]
  p_annealed = p_0 @ gibbs_matrix(0.5) @ gibbs_matrix(1.)
  estimate = evaluation.raise_log_prob(
      BernoulliRBM(w, b, c), visible, num_chains_per_point=20000, betas=[0., 0.5, 1.],
      proposal={'visible_bias': base_bias}, seed=(1, 2))
  np.testing.assert_allclose(estimate, np.log(p_annealed), atol=0.02)
  assert np.max(np.abs(np.log(p_annealed) - BernoulliRBM(w, b, c).log_prob(visible))) > 0.05


def test_more_temperatures_tighten_raise():
  coarse = float(tf.reduce_mean(_exact() - _raise(10)))
  fine = float(tf.reduce_mean(_exact() - _raise(300)))
  assert coarse > 3. * abs(fine)


def test_raise_reproducible_for_a_seed():
  first = _raise.__wrapped__(10)
  again = _raise.__wrapped__(10)
  other = _raise.__wrapped__(10, seed=(5, 7))
  assert first.shape == [NUM_POINTS] and first.dtype == tf.float64
  np.testing.assert_array_equal(first, again)
  assert not np.allclose(first, other)


def test_raise_needs_chains_over_the_data_variable():
  weights = np.full([3, 2], 0.1)
  smoothed = SmoothedRBM(weights=weights, field=np.zeros(5), delta=1.)
  for dist in (smoothed, normal.Normal(0., 1.)):
    with pytest.raises(TypeError, match='capability'):
      evaluation.raise_log_prob(dist, tf.zeros([1, 5]), betas=3)


@pytest.mark.parametrize('num_chains_per_point', [0, -1])
def test_raise_needs_a_chain_per_point(num_chains_per_point):
  dist, _ = models.model('random_bernoulli')
  with pytest.raises(ValueError, match='`num_chains_per_point` must be at least 1'):
    evaluation.raise_log_prob(dist, tf.zeros([1, models.NUM_VISIBLE], tf.float64),
                              num_chains_per_point=num_chains_per_point, betas=3)
