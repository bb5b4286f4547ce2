"""Reader for the CIFAR-10 "python version" batches.

The archive `cifar-10-python.tar.gz` [1] unpacks to `cifar-10-batches-py/`
holding `data_batch_1` ... `data_batch_5` (the 50,000 training images) and
`test_batch` (10,000). Each is a pickled dict whose `b'data'` is a uint8
`[N, 3072]` array, one row per image laid out channel-major (1024 red, then
green, then blue values, each row-major 32x32), and `b'labels'` a list of N
ints in 0..9.

#### References

[1]: Alex Krizhevsky. Learning Multiple Layers of Features from Tiny Images,
     2009. https://www.cs.toronto.edu/~kriz/cifar.html
"""

import os
import pickle

import numpy as np

__all__ = ['CIFAR10_SPLIT_FILES', 'read_cifar10_batch']

CIFAR10_SPLIT_FILES = {
    'train': tuple(f'data_batch_{i}' for i in range(1, 6)),
    'test': ('test_batch',),
}


def read_cifar10_batch(path):
  """Reads one pickled CIFAR-10 batch into `(images, labels)`.

  The file is unpickled, which can run arbitrary code: read only batches from
  a trusted source.

  #### Examples

  ```python
  images, labels = read_cifar10_batch('cifar-10-batches-py/test_batch')
  images.shape  # (10000, 32, 32, 3), uint8
  ```

  Args:
    path: path of a `data_batch_*` or `test_batch` file.

  Returns:
    images: uint8 array `[N, 32, 32, 3]` (height, width, RGB).
    labels: int64 array `[N]`.

  Raises:
    ValueError: if the file is not a dict with `b'data'` of shape
      `[N, 3072]` and N `b'labels'`.
  """
  with open(path, 'rb') as f:
    batch = pickle.load(f, encoding='bytes')
  not_a_batch = ValueError(
      f'{os.fspath(path)!r} is not a CIFAR-10 python batch: expected a dict '
      "with b'data' of shape [N, 3072] and a list of N b'labels'.")
  if not isinstance(batch, dict) or not {b'data', b'labels'} <= batch.keys():
    raise not_a_batch
  data = np.asarray(batch[b'data'])
  labels = np.asarray(batch[b'labels'], np.int64)
  if data.shape[1:] != (3 * 32 * 32,) or labels.shape != data.shape[:1]:
    raise not_a_batch
  images = data.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
  return np.ascontiguousarray(images), labels
