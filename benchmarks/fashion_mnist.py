"""Benchmark: Fashion-MNIST (or CIFAR-10) bits/dim, Gaussian vs energy-based bases, equal time.

Issue 7's check of the claim that an RBM base is no worse than the Gaussian
base of the same flow at an equal training budget. Rows (`--configs`):

  nice-gaussian, nice-rbm        NICE x {N(0, I), Gaussian-Bernoulli RBM}
  glow-gaussian, glow-rbm        small Glow x the same two bases
  glow-convrbm                   the same Glow x the shared convolutional
                                 Gaussian-Bernoulli RBM over its two latent
                                 levels (EB-and-Flow App. B: 3x3 filters,
                                 strides 2 and 1, onto one 7x7 hidden map of
                                 about `--num-hidden` units); `--convolutional`
                                 runs the three Glow rows (on CIFAR-10: see below)
  flowpp-gaussian, flowpp-multicov, flowpp-dflow, flowpp-rbmflow
                                 Flow++-style flow x {N(0, I), full-covariance
                                 Gaussian, DiscreteMixture, SmoothedRBM}
  flowpp-*-vd                    the same four with variational dequantization
                                 (`FlowModel(dequantization='variational')`)
  flowpp-dflow-paper, flowpp-rbmflow-paper, flowpp-rbmflow-paper-vd
                                 RBM-Flow's own recipe (O'Connor & Vinci §4):
                                 D-Flow with fixed delta = 1; RBM-Flow with J
                                 initialised to zero, fixed delta = 2.5, W and
                                 the field in the unit L2 ball, 200 block-Gibbs
                                 sweeps per update (`--paper-gibbs-steps`)

The Flow++ rows also report the importance-weighted bound
(`tfp_rbm.evaluation.importance_weighted_log_prob`, `--iw-samples` draws per
test image, uniform or variational noise as the row trained with) and FID
and IS of `--fid-samples` samples against as many test images, in the
feature space of a small classifier of the data set, trained once and cached
(`tfp_rbm.evaluation.ClassifierFeatures`): "FID in a Fashion-MNIST (CIFAR-10)
classifier's feature space", comparable between rows, not with published
Inception FIDs. `--ablation` runs the eleven Flow++ rows (RBM-Flow's
Table 1 ablation) at toy sizes, 15 s per row, in about 8 minutes.

`--dataset cifar10` runs the chosen rows on CIFAR-10 (32x32x3) instead,
read by `tfp_rbm.datasets.load_numpy('cifar10', ...)`: a prepared TFDS copy,
or the python batches of `cifar-10-python.tar.gz` (`data_batch_1` ...
`data_batch_5`, `test_batch`, read without running pickle code) in
`--data-dir`, `$TFP_RBM_DATA_DIR` or their `cifar-10-batches-py`
subdirectory; without them the run stops at once, saying where it looked.
Its Glow rows are EB-and-Flow's CIFAR-10 model
(`tfp_rbm.keras.specs.eb_and_flow_cifar10`): Glow with 3 levels (latents
16x16x6, 8x8x12, 4x4x48) of 4 steps each (128 hidden channels; the paper
has 16 and 512), under the Gaussian, the dense RBM, or the shared
convolutional RBM (5x5 stride 4, 3x3 stride 2, 3x3 stride 1 onto one 4x4
hidden map of `--num-hidden / 16` filters; the paper's 100 filters are
`--num-hidden 1600`). With `--quick`: 1 step per level, 8 hidden channels,
one filter (16 hidden units, exact log Z).

Every row is a `tfp_rbm.keras.FlowModel` (logit pre-processing, alpha 0.05;
Adam; batch `--batch-size`) trained on real Fashion-MNIST, read by
`tfp_rbm.datasets.load_numpy('fashion_mnist', ...)` (TFDS, local IDX files
or Debian's /usr/share/datasets/fashion-mnist) or on CIFAR-10, for the same
wall-clock budget `--minutes` (measured from the end of the first step, so that
tracing and XLA compilation, which differ between rows, do not count
against it), with fresh dequantization noise each step.
The test images are dequantized with one fixed seed: the Gaussian-Bernoulli
RBM rows, evaluated by `evaluation.evaluate_flow`, share its noise, and the
other rows share that of `tfp_rbm.datasets.dequantized_batches`; the two
draws differ (over many test images a negligible effect on the mean).

Bits/dim (docs/math.md section 6) on the test images: exact for the Gaussian,
full-covariance and discrete-mixture bases. For an RBM base: AIS
(`tfp_rbm.evaluation.log_normalizer`, an optimistic figure in expectation),
RAISE (`tfp_rbm.evaluation.raise_log_prob`, conservative; Gaussian-Bernoulli
RBM only: the smoothed RBM's chains run over spins, not the latent), and
the exact figure when the enumerated layer has at most 20 units
(`--num-hidden`; for the smoothed RBM the smaller spin group). AIS and RAISE
anneal from independent units fit to the latents of 2,000 training images
(`proposal`; `--ais-base model` starts from the model's own
visible bias or field instead).

The table prints the papers' figures beside the measured ones. EB-and-Flow
(Grathwohl et al. 2020, Table 2, Fashion-MNIST, 250 epochs on a GPU):
NICE 4.05 -> 4.03, Glow 2.96 -> 2.90 (Gaussian -> RBM base), a plain RBM
4.55. RBM-Flow / D-Flow (O'Connor & Vinci 2021) report bits/dim on CIFAR-10
only (Gaussian 3.17, MultiCov 3.17, D-Flow 3.19, RBM-Flow 3.18): no
Fashion-MNIST figure to compare with, and the table says so. On CIFAR-10 the
table shows EB-and-Flow's Glow 3.35 (Gaussian) and 3.36 (convolutional RBM
base), a plain RBM 5.47, and RBM-Flow's four. A few minutes
on a CPU is far from the papers' budgets: compare rows with each other, not
with the papers' numbers.

Usage:
  # The full benchmark: 8 rows x 20 minutes on 2 CPU cores, about 3 hours
  # with evaluation (AIS/RAISE with 1000 temperatures on 10,000 test images):
  python benchmarks/fashion_mnist.py --minutes 20
  # Some rows only:
  python benchmarks/fashion_mnist.py --minutes 20 --configs nice-gaussian nice-rbm
  # Smoke run: tiny flows, 20 s per row, 200 test images, 100 temperatures:
  python benchmarks/fashion_mnist.py --quick
  # Gaussian vs dense vs shared convolutional RBM base under Glow, on
  # Fashion-MNIST, then on CIFAR-10 (the python batches in ~/data/cifar-10-batches-py):
  python benchmarks/fashion_mnist.py --convolutional --minutes 20
  python benchmarks/fashion_mnist.py --convolutional --dataset cifar10 --data-dir ~/data
  # The RBM-Flow ablation, uniform and variational dequantization, FID and IS:
  python benchmarks/fashion_mnist.py --ablation
  # Keep finished rows in a file; a rerun with the same settings reuses them,
  # so an interrupted run continues with the rows it had not finished:
  python benchmarks/fashion_mnist.py --minutes 10 --results fashion.jsonl
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

import tfp_rbm
from tfp_rbm import evaluation
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs

import device_option  # benchmarks/device_option.py: the --device option

# Each data set's image shape; a run's is `args.image_shape` (`_parse_args`), and
# `IMAGE_SHAPE` / `EVENT_SIZE` are the default data set's.
IMAGE_SHAPES = {'fashion_mnist': (28, 28, 1), 'cifar10': (32, 32, 3)}
TITLES = {'fashion_mnist': 'Fashion-MNIST', 'cifar10': 'CIFAR-10'}
IMAGE_SHAPE = IMAGE_SHAPES['fashion_mnist']
EVENT_SIZE = int(np.prod(IMAGE_SHAPE))

CONFIGS = {
    'nice-gaussian': ('nice', 'normal'),
    'nice-rbm': ('nice', 'gaussian_bernoulli_rbm'),
    'glow-gaussian': ('glow', 'normal'),
    'glow-rbm': ('glow', 'gaussian_bernoulli_rbm'),
    'glow-convrbm': ('glow', 'convolutional_gaussian_bernoulli_rbm'),
    'flowpp-gaussian': ('flowpp', 'normal'),
    'flowpp-multicov': ('flowpp', 'multivariate_normal'),
    'flowpp-dflow': ('flowpp', 'discrete_mixture'),
    'flowpp-rbmflow': ('flowpp', 'smoothed_rbm'),
    'flowpp-gaussian-vd': ('flowpp', 'normal', 'margin', 'variational'),
    'flowpp-multicov-vd': ('flowpp', 'multivariate_normal', 'margin', 'variational'),
    'flowpp-dflow-vd': ('flowpp', 'discrete_mixture', 'margin', 'variational'),
    'flowpp-rbmflow-vd': ('flowpp', 'smoothed_rbm', 'margin', 'variational'),
    'flowpp-dflow-paper': ('flowpp', 'discrete_mixture', 'paper', 'uniform'),
    'flowpp-rbmflow-paper': ('flowpp', 'smoothed_rbm', 'paper', 'uniform'),
    'flowpp-rbmflow-paper-vd': ('flowpp', 'smoothed_rbm', 'paper', 'variational'),
}
# The rows of issue 7's run; `--ablation` runs the Flow++ rows instead.
DEFAULT_CONFIGS = [name for name in list(CONFIGS)[:9] if name != 'glow-convrbm']
CONVOLUTIONAL_CONFIGS = ['glow-gaussian', 'glow-rbm', 'glow-convrbm']
ABLATION_CONFIGS = [name for name in CONFIGS if name.startswith('flowpp')]

# The papers' test bits/dim on Fashion-MNIST; None where none was published.
PAPER = {
    'nice-gaussian': '4.05 (EB-and-Flow, NF)',
    'nice-rbm': '4.03 (EB-and-Flow)',
    'glow-gaussian': '2.96 (EB-and-Flow, NF)',
    'glow-rbm': '2.90 (EB-and-Flow)',
    'glow-convrbm': None,
    'flowpp-gaussian': None,
    'flowpp-multicov': None,
    'flowpp-dflow': None,
    'flowpp-rbmflow': None,
}
# On CIFAR-10: EB-and-Flow Table 2 (Glow, 3 levels x 16 steps) and RBM-Flow /
# D-Flow (O'Connor & Vinci 2021, Flow++).
PAPER_CIFAR10 = {
    'glow-gaussian': '3.35 (EB-and-Flow, NF)',
    'glow-convrbm': '3.36 (EB-and-Flow)',
    'flowpp-gaussian': '3.17 (RBM-Flow paper)',
    'flowpp-multicov': '3.17 (RBM-Flow paper)',
    'flowpp-dflow': '3.19 (D-Flow)',
    'flowpp-rbmflow': '3.18 (RBM-Flow)',
}
# A plain RBM (no flow), EB-and-Flow Table 2.
PLAIN_RBM = {'fashion_mnist': 4.55, 'cifar10': 5.47}

FULL_SIZES = dict(
    nice=dict(num_coupling_layers=4, hidden_units=1000, num_hidden_layers=5),
    glow=dict(num_levels=2, num_steps=4, hidden_channels=128),
    flowpp=dict(num_components=8, hidden_channels=32, num_blocks=2,
                num_checkerboard_steps=2, num_channel_steps=2, num_final_steps=2))
QUICK_SIZES = dict(
    nice=dict(num_coupling_layers=2, hidden_units=64, num_hidden_layers=1),
    glow=dict(num_levels=1, num_steps=1, hidden_channels=8),
    flowpp=dict(num_components=2, hidden_channels=8, num_blocks=1,
                num_checkerboard_steps=1, num_channel_steps=1, num_final_steps=0))


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--configs', nargs='+', default=None, choices=list(CONFIGS),
                      help='rows to run (default: the eight of issue 7; with --ablation the '
                           'eleven Flow++ rows)')
  parser.add_argument('--ablation', action='store_true',
                      help="RBM-Flow's ablation: the Flow++ rows, uniform and variational "
                           'dequantization, our and the paper\'s recipe, FID and IS, at '
                           '--quick sizes, 15 s per row (about 8 minutes)')
  parser.add_argument('--convolutional', action='store_true',
                      help='the three Glow rows: Gaussian, dense and shared convolutional '
                           'RBM bases (EB-and-Flow App. B); with --dataset cifar10, '
                           "EB-and-Flow's CIFAR-10 model: a 3-level Glow and 5x5/4, 3x3/2, "
                           '3x3/1 filter banks onto a 4x4 hidden map of --num-hidden / 16 '
                           'filters')
  parser.add_argument('--dataset', default='fashion_mnist', choices=list(IMAGE_SHAPES),
                      help='the images (default fashion_mnist); cifar10 needs a prepared '
                           'TFDS copy or the python batches (data_batch_1 ... data_batch_5, '
                           'test_batch) in --data-dir, $TFP_RBM_DATA_DIR or their '
                           'cifar-10-batches-py subdirectory, and stops at once without them')
  parser.add_argument('--iw-samples', type=int, default=None,
                      help='noise draws per test image of the importance-weighted bound, '
                           'Flow++ rows (default 16; 8 with --quick or --ablation)')
  parser.add_argument('--fid-samples', type=int, default=None,
                      help='samples (and test images) for FID and IS, Flow++ rows; 0 skips '
                           '(default 1000; 500 with --quick or --ablation)')
  parser.add_argument('--paper-gibbs-steps', type=int, default=200,
                      help="block-Gibbs sweeps per update of the paper's RBM-Flow recipe")
  parser.add_argument('--dequantizer-width', type=int, default=None,
                      help='coupling-network width of the variational dequantizer '
                           '(default 32; 8 with --quick or --ablation)')
  parser.add_argument('--cache-dir', default=None,
                      help='where the FID/IS classifier is cached (default ~/.cache/tfp_rbm)')
  parser.add_argument('--minutes', type=float, default=None,
                      help='training budget per row (default 20; 0.33 with --quick)')
  parser.add_argument('--quick', action='store_true',
                      help='smoke run: tiny flows, 20 s per row, 200 test images, '
                           '100 temperatures, 16 hidden units')
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--num-hidden', type=int, default=None,
                      help='RBM hidden units / smaller spin group (default 512, as '
                           'EB-and-Flow; 16 with --quick; <= 20 adds the exact figure)')
  parser.add_argument('--buffer-size', type=int, default=None,
                      help='persistent chains (default 10000; 1000 with --quick)')
  parser.add_argument('--gibbs-steps', type=int, default=None,
                      help='block-Gibbs sweeps per update (default 25; 5 with --quick)')
  parser.add_argument('--test-images', type=int, default=None,
                      help='test images evaluated (default 10000; 200 with --quick)')
  parser.add_argument('--betas', type=int, default=None,
                      help='AIS / RAISE temperatures (default 1000; 100 with --quick)')
  parser.add_argument('--ais-chains', type=int, default=100)
  parser.add_argument('--ais-base', default='data', choices=['data', 'model'],
                      help="AIS / RAISE start from independent units fit to the latents of "
                           "2,000 training images (`proposal`, default) or from the "
                           "model's own visible bias (field)")
  parser.add_argument('--raise-chains', type=int, default=None,
                      help='RAISE chains per test image (default 10; 2 with --quick)')
  parser.add_argument('--no-xla', action='store_true',
                      help='train without XLA (default: XLA, as for real runs; '
                           'always off with --quick)')
  parser.add_argument('--data-dir', default=None)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--results', default=None,
                      help='JSON-lines file of finished rows: each row is appended when it '
                           'finishes, and rows already there with the same settings are '
                           'reused instead of rerun')
  parser.add_argument('--save-dir', default=None,
                      help='save each trained model (with its persistent chains) as '
                           'DIR/<config>.keras, e.g. for benchmarks/proposals.py')
  device_option.add_device_argument(parser)
  args = parser.parse_args(argv)
  quick = args.quick or args.ablation
  if args.configs is None:
    args.configs = (ABLATION_CONFIGS if args.ablation else
                    CONVOLUTIONAL_CONFIGS if args.convolutional else DEFAULT_CONFIGS)
  for name, full, small in [('minutes', 20., 0.25 if args.ablation else 1. / 3.),
                            ('num_hidden', 512, 16),
                            ('buffer_size', 10000, 1000), ('gibbs_steps', 25, 5),
                            ('test_images', 10000, 500 if args.ablation else 200),
                            ('betas', 1000, 100), ('raise_chains', 10, 2),
                            ('iw_samples', 16, 8), ('fid_samples', 1000, 500),
                            ('dequantizer_width', 32, 8)]:
    if getattr(args, name) is None:
      setattr(args, name, small if quick else full)
  args.sizes = QUICK_SIZES if quick else FULL_SIZES
  args.xla = not (quick or args.no_xla)
  args.image_shape = IMAGE_SHAPES[args.dataset]
  return args


def _event_size(args):
  return int(np.prod(args.image_shape))


def _cifar10_glow(args):
  """EB-and-Flow's CIFAR-10 model at this run's Glow sizes: `FlowModel` arguments.

  A 4 x 4 hidden map: `--num-hidden / 16` filters (at least one).
  """
  glow = args.sizes['glow']
  return specs.eb_and_flow_cifar10(
      num_steps=glow['num_steps'], hidden_channels=glow['hidden_channels'],
      num_filters=max(1, round(args.num_hidden / 16)), seed=args.seed)


def _flow(flow_name, args):
  """The flow's spec. `FlowModel` hands its flow flat vectors: the image flows'
  specs name `args.image_shape`, and the spec builder reshapes to it. On
  CIFAR-10 every Glow row has EB-and-Flow's 3-level Glow."""
  if flow_name == 'glow' and args.dataset == 'cifar10':
    return _cifar10_glow(args)['flow']
  shape = ({'event_size': _event_size(args)} if flow_name == 'nice'
           else {'image_shape': args.image_shape})
  return {'builder': flow_name, 'seed': args.seed, **shape, **args.sizes[flow_name]}


