"""The label interface shared by the labelled bases: the test for it and its label checks."""

import numpy as np
import tensorflow as tf

__all__ = ['has_labels']


def has_labels(distribution):
  """Whether `distribution` is a base with labels: a joint over `(z, y)`, `y` in `[0, K)`.

  Such a base (`LabeledGaussianBernoulliRBM`, `ClassConditionalGaussianMixture`)
  declares `num_classes` (K) and gives `joint_log_prob(z, y)`,
  `label_posterior(z)` (the exact `p(y | z)`, a `tfd.Categorical`) and
  `sample(n, labels=y)`; its `log_prob` is the marginal `log sum_y p(z, y)`.
  Callers (the semi-supervised loss, `FlowModel`) ask this, not the type.
  """
  return (getattr(type(distribution), 'num_classes', None) is not None
          and callable(getattr(distribution, 'joint_log_prob', None))
          and callable(getattr(distribution, 'label_posterior', None)))


def convert_labels(labels, num_classes, dynamic_num_classes, validate_args):
  """`(labels, assertions)`: integer class indices in `[0, num_classes)`.

  Values known before running are checked at once (`ValueError`); others by
  an assertion under `validate_args`, against `dynamic_num_classes` (a
  tensor, for a `num_classes` unknown statically).
  """
  labels = tf.convert_to_tensor(labels, name='labels')
  if not labels.dtype.is_integer:
    raise TypeError('Argument `labels` must hold integer class indices in '
                    f'[0, {num_classes}); got dtype {labels.dtype.name}.')
  known = tf.get_static_value(labels)
  if known is not None and num_classes is not None:
    known = np.asarray(known)
    bad = known[(known < 0) | (known >= num_classes)]
    if bad.size:
      raise ValueError(f'Argument `labels` must hold class indices in [0, {num_classes}); '
                       f'got {bad.tolist()[:5]}.')
    return labels, []
  if not validate_args:
    return labels, []
  limit = tf.cast(dynamic_num_classes, labels.dtype)
  return labels, [tf.debugging.assert_equal(
      tf.reduce_all((labels >= 0) & (labels < limit)), True,
      message='Argument `labels` must hold class indices in [0, num_classes).')]


def check_labels_broadcast(labels, shape, against):
  """Raises `ValueError` unless the static shape of `labels` broadcasts with `shape`."""
  try:
    tf.broadcast_static_shape(labels.shape, shape)
  except ValueError:
    raise ValueError(f'Argument `labels` has shape {labels.shape}, which does not broadcast '
                     f'with the shape {shape} of {against}.') from None
