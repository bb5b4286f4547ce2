"""Trains one flow with a Gaussian base and with an RBM base, for the same budget.

The README's main job, and the library's point in one command: the same
NICE flow on the same images, once over a standard normal base and once over
a Gaussian-Bernoulli RBM (16 hidden units, so log Z and the test bits/dim
are exact), each for the same wall-clock budget (`--time-budget` seconds,
about 3 minutes in all by default), keeping the weights of the epoch with
the best bits/dim on a validation split of the training images (`keras`'
`EarlyStopping(restore_best_weights=True)`: the small data set overfits
within the budget). It prints both test bits/dim and their difference, and
writes to `--output`:

- `samples.png`: samples of both models side by side, beside test images;
- `learning_curves.png`: validation bits/dim after each epoch against time;
- `metrics.json`: both models' figures and the difference;
- `<base>/model.keras`: each trained model.

By default the images are the 8x8 UCI digits that ship with tfp_rbm;
`--dataset fashion_mnist` uses Fashion-MNIST when its files are present
(TFDS or local IDX files). `--flow none` fits the bare bases (the RBM by
persistent contrastive divergence).

    python examples/train_rbm_flow.py --output results/
"""

import argparse
import json
import os
import time

import keras
import numpy as np

import tfp_rbm
from tfp_rbm import datasets
from tfp_rbm.image_grid import save_image_grids_side_by_side
from tfp_rbm.keras import FlowModel

BASE_TITLES = {'normal': 'Gaussian base', 'gaussian_bernoulli_rbm': 'RBM base',
               'multivariate_normal': 'full-covariance Gaussian base'}


def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--dataset', default='digits', choices=list(datasets.NAMES))
  parser.add_argument('--data-dir', default=None, help='local data files (see tfp_rbm.datasets)')
  parser.add_argument('--download', action='store_true',
                      help='let tensorflow-datasets download a missing data set (needs internet)')
  parser.add_argument('--bases', nargs='+', default=['normal', 'gaussian_bernoulli_rbm'],
                      choices=sorted(BASE_TITLES),
                      help='the bases to train the same flow with (the first is the baseline)')
  parser.add_argument('--num-hidden', type=int, default=16,
                      help='hidden units of the RBM base (<= 20 keeps log Z exact)')
  parser.add_argument('--flow', default='nice', choices=['nice', 'none'])
  parser.add_argument('--hidden-units', type=int, default=256, help='NICE coupling width')
  parser.add_argument('--num-coupling-layers', type=int, default=4)
  parser.add_argument('--time-budget', type=float, default=75.,
                      help='training seconds per base (each stops at the end of the epoch '
                           'that reaches it, or after --epochs)')
  parser.add_argument('--epochs', type=int, default=300, help='most epochs per base')
  parser.add_argument('--validation-fraction', type=float, default=0.1,
                      help='training images held out to pick the best epoch')
  parser.add_argument('--patience', type=int, default=20,
                      help='epochs without a better validation bits/dim before stopping')
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--buffer-size', type=int, default=1000)
  parser.add_argument('--gibbs-steps', type=int, default=25)
  parser.add_argument('--max-train', type=int, default=None, help='use only this many images')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--verbose', type=int, default=1, choices=[0, 1, 2],
                      help="Keras' verbosity: 1 shows a progress bar per epoch")
  parser.add_argument('--output', default='results', help='directory for PNGs, metrics, models')
  return parser.parse_args(argv)


class TimeBudget(keras.callbacks.Callback):
  """Stops `fit` at the end of the first epoch that ends after `seconds` of training."""

  def __init__(self, seconds):
    super().__init__()
    self.seconds = seconds
    self.epoch_ends = []

  def on_train_begin(self, logs=None):
    self.start = time.time()

  def on_epoch_end(self, epoch, logs=None):
    self.epoch_ends.append(time.time() - self.start)
    if self.epoch_ends[-1] >= self.seconds:
      self.model.stop_training = True