def _base(base_kind, args, recipe='margin'):
  num_hidden, event_size = args.num_hidden, _event_size(args)
  if base_kind == 'convolutional_gaussian_bernoulli_rbm' and args.dataset == 'cifar10':
    # Latents [16, 16, 6], [8, 8, 12], [4, 4, 48]: strides 4, 2, 1 onto a 4x4 map.
    return _cifar10_glow(args)['base']
  if base_kind == 'convolutional_gaussian_bernoulli_rbm':
    # Latents [14, 14, c] (and [7, 7, 8]): stride 2, then 1, onto a 7x7 map.
    num_levels = args.sizes['glow']['num_levels']
    return {'kind': base_kind, 'kernel_sizes': [3] * num_levels,
            'strides': [2, 1][:num_levels], 'num_filters': max(1, round(num_hidden / 49))}
  if base_kind == 'gaussian_bernoulli_rbm':
    return {'kind': base_kind, 'num_hidden': num_hidden}
  if base_kind == 'smoothed_rbm' and recipe == 'paper':
    return {'kind': base_kind, 'first_group_size': event_size - num_hidden, 'delta': 2.5,
            'max_norm': 1.0, 'weight_scale': 0.0}
  if base_kind == 'smoothed_rbm':
    return {'kind': base_kind, 'first_group_size': event_size - num_hidden}
  if base_kind == 'discrete_mixture' and recipe == 'paper':
    return {'kind': base_kind, 'initial_delta': 1.0, 'trainable_delta': False}
  return {'kind': base_kind}


