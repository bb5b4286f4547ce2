"""One entry point for the image data sets: `load` and `load_numpy`.

Names: `'fashion_mnist'`, `'mnist'`, `'cifar10'` and `'digits'` (8x8 UCI
digits shipped in the package). Images are uint8 `[H, W, C]`: `[28, 28, 1]`,
`[28, 28, 1]`, `[32, 32, 3]` and `[8, 8, 1]`; labels are int64. Nothing is
downloaded unless `download=True`. Where the data come from is chosen by
`source`:

- `'shipped'`: the copy inside the package; only `'digits'` has one.
- `'tfds'`: a TensorFlow Datasets copy that is already prepared, in
  `data_dir` or, when `data_dir` is None, in TFDS's default directory
  (`$TFDS_DATA_DIR`, else `~/tensorflow_datasets`). With `download=True`
  a missing copy is downloaded and prepared there first, when TFDS can reach
  its servers; otherwise `'auto'` goes on to the local files and says why.
- `'local'`: the original files, looked for in this order in `data_dir`,
  then `$TFP_RBM_DATA_DIR`, then the system location of Debian's
  `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`);
  each directory first, then its subdirectories named for the data set (see
  `search_directories`). MNIST and Fashion-MNIST: the IDX files
  `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
  `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each plain or `.gz`.
  CIFAR-10: the python batches `data_batch_1` ... `data_batch_5` and
  `test_batch` from `cifar-10-python.tar.gz`.
- `'auto'` (default): `'shipped'` for `'digits'`; otherwise `'tfds'` when
  tensorflow-datasets is installed and has the data prepared, else `'local'`.

#### Examples

```python
ds = tfp_rbm.datasets.load('digits', split='train')       # uint8 [8, 8, 1]
ds = ds.map(lambda x: tf.reshape(x, [-1]))                  # flat, [64]
pairs = tfp_rbm.datasets.load('mnist', with_labels=True)    # (image, label)
images = tfp_rbm.datasets.load_numpy('cifar10', split='test',
                                     data_dir='~/data', source='local')
```
"""

import os

import numpy as np
import tensorflow as tf

from tfp_rbm.datasets.cifar import CIFAR10_SPLIT_FILES
from tfp_rbm.datasets.cifar import read_cifar10_batch
from tfp_rbm.datasets.digits import read_digits
from tfp_rbm.datasets.idx import read_idx

__all__ = [
    'DATA_DIR_ENV_VAR',
    'NAMES',
    'SOURCES',
    'SPLITS',
    'SYSTEM_DIRECTORIES',
    'load',
    'load_numpy',
    'search_directories',
]

NAMES = ('cifar10', 'digits', 'fashion_mnist', 'mnist')
SOURCES = ('auto', 'local', 'shipped', 'tfds')
SPLITS = ('train', 'test')
DATA_DIR_ENV_VAR = 'TFP_RBM_DATA_DIR'
SYSTEM_DIRECTORIES = {
    'fashion_mnist': ('/usr/share/datasets/fashion-mnist',),
}

_SHIPPED = ('digits',)
_SUBDIRECTORIES = {
    'cifar10': ('cifar10', 'cifar-10-batches-py'),
    'fashion_mnist': ('fashion_mnist', 'fashion-mnist'),
    'mnist': ('mnist',),
}
_IDX_PREFIXES = {'train': 'train', 'test': 't10k'}


def load(name, split='train', *, data_dir=None, source='auto',
         with_labels=False, download=False):
  """A `tf.data.Dataset` of uint8 images `[H, W, C]`, in file order.

  #### Examples

  ```python
  ds = load('fashion_mnist', split='test', data_dir='/data/fmnist')
  ds = ds.shuffle(10_000).batch(128)
  ```

  Args:
    name: one of `NAMES`.
    split: `'train'` or `'test'`.
    data_dir: optional directory searched first (see the module docstring);
      it must exist, unless `download=True` lets TFDS create it.
    source: one of `SOURCES`; `'auto'` tries TFDS, then local files.
    with_labels: if True, elements are `(image, label)` with int64 labels.
    download: if True, let TFDS download and prepare a missing copy.

  Returns:
    A `tf.data.Dataset` of images, or of `(image, label)` pairs.

  Raises:
    ValueError: for an unknown `name`, `split` or `source`, a `source`
      that `name` does not have, or a `data_dir` that is not a directory.
    FileNotFoundError: when no copy is found; the message says where to put
      the files.
    ImportError: for `source='tfds'` without tensorflow-datasets.
  """
  found = _find(name, split, data_dir, source, download)
  if isinstance(found, tuple):
    return tf.data.Dataset.from_tensor_slices(
        found if with_labels else found[0])
  dataset = found.as_dataset(split=split, as_supervised=True)
  return dataset if with_labels else dataset.map(lambda image, label: image)


