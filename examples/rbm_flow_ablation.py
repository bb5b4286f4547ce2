"""RBM-Flow ablation (O'Connor & Vinci, 2021, Table 1): one flow, four bases, two dequantizations.

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

Dequantization (`--dequantization`): uniform noise (the data come
dequantized) and Flow++'s variational `q(u | x)` (`FlowModel(...,
dequantization='variational')`, trained with the flow; the paper's
appendix A). Recipes (`--recipe`) for the two discrete bases: `margin` is
ours (`delta = B(W) + softplus(margin)` for RBM-Flow, a trainable delta for
D-Flow); `paper` is the paper's §4: RBM-Flow with `J` initialised to zero,
fixed `delta = 2.5`, `W` and the field kept in the unit L2 ball and 200
block-Gibbs sweeps per update; D-Flow with fixed `delta = 1`.

Bits/dim: the bound `evaluate` reports (uniform noise, or the variational
bound), and the importance-weighted bound with `--iw-samples` draws per image
(`tfp_rbm.evaluation.importance_weighted_log_prob`, the same for both
dequantizations); exact log Z for the first three bases; for `smoothed_rbm`
exact when the smaller spin group has at most 20 spins, else from AIS
(`tfp_rbm.evaluation.log_normalizer`, then `model.set_log_normalizer`).
FID and IS (`--fid-samples` samples against as many test images) are in the
feature space of a small classifier trained once on the data set and cached
(`tfp_rbm.evaluation.ClassifierFeatures.for_dataset`): they compare the rows
with each other, not with published Inception figures.

Defaults: Fashion-MNIST when its files are present (else the shipped 8x8
digits), with a flow small enough for a CPU. A few minutes on a CPU:

    python examples/rbm_flow_ablation.py --dataset digits --epochs 15 \\
        --output results/rbm_flow_ablation

`--smoke` runs the paper's recipe with variational dequantization at toy
size in seconds (used by the tests). Writes `metrics.json`,
`samples_<row>.png` and one checkpoint `<row>.keras` per model under
`--output` (`<row>`: the base, then `_paper` and `_vd` where they apply).
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
from tfp_rbm.image_grid import save_image_grid
from tfp_rbm.keras import build_base
from tfp_rbm.keras import FlowModel

BASES = ['normal', 'multivariate_normal', 'discrete_mixture', 'smoothed_rbm']
PAPER_NAMES = {'normal': 'Gaussian-Flow', 'multivariate_normal': 'MultiCov-Flow',
               'discrete_mixture': 'D-Flow', 'smoothed_rbm': 'RBM-Flow'}

DEQUANTIZATIONS = ['uniform', 'variational']
RECIPES = ['margin', 'paper']

SMOKE = dict(dataset='digits', num_components=2, hidden_channels=4, num_blocks=1,
             checkerboard_steps=1, channel_steps=1, final_steps=0, epochs=1, batch_size=64,
             buffer_size=128, gibbs_steps=2, paper_gibbs_steps=2, max_train=128, max_test=100,
             ais_temperatures=10, ais_chains=8, run_eagerly=True,
             dequantization=['variational'], recipe=['paper'], dequantizer_width=4,
             iw_samples=2, fid_samples=100, classifier_epochs=1)


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
  parser.add_argument('--dequantization', nargs='+', default=DEQUANTIZATIONS,
                      choices=DEQUANTIZATIONS)
  parser.add_argument('--recipe', nargs='+', default=RECIPES, choices=RECIPES,
                      help='D-Flow and RBM-Flow: our margin parameterization and/or the '
                           "paper's recipe")
  parser.add_argument('--paper-gibbs-steps', type=int, default=200,
                      help="Gibbs sweeps per update in the paper's RBM-Flow recipe")
  parser.add_argument('--dequantizer-width', type=int, default=16,
                      help='width of the variational dequantizer\'s coupling networks')
  parser.add_argument('--iw-samples', type=int, default=16,
                      help='noise draws per test image for the importance-weighted bound')
  parser.add_argument('--fid-samples', type=int, default=1000,
                      help='model samples (and test images) for FID and IS; 0 skips them')
  parser.add_argument('--classifier-epochs', type=int, default=2,
                      help='training epochs of the FID/IS classifier (cached once trained)')
  parser.add_argument('--cache-dir', default=None,
                      help='where the FID/IS classifier is cached (default ~/.cache/tfp_rbm)')
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



def base_spec(kind, args, recipe='margin'):
  if kind == 'smoothed_rbm' and recipe == 'paper':
    return {'kind': kind, 'first_group_size': args.rbm_first_group, 'delta': 2.5,
            'max_norm': 1.0, 'weight_scale': 0.0}
  if kind == 'smoothed_rbm':
    return {'kind': kind, 'first_group_size': args.rbm_first_group,
            'initial_margin': args.rbm_delta}
  if kind == 'discrete_mixture' and recipe == 'paper':
    return {'kind': kind, 'initial_delta': 1.0, 'trainable_delta': False}
  if kind == 'discrete_mixture':
    return {'kind': kind, 'initial_delta': args.dflow_delta}
  return {'kind': kind}


def rows_to_run(args):
  """`(row id, base kind, recipe, dequantization)` for every model of the table."""
  rows = []
  for kind in args.bases:
    recipes = args.recipe if kind in ('smoothed_rbm', 'discrete_mixture') else ['margin']
    for recipe in recipes:
      for dequantization in args.dequantization:
        row = kind + ('_paper' if recipe == 'paper' else '') + (
            '_vd' if dequantization == 'variational' else '')
        rows.append((row, kind, recipe, dequantization))
  return rows


def make_model(base, hidden_channels, args, image_shape, dequantization='uniform',
               num_gibbs_steps=None):
  """FlowModel of `base` and a Flow++-style flow (a spec: savable as `.keras`)."""
  flow = {'builder': 'flowpp', 'image_shape': image_shape,
          'num_components': args.num_components, 'hidden_channels': hidden_channels,
          'num_blocks': args.num_blocks, 'num_checkerboard_steps': args.checkerboard_steps,
          'num_channel_steps': args.channel_steps, 'num_final_steps': args.final_steps,
          'seed': args.seed}
  if dequantization == 'variational':
    dequantization = {'kind': 'variational', 'hidden_units': args.dequantizer_width}
  return FlowModel(int(np.prod(image_shape)), base=base, flow=flow,
                   preprocessing={'alpha': 0.05}, dequantization=dequantization,
                   buffer_size=args.buffer_size,
                   num_gibbs_steps=num_gibbs_steps or args.gibbs_steps, seed=args.seed)


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


def pixel_batches(images, batch_size, seed, shuffle=False):
  """Flat uint8 batches, the data of a model with variational dequantization."""
  flat = tf.data.Dataset.from_tensor_slices(images.reshape([len(images), -1]))
  if shuffle:
    flat = flat.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
  return flat.batch(batch_size, drop_remainder=shuffle and len(images) >= batch_size)


def bits_per_dim(model, kind, test_batches, args):
  """Test bits/dim (the bound `evaluate` reports), and how the base was normalized."""
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
  uniform_batches = {
      'train': datasets.dequantized_batches(train_images, args.batch_size, args.seed,
                                            shuffle=True),
      'test': datasets.dequantized_batches(test_images, 256, args.seed + 1)}
  variational_batches = {
      'train': pixel_batches(train_images, args.batch_size, args.seed, shuffle=True),
      'test': pixel_batches(test_images, 256, args.seed + 1)}
  extractor = None
  if args.fid_samples:
    start = time.time()
    extractor = evaluation.ClassifierFeatures.for_dataset(
        dataset, cache_dir=args.cache_dir, data_dir=args.data_dir,
        epochs=args.classifier_epochs, seed=args.seed)
    print(f'FID/IS classifier of {dataset}: test accuracy {extractor.test_accuracy:.3f} '
          f'({time.time() - start:.0f} s, cached)')

  plan = rows_to_run(args)
  base_parameters = {
      row: count(build_base(base_spec(kind, args, recipe), event_size).trainable_variables)
      for row, kind, recipe, _ in plan}
  widths = (equalized_widths(base_parameters, args, image_shape) if args.equalize
            else dict.fromkeys(base_parameters, args.hidden_channels))

  rows = []
  for row, kind, recipe, dequantization in plan:
    name = PAPER_NAMES[kind] + (' paper' if recipe == 'paper' else '') + (
        ' VD' if dequantization == 'variational' else '')
    gibbs_steps = args.paper_gibbs_steps if (kind, recipe) == ('smoothed_rbm', 'paper') else None
    model = make_model(base_spec(kind, args, recipe), widths[row], args, image_shape,
                       dequantization, gibbs_steps)
    batches = variational_batches if dequantization == 'variational' else uniform_batches
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  run_eagerly=args.run_eagerly, steps_per_execution=10)
    model.initialize(next(iter(batches['train'])))
    total = count(model.trainable_variables)
    print(f'--- {name} ({row}): flow width {widths[row]}, '
          f'{total} parameters ({base_parameters[row]} in the base)')
    start = time.time()
    model.fit(batches['train'], epochs=args.epochs, verbose=2, shuffle=False, callbacks=[
        keras.callbacks.ModelCheckpoint(os.path.join(args.output, f'{row}.keras'))])
    seconds = time.time() - start
    bits, method = bits_per_dim(model, kind, batches['test'], args)
    importance_weighted = evaluation.importance_weighted_log_prob(
        model, test_images, num_samples=args.iw_samples, seed=(args.seed, 2)).bits_per_dim
    samples = model.sample(max(args.fid_samples, 64), seed=(args.seed, 1)).numpy()
    save_image_grid(samples[:64], os.path.join(args.output, f'samples_{row}.png'),
                    image_shape=image_shape, title=f'{name}: samples')
    scores = (evaluation.score_samples(extractor, test_images[:args.fid_samples],
                                       samples[:args.fid_samples])
              if extractor is not None else dict(fid=None, inception_score=None))
    rows.append(dict(model=name, row=row, base=kind, recipe=recipe,
                     dequantization=dequantization, flow_width=widths[row],
                     base_parameters=base_parameters[row],
                     flow_parameters=total - base_parameters[row], parameters=total,
                     bits_per_dim=bits, bits_per_dim_importance_weighted=importance_weighted,
                     fid=scores['fid'], inception_score=scores['inception_score'],
                     log_normalizer=method, train_seconds=round(seconds, 1),
                     skipped_updates=int(model.skipped_updates.numpy())))

  reference = max(rows, key=lambda r: r['base_parameters'])['parameters']
  for r in rows:
    r['parameters_vs_reference'] = round(r['parameters'] / reference - 1., 4)
  metrics = dict(dataset=dataset, train_images=len(train_images),
                 test_images=len(test_images), epochs=args.epochs,
                 equalized=args.equalize, iw_samples=args.iw_samples,
                 fid_samples=args.fid_samples,
                 classifier_test_accuracy=None if extractor is None else extractor.test_accuracy,
                 models=rows)
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2)
  print(f'\nTest bits/dim, FID and IS on {dataset}, one Flow++-style flow per base; parameter '
        f'counts against the model with the largest base '
        f"({'flow widths equalized' if args.equalize else 'one flow width for all'}); "
        f'bits/dim: the bound evaluate reports, and the importance-weighted bound '
        f'(K={args.iw_samples}); FID/IS in a {dataset} classifier\'s feature space')
  print(f"{'model':<24}{'width':>6}{'base':>9}{'total':>9}{'vs ref':>8}"
        f"{'bits/dim':>10}{'IW':>8}{'FID':>9}{'IS':>7}  log Z")
  fmt = lambda value, spec: '-' if value is None else format(value, spec)
  for r in rows:
    print(f"{r['model']:<24}{r['flow_width']:>6}{r['base_parameters']:>9}"
          f"{r['parameters']:>9}{r['parameters_vs_reference']:>8.1%}"
          f"{r['bits_per_dim']:>10.4f}{r['bits_per_dim_importance_weighted']:>8.4f}"
          f"{fmt(r['fid'], '.4f'):>9}{fmt(r['inception_score'], '.3f'):>7}  "
          f"{r['log_normalizer']}")
  return metrics


if __name__ == '__main__':
  main()
