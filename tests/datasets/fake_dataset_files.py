"""Writers of tiny data-set files in the original formats, for the tests.

Written independently of the readers (struct-packed IDX headers, CIFAR
batches built from channel-major planes), so a reader bug cannot cancel out.
"""

import gzip
import os
import pickle
import struct

import numpy as np

_IDX_TYPE_CODES = {'uint8': 0x08, 'int8': 0x09, 'int16': 0x0B, 'int32': 0x0C,
                   'float32': 0x0D, 'float64': 0x0E}


def write_idx(path, array, compress=False):
  array = np.asarray(array)
  header = struct.pack('>BBBB', 0, 0, _IDX_TYPE_CODES[array.dtype.name],
                       array.ndim)
  header += struct.pack(f'>{array.ndim}i', *array.shape)
  raw = header + array.astype(array.dtype.newbyteorder('>')).tobytes()
  with open(path, 'wb') as f:
    f.write(gzip.compress(raw) if compress else raw)


def write_mnist_family(directory, num_train, num_test, compress=False,
                       seed=0):
  """Writes the four IDX files; returns {split: (images, labels)}."""
  rng = np.random.default_rng(seed)
  os.makedirs(directory, exist_ok=True)
  suffix = '.gz' if compress else ''
  written = {}
  for split, prefix, n in (('train', 'train', num_train),
                           ('test', 't10k', num_test)):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    write_idx(os.path.join(directory, f'{prefix}-images-idx3-ubyte{suffix}'),
              images, compress)
    write_idx(os.path.join(directory, f'{prefix}-labels-idx1-ubyte{suffix}'),
              labels, compress)
    written[split] = (images, labels)
  return written


def write_cifar10_batch(path, images, labels):
  """`images` uint8 [N, 32, 32, 3]; stored as rows of R, G, B planes."""
  planes = [images[..., c].reshape(len(images), -1) for c in range(3)]
  batch = {b'batch_label': b'fake', b'data': np.concatenate(planes, axis=1),
           b'labels': [int(l) for l in labels]}
  with open(path, 'wb') as f:
    pickle.dump(batch, f)


def write_cifar10(directory, per_batch, seed=0):
  """Writes the six batches; returns {split: (images, labels)}."""
  rng = np.random.default_rng(seed)
  os.makedirs(directory, exist_ok=True)
  names = {'train': [f'data_batch_{i}' for i in range(1, 6)],
           'test': ['test_batch']}
  written = {}
  for split, files in names.items():
    images = rng.integers(0, 256, size=(per_batch * len(files), 32, 32, 3),
                          dtype=np.uint8)
    labels = rng.integers(0, 10, size=len(images))
    for i, name in enumerate(files):
      part = slice(i * per_batch, (i + 1) * per_batch)
      write_cifar10_batch(os.path.join(directory, name), images[part],
                          labels[part])
    written[split] = (images, labels)
  return written
