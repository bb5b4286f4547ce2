"""Tests of the IDX and CIFAR-10 file readers on files written here."""

import gzip
import os
import pickle

import numpy as np
import pytest

from fake_dataset_files import write_cifar10_batch
from fake_dataset_files import write_idx
from tfp_rbm.datasets import read_cifar10_batch
from tfp_rbm.datasets import read_idx


@pytest.mark.parametrize('compress', [False, True])
@pytest.mark.parametrize('array', [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-70000, 5, 2**31 - 1], dtype=np.int32),
    np.linspace(-1., 1., 6, dtype=np.float32).reshape(3, 2),
], ids=['uint8_3d', 'int32_1d', 'float32_2d'])
def test_read_idx_round_trips(tmp_path, array, compress):
  path = tmp_path / 'file-idx'
  write_idx(path, array, compress)
  values = read_idx(path)
  assert values.dtype == array.dtype
  np.testing.assert_array_equal(values, array)


def test_read_idx_rejects_wrong_magic_number(tmp_path):
  path = tmp_path / 'not-idx.gz'
  path.write_bytes(gzip.compress(b'\x1f\x00\x08\x01' + b'\0' * 8))
  with pytest.raises(ValueError, match='not an IDX file.*1f000801'):
    read_idx(path)


def test_read_idx_rejects_truncated_data(tmp_path):
  path = tmp_path / 'short-idx'
  write_idx(path, np.zeros([4, 5], np.uint8))
  path.write_bytes(path.read_bytes()[:-1])
  with pytest.raises(ValueError, match=r'declares shape \(4, 5\)'):
    read_idx(path)


def test_read_cifar10_batch_lays_out_height_width_rgb(tmp_path):
  rng = np.random.default_rng(1)
  images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
  write_cifar10_batch(tmp_path / 'data_batch_1', images, [7, 0, 9])
  read_images, labels = read_cifar10_batch(tmp_path / 'data_batch_1')
  np.testing.assert_array_equal(read_images, images)
  np.testing.assert_array_equal(labels, [7, 0, 9])
  assert read_images.dtype == np.uint8 and labels.dtype == np.int64


def test_read_cifar10_batch_rejects_other_pickles(tmp_path):
  path = tmp_path / 'test_batch'
  path.write_bytes(pickle.dumps({b'data': np.zeros([2, 100], np.uint8),
                                 b'labels': [0, 1]}))
  with pytest.raises(ValueError, match='not a CIFAR-10 python batch'):
    read_cifar10_batch(path)


class _RunsCode:
  """A pickle that would run a shell command when loaded."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return os.system, (f'touch {self.marker}',)


@pytest.mark.parametrize('payload', ['whole', 'inside_the_dict'])
def test_read_cifar10_batch_refuses_a_pickle_that_runs_code_without_running_it(tmp_path,
                                                                             payload):
  marker = tmp_path / 'pwned'
  evil = _RunsCode(marker)
  batch = evil if payload == 'whole' else {b'data': np.zeros([1, 3072], np.uint8),
                                           b'labels': [evil]}
  path = tmp_path / 'data_batch_1'
  path.write_bytes(pickle.dumps(batch))
  with pytest.raises(ValueError, match=r"data_batch_1' is not a CIFAR-10 python batch and was "
                                       r'not read: it refers to (posix|nt|os)\.system'):
    read_cifar10_batch(path)
  assert not marker.exists()


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_read_cifar10_batch_reads_every_pickle_protocol_of_a_real_batch(tmp_path, protocol):
  """A real batch: numpy arrays, lists of ints and bytes, bytes keys and values."""
  images = np.random.default_rng(2).integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
  batch = {b'batch_label': b'testing batch 1 of 1',
           b'labels': [3, 8],
           b'data': images.transpose(0, 3, 1, 2).reshape(2, -1),
           b'filenames': [b'cat_1.png', b'ship_2.png']}
  path = tmp_path / 'test_batch'
  path.write_bytes(pickle.dumps(batch, protocol=protocol))
  read_images, labels = read_cifar10_batch(path)
  np.testing.assert_array_equal(read_images, images)
  np.testing.assert_array_equal(labels, [3, 8])


def test_read_cifar10_batch_names_a_truncated_file(tmp_path):
  path = tmp_path / 'data_batch_2'
  write_cifar10_batch(path, np.zeros([2, 32, 32, 3], np.uint8), [0, 1])
  path.write_bytes(path.read_bytes()[:100])
  with pytest.raises(ValueError, match="data_batch_2' is not a CIFAR-10 python batch"):
    read_cifar10_batch(path)


def test_read_idx_names_a_truncated_gzip_file(tmp_path):
  path = tmp_path / 'images-idx3-ubyte.gz'
  write_idx(path, np.zeros([4, 5, 5], np.uint8), compress=True)
  path.write_bytes(path.read_bytes()[:-8])
  with pytest.raises(ValueError, match=r"images-idx3-ubyte.gz' is a truncated or corrupt gzip"):
    read_idx(path)
