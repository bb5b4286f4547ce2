"""A flow with an energy-based base, taken apart: base, bijector, log-densities.

Shared by `tfp_rbm.training` and `tfp_rbm.evaluation`, which each add their
own piece (the chains and surrogate loss; the log Z estimates) to these.
"""

import tensorflow as tf

from tfp_rbm.distributions import boltzmann_machine

__all__ = ['has_intractable_normalizer', 'log_prob_parts', 'split_flow']


def split_flow(distribution):
  """Returns `(base, bijector)`; the bijector is None for a bare base."""
  # Duck-typed: TFP builds a non-composite `_TransformedDistribution` when base
  # or bijector is not a composite tensor, which is not a TransformedDistribution.
  if hasattr(distribution, 'bijector') and hasattr(distribution, 'distribution'):
    return distribution.distribution, distribution.bijector
  return distribution, None


def has_intractable_normalizer(base):
  """True for bases trained through persistent chains: the core's declared capability."""
  return (boltzmann_machine.is_energy_based(base)
          and not base.log_normalizer_is_tractable)


def log_prob_parts(distribution, x):
  """`(z, log p_base(z), log|det dz/dx|)` with `z = f^{-1}(x)`; the flow runs once.

  `log p(x) = log p_base(z) + log|det dz/dx|`, where `log p_base` is the
  base's `unnormalized_log_prob` (log Z left out) for a base with an
  intractable log Z, its `log_prob` otherwise. A bare base has `z = x` and a
  zero log-det.
  """
  base, bijector = split_flow(distribution)
  base_log_prob = (base.unnormalized_log_prob if has_intractable_normalizer(base)
                   else base.log_prob)
  if bijector is None:
    log_prob = base_log_prob(x)
    return x, log_prob, tf.zeros_like(log_prob)
  z = bijector.inverse(x)
  log_det = bijector.inverse_log_det_jacobian(x, event_ndims=distribution.event_shape.rank)
  return z, base_log_prob(z), log_det
