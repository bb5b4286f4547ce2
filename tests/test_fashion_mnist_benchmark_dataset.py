"""benchmarks/fashion_mnist.py --dataset: CIFAR-10 rows from its files, a clear stop without."""

import pathlib
import sys

import numpy as np
import pytest
import tensorflow as tf

import benchmark_scripts
import tfp_rbm
from tfp_rbm.datasets import loading

TESTS = pathlib.Path(__file__).resolve().parent
CIFAR10_LEVELS = [[16, 16, 6], [8, 8, 12], [4, 4, 48]]


@pytest.fixture(autouse=True)
def no_data_outside_tmp(monkeypatch):
  """Keeps a developer's own data sets out of the search."""
  monkeypatch.delenv(tfp_rbm.datasets.DATA_DIR_ENV_VAR, raising=False)
  monkeypatch.setattr(loading, 'SYSTEM_DIRECTORIES', {})


def _benchmark():
  return benchmark_scripts.load('fashion_mnist')


def _write_cifar10(directory, per_batch):
  if str(TESTS / 'datasets') not in sys.path:
    sys.path.insert(0, str(TESTS / 'datasets'))
  from fake_dataset_files import write_cifar10  # pylint: disable=g-import-not-at-top
  return write_cifar10(str(directory), per_batch=per_batch)


def test_cifar10_without_its_files_stops_at_once_saying_where_it_looked(tmp_path, monkeypatch):
  benchmark = _benchmark()
  monkeypatch.setattr(benchmark, '_run', lambda *args, **kwargs: pytest.fail('a row ran'))
  with pytest.raises(SystemExit) as stopped:
    benchmark.main(['--dataset', 'cifar10', '--convolutional', '--quick',
                    '--data-dir', str(tmp_path)])
  message = str(stopped.value)
  assert message.startswith('--dataset cifar10: cannot load the CIFAR-10 images')
  assert '--data-dir' in message and 'data_batch_1' in message
  # Where it looked: the directory and its subdirectories named for CIFAR-10.
  assert str(tmp_path) in message and str(tmp_path / 'cifar-10-batches-py') in message


def test_cifar10_convolutional_rows_are_built_for_32x32x3(tmp_path):
  written = _write_cifar10(tmp_path / 'cifar-10-batches-py', per_batch=2)
  benchmark = _benchmark()
  args = benchmark._parse_args(['--dataset', 'cifar10', '--convolutional', '--quick',
                                '--data-dir', str(tmp_path), '--buffer-size', '8'])
  assert args.configs == ['glow-gaussian', 'glow-rbm', 'glow-convrbm']
  train_images, test_images = benchmark._load_images(args)
  np.testing.assert_array_equal(train_images, written['train'][0])
  assert test_images.shape == (2, 32, 32, 3)
  x = next(iter(tfp_rbm.datasets.dequantized_batches(test_images, 2, seed=0)))
  assert x.shape == [2, 3072]
  models = {name: benchmark._model(name, args) for name in args.configs}
  for name, model in models.items():
    assert model.event_size == 3072 and model.base.event_shape == [3072], name
  assert models['glow-rbm'].base.num_hidden == 16  # --quick's --num-hidden.
  latents = {name: models[name].flow.inverse(x) for name in ('glow-gaussian', 'glow-convrbm')}
  # The smoke size of EB-and-Flow's CIFAR-10 model: its three levels, one filter, 4x4 map.
  conv = models['glow-convrbm'].distribution.distribution
  assert conv.level_shapes == CIFAR10_LEVELS and conv.hidden_map_shape == [4, 4, 1]
  assert [z.shape.as_list() for z in latents['glow-convrbm']] == [
      [2] + shape for shape in CIFAR10_LEVELS]
  # The rows share one flow (one spec): the Gaussian row's flat latent is the levels, flattened.
  assert benchmark._flow('glow', args)['num_levels'] == 3
  flat = tf.concat([tf.reshape(z, [2, -1]) for z in latents['glow-convrbm']], axis=-1)
  np.testing.assert_allclose(latents['glow-gaussian'], flat, rtol=1e-5, atol=1e-5)


def test_the_default_data_set_keeps_the_fashion_mnist_rows_and_stored_settings():
  benchmark = _benchmark()
  default = benchmark._parse_args([])
  assert default.dataset == 'fashion_mnist' and default.image_shape == (28, 28, 1)
  assert benchmark._flow('glow', default)['image_shape'] == (28, 28, 1)
  assert benchmark._flow('nice', default)['event_size'] == 784
  assert benchmark._base('smoothed_rbm', default)['first_group_size'] == 784 - 512
  # Rows stored before `--dataset` existed are reused; CIFAR-10 rows are kept apart.
  assert 'dataset' not in benchmark._settings(default)
  cifar10 = benchmark._parse_args(['--dataset', 'cifar10'])
  assert benchmark._settings(cifar10)['dataset'] == 'cifar10'
  assert benchmark._base('smoothed_rbm', cifar10)['first_group_size'] == 3072 - 512
  assert benchmark._flow('nice', cifar10)['event_size'] == 3072