def load_numpy(name, split='train', *, data_dir=None, source='auto',
               with_labels=False, download=False):
  """Like `load`, but the whole split as NumPy arrays.

  #### Examples

  ```python
  images, labels = load_numpy('digits', split='test', with_labels=True)
  images.shape  # (297, 8, 8, 1)
  ```

  Returns:
    uint8 images `[N, H, W, C]`, or `(images, labels)` with int64 labels
    `[N]` when `with_labels` is True. Arguments and errors are as in `load`.
  """
  found = _find(name, split, data_dir, source, download)
  if not isinstance(found, tuple):
    batches = found.as_dataset(split=split, as_supervised=True).batch(10_000)
    found = tuple(np.concatenate(parts)
                  for parts in zip(*batches.as_numpy_iterator()))
  return found if with_labels else found[0]


def first_available(names, data_dir=None):
  """The first of `names` whose data can be found, without reading any images.

  Examples pick Fashion-MNIST when it is installed and fall back to the
  shipped digits: `first_available(['fashion_mnist', 'digits'])`.

  Raises:
    ValueError: if `data_dir` is given but is not a directory.
    FileNotFoundError: when none is found (naming where to put the files).
  """
  _check_data_dir(data_dir, download=False)
  errors = []
  for name in names:
    _check_choice('dataset name', name, NAMES)
    if name in _SHIPPED:
      return name
    builder, tfds_note = _prepared_tfds_builder(name, data_dir, required=False)
    if builder is not None or _find_local_files(name, 'test', data_dir) is not None:
      return name
    errors.append(_missing_files_message(name, 'test', data_dir, tfds_note))
  raise FileNotFoundError('\n\n'.join(errors))


def search_directories(name, data_dir=None):
  """The directories searched, in order, for local files of `name`.

  Each base directory (`data_dir`, `$TFP_RBM_DATA_DIR`) is followed by its
  subdirectories named for the data set; the system locations come last.

  #### Examples

  ```python
  search_directories('cifar10', data_dir='/data')
  # ['/data', '/data/cifar10', '/data/cifar-10-batches-py', ...]
  ```
  """
  _check_choice('dataset name', name, NAMES)
  bases = [d for d in (data_dir, os.environ.get(DATA_DIR_ENV_VAR)) if d]
  directories = []
  for base in bases:
    base = os.path.expanduser(os.fspath(base))
    directories.append(base)
    directories.extend(
        os.path.join(base, sub) for sub in _SUBDIRECTORIES.get(name, ()))
  directories.extend(SYSTEM_DIRECTORIES.get(name, ()))
  return directories


def _check_choice(what, value, choices):
  if value not in choices:
    raise ValueError(
        f'Unknown {what} {value!r}; the known ones are '
        f'{", ".join(repr(c) for c in choices)}.')


def _check_data_dir(data_dir, download):
  """Raises unless `data_dir` is None or a directory (TFDS creates it for a download)."""
  if data_dir is None or download:
    return
  path = os.path.expanduser(os.fspath(data_dir))
  if not os.path.isdir(path):
    raise ValueError(
        f'Argument `data_dir` is not a directory: {path!r} '
        f'({"a file" if os.path.exists(path) else "it does not exist"}). '
        'Nothing else is searched in its place: fix the path, or leave it out to '
        f'search ${DATA_DIR_ENV_VAR} and the system locations.')


def _find(name, split, data_dir, source, download=False):
  """A prepared TFDS builder, or the `(images, labels)` arrays."""
  _check_choice('dataset name', name, NAMES)
  _check_choice('split', split, SPLITS)
  _check_choice('source', source, SOURCES)
  _check_data_dir(data_dir, download and source in ('auto', 'tfds'))
  if name in _SHIPPED:
    if source not in ('auto', 'shipped'):
      raise ValueError(
          f"Dataset {name!r} is shipped with tfp_rbm: use source='auto' or "
          f"'shipped', not {source!r}.")
    return read_digits(split)
  if source == 'shipped':
    raise ValueError(
        f"source='shipped' is only available for {', '.join(_SHIPPED)}; "
        f'{name!r} must come from TFDS or local files.')
  tfds_note = None
  if source in ('auto', 'tfds'):
    builder, tfds_note = _prepared_tfds_builder(
        name, data_dir, required=source == 'tfds', download=download)
    if builder is not None:
      return builder
  paths = _find_local_files(name, split, data_dir)
  if paths is None:
    raise FileNotFoundError(
        _missing_files_message(name, split, data_dir, tfds_note))
  return _read_local_files(name, paths)


