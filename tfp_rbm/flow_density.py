"""A flow with an energy-based base, taken apart: base, bijector, log-densities.

Shared by `tfp_rbm.training` and `tfp_rbm.evaluation`, which each add their
own piece (the chains and surrogate loss; the log Z estimates) to these.
"""

import tensorflow as tf

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import label_interface

__all__ = ['has_intractable_normalizer', 'joint_log_prob', 'label_posterior', 'labeled_base',
           'log_prob_parts', 'split_flow']


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
  z, log_det = _latents_and_log_det(distribution, bijector, x)
  return z, base_log_prob(z), log_det


def _latents_and_log_det(distribution, bijector, x):
  """`(z, log|det dz/dx|)`, `z = f^{-1}(x)` through the flow `bijector` of `distribution`."""
  return (bijector.inverse(x),
          bijector.inverse_log_det_jacobian(x, event_ndims=distribution.event_shape.rank))


def labeled_base(distribution):
  """`(base, bijector)` of `split_flow`, refusing a base without labels (naming `distribution`)."""
  base, bijector = split_flow(distribution)
  if not label_interface.has_labels(base):
    raise TypeError('Argument `distribution` must have a base with labels (e.g. '
                    '`LabeledGaussianBernoulliRBM`, `ClassConditionalGaussianMixture`); got '
                    f'{type(base).__name__}.')
  return base, bijector


def joint_log_prob(distribution, x, labels):
  """`log p(x, y) = log p_base(z, y) + log|det dz/dx|`, `z = f^{-1}(x)`: the labels bypass the flow.

  The TFP form of a flow with a labelled base
  (`tfd.TransformedDistribution(base, flow)`, or the bare base): the base's
  `joint_log_prob` on the latents plus the flow's log-det, which does not
  depend on `y`. Its log Z is the one the base's `log_prob` takes (exact,
  or the `log_normalizer` it was given).

  Args:
    distribution: `tfd.TransformedDistribution(base, flow)` or a bare base,
      with a base with labels (`tfp_rbm.distributions.has_labels`).
    x: data, `sample_shape + batch_shape + event_shape`.
    labels: integer class indices in `[0, K)`, broadcasting with
      `sample_shape + batch_shape`.

  Returns:
    `log p(x, y)`, shape `sample_shape + batch_shape`.

  Raises:
    TypeError: if the base has no labels, or `labels` are not integers.

  #### Examples

  ```python
  model = tfd.TransformedDistribution(labelled_rbm, flow)
  tfp_rbm.flow_density.joint_log_prob(model, x, y)     # [N]
  tfp_rbm.flow_density.label_posterior(model, x)       # tfd.Categorical, batch [N]
  ```
  """
  base, bijector = labeled_base(distribution)
  if bijector is None:
    return base.joint_log_prob(x, labels)
  z, log_det = _latents_and_log_det(distribution, bijector, x)
  return base.joint_log_prob(z, labels) + log_det


def label_posterior(distribution, x):
  """The exact classifier `p(y | x) = p_base(y | f^{-1}(x))`, a `tfd.Categorical`.

  The flow's log-det cancels between classes, so this is the base's
  `label_posterior` on the latents; no log Z is needed. Batch shape
  `sample_shape + batch_shape` of `x`. Same arguments as `joint_log_prob`.
  """
  base, bijector = labeled_base(distribution)
  return base.label_posterior(x if bijector is None else bijector.inverse(x))
