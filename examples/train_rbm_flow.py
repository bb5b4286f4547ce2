"""Trains a small RBM-Flow on real images; writes samples and test bits/dim.

The README's main job. By default: NICE with a Gaussian-Bernoulli RBM base
(16 hidden units, so log Z is exact) on the 8x8 UCI digits that ship with
tfp_rbm; `--dataset fashion_mnist` uses Fashion-MNIST when its files are
present (TFDS or local IDX files). `--flow none` fits the bare RBM with
persistent contrastive divergence; `--base normal` is the Gaussian-base
baseline of the same flow.

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
from tfp_rbm.image_grid import save_image_grid
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import SampleGrid


def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--dataset', default='digits', choices=list(datasets.NAMES))
  parser.add_argument('--data-dir', default=None, help='local data files (see tfp_rbm.datasets)')
  parser.add_argument('--download', action='store_true',
                      help='let tensorflow-datasets download a missing data set (needs internet)')
  parser.add_argument('--base', default='gaussian_bernoulli_rbm',
                      choices=['gaussian_bernoulli_rbm', 'normal', 'multivariate_normal'])
  parser.add_argument('--num-hidden', type=int, default=16,
                      help='hidden units of the RBM base (<= 20 keeps log Z exact)')
  parser.add_argument('--flow', default='nice', choices=['nice', 'none'])
  parser.add_argument('--hidden-units', type=int, default=256, help='NICE coupling width')
  parser.add_argument('--num-coupling-layers', type=int, default=4)
  parser.add_argument('--epochs', type=int, default=30)
  parser.add_argument('--batch-size', type=int, default=128)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--buffer-size', type=int, default=10000)
  parser.add_argument('--gibbs-steps', type=int, default=25)
  parser.add_argument('--max-train', type=int, default=None, help='use only this many images')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--output', default='results', help='directory for PNGs, metrics, model')
  return parser.parse_args(argv)


def main(argv=None):
  args = parse_args(argv)
  keras.utils.set_random_seed(args.seed)
  os.makedirs(args.output, exist_ok=True)
  train = datasets.load_numpy(args.dataset, 'train', data_dir=args.data_dir,
                              download=args.download)
  test = datasets.load_numpy(args.dataset, 'test', data_dir=args.data_dir,
                             download=args.download)
  if args.max_train:
    train = train[:args.max_train]
  image_shape = list(train.shape[1:])
  event_size = int(np.prod(image_shape))
  print(f'tfp_rbm {tfp_rbm.__version__}: {args.dataset} {image_shape}, '
        f'{len(train)} train / {len(test)} test images')

  base = {'kind': args.base}
  if args.base == 'gaussian_bernoulli_rbm':
    base['num_hidden'] = args.num_hidden
  flow = None
  if args.flow == 'nice':
    flow = {'builder': 'nice', 'event_size': event_size, 'hidden_units': args.hidden_units,
            'num_coupling_layers': args.num_coupling_layers, 'num_hidden_layers': 2,
            'seed': args.seed}
  model = FlowModel(event_size, base=base, flow=flow,
                    preprocessing={'alpha': 0.05} if flow else None,
                    buffer_size=min(args.buffer_size, len(train)),
                    num_gibbs_steps=args.gibbs_steps, seed=args.seed)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
  train_batches = datasets.dequantized_batches(train, args.batch_size, args.seed, shuffle=True)
  test_batches = datasets.dequantized_batches(test, 256, args.seed + 1)
  model.initialize(next(iter(train_batches)))
  start = time.time()
  model.fit(train_batches, epochs=args.epochs, verbose=2, shuffle=False, callbacks=[
      SampleGrid(os.path.join(args.output, 'samples_per_epoch'), image_shape, seed=args.seed),
      keras.callbacks.ModelCheckpoint(os.path.join(args.output, 'model.keras')),
  ])
  train_seconds = time.time() - start
  results = model.evaluate(test_batches, return_dict=True, verbose=0)
  samples = model.sample(100, seed=(args.seed, 1)).numpy()
  save_image_grid(samples, os.path.join(args.output, 'samples.png'), image_shape=image_shape,
                  num_columns=10, title=f'{args.base} + {args.flow}: samples')
  save_image_grid(test[:100] / 255., os.path.join(args.output, 'test_images.png'),
                  image_shape=image_shape, num_columns=10, title=f'{args.dataset}: test images')
  metrics = dict(dataset=args.dataset, base=args.base, flow=args.flow, epochs=args.epochs,
                 train_images=len(train), test_images=len(test),
                 test_bits_per_dim=results.get('bits_per_dim'),
                 test_unnormalized_bits_per_dim=results['unnormalized_bits_per_dim'],
                 skipped_updates=int(model.skipped_updates.numpy()),
                 train_seconds=round(train_seconds, 1))
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  print(json.dumps(metrics, indent=2))
  print(f'Wrote {args.output}/samples.png, {args.output}/metrics.json, '
        f'{args.output}/model.keras')
  return metrics


if __name__ == '__main__':
  main()
