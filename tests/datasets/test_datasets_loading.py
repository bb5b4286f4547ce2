"""Tests of `load` / `load_numpy`: shipped digits, local files, TFDS, errors."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from fake_dataset_files import write_cifar10
from fake_dataset_files import write_idx
from fake_dataset_files import write_mnist_family
from tfp_rbm import datasets
from tfp_rbm.datasets import loading


@pytest.fixture(autouse=True)
def no_data_outside_tmp(monkeypatch):
  """Keeps a developer's own data sets out of the search."""
  monkeypatch.delenv(datasets.DATA_DIR_ENV_VAR, raising=False)
  monkeypatch.setattr(loading, 'SYSTEM_DIRECTORIES', {})


@pytest.fixture
def empty_dir(tmp_path):
  path = tmp_path / 'empty'
  path.mkdir()
  return path


def test_digits_splits_shapes_and_labels():
  train_images, train_labels = datasets.load_numpy('digits', with_labels=True)
  test_images, test_labels = datasets.load_numpy(
      'digits', split='test', with_labels=True)
  assert train_images.shape == (1500, 8, 8, 1)
  assert test_images.shape == (297, 8, 8, 1)
  assert train_images.dtype == np.uint8 and train_labels.dtype == np.int64
  assert train_images.min() == 0 and train_images.max() == 255
  assert set(np.concatenate([train_labels, test_labels])) == set(range(10))
  assert test_labels.shape == (297,)


def test_digits_first_row_matches_csv_scaled_to_255():
  # First CSV row starts 0,0,5,13,9,1,0,0 and ends with label 0; v -> round(
  # v * 255 / 16) gives 5 -> 80 (79.7), 13 -> 207 (207.2), 9 -> 143 (143.4).
  images, labels = datasets.load_numpy('digits', with_labels=True)
  np.testing.assert_array_equal(images[0, 0, :, 0],
                                [0, 0, 80, 207, 143, 16, 0, 0])
  assert labels[0] == 0


def test_digits_dataset_yields_images_or_pairs():
  images = datasets.load('digits', split='test')
  pairs = datasets.load('digits', split='test', with_labels=True)
  assert images.element_spec == tf.TensorSpec([8, 8, 1], tf.uint8)
  assert pairs.element_spec[1] == tf.TensorSpec([], tf.int64)
  assert int(images.cardinality()) == 297
  expected = datasets.load_numpy('digits', split='test')
  np.testing.assert_array_equal(next(iter(images.batch(297))), expected)


@pytest.mark.parametrize('compress', [False, True])
def test_local_idx_files_load_both_splits(tmp_path, compress):
  written = write_mnist_family(tmp_path, 4, 3, compress)
  for split in ('train', 'test'):
    images, labels = datasets.load_numpy(
        'mnist', split=split, data_dir=tmp_path, source='local',
        with_labels=True)
    np.testing.assert_array_equal(images, written[split][0][..., None])
    np.testing.assert_array_equal(labels, written[split][1])
  dataset = datasets.load('mnist', data_dir=tmp_path, source='local')
  assert dataset.element_spec == tf.TensorSpec([28, 28, 1], tf.uint8)


def test_local_files_found_in_env_var_subdirectory(tmp_path, monkeypatch):
  written = write_mnist_family(tmp_path / 'fashion-mnist', 2, 5)
  monkeypatch.setenv(datasets.DATA_DIR_ENV_VAR, str(tmp_path))
  images = datasets.load_numpy('fashion_mnist', split='test', source='local')
  np.testing.assert_array_equal(images, written['test'][0][..., None])


def test_data_dir_is_searched_before_env_var(tmp_path, monkeypatch):
  first = write_mnist_family(tmp_path / 'first', 2, 1, seed=1)
  write_mnist_family(tmp_path / 'second', 3, 1, seed=2)
  monkeypatch.setenv(datasets.DATA_DIR_ENV_VAR, str(tmp_path / 'second'))
  images = datasets.load_numpy('mnist', data_dir=tmp_path / 'first',
                               source='local')
  np.testing.assert_array_equal(images, first['train'][0][..., None])


