"""Registry cases for the restricted Boltzmann machines.

Each `log_prob_exact` is an independent NumPy brute force: enumeration of
every joint state for the binary RBM, and for the Gaussian-Bernoulli RBM a
sum over hidden states with a numerically integrated normalizer on a grid.
"""

import itertools

import numpy as np
import tensorflow as tf

import registry
from tfp_rbm import distributions as tfrd


def all_binary_states(n):
  return np.array(list(itertools.product([0., 1.], repeat=n)))


def bernoulli_rbm_log_prob_exact(dist, x):
  """log p(v) for every machine in the batch by enumerating all (v, h)."""
  w, b, c = (np.asarray(t) for t in (dist.weights, dist.visible_bias, dist.hidden_bias))
  hs = all_binary_states(w.shape[-1])
  vs = all_binary_states(w.shape[-2])

  def log_marginal(v, wk, bk, ck):  # v [..., D] -> [...]
    neg_energy = (v @ bk)[..., None] + hs @ ck + np.einsum('...i,ij,kj->...k', v, wk, hs)
    return np.logaddexp.reduce(neg_energy, axis=-1)

  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k in range(w.shape[0]):
    log_z = np.logaddexp.reduce(log_marginal(vs, w[k], b[k], c[k]))
    out[..., k] = log_marginal(x[..., k, :], w[k], b[k], c[k]) - log_z
  return out


def gaussian_bernoulli_log_prob_exact(dist, x, grid_size=801, half_width=9.):
  """log p(v) for 2-D machines: exp(-F) summed over h, Z by a 2-D Simpson rule."""
  from scipy import integrate
  w, b, c, s = (np.asarray(t) for t in (dist.weights, dist.visible_bias,
                                         dist.hidden_bias, dist.scale))
  hs = all_binary_states(w.shape[-1])

  def log_marginal(v, k):  # v [..., 2]
    quadratic = np.sum((v - b[k]) ** 2 / (2 * s[k] ** 2), axis=-1)
    interaction = np.einsum('...i,ij,kj->...k', v / s[k], w[k], hs)
    return -quadratic + np.logaddexp.reduce(interaction + hs @ c[k], axis=-1)

  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k in range(w.shape[0]):
    axes = [np.linspace(b[k, i] - half_width * s[k, i], b[k, i] + half_width * s[k, i],
                        grid_size) for i in range(2)]
    grid = np.stack(np.meshgrid(*axes, indexing='ij'), axis=-1)
    density = np.exp(log_marginal(grid, k))
    z = integrate.simpson(integrate.simpson(density, x=axes[1], axis=1), x=axes[0])
    out[..., k] = log_marginal(x[..., k, :], k) - np.log(z)
  return out


@registry.register_distribution('BernoulliRBM', log_prob_exact=bernoulli_rbm_log_prob_exact)
def make_bernoulli_rbm(dtype):
  rng = np.random.default_rng(1)
  return tfrd.BernoulliRBM(
      weights=tf.Variable(rng.normal(size=[2, 4, 3]), dtype=dtype, name='weights'),
      visible_bias=tf.Variable(rng.normal(size=[2, 4]), dtype=dtype, name='visible_bias'),
      hidden_bias=tf.Variable(rng.normal(size=[2, 3]), dtype=dtype, name='hidden_bias'),
      validate_args=True)


@registry.register_distribution('GaussianBernoulliRBM',
                                log_prob_exact=gaussian_bernoulli_log_prob_exact)
def make_gaussian_bernoulli_rbm(dtype):
  rng = np.random.default_rng(2)
  return tfrd.GaussianBernoulliRBM(
      weights=tf.Variable(rng.normal(size=[2, 2, 3]) * 0.8, dtype=dtype, name='weights'),
      visible_bias=tf.Variable(rng.normal(size=[2, 2]), dtype=dtype, name='visible_bias'),
      hidden_bias=tf.Variable(rng.normal(size=[2, 3]), dtype=dtype, name='hidden_bias'),
      scale=tf.Variable(rng.uniform(0.5, 1.5, size=[2, 2]), dtype=dtype, name='scale'),
      validate_args=True)
