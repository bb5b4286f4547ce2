"""Metrics of the package's Keras models that declare which way is better.

`FiniteMean` averages the finite values it is given and says whether lower
or higher is better; `DirectedMetrics` is the container Keras' callbacks
read that from. With `mode='auto'`, `EarlyStopping`, `ModelCheckpoint` and
`ReduceLROnPlateau` infer min or max from the `_direction` of the metrics
inside a `compile_utils.MetricsList` of `model.metrics` only
(keras/src/callbacks/monitor_callback.py, `_set_monitor_op`); Keras 3 has
no public way to declare a metric's direction. The tests of the callbacks
without `mode` fail if Keras changes this.
"""

import keras
# No public API: Keras' callbacks read a metric's direction only from this container
# (see `DirectedMetrics`).
from keras.src.trainers import compile_utils
import numpy as np
import tensorflow as tf

__all__ = ['DirectedMetrics', 'FiniteMean']


class FiniteMean(keras.metrics.Mean):
  """Mean of the finite values kept (`keep`), NaN while there is none.

  `direction` is 'down' (lower is better, the default) or 'up'.
  """

  def __init__(self, name, direction='down'):
    super().__init__(name=name)
    # Read by Keras' callbacks with mode='auto' (as Keras' own metrics set it).
    self._direction = direction

  def update_state(self, values, keep=True):
    values = tf.convert_to_tensor(values)
    keep = tf.math.logical_and(tf.math.is_finite(values), keep)
    super().update_state(tf.where(keep, values, tf.zeros_like(values)),
                         sample_weight=tf.cast(keep, values.dtype))

  def result(self):
    return tf.where(self.count > 0., super().result(), np.nan)


class DirectedMetrics(compile_utils.MetricsList):
  """`FiniteMean`s in the container whose metrics' directions Keras' callbacks read."""

  def result(self):
    return self.get_result()
