"""Bad inputs of the data sets: names, sources, directories, files, pre-processing."""

import gzip
import os
import pickle
import tempfile

import numpy as np
import tensorflow as tf

from bad_input_registry import register_bad_input
from tfp_rbm import datasets


@register_bad_input('datasets/load/unknown_name', ValueError,
                    r"Unknown dataset name 'svhn'; the known ones are 'cifar10'")
def _():
  datasets.load('svhn')


@register_bad_input('datasets/load/unknown_split', ValueError, r"Unknown split 'validation'")
def _():
  datasets.load('digits', split='validation')


@register_bad_input('datasets/load/unknown_source', ValueError, r"Unknown source 'web'")
def _():
  datasets.load('digits', source='web')


@register_bad_input('datasets/load/tfds_source_for_shipped_digits', ValueError,
                    r"'digits' is shipped with tfp_rbm: use source='auto' or 'shipped'")
def _():
  datasets.load('digits', source='tfds')


@register_bad_input('datasets/load/shipped_source_for_cifar10', ValueError,
                    r"source='shipped' is only available for digits")
def _():
  datasets.load('cifar10', source='shipped')


@register_bad_input('datasets/load/data_dir_missing', ValueError,
                    r"`data_dir` is not a directory: '/nonexistent/tfp_rbm_data' "
                    r'\(it does not exist\)')
def _():
  datasets.load_numpy('mnist', data_dir='/nonexistent/tfp_rbm_data', source='local')


@register_bad_input('datasets/first_available/data_dir_missing', ValueError,
                    r'`data_dir` is not a directory')
def _():
  datasets.first_available(['mnist', 'digits'], data_dir='/nonexistent/tfp_rbm_data')


def _read_file(reader, name, content):
  with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, name)
    with open(path, 'wb') as f:
      f.write(content)
    reader(path)


def _idx(array):
  header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, '>i4').tobytes()
  return header + array.astype(np.uint8).tobytes()


@register_bad_input('datasets/read_idx/truncated_gzip', ValueError,
                    r"t10k-images-idx3-ubyte.gz' is a truncated or corrupt gzip file")
def _():
  content = gzip.compress(_idx(np.zeros([3, 4, 4])))
  _read_file(datasets.read_idx, 't10k-images-idx3-ubyte.gz', content[:-10])


@register_bad_input('datasets/read_idx/wrong_magic_number', ValueError,
                    r"images-idx3-ubyte' is not an IDX file: its magic number is '1f000801'")
def _():
  _read_file(datasets.read_idx, 'images-idx3-ubyte', b'\x1f\x00\x08\x01' + b'\0' * 8)


@register_bad_input('datasets/read_idx/truncated_data', ValueError,
                    r"images-idx3-ubyte' has 50 bytes .* declares shape \(3, 4, 4\)")
def _():
  _read_file(datasets.read_idx, 'images-idx3-ubyte', _idx(np.zeros([3, 4, 4]))[:50])


class _RunsCode:

  def __reduce__(self):
    return os.system, ('echo this must never run',)


@register_bad_input('datasets/read_cifar10_batch/pickle_that_runs_code', ValueError,
                    r"data_batch_1' is not a CIFAR-10 python batch and was not read: it refers "
                    r'to (posix|nt|os)\.system')
def _():
  _read_file(datasets.read_cifar10_batch, 'data_batch_1', pickle.dumps(_RunsCode()))


@register_bad_input('datasets/read_cifar10_batch/not_a_batch', ValueError,
                    r"test_batch' is not a CIFAR-10 python batch: expected a dict with b'data' "
                    r'of shape \[N, 3072\]')
def _():
  batch = {b'data': np.zeros([2, 100], np.uint8), b'labels': [0, 1]}
  _read_file(datasets.read_cifar10_batch, 'test_batch', pickle.dumps(batch))


@register_bad_input('datasets/dequantize/not_uint8', TypeError,
                    r'`images` must be uint8 pixels in 0..255; got float32')
def _():
  datasets.dequantize(np.zeros([2, 2], np.float32), seed=[0, 0])


@register_bad_input('datasets/dequantize/integer_dtype', TypeError,
                    r'`dtype` must be float32 or float64; got int32')
def _():
  datasets.dequantize(np.zeros([2, 2], np.uint8), seed=[0, 0], dtype=tf.int32)


@register_bad_input('datasets/binarize/seed_and_threshold', ValueError,
                    r'either `seed` .* or `threshold`')
def _():
  datasets.binarize(np.zeros([2], np.uint8), seed=[0, 0], threshold=0.5)


@register_bad_input('datasets/binarize/threshold_out_of_range', ValueError,
                    r'`threshold` must lie in \[0, 1\].*got 128')
def _():
  datasets.binarize(np.zeros([2], np.uint8), threshold=128)


@register_bad_input('datasets/dequantized_batches/batch_size_zero', ValueError,
                    r'`batch_size` must be positive; got 0')
def _():
  datasets.dequantized_batches(np.zeros([4, 2, 2], np.uint8), 0, seed=0)


@register_bad_input('datasets/dequantized_batches/no_images', ValueError,
                    r'`images` must hold at least one image .*got shape \[0, 2, 2\]')
def _():
  datasets.dequantized_batches(np.zeros([0, 2, 2], np.uint8), 4, seed=0)
