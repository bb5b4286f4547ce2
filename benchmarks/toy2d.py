"""Benchmark: a ring of 8 Gaussians in 2-D, NICE with an RBM base vs Gaussian bases.

Data: 8 equally weighted Gaussians of standard deviation 0.15 on a circle of
radius 2 (the classic radius-4, std-0.3 ring scaled by 1/2), drawn with
fixed NumPy seeds: a training set and a held-out set. Its true entropy is
about 1.12 nats (the floor for the held-out NLL).

Models (`tfp_rbm.keras.FlowModel`, `num_bins=None`), all trained the same
way (Adam, same learning rate, batch size, epochs and seeds), each with
several seeds (`--seeds`), since one seed can mislead: PCD training of the
RBM base occasionally goes astray (fewer Gibbs sweeps per update make that
more likely: with 25 sweeps the RBM base won by 0.09-0.24 nats over three
seeds, with 50 by 0.16-0.39):

  * nice + rbm       -- NICE (4 additive couplings, 1 hidden layer of 32)
                        on a Gaussian-Bernoulli RBM (12 hidden units, so
                        log Z is exact by enumeration of 2^12 states),
                        trained with persistent chains (PCD, 50 sweeps);
  * nice + normal    -- the same NICE on a standard normal;
  * nice + mvn       -- the same NICE on a learned full-covariance Gaussian;
  * rbm (no flow)    -- the RBM alone (identity flow).

Printed: the held-out NLL in nats (exact log Z) of each model and seed, side
by side, their mean, and the training wall time. Written to --output:
`densities.png`, the data histogram next to exp(log p) of each model (first
seed) on a grid.

Usage:
  python benchmarks/toy2d.py                    # full run, a few minutes on 2 cores
  python benchmarks/toy2d.py --quick            # fewer epochs, under a minute
  python benchmarks/toy2d.py --output results/toy2d
"""

import argparse
import os
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

from tfp_rbm.keras import FlowModel

import device_option  # benchmarks/device_option.py: the --device option

NUM_MODES = 8
RADIUS = 2.0
STDDEV = 0.15


def ring_of_gaussians(num_samples, seed, num_modes=NUM_MODES, radius=RADIUS, stddev=STDDEV):
  """`num_samples` points from an equal mixture of Gaussians on a circle."""
  rng = np.random.default_rng(seed)
  angle = 2. * np.pi * rng.integers(num_modes, size=num_samples) / num_modes
  centers = radius * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
  return (centers + stddev * rng.normal(size=(num_samples, 2))).astype('float32')


def ring_entropy_nats(stddev=STDDEV, num_modes=NUM_MODES):
  """Entropy of the ring when its modes barely overlap (a lower bound on the NLL)."""
  return float(np.log(num_modes) + np.log(2. * np.pi * np.e * stddev ** 2))


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--quick', action='store_true',
                      help='30 epochs instead of 100, RBM and normal rows only')
  parser.add_argument('--output', default='results/toy2d',
                      help='folder for the PNG (default %(default)s)')
  parser.add_argument('--epochs', type=int, default=None,
                      help='epochs over the training set (default 100; 30 with --quick)')
  parser.add_argument('--num-train', type=int, default=2000)
  parser.add_argument('--num-test', type=int, default=5000)
  parser.add_argument('--batch-size', type=int, default=100)
  parser.add_argument('--learning-rate', type=float, default=3e-2)
  parser.add_argument('--num-hidden', type=int, default=12, help='RBM hidden units')
  parser.add_argument('--gibbs-steps', type=int, default=50)
  parser.add_argument('--seeds', type=int, nargs='+', default=None,
                      help='training seeds (default 0 1 2; 0 with --quick)')
  device_option.add_device_argument(parser)
  args = parser.parse_args(argv)
  if args.epochs is None:
    args.epochs = 30 if args.quick else 100
  if args.seeds is None:
    args.seeds = [0] if args.quick else [0, 1, 2]
  return args


def _configs(args, seed):
  nice = {'builder': 'nice', 'event_size': 2, 'num_coupling_layers': 4, 'hidden_units': 32,
          'num_hidden_layers': 1, 'seed': seed}
  rbm = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': args.num_hidden,
         'weight_scale': 0.3}
  rows = [('nice + rbm', rbm, nice), ('nice + normal', {'kind': 'normal'}, nice)]
  if not args.quick:
    rows += [('nice + mvn', {'kind': 'multivariate_normal'}, nice),
             ('rbm (no flow)', rbm, None)]
  return rows


