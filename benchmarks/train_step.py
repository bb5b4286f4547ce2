"""Benchmark: one training step of NICE on 784 dims, Gaussian vs RBM base.

Builds two `tfp_rbm.keras.FlowModel`s that differ only in the base:

  * normal  -- `{'kind': 'normal'}`, trained on the exact NLL;
  * rbm     -- `{'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 512}` with a
               10,000-chain persistent buffer and 25 block-Gibbs sweeps per
               update (the surrogate PCD loss, docs/math.md section 5).

Both use NICE (`tfp_rbm.flows.nice`; default: the paper's 4 additive
couplings with 5 hidden layers of 1000 units), `preprocessing={'alpha':
0.05}`, Adam(1e-3), batch 128, data uniform in [0, 1] of shape [N, 784].
A step is timed the way `fit` runs it: `model.make_train_function()` and
repeated calls of `model.train_function` on the same batch after warm-up
calls (which trace and compile), each call synchronised by reading the loss.
The two models are timed in interleaved rounds so that load from other
processes hits both alike. Printed side by side: the median step time of
each, the ratio rbm/normal (target <= 1.15) and the split: the median time
of `chains.advance` alone (the negative phase, same graph mode), the rbm
step minus that, and the floor of `advance`: its 2 x 25 bare matmuls of 128
chains by the 784x512 weights, without sampling or buffer traffic.

Usage:
  python benchmarks/train_step.py            # paper sizes (about a minute on 2 cores)
  python benchmarks/train_step.py --quick    # 2 couplings of 2x256, 1000 chains, seconds
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 784


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--quick', action='store_true',
                      help='small sizes for a smoke test (2 couplings of 2x256 units, '
                           '1000 chains, 3 repeats)')
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--num-coupling-layers', type=int, default=None,
                      help='NICE couplings (default 4; 2 with --quick)')
  parser.add_argument('--hidden-units', type=int, default=None,
                      help='NICE hidden width (default 1000; 256 with --quick)')
  parser.add_argument('--num-hidden-layers', type=int, default=None,
                      help='NICE hidden layers per coupling (default 5; 2 with --quick)')
  parser.add_argument('--num-hidden', type=int, default=512, help='RBM hidden units')
  parser.add_argument('--buffer-size', type=int, default=None,
                      help='persistent chains (default 10000; 1000 with --quick)')
  parser.add_argument('--gibbs-steps', type=int, default=25)
  parser.add_argument('--repeats', type=int, default=None,
                      help='timed steps per model, median reported (default 10; 3 with --quick)')
  parser.add_argument('--warmup', type=int, default=2, help='untimed steps per model')
  parser.add_argument('--jit-compile', action='store_true',
                      help='compile the train step with XLA (both models)')
  args = parser.parse_args(argv)
  quick = args.quick
  for name, full, small in [('num_coupling_layers', 4, 2), ('hidden_units', 1000, 256),
                            ('num_hidden_layers', 5, 2), ('buffer_size', 10000, 1000),
                            ('repeats', 10, 3)]:
    if getattr(args, name) is None:
      setattr(args, name, small if quick else full)
  return args


def _model(base, args):
  flow = {'builder': 'nice', 'event_size': EVENT_SIZE,
          'num_coupling_layers': args.num_coupling_layers,
          'hidden_units': args.hidden_units,
          'num_hidden_layers': args.num_hidden_layers, 'seed': 0}
  model = FlowModel(EVENT_SIZE, base=base, flow=flow, preprocessing={'alpha': 0.05},
                    buffer_size=args.buffer_size, num_gibbs_steps=args.gibbs_steps,
                    seed=0)
  model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=args.jit_compile)
  model.make_train_function()
  return model


def _timed(fn):
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def main(argv=None):
  args = _parse_args(argv)
  print(f'TF {tf.__version__}, Keras {keras.__version__}, {platform.processor() or "cpu"}, '
        f'{os.cpu_count()} visible cores')
  print(f'NICE {args.num_coupling_layers} couplings x {args.num_hidden_layers} hidden '
        f'layers x {args.hidden_units} units on {EVENT_SIZE} dims, batch {args.batch_size}; '
        f'RBM {args.num_hidden} hidden, {args.buffer_size} chains, '
        f'{args.gibbs_steps} Gibbs steps; jit_compile={args.jit_compile}')
  rng = np.random.default_rng(0)
  batch = tf.constant(rng.uniform(size=(args.batch_size, EVENT_SIZE)).astype('float32'))

  models = {
      'normal': _model({'kind': 'normal'}, args),
      'rbm': _model({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': args.num_hidden}, args),
  }
  rbm_model = models['rbm']
  advance = tf.function(lambda: rbm_model.chains.advance(rbm_model.base, args.batch_size),
                        jit_compile=args.jit_compile)

  def step(model):
    return lambda: float(model.train_function([batch])['loss'])

  weights = tf.constant(rng.normal(scale=0.01, size=(EVENT_SIZE, args.num_hidden)),
                        tf.float32)
  chains0 = tf.constant(rng.normal(size=(args.batch_size, EVENT_SIZE)), tf.float32)

  @tf.function(jit_compile=args.jit_compile)
  def matmul_floor():
    # The two products of a block-Gibbs sweep, chained so nothing is elided.
    v = chains0
    for _ in range(args.gibbs_steps):
      v = tf.matmul(tf.matmul(v, weights), weights, transpose_b=True)
    return v

  calls = {name: step(model) for name, model in models.items()}
  calls['advance'] = lambda: advance().numpy()
  calls['floor'] = lambda: matmul_floor().numpy()
  compile_s = {}
  for name, call in calls.items():
    compile_s[name] = _timed(call)  # traces (and compiles) the graph
    for _ in range(args.warmup - 1):
      call()
  times = {name: [] for name in calls}
  for _ in range(args.repeats):  # interleaved rounds
    for name, call in calls.items():
      times[name].append(_timed(call))

  med = {name: statistics.median(t) for name, t in times.items()}
  print()
  print(f'{"":28s}{"normal base":>14s}{"RBM base":>14s}')
  print(f'{"median train step (ms)":28s}{1e3 * med["normal"]:14.1f}{1e3 * med["rbm"]:14.1f}')
  print(f'{"min train step (ms)":28s}{1e3 * min(times["normal"]):14.1f}'
        f'{1e3 * min(times["rbm"]):14.1f}')
  print(f'{"first call, traces (s)":28s}{compile_s["normal"]:14.1f}{compile_s["rbm"]:14.1f}')
  print()
  ratio = med['rbm'] / med['normal']
  print(f'ratio rbm / normal (median):   {ratio:.3f}  (target <= 1.15: '
        f'{"met" if ratio <= 1.15 else "NOT met"})')
  print(f'split of the RBM step: chains.advance alone {1e3 * med["advance"]:.1f} ms '
        f'({100 * med["advance"] / med["rbm"]:.0f}%), the rest '
        f'{1e3 * (med["rbm"] - med["advance"]):.1f} ms; '
        f'rbm - normal = {1e3 * (med["rbm"] - med["normal"]):.1f} ms')
  print(f'floor of chains.advance (the 2 x {args.gibbs_steps} bare matmuls of '
        f'{args.batch_size} chains, no sampling): {1e3 * med["floor"]:.1f} ms; '
        f'advance / floor = {med["advance"] / med["floor"]:.2f}')
  print(f'({args.repeats} timed steps per model after {args.warmup} warm-up, interleaved)')


if __name__ == '__main__':
  main()