def train_one(base_kind, args, train, validation, test, event_size):
  """Trains the flow over one base; returns its metrics, samples and learning curve."""
  keras.utils.set_random_seed(args.seed)
  base = {'kind': base_kind}
  if base_kind == 'gaussian_bernoulli_rbm':
    base['num_hidden'] = args.num_hidden
  flow = None
  if args.flow == 'nice':
    flow = {'builder': 'nice', 'event_size': event_size, 'hidden_units': args.hidden_units,
            'num_coupling_layers': args.num_coupling_layers, 'num_hidden_layers': 2,
            'seed': args.seed}
  # No bits/dim during fit (each would enumerate log Z on its schedule): the
  # validation bits/dim after each epoch (exact, enumerated once) is the curve.
  model = FlowModel(event_size, base=base, flow=flow,
                    preprocessing={'alpha': 0.05} if flow else None,
                    buffer_size=min(args.buffer_size, len(train)),
                    num_gibbs_steps=args.gibbs_steps, training_enumeration_bits=0,
                    seed=args.seed)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), steps_per_execution=10)
  train_batches = datasets.dequantized_batches(train, args.batch_size, args.seed, shuffle=True)
  validation_batches = datasets.dequantized_batches(validation, 256, args.seed + 2)
  test_batches = datasets.dequantized_batches(test, 256, args.seed + 1)
  model.initialize(next(iter(train_batches)))
  budget = TimeBudget(args.time_budget)
  print(f'\n{BASE_TITLES[base_kind]} + {args.flow}: training for {args.time_budget:.0f} s')
  history = model.fit(train_batches, epochs=args.epochs, verbose=args.verbose,
                      shuffle=False, validation_data=validation_batches, callbacks=[
                          budget, keras.callbacks.EarlyStopping(
                              'val_bits_per_dim', patience=args.patience,
                              restore_best_weights=True)])
  best_epoch = int(np.argmin(history.history['val_bits_per_dim']))
  directory = os.path.join(args.output, base_kind)
  os.makedirs(directory, exist_ok=True)
  model.save(os.path.join(directory, 'model.keras'))
  results = model.evaluate(test_batches, return_dict=True, verbose=0)
  metrics = dict(base=base_kind, epochs=len(budget.epoch_ends), best_epoch=best_epoch + 1,
                 train_seconds=round(budget.epoch_ends[-1], 1),
                 validation_bits_per_dim=float(history.history['val_bits_per_dim'][best_epoch]),
                 test_bits_per_dim=float(results['bits_per_dim']),
                 skipped_updates=int(model.skipped_updates.numpy()))
  curve = (budget.epoch_ends, history.history['val_bits_per_dim'])
  return metrics, model.sample(50, seed=(args.seed, 1)).numpy(), curve


def save_learning_curves(curves, path, dataset):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  figure = plt.figure(figsize=(5.5, 3.5))
  for title, (seconds, bits) in curves.items():
    plt.plot(seconds, bits, marker='.', label=title)
  plt.xlabel('training time (s)')
  plt.ylabel('validation bits/dim (exact)')
  plt.title(f'{dataset}: the same flow, two bases', fontsize=10)
  plt.grid(alpha=0.3)
  plt.legend()
  figure.savefig(path, dpi=100, bbox_inches='tight')
  plt.close(figure)


def main(argv=None):
  args = parse_args(argv)
  os.makedirs(args.output, exist_ok=True)
  train = datasets.load_numpy(args.dataset, 'train', data_dir=args.data_dir,
                              download=args.download)
  test = datasets.load_numpy(args.dataset, 'test', data_dir=args.data_dir,
                             download=args.download)
  if args.max_train:
    train = train[:args.max_train]
  num_validation = max(1, int(round(args.validation_fraction * len(train))))
  train, validation = train[:-num_validation], train[-num_validation:]
  image_shape = list(train.shape[1:])
  event_size = int(np.prod(image_shape))
  print(f'tfp_rbm {tfp_rbm.__version__}: {args.dataset} {image_shape}, '
        f'{len(train)} train / {len(validation)} validation / {len(test)} test images; '
        f'flow {args.flow}, '
        f'{args.time_budget:.0f} s per base')

  runs, samples, curves = [], {}, {}
  for base_kind in args.bases:
    metrics, samples[BASE_TITLES[base_kind]], curves[BASE_TITLES[base_kind]] = train_one(
        base_kind, args, train, validation, test, event_size)
    runs.append(metrics)
  samples[f'{args.dataset}: test images'] = test[:50] / 255.
  save_image_grids_side_by_side(samples, os.path.join(args.output, 'samples.png'),
                                image_shape=image_shape, num_columns=10)
  save_learning_curves(curves, os.path.join(args.output, 'learning_curves.png'), args.dataset)

  baseline = runs[0]
  print(f'\n{"base":30s} {"epochs":>6s} {"best":>5s} {"seconds":>8s} {"valid. bits/dim":>15s} '
        f'{"test bits/dim":>14s}')
  for run in runs:
    print(f'{BASE_TITLES[run["base"]]:30s} {run["epochs"]:6d} {run["best_epoch"]:5d} '
          f'{run["train_seconds"]:8.1f} {run["validation_bits_per_dim"]:15.4f} '
          f'{run["test_bits_per_dim"]:14.4f}')
  difference = {run['base']: round(run['test_bits_per_dim'] - baseline['test_bits_per_dim'], 4)
                for run in runs[1:]}
  for base_kind, delta in difference.items():
    print(f'{BASE_TITLES[base_kind]} minus {BASE_TITLES[baseline["base"]]}: '
          f'{delta:+.4f} bits/dim (negative: the {BASE_TITLES[base_kind]} is better)')
  metrics = dict(dataset=args.dataset, flow=args.flow, time_budget_seconds=args.time_budget,
                 train_images=len(train), validation_images=len(validation),
                 test_images=len(test), runs=runs,
                 bits_per_dim_minus_baseline=difference)
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  print(f'Wrote {args.output}/samples.png, {args.output}/learning_curves.png, '
        f'{args.output}/metrics.json and a model.keras per base')
  return metrics


if __name__ == '__main__':
  main()