def _config(name):
  """`(flow, base kind, recipe, dequantization)` of a row."""
  flow_name, base_kind, recipe, dequantization = CONFIGS[name] + ('margin', 'uniform')[
      len(CONFIGS[name]) - 2:]
  return flow_name, base_kind, recipe, dequantization


def _pixel_batches(images, batch_size, seed, shuffle=False):
  """Flat uint8 batches: the data of a model with variational dequantization."""
  flat = tf.data.Dataset.from_tensor_slices(images.reshape([len(images), -1]))
  if shuffle:
    flat = flat.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
  return flat.batch(batch_size, drop_remainder=shuffle)


class _TimeBudget(keras.callbacks.Callback):
  """Stops `fit` once `seconds` have passed since the end of the first (compiling) step."""

  def __init__(self, seconds):
    super().__init__()
    self.seconds = seconds
    self.steps = 0

  def on_train_batch_end(self, batch, logs=None):
    self.steps += 1
    if self.steps == 1:
      self.start = time.time()
    elif time.time() - self.start >= self.seconds:
      self.model.stop_training = True


def _proposal(model, train_images, args):
  """`base.proposal` of the latents of 2,000 training images, or None."""
  if args.ais_base == 'model':
    return None
  batches = tfp_rbm.datasets.dequantized_batches(train_images[:2000], 500, args.seed + 3)
  # One tensor, or (a base over the flow's levels) one list of level tensors per batch.
  latents = tf.nest.map_structure(lambda *parts: tf.concat(parts, axis=0),
                                  *[model.flow.inverse(x) for x in batches])
  return model.base.fit_proposal(latents)


