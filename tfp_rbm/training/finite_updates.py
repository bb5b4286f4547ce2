"""Skipping non-finite updates: the guard of `FlowModel.fit` and of custom loops."""

import warnings

import tensorflow as tf

__all__ = ['apply_finite_update', 'report_skipped_updates', 'validate_parameters']


def apply_finite_update(optimizer, loss, grads, variables, skipped_updates):
  """Applies `optimizer.apply(grads, variables)` only if the loss and every gradient are finite.

  Otherwise the variables and the optimizer state stay as they were and the
  integer variable `skipped_updates` grows by one. Under a `tf.distribute`
  strategy call it in the replica context, with each replica's loss and
  gradients: if any replica saw a non-finite value, every replica skips.
  Variables whose gradient is None are left out. The step cannot warn
  (XLA): call `report_skipped_updates` between steps.

  #### Examples

  ```python
  skipped = tf.Variable(0, dtype=tf.int64, trainable=False)

  @tf.function
  def train_step(x):
    with tf.GradientTape() as tape:
      loss = tfp_rbm.training.flow_loss(model, x, chains.advance(rbm, 64))
    grads = tape.gradient(loss, variables)
    return tfp_rbm.training.apply_finite_update(optimizer, loss, grads, variables, skipped)
  ```

  Args:
    optimizer: a Keras 3 optimizer.
    loss: the loss the gradients come from.
    grads: list of gradients (or None), one per variable.
    variables: the variables to update.
    skipped_updates: integer `tf.Variable` counting skipped updates.

  Returns:
    Boolean scalar tensor, True when the update was applied.
  """
  pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
  finite = tf.reduce_all(tf.math.is_finite(loss))
  for g, _ in pairs:
    finite &= tf.reduce_all(tf.math.is_finite(g))
  replica = tf.distribute.get_replica_context()
  num_non_finite = replica.all_reduce(tf.distribute.ReduceOp.SUM,
                                      tf.cast(tf.logical_not(finite), tf.float32))
  finite = num_non_finite == 0.

  def apply_or_skip(strategy, finite, grads):
    # A tf.cond whose branch synchronizes replicas (the optimizer does) must
    # be taken in cross-replica context; `finite` is the same on every replica.
    trained = [v for _, v in pairs]
    if not optimizer.built:
      optimizer.build(trained)

    def apply():
      strategy.extended.call_for_each_replica(optimizer.apply, args=(grads, trained))

    def skip():
      skipped_updates.assign_add(1)

    tf.cond(strategy.experimental_local_results(finite)[0], apply, skip)

  replica.merge_call(apply_or_skip, args=(finite, [g for g, _ in pairs]))
  return finite


def validate_parameters(distribution):
  """Runs `distribution`'s `validate_args` checks on its parameters' current values.

  Eager, so it works whatever the training step was compiled with (XLA drops
  assertions) and whether or not the distribution validates its arguments.

  Raises:
    tf.errors.InvalidArgumentError: with the distribution's own message, e.g.
      "Argument `delta` must exceed the largest singular value of `weights`".
  """
  distribution.copy(validate_args=True).batch_shape_tensor()


def report_skipped_updates(skipped_updates, reported, distribution=None, where=''):
  """Warns about the updates skipped since `reported` were counted; returns the count.

  Call it eagerly between steps. When updates were skipped and `distribution`
  is given, `validate_parameters(distribution)` runs first: a parameter that
  left its valid region (a `SmoothedRBM` coupling with `J + delta I` no longer
  positive definite makes every loss NaN) raises its own clear error instead.

  Args:
    skipped_updates: the counter given to `apply_finite_update`.
    reported: how many skipped updates were already reported.
    distribution: optional base distribution to validate.
    where: text placed in the warning, e.g. `'at batch 3'`.

  Returns:
    The current count, to pass as `reported` next time.
  """
  total = int(skipped_updates.numpy())
  if total > reported:
    location = f' {where}' if where else ''
    if distribution is not None:
      validate_parameters(distribution)
    warnings.warn(
        f'tfp_rbm skipped {total - reported} update(s) with a non-finite loss or '
        f'gradient{location} (total skipped: {total}); the weights and the optimizer state were left '
        'unchanged. Check the data for NaN/Inf and the learning rate.',
        RuntimeWarning, stacklevel=2)
  return total
