"""Losses for flows with an energy-based base: the surrogate PCD loss and the NLL."""

import tensorflow as tf

from tfp_rbm.flow_density import has_intractable_normalizer
from tfp_rbm.flow_density import log_prob_parts
from tfp_rbm.flow_density import split_flow

__all__ = ['flow_loss', 'flow_loss_and_log_prob_parts']


def flow_loss_and_log_prob_parts(distribution, x, chain_samples=None):
  """The training loss of a flow (or a bare base) on a batch `x`, and its log-densities.

  For a base with an intractable log Z (the RBMs), the surrogate of
  docs/math.md §5, whose gradient is the NLL gradient:

  ```none
  L = mean_x [ -log p~_base(f^{-1}(x)) - log|det df^{-1}/dx| ]
      + base.surrogate_log_normalizer(v_hat)
  ```

  with `v_hat` from persistent chains; for an RBM the second term is
  `-mean F(stop_gradient(v_hat))`. Its value is not the NLL: report that
  separately with a log Z estimate. For a base with an exact log-density
  (`DiscreteMixture`, `tfd.Normal`, `tfd.MultivariateNormalTriL`, ...) this is
  the plain NLL `-mean_x log p(x)` and `chain_samples` must be None.

  Args:
    distribution: `tfd.TransformedDistribution(base, flow)` or a bare base.
    x: data batch, shape `[batch] + event_shape`.
    chain_samples: negative-phase samples of the base's chain variable.

  Returns:
    `(loss, base_log_prob, log_det)`: the scalar loss (summed over the base's
    batch shape, if any) and the per-example `log p_base(z)` (unnormalized
    for a base with an intractable log Z) and `log|det dz/dx|` it used, so
    that `log p~(x) = base_log_prob + log_det`. The flow runs once.
  """
  base, _ = split_flow(distribution)
  if has_intractable_normalizer(base):
    if chain_samples is None:
      raise ValueError(
          f'Argument `chain_samples` is required: {type(base).__name__} has an intractable '
          'log Z, whose gradient comes from persistent chains (see `PersistentChains`).')
  elif chain_samples is not None:
    raise ValueError(
        f'Argument `chain_samples` is only used by bases with an intractable log Z; '
        f'{type(base).__name__} is trained on its exact NLL.')
  _, base_log_prob, log_det = log_prob_parts(distribution, x)
  loss = -tf.reduce_mean(base_log_prob + log_det, axis=0)
  if chain_samples is not None:
    loss += base.surrogate_log_normalizer(chain_samples)
  return tf.reduce_sum(loss), base_log_prob, log_det


def flow_loss(distribution, x, chain_samples=None):
  """The training loss alone; see `flow_loss_and_log_prob_parts`.

  #### Examples

  ```python
  negative = chains.advance(rbm, 128)          # outside the tape
  with tf.GradientTape() as tape:
    loss = tfp_rbm.training.flow_loss(model, x, negative)
  ```
  """
  return flow_loss_and_log_prob_parts(distribution, x, chain_samples)[0]
