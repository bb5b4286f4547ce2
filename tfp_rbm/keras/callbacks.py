"""Keras callbacks for flow models."""

import os

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import training
from tfp_rbm.image_grid import save_image_grid

__all__ = ['SampleGrid', 'SkippedUpdatesWarning']


class SampleGrid(keras.callbacks.Callback):
  """Writes model samples at the end of every epoch: PNG grids, TensorBoard images, or both.

  With `directory`, a PNG grid `epoch_NNN.png` per epoch; with `log_dir`, a
  `tf.summary.image('samples', ...)` at step `epoch + 1` in that TensorBoard
  log directory. Samples are clipped to [0, 1].

  #### Examples

  ```python
  model.fit(data, epochs=10,
            callbacks=[SampleGrid('runs/samples', image_shape=[28, 28],
                                  log_dir='runs/logs/samples'),
                       keras.callbacks.TensorBoard('runs/logs')])
  ```
  """

  def __init__(self, directory, image_shape, num_samples=64, seed=0, log_dir=None):
    """Sets where the samples go.

    Args:
      directory: folder for the PNG grids, or None.
      image_shape: `[H, W]` or `[H, W, C]` of one sample.
      num_samples: samples per epoch.
      seed: int; epoch `e` samples with the stateless seed `(seed, e)`.
      log_dir: TensorBoard log directory for the image summaries, or None.
    """
    super().__init__()
    if directory is None and log_dir is None:
      raise ValueError('Give `directory` (PNG grids), `log_dir` (TensorBoard) or both.')
    self.directory = directory
    self.log_dir = log_dir
    self.image_shape = list(image_shape)
    self.num_samples = num_samples
    self.seed = seed
    self._writer = None

  def on_train_begin(self, logs=None):
    if self.log_dir is not None:
      self._writer = tf.summary.create_file_writer(self.log_dir)

  def on_epoch_end(self, epoch, logs=None):
    samples = self.model.sample(self.num_samples, seed=(self.seed, epoch)).numpy()
    if self.directory is not None:
      os.makedirs(self.directory, exist_ok=True)
      save_image_grid(samples, os.path.join(self.directory, f'epoch_{epoch + 1:03d}.png'),
                      image_shape=self.image_shape, title=f'samples after epoch {epoch + 1}')
    if self._writer is not None:
      images = np.clip(samples, 0., 1.).reshape([-1] + self.image_shape)
      if images.ndim == 3:  # tf.summary.image wants a channel axis.
        images = images[..., np.newaxis]
      with self._writer.as_default():
        tf.summary.image('samples', images, step=epoch + 1, max_outputs=self.num_samples)
      self._writer.flush()

  def on_train_end(self, logs=None):
    if self._writer is not None:
      self._writer.close()


class SkippedUpdatesWarning(keras.callbacks.Callback):
  """Warns when `FlowModel` skipped an update with a non-finite loss or gradient.

  `FlowModel.fit` adds it by itself. After every batch it calls
  `tfp_rbm.training.report_skipped_updates` on the model's `skipped_updates`
  counter (the compiled step cannot warn under XLA), which first validates
  the base's parameters when an update was skipped.
  """

  def __init__(self):
    super().__init__()
    self._reported = None

  def on_train_begin(self, logs=None):
    self._reported = int(self.model.skipped_updates.numpy())

  def on_train_batch_end(self, batch, logs=None):
    self._reported = training.report_skipped_updates(
        self.model.skipped_updates, self._reported, self.model.base, where=f'at batch {batch}')
