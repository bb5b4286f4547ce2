"""Reader for the CIFAR-10 "python version" batches.

The archive `cifar-10-python.tar.gz` [1] unpacks to `cifar-10-batches-py/`
holding `data_batch_1` ... `data_batch_5` (the 50,000 training images) and
`test_batch` (10,000). Each is a pickled dict whose `b'data'` is a uint8
`[N, 3072]` array, one row per image laid out channel-major (1024 red, then
green, then blue values, each row-major 32x32), and `b'labels'` a list of N
ints in 0..9.

A pickle can run any code while it is read, so the batches are read by an
unpickler that builds only what such a batch holds (dicts, lists, bytes,
str, ints, NumPy arrays and dtypes) and refuses anything else before it is
built.

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

# The callables a pickled NumPy array refers to (NumPy 1 and 2 module names;
# `_frombuffer` for protocol 5, `_codecs.encode` for bytes pickled by Python 3
# at protocol 2). Dicts, lists, bytes, str and ints need no callable.
_ALLOWED_GLOBALS = frozenset([
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.numeric', '_frombuffer'),
    ('_codecs', 'encode'),
])


class _BatchUnpickler(pickle.Unpickler):
  """Builds dicts, lists, bytes, str, ints and NumPy arrays; refuses every other object."""

  def find_class(self, module, name):
    if (module, name) in _ALLOWED_GLOBALS or (
        module == 'numpy.dtypes' and name.endswith('DType')):
      return super().find_class(module, name)
    raise pickle.UnpicklingError(
        f'it refers to {module}.{name}, which a CIFAR-10 batch does not hold')


def read_cifar10_batch(path):
  """Reads one pickled CIFAR-10 batch into `(images, labels)`.

  The file is read by a restricted unpickler: a pickle that refers to
  anything but the types of a CIFAR-10 batch is refused before any of it is
  built, so no code in it runs.

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
    ValueError: naming the file, if it is not a pickle of the types above,
      or not a dict with `b'data'` of shape `[N, 3072]` and N `b'labels'`.
  """
  expected = ("expected a dict with b'data' of shape [N, 3072] and a list of N "
              "b'labels'")
  with open(path, 'rb') as f:
    try:
      batch = _BatchUnpickler(f, encoding='bytes').load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
            TypeError, ValueError) as error:
      raise ValueError(
          f'{os.fspath(path)!r} is not a CIFAR-10 python batch and was not read: '
          f'{error} ({expected}).') from None
  not_a_batch = ValueError(f'{os.fspath(path)!r} is not a CIFAR-10 python batch: {expected}.')
  if not isinstance(batch, dict) or not {b'data', b'labels'} <= batch.keys():
    raise not_a_batch
  data = batch[b'data']
  if not isinstance(data, np.ndarray) or data.dtype.kind not in 'iu' or (
      data.size and (data.min() < 0 or data.max() > 255)):
    raise not_a_batch
  try:
    labels = np.asarray(batch[b'labels'], np.int64)
  except (TypeError, ValueError):
    raise not_a_batch from None
  if data.shape[1:] != (3 * 32 * 32,) or labels.shape != data.shape[:1]:
    raise not_a_batch
  images = data.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
  return np.ascontiguousarray(images), labels
