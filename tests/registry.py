"""The registries that every generic invariant test runs over.

Adding a distribution or bijector to the library means registering a case in
one of the `tests/cases_*.py` modules (all are loaded); the generic checks in
`test_distribution_invariants.py` and `test_bijector_invariants.py` then run
on it automatically, so no class can skip them.
"""

import dataclasses
from typing import Callable, Optional

DISTRIBUTIONS = {}
BIJECTORS = {}


@dataclasses.dataclass(frozen=True)
class DistributionCase:
  """A tiny instance of a distribution, built for a given dtype.

  `make(dtype)` returns the distribution; its parameters that should receive
  gradients must be `tf.Variable`s. `log_prob_exact(dist, x)` is an
  independent brute-force log-density (enumeration or integration) in NumPy,
  or None when the case's own test module checks it.
  """
  make: Callable
  log_prob_exact: Optional[Callable] = None
  reparameterized: bool = False


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
