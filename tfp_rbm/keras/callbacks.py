"""Keras callbacks for flow models."""

import os
import warnings

import keras

from tfp_rbm.image_grid import save_image_grid

__all__ = ['SampleGrid', 'SkippedUpdatesWarning']


class SampleGrid(keras.callbacks.Callback):
  """Writes a PNG grid of model samples at the end of every epoch.

  #### Examples

  ```python
  model.fit(data, epochs=10,
            callbacks=[SampleGrid('runs/samples', image_shape=[28, 28]),
                       keras.callbacks.TensorBoard('runs/logs')])
  ```
  """

  def __init__(self, directory, image_shape, num_samples=64, seed=0):
    super().__init__()
    self.directory = directory
    self.image_shape = list(image_shape)
    self.num_samples = num_samples
    self.seed = seed

  def on_epoch_end(self, epoch, logs=None):
    os.makedirs(self.directory, exist_ok=True)
    samples = self.model.sample(self.num_samples, seed=(self.seed, epoch))
    save_image_grid(samples.numpy(), os.path.join(self.directory, f'epoch_{epoch + 1:03d}.png'),
                    image_shape=self.image_shape, title=f'samples after epoch {epoch + 1}')


class SkippedUpdatesWarning(keras.callbacks.Callback):
  """Warns when `FlowModel` skipped an update with a non-finite loss or gradient.

  `FlowModel.fit` adds it by itself. The check reads the model's
  `skipped_updates` counter after every batch (the compiled step cannot
  print under XLA).
  """

  def __init__(self):
    super().__init__()
    self._seen = None

  def on_train_begin(self, logs=None):
    self._seen = int(self.model.skipped_updates.numpy())

  def on_train_batch_end(self, batch, logs=None):
    skipped = int(self.model.skipped_updates.numpy())
    if skipped > self._seen:
      warnings.warn(
          f'tfp_rbm.FlowModel skipped {skipped - self._seen} update(s) with a non-finite '
          f'loss or gradient at batch {batch} (total skipped: {skipped}); the weights and '
          'the optimizer state were left unchanged. Check the data for NaN/Inf and the '
          'learning rate.', RuntimeWarning, stacklevel=2)
      self._seen = skipped
