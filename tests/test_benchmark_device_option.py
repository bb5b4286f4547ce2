"""Every benchmark takes `--device`, and the option refuses what it cannot place."""

import argparse
import ast

import pytest
import tensorflow as tf

import benchmark_scripts

device_option = benchmark_scripts.load('device_option')
SCRIPTS = sorted(p for p in benchmark_scripts.BENCHMARKS.glob('*.py')
                 if p.name != 'device_option.py')


def _called(path):
  """The `device_option.<function>` names a script calls."""
  tree = ast.parse(path.read_text())
  return {node.func.attr for node in ast.walk(tree)
          if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and isinstance(node.func.value, ast.Name) and node.func.value.id == 'device_option'}


@pytest.mark.parametrize('script', SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_takes_and_uses_the_device_option(script):
  called = _called(script)
  assert {'add_device_argument', 'placed', 'describe'} <= called, (
      f'{script.name} must add --device, run under device_option.placed and print '
      f'device_option.describe; it calls {sorted(called)}')


def _parser():
  parser = argparse.ArgumentParser()
  device_option.add_device_argument(parser)
  return parser


@pytest.mark.parametrize('given, parsed', [([], 'cpu'), (['--device', 'GPU'], 'gpu'),
                                           (['--device', 'gpu:1'], 'gpu:1'),
                                           (['--device', 'cpu'], 'cpu')])
def test_device_option_parses(given, parsed):
  assert _parser().parse_args(given).device == parsed


def test_device_option_refuses_an_unknown_device(capsys):
  with pytest.raises(SystemExit):
    _parser().parse_args(['--device', 'tpu'])
  assert "argument --device: must be 'cpu', 'gpu' or 'gpu:N'; got 'tpu'" in capsys.readouterr().err


def test_device_option_refuses_a_gpu_tensorflow_does_not_see():
  missing = len(tf.config.list_physical_devices('GPU'))
  with pytest.raises(SystemExit, match=f'--device gpu:{missing}: TensorFlow sees {missing} GPU'):
    device_option.tensorflow_device(f'gpu:{missing}')


def test_device_option_places_ops_on_the_cpu():
  with device_option.placed('cpu'):
    assert tf.constant(1.).device.endswith('CPU:0')
  assert device_option.describe('cpu').startswith('device: CPU')