def _evaluate(model, train_images, test_images, args):
  """Test bits/dim: exact for exact bases; AIS, RAISE and (small) exact for RBM bases.

  A Gaussian-Bernoulli RBM base goes through `evaluation.evaluate_flow`
  (AIS, RAISE and, when enumerable, exact). RAISE does not apply to the
  smoothed RBM (its chains run over spins, not the latent): its rows get AIS
  and, when enumerable, the exact figure, from the unnormalized bits/dim
  that `model.evaluate` reports. Any estimate of log Z shifts bits/dim by
  `log Z / (D log 2)`.
  """
  to_bits = lambda log_z: float(log_z) / (_event_size(args) * np.log(2.))
  proposal = (None if model.chains is None
                    else _proposal(model, train_images, args))
  if isinstance(model.base, tfp_rbm.distributions.RestrictedBoltzmannMachine):
    result = evaluation.evaluate_flow(
        model, test_images, num_chains=args.ais_chains,
        num_chains_per_point=args.raise_chains, betas=args.betas, proposal=proposal,
        seed=(args.seed, 1))
    ais, ais_bits = result.log_normalizer, result.bits_per_dim_ais
    evaluated = {'ais': ais_bits, 'raise': result.bits_per_dim_raise,
                 'exact': result.bits_per_dim_exact}
  else:
    test = (_pixel_batches(test_images, 500, args.seed + 2) if model.dequantizer is not None
            else tfp_rbm.datasets.dequantized_batches(test_images, 500, args.seed + 2))
    metrics = model.evaluate(test, return_dict=True, verbose=0)
    if model.chains is None:  # Exact density.
      return dict(exact=float(metrics['bits_per_dim']))
    unnormalized = float(metrics['unnormalized_bits_per_dim'])
    ais = evaluation.log_normalizer(model.base, method='ais', num_chains=args.ais_chains,
                                    betas=args.betas, proposal=proposal,
                                    seed=(args.seed, 1))
    ais_bits = unnormalized + to_bits(ais.log_normalizer)
    try:
      exact = unnormalized + to_bits(model.base.exact_log_normalizer())
    except ValueError:  # More than max_enumeration_bits units to enumerate.
      exact = None
    evaluated = {'ais': ais_bits, 'exact': exact}
  # A larger log Z gives more bits/dim: `lower` bounds them below.
  evaluated['ais_spread'] = tuple(ais_bits + to_bits(bound - ais.log_normalizer)
                                  for bound in (ais.lower, ais.upper))
  return {k: v for k, v in evaluated.items() if v is not None}


