"""Registry cases for the labelled Gaussian-Bernoulli RBM.

Each reference is an independent NumPy brute force over every hidden state
`h` and label `y`: the unnormalized joint

  log p~(v, y) = -sum_i (v_i - b_i)^2 / (2 s_i^2) + logsumexp_h [c.h + d_y + U_y.h + (v/s)^T W h]

and its normalizer integrated numerically over `v` (Simpson's rule in one or
two dimensions), and the moments of the Gaussian mixture
`p(v) = sum_{h,y} p(h, y) Normal(b + s * (W h), s^2)`. The tests in
`tests/distributions/test_labeled_gaussian_bernoulli_rbm.py` use the same
references.
"""

import itertools

import numpy as np
import tensorflow as tf

import registry
from tfp_rbm import distributions as tfrd


def all_binary_states(n):
  return np.array(list(itertools.product([0., 1.], repeat=n)))


def machine_parameters(dist):
  """`[(W, b, c, s, U, d)]`, NumPy arrays of each machine of a batch of rank 0 or 1."""
  batch = dist.batch_shape.as_list()
  num_visible, num_hidden, num_classes = dist.num_visible, dist.num_hidden, dist.num_classes
  shapes = [[num_visible, num_hidden], [num_visible], [num_hidden], [num_visible],
            [num_classes, num_hidden], [num_classes]]
  arrays = [np.broadcast_to(np.asarray(p), batch + shape).reshape([-1] + shape)
            for p, shape in zip((dist.weights, dist.visible_bias, dist.hidden_bias, dist.scale,
                                 dist.label_weights, dist.label_bias), shapes)]
  return list(zip(*arrays))


def joint_log_unnormalized(v, w, b, c, s, u, d):
  """`log p~(v, y)` for every label, `v [..., D] -> [..., K]`, summing over every `h`."""
  hs = all_binary_states(len(c))
  quadratic = np.sum((v - b) ** 2 / (2 * s ** 2), axis=-1)
  per_h = np.einsum('...i,ij,kj->...k', v / s, w, hs) + hs @ c  # [..., 2^H]
  per_hy = per_h[..., None, :] + d[:, None] + u @ hs.T  # [..., K, 2^H]
  return np.logaddexp.reduce(per_hy, axis=-1) - quadratic[..., None]


_LOG_NORMALIZERS = {}


def log_normalizer(w, b, c, s, u, d, grid_size=1201, half_width=10.):
  """`log Z`, integrating `sum_y p~(v, y)` over a grid covering every component (D <= 2).

  Kept per machine (the references ask for the same machine's log Z once per label).
  """
  key = tuple(np.asarray(p, np.float64).tobytes() for p in (w, b, c, s, u, d)) + (
      grid_size, half_width)
  if key not in _LOG_NORMALIZERS:
    _LOG_NORMALIZERS[key] = _integrated_log_normalizer(w, b, c, s, u, d, grid_size, half_width)
  return _LOG_NORMALIZERS[key]


def _integrated_log_normalizer(w, b, c, s, u, d, grid_size, half_width):
  from scipy import integrate
  component_means = b + s * (all_binary_states(len(c)) @ w.T)
  axes = [np.linspace(component_means[:, i].min() - half_width * s[i],
                      component_means[:, i].max() + half_width * s[i], grid_size)
          for i in range(len(b))]
  grid = np.stack(np.meshgrid(*axes, indexing='ij'), axis=-1)
  density = np.exp(np.logaddexp.reduce(joint_log_unnormalized(grid, w, b, c, s, u, d), axis=-1))
  for axis in reversed(axes):
    density = integrate.simpson(density, x=axis, axis=-1)
  return np.log(density)


def labeled_reference(dist, x, labels=None):
  """`log p(v)` (or `log p(v, y)` with `labels`) of every machine of a rank-1 batch."""
  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k, parameters in enumerate(machine_parameters(dist)):
    joint = joint_log_unnormalized(x[..., k, :], *parameters) - log_normalizer(*parameters)
    out[..., k] = (np.logaddexp.reduce(joint, axis=-1) if labels is None else
                   np.take_along_axis(joint, np.asarray(labels)[..., k, None], -1)[..., 0])
  return out


def hidden_and_label_pmf(w, b, c, s, u, d):
  """`p(h, y)` over `all_binary_states(H) x range(K)`, `[2^H, K]`, and the means `b + s W h`."""
  hs = all_binary_states(len(c))
  a = hs @ w.T
  log_weight = (hs @ c + np.sum(b * a / s + a ** 2 / 2, axis=-1))[:, None] + d + hs @ u.T
  return np.exp(log_weight - np.logaddexp.reduce(log_weight.ravel())), b + s * a


def labeled_moments_exact(dist):
  """Mean and covariance of `v` of every machine: the mixture over every `(h, y)`."""
  means, covs = [], []
  for parameters in machine_parameters(dist):
    pmf, component_means = hidden_and_label_pmf(*parameters)
    ph = pmf.sum(axis=1)
    mean = ph @ component_means
    centred = component_means - mean
    means.append(mean)
    covs.append(np.diag(parameters[3] ** 2) + np.einsum('k,ki,kj->ij', ph, centred, centred))
  return np.stack(means), np.stack(covs)


def make_labeled(dtype, seed=0, batch=(), label_batch=(), num_visible=2, num_hidden=3,
                 num_classes=3, variables=True, **kwargs):
  """A small machine; `label_batch` is the batch shape of `U` and `d` alone."""
  rng = np.random.default_rng(seed)
  wrap = ((lambda value, name: tf.Variable(value, dtype=dtype, name=name)) if variables
          else (lambda value, name: tf.constant(value, dtype=dtype, name=name)))
  return tfrd.LabeledGaussianBernoulliRBM(
      weights=wrap(rng.normal(size=[*batch, num_visible, num_hidden]) * 0.8, 'weights'),
      visible_bias=wrap(rng.normal(size=[*batch, num_visible]), 'visible_bias'),
      hidden_bias=wrap(rng.normal(size=[*batch, num_hidden]), 'hidden_bias'),
      scale=wrap(rng.uniform(0.5, 1.5, size=[*batch, num_visible]), 'scale'),
      label_weights=wrap(rng.normal(size=[*label_batch, num_classes, num_hidden]),
                         'label_weights'),
      label_bias=wrap(rng.normal(size=[*label_batch, num_classes]) * 0.5, 'label_bias'),
      **kwargs)


@registry.register_distribution('LabeledGaussianBernoulliRBM',
                                log_prob_exact=labeled_reference,
                                moments_exact=labeled_moments_exact)
def make_labeled_gaussian_bernoulli_rbm(dtype):
  return make_labeled(dtype, seed=7, batch=[2], label_batch=[2], validate_args=True)


@registry.register_distribution('LabeledGaussianBernoulliRBM-batch-from-labels',
                                log_prob_exact=labeled_reference,
                                moments_exact=labeled_moments_exact)
def make_labeled_gaussian_bernoulli_rbm_batched_by_labels(dtype):
  """A batch of two machines that differ only in the label layer."""
  return make_labeled(dtype, seed=8, label_batch=[2], num_classes=2, validate_args=True)
