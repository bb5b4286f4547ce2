"""Registry cases for the Gaussian-smoothed RBM and the discrete mixture.

Each `log_prob_exact` is an independent NumPy brute force: the mixture
`sum_s p(s) N(z; s, (J + delta I)^-1)` over all `2^N` spin configurations,
with `p(s)` normalized by enumerating them too; `moments_exact` is that
mixture's mean `E[s]` and covariance `Cov[s] + (J + delta I)^-1`. The same
references serve the tests in `tests/distributions/`.
"""

import itertools

import numpy as np
import tensorflow as tf

import registry
from tfp_rbm import distributions as tfrd
from tfp_rbm.internal import spectral_bound


def all_spins(n):
  """Every `s in {-1, +1}^n`, shape `[2^n, n]`."""
  return np.array(list(itertools.product([-1., 1.], repeat=n)))


def coupling_matrix(weights):
  """`J = [[0, W], [W^T, 0]]` for one machine."""
  num_a, num_b = weights.shape
  j = np.zeros([num_a + num_b] * 2)
  j[:num_a, num_a:] = weights
  j[num_a:, :num_a] = weights.T
  return j


def spin_log_pmf(j, h):
  """`log p(s)` of the machine `E(s) = -s^T J s / 2 - h.s`, for `all_spins`."""
  s = all_spins(len(h))
  neg_energy = 0.5 * np.einsum('ki,ij,kj->k', s, j, s) + s @ h
  return neg_energy - np.logaddexp.reduce(neg_energy)


def gaussian_log_pdf(x, mean, precision):
  """`log N(x; mean, precision^-1)`, broadcasting `x - mean` over leading axes."""
  diff = x - mean
  _, log_det = np.linalg.slogdet(precision)
  return (-0.5 * len(precision) * np.log(2 * np.pi) + 0.5 * log_det
          - 0.5 * np.einsum('...i,ij,...j->...', diff, precision, diff))


def mixture_log_prob(j, h, delta, z):
  """`log sum_s p(s) N(z; s, (J + delta I)^-1)` for one machine, `z [..., N]`."""
  precision = j + delta * np.eye(len(h))
  log_joint = spin_log_pmf(j, h) + gaussian_log_pdf(
      np.asarray(z)[..., None, :], all_spins(len(h)), precision)
  return np.logaddexp.reduce(log_joint, axis=-1)


def machine_parameters(dist):
  """`(J, h, delta)` of each machine of a rank-1 batch, as NumPy."""
  batch = dist.batch_shape.as_list()
  if isinstance(dist, tfrd.SmoothedRBM):
    w = np.broadcast_to(np.asarray(dist.weights), batch + dist.weights.shape.as_list()[-2:])
    couplings = [coupling_matrix(wk) for wk in w]
    delta = dist.delta_parameter()
  else:
    couplings = [np.zeros([dist.event_shape[0]] * 2)] * batch[0]
    delta = dist.delta
  h = np.broadcast_to(np.asarray(dist.field), batch + dist.event_shape.as_list())
  return couplings, h, np.broadcast_to(np.asarray(delta), batch)


def smoothed_log_prob_exact(dist, x):
  """log p(z) for every machine of a rank-1 batch, by enumerating all spins."""
  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k, (j, h, delta) in enumerate(zip(*machine_parameters(dist))):
    out[..., k] = mixture_log_prob(j, h, delta, x[..., k, :])
  return out


def mixture_moments(j, h, delta):
  """`E[z]` and `Cov[z] = Cov[s] + (J + delta I)^-1` of one machine, by enumeration."""
  s = all_spins(len(h))
  p = np.exp(spin_log_pmf(j, h))
  mean = p @ s
  cov = np.einsum('k,ki,kj->ij', p, s - mean, s - mean) + np.linalg.inv(
      j + delta * np.eye(len(h)))
  return mean, cov


def smoothed_moments_exact(dist):
  """Mean and covariance of every machine of a rank-1 batch."""
  means, covs = zip(*(mixture_moments(*parameters)
                      for parameters in zip(*machine_parameters(dist))))
  return np.stack(means), np.stack(covs)


@registry.register_distribution('SmoothedRBM', log_prob_exact=smoothed_log_prob_exact,
                                moments_exact=smoothed_moments_exact,
                                chain_states=lambda dist: all_spins(dist.event_shape[0]))
def make_smoothed_rbm(dtype):
  rng = np.random.default_rng(3)
  return tfrd.SmoothedRBM(
      weights=tf.Variable(rng.normal(size=[2, 2, 3]) * 0.7, dtype=dtype, name='weights'),
      field=tf.Variable(rng.normal(size=[5]) * 0.5, dtype=dtype, name='field'),
      delta=tf.Variable([2.5, 3.], dtype=dtype, name='delta'),
      validate_args=True)


@registry.register_distribution('SmoothedRBM-margin', log_prob_exact=smoothed_log_prob_exact,
                                moments_exact=smoothed_moments_exact,
                                chain_states=lambda dist: all_spins(dist.event_shape[0]))
def make_smoothed_rbm_with_margin(dtype):
  """`delta = delta_from_margin(W, margin)`: `B(W) + softplus(margin)` above its floor."""
  rng = np.random.default_rng(4)
  return tfrd.SmoothedRBM(
      weights=tf.Variable(rng.normal(size=[2, 3, 2]) * 0.7, dtype=dtype, name='weights'),
      field=tf.Variable(rng.normal(size=[2, 5]) * 0.5, dtype=dtype, name='field'),
      margin=tf.Variable(0.3, dtype=dtype, name='margin'),
      validate_args=True)


@registry.register_distribution('DiscreteMixture', log_prob_exact=smoothed_log_prob_exact,
                                moments_exact=smoothed_moments_exact,
                                chain_states=lambda dist: all_spins(dist.event_shape[0]))
def make_discrete_mixture(dtype):
  rng = np.random.default_rng(5)
  return tfrd.DiscreteMixture(
      field=tf.Variable(rng.normal(size=[2, 4]), dtype=dtype, name='field'),
      delta=tf.Variable(2., dtype=dtype, name='delta'),
      validate_args=True)


def spectral_bound_reference(w, num_squarings=spectral_bound.SPECTRAL_BOUND_SQUARINGS):
  """`(sum_i sigma_i^p)^(1/p)`, `p = 2^(k+2)`, from NumPy's singular values."""
  sigma = np.linalg.svd(w, compute_uv=False)
  p = 2. ** (num_squarings + 2)
  return sigma[..., 0] * np.sum((sigma / sigma[..., :1]) ** p, axis=-1) ** (1. / p)
