"""Feature extractors for FID, KID and the inception score; nothing is downloaded.

An extractor maps images to `features(images)` (`[N, d]`, for FID and KID)
and `class_probabilities(images)` (`[N, K]`, for the inception score).
Two are provided, and any object with these two methods works:

- `InceptionV3Features(weights)`: `keras.applications.InceptionV3` with a
  weights file the user has (pool features, 2048; ImageNet's 1000 classes).
  The papers' FID and IS.
- `ClassifierFeatures.for_dataset(name)`: a small CNN classifier trained
  once on the data set's labelled training split and cached (by default in
  `~/.cache/tfp_rbm`). "FID in a Fashion-MNIST classifier's feature space":
  comparable between models scored with the same classifier, not with
  published Inception FIDs.

`score_samples` scores model samples against data with either.

#### Examples

```python
extractor = ClassifierFeatures.for_dataset('fashion_mnist')
scores = score_samples(extractor, test_images, model.sample(1000).numpy())
scores['fid'], scores['inception_score']
```
"""

import hashlib
import json
import os

import h5py
import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import datasets
from tfp_rbm.evaluation import sample_quality
from tfp_rbm.internal import validation
from tfp_rbm.networks.initializers import kernel_initializer

__all__ = ['CACHE_DIR_ENV_VAR', 'ClassifierFeatures', 'InceptionV3Features', 'default_cache_dir',
           'score_samples']

CACHE_DIR_ENV_VAR = 'TFP_RBM_CACHE_DIR'
# Every weight of keras.applications.InceptionV3, batch-norm statistics included.
_INCEPTION_V3_SIZES = {True: 23_851_784, False: 21_802_784}
_INCEPTION_V3_IMAGE_SIZE = 299
# Bump when the classifier's architecture or training changes: older caches are not reused.
_CLASSIFIER_VERSION = 1


def default_cache_dir():
  """`$TFP_RBM_CACHE_DIR`, else `$XDG_CACHE_HOME/tfp_rbm`, else `~/.cache/tfp_rbm`."""
  if os.environ.get(CACHE_DIR_ENV_VAR):
    return os.environ[CACHE_DIR_ENV_VAR]
  cache_home = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
  return os.path.join(cache_home, 'tfp_rbm')


def _as_images(images, image_shape=None):
  """Images as float32 in [0, 1], `[N, H, W, C]`: uint8 pixels / 255, floats clipped.

  A flat `[N, D]` batch is reshaped to `image_shape` when given.
  """
  values = np.asarray(images)
  if values.dtype.kind not in 'uif' or values.ndim < 2 or len(values) == 0:
    raise ValueError(f'Argument `images` must be a non-empty batch of images `[N, H, W, C]`; '
                     f'got dtype {values.dtype} and shape {values.shape}.')
  if not np.all(np.isfinite(values)):
    raise ValueError('Argument `images` must be finite (found NaN or Inf).')
  values = values.astype(np.float32) / 255. if values.dtype == np.uint8 else np.clip(
      values.astype(np.float32), 0., 1.)
  if image_shape is not None and values.shape[1:] != tuple(image_shape):
    if int(np.prod(values.shape[1:])) != int(np.prod(image_shape)):
      raise ValueError(f'Argument `images` must hold images of shape {list(image_shape)} '
                       f'(or flat ones of that size); got shape {values.shape}.')
    values = values.reshape((-1,) + tuple(image_shape))
  if values.ndim == 3:
    values = values[..., np.newaxis]
  if values.ndim != 4:
    raise ValueError(f'Argument `images` must have shape [N, H, W, C] or [N, H, W]; got shape '
                     f'{values.shape}.')
  return values


def _batched(model, images, batch_size):
  """`model` applied to `images` in batches, outputs concatenated as NumPy arrays."""
  parts = [model(images[start:start + batch_size], training=False)
           for start in range(0, len(images), batch_size)]
  if isinstance(parts[0], (list, tuple)):
    return [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(len(parts[0]))]
  return np.concatenate([np.asarray(p) for p in parts])


