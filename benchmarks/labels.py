"""Benchmark: semi-supervised flows with labels, at an equal wall-clock budget (issue 18).

Five models by default, each trained for the same `--seconds` (counted
from the end of the first, compiling step) with 100, 1,000 and all labels,
the rest of the training images unlabelled (`y = -1`):

  rbm-flow        logit pre-processing + `--flow` + the labelled Gaussian-Bernoulli
                  RBM base (EB-and-Flow §5.1), eq. 9 through persistent chains;
                  the spec's start (a hidden unit per class) and `initialize`'s
                  (the RBM's visible units standardised on the latents)
  rbm-flow-exact  the same RBM flow with `--exact-num-hidden` hidden units (12),
                  trained on the exact eq. 9: its log Z enumerated in every
                  step, no chains (`FlowModel(exact_training=True)`)
  flowgmm         the same flow + FlowGMM's class-conditional Gaussian mixture
                  (Izmailov et al. 2019), the exact eq. 9; a trainable scale
                  per class and dimension
  hybrid-ebm      the EBM chapter's hybrid classifier (Tomczak, §6.2-6.4): an MLP
                  `NN(u)` on the pre-processed pixels `u`, `E(u, y) = -NN(u)[y]`,
                  `p(y | u)` its softmax; the generative term's `grad log Z` from
                  persistent chains moved by unadjusted Langevin dynamics
                  (`tfp.mcmc.UncalibratedLangevin`)
  discriminative  the same MLP trained on the labelled images alone (cross-entropy)

Two more FlowGMMs on request (`--models`): `flowgmm-isotropic`, one scale
per class as the FlowGMM authors' code keeps it (the spec's
`isotropic=True`), and `flowgmm-unit-scale`, every scale fixed at 1
(`trainable_scale=False`); the targets are then judged against each.

The flow models share one flow, `--flow`: `realnvp` (the default; affine
couplings, so the flow changes volume with the data) or `nice` (additive,
volume-preserving couplings); 4 couplings of 2-layer ReLU MLPs either way,
benchmarks/README.md compares them. The MLP is as wide as makes its
parameter count match the flow's. Its
energy gets a fixed Gaussian envelope `log q(u)` (the training pixels'
per-dimension moments in logit space), `log p~(u, y) = NN(u)[y] + log q(u)`,
which keeps `Z` finite whatever `NN` learns and leaves `p(y | u)` unchanged.
The labelled terms weigh `lambda` (`--label-weight`, default
`N / N_labelled`) in every semi-supervised model. Every model trains with
Adam at `--learning-rate` (default 1e-3 on Fashion-MNIST, 3e-3 on the
digits: at 3e-3 on Fashion-MNIST the RBM flow's classifier swings between
classes and ends at 0.38-0.42; benchmarks/README.md).

Test figures on `--test-images` images with one fixed dequantization:
accuracy of `argmax p(y | x)`; bits/dim (docs/math.md §6) exact for FlowGMM,
exact for the RBM up to 20 hidden units (its 2^num_hidden hidden states
enumerated; above, its targets use AIS) with AIS and RAISE beside it (`tfp_rbm.evaluation.evaluate_flow`, from independent units
fit to training latents); for the hybrid EBM, AIS with Metropolis-adjusted
Langevin transitions (`tfp.mcmc.sample_annealed_importance_chain`) from the
envelope `q`: an estimate, optimistic in expectation, and the chapter's point
that such models are hard to evaluate. Class-conditional samples (one row
per class) go to `--output/labels_<n>.png`: block Gibbs with the label
clamped for the RBM, exact for FlowGMM, Langevin on `NN(u)[y] + log q(u)`
for the EBM.

Data: the shipped 8x8 digits by default (12 rows in about 6 minutes on 2
cores); `--dataset fashion_mnist` (or `auto`: Fashion-MNIST when
`tfp_rbm.datasets` finds it, through TFDS, local IDX files or
/usr/share/datasets/fashion-mnist, else the digits) takes a minute or more
per row at the same budget.

Usage:
  python benchmarks/labels.py                    # the digits, about 6 minutes
  python benchmarks/labels.py --dataset fashion_mnist --seconds 60 --output labels_out
  python benchmarks/labels.py --quick            # smoke run
"""