def test_system_directory_is_searched_last(tmp_path, empty_dir, monkeypatch):
  written = write_mnist_family(tmp_path, 2, 1)
  monkeypatch.setattr(loading, 'SYSTEM_DIRECTORIES',
                      {'fashion_mnist': (str(tmp_path),)})
  assert datasets.search_directories('fashion_mnist', data_dir=empty_dir)[
      -1] == str(tmp_path)
  images = datasets.load_numpy('fashion_mnist', data_dir=empty_dir,
                               source='local')
  np.testing.assert_array_equal(images, written['train'][0][..., None])


def test_local_cifar10_batches_load_in_order(tmp_path):
  written = write_cifar10(tmp_path / 'cifar-10-batches-py', per_batch=2)
  train_images, train_labels = datasets.load_numpy(
      'cifar10', data_dir=tmp_path, source='local', with_labels=True)
  assert train_images.shape == (10, 32, 32, 3)
  np.testing.assert_array_equal(train_images, written['train'][0])
  np.testing.assert_array_equal(train_labels, written['train'][1])
  test = datasets.load('cifar10', split='test', data_dir=tmp_path,
                       source='local')
  assert int(test.cardinality()) == 2


def test_idx_labels_must_match_images(tmp_path):
  write_mnist_family(tmp_path, 3, 1)
  write_idx(tmp_path / 'train-labels-idx1-ubyte', np.zeros([2], np.uint8))
  with pytest.raises(ValueError, match='3 images'):
    datasets.load_numpy('mnist', data_dir=tmp_path, source='local')


def test_auto_falls_back_to_local_files_when_tfds_has_nothing(
    tmp_path, empty_dir, monkeypatch):
  written = write_mnist_family(tmp_path / 'files', 2, 1)
  monkeypatch.setenv(datasets.DATA_DIR_ENV_VAR, str(tmp_path / 'files'))
  images = datasets.load_numpy('mnist', data_dir=empty_dir, source='auto')
  np.testing.assert_array_equal(images, written['train'][0][..., None])
  assert not os.listdir(empty_dir)  # nothing downloaded or prepared


def test_without_tensorflow_datasets_auto_uses_local_files(tmp_path,
                                                           monkeypatch):
  written = write_mnist_family(tmp_path, 2, 1)
  monkeypatch.setitem(sys.modules, 'tensorflow_datasets', None)  # unimportable
  images = datasets.load_numpy('mnist', data_dir=tmp_path)
  np.testing.assert_array_equal(images, written['train'][0][..., None])
  with pytest.raises(ImportError, match='pip install tensorflow-datasets'):
    datasets.load('mnist', data_dir=tmp_path, source='tfds')


def test_tfds_source_without_prepared_data_says_how_to_prepare(empty_dir):
  with pytest.raises(FileNotFoundError, match='download_and_prepare'):
    datasets.load('mnist', data_dir=empty_dir, source='tfds')
  assert not os.listdir(empty_dir)


def test_download_when_tfds_is_unreachable_falls_back_to_local_files(tmp_path, monkeypatch):
  tfds = pytest.importorskip('tensorflow_datasets')
  write_mnist_family(tmp_path, 3, 2)

  def unreachable(builder, *args, **kwargs):
    raise ConnectionError('no route to host')

  monkeypatch.setattr(tfds.core.DatasetBuilder, 'download_and_prepare', unreachable)
  images = datasets.load_numpy('mnist', 'test', data_dir=tmp_path, download=True)
  assert images.shape == (2, 28, 28, 1)
  with pytest.raises(FileNotFoundError, match='could not download .*no route to host'):
    datasets.load('mnist', data_dir=tmp_path, source='tfds', download=True)


def test_download_prepares_a_tfds_copy_and_reads_it(tmp_path, monkeypatch):
  tfds = pytest.importorskip('tensorflow_datasets')
  downloaded = []
  with tfds.testing.mock_data(num_examples=4, data_dir=str(tmp_path)):
    # Inside mock_data, which replaces the builders' preparation with its own.
    monkeypatch.setattr(tfds.core.DatasetBuilder, 'is_prepared', lambda _: False)
    monkeypatch.setattr(tfds.core.DatasetBuilder, 'download_and_prepare',
                        lambda builder, *args, **kwargs: downloaded.append(builder.name))
    images = datasets.load_numpy('fashion_mnist', data_dir=tmp_path, download=True)
  assert downloaded == ['fashion_mnist']
  assert images.shape == (4, 28, 28, 1) and images.dtype == np.uint8