def _prepared_tfds_builder(name, data_dir, required, download=False):
  """`(builder, None)` if TFDS has `name` prepared, else `(None, why_not)`.

  With `download`, a copy that is not prepared is downloaded and prepared
  first; a failure (e.g. no network) becomes the `why_not`.
  """
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    if required:
      raise ImportError(
          "source='tfds' needs tensorflow-datasets: "
          'pip install tensorflow-datasets.') from error
    return None, 'tensorflow-datasets is not installed.'
  if data_dir is not None:
    data_dir = os.path.expanduser(os.fspath(data_dir))
  builder = tfds.builder(name, data_dir=data_dir)
  if builder.is_prepared():
    return builder, None
  if download:
    try:
      builder.download_and_prepare()
      return builder, None
    except Exception as error:  # pylint: disable=broad-except
      # TFDS raises many kinds (connection, HTTP, checksum): all mean "no copy".
      why_not = (f'TensorFlow Datasets could not download {name!r} into '
                 f'{builder.data_dir!r}: {type(error).__name__}: {error}')
  else:
    why_not = (
        f'TensorFlow Datasets has no prepared {name!r} in {builder.data_dir!r} '
        '(pass download=True to let it download one, or prepare it once with '
        f'tfds.builder({name!r}, data_dir=...).download_and_prepare()).')
  if required:
    raise FileNotFoundError(why_not)
  return None, why_not


def _required_files(name, split):
  """One tuple of acceptable file names per file the split needs."""
  if name == 'cifar10':
    return [(f,) for f in CIFAR10_SPLIT_FILES[split]]
  prefix = _IDX_PREFIXES[split]
  return [(f'{prefix}-{kind}-ubyte', f'{prefix}-{kind}-ubyte.gz')
          for kind in ('images-idx3', 'labels-idx1')]


def _find_local_files(name, split, data_dir):
  """Paths of the split's files in the first directory holding all of them."""
  required = _required_files(name, split)
  for directory in search_directories(name, data_dir):
    paths = [
        next((os.path.join(directory, f) for f in alternatives
              if os.path.isfile(os.path.join(directory, f))), None)
        for alternatives in required
    ]
    if None not in paths:
      return paths
  return None


def _read_local_files(name, paths):
  if name == 'cifar10':
    batches = [read_cifar10_batch(path) for path in paths]
    return (np.concatenate([images for images, _ in batches]),
            np.concatenate([labels for _, labels in batches]))
  images_path, labels_path = paths
  images, labels = read_idx(images_path), read_idx(labels_path)
  if images.dtype != np.uint8 or images.ndim != 3:
    raise ValueError(
        f'{images_path!r} should hold uint8 images [N, H, W]; it holds '
        f'{images.dtype.name} of shape {images.shape}.')
  if labels.shape != images.shape[:1]:
    raise ValueError(
        f'{labels_path!r} holds labels of shape {labels.shape}, but '
        f'{images_path!r} holds {images.shape[0]} images.')
  return images[..., np.newaxis], labels.astype(np.int64)


def _missing_files_message(name, split, data_dir, tfds_note):
  files = ', '.join(' or '.join(alts) for alts in _required_files(name, split))
  searched = ''.join(f'\n  {d}' for d in search_directories(name, data_dir))
  message = (
      f'No local copy of {name!r} split {split!r} was found. Put {files} '
      f'in a directory and pass it as `data_dir=...` or set '
      f'${DATA_DIR_ENV_VAR} to it (a subdirectory named '
      f'{_SUBDIRECTORIES[name][0]!r} of either also works). Searched:'
      f'{searched or " nothing (no data_dir, no $" + DATA_DIR_ENV_VAR + ")"}')
  if name == 'fashion_mnist':
    message += ('\nOn Debian/Ubuntu, `apt install dataset-fashion-mnist` puts '
                'them in /usr/share/datasets/fashion-mnist.')
  if tfds_note:
    message += f'\n{tfds_note}'
  return message