import argparse
import itertools
import math
import os
import platform
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_rbm
from tfp_rbm import evaluation
from tfp_rbm.image_grid import save_image_grids_side_by_side
from tfp_rbm.keras import FlowModel

import device_option  # benchmarks/device_option.py: the --device option

MODELS = ('rbm-flow', 'rbm-flow-exact', 'flowgmm', 'hybrid-ebm', 'discriminative')
# The two ways of training the labelled RBM flow: `FlowModel`'s `exact_training`, by name.
RBM_FLOWS = {'rbm-flow': False, 'rbm-flow-exact': True}
# FlowGMM's base spec options, by model name.
FLOWGMMS = {'flowgmm': {}, 'flowgmm-isotropic': {'isotropic': True},
            'flowgmm-unit-scale': {'trainable_scale': False}}
ALPHA = 0.05


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--quick', action='store_true',
                      help='smoke run: the digits, 3 s per row, 100 test images, '
                           '50 temperatures')
  parser.add_argument('--dataset', default='digits', choices=['digits', 'fashion_mnist', 'auto'],
                      help='the shipped 8x8 digits (default: the 6-minute run), Fashion-MNIST, '
                           'or auto: Fashion-MNIST when it can be found, else the digits')
  parser.add_argument('--data-dir', default=None)
  parser.add_argument('--labels', nargs='+', default=['100', '1000', 'all'],
                      help="labelled training images per run ('all' for every one)")
  parser.add_argument('--models', nargs='+', default=list(MODELS),
                      choices=sorted(set(MODELS) | set(FLOWGMMS)),
                      help='models trained (default: the four above; add flowgmm-isotropic or '
                           'flowgmm-unit-scale for the FlowGMM variants)')
  parser.add_argument('--seconds', type=float, default=None,
                      help='training budget per row (default 15; 3 with --quick)')
  parser.add_argument('--batch-size', type=int, default=64)
  parser.add_argument('--learning-rate', type=float, default=None,
                      help="Adam's step size for every model (default 1e-3 on Fashion-MNIST, "
                           '3e-3 on the digits: at 3e-3 the RBM flow\'s classifier on '
                           'Fashion-MNIST swings between classes and falls to 0.38-0.42)')
  parser.add_argument('--label-weight', type=float, default=None,
                      help='lambda of the labelled terms (default N / N_labelled)')
  parser.add_argument('--classification-weight', type=float, default=0.,
                      help='gamma of an added sum_L log p(y | x) in both flows (0: eq. 9)')
  parser.add_argument('--num-hidden', type=int, default=16,
                      help='hidden units of the RBM (<= 20: exact log Z; more: AIS and RAISE only)')
  parser.add_argument('--exact-num-hidden', type=int, default=12,
                      help='hidden units of rbm-flow-exact, whose log Z is enumerated in every '
                           'step (default 12: at 16, its log Z and gradient take 6-10 ms of a '
                           '10 ms flow step on 2 cores)')
  parser.add_argument('--weight-scale', type=float, default=None,
                      help="initial scale of the RBM's weights off the class units (default: "
                           "the spec's, 0.01)")
  parser.add_argument('--class-unit-strength', type=float, default=None,
                      help="the spec's `class_unit_strength` (default: the spec's, "
                           '3 sqrt(D); 0 for the symmetric start, label weights ~ '
                           'N(0, weight_scale^2))')
  parser.add_argument('--gibbs-steps', type=int, default=10,
                      help="block-Gibbs sweeps of the RBM's persistent chains per step")
  parser.add_argument('--flow', default='realnvp', choices=['realnvp', 'nice'],
                      help="the flows' builder (tfp_rbm.flows): 4 couplings, affine or additive")
  parser.add_argument('--hidden-units', type=int, default=None,
                      help="width of the flow's coupling networks (default 256; 64 on the digits)")
  parser.add_argument('--langevin-steps', type=int, default=20,
                      help='Langevin steps per update of the hybrid EBM')
  parser.add_argument('--langevin-step-size', type=float, default=1e-2)
  parser.add_argument('--test-images', type=int, default=None,
                      help='test images evaluated (default 500; 100 with --quick)')
  parser.add_argument('--betas', type=int, default=None,
                      help='AIS / RAISE temperatures (default 300; 50 with --quick)')
  parser.add_argument('--samples-per-class', type=int, default=8)
  parser.add_argument('--output', default='labels_benchmark',
                      help='folder for the class-conditional sample grids')
  parser.add_argument('--no-xla', action='store_true', help='train without XLA')
  parser.add_argument('--seed', type=int, default=0)
  device_option.add_device_argument(parser)
  args = parser.parse_args(argv)
  for name, full, small in [('seconds', 15., 3.), ('test_images', 500, 100), ('betas', 300, 50)]:
    if getattr(args, name) is None:
      setattr(args, name, small if args.quick else full)
  if args.quick:
    args.dataset = 'digits'
  return args


