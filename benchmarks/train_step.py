"""Benchmark: one training step, Gaussian vs RBM base, serial vs overlapped chains.

For each flow (`--flow`: NICE, Glow or both) builds `tfp_rbm.keras.FlowModel`s
that differ only in the base and in how the chains are scheduled:

  * normal       -- `{'kind': 'normal'}`, trained on the exact NLL;
  * rbm          -- `{'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 512}`
                    with a 10,000-chain persistent buffer and 25 block-Gibbs
                    sweeps per update (the surrogate PCD loss, docs/math.md
                    section 5), the draw part of the step's graph;
  * rbm overlap  -- the same with `overlap_chains=True`: the draw is its own
                    XLA cluster, which TF's executor runs alongside the flow's
                    forward and backward pass (they do not depend on it).

NICE: `tfp_rbm.flows.nice`, the paper's 4 additive couplings of 5 hidden
layers of 1000 units on 784 dims. Glow: `tfp_rbm.flows.glow`, 2 levels of 4
steps with 64 hidden channels on 28x28x1 (Fashion-MNIST's shapes). Both with
`preprocessing={'alpha': 0.05}`, Adam(1e-3), batch 128, data uniform in
[0, 1]. A step is timed the way `fit` runs it: `model.make_train_function()`
and repeated calls of `model.train_function` on the same batch after warm-up
calls (which trace and compile), each synchronised by reading the loss; all
calls of one flow are timed in interleaved rounds so that load from other
processes hits them alike. Steps run as graphs (Keras' default on CPU);
`--jit-compile` adds the normal and RBM steps compiled as one XLA cluster,
where the draw runs before the flow (serial).

Printed per flow: the median wall time and the CPU time (all threads) of
each step, of the draw alone (`chains.advance` compiled, as the overlapped
step runs it) and of the draw's floor (its 2 x 25 bare matmuls of 128 chains
by the 784x512 weights, no sampling); the ratios rbm / normal (target <=
1.05); the serial sum normal + draw, the serial floor normal + matmul floor,
the overlapped step; and, from CPU times, (normal + draw) / normal: the least
ratio any schedule can reach when the normal step alone keeps every core busy
(its "cores" column, CPU time / wall time, at the core count).

Usage:
  python benchmarks/train_step.py                 # NICE and Glow at the sizes above
  python benchmarks/train_step.py --flow nice --jit-compile
  python benchmarks/train_step.py --quick         # small sizes, a smoke test
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import device_option  # benchmarks/device_option.py: the --device option
import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 784
IMAGE_SHAPE = [28, 28, 1]
TARGET = 1.05


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--flow', choices=['nice', 'glow', 'both'], default='both')
  parser.add_argument('--quick', action='store_true',
                      help='small sizes for a smoke test (NICE 2 couplings of 2x256 units, '
                           'Glow 2 levels of 1 step with 16 channels, 1000 chains, 3 repeats)')
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--num-coupling-layers', type=int, default=None,
                      help='NICE couplings (default 4; 2 with --quick)')
  parser.add_argument('--hidden-units', type=int, default=None,
                      help='NICE hidden width (default 1000; 256 with --quick)')
  parser.add_argument('--num-hidden-layers', type=int, default=None,
                      help='NICE hidden layers per coupling (default 5; 2 with --quick)')
  parser.add_argument('--glow-steps', type=int, default=None,
                      help='Glow steps per level (default 4; 1 with --quick)')
  parser.add_argument('--glow-channels', type=int, default=None,
                      help='Glow hidden channels (default 64; 16 with --quick)')
  parser.add_argument('--num-hidden', type=int, default=512, help='RBM hidden units')
  parser.add_argument('--buffer-size', type=int, default=None,
                      help='persistent chains (default 10000; 1000 with --quick)')
  parser.add_argument('--gibbs-steps', type=int, default=25)
  parser.add_argument('--repeats', type=int, default=None,
                      help='timed steps per model, median reported (default 10; 3 with --quick)')
  parser.add_argument('--warmup', type=int, default=2, help='untimed steps per model')
  device_option.add_device_argument(parser)
  parser.add_argument('--jit-compile', action='store_true',
                      help='also time the normal and RBM steps compiled as one XLA cluster')
  args = parser.parse_args(argv)
  quick = args.quick
  for name, full, small in [('num_coupling_layers', 4, 2), ('hidden_units', 1000, 256),
                            ('num_hidden_layers', 5, 2), ('glow_steps', 4, 1),
                            ('glow_channels', 64, 16), ('buffer_size', 10000, 1000),
                            ('repeats', 10, 3)]:
    if getattr(args, name) is None:
      setattr(args, name, small if quick else full)
  return args


def _flow_spec(flow, args):
  if flow == 'nice':
    return {'builder': 'nice', 'event_size': EVENT_SIZE,
            'num_coupling_layers': args.num_coupling_layers,
            'hidden_units': args.hidden_units,
            'num_hidden_layers': args.num_hidden_layers, 'seed': 0}
  return {'builder': 'glow', 'image_shape': IMAGE_SHAPE, 'num_levels': 2,
          'num_steps': args.glow_steps, 'hidden_channels': args.glow_channels, 'seed': 0}


def _describe(flow, args):
  if flow == 'nice':
    return (f'NICE {args.num_coupling_layers} couplings x {args.num_hidden_layers} hidden '
            f'layers x {args.hidden_units} units on {EVENT_SIZE} dims')
  return (f'Glow 2 levels x {args.glow_steps} steps, {args.glow_channels} hidden channels '
          f'on {"x".join(map(str, IMAGE_SHAPE))}')


def _model(flow, base, args, jit_compile=False, overlap_chains=False):
  model = FlowModel(EVENT_SIZE, base=base, flow=_flow_spec(flow, args),
                    preprocessing={'alpha': 0.05}, buffer_size=args.buffer_size,
                    num_gibbs_steps=args.gibbs_steps, seed=0, overlap_chains=overlap_chains)
  model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit_compile)
  model.make_train_function()
  return model


def _timed(fn):
  """(wall seconds, CPU seconds of every thread of this process) of `fn()`."""
  start, start_cpu = time.perf_counter(), time.process_time()
  fn()
  return time.perf_counter() - start, time.process_time() - start_cpu


def _run_flow(flow, args, batch, matmul_floor):
  print()
  print(f'== {_describe(flow, args)}, batch {args.batch_size}; RBM {args.num_hidden} hidden, '
        f'{args.buffer_size} chains, {args.gibbs_steps} Gibbs sweeps')
  rbm = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': args.num_hidden}
  models = {'normal': _model(flow, {'kind': 'normal'}, args),
            'rbm': _model(flow, rbm, args),
            'rbm overlap': _model(flow, rbm, args, overlap_chains=True)}
  if args.jit_compile:
    models['normal XLA'] = _model(flow, {'kind': 'normal'}, args, jit_compile=True)
    models['rbm XLA'] = _model(flow, rbm, args, jit_compile=True)
  overlapped = models['rbm overlap']
  calls = {name: (lambda m: lambda: float(m.train_function([batch])['loss']))(model)
           for name, model in models.items()}
  # The draw alone, as the overlapped step runs it: one compiled cluster.
  calls['draw'] = lambda: overlapped.chains.advance(overlapped.base, args.batch_size,
                                                    jit_compile=True).numpy()
  calls['floor'] = lambda: matmul_floor().numpy()
  compile_s = {}
  for name, call in calls.items():
    compile_s[name] = _timed(call)[0]  # traces (and compiles) the graph
    for _ in range(args.warmup - 1):
      call()
  wall = {name: [] for name in calls}
  cpu = {name: [] for name in calls}
  for _ in range(args.repeats):  # interleaved rounds
    for name, call in calls.items():
      seconds, cpu_seconds = _timed(call)
      wall[name].append(seconds)
      cpu[name].append(cpu_seconds)
  med = {name: statistics.median(t) for name, t in wall.items()}
  med_cpu = {name: statistics.median(t) for name, t in cpu.items()}

  print(f'{"":22s}{"median ms":>11s}{"min ms":>9s}{"CPU ms":>9s}{"cores":>7s}{"trace s":>9s}')
  for name in calls:
    print(f'{name:22s}{1e3 * med[name]:11.1f}{1e3 * min(wall[name]):9.1f}'
          f'{1e3 * med_cpu[name]:9.1f}{med_cpu[name] / med[name]:7.2f}{compile_s[name]:9.1f}')
  normal, draw, floor = med['normal'], med['draw'], med['floor']
  ratio = lambda name, base='normal': med[name] / med[base]
  met = lambda r: 'met' if r <= TARGET else 'NOT met'
  print(f'ratio rbm / normal, graph step, draw in the step:  {ratio("rbm"):.3f}')
  print(f'ratio rbm / normal, overlapped (overlap_chains):   {ratio("rbm overlap"):.3f}  '
        f'(target <= {TARGET}: {met(ratio("rbm overlap"))})')
  if args.jit_compile:
    print(f'ratio rbm / normal, one XLA cluster (serial):      '
          f'{ratio("rbm XLA", "normal XLA"):.3f}')
  print(f'serial sum normal + draw: {1e3 * (normal + draw):.1f} ms '
        f'({(normal + draw) / normal:.3f} x normal); serial floor normal + matmul floor '
        f'{1e3 * (normal + floor):.1f} ms ({(normal + floor) / normal:.3f}); '
        f'overlapped step {1e3 * med["rbm overlap"]:.1f} ms')
  cores = os.cpu_count()
  cpu_bound = (med_cpu['normal'] + med_cpu['draw']) / med_cpu['normal']
  print(f'overlap saves {1e3 * (normal + draw - med["rbm overlap"]):.1f} ms of the '
        f'{1e3 * draw:.1f} ms draw. CPU time (all threads): rbm overlap / normal '
        f'{med_cpu["rbm overlap"] / med_cpu["normal"]:.3f}; (normal + draw) / normal '
        f'{cpu_bound:.3f}, the least ratio any schedule reaches when the normal step keeps '
        f'all {cores} cores busy ("cores" column at {cores:.2f})')
  print(f'draw / matmul floor = {draw / floor:.2f}')


def main(argv=None):
  args = _parse_args(argv)
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    _main(args)


def _main(args):
  print(f'TF {tf.__version__}, Keras {keras.__version__}, {platform.processor() or "cpu"}, '
        f'{os.cpu_count()} visible cores; inter-op threads '
        f'{tf.config.threading.get_inter_op_parallelism_threads() or "default"}, intra-op '
        f'{tf.config.threading.get_intra_op_parallelism_threads() or "default"}')
  load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
  print(f'load average at start {load:.2f}')
  rng = np.random.default_rng(0)
  batch = tf.constant(rng.uniform(0.01, 0.99, size=(args.batch_size, EVENT_SIZE))
                      .astype('float32'))
  weights = tf.constant(rng.normal(scale=0.01, size=(EVENT_SIZE, args.num_hidden)),
                        tf.float32)
  chains0 = tf.constant(rng.normal(size=(args.batch_size, EVENT_SIZE)), tf.float32)

  @tf.function(jit_compile=True)
  def matmul_floor():
    # The two products of a block-Gibbs sweep, chained so nothing is elided.
    v = chains0
    for _ in range(args.gibbs_steps):
      v = tf.matmul(tf.matmul(v, weights), weights, transpose_b=True)
    return v

  for flow in (['nice', 'glow'] if args.flow == 'both' else [args.flow]):
    _run_flow(flow, args, batch, matmul_floor)
  print()
  print(f'({args.repeats} timed steps per model after {args.warmup} warm-up, interleaved; '
        f'load average at the end {os.getloadavg()[0]:.2f}; "cores" = CPU time / wall time)')


if __name__ == '__main__':
  main()
