"""RBM-Flow ablation (O'Connor & Vinci, 2021, Table 1): one flow, four bases.

The same Flow++-style flow (mixture-of-logistics CDF couplings, `flowpp`)
with each base of the paper's ablation:

- `normal`               Gaussian-Flow: independent standard Normal;
- `multivariate_normal`  MultiCov-Flow: Normal with a full trainable covariance;
- `discrete_mixture`     D-Flow: independent spins smoothed by a Gaussian;
- `smoothed_rbm`         RBM-Flow: a Gaussian-smoothed RBM over spins.

Parameter counts. The paper gives every model about the same number of
trainable parameters by changing the flow's width. Here the model whose base
has the most parameters keeps `--hidden-channels`; every other model gets
the coupling-network width that brings its total (base + flow) closest to
that one (the flow's count is an exact quadratic in the width, solved for).
The table shows base, flow and total counts side by side and the relative
difference; `--no-equalize` keeps one width for all and reports the
difference instead.

Bits/dim: exact for the first three bases; for `smoothed_rbm` exact when the
smaller spin group has at most 20 spins, else with log Z from AIS
(`tfp_rbm.evaluation.log_normalizer`, then `model.set_log_normalizer`).

Defaults: Fashion-MNIST when its files are present (else the shipped 8x8
digits), with a flow small enough for a CPU. A few minutes on a CPU:

    python examples/rbm_flow_ablation.py --dataset digits --epochs 15 \\
        --output results/rbm_flow_ablation

`--smoke` runs everything at toy size in seconds (used by the tests).
Writes `metrics.json`, `samples_<base>.png` and one checkpoint per model
under `--output`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

from tfp_rbm import datasets
from tfp_rbm import evaluation
from tfp_rbm.image_grid import save_image_grid
from tfp_rbm.keras import build_base
from tfp_rbm.keras import FlowModel

BASES = ['normal', 'multivariate_normal', 'discrete_mixture', 'smoothed_rbm']
PAPER_NAMES = {'normal': 'Gaussian-Flow', 'multivariate_normal': 'MultiCov-Flow',
               'discrete_mixture': 'D-Flow', 'smoothed_rbm': 'RBM-Flow'}

SMOKE = dict(dataset='digits', num_components=2, hidden_channels=4, num_blocks=1,
             checkerboard_steps=1, channel_steps=1, final_steps=0, epochs=1, batch_size=64,
             buffer_size=128, gibbs_steps=2, max_train=128, max_test=32, ais_temperatures=10,
             ais_chains=8, run_eagerly=True)


def parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
  parser.add_argument('--dataset', default=None, choices=list(datasets.NAMES),
                      help='default: fashion_mnist when its files are present, else digits')
  parser.add_argument('--data-dir', default=None, help='local data files (see tfp_rbm.datasets)')
  parser.add_argument('--bases', nargs='+', default=BASES, choices=BASES)
  parser.add_argument('--num-components', type=int, default=8, help='logistics per element')
  parser.add_argument('--hidden-channels', type=int, default=32,
                      help='coupling-network width of the model with the largest base')
  parser.add_argument('--num-blocks', type=int, default=2, help='gated residual blocks')
  parser.add_argument('--checkerboard-steps', type=int, default=2)
  parser.add_argument('--channel-steps', type=int, default=2)
  parser.add_argument('--final-steps', type=int, default=2)
  parser.add_argument('--equalize', action=argparse.BooleanOptionalAction, default=True,
                      help='adapt each flow width to equalize total parameter counts')
  parser.add_argument('--rbm-first-group', type=int, default=None,
                      help='spins in the first RBM group (default half; the smaller group '
                           '<= 20 makes log Z exact)')
  parser.add_argument('--rbm-delta', type=float, default=2.5,
                      help="initial delta - ||W||_2 of the smoothed RBM (the paper's 2.5)")
  parser.add_argument('--dflow-delta', type=float, default=1.0,
                      help="initial delta of D-Flow (the paper's 1)")
  parser.add_argument('--epochs', type=int, default=20)
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--buffer-size', type=int, default=10000, help='persistent chains')
  parser.add_argument('--gibbs-steps', type=int, default=25, help='Gibbs sweeps per update')
  parser.add_argument('--max-train', type=int, default=None, help='use only this many images')
  parser.add_argument('--max-test', type=int, default=None, help='evaluate this many images')
  parser.add_argument('--ais-temperatures', type=int, default=1000)
  parser.add_argument('--ais-chains', type=int, default=100)
  parser.add_argument('--run-eagerly', action='store_true',
                      help='skip graph tracing (faster for a handful of steps)')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--output', default='results/rbm_flow_ablation',
                      help='directory for PNGs, metrics and checkpoints')
  parser.add_argument('--smoke', action='store_true',
                      help=f'toy sizes on the shipped digits, seconds on a CPU: {SMOKE}')
  args = parser.parse_args(argv)
  if args.smoke:
    parser.set_defaults(**SMOKE)
    args = parser.parse_args(argv)
  return args



def base_spec(kind, args):
  if kind == 'smoothed_rbm':
    return {'kind': kind, 'first_group_size': args.rbm_first_group,
            'initial_margin': args.rbm_delta}
  if kind == 'discrete_mixture':
    return {'kind': kind, 'initial_delta': args.dflow_delta}
  return {'kind': kind}


def make_model(base, hidden_channels, args, image_shape):
  """FlowModel of `base` and a Flow++-style flow (a spec: savable as `.keras`)."""
  flow = {'builder': 'flowpp', 'image_shape': image_shape,
          'num_components': args.num_components, 'hidden_channels': hidden_channels,
          'num_blocks': args.num_blocks, 'num_checkerboard_steps': args.checkerboard_steps,
          'num_channel_steps': args.channel_steps, 'num_final_steps': args.final_steps,
          'seed': args.seed}
  return FlowModel(int(np.prod(image_shape)), base=base, flow=flow,
                   preprocessing={'alpha': 0.05},
                   buffer_size=args.buffer_size, num_gibbs_steps=args.gibbs_steps,
                   seed=args.seed)


def count(variables):
  return int(sum(np.prod(v.shape) for v in variables))


def equalized_widths(base_parameters, args, image_shape):
  """Per base, the flow width whose total parameter count is closest to the reference.

  The flow's count is `a w^2 + b w + c` in the width `w` (every weight of
  the coupling networks is linear or bilinear in it): three small builds
  give `a, b, c` exactly.
  """
  normal = {'kind': 'normal'}
  widths = np.array([1., 2., 3.])
  counts = [count(make_model(normal, int(w), args, image_shape).trainable_variables)
            for w in widths]
  a, b, c = np.polyfit(widths, counts, 2)
  flow_parameters = lambda w: int(round(a * w * w + b * w + c))
  target = flow_parameters(args.hidden_channels) + max(base_parameters.values())
  result = {}
  for kind, own in base_parameters.items():
    w = (-b + np.sqrt(b * b - 4. * a * (c + own - target))) / (2. * a)
    candidates = [max(1, int(np.floor(w))), int(np.ceil(w))]
    result[kind] = min(candidates, key=lambda v: abs(flow_parameters(v) + own - target))
  return result


def bits_per_dim(model, kind, test_batches, args):
  """Test bits/dim, and how the base was normalized."""
  if kind == 'smoothed_rbm' and min(model.base.group_sizes) > model.base.max_enumeration_bits:
    estimate = evaluation.log_normalizer(model.base, 'ais', num_chains=args.ais_chains,
                                         betas=args.ais_temperatures, seed=(args.seed, 5),
                                         progress=not args.smoke)
    model.set_log_normalizer(estimate.log_normalizer)
    method = 'AIS'
  else:
    method = 'exact'
  bits = model.evaluate(test_batches, return_dict=True, verbose=0)['bits_per_dim']
  return float(bits), method


def main(argv=None):
  args = parse_args(argv)
  keras.utils.set_random_seed(args.seed)
  os.makedirs(args.output, exist_ok=True)
  dataset = args.dataset or datasets.first_available(['fashion_mnist', 'digits'], args.data_dir)
  train_images = datasets.load_numpy(dataset, 'train', data_dir=args.data_dir)[:args.max_train]
  test_images = datasets.load_numpy(dataset, 'test', data_dir=args.data_dir)[:args.max_test]
  image_shape = list(train_images.shape[1:])
  event_size = int(np.prod(image_shape))
  args.buffer_size = min(args.buffer_size, len(train_images))
  print(f'RBM-Flow ablation on {dataset} {image_shape}: {len(train_images)} train / '
        f'{len(test_images)} test images')
  train_batches = datasets.dequantized_batches(train_images, args.batch_size, args.seed,
                                               shuffle=True)
  test_batches = datasets.dequantized_batches(test_images, 256, args.seed + 1)

  specs = {kind: base_spec(kind, args) for kind in args.bases}
  base_parameters = {
      kind: count(build_base(spec, event_size).trainable_variables)
      for kind, spec in specs.items()}
  widths = (equalized_widths(base_parameters, args, image_shape) if args.equalize
            else dict.fromkeys(specs, args.hidden_channels))

  rows = []
  for kind, spec in specs.items():
    model = make_model(spec, widths[kind], args, image_shape)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  run_eagerly=args.run_eagerly, steps_per_execution=10)
    model.initialize(next(iter(train_batches)))
    total = count(model.trainable_variables)
    print(f'--- {PAPER_NAMES[kind]} ({kind}): flow width {widths[kind]}, '
          f'{total} parameters ({base_parameters[kind]} in the base)')
    start = time.time()
    model.fit(train_batches, epochs=args.epochs, verbose=2, shuffle=False, callbacks=[
        keras.callbacks.ModelCheckpoint(os.path.join(args.output, f'{kind}.keras'))])
    seconds = time.time() - start
    bits, method = bits_per_dim(model, kind, test_batches, args)
    save_image_grid(model.sample(min(64, args.buffer_size), seed=(args.seed, 1)).numpy(),
                    os.path.join(args.output, f'samples_{kind}.png'), image_shape=image_shape,
                    title=f'{PAPER_NAMES[kind]}: samples')
    rows.append(dict(model=PAPER_NAMES[kind], base=kind, flow_width=widths[kind],
                     base_parameters=base_parameters[kind],
                     flow_parameters=total - base_parameters[kind], parameters=total,
                     bits_per_dim=bits, log_normalizer=method, train_seconds=round(seconds, 1),
                     skipped_updates=int(model.skipped_updates.numpy())))

  reference = max(rows, key=lambda r: r['base_parameters'])['parameters']
  for r in rows:
    r['parameters_vs_reference'] = round(r['parameters'] / reference - 1., 4)
  metrics = dict(dataset=dataset, train_images=len(train_images),
                 test_images=len(test_images), epochs=args.epochs,
                 equalized=args.equalize, models=rows)
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  print(f'\nTest bits/dim on {dataset}, one Flow++-style flow per base; parameter counts '
        f'against the model with the largest base '
        f"({'flow widths equalized' if args.equalize else 'one flow width for all'})")
  print(f"{'model':<15}{'width':>6}{'base':>9}{'flow':>9}{'total':>9}{'vs ref':>8}"
        f"{'bits/dim':>10}  log Z")
  for r in rows:
    print(f"{r['model']:<15}{r['flow_width']:>6}{r['base_parameters']:>9}"
          f"{r['flow_parameters']:>9}{r['parameters']:>9}{r['parameters_vs_reference']:>8.1%}"
          f"{r['bits_per_dim']:>10.4f}  {r['log_normalizer']}")
  return metrics


if __name__ == '__main__':
  main()