def _learning_rate(args, name):
  """`--learning-rate`, else 1e-3 on Fashion-MNIST and 3e-3 on the digits (docs/labels.md)."""
  if args.learning_rate is not None:
    return args.learning_rate
  return 1e-3 if name == 'fashion_mnist' else 3e-3


def _load(args):
  """`(name, train images, train labels, test images, test labels)`, uint8 `[N, D]`."""
  name = args.dataset
  if name == 'auto':
    name = tfp_rbm.datasets.first_available(['fashion_mnist', 'digits'], data_dir=args.data_dir)
  train, train_y = tfp_rbm.datasets.load_numpy(name, 'train', data_dir=args.data_dir,
                                               with_labels=True)
  test, test_y = tfp_rbm.datasets.load_numpy(name, 'test', data_dir=args.data_dir,
                                             with_labels=True)
  train, test = train.reshape([len(train), -1]), test.reshape([len(test), -1])
  return (name, train, train_y.astype(np.int32), test[:args.test_images],
          test_y[:args.test_images].astype(np.int32))


def _semi_supervised_labels(labels, num_labelled, seed):
  """`labels` with all but `num_labelled` (balanced over classes) set to -1."""
  if num_labelled >= len(labels):
    return labels.copy()
  rng = np.random.default_rng(seed)
  classes = np.unique(labels)
  keep = np.concatenate([rng.permutation(np.flatnonzero(labels == k))[
      :num_labelled // len(classes) + (k < num_labelled % len(classes))] for k in classes])
  semi = np.full_like(labels, -1)
  semi[keep] = labels[keep]
  return semi


def _batches(images, labels, batch_size, seed):
  """Endless shuffled batches `(x, y)`, `x = (pixel + u) / 256` with fresh noise."""
  dataset = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(
      len(images), seed=seed).repeat().batch(batch_size, drop_remainder=True)

  def dequantize(x, y):
    return (tf.cast(x, tf.float32) + tf.random.uniform(tf.shape(x), seed=seed)) / 256., y

  return dataset.map(dequantize)


class _Budget:
  """Training steps counted, and spent once `seconds` have passed since the first step's end.

  The first step traces and compiles, which costs each model differently.
  """

  def __init__(self, seconds):
    self.seconds = seconds
    self.steps = 0
    self.start = None
    self.end = None

  def tick(self):
    """Counts a finished step; returns whether the budget is spent."""
    self.steps += 1
    self.end = time.time()
    if self.steps == 1:
      self.start = self.end
    return self.end - self.start >= self.seconds

  def seconds_per_step(self):
    return (self.end - self.start) / max(self.steps - 1, 1)


class _StopWhenSpent(keras.callbacks.Callback):

  def __init__(self, budget):
    super().__init__()
    self.budget = budget

  def on_train_batch_end(self, batch, logs=None):
    if self.budget.tick():
      self.model.stop_training = True


def _flow(event_size, args):
  width = args.hidden_units or (256 if event_size > 100 else 64)
  return {'builder': args.flow, 'event_size': event_size, 'num_coupling_layers': 4,
          'hidden_units': width, 'num_hidden_layers': 2, 'seed': args.seed}


def _parameters(variables):
  return int(sum(np.prod(v.shape) for v in variables))


# -- The two flows -----------------------------------------------------------------


def _train_flow(kind, data, labels, label_weight, args):
  _, train, _, _, _ = data
  event_size = train.shape[1]
  num_classes = int(data[2].max()) + 1
  if kind in RBM_FLOWS:  # The spec's defaults: one hidden unit per class (issue 18).
    base = {'kind': 'labeled_gaussian_bernoulli_rbm', 'num_classes': num_classes,
            'num_hidden': args.exact_num_hidden if RBM_FLOWS[kind] else args.num_hidden}
    for key in ('weight_scale', 'class_unit_strength'):
      if getattr(args, key) is not None:
        base[key] = getattr(args, key)
  else:
    base = {'kind': 'class_conditional_gaussian_mixture', 'num_classes': num_classes,
            **FLOWGMMS[kind]}
  model = FlowModel(event_size, base=base, flow=_flow(event_size, args),
                    preprocessing={'alpha': ALPHA}, buffer_size=1000,
                    num_gibbs_steps=args.gibbs_steps,
                    label_weight=label_weight,
                    classification_weight=args.classification_weight, seed=args.seed,
                    exact_training=RBM_FLOWS.get(kind, False))
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                jit_compile=not (args.no_xla or args.quick))
  batches = _batches(train, labels, args.batch_size, args.seed)
  # ActNorm's and the labelled RBM's data-dependent start (its visible units standardised).
  model.initialize(tfp_rbm.datasets.dequantize(train[:1000], seed=[args.seed, 1]))
  budget = _Budget(args.seconds)
  model.fit(batches, epochs=1_000_000, steps_per_epoch=50, verbose=0,
            callbacks=[_StopWhenSpent(budget)])
  return model, budget


def _evaluate_flow(model, kind, data, x_test, args):
  _, train, _, test, test_y = data
  row = {'accuracy': float(np.mean(model.predict_classes(x_test).numpy() == test_y))}
  # Exact bits/dim where log Z is: FlowGMM always, the RBM up to 2^max_enumeration_bits.
  if kind not in RBM_FLOWS or model.base.num_hidden <= model.base.max_enumeration_bits:
    row['bits_per_dim'] = float(np.mean(evaluation.bits_per_dim(
        model.log_prob(x_test), x_test.shape[1])))
  if kind in RBM_FLOWS:
    x_train = tfp_rbm.datasets.dequantize(train[:2000], seed=[args.seed, 3])
    proposal = model.base.fit_proposal(model.flow.inverse(x_train))
    result = evaluation.evaluate_flow(model, test, num_chains=100, num_chains_per_point=5,
                                      betas=args.betas, proposal=proposal,
                                      seed=(args.seed, 4))
    row.update(ais=result.bits_per_dim_ais, raise_=result.bits_per_dim_raise)
  return row


def _flow_samples(model, num_classes, args):
  labels = np.repeat(np.arange(num_classes, dtype=np.int32), args.samples_per_class)
  return model.sample(len(labels), seed=(args.seed, 5), labels=labels).numpy()


# -- The hybrid EBM and the discriminative classifier -------------------------------


def _mlp(event_size, num_classes, target_parameters):
  """Two hidden swish layers of the width whose parameter count is nearest the target."""
  a, b = 1., event_size + num_classes + 2.
  width = max(8, int(round((-b + math.sqrt(b * b + 4 * a * (target_parameters
                                                            - num_classes))) / 2)))
  return keras.Sequential([keras.Input([event_size]),
                           keras.layers.Dense(width, activation='swish'),
                           keras.layers.Dense(width, activation='swish'),
                           keras.layers.Dense(num_classes)])


class _Envelope:
  """The fixed Gaussian `q(u)` of the training pixels in logit space: the EBM's `beta = 0`."""

  def __init__(self, u):
    self.distribution = tfp.distributions.MultivariateNormalDiag(
        tf.reduce_mean(u, 0), tf.math.reduce_std(u, 0) + 0.1)

  def log_prob(self, u):
    return self.distribution.log_prob(u)

  def sample(self, n, seed):
    return self.distribution.sample(n, seed=seed)


class _LangevinClassifier:
  """`NN(u)`: the hybrid EBM (`generative=True`) or the discriminative classifier.

  The hybrid's loss has the gradient of `-(1/N) [sum_U log p(u) + lambda sum_L
  log p(u, y)]` (eq. 6.26 with the chapter's estimate 6.25 of `grad log Z`)
  with `log p(u, y) = log softmax(NN(u))_y + logsumexp_y NN(u) + log q(u) -
  log Z`; the discriminative loss is the mean cross-entropy of the labelled.
  """

  def __init__(self, network, envelope, generative, label_weight, args):
    self.network = network
    self.envelope = envelope
    self.generative = generative
    self.label_weight = float(label_weight)
    self.step_size = args.langevin_step_size
    self.num_langevin_steps = args.langevin_steps
    self.optimizer = keras.optimizers.Adam(args.learning_rate)
    self.preprocessing = tfp_rbm.bijectors.logit_preprocessing(alpha=ALPHA)
    self.chains = tf.Variable(envelope.sample(1000, seed=(args.seed, 6)), trainable=False)
    self.step = tf.Variable(0, dtype=tf.int32, trainable=False)
    self.seed = args.seed
    # Graph mode, no XLA: compiling the Langevin loops costs more than they save here.
    self.train_step = tf.function(self._train_step)
    self.ais_log_normalizer = tf.function(self._ais_log_normalizer)

  def log_unnormalized(self, u):
    """`log p~(u) = logsumexp_y NN(u)[y] + log q(u)`."""
    return tf.reduce_logsumexp(self.network(u), axis=-1) + self.envelope.log_prob(u)

  def langevin(self, u, num_steps, seed, log_prob_fn=None):
    """`num_steps` unadjusted Langevin steps `u + eps/2 grad log p~(u) + sqrt(eps) xi`."""
    return tfp.mcmc.sample_chain(
        num_results=1, num_burnin_steps=num_steps - 1, current_state=u, trace_fn=None,
        kernel=tfp.mcmc.UncalibratedLangevin(log_prob_fn or self.log_unnormalized,
                                             self.step_size),
        seed=seed)[0]

  def _negative_samples(self, batch_size):
    """Persistent chains: a batch of them moved on, 5% restarted from `q`."""
    seed = tf.stack([tf.constant(self.seed), self.step])
    pick_seed, restart_seed, noise_seed, chain_seed = tfp.random.split_seed(seed, 4)
    index = tf.random.stateless_uniform([batch_size], pick_seed, 0, 1000, tf.int32)
    start = tf.gather(self.chains, index)
    restart = tf.random.stateless_uniform([batch_size, 1], restart_seed) < 0.05
    start = tf.where(restart, self.envelope.sample(batch_size, noise_seed), start)
    samples = self.langevin(start, self.num_langevin_steps, chain_seed)
    self.chains.scatter_nd_update(index[:, tf.newaxis], samples)
    return tf.stop_gradient(samples)

  def _train_step(self, x, labels):
    u = self.preprocessing.inverse(x)
    labelled = labels >= 0
    safe_labels = tf.maximum(labels, 0)
    negative = self._negative_samples(tf.shape(u)[0]) if self.generative else None
    with tf.GradientTape() as tape:
      logits = self.network(u)
      log_posterior = -tf.nn.sparse_softmax_cross_entropy_with_logits(safe_labels, logits)
      if self.generative:
        weights = tf.where(labelled, self.label_weight, 1.)
        data_term = tf.reduce_logsumexp(logits, -1) + tf.where(labelled, log_posterior, 0.)
        model_term = tf.reduce_mean(tf.reduce_logsumexp(self.network(negative), -1))
        loss = -tf.reduce_mean(weights * data_term) + tf.reduce_mean(weights) * model_term
      else:
        count = tf.maximum(tf.reduce_sum(tf.cast(labelled, tf.float32)), 1.)
        loss = -tf.reduce_sum(tf.where(labelled, log_posterior, 0.)) / count
    variables = self.network.trainable_variables
    self.optimizer.apply(tape.gradient(loss, variables), variables)
    self.step.assign_add(1)
    return loss

  def log_prob(self, x, log_normalizer):
    u = self.preprocessing.inverse(x)
    return (self.log_unnormalized(u) - log_normalizer
            + self.preprocessing.inverse_log_det_jacobian(x, event_ndims=1))

  def _ais_log_normalizer(self, num_chains, betas, seed):
    """log Z of `p~(u)` by AIS from `q` along `q(u) exp(beta NN-logsumexp)`, MALA moves."""
    _, weights, _ = tfp.mcmc.sample_annealed_importance_chain(
        num_steps=betas, proposal_log_prob_fn=self.envelope.log_prob,
        target_log_prob_fn=self.log_unnormalized,
        current_state=self.envelope.sample(num_chains, seed=seed),
        make_kernel_fn=lambda target: tfp.mcmc.MetropolisAdjustedLangevinAlgorithm(
            target, step_size=self.step_size),
        seed=seed)
    return tf.reduce_logsumexp(weights) - tf.math.log(float(num_chains))

  def conditional_samples(self, num_classes, per_class, seed):
    labels = np.repeat(np.arange(num_classes), per_class)
    one_hot = tf.one_hot(labels, num_classes)

    def log_joint(u):
      return tf.reduce_sum(one_hot * self.network(u), -1) + self.envelope.log_prob(u)

    start = self.envelope.sample(len(labels), seed=seed)
    u = tf.function(lambda s: self.langevin(s, 300, seed, log_joint))(start)
    return self.preprocessing.forward(u).numpy()


def _train_mlp(kind, data, labels, label_weight, flow_parameters, args):
  _, train, train_y, _, _ = data
  keras.utils.set_random_seed(args.seed)
  num_classes = int(train_y.max()) + 1
  network = _mlp(train.shape[1], num_classes, flow_parameters)
  x_all = tfp_rbm.datasets.dequantize(train[:5000], seed=[args.seed, 7])
  envelope = _Envelope(tfp_rbm.bijectors.logit_preprocessing(alpha=ALPHA).inverse(x_all))
  model = _LangevinClassifier(network, envelope, kind == 'hybrid-ebm', label_weight, args)
  if kind == 'discriminative':  # Only the labelled images.
    train, labels = train[labels >= 0], labels[labels >= 0]
  batches = iter(_batches(train, labels, min(args.batch_size, len(train)), args.seed))
  budget = _Budget(args.seconds)
  while True:
    model.train_step(*next(batches)).numpy()
    if budget.tick():
      return model, budget


def _evaluate_mlp(model, kind, x_test, test_y, args):
  logits = model.network(model.preprocessing.inverse(x_test))
  row = {'accuracy': float(np.mean(np.argmax(logits, -1) == test_y))}
  if kind == 'hybrid-ebm':
    log_z = model.ais_log_normalizer(100, args.betas, seed=(args.seed, 8))
    row['bits_per_dim_ais'] = float(np.mean(evaluation.bits_per_dim(
        model.log_prob(x_test, log_z), x_test.shape[1])))
  return row


# -- The table ------------------------------------------------------------------------


def _fmt(value, digits=3):
  return '-' if value is None else f'{value:.{digits}f}'


def _rbm_bits(row):
  """The RBM flow's exact bits/dim, else its AIS estimate (more than 2^20 hidden states)."""
  return row['bits_per_dim'] if row.get('bits_per_dim') is not None else row['ais']


def _print_table(rows, data_name, num_test, args):
  print()
  print(f'{data_name}: test accuracy and bits/dim on {num_test} test images; '
        f'{args.seconds:g} s of training per row (after the first step); every flow a '
        f'{args.flow}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs')
  header = (f"{'labels':>6s} {'model':18s} {'params':>8s} {'steps':>6s} {'ms/step':>8s} "
            f"{'accuracy':>8s} {'bits/dim':>8s} {'AIS':>7s} {'RAISE':>7s}")
  print(header)
  print('-' * len(header))
  for r in rows:
    print(f"{r['labels']:>6s} {r['model']:18s} {r['parameters']:8d} {r['steps']:6d} "
          f"{1000 * r['seconds_per_step']:8.1f} {r['accuracy']:8.3f} "
          f"{_fmt(r.get('bits_per_dim')):>8s} {_fmt(r.get('ais', r.get('bits_per_dim_ais'))):>7s} "
          f"{_fmt(r.get('raise_')):>7s}")
  exact = (f'log Z over its 2^{args.num_hidden} hidden states' if args.num_hidden <= 20 else
           f'none with {args.num_hidden} hidden units (over 20), its targets use AIS')
  print(f'bits/dim: exact (flowgmm: closed form; rbm-flow: {exact}; rbm-flow-exact: over '
        f'2^{args.exact_num_hidden}, as in its training). AIS (optimistic) / RAISE '
        '(conservative) for the RBM; the hybrid EBM has AIS only.')
  by_key = {(r['labels'], r['model']): r for r in rows}
  for labels, rbm_flow in itertools.product(args.labels, RBM_FLOWS):
    rbm, ebm = (by_key.get((labels, m)) for m in (rbm_flow, 'hybrid-ebm'))
    if rbm is None:
      continue
    checks = []
    for name in FLOWGMMS:
      gmm = by_key.get((labels, name))
      if gmm is not None:
        checks.append((f'accuracy >= {name}', rbm['accuracy'] >= gmm['accuracy']))
        checks.append((f'bits/dim < {name}', _rbm_bits(rbm) < gmm['bits_per_dim']))
    if ebm is not None:
      checks.append(('accuracy > hybrid-ebm', rbm['accuracy'] > ebm['accuracy']))
      checks.append(('bits/dim < hybrid-ebm (AIS)',
                     _rbm_bits(rbm) < ebm['bits_per_dim_ais']))
    print(f'{rbm_flow} at {labels} labels: ' + '; '.join(
        f"{name} {'met' if ok else 'MISSED'}" for name, ok in checks))


def main(argv=None):
  args = _parse_args(argv)
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    keras.utils.set_random_seed(args.seed)
    data = _load(args)
    name, train, train_y, test, test_y = data
    args.learning_rate = _learning_rate(args, name)
    num_classes = int(train_y.max()) + 1
    x_test = tfp_rbm.datasets.dequantize(test, seed=[args.seed, 2])
    print(f'tfp_rbm {tfp_rbm.__version__}, TensorFlow {tf.__version__}: {name}, '
          f'{len(train)} train / {len(test)} test images, {train.shape[1]} dimensions; '
          f'Adam({args.learning_rate:g})', flush=True)
    os.makedirs(args.output, exist_ok=True)
    rows = []
    for labels_arg in args.labels:
      num_labelled = len(train) if labels_arg == 'all' else int(labels_arg)
      labels = _semi_supervised_labels(train_y, num_labelled, args.seed)
      label_weight = (args.label_weight if args.label_weight is not None
                      else len(train) / np.sum(labels >= 0))
      samples, flow_parameters = {}, None
      for kind in args.models:
        start = time.time()
        if kind in RBM_FLOWS or kind in FLOWGMMS:
          model, budget = _train_flow(kind, data, labels, label_weight, args)
          flow_parameters = _parameters(model.flow.trainable_variables)
          row = _evaluate_flow(model, kind, data, x_test, args)
          parameters = _parameters(model.trainable_variables)
          samples[kind] = _flow_samples(model, num_classes, args)
        else:
          model, budget = _train_mlp(kind, data, labels, label_weight,
                                     flow_parameters or 100_000, args)
          row = _evaluate_mlp(model, kind, x_test, test_y, args)
          parameters = _parameters(model.network.trainable_variables)
          if kind == 'hybrid-ebm':
            samples[kind] = model.conditional_samples(num_classes, args.samples_per_class,
                                                      (args.seed, 9))
        row.update(labels=labels_arg, model=kind, parameters=parameters, steps=budget.steps,
                   seconds_per_step=budget.seconds_per_step())
        rows.append(row)
        print(f"{labels_arg} labels, {kind}: {budget.steps} steps, accuracy "
              f"{row['accuracy']:.3f}, {time.time() - start:.0f} s in all", flush=True)
      if samples:
        image_shape = [int(math.isqrt(train.shape[1]))] * 2
        save_image_grids_side_by_side(samples, os.path.join(args.output, f'labels_{labels_arg}.png'),
                                      image_shape=image_shape, num_columns=args.samples_per_class)
    _print_table(rows, name, len(test), args)
    return rows


if __name__ == '__main__':
  main()