def _sample_quality(model, test_images, extractor, args):
  """The importance-weighted bits/dim, and FID and IS of the model's samples."""
  if model.base_log_normalizer is not None:  # The IW bound needs log Z: exact, else AIS.
    try:
      model.set_log_normalizer(model.base.exact_log_normalizer())
    except ValueError:
      model.set_log_normalizer(evaluation.log_normalizer(
          model.base, method='ais', num_chains=args.ais_chains, betas=args.betas,
          seed=(args.seed, 1)).log_normalizer)
  result = dict(iw=evaluation.importance_weighted_log_prob(
      model, test_images, num_samples=args.iw_samples, seed=(args.seed, 4)).bits_per_dim)
  if extractor is not None:
    samples = model.sample(args.fid_samples, seed=(args.seed, 5)).numpy()
    scores = evaluation.score_samples(extractor, test_images[:args.fid_samples], samples)
    result.update(fid=scores['fid'], inception_score=scores['inception_score'])
  return result


def _model(name, args):
  """The row's `FlowModel`, built and not yet compiled or trained."""
  flow_name, base_kind, recipe, dequantization = _config(name)
  gibbs_steps = (args.paper_gibbs_steps if (base_kind, recipe) == ('smoothed_rbm', 'paper')
                 else args.gibbs_steps)
  return FlowModel(_event_size(args), base=_base(base_kind, args, recipe),
                   flow=_flow(flow_name, args),
                   preprocessing={'alpha': 0.05}, buffer_size=args.buffer_size,
                   num_gibbs_steps=gibbs_steps, seed=args.seed,
                   dequantization=(dequantization if dequantization == 'uniform' else
                                   {'kind': 'variational',
                                    'hidden_units': args.dequantizer_width}))


