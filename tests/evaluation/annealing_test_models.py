"""Enumerable 784-visible machines shared by the AIS, RAISE and flow tests."""

import functools

import numpy as np

from tfp_rbm import evaluation
from tfp_rbm.distributions import BernoulliRBM
from tfp_rbm.distributions import GaussianBernoulliRBM

NUM_VISIBLE = 784
NUM_HIDDEN = 12


def random_bernoulli_rbm(seed=0, num_visible=NUM_VISIBLE, num_hidden=NUM_HIDDEN):
  rng = np.random.default_rng(seed)
  return BernoulliRBM(weights=rng.normal(0., 0.05, [num_visible, num_hidden]),
                      visible_bias=rng.normal(0., 0.5, [num_visible]),
                      hidden_bias=rng.normal(0., 0.5, [num_hidden]))


def random_gaussian_bernoulli_rbm(seed=0, num_visible=NUM_VISIBLE,
                                  num_hidden=NUM_HIDDEN, dtype=np.float64):
  rng = np.random.default_rng(seed)
  return GaussianBernoulliRBM(
      weights=rng.normal(0., 0.05, [num_visible, num_hidden]).astype(dtype),
      visible_bias=rng.normal(0., 0.5, [num_visible]).astype(dtype),
      hidden_bias=rng.normal(0., 0.5, [num_hidden]).astype(dtype),
      scale=rng.uniform(0.5, 1.5, [num_visible]).astype(dtype))


def prototype_data(num_points=600, seed=0):
  """Binary 784-pixel data: 12 random prototypes, each pixel flipped w.p. 0.05."""
  rng = np.random.default_rng(seed)
  prototypes = rng.random([NUM_HIDDEN, NUM_VISIBLE]) < 0.3
  flips = rng.random([num_points, NUM_VISIBLE]) < 0.05
  return (prototypes[rng.integers(NUM_HIDDEN, size=num_points)] ^ flips).astype(np.float64)


def trained_bernoulli_rbm(data, num_steps=100, learning_rate=0.03, seed=0):
  """A binary RBM fit to `data` by CD-1 (plain NumPy, mean-field negatives for `h`)."""
  rng = np.random.default_rng(seed)
  w = rng.normal(0., 0.01, [NUM_VISIBLE, NUM_HIDDEN])
  mean = data.mean(0).clip(0.01, 0.99)
  b, c = np.log(mean / (1. - mean)), np.zeros(NUM_HIDDEN)
  sigmoid = lambda a: 1. / (1. + np.exp(-a))
  for _ in range(num_steps):
    v = data[rng.integers(len(data), size=100)]
    ph = sigmoid(c + v @ w)
    v_neg = (rng.random(v.shape) < sigmoid(b + (rng.random(ph.shape) < ph) @ w.T)) * 1.
    ph_neg = sigmoid(c + v_neg @ w)
    w += learning_rate * (v.T @ ph - v_neg.T @ ph_neg) / len(v)
    b += learning_rate * (v - v_neg).mean(0)
    c += learning_rate * (ph - ph_neg).mean(0)
  return BernoulliRBM(weights=w, visible_bias=b, hidden_bias=c)


@functools.lru_cache(maxsize=None)
def model(name):
  """`(distribution, base)` of a named 784 x 12 float64 machine, built once."""
  if name == 'trained_bernoulli':
    data = prototype_data()
    dist = trained_bernoulli_rbm(data)
    return dist, dist.fit_proposal(data)
  make = {'random_bernoulli': random_bernoulli_rbm,
          'random_gaussian_bernoulli': random_gaussian_bernoulli_rbm}[name]
  return make(), None


@functools.lru_cache(maxsize=None)
def ais_estimate(name, num_steps):
  """AIS with 100 chains on `model(name)`, computed once per test session."""
  dist, base = model(name)
  return evaluation.log_normalizer(dist, num_chains=100, betas=num_steps,
                                   proposal=base, seed=(1, 2))