class InceptionV3Features:
  """`keras.applications.InceptionV3` features and class probabilities, from a local file.

  `features` are the 2048 average-pool activations (FID, KID);
  `class_probabilities` ImageNet's 1000-class softmax (the inception score,
  with `include_top=True` only). Images in [0, 1] (or uint8) are resized to
  299 x 299, gray ones repeated to three channels, and scaled to [-1, 1] as
  InceptionV3 expects. Nothing is downloaded: `weights` must be a local
  file, e.g. Keras' `inception_v3_weights_tf_dim_ordering_tf_kernels.h5`
  (or `..._notop.h5` with `include_top=False`), or one written by
  `InceptionV3(...).save_weights(path)`. The file is checked against
  InceptionV3's weight count before the network is built.

  #### Examples

  ```python
  extractor = InceptionV3Features('~/models/inception_v3_weights.h5')
  fid = tfp_rbm.evaluation.frechet_distance(extractor.features(test_images),
                                            extractor.features(samples))
  ```
  """

  def __init__(self, weights, include_top=True, batch_size=50):
    """Builds InceptionV3 with the weights of the file `weights`.

    Raises:
      ValueError: naming `weights`, if it is not a local HDF5 file, or one
        whose weights are not InceptionV3's (with this `include_top`).
    """
    path = os.path.expanduser(os.fspath(weights)) if isinstance(
        weights, (str, os.PathLike)) else None
    if path is None or not os.path.isfile(path):
      raise ValueError(
          f'Argument `weights` must be the path of a local InceptionV3 weights file (.h5); '
          f'got {weights!r}, which is not a file. Nothing is downloaded ("imagenet" is '
          'not accepted): save the weights once where you can, e.g. '
          "keras.applications.InceptionV3(weights='imagenet').save_weights(path).")
    self.include_top = bool(include_top)
    self.batch_size = validation.check_integer(batch_size, 'batch_size', minimum=1)
    _check_inception_weights(path, self.include_top)
    try:
      network = keras.applications.InceptionV3(
          weights=path, include_top=self.include_top,
          pooling=None if self.include_top else 'avg')
    except (ValueError, OSError, KeyError) as error:
      raise ValueError(f'Argument `weights`: {path!r} does not hold the weights of '
                       f'InceptionV3 (include_top={self.include_top}): {error}') from error
    outputs = ([network.get_layer('avg_pool').output, network.outputs[0]] if self.include_top
               else [network.outputs[0]])
    self._network = keras.Model(network.inputs[0], outputs)

  def _inputs(self, images):
    values = _as_images(images)
    if values.shape[-1] == 1:
      values = np.repeat(values, 3, axis=-1)
    resized = tf.image.resize(values, [_INCEPTION_V3_IMAGE_SIZE] * 2)
    return resized * 2. - 1.

  def features(self, images):
    """The 2048 average-pool activations of each image, `[N, 2048]`."""
    outputs = _batched(self._network, self._inputs(images), self.batch_size)
    return outputs[0]

  def class_probabilities(self, images):
    """ImageNet class probabilities of each image, `[N, 1000]` (needs `include_top`)."""
    if not self.include_top:
      raise ValueError('InceptionV3Features.class_probabilities needs the classification '
                       'layer: build it with include_top=True and the full weights file.')
    return _batched(self._network, self._inputs(images), self.batch_size)[1]


def _check_inception_weights(path, include_top):
  """Raises a `ValueError` naming `weights` unless the HDF5 file holds InceptionV3's count."""
  if not h5py.is_hdf5(path):
    raise ValueError(f'Argument `weights`: {path!r} is not an HDF5 weights file (.h5), so not '
                     'the weights of InceptionV3.')
  sizes = []
  with h5py.File(path, 'r') as weights_file:
    weights_file.visititems(
        lambda name, item: sizes.append(item.size) if isinstance(item, h5py.Dataset) else None)
  found = int(sum(sizes))
  expected = _INCEPTION_V3_SIZES[include_top]
  if found != expected:
    hint = (f' It has the count of InceptionV3 with include_top={not include_top}: pass that.'
            if found == _INCEPTION_V3_SIZES[not include_top] else '')
    raise ValueError(
        f'Argument `weights`: {path!r} does not match InceptionV3: it holds {found:,} weight '
        f'values, InceptionV3 with include_top={include_top} has {expected:,}.{hint}')