def _run(name, train_images, test_images, args, extractor=None):
  flow_name, _, _, dequantization = _config(name)
  model = _model(name, args)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), jit_compile=args.xla)
  if dequantization == 'variational':  # The pixels; the model draws the noise.
    batches = _pixel_batches(train_images, args.batch_size, args.seed, shuffle=True).repeat()
  else:  # Shuffled flat batches of (pixel + u) / 256, fresh noise every step.
    batches = tfp_rbm.datasets.dequantized_batches(train_images, args.batch_size, args.seed,
                                                   shuffle=True).repeat()
  model.initialize(next(iter(batches)))
  budget = _TimeBudget(60. * args.minutes)
  steps_per_epoch = len(train_images) // args.batch_size
  start = time.time()
  model.fit(batches, epochs=10_000, steps_per_epoch=steps_per_epoch, verbose=0,
            shuffle=False, callbacks=[budget])
  train_seconds = time.time() - start
  if args.save_dir:
    os.makedirs(args.save_dir, exist_ok=True)
    model.save(os.path.join(args.save_dir, f'{name}.keras'))
  start = time.time()
  result = _evaluate(model, train_images, test_images, args)
  if flow_name == 'flowpp':
    result.update(_sample_quality(model, test_images, extractor, args))
  result.update(name=name, steps=budget.steps, epochs=budget.steps / steps_per_epoch,
                train_seconds=train_seconds, eval_seconds=time.time() - start,
                skipped=int(model.skipped_updates.numpy()),
                parameters=int(sum(np.prod(v.shape) for v in model.trainable_variables)))
  return result


