"""From uint8 pixels to model inputs: uniform dequantization, binarization.

`dequantize` and `binarize` take a uint8 tensor of any shape (one image
`[H, W, C]` or a batch) and use stateless seeds, so the same seed gives the
same result in eager mode, inside `tf.function` and in a `tf.data` map. For
an MLP or an RBM over pixels, flatten after: `tf.reshape(x, [-1, h * w * c])`
for a batch. `dequantized_batches` does both for a whole image array: a
`tf.data` pipeline of flat dequantized batches for training or evaluation.
"""

import numpy as np
import tensorflow as tf

__all__ = ['binarize', 'dequantize', 'dequantized_batches']


def _as_pixels(images):
  images = tf.convert_to_tensor(images)
  if images.dtype != tf.uint8:
    raise TypeError(
        f'Argument `images` must be uint8 pixels in 0..255; got '
        f'{images.dtype.name}.')
  return images


def dequantize(images, seed, dtype=tf.float32):
  """Uniform dequantization: `x = (pixel + u) / 256`, `u ~ U[0, 1)`.

  Turns 8-bit images into continuous data in `[0, 1)`, the convention under
  which a density p on `[0, 1]^D` gives

      bits/dim = (-log p(x) + D log 256) / (D log 2).

  Pixel `k` maps to `[k/256, (k+1)/256)`.

  #### Examples

  ```python
  ds = tfp_rbm.datasets.load('digits').shuffle(1500).batch(64).repeat()
  # One seed per step (enumerate after repeat), so noise is never reused.
  ds = ds.enumerate().map(
      lambda step, x: dequantize(x, seed=tf.stack([0, step])))
  ```

  Args:
    images: uint8 tensor of any shape.
    seed: stateless seed, an int tensor of shape `[2]`.
    dtype: `tf.float32` or `tf.float64`.

  Returns:
    A `dtype` tensor of the shape of `images`, values in `[0, 1)`.
  """
  pixels = _as_pixels(images)
  dtype = tf.as_dtype(dtype)
  if dtype not in (tf.float32, tf.float64):
    raise TypeError(
        f'Argument `dtype` must be float32 or float64; got {dtype.name}.')
  noise = tf.random.stateless_uniform(tf.shape(pixels), seed, dtype=dtype)
  x = (tf.cast(pixels, dtype) + noise) / 256.
  # (255 + u) / 256 rounds to exactly 1 in float32 when u is within 2^-17 of
  # 1; keep the half-open interval so a logit pre-transform stays finite.
  return tf.minimum(x, np.nextafter(dtype.as_numpy_dtype(1), 0))


def dequantized_batches(images, batch_size, seed, shuffle=False, dtype=tf.float32):
  """Batches of flat, dequantized images: `x = (pixel + u) / 256` in `[0, 1)`.

  Each image `[H, W, C]` becomes a vector of `H * W * C` values, dequantized
  as by `dequantize`. With `shuffle=True` (training) the images are shuffled
  afresh on every pass over the dataset (`reshuffle_each_iteration`), every
  batch gets new noise on every pass, and a last partial batch is dropped so
  that every step sees `batch_size` images; with fewer than `batch_size`
  images, each pass is one batch of all of them (never an empty dataset).
  With `shuffle=False` (evaluation) the order is kept, the last batch may be
  smaller, and every pass gives the same values: the noise of batch `k` is
  drawn with the stateless seed `[seed, k]`.

  #### Examples

  ```python
  images = tfp_rbm.datasets.load_numpy('digits', 'train')       # uint8 [1500, 8, 8, 1]
  train = dequantized_batches(images, 128, seed=0, shuffle=True)  # [128, 64] float32
  test = dequantized_batches(
      tfp_rbm.datasets.load_numpy('digits', 'test'), 256, seed=1)  # same x every pass
  model.fit(train, epochs=10)
  model.evaluate(test)
  ```

  Args:
    images: uint8 array or tensor `[N, ...]` of `N` images (any image shape).
    batch_size: positive Python int, images per batch.
    seed: Python int; seeds the shuffle and the dequantization noise.
    shuffle: whether to shuffle (and drop a last partial batch, when there is
      a full one) for training.
    dtype: `tf.float32` or `tf.float64`.

  Returns:
    A `tf.data.Dataset` of `dtype` tensors `[batch_size, H * W * C]`.

  Raises:
    TypeError: if `images` are not uint8 or `batch_size` is not an int.
    ValueError: if `images` hold no image or `batch_size` is not positive.
  """
  pixels = _as_pixels(images)
  if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
    raise TypeError(f'Argument `batch_size` must be an int; got {batch_size!r}.')
  if batch_size < 1:
    raise ValueError(f'Argument `batch_size` must be positive; got {batch_size}.')
  if pixels.shape.rank == 0 or pixels.shape[0] == 0:
    raise ValueError('Argument `images` must hold at least one image `[N, ...]`, N > 0; '
                     f'got shape {pixels.shape.as_list()}.')
  num_images = int(pixels.shape[0])
  flat = tf.reshape(pixels, [num_images, -1])
  ds = tf.data.Dataset.from_tensor_slices(flat)
  if shuffle:
    ds = ds.shuffle(num_images, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=num_images >= batch_size)
    # A new pair of noise seeds per batch, different on every pass.
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip(ds, seeds)
  else:
    ds = ds.batch(batch_size).enumerate().map(
        lambda index, x: (x, tf.stack([tf.constant(seed, tf.int64), index])))
  return ds.map(lambda x, noise_seed: dequantize(x, noise_seed, dtype),
                num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def binarize(images, seed=None, threshold=None, dtype=tf.float32):
  """Binary images: stochastic with a `seed`, or by a `threshold`.

  With `seed`, each pixel is 1 with probability `pixel / 255` (the usual
  dynamic binarization, redrawn with each seed). Otherwise it is 1 where
  `pixel / 255 > threshold`, with `threshold = 0.5` by default.

  #### Examples

  ```python
  images = load_numpy('mnist', split='test')
  fixed = binarize(images)                    # pixel > 127.5
  drawn = binarize(images, seed=[1, 2])       # Bernoulli(pixel / 255)
  flat = tf.reshape(fixed, [-1, 28 * 28])     # visible units of an RBM
  ```

  Args:
    images: uint8 tensor of any shape.
    seed: optional stateless seed, an int tensor of shape `[2]`.
    threshold: optional Python float in `[0, 1]`, a fraction of 255; not
      allowed together with `seed`.
    dtype: dtype of the result.

  Returns:
    A `dtype` tensor of the shape of `images` holding 0s and 1s.
  """
  pixels = _as_pixels(images)
  if seed is not None and threshold is not None:
    raise ValueError(
        'Pass either `seed` (stochastic binarization) or `threshold` '
        '(deterministic), not both.')
  intensity = tf.cast(pixels, tf.float32) / 255.
  if seed is not None:
    cutoff = tf.random.stateless_uniform(tf.shape(pixels), seed)
    return tf.cast(cutoff < intensity, dtype)
  threshold = 0.5 if threshold is None else threshold
  if not 0. <= threshold <= 1.:
    raise ValueError(
        f'Argument `threshold` must lie in [0, 1] (a fraction of 255); got '
        f'{threshold}.')
  return tf.cast(intensity > threshold, dtype)
