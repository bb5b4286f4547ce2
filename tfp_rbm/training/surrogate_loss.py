"""Losses for flows with an energy-based base: the surrogate PCD loss and the NLL."""

import tensorflow as tf

from tfp_rbm.flow_density import has_intractable_normalizer
from tfp_rbm.flow_density import split_flow
from tfp_rbm.flow_density import unnormalized_log_prob_and_latent

__all__ = ['flow_loss', 'flow_loss_and_log_prob']


def flow_loss_and_log_prob(distribution, x, chain_samples=None):
  """The training loss of a flow (or a bare base) on a batch `x`, and `log p~(x)`.

  For a base with an intractable log Z (the RBMs), the surrogate of
  MATH.md §5, whose gradient is the NLL gradient:

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
    `(loss, log_prob)`: the scalar loss (summed over the base's batch shape,
    if any) and the per-example log-density it used, unnormalized for a base
    with an intractable log Z. The flow runs once for both.
  """
  base, _ = split_flow(distribution)
  if not has_intractable_normalizer(base):
    if chain_samples is not None:
      raise ValueError(
          f'Argument `chain_samples` is only used by bases with an intractable log Z; '
          f'{type(base).__name__} is trained on its exact NLL.')
    log_prob = distribution.log_prob(x)
    return -tf.reduce_sum(tf.reduce_mean(log_prob, axis=0)), log_prob
  if chain_samples is None:
    raise ValueError(
        f'Argument `chain_samples` is required: {type(base).__name__} has an intractable '
        'log Z, whose gradient comes from persistent chains (see `PersistentChains`).')
  log_prob, _ = unnormalized_log_prob_and_latent(distribution, x)
  loss = tf.reduce_sum(-tf.reduce_mean(log_prob, axis=0)
                       + base.surrogate_log_normalizer(chain_samples))
  return loss, log_prob


def flow_loss(distribution, x, chain_samples=None):
  """The training loss alone; see `flow_loss_and_log_prob`.

  #### Examples

  ```python
  negative = chains.advance(rbm, 128)          # outside the tape
  with tf.GradientTape() as tape:
    loss = tfp_rbm.training.flow_loss(model, x, negative)
  ```
  """
  return flow_loss_and_log_prob(distribution, x, chain_samples)[0]