def _fmt(value):
  return '-' if value is None else f'{value:.3f}'


def _print_table(results, args):
  print()
  title = TITLES[args.dataset]
  print(f'{title} test bits/dim ({args.test_images} test images, the same '
        f'dequantization for every row of a kind); {args.minutes:.2f} min of training per row; '
        f'{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, '
        f"XLA {'on' if args.xla else 'off'}")
  header = (f"{'config':23s} {'params':>9s} {'steps':>6s} {'epochs':>6s} {'exact':>7s} "
            f"{'AIS':>7s} {'RAISE':>7s} {'AIS 3 s.e.':>15s} {'IW':>7s} {'FID':>7s} {'IS':>5s}"
            f'  paper ({title})')
  print(header)
  print('-' * len(header))
  for r in results:
    spread = r.get('ais_spread')
    spread = '-' if spread is None else f'{spread[0]:.3f}..{spread[1]:.3f}'
    paper = ((PAPER_CIFAR10.get(r['name']) or 'none published') if args.dataset == 'cifar10'
             else PAPER.get(r['name']) or 'none published (CIFAR-10 only)')
    print(f"{r['name']:23s} {r['parameters']:9d} {r['steps']:6d} {r['epochs']:6.2f} "
          f"{_fmt(r.get('exact')):>7s} {_fmt(r.get('ais')):>7s} {_fmt(r.get('raise')):>7s} "
          f"{spread:>15s} {_fmt(r.get('iw')):>7s} {_fmt(r.get('fid')):>7s} "
          f"{'-' if r.get('inception_score') is None else format(r['inception_score'], '.2f'):>5s}"
          f'  {paper}')
  print(f'Paper reference, EB-and-Flow Table 2: a plain RBM (no flow) '
        f'{PLAIN_RBM[args.dataset]} on {title}.')
  print('AIS tends to be optimistic (low), RAISE conservative (high); the AIS 3 s.e. range '
        'comes from the spread of the AIS weights.')
  if any('iw' in r for r in results):
    print(f'Rows ending in -vd: exact/AIS are the variational bound (one draw of q per image). '
          f'IW: the importance-weighted bound, {args.iw_samples} draws per image (uniform or '
          f'variational noise as the row trained). FID/IS: {args.fid_samples} samples against '
          f"{args.fid_samples} test images in a {title} classifier's feature space "
          '(comparable between rows only).')
  if any(r['skipped'] for r in results):
    print('Skipped (non-finite) updates:',
          {r['name']: r['skipped'] for r in results if r['skipped']})
  by_name = {r['name']: r for r in results}
  for flow_name in ('nice', 'glow', 'flowpp'):
    gaussian = by_name.get(f'{flow_name}-gaussian')
    if gaussian is None:
      continue
    for rbm_name in (f'{flow_name}-rbm', f'{flow_name}-convrbm', f'{flow_name}-rbmflow'):
      rbm = by_name.get(rbm_name)
      if rbm is None:
        continue
      reference = gaussian['exact']
      conservative = rbm.get('exact', rbm.get('raise'))
      optimistic = rbm.get('ais')
      if conservative is not None and conservative <= reference:
        verdict = 'RBM base no worse than the Gaussian base'
      elif optimistic is not None and optimistic <= reference:
        verdict = 'undecided: only the optimistic AIS figure is at or below the Gaussian'
      else:
        verdict = 'RBM base worse than the Gaussian base at this budget'
      figures = ', '.join(f'{k} {rbm[k] - reference:+.3f}' for k in ('exact', 'ais', 'raise')
                          if k in rbm)
      print(f'{rbm_name} vs {flow_name}-gaussian: {figures} bits/dim -> {verdict}')
  _print_ablation(by_name)


