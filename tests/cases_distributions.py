"""Registry cases for the restricted Boltzmann machines.

Each `log_prob_exact` is an independent NumPy brute force: enumeration of
every joint state for the binary RBM, and for the Gaussian-Bernoulli RBM a
sum over hidden states with a numerically integrated normalizer on a grid.
Each `moments_exact` enumerates too: every visible state of the binary RBM,
and for the Gaussian-Bernoulli RBM the Gaussian mixture over hidden states,
`p(v) = sum_h p(h) Normal(b + sigma * (W h), sigma^2)`.
"""

import itertools

import numpy as np
import tensorflow as tf

import registry
from tfp_rbm import distributions as tfrd


def all_binary_states(n):
  return np.array(list(itertools.product([0., 1.], repeat=n)))


def machine_parameters(dist):
  """`[(W, b, c[, sigma])]`, one tuple of NumPy arrays per machine of a rank-1 batch."""
  batch = dist.batch_shape.as_list()
  num_visible, num_hidden = dist.num_visible, dist.num_hidden
  arrays = [np.broadcast_to(np.asarray(dist.weights), batch + [num_visible, num_hidden]),
            np.broadcast_to(np.asarray(dist.visible_bias), batch + [num_visible]),
            np.broadcast_to(np.asarray(dist.hidden_bias), batch + [num_hidden])]
  if isinstance(dist, tfrd.GaussianBernoulliRBM):
    arrays.append(np.broadcast_to(np.asarray(dist.scale), batch + [num_visible]))
  return list(zip(*arrays))


def all_spin_states(n):
  return 2. * all_binary_states(n) - 1.


def _states(dist, n):
  """Every state of a layer of `n` units: spins for a `SpinRBM`, else `{0, 1}`."""
  return all_spin_states(n) if isinstance(dist, tfrd.SpinRBM) else all_binary_states(n)


def bernoulli_rbm_log_prob_exact(dist, x):
  """log p(v) for every machine in the batch by enumerating all (v, h), binary or spins."""
  hs = _states(dist, dist.num_hidden)
  vs = _states(dist, dist.num_visible)

  def log_marginal(v, wk, bk, ck):  # v [..., D] -> [...]
    neg_energy = (v @ bk)[..., None] + hs @ ck + np.einsum('...i,ij,kj->...k', v, wk, hs)
    return np.logaddexp.reduce(neg_energy, axis=-1)

  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k, (w, b, c) in enumerate(machine_parameters(dist)):
    log_z = np.logaddexp.reduce(log_marginal(vs, w, b, c))
    out[..., k] = log_marginal(x[..., k, :], w, b, c) - log_z
  return out


def bernoulli_rbm_moments_exact(dist):
  """Mean and covariance of `v` for every machine, by enumerating all `v`."""
  vs = _states(dist, dist.num_visible)
  batch_size = dist.batch_shape[0]
  pmf = np.exp(bernoulli_rbm_log_prob_exact(
      dist, np.repeat(vs[:, None, :], batch_size, axis=1)))  # [2^D, batch]
  mean = pmf.T @ vs
  centred = vs[None] - mean[:, None]  # [batch, 2^D, D]
  return mean, np.einsum('kb,bki,bkj->bij', pmf, centred, centred)


def gaussian_bernoulli_log_prob_exact(dist, x, grid_size=801, half_width=9.):
  """log p(v) for 2-D machines: exp(-F) summed over h, Z by a 2-D Simpson rule."""
  from scipy import integrate
  hs = all_binary_states(dist.num_hidden)
  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k, (w, b, c, s) in enumerate(machine_parameters(dist)):

    def log_marginal(v, w=w, b=b, c=c, s=s):  # v [..., 2]
      quadratic = np.sum((v - b) ** 2 / (2 * s ** 2), axis=-1)
      interaction = np.einsum('...i,ij,kj->...k', v / s, w, hs)
      return -quadratic + np.logaddexp.reduce(interaction + hs @ c, axis=-1)

    axes = [np.linspace(b[i] - half_width * s[i], b[i] + half_width * s[i], grid_size)
            for i in range(2)]
    grid = np.stack(np.meshgrid(*axes, indexing='ij'), axis=-1)
    density = np.exp(log_marginal(grid))
    z = integrate.simpson(integrate.simpson(density, x=axes[1], axis=1), x=axes[0])
    out[..., k] = log_marginal(x[..., k, :]) - np.log(z)
  return out