class ClassifierFeatures:
  """A small CNN classifier's features and class probabilities (FID in its feature space).

  #### Mathematical Details

  The network: two blocks of 3x3 convolution (32, 64 channels, ReLU) and 2x2
  max-pooling, a dense ReLU layer of `feature_units` (the features), and a
  softmax over the classes (the class probabilities). Trained with Adam on
  cross-entropy. The figures it gives are "FID in a Fashion-MNIST
  classifier's feature space" (or that of the data set it was trained on):
  they rank models scored with the same classifier; they are not comparable
  with published Inception FIDs and IS.

  #### Examples

  ```python
  extractor = ClassifierFeatures.for_dataset('digits', epochs=3)  # trained once, cached
  extractor.features(images).shape               # [N, 64]
  extractor.class_probabilities(images).shape    # [N, 10]
  ```
  """

  def __init__(self, classifier, batch_size=256, test_accuracy=None):
    """Wraps a trained classifier built by `train` (layers `features` and `probabilities`)."""
    self.classifier = classifier
    self.batch_size = validation.check_integer(batch_size, 'batch_size', minimum=1)
    self.test_accuracy = test_accuracy
    self.image_shape = list(classifier.input_shape[1:])
    self._both = keras.Model(classifier.inputs[0], [classifier.get_layer('features').output,
                                                    classifier.outputs[0]])

  @classmethod
  def train(cls, images, labels, num_classes=None, epochs=2, batch_size=128,
            feature_units=64, learning_rate=1e-3, seed=0):
    """Trains a classifier on uint8 `images` `[N, H, W, C]` and integer `labels` `[N]`.

    Raises:
      ValueError: naming the argument, for images that are not a batch of
        images, labels of another length or outside `[0, num_classes)`.
    """
    values = _as_images(images)
    labels = np.asarray(labels)
    if labels.shape != (len(values),) or labels.dtype.kind not in 'iu':
      raise ValueError(f'Argument `labels` must be integers of shape [{len(values)}] (one per '
                       f'image); got dtype {labels.dtype} and shape {labels.shape}.')
    if num_classes is None:
      num_classes = int(labels.max()) + 1
    if labels.min() < 0 or labels.max() >= num_classes:
      raise ValueError(f'Argument `labels` must lie in [0, {num_classes}) (num_classes); got '
                       f'values from {labels.min()} to {labels.max()}.')
    classifier = _classifier(values.shape[1:], num_classes, feature_units, seed)
    classifier.compile(optimizer=keras.optimizers.Adam(learning_rate),
                       loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    order = np.random.default_rng(seed)
    for _ in range(validation.check_integer(epochs, 'epochs', minimum=1)):
      permutation = order.permutation(len(values))
      classifier.fit(values[permutation], labels[permutation], batch_size=batch_size,
                     epochs=1, shuffle=False, verbose=0)
    return cls(classifier)

  @classmethod
  def for_dataset(cls, name, cache_dir=None, data_dir=None, epochs=2, max_train=None, seed=0):
    """The classifier of a `tfp_rbm.datasets` data set: loaded from the cache, or trained once.

    The cache file, `<cache_dir>/<name>_classifier_<hash>.keras` (the hash of
    the training settings), holds the network and its test accuracy; a
    second call loads it.

    Args:
      name: a data set name of `tfp_rbm.datasets` with labels.
      cache_dir: where the classifier is kept; default `default_cache_dir()`.
      data_dir: passed to `tfp_rbm.datasets.load_numpy`.
      epochs: training epochs.
      max_train: train on the first this many images (None: all).
      seed: seed of the weights and of the order of the examples.
    """
    settings = dict(version=_CLASSIFIER_VERSION, name=name, epochs=epochs, max_train=max_train,
                    seed=seed)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    directory = default_cache_dir() if cache_dir is None else os.fspath(cache_dir)
    path = os.path.join(directory, f'{name}_classifier_{digest}.keras')
    if os.path.isfile(path) and os.path.isfile(path + '.json'):
      with open(path + '.json') as f:
        accuracy = json.load(f)['test_accuracy']
      return cls(keras.saving.load_model(path), test_accuracy=accuracy)
    images, labels = datasets.load_numpy(name, 'train', data_dir=data_dir, with_labels=True)
    extractor = cls.train(images[:max_train], labels[:max_train], epochs=epochs, seed=seed)
    test_images, test_labels = datasets.load_numpy(name, 'test', data_dir=data_dir,
                                                   with_labels=True)
    predicted = extractor.class_probabilities(test_images).argmax(axis=-1)
    extractor.test_accuracy = float(np.mean(predicted == test_labels))
    os.makedirs(directory, exist_ok=True)
    extractor.classifier.save(path)
    with open(path + '.json', 'w') as f:
      json.dump(dict(settings, test_accuracy=extractor.test_accuracy), f)
    return extractor

  def features(self, images):
    """The `feature_units` activations before the softmax, `[N, feature_units]`."""
    return _batched(self._both, _as_images(images, self.image_shape), self.batch_size)[0]

  def class_probabilities(self, images):
    """The classifier's softmax output, `[N, num_classes]`."""
    return _batched(self._both, _as_images(images, self.image_shape), self.batch_size)[1]


def _classifier(image_shape, num_classes, feature_units, seed):
  inputs = keras.Input(shape=tuple(image_shape))
  hidden = inputs
  for index, channels in enumerate((32, 64)):
    hidden = keras.layers.Conv2D(channels, 3, padding='same', activation='relu',
                                 kernel_initializer=kernel_initializer(seed, index))(hidden)
    hidden = keras.layers.MaxPooling2D(2, padding='same')(hidden)
  features = keras.layers.Dense(feature_units, activation='relu', name='features',
                                kernel_initializer=kernel_initializer(seed, 2))(
                                    keras.layers.Flatten()(hidden))
  probabilities = keras.layers.Dense(num_classes, activation='softmax', name='probabilities',
                                     kernel_initializer=kernel_initializer(seed, 3))(features)
  return keras.Model(inputs, probabilities, name='sample_quality_classifier')


def score_samples(extractor, reference_images, sample_images, kid_subsets=None,
                  inception_splits=1, seed=None):
  """FID, KID and the inception score of `sample_images` against `reference_images`.

  #### Mathematical Details

  With `a` the extractor's features of the reference images and `b` those
  of the samples: `fid = frechet_distance(a, b)`, `kid =
  kernel_inception_distance(a, b)` (over `kid_subsets` subsets, or the
  whole sets) and `inception_score` that of the extractor's class
  probabilities of the samples (docs/math.md §12).

  Args:
    extractor: an object with `features(images)` and
      `class_probabilities(images)` (`ClassifierFeatures`,
      `InceptionV3Features` or your own).
    reference_images: data images (uint8, or floats in [0, 1]).
    sample_images: model samples, floats in [0, 1] (clipped), `[N, H, W, C]`
      or flat.
    kid_subsets: None, or the number of KID subsets.
    inception_splits: parts of the samples for the inception score.
    seed: stateless seed of the KID subsets.

  Returns:
    A dict of floats: `fid`, `kid`, `inception_score`.

  Raises:
    ValueError: as `frechet_distance` (e.g. fewer samples than features:
      the covariance is singular), or for images that are not images.
  """
  reference = extractor.features(reference_images)
  features = extractor.features(sample_images)
  kid = sample_quality.kernel_inception_distance(reference, features, num_subsets=kid_subsets,
                                                 seed=seed)
  score = sample_quality.inception_score(extractor.class_probabilities(sample_images),
                                         num_splits=inception_splits)
  return dict(fid=float(sample_quality.frechet_distance(reference, features)),
              kid=float(kid.mean), inception_score=float(score.mean))
