"""Losses for flows with an energy-based base: the surrogate PCD loss and the NLL."""

import tensorflow as tf

from tfp_rbm.flow_density import has_intractable_normalizer
from tfp_rbm.flow_density import log_prob_parts
from tfp_rbm.flow_density import split_flow

__all__ = ['flow_loss', 'flow_loss_and_log_prob_parts', 'log_normalizer_term']


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
  separately with a log Z estimate. Without chains, a Boltzmann machine
  whose log Z is enumerable (`enumerated_layer_size <=
  max_enumeration_bits`) trains on its exact NLL instead: the second term
  is its log Z, enumerated in the graph (`log_normalizer_term`). For a base
  with an exact log-density
  (`DiscreteMixture`, `tfd.Normal`, `tfd.MultivariateNormalTriL`, ...) this is
  the plain NLL `-mean_x log p(x)` and `chain_samples` must be None.

  Args:
    distribution: `tfd.TransformedDistribution(base, flow)` or a bare base.
    x: data batch, shape `[batch] + event_shape`.
    chain_samples: negative-phase samples of the base's chain variable, or
      None: the exact NLL (an exact base, or an enumerable log Z).

  Returns:
    `(loss, base_log_prob, log_det)`: the scalar loss (summed over the base's
    batch shape, if any) and the per-example `log p_base(z)` (unnormalized
    for a base with an intractable log Z) and `log|det dz/dx|` it used, so
    that `log p~(x) = base_log_prob + log_det`. The flow runs once.
  """
  base, _ = split_flow(distribution)
  if not has_intractable_normalizer(base) and chain_samples is not None:
    raise ValueError(
        f'Argument `chain_samples` is only used by bases with an intractable log Z; '
        f'{type(base).__name__} is trained on its exact NLL.')
  log_normalizer = (log_normalizer_term(base, chain_samples)
                    if has_intractable_normalizer(base) else 0.)
  _, base_log_prob, log_det = log_prob_parts(distribution, x)
  loss = -tf.reduce_mean(base_log_prob + log_det, axis=0) + log_normalizer
  return tf.reduce_sum(loss), base_log_prob, log_det


def log_normalizer_term(base, chain_samples):
  """The loss's stand-in for the log Z of an energy-based `base`.

  `base.surrogate_log_normalizer(chain_samples)` (its gradient is
  `grad log Z` in expectation), or with `chain_samples=None` the exact log Z
  itself, enumerated in the graph over the base's `2^enumerated_layer_size`
  states: no chains, and the loss is the exact NLL.

  Raises:
    ValueError: if `chain_samples` is None and the base has more states
      than its `max_enumeration_bits` allows.
  """
  if chain_samples is not None:
    return base.surrogate_log_normalizer(chain_samples)
  if not base.log_normalizer_is_enumerable:
    raise ValueError(
        f'Argument `chain_samples` is required: {type(base).__name__} has an intractable '
        f'log Z (2^{base.enumerated_layer_size} states, more than its '
        f'`max_enumeration_bits`={base.max_enumeration_bits}), whose gradient comes from '
        'persistent chains (see `PersistentChains`).')
  return base.exact_log_normalizer()


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