def _print_ablation(by_name):
  """Variational against uniform noise, and each base's FID against the Gaussian's."""
  for name, row in by_name.items():
    uniform = by_name.get(name[:-len('-vd')]) if name.endswith('-vd') else None
    if uniform is None or 'iw' not in row or 'iw' not in uniform:
      continue
    bound = lambda r: r.get('exact', r.get('ais'))
    verdict = 'variational better' if row['iw'] < uniform['iw'] else 'variational not better'
    print(f"{name} vs {uniform['name']}: bound {bound(row) - bound(uniform):+.3f}, IW "
          f"{row['iw'] - uniform['iw']:+.3f} bits/dim -> {verdict}")
  for suffix in ('', '-vd'):
    gaussian = by_name.get(f'flowpp-gaussian{suffix}')
    if gaussian is None or gaussian.get('fid') is None:
      continue
    for other in ('multicov', 'dflow', 'dflow-paper', 'rbmflow', 'rbmflow-paper'):
      row = by_name.get(f'flowpp-{other}{suffix}')
      if row is None or row.get('fid') is None:
        continue
      print(f"{row['name']} vs {gaussian['name']}: IW {row['iw'] - gaussian['iw']:+.3f} "
            f"bits/dim, FID {row['fid'] - gaussian['fid']:+.3f} "
            f"({'better' if row['fid'] < gaussian['fid'] else 'worse'}), IS "
            f"{row['inception_score'] - gaussian['inception_score']:+.2f}")


def _settings(args):
  """Everything but the row names and the results file that a row's figures depend on.

  The image shape follows from the data set, and the default data set is left out,
  so that rows stored before `--dataset` existed are still reused.
  """
  return {k: v for k, v in sorted(vars(args).items())
          if k not in ('configs', 'results', 'save_dir', 'cache_dir', 'image_shape')
          and not (k == 'dataset' and v == 'fashion_mnist')}


def _load_images(args):
  """`(train, test)` uint8 images of `args.dataset`; exits with the loader's message if absent."""
  try:
    return tuple(tfp_rbm.datasets.load_numpy(args.dataset, split, data_dir=args.data_dir)
                 for split in ('train', 'test'))
  except (FileNotFoundError, ValueError) as error:  # No files; a --data-dir that is no directory.
    raise SystemExit(
        f'--dataset {args.dataset}: cannot load the {TITLES[args.dataset]} images (the '
        f"loader's `data_dir` below is this script's --data-dir):\n{error}") from error


def _finished_rows(args):
  """Rows in `args.results` run with the current settings, by name."""
  if not args.results or not os.path.exists(args.results):
    return {}
  settings = json.loads(json.dumps(_settings(args)))  # Tuples as lists, as stored.
  with open(args.results) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return {row['result']['name']: row['result'] for row in rows if row['settings'] == settings}


def main(argv=None):
  args = _parse_args(argv)
  train_images, test_images = _load_images(args)  # First: without the files, stop at once.
  test_images = test_images[:args.test_images]
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    keras.utils.set_random_seed(args.seed)
    print(f'tfp_rbm {tfp_rbm.__version__}, TensorFlow {tf.__version__}: '
          f'{TITLES[args.dataset]}, '
          f'{len(train_images)} train / {len(test_images)} test images; '
          f'rows: {", ".join(args.configs)}')
    finished = _finished_rows(args)
    extractor = None
    if args.fid_samples and any(_config(name)[0] == 'flowpp' for name in args.configs):
      start = time.time()
      extractor = evaluation.ClassifierFeatures.for_dataset(
          args.dataset, cache_dir=args.cache_dir, data_dir=args.data_dir)
      print(f'FID/IS classifier: {TITLES[args.dataset]} test accuracy '
            f'{extractor.test_accuracy:.3f} '
            f'(loaded or trained and cached in {time.time() - start:.0f} s)', flush=True)
    results = []
    for name in args.configs:
      if name in finished:
        print(f'{name}: reused from {args.results}', flush=True)
        results.append(finished[name])
        continue
      result = _run(name, train_images, test_images, args, extractor)
      print(f"{name}: {result['steps']} steps in {result['train_seconds']:.0f} s, "
            f"evaluated in {result['eval_seconds']:.0f} s", flush=True)
      if args.results:
        with open(args.results, 'a') as f:
          f.write(json.dumps({'settings': _settings(args), 'result': result}, default=float) + '\n')
      results.append(result)
    _print_table(results, args)
    return results


if __name__ == '__main__':
  main()
