"""D-Flow's discrete codes (O'Connor & Vinci, 2021, Fig. 3).

Trains a D-Flow: a `DiscreteMixture` base (independent spins `s`, each point
`z ~ Normal(s, 1/delta)`) under a Flow++-style flow. Then:

- `code_columns.png` (the paper's Fig. 3): each column is one discrete code
  `s` drawn from the base's spin prior; its rows are `base.smooth(s)` pushed
  through the flow, i.e. different images that share the code;
- `test_codes.png`: each row starts with a test image, followed by images
  generated from its most probable code (`base.spin_posterior(z).mode()` with
  `z` the image's latent), showing what the code retains;
- the printed Hamming distances between the codes of test images of the same
  class and of different classes: codes that encode global features are
  closer within a class.

Defaults: Fashion-MNIST when its files are present (else the shipped 8x8
digits), with a flow small enough for a CPU. A few minutes on a CPU:

    python examples/dflow_codes.py --dataset digits --epochs 20 \\
        --output results/dflow_codes

`--smoke` runs everything at toy size in seconds (used by the tests).
Writes `metrics.json`, the PNGs, `samples.png` and `model.keras` under
`--output`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import datasets
from tfp_rbm.image_grid import save_image_grid
from tfp_rbm.keras import FlowModel

tfd = tfp.distributions

SMOKE = dict(dataset='digits', num_components=2, hidden_channels=4, num_blocks=1,
             checkerboard_steps=1, channel_steps=1, final_steps=1, epochs=1, batch_size=64,
             max_train=128, max_test=32, num_codes=4, samples_per_code=3, num_test_rows=3,
             run_eagerly=True)


def parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
  parser.add_argument('--dataset', default=None, choices=list(datasets.NAMES),
                      help='default: fashion_mnist when its files are present, else digits')
  parser.add_argument('--data-dir', default=None, help='local data files (see tfp_rbm.datasets)')
  parser.add_argument('--delta', type=float, default=1.0,
                      help="initial precision of each mixture component (the paper's 1)")
  parser.add_argument('--num-components', type=int, default=8, help='logistics per element')
  parser.add_argument('--hidden-channels', type=int, default=32)
  parser.add_argument('--num-blocks', type=int, default=2, help='gated residual blocks')
  parser.add_argument('--checkerboard-steps', type=int, default=2)
  parser.add_argument('--channel-steps', type=int, default=2)
  parser.add_argument('--final-steps', type=int, default=2)
  parser.add_argument('--epochs', type=int, default=20)
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--max-train', type=int, default=None, help='use only this many images')
  parser.add_argument('--max-test', type=int, default=None, help='evaluate this many images')
  parser.add_argument('--num-codes', type=int, default=10, help='columns of code_columns.png')
  parser.add_argument('--samples-per-code', type=int, default=8)
  parser.add_argument('--num-test-rows', type=int, default=10, help='rows of test_codes.png')
  parser.add_argument('--run-eagerly', action='store_true',
                      help='skip graph tracing (faster for a handful of steps)')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--output', default='results/dflow_codes',
                      help='directory for PNGs, metrics and the checkpoint')
  parser.add_argument('--smoke', action='store_true',
                      help=f'toy sizes on the shipped digits, seconds on a CPU: {SMOKE}')
  args = parser.parse_args(argv)
  if args.smoke:
    parser.set_defaults(**SMOKE)
    args = parser.parse_args(argv)
  return args



def hamming_distances(codes, labels, max_codes=1000):
  """Mean fraction of differing spins between codes of the same / different classes.

  Uses the first `max_codes` codes: the pairwise comparison grows as its square.
  """
  codes, labels = np.asarray(codes)[:max_codes] > 0, np.asarray(labels)[:max_codes]
  # Spins that differ: |s| - s.s' over ±1 codes, as matrix products of 0/1 codes.
  ones = codes.astype(np.float32)
  agree = ones @ ones.T + (1. - ones) @ (1. - ones).T
  differ = 1. - agree / codes.shape[-1]
  same = labels[:, None] == labels[None, :]
  off_diagonal = ~np.eye(len(codes), dtype=bool)
  return float(differ[same & off_diagonal].mean()), float(differ[~same].mean())


def main(argv=None):
  args = parse_args(argv)
  keras.utils.set_random_seed(args.seed)
  os.makedirs(args.output, exist_ok=True)
  dataset = args.dataset or datasets.first_available(['fashion_mnist', 'digits'], args.data_dir)
  train_images = datasets.load_numpy(dataset, 'train', data_dir=args.data_dir)[:args.max_train]
  test_images, test_labels = datasets.load_numpy(dataset, 'test', data_dir=args.data_dir,
                                                 with_labels=True)
  test_images, test_labels = test_images[:args.max_test], test_labels[:args.max_test]
  image_shape = list(train_images.shape[1:])
  event_size = int(np.prod(image_shape))
  print(f'D-Flow on {dataset} {image_shape}: {len(train_images)} train / '
        f'{len(test_images)} test images')
  train_batches = datasets.dequantized_batches(train_images, args.batch_size, args.seed,
                                               shuffle=True)
  # Unshuffled: the same dequantized test images on every pass.
  test_batches = datasets.dequantized_batches(test_images, 256, args.seed + 1)

  flow = {'builder': 'flowpp', 'image_shape': image_shape,
          'num_components': args.num_components, 'hidden_channels': args.hidden_channels,
          'num_blocks': args.num_blocks, 'num_checkerboard_steps': args.checkerboard_steps,
          'num_channel_steps': args.channel_steps, 'num_final_steps': args.final_steps,
          'seed': args.seed}
  model = FlowModel(event_size, base={'kind': 'discrete_mixture', 'initial_delta': args.delta},
                    flow=flow, preprocessing={'alpha': 0.05}, seed=args.seed)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                run_eagerly=args.run_eagerly, steps_per_execution=10)
  model.initialize(next(iter(train_batches)))
  start = time.time()
  model.fit(train_batches, epochs=args.epochs, verbose=2, shuffle=False, callbacks=[
      keras.callbacks.ModelCheckpoint(os.path.join(args.output, 'model.keras'))])
  train_seconds = time.time() - start
  bits = model.evaluate(test_batches, return_dict=True, verbose=0)['bits_per_dim']
  base = model.base

  # Fig. 3: codes from the spin prior p(s_i = +1) = sigmoid(2 h_i), one per column.
  codes = 2. * tfd.Bernoulli(logits=2. * base.field, dtype=base.dtype).sample(
      args.num_codes, seed=(args.seed, 2)) - 1.
  z = base.smooth(tf.broadcast_to(codes, [args.samples_per_code, args.num_codes, event_size]),
                  seed=(args.seed, 3))
  save_image_grid(model.flow.forward(tf.reshape(z, [-1, event_size])).numpy(),
                  os.path.join(args.output, 'code_columns.png'), image_shape=image_shape,
                  num_columns=args.num_codes,
                  title='each column: one discrete code s, rows: smooth(s) through the flow')

  # The most probable code of each test image, and images generated from it.
  test_x = tf.concat(list(test_batches), axis=0)
  posteriors = [base.spin_posterior(model.flow.inverse(x)) for x in test_batches]
  test_codes = tf.concat([p.mode() for p in posteriors], axis=0)
  confidence = float(tf.reduce_mean(tf.concat([tf.reduce_max(
      p.distribution.probs_parameter(), axis=-1) for p in posteriors], axis=0)))
  rows = args.num_test_rows
  decoded = model.flow.forward(tf.reshape(base.smooth(
      tf.broadcast_to(test_codes[:rows, None], [rows, args.samples_per_code, event_size]),
      seed=(args.seed, 4)), [-1, event_size]))
  grid = tf.concat([test_x[:rows, None], tf.reshape(decoded, [rows, -1, event_size])], axis=1)
  save_image_grid(tf.reshape(grid, [-1, event_size]).numpy(),
                  os.path.join(args.output, 'test_codes.png'), image_shape=image_shape,
                  num_columns=args.samples_per_code + 1,
                  title='first column: test image; then images from its most probable code')
  save_image_grid(model.sample(64, seed=(args.seed, 1)).numpy(),
                  os.path.join(args.output, 'samples.png'), image_shape=image_shape,
                  title='D-Flow: samples')

  same_class, other_class = hamming_distances(test_codes.numpy(), test_labels)
  metrics = dict(dataset=dataset, train_images=len(train_images),
                 test_images=len(test_images), epochs=args.epochs,
                 test_bits_per_dim=float(bits), delta=float(tf.convert_to_tensor(base.delta)),
                 mean_code_confidence=confidence,
                 hamming_same_class=same_class, hamming_other_class=other_class,
                 train_seconds=round(train_seconds, 1))
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  print(json.dumps(metrics, indent=2))
  return metrics


if __name__ == '__main__':
  main()