def train(base, flow, x_train, args, seed):
  keras.utils.set_random_seed(seed)
  model = FlowModel(2, base=base, flow=flow, num_bins=None, buffer_size=1000,
                    num_gibbs_steps=args.gibbs_steps, seed=seed)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), jit_compile=False,
                steps_per_execution=10)
  start = time.perf_counter()
  model.fit(x_train, epochs=args.epochs, batch_size=args.batch_size, shuffle=True, verbose=0)
  return model, time.perf_counter() - start


def held_out_nll(model, x):
  return -float(tf.reduce_mean(model.log_prob(x)))


def plot(results, x_train, path, extent=3.2, grid_size=200):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  axis = np.linspace(-extent, extent, grid_size, dtype='float32')
  xx, yy = np.meshgrid(axis, axis)
  grid = np.stack([xx.ravel(), yy.ravel()], axis=-1)
  fig, axes = plt.subplots(1, len(results) + 1, figsize=(3.2 * (len(results) + 1), 3.4))
  axes[0].hist2d(x_train[:, 0], x_train[:, 1], bins=grid_size // 2,
                 range=[[-extent, extent], [-extent, extent]], cmap='viridis')
  axes[0].set_title('data (train)')
  for ax, (name, model, nll) in zip(axes[1:], results):
    density = np.exp(model.log_prob(grid).numpy()).reshape(grid_size, grid_size)
    ax.imshow(density, origin='lower', extent=[-extent, extent, -extent, extent],
              cmap='viridis')
    ax.set_title(f'{name}\nNLL {nll:.3f} nats')
  for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect('equal')
  fig.tight_layout()
  fig.savefig(path, dpi=80, bbox_inches='tight')
  plt.close(fig)


def main(argv=None):
  args = _parse_args(argv)
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    x_train = ring_of_gaussians(args.num_train, seed=1)
    x_test = ring_of_gaussians(args.num_test, seed=2)
    steps = args.epochs * -(-args.num_train // args.batch_size)
    print(f'ring of {NUM_MODES} Gaussians (radius {RADIUS}, std {STDDEV}), '
          f'{args.num_train} train / {args.num_test} held out; {args.epochs} epochs = '
          f'{steps} steps of batch {args.batch_size}, Adam({args.learning_rate}), '
          f'seeds {args.seeds}; RBM {args.num_hidden} hidden, {args.gibbs_steps} Gibbs steps')
    rows, first_models = {}, []
    for seed in args.seeds:
      for name, base, flow in _configs(args, seed):
        model, seconds = train(base, flow, x_train, args, seed)
        nll = held_out_nll(model, x_test)
        rows.setdefault(name, []).append((nll, held_out_nll(model, x_train), seconds))
        if seed == args.seeds[0]:
          first_models.append((name, model, nll))
        print(f'  seed {seed}: trained {name}: {nll:.3f} nats in {seconds:.1f} s', flush=True)

    print()
    seed_columns = ''.join(f'{"seed " + str(seed):>9s}' for seed in args.seeds)
    print(f'held-out NLL in nats (exact log Z); train NLL and wall time are means over seeds')
    print(f'{"model":16s}{seed_columns}{"mean":>9s}{"train":>9s}{"wall (s)":>10s}')
    for name, runs in rows.items():
      held_out, train_nll, seconds = (np.array(column) for column in zip(*runs))
      print(f'{name:16s}' + ''.join(f'{v:9.3f}' for v in held_out)
            + f'{held_out.mean():9.3f}{train_nll.mean():9.3f}{seconds.mean():10.1f}')
    print(f'{"(true entropy)":16s}{ring_entropy_nats():{9 * (len(args.seeds) + 1)}.3f}')
    if 'nice + rbm' in rows and 'nice + normal' in rows:
      gains = [n[0] - r[0] for r, n in zip(rows['nice + rbm'], rows['nice + normal'])]
      print(f'RBM base vs standard normal base, held-out NLL gain per seed: '
            + ', '.join(f'{g:+.3f}' for g in gains) + ' nats')

    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, 'densities.png')
    plot(first_models, x_train, path)
    print(f'\nwrote {path}')


if __name__ == '__main__':
  main()