def test_auto_prefers_prepared_tfds_over_local_files(tmp_path, monkeypatch):
  tfds = pytest.importorskip('tensorflow_datasets')
  write_mnist_family(tmp_path, 2, 1)
  # mock_data replaces TFDS's reading with random examples, offline, but
  # leaves `is_prepared` false: report the mocked copy as prepared.
  monkeypatch.setattr(tfds.core.DatasetBuilder, 'is_prepared', lambda _: True)
  with tfds.testing.mock_data(num_examples=5, data_dir=str(tmp_path)):
    pairs = datasets.load('mnist', data_dir=tmp_path, with_labels=True)
    images = datasets.load_numpy('mnist', data_dir=tmp_path)
  assert pairs.element_spec == (tf.TensorSpec([28, 28, 1], tf.uint8),
                                tf.TensorSpec([], tf.int64))
  assert len(list(pairs)) == 5
  assert images.shape == (5, 28, 28, 1) and images.dtype == np.uint8


def test_missing_files_message_says_where_to_put_them(tmp_path):
  with pytest.raises(FileNotFoundError) as error:
    datasets.load('mnist', split='test', data_dir=tmp_path, source='local')
  message = str(error.value)
  for expected in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte.gz',
                   'data_dir', datasets.DATA_DIR_ENV_VAR, str(tmp_path),
                   str(tmp_path / 'mnist')):
    assert expected in message


def test_unknown_dataset_name_lists_known_names():
  with pytest.raises(ValueError, match="Unknown dataset name 'svhn'") as error:
    datasets.load('svhn')
  for name in datasets.NAMES:
    assert repr(name) in str(error.value)


@pytest.mark.parametrize('kwargs, match', [
    (dict(name='digits', split='validation'), "Unknown split 'validation'"),
    (dict(name='digits', source='web'), "Unknown source 'web'"),
    (dict(name='digits', source='tfds'), 'shipped with tfp_rbm'),
    (dict(name='cifar10', source='shipped'), "only available for digits"),
])
def test_bad_split_or_source_is_named(kwargs, match):
  with pytest.raises(ValueError, match=match):
    datasets.load(**kwargs)


def test_first_available_falls_back_to_the_shipped_digits(tmp_path):
  assert datasets.first_available(['fashion_mnist', 'digits'], data_dir=str(tmp_path)) == 'digits'
  with pytest.raises(FileNotFoundError, match='fashion'):
    datasets.first_available(['fashion_mnist'], data_dir=str(tmp_path))


@pytest.mark.parametrize('source', ['local', 'auto', 'tfds'])
def test_a_data_dir_that_is_not_a_directory_is_refused_not_replaced(tmp_path, monkeypatch,
                                                                    source):
  write_mnist_family(tmp_path / 'elsewhere', 2, 1)
  monkeypatch.setenv(datasets.DATA_DIR_ENV_VAR, str(tmp_path / 'elsewhere'))
  missing = tmp_path / 'typo'
  with pytest.raises(ValueError, match=r"`data_dir` is not a directory: '.*typo' "
                                       r'\(it does not exist\)'):
    datasets.load_numpy('mnist', data_dir=missing, source=source)
  a_file = tmp_path / 'elsewhere' / 't10k-labels-idx1-ubyte'
  with pytest.raises(ValueError, match=r'`data_dir` is not a directory: .*\(a file\)'):
    datasets.load('mnist', data_dir=a_file)
  with pytest.raises(ValueError, match='`data_dir` is not a directory'):
    datasets.first_available(['mnist', 'digits'], data_dir=missing)
  assert not missing.exists()


def test_a_truncated_gzip_idx_file_is_named(tmp_path):
  write_mnist_family(tmp_path, 3, 2, compress=True)
  path = tmp_path / 't10k-images-idx3-ubyte.gz'
  path.write_bytes(path.read_bytes()[:-20])
  with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz' is a truncated or corrupt "
                                       'gzip file'):
    datasets.load_numpy('mnist', split='test', data_dir=tmp_path, source='local')
