"""The semi-supervised loss of a flow with a labelled base (EB-and-Flow eq. 9)."""

import numpy as np
import tensorflow as tf

from tfp_rbm.flow_density import has_intractable_normalizer
from tfp_rbm.flow_density import labeled_base
from tfp_rbm.flow_density import log_prob_parts
from tfp_rbm.training.surrogate_loss import log_normalizer_term

__all__ = ['semi_supervised_flow_loss', 'semi_supervised_flow_loss_and_log_prob_parts']

UNLABELLED = -1


def semi_supervised_flow_loss(distribution, x, labels, chain_samples=None, label_weight=1.,
                              classification_weight=0.):
  """The loss of `semi_supervised_flow_loss_and_log_prob_parts`, alone."""
  return semi_supervised_flow_loss_and_log_prob_parts(
      distribution, x, labels, chain_samples, label_weight, classification_weight)[0]


def semi_supervised_flow_loss_and_log_prob_parts(distribution, x, labels, chain_samples=None,
                                                 label_weight=1., classification_weight=0.):
  """A loss whose gradient is that of `-J / N`, EB-and-Flow's eq. 9 over a batch.

  #### Mathematical Details

  With `z = f^{-1}(x)`, unlabelled examples `U` (`labels == -1`), labelled
  ones `L`, and `N = |U| + |L|`:

  ```none
  J = sum_U log p(x) + lambda sum_L log p(x, y) + gamma sum_L log p(y | x)
  L = -(1/N) sum_n w_n (log p~(z_n[, y_n]) + log|det dz/dx|_n)
      + mean_n(w_n) * base.surrogate_log_normalizer(v_hat)
      - (gamma/N) sum_L (log p~(z_n, y_n) - log p~(z_n))
  ```

  `gamma = 0` (the default) is eq. 9. With `gamma > 0` the classifier's
  term `log p(y | x) = log p~(z, y) - log p~(z)` is weighted apart from the
  density's (the hybrid objective of Nalisnick et al. 2019, "Hybrid models
  with deep and invertible features"): it is exact for any base, log Z
  cancelling, and needs no chains. In `lambda log p(x, y) = lambda (log p(x)
  + log p(y | x))` the classifier's term is a few nats against the
  density's hundreds, so raising `lambda` alone mostly weights the labelled
  images' density.

  with `w_n = 1` on `U` and `lambda` on `L`, `log p~(z) = -F(z) =
  logsumexp_y(-F(z, y))` and `log p~(z, y) = -F(z, y)`. Every term of `J`
  subtracts the one `log Z` of the joint over `(v, y)`, and
  `grad log Z = E_model[grad -F(v)]`, so with chains `v_hat` from the model
  (`PersistentChains` over `v`, the label summed out)
  `grad L = -grad J / N` in expectation. Its value is not `-J / N`.

  A base whose log Z is exact (FlowGMM's `ClassConditionalGaussianMixture`)
  needs no chains: the loss is `-J / N` itself, with the normalized
  `log p(z)` and `log p(z, y)`, and `chain_samples` must be None. So is it,
  with `chain_samples=None`, for a Boltzmann machine whose log Z is
  enumerable: `log Z` in place of `surrogate_log_normalizer(v_hat)`,
  enumerated in the graph (`log_normalizer_term`).

  #### Examples

  ```python
  negative = chains.advance(base, 128)            # outside the tape
  with tf.GradientTape() as tape:
    loss = semi_supervised_flow_loss(model, x, y, negative, label_weight=10.)
  ```

  Args:
    distribution: `tfd.TransformedDistribution(base, flow)`, or a bare base,
      with a base with labels (`tfp_rbm.distributions.has_labels`).
    x: data batch, `[N] + event_shape`.
    labels: integer class indices in `[0, K)`, or `-1` for an unlabelled
      example, shape `[N]` (or broadcasting with `[N] + base batch_shape`).
    chain_samples: the model's samples of the base's visible units (a base
      with an intractable log Z), else None (the exact loss; an
      energy-based base's log Z is then enumerated).
    label_weight: `lambda >= 0`, the weight of the labelled term.
    classification_weight: `gamma >= 0`, the weight of the labelled
      examples' `log p(y | x)` added to eq. 9.

  Returns:
    `(loss, z, base_log_prob, log_det)`: the scalar loss, summed over the
    base's batch shape, and the latents, the base's marginal `log p(z)`
    (unnormalized for a base with an intractable log Z) and `log|det dz/dx|`
    it used (for metrics: the flow runs once).

  Raises:
    TypeError: if the base has no labels, or `labels` are not integers.
    ValueError: if a label known before running lies outside `[-1, K)`,
      `label_weight` or `classification_weight` is negative, or
      `chain_samples` is missing for a base whose log Z can be neither
      computed nor enumerated (or given for one with an exact log Z).
      Labels known only when the graph runs are checked under the base's
      `validate_args`.
  """
  base, _ = labeled_base(distribution)
  intractable = has_intractable_normalizer(base)
  if not intractable and chain_samples is not None:
    raise ValueError(f'Argument `chain_samples` must be None: {type(base).__name__} has an '
                     'exact log Z and is trained on its exact NLL.')
  for name, weight in (('label_weight', label_weight),
                       ('classification_weight', classification_weight)):
    if not tf.is_tensor(weight) and np.any(np.asarray(weight) < 0):
      raise ValueError(f'Argument `{name}` must be non-negative; got {weight}.')
  labels = tf.convert_to_tensor(labels, name='labels')
  if not labels.dtype.is_integer:
    raise TypeError('Argument `labels` must hold integer class indices, -1 for unlabelled; '
                    f'got dtype {labels.dtype.name}.')
  known = tf.get_static_value(labels)
  if known is not None and base.num_classes is not None:
    bad = known[(known < UNLABELLED) | (known >= base.num_classes)]
    if bad.size:
      raise ValueError(f'Argument `labels` must hold class indices in [0, {base.num_classes}), '
                       f'or -1 for an unlabelled example; got {bad.tolist()[:5]}.')
  log_normalizer = log_normalizer_term(base, chain_samples) if intractable else None
  labelled = labels != UNLABELLED
  z, marginal, log_det = log_prob_parts(distribution, x)
  # The joint checks the labels lie in [0, K); -1 is mapped to class 0, whose value
  # `tf.where` then discards.
  known_labels = tf.where(labelled, labels, tf.zeros_like(labels))
  joint = (base.unnormalized_joint_log_prob(z, known_labels) if intractable
           else base.joint_log_prob(z, known_labels))
  dtype = marginal.dtype
  weights = tf.where(labelled, tf.cast(label_weight, dtype), tf.ones([], dtype))
  log_density = tf.where(labelled, joint, marginal) + log_det
  loss = -tf.reduce_mean(weights * log_density, axis=0)
  if intractable:
    loss += tf.reduce_mean(weights * tf.ones_like(log_density), axis=0) * log_normalizer
  if tf.is_tensor(classification_weight) or classification_weight:
    # log p(y | z): the same log Z in both terms, so exact for any base.
    log_posterior = tf.where(labelled, joint - marginal, tf.zeros_like(joint))
    loss -= tf.cast(classification_weight, dtype) * tf.reduce_mean(log_posterior, axis=0)
  return tf.reduce_sum(loss), z, marginal, log_det
