"""The registries that every generic invariant test runs over.

Adding a distribution or bijector to the library means registering a case in
one of the `tests/cases_*.py` modules (all are loaded); the generic checks in
`test_distribution_invariants.py` and `test_bijector_invariants.py` then run
on it automatically, so no class can skip them.
"""

import dataclasses
from typing import Callable

import numpy as np

DISTRIBUTIONS = {}
BIJECTORS = {}


@dataclasses.dataclass(frozen=True)
class DistributionCase:
  """A tiny instance of a distribution, built for a given dtype.

  `make(dtype)` returns the distribution, with a batch shape of rank 1; its
  parameters that should receive gradients must be `tf.Variable`s. Both
  references are independent NumPy brute force (enumeration, integration or
  closed form), and required: `log_prob_exact(dist, x)` is the log-density
  of `x` (`sample_shape + batch_shape + event_shape`), `moments_exact(dist)`
  the exact mean and covariance, shapes `batch + [D]` and `batch + [D, D]`.
  For an energy-based case whose chains visit finitely many states,
  `chain_states(dist)` lists them all, `[K, chain_event_size]`: the
  energy-model checks enumerate the chains' distribution with it.
  """
  make: Callable
  log_prob_exact: Callable
  moments_exact: Callable
  reparameterized: bool = False
  chain_states: Callable = None


def assert_moments_within_monte_carlo_error(samples, mean, cov, num_standard_errors=5.):
  """Sample mean and covariance within Monte-Carlo error of the exact ones.

  `samples` are independent draws, `[n] + batch + [D]`. The mean's standard
  error is `sqrt(diag(cov) / n)`; each covariance entry is the mean of the
  products `(x_i - mean_i)(x_j - mean_j)`, whose standard error is their
  sample standard deviation over `sqrt(n)`.
  """
  n = samples.shape[0]
  centred = samples - mean
  np.testing.assert_array_less(
      np.abs(centred.mean(0)),
      num_standard_errors * np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1) / n))
  products = centred[..., :, None] * centred[..., None, :]
  np.testing.assert_array_less(np.abs(products.mean(0) - cov),
                               num_standard_errors * products.std(0) / np.sqrt(n))


@dataclasses.dataclass(frozen=True)
class BijectorCase:
  """A small bijector and a point `x` in its domain, built for a dtype.

  `make(dtype)` returns `(bijector, x)`. The bijector's `tf.Variable`s (or the
  weights of the Keras layers it holds) should all receive gradients from
  `forward_log_det_jacobian` or `forward`.
  """
  make: Callable
  event_ndims: int = 1


def register_distribution(name, **kwargs):
  def decorator(make):
    DISTRIBUTIONS[name] = DistributionCase(make=make, **kwargs)
    return make
  return decorator


def register_bijector(name, **kwargs):
  def decorator(make):
    BIJECTORS[name] = BijectorCase(make=make, **kwargs)
    return make
  return decorator


def load_all_cases():
  """Imports every `tests/cases_*.py`, each of which registers its cases."""
  import importlib
  import pathlib
  for path in sorted(pathlib.Path(__file__).parent.glob('cases_*.py')):
    importlib.import_module(path.stem)
