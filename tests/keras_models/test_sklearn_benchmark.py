"""benchmarks/sklearn_rbm.py scores scikit-learn's RBM by the exact NLL ours uses."""

import types

import numpy as np
import tensorflow as tf

import benchmark_scripts
from tfp_rbm import distributions



def _benchmark():
  return benchmark_scripts.load('sklearn_rbm')


def test_sklearn_nll_is_our_exact_nll_for_the_same_parameters():
  """scikit-learn's `components_` is our `weights` transposed; no scikit-learn needed."""
  rng = np.random.default_rng(0)
  weights = rng.normal(scale=0.3, size=[64, 16])
  visible, hidden = rng.normal(size=64), rng.normal(size=16)
  fitted = types.SimpleNamespace(components_=weights.T, intercept_visible_=visible,
                                 intercept_hidden_=hidden)
  x = (rng.uniform(size=[20, 64]) < 0.3).astype(np.float64)
  rbm = distributions.BernoulliRBM(tf.constant(weights), tf.constant(visible),
                                   tf.constant(hidden))
  np.testing.assert_allclose(_benchmark().sklearn_nll(fitted, x), -np.mean(rbm.log_prob(x)),
                             rtol=1e-9)