def gaussian_bernoulli_moments_exact(dist):
  """Mean and covariance of the Gaussian mixture over all hidden states, per machine."""
  hs = all_binary_states(dist.num_hidden)
  means, covs = [], []
  for w, b, c, s in machine_parameters(dist):
    a = hs @ w.T
    log_ph = hs @ c + np.sum(b * a / s + a ** 2 / 2, axis=-1)
    ph = np.exp(log_ph - np.logaddexp.reduce(log_ph))
    component_means = b + s * a
    mean = ph @ component_means
    centred = component_means - mean
    means.append(mean)
    covs.append(np.diag(s ** 2) + np.einsum('k,ki,kj->ij', ph, centred, centred))
  return np.stack(means), np.stack(covs)


@registry.register_distribution('BernoulliRBM', log_prob_exact=bernoulli_rbm_log_prob_exact,
                                moments_exact=bernoulli_rbm_moments_exact,
                                chain_states=lambda dist: all_binary_states(dist.num_visible))
def make_bernoulli_rbm(dtype):
  rng = np.random.default_rng(1)
  return tfrd.BernoulliRBM(
      weights=tf.Variable(rng.normal(size=[2, 4, 3]), dtype=dtype, name='weights'),
      visible_bias=tf.Variable(rng.normal(size=[2, 4]), dtype=dtype, name='visible_bias'),
      hidden_bias=tf.Variable(rng.normal(size=[2, 3]), dtype=dtype, name='hidden_bias'),
      validate_args=True)


@registry.register_distribution('SpinRBM', log_prob_exact=bernoulli_rbm_log_prob_exact,
                                moments_exact=bernoulli_rbm_moments_exact,
                                chain_states=lambda dist: all_spin_states(dist.num_visible))
def make_spin_rbm(dtype):
  """More hidden than visible spins: log Z enumerates the visible layer."""
  rng = np.random.default_rng(6)
  return tfrd.SpinRBM(
      weights=tf.Variable(rng.normal(size=[2, 3, 4]) * 0.5, dtype=dtype, name='weights'),
      visible_bias=tf.Variable(rng.normal(size=[2, 3]) * 0.5, dtype=dtype, name='visible_bias'),
      hidden_bias=tf.Variable(rng.normal(size=[2, 4]) * 0.5, dtype=dtype, name='hidden_bias'),
      validate_args=True)


@registry.register_distribution('GaussianBernoulliRBM',
                                log_prob_exact=gaussian_bernoulli_log_prob_exact,
                                moments_exact=gaussian_bernoulli_moments_exact)
def make_gaussian_bernoulli_rbm(dtype):
  rng = np.random.default_rng(2)
  return tfrd.GaussianBernoulliRBM(
      weights=tf.Variable(rng.normal(size=[2, 2, 3]) * 0.8, dtype=dtype, name='weights'),
      visible_bias=tf.Variable(rng.normal(size=[2, 2]), dtype=dtype, name='visible_bias'),
      hidden_bias=tf.Variable(rng.normal(size=[2, 3]), dtype=dtype, name='hidden_bias'),
      scale=tf.Variable(rng.uniform(0.5, 1.5, size=[2, 2]), dtype=dtype, name='scale'),
      validate_args=True)


@registry.register_distribution('GaussianBernoulliRBM-batch-from-scale',
                                log_prob_exact=gaussian_bernoulli_log_prob_exact,
                                moments_exact=gaussian_bernoulli_moments_exact)
def make_gaussian_bernoulli_rbm_batched_by_scale(dtype):
  """A batch of two machines that differ only in `scale`."""
  rng = np.random.default_rng(4)
  return tfrd.GaussianBernoulliRBM(
      weights=tf.Variable(rng.normal(size=[2, 3]) * 0.8, dtype=dtype, name='weights'),
      visible_bias=tf.Variable(rng.normal(size=[2]), dtype=dtype, name='visible_bias'),
      hidden_bias=tf.Variable(rng.normal(size=[3]), dtype=dtype, name='hidden_bias'),
      scale=tf.Variable(rng.uniform(0.5, 1.5, size=[2, 2]), dtype=dtype, name='scale'),
      validate_args=True)
