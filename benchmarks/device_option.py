"""The `--device` option every benchmark takes: where its TensorFlow ops run.

`--device cpu` (the default, what benchmarks/README.md records) hides any GPU
from TensorFlow before the first op, so the figures are the CPU's even on a
machine with an accelerator; `--device gpu` (or `gpu:1`) places every op on
that GPU and fails at once, naming the option, when TensorFlow sees none.
Each benchmark prints `describe(device)` with its figures. TensorFlow is
imported only when a device is placed, after the benchmark set its logging.

    parser = argparse.ArgumentParser()
    device_option.add_device_argument(parser)
    args = parser.parse_args()
    with device_option.placed(args.device):
      ...  # build, train, time
"""

import argparse
import contextlib
import os
import platform
import re

_DEVICE = re.compile(r'^(cpu|gpu)(?::(\d+))?$')


def add_device_argument(parser):
  """Adds `--device {cpu,gpu,gpu:N}` to an `argparse` parser."""
  parser.add_argument(
      '--device', default='cpu', type=_parse_device,
      help="where TensorFlow runs: 'cpu' (default; GPUs hidden), 'gpu' or 'gpu:N'")


def _parse_device(text):
  match = _DEVICE.match(text.strip().lower())
  if match is None:
    raise argparse.ArgumentTypeError(f"must be 'cpu', 'gpu' or 'gpu:N'; got {text!r}")
  return text.strip().lower() if match.group(2) else match.group(1)


def tensorflow_device(device):
  """The TensorFlow device name for a parsed `--device`, hiding GPUs for 'cpu'.

  Call it before TensorFlow runs any op (visibility is fixed after that).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  match = _DEVICE.match(device)
  if match is None:
    raise ValueError(f"--device must be 'cpu', 'gpu' or 'gpu:N'; got {device!r}.")
  gpus = tf.config.list_physical_devices('GPU')
  if match.group(1) == 'cpu':
    if gpus:
      try:
        tf.config.set_visible_devices([], 'GPU')
      except RuntimeError:  # TensorFlow already started: `tf.device` still places on the CPU.
        pass
    return '/CPU:0'
  index = int(match.group(2) or 0)
  if index >= len(gpus):
    raise SystemExit(
        f'--device {device}: TensorFlow sees {len(gpus)} GPU(s) '
        f'(tf.config.list_physical_devices("GPU")); run with --device cpu.')
  return f'/GPU:{index}'


@contextlib.contextmanager
def placed(device):
  """A context that runs every op of the benchmark on `device`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.device(tensorflow_device(device)):
    yield


def describe(device):
  """One line naming the hardware the figures come from."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if device.startswith('gpu'):
    index = int(device.partition(':')[2] or 0)
    gpu = tf.config.list_physical_devices('GPU')[index]
    name = tf.config.experimental.get_device_details(gpu).get('device_name', gpu.name)
    return f'device: {name} (--device {device})'
  return (f'device: CPU, {platform.processor() or platform.machine()}, '
          f'{os.cpu_count()} cores (--device cpu)')
