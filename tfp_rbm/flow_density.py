"""A flow with an energy-based base, taken apart: base, bijector, log-densities.

Shared by `tfp_rbm.training` and `tfp_rbm.evaluation`, which each add their
own piece (the chains and surrogate loss; the log Z estimates) to these.
"""

__all__ = ['has_intractable_normalizer', 'split_flow', 'unnormalized_log_prob_and_latent']


def split_flow(distribution):
  """Returns `(base, bijector)`; the bijector is None for a bare base."""
  # Duck-typed: TFP builds a non-composite `_TransformedDistribution` when base
  # or bijector is not a composite tensor, which is not a TransformedDistribution.
  if hasattr(distribution, 'bijector') and hasattr(distribution, 'distribution'):
    return distribution.distribution, distribution.bijector
  return distribution, None


def has_intractable_normalizer(base):
  """True for bases trained through persistent chains (they offer a surrogate)."""
  return hasattr(base, 'surrogate_log_normalizer')


def unnormalized_log_prob_and_latent(distribution, x):
  """`log p~(x) = log p~_base(z) + log|det dz/dx|` with `z = f^{-1}(x)`, and `z`."""
  base, bijector = split_flow(distribution)
  if bijector is None:
    return base.unnormalized_log_prob(x), x
  event_ndims = distribution.event_shape.rank
  z = bijector.inverse(x)
  log_det = bijector.inverse_log_det_jacobian(x, event_ndims=event_ndims)
  return base.unnormalized_log_prob(z) + log_det, z
