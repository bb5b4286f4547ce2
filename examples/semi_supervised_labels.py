"""Semi-supervised flows: a labelled RBM base and FlowGMM, trained on few labels with `fit(x, y)`.

Both models are `tfp_rbm.keras.FlowModel`s with the same flow (`--flow`:
`realnvp`'s affine couplings by default, or NICE's additive ones); only the base
spec differs (`labeled_gaussian_bernoulli_rbm`, EB-and-Flow §5.1, or
`class_conditional_gaussian_mixture`, FlowGMM). `--labels` training images
keep their label, the others get `y = -1`; `fit` maximizes
`sum_U log p(x) + lambda sum_L log p(x, y)` (`lambda = N / N_labelled`).
`SampleGrid` writes a class-conditional grid (one row per class) after each
epoch. The script reports test accuracy and exact test bits/dim (the RBM's
hidden layer is small enough to enumerate), and saves each model as `.keras`.
With `--exact-training` the RBM trains on the exact loss, its log Z summed
in every step, instead of through persistent chains (`FlowModel`'s
`exact_training`: faster and better where the hidden layer is small,
benchmarks/README.md).

Usage:
  python examples/semi_supervised_labels.py --output labels_run
  python examples/semi_supervised_labels.py --labels 100 --epochs 20
  python examples/semi_supervised_labels.py --exact-training --num-hidden 12
  python examples/semi_supervised_labels.py --smoke --output /tmp/labels
"""

import argparse
import json
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np

import tfp_rbm
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import SampleGrid

BASES = {
    # The spec's start: a hidden unit per class (docs/labels.md); `initialize` below
    # standardises the RBM's visible units on the latents.
    'labeled_rbm': lambda k, args: {'kind': 'labeled_gaussian_bernoulli_rbm', 'num_classes': k,
                                    'num_hidden': args.num_hidden},
    'flowgmm': lambda k, args: {'kind': 'class_conditional_gaussian_mixture', 'num_classes': k},
}


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--dataset', default='auto', choices=['auto', 'fashion_mnist', 'digits'],
                      help='auto: Fashion-MNIST when it can be found, else the shipped digits')
  parser.add_argument('--labels', type=int, default=1000, help='labelled training images')
  parser.add_argument('--epochs', type=int, default=5)
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--learning-rate', type=float, default=None,
                      help="Adam's step size (default 1e-3 on Fashion-MNIST, 3e-3 on the digits; "
                           'docs/labels.md)')
  parser.add_argument('--num-hidden', type=int, default=16,
                      help='hidden units of the RBM (<= 20: exact log Z)')
  parser.add_argument('--exact-training', action='store_true',
                      help="train the RBM on its exact loss, log Z summed in every step "
                           '(best with --num-hidden 12 or fewer), instead of through chains')
  parser.add_argument('--flow', default='realnvp', choices=['realnvp', 'nice'],
                      help='the flow builder (tfp_rbm.flows), 4 couplings; benchmarks/README.md '
                           'compares them')
  parser.add_argument('--hidden-units', type=int, default=256, help="the flow's network width")
  parser.add_argument('--max-train', type=int, default=None, help='use this many training images')
  parser.add_argument('--smoke', action='store_true',
                      help='a seconds-long run: the digits, 300 images, 1 epoch, tiny flow')
  parser.add_argument('--output', default='semi_supervised_labels')
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args(argv)
  if args.smoke:
    args.dataset, args.max_train, args.epochs, args.labels = 'digits', 300, 1, 50
    args.hidden_units, args.num_hidden = 16, 10
  return args


def _data(args):
  name = args.dataset
  if name == 'auto':
    name = tfp_rbm.datasets.first_available(['fashion_mnist', 'digits'])
  images, classes = tfp_rbm.datasets.load_numpy(name, 'train', with_labels=True)
  test_images, test_classes = tfp_rbm.datasets.load_numpy(name, 'test', with_labels=True)
  images, classes = images[:args.max_train], classes[:args.max_train].astype(np.int32)
  rng = np.random.default_rng(args.seed)
  y = np.full_like(classes, -1)
  keep = rng.permutation(len(classes))[:args.labels]
  y[keep] = classes[keep]
  flat = lambda a: a.reshape(len(a), -1)
  x = tfp_rbm.datasets.dequantize(flat(images), seed=(args.seed, 1))
  x_test = tfp_rbm.datasets.dequantize(flat(test_images)[:2000], seed=(args.seed, 2))
  return name, x, y, x_test, test_classes[:2000].astype(np.int32), images.shape[1:3]


def main(argv=None):
  args = _parse_args(argv)
  keras.utils.set_random_seed(args.seed)
  name, x, y, x_test, y_test, image_shape = _data(args)
  num_classes, event_size = int(y_test.max()) + 1, x.shape[1]
  # Faster steps cost the RBM flow its classes on Fashion-MNIST (docs/labels.md).
  learning_rate = args.learning_rate or (1e-3 if name == 'fashion_mnist' else 3e-3)
  label_weight = len(y) / max(np.sum(y >= 0), 1)
  flow = {'builder': args.flow, 'event_size': event_size, 'num_coupling_layers': 4,
          'hidden_units': args.hidden_units, 'num_hidden_layers': 2, 'seed': args.seed}
  metrics = {'dataset': name, 'labels': int(np.sum(y >= 0)), 'train_images': len(y),
             'label_weight': label_weight, 'learning_rate': learning_rate,
             'flow': args.flow, 'exact_training': args.exact_training, 'models': []}
  for base_name, base in BASES.items():
    model = FlowModel(event_size, base=base(num_classes, args), flow=flow,
                      preprocessing={'alpha': 0.05}, buffer_size=1000, num_gibbs_steps=10,
                      label_weight=label_weight, seed=args.seed,
                      exact_training=args.exact_training)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    model.initialize(x[:1000])
    grids = SampleGrid(os.path.join(args.output, f'samples_{base_name}'),
                       image_shape=list(image_shape), num_samples=8 * num_classes)
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0,
              callbacks=[grids])
    results = model.evaluate(x_test, y_test, batch_size=500, verbose=0, return_dict=True)
    metrics['models'].append({'base': base_name, 'accuracy': float(results['accuracy']),
                              'bits_per_dim': float(results['bits_per_dim'])})
    model.save(os.path.join(args.output, f'{base_name}.keras'))
    print(f"{base_name:12s} test accuracy {results['accuracy']:.3f}  "
          f"bits/dim {results['bits_per_dim']:.3f}", flush=True)
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=1)
  return metrics


if __name__ == '__main__':
  main()
