"""Keras callbacks for flow models."""

import os

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import evaluation
from tfp_rbm import training
from tfp_rbm.image_grid import save_image_grid
from tfp_rbm.internal import validation

__all__ = ['SampleGrid', 'SampleQuality', 'SkippedUpdatesWarning']


class SampleGrid(keras.callbacks.Callback):
  """Writes model samples at the end of every epoch: PNG grids, TensorBoard images, or both.

  With `directory`, a PNG grid `epoch_NNN.png` per epoch; with `log_dir`, a
  `tf.summary.image('samples', ...)` at step `epoch + 1` in that TensorBoard
  log directory. Samples are clipped to [0, 1].

  When the model's base has labels (`model.has_labels`), the grid is
  class-conditional: row `k` holds `max(1, num_samples // K)` draws of
  `p(x | y = k)` (`model.sample(n, labels=...)`), `K` rows in all.

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
    samples, num_columns, title = self._draw(epoch)
    if self.directory is not None:
      os.makedirs(self.directory, exist_ok=True)
      save_image_grid(samples, os.path.join(self.directory, f'epoch_{epoch + 1:03d}.png'),
                      image_shape=self.image_shape, num_columns=num_columns, title=title)
    if self._writer is not None:
      images = np.clip(samples, 0., 1.).reshape([-1] + self.image_shape)
      if images.ndim == 3:  # tf.summary.image wants a channel axis.
        images = images[..., np.newaxis]
      with self._writer.as_default():
        tf.summary.image('samples', images, step=epoch + 1, max_outputs=len(images))
      self._writer.flush()

  def _draw(self, epoch):
    """`(samples, images per row or None, title)`; a row per class when the model has labels."""
    seed = (self.seed, epoch)
    title = f'samples after epoch {epoch + 1}'
    if not self.model.has_labels:
      return self.model.sample(self.num_samples, seed=seed).numpy(), None, title
    per_class = max(1, self.num_samples // self.model.num_classes)
    labels = np.repeat(np.arange(self.model.num_classes, dtype=np.int32), per_class)
    samples = self.model.sample(len(labels), seed=seed, labels=labels).numpy()
    return samples, per_class, f'{title}, row k: class k'

  def on_train_end(self, logs=None):
    if self._writer is not None:
      self._writer.close()


class SampleQuality(keras.callbacks.Callback):
  """Logs FID, KID and the inception score of model samples during training.

  Every `interval` epochs it draws `num_samples` samples (`model.sample`,
  stateless seed `(seed, epoch)`), clips them to [0, 1], and scores them
  against `reference_images` with `tfp_rbm.evaluation.score_samples` in the
  feature space of `extractor`. The figures go into the epoch's `logs` as
  `fid`, `kid` and `inception_score`, so `History`, `EarlyStopping` (e.g.
  `monitor='fid', mode='min'`) and `keras.callbacks.TensorBoard` (listed
  after this callback) see them; with `log_dir` they are also written as
  scalar summaries there. The reference features are computed once.
  FID needs more samples than the extractor has features (64 for
  `ClassifierFeatures`, 2048 for InceptionV3).

  #### Examples

  ```python
  extractor = tfp_rbm.evaluation.ClassifierFeatures.for_dataset('fashion_mnist')
  model.fit(batches, epochs=10, callbacks=[
      SampleQuality(extractor, test_images[:1000], num_samples=1000),
      keras.callbacks.TensorBoard('runs/logs')])
  model.history.history['fid']
  ```
  """

  def __init__(self, extractor, reference_images, num_samples=1000, interval=1, seed=0,
               log_dir=None, kid_subsets=None):
    """Sets what is scored and how often.

    Args:
      extractor: `ClassifierFeatures`, `InceptionV3Features`, or any object
        with `features(images)` and `class_probabilities(images)`.
      reference_images: data images, uint8 or floats in [0, 1].
      num_samples: samples per scoring, more than the extractor's features.
      interval: score every this many epochs (and not in between).
      seed: int; epoch `e` samples with the stateless seed `(seed, e)`.
      log_dir: TensorBoard log directory for scalar summaries, or None.
      kid_subsets: None (KID on the whole sets) or a number of subsets.
    """
    super().__init__()
    for arg in ('features', 'class_probabilities'):
      if not callable(getattr(extractor, arg, None)):
        raise TypeError(f'Argument `extractor` must have a `{arg}(images)` method '
                        f'(e.g. tfp_rbm.evaluation.ClassifierFeatures); got '
                        f'{type(extractor).__name__}.')
    self.extractor = extractor
    self.reference_images = reference_images
    self.num_samples = validation.check_integer(num_samples, 'num_samples', minimum=2)
    self.interval = validation.check_integer(interval, 'interval', minimum=1)
    self.seed = seed
    self.log_dir = log_dir
    self.kid_subsets = kid_subsets
    self._reference_features = None
    self._writer = None

  def on_train_begin(self, logs=None):
    if self._reference_features is None:
      self._reference_features = self.extractor.features(self.reference_images)
    if self.log_dir is not None:
      self._writer = tf.summary.create_file_writer(self.log_dir)

  def on_epoch_end(self, epoch, logs=None):
    if (epoch + 1) % self.interval:
      return
    samples = np.clip(self.model.sample(self.num_samples, seed=(self.seed, epoch)).numpy(), 0., 1.)
    features = self.extractor.features(samples)
    scores = dict(
        fid=float(evaluation.frechet_distance(self._reference_features, features)),
        kid=float(evaluation.kernel_inception_distance(
            self._reference_features, features, num_subsets=self.kid_subsets,
            seed=(self.seed, epoch)).mean),
        inception_score=float(evaluation.inception_score(
            self.extractor.class_probabilities(samples)).mean))
    if logs is not None:
      logs.update(scores)
    if self._writer is not None:
      with self._writer.as_default():
        for name, value in scores.items():
          tf.summary.scalar(name, value, step=epoch + 1)
      self._writer.flush()

  def on_train_end(self, logs=None):
    if self._writer is not None:
      self._writer.close()
      self._writer = None


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
