"""Tests of the IDX and CIFAR-10 file readers on files written here."""

import gzip
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
