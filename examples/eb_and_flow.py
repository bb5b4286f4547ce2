"""EB-and-Flow (Grathwohl et al., 2020): flows with a Gaussian-Bernoulli RBM base.

Reproduces, at a size chosen on the command line, the paper's Table 1/2
comparison and its Fig. 1:

- NICE and Glow, each with a Gaussian-Bernoulli RBM base (EB-and-Flow) and
  with a standard Normal base (the flow baseline), plus the bare RBM;
- test bits/dim of every RBM model bracketed by AIS (optimistic) and RAISE
  (conservative) with `tfp_rbm.evaluation.evaluate_flow`, and the exact value
  too when the RBM has at most 20 hidden units; exact bits/dim for the
  Normal base;
- Fig. 1: consecutive block-Gibbs samples of a few burned-in chains (one row
  per Gibbs step, one column per chain) of the bare RBM and of each RBM-Flow,
  the latter mapped through the flow.

Defaults follow the paper (Fashion-MNIST when its files are present, else the
shipped 8x8 digits; 512 hidden units; NICE 4x5x1000; Glow 2 levels x 8 steps
x 512 channels; 250 epochs, batch 128, Adam 1e-3; 10000 persistent chains,
25 Gibbs steps; 1000 annealing temperatures), which needs a GPU and hours.
A few minutes on a CPU:

    python examples/eb_and_flow.py --dataset digits --num-hidden 16 \\
        --nice-hidden-units 128 --nice-hidden-layers 2 --glow-steps 2 \\
        --glow-channels 32 --epochs 20 --output results/eb_and_flow

`--smoke` runs everything at toy size in seconds (used by the tests).
Writes `metrics.json`, `gibbs_chain_*.png`, `samples_*.png` and one
checkpoint per model under `--output`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import datasets
from tfp_rbm import evaluation
from tfp_rbm import mcmc
from tfp_rbm.image_grid import save_image_grid
from tfp_rbm.keras import FlowModel

SMOKE = dict(dataset='digits', num_hidden=4, nice_hidden_units=16, nice_hidden_layers=1,
             nice_coupling_layers=2, glow_levels=1, glow_steps=1, glow_channels=4, epochs=1,
             batch_size=64, buffer_size=128, gibbs_steps=2, max_train=128, max_test=32,
             ais_temperatures=10, ais_chains=8, raise_chains=1, burn_in=2, chain_rows=3,
             num_chains=4, run_eagerly=True)


def parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
  parser.add_argument('--dataset', default=None, choices=list(datasets.NAMES),
                      help='default: fashion_mnist when its files are present, else digits')
  parser.add_argument('--data-dir', default=None, help='local data files (see tfp_rbm.datasets)')
  parser.add_argument('--flows', nargs='+', default=['nice', 'glow'], choices=['nice', 'glow'])
  parser.add_argument('--num-hidden', type=int, default=512,
                      help='RBM hidden units (<= 20 adds the exact bits/dim)')
  parser.add_argument('--nice-hidden-units', type=int, default=1000)
  parser.add_argument('--nice-hidden-layers', type=int, default=5)
  parser.add_argument('--nice-coupling-layers', type=int, default=4)
  parser.add_argument('--glow-levels', type=int, default=2)
  parser.add_argument('--glow-steps', type=int, default=8, help='flow steps per level')
  parser.add_argument('--glow-channels', type=int, default=512)
  parser.add_argument('--epochs', type=int, default=250)
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--buffer-size', type=int, default=10000, help='persistent chains')
  parser.add_argument('--gibbs-steps', type=int, default=25, help='Gibbs sweeps per update')
  parser.add_argument('--max-train', type=int, default=None, help='use only this many images')
  parser.add_argument('--max-test', type=int, default=None, help='evaluate this many images')
  parser.add_argument('--ais-temperatures', type=int, default=1000,
                      help='annealing steps of AIS and RAISE')
  parser.add_argument('--ais-chains', type=int, default=100)
  parser.add_argument('--raise-chains', type=int, default=10, help='RAISE chains per image')
  parser.add_argument('--burn-in', type=int, default=1000,
                      help='Gibbs sweeps from the persistent chains before the sheet')
  parser.add_argument('--chain-rows', type=int, default=10, help='Gibbs steps shown')
  parser.add_argument('--num-chains', type=int, default=10, help='chains shown')
  parser.add_argument('--run-eagerly', action='store_true',
                      help='skip graph tracing (faster for a handful of steps)')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--output', default='results/eb_and_flow',
                      help='directory for PNGs, metrics and checkpoints')
  parser.add_argument('--smoke', action='store_true',
                      help=f'toy sizes on the shipped digits, seconds on a CPU: {SMOKE}')
  args = parser.parse_args(argv)
  if args.smoke:
    parser.set_defaults(**SMOKE)
    args = parser.parse_args(argv)
  return args



def build_flow(kind, args, image_shape):
  """The flow's spec: a model built from specs is saved as `.keras`.

  NICE acts on the flat data vectors; Glow's spec names the image shape, and
  `FlowModel` reshapes the flat vectors to it.
  """
  if kind == 'nice':
    return {'builder': 'nice', 'event_size': int(np.prod(image_shape)),
            'hidden_units': args.nice_hidden_units,
            'num_hidden_layers': args.nice_hidden_layers,
            'num_coupling_layers': args.nice_coupling_layers, 'seed': args.seed}
  return {'builder': 'glow', 'image_shape': image_shape, 'num_levels': args.glow_levels,
          'num_steps': args.glow_steps, 'hidden_channels': args.glow_channels,
          'seed': args.seed}


def num_parameters(model):
  return int(sum(np.prod(v.shape) for v in model.trainable_variables))


def evaluate_rbm_model(model, test, args):
  """AIS / RAISE / exact test bits/dim of a model with an RBM base."""
  result = evaluation.evaluate_flow(
      model, test, num_chains=args.ais_chains,
      num_chains_per_point=args.raise_chains, betas=args.ais_temperatures,
      seed=(args.seed, 7), progress=not args.smoke)
  return dict(bits_per_dim_exact=result.bits_per_dim_exact,
              bits_per_dim_ais=result.bits_per_dim_ais,
              bits_per_dim_raise=result.bits_per_dim_raise,
              log_normalizer_ais=float(result.log_normalizer.log_normalizer))


def save_gibbs_sheet(model, path, title, args, image_shape):
  """Fig. 1: rows are consecutive Gibbs steps of `num_chains` burned-in chains."""
  base = model.base
  state = mcmc.run_gibbs(base, model.chains.states[:args.num_chains], args.burn_in,
                         seed=(args.seed, 11))
  rows = []
  for step in range(args.chain_rows):
    state = base.gibbs_step(state, seed=tf.constant([args.seed, 100 + step]))
    rows.append(state if model.flow is None else model.flow.forward(state))
  save_image_grid(np.concatenate([r.numpy() for r in rows]), path, image_shape=image_shape,
                  num_columns=args.num_chains, title=title)


def train(name, base, flow, args, train_batches, image_shape):
  event_size = int(np.prod(image_shape))
  model = FlowModel(event_size, base=base, flow=flow,
                    preprocessing={'alpha': 0.05} if flow is not None else None,
                    buffer_size=args.buffer_size, num_gibbs_steps=args.gibbs_steps,
                    seed=args.seed)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                run_eagerly=args.run_eagerly, steps_per_execution=10)
  model.initialize(next(iter(train_batches)))
  print(f'--- {name}: {num_parameters(model)} parameters')
  start = time.time()
  model.fit(train_batches, epochs=args.epochs, verbose=2, shuffle=False, callbacks=[
      keras.callbacks.ModelCheckpoint(os.path.join(args.output, name + '.keras'))])
  return model, time.time() - start


def main(argv=None):
  args = parse_args(argv)
  keras.utils.set_random_seed(args.seed)
  os.makedirs(args.output, exist_ok=True)
  dataset = args.dataset or datasets.first_available(['fashion_mnist', 'digits'], args.data_dir)
  train_images = datasets.load_numpy(dataset, 'train', data_dir=args.data_dir)[:args.max_train]
  test_images = datasets.load_numpy(dataset, 'test', data_dir=args.data_dir)[:args.max_test]
  image_shape = list(train_images.shape[1:])
  args.buffer_size = min(args.buffer_size, len(train_images))
  print(f'EB-and-Flow on {dataset} {image_shape}: {len(train_images)} train / '
        f'{len(test_images)} test images')
  train_batches = datasets.dequantized_batches(train_images, args.batch_size, args.seed,
                                               shuffle=True)
  test_batches = datasets.dequantized_batches(test_images, 256, args.seed + 1)
  rbm = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': args.num_hidden}

  rows = []
  for flow_kind in ['none'] + args.flows:
    bases = [rbm] if flow_kind == 'none' else [rbm, {'kind': 'normal'}]
    for base in bases:
      name = f"{flow_kind}_{base['kind']}"
      flow = None if flow_kind == 'none' else build_flow(flow_kind, args, image_shape)
      model, seconds = train(name, base, flow, args, train_batches, image_shape)
      row = dict(model=name, flow=flow_kind, base=base['kind'],
                 parameters=num_parameters(model), train_seconds=round(seconds, 1),
                 skipped_updates=int(model.skipped_updates.numpy()))
      if model.chains is None:
        bits = model.evaluate(test_batches, return_dict=True, verbose=0)['bits_per_dim']
        row.update(bits_per_dim_exact=float(bits), bits_per_dim_ais=None,
                   bits_per_dim_raise=None)
      else:
        row.update(evaluate_rbm_model(model, test_images, args))
        save_gibbs_sheet(model, os.path.join(args.output, f'gibbs_chain_{flow_kind}.png'),
                         f'{name}: rows = consecutive Gibbs steps after {args.burn_in} '
                         'burn-in sweeps', args, image_shape)
      save_image_grid(model.sample(min(64, args.buffer_size), seed=(args.seed, 1)).numpy(),
                      os.path.join(args.output, f'samples_{name}.png'),
                      image_shape=image_shape, title=f'{name}: samples')
      rows.append(row)

  metrics = dict(dataset=dataset, train_images=len(train_images),
                 test_images=len(test_images), epochs=args.epochs,
                 num_hidden=args.num_hidden, models=rows)
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  print_table(rows, dataset)
  return metrics


def print_table(rows, dataset):
  fmt = lambda v: '-' if v is None else f'{v:.4f}'
  print(f'\nTest bits/dim on {dataset} (AIS tends low, RAISE high; exact when enumerable)')
  print(f"{'model':<28}{'params':>10}{'exact':>10}{'AIS':>10}{'RAISE':>10}")
  for r in rows:
    print(f"{r['model']:<28}{r['parameters']:>10}{fmt(r['bits_per_dim_exact']):>10}"
          f"{fmt(r['bits_per_dim_ais']):>10}{fmt(r['bits_per_dim_raise']):>10}")


if __name__ == '__main__':
  main()
