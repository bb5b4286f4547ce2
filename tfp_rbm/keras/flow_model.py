"""A Keras 3 model around `tfd.TransformedDistribution(base, flow)`."""

import collections
import contextlib
import functools
import json
import os
import zipfile

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import bijectors
from tfp_rbm import dequantization as dequantization_lib
from tfp_rbm import distributions
from tfp_rbm import evaluation
from tfp_rbm import flow_density
from tfp_rbm import training
from tfp_rbm.internal import enumeration
from tfp_rbm.internal import validation
from tfp_rbm.keras import base_log_normalizer as base_log_normalizer_lib
from tfp_rbm.keras import callbacks as callbacks_lib
from tfp_rbm.keras import metrics as metrics_lib
from tfp_rbm.keras import specs
from tfp_rbm.keras import stacked_steps
from tfp_rbm.keras import training_metric_cost

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ['FlowModel']


@keras.saving.register_keras_serializable(package='tfp_rbm')
class FlowModel(keras.Model):
  """Trains and evaluates a flow with any base through `compile` / `fit`.

  The model is `p(x) = p_base(f^{-1}(x)) |det df^{-1}/dx|`, i.e.
  `tfd.TransformedDistribution(base, flow)` (available as `.distribution`).
  A base with an intractable log Z (the RBMs) trains on the surrogate PCD
  loss with persistent chains (`tfp_rbm.training`), or with
  `exact_training=True`, where its log Z is enumerable, on its exact NLL; a
  base with an exact density (`normal`, `multivariate_normal`,
  `DiscreteMixture`) trains on the plain NLL.

  `fit` and `evaluate` report, averaged over the batches (in `fit`, those
  whose update was applied; NaN while there is none), with `z = f^{-1}(x)`, `D = event_size`
  and bits/dim as in docs/math.md §6 (`num_bins=256`: the data are dequantized
  pixels scaled to [0, 1], and `D log 256` is added):

  ```none
  loss                       the training loss (for an RBM base not the NLL)
  bits_per_dim               (-log p(x) + D log num_bins) / (D log 2)
  unnormalized_bits_per_dim  the same with log Z left out (log p~_base(z) + log|det|)
  flow_bits_per_dim          -log|det dz/dx| / (D log 2), the flow's term
  ```

  so that `bits_per_dim = -log p_base(z) / (D log 2) + flow_bits_per_dim +
  log2(num_bins)` (`tfp_rbm.evaluation.bits_per_dim`). `bits_per_dim` needs
  the base's log Z: exact for an exact base; for an intractable one,
  `base_log_normalizer` (a `BaseLogNormalizer`) gives the estimate of
  `set_log_normalizer`, else exact enumeration, else NaN. `evaluate` (and
  the validation pass of `fit`) enumerates at most once per call (up to the
  base's `max_enumeration_bits`), keeps the result as the estimate, and is
  exact. `fit` enumerates only on a schedule, every
  `training_bits_per_dim_interval`-th step and on an epoch's first step
  (while the epoch's metric holds no batch, so every epoch has a figure),
  and averages `bits_per_dim` over those steps' batches (exact for each of
  them). The automatic schedule (`'auto'`, the default) enumerates every
  100th step where that costs at most a tenth of training by a cost estimate
  (`tfp_rbm.keras.training_metric_cost`: a flow's step against `2^n`
  states), and otherwise leaves `bits_per_dim` to `evaluate` and the
  validation pass: for a bare 64x16 RBM one log Z (2^16 states, ~4 ms with
  XLA) costs 50-100 of its steps, so `fit` logs no training
  `bits_per_dim` there (`val_bits_per_dim` stays). Nor does it above
  `training_enumeration_bits` units in the enumerated layer. A training
  update of the base's parameters drops the estimate (it was for the old
  parameters): set a new one after `fit`.

  Every bits/dim metric declares that lower is better (`accuracy`, below,
  that higher is), so `EarlyStopping`, `ModelCheckpoint` and
  `ReduceLROnPlateau` monitoring e.g. `'val_bits_per_dim'` need no `mode`.

  A labelled base (`{'kind': 'labeled_gaussian_bernoulli_rbm', 'num_classes':
  K, ...}`, or FlowGMM's `{'kind': 'class_conditional_gaussian_mixture',
  'num_classes': K}`) makes the model semi-supervised: `fit(x, y)` with
  integer labels `y` of shape `[N]`, `-1` marking an unlabelled example,
  trains on EB-and-Flow's eq. 9, `-[sum_U log p(x) + lambda sum_L log p(x, y)]
  / N` (the labels bypass the flow; `label_weight` is `lambda`;
  `classification_weight=gamma` adds `gamma sum_L log p(y | x)`): through
  `tfp_rbm.training.semi_supervised_flow_loss` for the RBM, exactly for the
  mixture, whose log Z is closed form. `fit` / `evaluate` also
  report `accuracy`, that of `argmax_y p(y | x)` over the labelled examples
  (NaN while there is none). `fit(x)` alone trains it unsupervised, on
  `p(x)` with the label summed out. `label_posterior(x)` is the exact
  `p(y | x)` (a `tfd.Categorical`), `predict_classes(x)` its argmax. Labels
  that are not integers of shape `[N]` in `[-1, K)`, or labels given to a
  base without a label layer, raise a `ValueError` naming `y` (labels in a
  dataset: after the batch, whose update is skipped). `sample(n, labels=y)`
  draws images of the given classes.

  The Keras entry points: `model(x)` and `predict(x)` return the normalized
  `log_prob` of each example (NaN where log Z is unavailable; `predict`
  enumerates it once first, as `evaluate`), `unnormalized_log_prob(x)` the
  density with log Z left out. `export(path)` writes a TF SavedModel with
  the endpoints `log_prob` (also `serve`) and `sample`. `compile` takes the
  optimizer and the execution options only: the model defines its own loss
  and metrics. `summary()` and `keras.callbacks.TensorBoard` (its weight
  histograms) see the base, the flow, the chains and the log Z estimate as
  the model's `layers`.

  A non-finite loss or gradient skips the update: the weights and the
  optimizer state stay as they were, `skipped_updates` counts it, and `fit`
  warns (`SkippedUpdatesWarning`, `tfp_rbm.training.apply_finite_update`).
  A skipped update or an error in `fit` also validates the base's
  parameters, so that a coupling that left the positive-definite region
  raises the base's own message, with or without XLA or `validate_args`.

  The variables live in the TFP objects (base, flow with its Keras
  conditioners, chains, log Z estimate), and `variables` finds them as
  `tf.train.Checkpoint(model=model)` does, through their tracked attributes:
  every variable has a path from the model (`_base._weights`,
  `chains.states`, ...). `.keras` stores each under its path; loading checks
  every path and shape first, and loads nothing on a mismatch.

  Base and flow are given as specs (dicts, see `tfp_rbm.keras.specs`), which
  makes the model savable as `.keras`; they may also be given as TFP objects
  (`tf.train.Checkpoint` then saves the model, `.keras` cannot).
  `FlowModel.load(path)` loads a `.keras` file and names the file in every
  error (a truncated archive, a config that does not match the weights).

  The data: every method that takes data (`fit`, `evaluate`, `log_prob`,
  `call`, `initialize`) takes a batch with the examples on the leading axis,
  `[N, event_size]` or `[N, *image_shape]` with `prod(image_shape) ==
  event_size` (flattened in C order); any other shape is refused when the
  step is traced, naming the shape. With `preprocessing={'alpha': a}` (and
  `'high'`, default 1) the data must lie in `[0, high]` (in `(0, high)` when
  `a = 0`): each batch's minimum and maximum are recorded, and after the
  batch `fit` and `evaluate` raise a `ValueError` with the range found (the
  update of that batch is skipped); `log_prob` checks at once when eager.
  Non-finite values are not range errors: their update is skipped as above.
  Under a `tf.distribute` strategy the first replica's batches are checked.

  Dequantization (docs/math.md §11). With `dequantization='uniform'` (the
  default) the data come dequantized, `(pixel + u) / num_bins` with uniform
  `u` (`tfp_rbm.datasets.dequantized_batches`). With `'variational'` (or a
  dict of options) `fit`, `evaluate` and `initialize` take the pixel values
  themselves (integers in `[0, num_bins)`, e.g. uint8; anything else raises
  a `ValueError` naming `x` after the batch, whose update is skipped), and
  the model draws `u ~ q(u | x)` from its `dequantizer`
  (`tfp_rbm.dequantization.VariationalDequantizer`, trained with the flow):
  the loss and bits/dim are then the variational bound, `-log p((x + u) /
  num_bins) + log q(u | x)`, with `dequantization_bits_per_dim` reporting
  the `log q` term (`bits_per_dim` is the sum of the base's term,
  `flow_bits_per_dim`, `log2(num_bins)` and `dequantization_bits_per_dim`).
  `fit` draws fresh noise each step, `evaluate` one fixed draw per batch
  position; `tfp_rbm.evaluation.importance_weighted_log_prob(model, pixels,
  K)` gives the tighter importance-weighted bound. `log_prob`, `call` and
  `predict` stay the density `p` of points of `[0, 1]^D`.

  #### Examples

  ```python
  model = tfp_rbm.keras.FlowModel(
      event_size=64,
      base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 16},
      flow={'builder': 'nice', 'event_size': 64, 'hidden_units': 64},
      preprocessing={'alpha': 0.05})
  model.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=10)
  model.fit(train_images, epochs=5, batch_size=128,
            callbacks=[keras.callbacks.EarlyStopping('bits_per_dim')])
  model.evaluate(test_images)        # bits_per_dim, exact log Z (16 hidden)
  samples = model.sample(64, seed=1)
  ```
  """

  def __init__(self, event_size, base, flow=None, preprocessing=None,
               buffer_size=10000, num_gibbs_steps=25, reset_fraction=0.05,
               num_bins=256, log_normalizer=None, training_enumeration_bits=None,
               training_bits_per_dim_interval='auto', seed=0, dtype='float32', label_weight=1.,
               classification_weight=0.,
               dequantization='uniform', overlap_chains=False, exact_training=False,
               **kwargs):
    """Builds base, flow and (for an intractable base) the chains and the log Z.

    Args:
      event_size: int, size of the flattened data vector `x`.
      base: a base spec dict (`{'kind': ..., ...}`) or a `tfd.Distribution`
        over vectors of `event_size`.
      flow: a flow spec (`{'builder': 'nice', ...}`), a `tfb.Bijector` whose
        inverse maps data to the base's space, or None (identity).
      preprocessing: None, or `{'alpha': a}` for the logit transform of data
        in [0, 1] (applied before the flow, log-det included).
      buffer_size: persistent chains kept (intractable bases).
      num_gibbs_steps: block-Gibbs sweeps per update.
      reset_fraction: fraction of drawn chains restarted from noise.
      num_bins: 256 for 8-bit images scaled to [0, 1] (bits/dim offset), or
        None for data with no quantization.
      log_normalizer: optional log Z estimate of the base (e.g. from AIS); see
        `set_log_normalizer`.
      training_enumeration_bits: during `fit`, `bits_per_dim` enumerates the
        base's log Z only up to this many units in the enumerated layer;
        above it, `fit` does not report `bits_per_dim`. Default: the most
        that keep `2^bits * width <= 2^22`, `width` the values log Z
        computes per state (the base's `enumerated_state_width`: `2H + 1`
        for a Gaussian-Bernoulli RBM, whose Gram form does not grow with
        `event_size`, so 16 for a 784x16 one), else `event_size` (16 for 64
        dimensions, 12 for 784).
      training_bits_per_dim_interval: during `fit`, `bits_per_dim` enumerates
        log Z on every this-many-th training step (counted by the optimizer's
        `iterations`) and on each epoch's first step, and averages those
        steps' batches; 1 for every batch. `'auto'` (default): 100 where
        that costs at most a tenth of training
        (`tfp_rbm.keras.training_metric_cost`), else `fit` does not report
        `bits_per_dim` (`evaluate` does).
      seed: int seed of the base's initial weights and of the chains: two
        models built with the same seed start from the same state (the
        flow's weights follow the flow spec's own `seed`).
      dtype: 'float32' or 'float64'.
      label_weight: `lambda >= 0`, the weight of the labelled examples' term
        `log p(x, y)` when a labelled base (`labeled_gaussian_bernoulli_rbm`,
        `class_conditional_gaussian_mixture`) is fit on `(x, y)`.
      classification_weight: `gamma >= 0`, the weight of a term
        `gamma sum_L log p(y | x)` added to eq. 9 (exact for every labelled
        base; `tfp_rbm.training.semi_supervised_flow_loss`). Default 0: eq. 9.
      dequantization: `'uniform'` (the data come dequantized), or
        `'variational'` (the data are pixel values; a learned `q(u | x)`), or
        `{'kind': 'variational', **options}` with options of
        `tfp_rbm.dequantization.VariationalDequantizer` (e.g.
        `num_coupling_layers`, `hidden_units`, `event_shape`; default event
        shape the flow spec's `image_shape`, else `[event_size]`).
      overlap_chains: draw each step's chains as their own XLA cluster,
        which a step not compiled as a whole (Keras' default on CPU) runs
        alongside the flow's forward and backward pass (they do not depend
        on the chains). The chains of a step are still drawn with the
        parameters before its update. Under `compile(jit_compile=True)` the
        draw joins the step's one cluster. Default False: the draw is part
        of the step's graph (graph-mode Gibbs sweeps; the executor may also
        run them alongside the flow).
      exact_training: train an energy-based base on its exact NLL, its log Z
        (and that log Z's gradient) enumerated in every step, instead of on
        the surrogate loss with persistent chains; no chains are kept, and
        `sample` runs the base's own chains. Needs `2^enumerated_layer_size`
        states within the base's `max_enumeration_bits`; a Gaussian-Bernoulli
        RBM enumerates in Gram form, `O(H)` per state (a labelled 784x12
        machine's step: 9.0 ms against 13.2 ms with chains, on 2 CPU cores;
        benchmarks/README.md). No effect on a base with an exact density.
      **kwargs: passed to `keras.Model` (e.g. `name`).
    """
    super().__init__(**kwargs)
    self.event_size = validation.check_integer(event_size, 'event_size', minimum=1)
    if num_bins is not None:
      validation.check_integer(num_bins, 'num_bins', minimum=2)
    self.num_bins = num_bins
    self.seed = validation.check_integer(seed, 'seed')
    if training_enumeration_bits is not None:
      validation.check_integer(training_enumeration_bits, 'training_enumeration_bits')
    if not (isinstance(training_bits_per_dim_interval, str)
            and training_bits_per_dim_interval == 'auto'):
      if isinstance(training_bits_per_dim_interval, str):
        raise ValueError("Argument `training_bits_per_dim_interval` must be 'auto' or an "
                         f'integer >= 1; got {training_bits_per_dim_interval!r}.')
      training_bits_per_dim_interval = validation.check_integer(
          training_bits_per_dim_interval, 'training_bits_per_dim_interval', minimum=1)
    self.training_bits_per_dim_interval = training_bits_per_dim_interval
    # Not model state: the batch size `fit` was given, for the automatic schedule;
    # whether the traced step reports `bits_per_dim` (`_train_batch` decides); and
    # while `fit` feeds stacks of batches, whether a partial one may come (else None).
    self._fit_batch_size = None
    self._fit_reports_bits_per_dim = True
    self._fit_stack_odd_batches = None
    if dtype not in ('float32', 'float64', tf.float32, tf.float64):
      raise ValueError(f"Argument `dtype` must be 'float32' or 'float64'; got {dtype!r}.")
    self.flow_dtype = tf.as_dtype(dtype)
    for name, weight in (('label_weight', label_weight),
                         ('classification_weight', classification_weight)):
      if isinstance(weight, bool) or not isinstance(
          weight, (int, float, np.integer, np.floating)) or not (
              np.isfinite(weight) and weight >= 0):
        raise ValueError(f'Argument `{name}` must be a finite number >= 0; got {weight!r}.')
    self.label_weight = float(label_weight)
    self.classification_weight = float(classification_weight)
    _check_flow_spec(flow, self.event_size)
    preprocessing = _check_preprocessing(preprocessing)
    self._specs = dict(base=base, flow=flow, preprocessing=preprocessing)
    self._specs['dequantization'] = dequantization
    self.dequantizer = _build_dequantizer(dequantization, self.event_size, flow, num_bins, dtype,
                                          self.seed)
    # Not model state: the last pixel values met outside {0, ..., num_bins - 1}.
    self._pixel_values = None if self.dequantizer is None else _PixelValues(num_bins)
    for name, flag in (('overlap_chains', overlap_chains), ('exact_training', exact_training)):
      if not isinstance(flag, bool):
        raise TypeError(f'Argument `{name}` must be a bool; got {flag!r}.')
    self.overlap_chains = overlap_chains
    self.exact_training = exact_training
    self._chain_config = dict(buffer_size=buffer_size, num_gibbs_steps=num_gibbs_steps,
                              reset_fraction=reset_fraction)
    self._base = (specs.build_base(base, self.event_size, dtype, seed,
                                   flow=flow if isinstance(flow, dict) else None)
                  if isinstance(base, dict) else base)
    # A base over the flow's latent per level (`event_structure='levels'`) keeps its
    # chains, log Z and AIS on its flat form; `_latent_form` gives the flow the levels.
    self._latent_structure = getattr(self._base, 'event_structure', 'flat')
    self._base = getattr(self._base, 'flat_form', self._base)
    _check_base(self._base, self.event_size)
    self._flow = self._make_flow(flow, preprocessing, dtype)
    # Not model state, so a plain object: neither `.keras` nor checkpoints save it.
    self._data_range = (None if preprocessing is None
                        else _DataRange(preprocessing, self.flow_dtype))
    self.training_enumeration_bits = (
        _default_enumeration_bits(self._base, self.event_size)
        if training_enumeration_bits is None else int(training_enumeration_bits))
    self.chains = None
    self.base_log_normalizer = None
    if log_normalizer is not None and not flow_density.has_intractable_normalizer(self._base):
      raise ValueError(f'Argument `log_normalizer`: the base {type(self._base).__name__} has '
                       'an exact density and needs no log Z estimate.')
    if flow_density.has_intractable_normalizer(self._base):
      if exact_training:
        _check_exact_training(self._base, overlap_chains)
      else:
        # An int seed would be stateful in TFP (another start on every call).
        self.chains = training.PersistentChains(self._base, seed=_stateless_seed(self.seed),
                                                **self._chain_config)
      base_log_normalizer_lib.check_estimate(log_normalizer, self._base.dtype,
                                             'log_normalizer')
      self.base_log_normalizer = base_log_normalizer_lib.BaseLogNormalizer(
          self._base, log_normalizer)
    self.skipped_updates = tf.Variable(
        0, dtype=tf.int64, trainable=False, name='skipped_updates',
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    self._build_conditioners()
    self.loss_tracker = metrics_lib.FiniteMean(name='loss')
    self.bpd_tracker = metrics_lib.FiniteMean(name='bits_per_dim')
    self.unnormalized_bpd_tracker = metrics_lib.FiniteMean(name='unnormalized_bits_per_dim')
    self.flow_bpd_tracker = metrics_lib.FiniteMean(name='flow_bits_per_dim')
    bits_per_dim_trackers = [self.bpd_tracker, self.unnormalized_bpd_tracker,
                             self.flow_bpd_tracker]
    self.dequantization_bpd_tracker = None
    if self.dequantizer is not None:
      self.dequantization_bpd_tracker = metrics_lib.FiniteMean(
          name='dequantization_bits_per_dim')
      bits_per_dim_trackers.append(self.dequantization_bpd_tracker)
    self._bits_per_dim_metrics = metrics_lib.DirectedMetrics(bits_per_dim_trackers,
                                                             name='bits_per_dim_metrics')
    self.accuracy_tracker = None
    self._label_metrics = None
    # Not model state either: the last labels found outside [-1, K) in a step.
    self._label_range = None
    if self.has_labels:
      self._label_range = _LabelRange(self._base.num_classes)
      self.accuracy_tracker = metrics_lib.FiniteMean(name='accuracy', direction='up')
      self._label_metrics = metrics_lib.DirectedMetrics([self.accuracy_tracker],
                                                        name='label_metrics')

  # -- Construction --------------------------------------------------------

  def _make_flow(self, flow, preprocessing, dtype):
    layers = []
    if preprocessing is not None:
      layers.append(bijectors.logit_preprocessing(dtype=dtype, **preprocessing))
    if isinstance(flow, dict):
      if self._latent_structure == 'levels':
        if flow.get('latent_structure', 'levels') != 'levels':
          raise ValueError("Argument `flow` has latent_structure='flat', but the base takes "
                           "the latent per level (event_structure='levels').")
        flow = dict(flow, latent_structure='levels')
      layers.append(specs.build_flow(flow, dtype))
    elif flow is not None:
      layers.append(flow)
    if not layers:
      return None
    return layers[0] if len(layers) == 1 else tfb.Chain(layers)

  def _build_conditioners(self):
    """Creates every conditioner's weights by one sampling-direction pass.

    The forward (latent -> data) direction never triggers ActNorm's
    data-dependent initialisation, which waits for the first real batch.
    """
    if self._flow is not None:
      event_shape = self._latent_form(self._base).event_shape
      zeros = lambda shape: tf.zeros([1] + shape.as_list(), self.flow_dtype)
      self._flow.forward([zeros(shape) for shape in event_shape]
                         if isinstance(event_shape, list) else zeros(event_shape))
    self.built = True

  def build(self, input_shape=None):
    self.built = True

  @property
  def base(self):
    return self._base

  @property
  def flow(self):
    return self._flow

  @property
  def has_labels(self):
    """Whether the base has labels: a `LabeledGaussianBernoulliRBM` or FlowGMM's mixture."""
    return distributions.has_labels(self._base)

  @property
  def num_classes(self):
    """The base's number of classes `K`, or None for a base without labels."""
    return self._base.num_classes if self.has_labels else None

  def label_posterior(self, x):
    """The exact `p(y | x) = p_base(y | z)`, `z = f^{-1}(x)`, as a `tfd.Categorical`.

    The flow's log-det does not depend on `y`, so the classifier is the
    base's on the latent (no log Z needed). Batch shape `[N]`.

    Raises:
      ValueError: naming the base, if it has no label layer.
    """
    self._require_labels('label_posterior')
    x = self._examples(x)
    self._check_range_now(x)
    return flow_density.label_posterior(self._transformed(self._base), x)

  def predict_classes(self, x):
    """`argmax_y p(y | x)` for each example: an int32 tensor of shape `[N]`.

    Raises:
      ValueError: naming the base, if it has no label layer.
    """
    self._require_labels('predict_classes')
    logits = self.label_posterior(x).logits_parameter()
    return tf.argmax(logits, axis=-1, output_type=tf.int32)

  def _require_labels(self, method):
    if not self.has_labels:
      raise ValueError(
          f'FlowModel.{method} needs a base with a label layer '
          "({'kind': 'labeled_gaussian_bernoulli_rbm', ...} or "
          "{'kind': 'class_conditional_gaussian_mixture', ...}); this model's base is "
          f'{type(self._base).__name__}, which has none.')

  @property
  def distribution(self):
    """The model as `tfd.TransformedDistribution(base, flow)` (or the base).

    The base is normalized by its current log Z: the `set_log_normalizer`
    estimate, else exact enumeration. This is a snapshot: read it again after
    training. Eagerly, when neither is available, the base is left as it is
    (its `log_prob` raises, saying why); in a `tf.function` its log Z is NaN.
    """
    if self.base_log_normalizer is None:
      return self._transformed(self._base)
    return self._transformed(self.base_log_normalizer.normalized_base())

  def _transformed(self, base):
    return (base if self._flow is None
            else tfd.TransformedDistribution(self._latent_form(base), self._flow))

  def _latent_form(self, base):
    """`base` (flat) in the form the flow's latent takes: its per-level form, or itself."""
    return base.copy(event_structure='levels') if self._latent_structure == 'levels' else base

  def set_log_normalizer(self, log_normalizer):
    """Uses this estimate of the base's log Z (e.g. AIS) for `log_prob` and bits/dim.

    The estimate holds for the base's current parameters: the next training
    update of the base drops it. None drops it now.
    """
    if self.base_log_normalizer is None:
      raise ValueError(f'The base {type(self._base).__name__} has an exact density: '
                       'it needs no log Z estimate.')
    base_log_normalizer_lib.check_estimate(log_normalizer, self._base.dtype, 'log_normalizer',
                                           shape=self.base_log_normalizer.estimate.shape)
    self.base_log_normalizer.assign(log_normalizer)

  def initialize(self, x):
    """Data-dependent initialisation from a batch (as `fit` takes it), eagerly.

    ActNorm's, and the base's where its spec kind has one
    (`specs.initialize_base`: the labelled RBM standardises on the latents).
    `fit` calls it on its first examples (up to 1,000 of an array, the
    first batch of a `tf.data.Dataset`) while the base still awaits its
    start; call it first to start from other examples, or from data `fit`
    cannot look ahead in (a generator, a `keras.utils.PyDataset`).
    """
    x = self._examples(x)
    if self.dequantizer is not None:
      self._pixel_values.record(x)
      self._pixel_values.check('the data given')
      x, _ = self._dequantized(x, salt=2)
    self._check_range_now(x)
    z = x if self._flow is None else self._flow.inverse(x)
    specs.initialize_base(self._specs['base'], self._base, z)

  # -- Variables: owned by the TFP objects, found by their checkpoint paths --

  def _state_variables(self):
    """Every variable of base, flow, chains, log Z and counter, by its path.

    The path is the chain of tracked attributes from the model, as in the
    object graph of `tf.train.Checkpoint`, joined by `.` (e.g.
    `_base._weights`): the objects a checkpoint of the model saves, found
    the same way (breadth first, each variable under the first path that
    reaches it).
    """
    roots = [('_base', self._base), ('_flow', self._flow), ('chains', self.chains),
             ('dequantizer', self.dequantizer),
             ('base_log_normalizer', self.base_log_normalizer),
             ('skipped_updates', self.skipped_updates)]
    queue = collections.deque((name, obj) for name, obj in roots if obj is not None)
    found, seen = {}, set()
    while queue:
      path, obj = queue.popleft()
      is_variable = isinstance(obj, (tf.Variable, keras.Variable))
      # A Keras variable and the tf.Variable it wraps are one variable.
      identity = id(obj.value if isinstance(obj, keras.Variable) else obj)
      if identity in seen:
        continue
      seen.add(identity)
      if is_variable:
        found[path] = obj
      else:
        queue.extend((f'{path}.{name}', child) for name, child in
                     tf.train.TrackableView.children(obj).items())
    return found

  @property
  def variables(self):
    return super().variables + list(self._state_variables().values())

  @property
  def weights(self):
    return super().weights + list(self._state_variables().values())

  def save_own_variables(self, store):
    super().save_own_variables(store)
    for path, variable in self._state_variables().items():
      store[path] = variable.numpy()

  def load_own_variables(self, store):
    """Loads every variable by its path, or nothing: raises on any mismatch."""
    # Keras keeps a layer's own Keras variables under "0", "1", ...
    keras_keys = [key for key in store.keys() if key.isdigit()]
    saved = {key: store[key] for key in store.keys() if key not in keras_keys}
    variables = self._state_variables()
    missing = sorted(set(variables) - set(saved))
    unexpected = sorted(set(saved) - set(variables))
    mismatched = [f'{path} (saved {list(saved[path].shape)}, here {list(variable.shape)})'
                  for path, variable in variables.items()
                  if path in saved and saved[path].shape != tuple(variable.shape)]
    if missing or unexpected or mismatched:
      raise ValueError(
          'The saved FlowModel does not match this one (was it saved with other specs, '
          'or was its config edited?); nothing was loaded. Missing from the file: '
          f'{_listed(missing)}. In the file but not in this model: {_listed(unexpected)}. '
          f'Shapes that differ: {_listed(mismatched)}.')
    super().load_own_variables({key: store[key] for key in keras_keys})
    for path, variable in variables.items():
      variable.assign(saved[path])

  # -- Keras API ------------------------------------------------------------

  def call(self, x):
    """The normalized `log_prob` of each example; NaN where log Z is unavailable.

    Graph-friendly: unlike `log_prob`, it does not raise eagerly without a
    log Z, so that `predict` can trace it.
    """
    return self.unnormalized_log_prob(x) - self._log_normalizer()

  def unnormalized_log_prob(self, x):
    """`log p~(x)`: the log-density of each example with the base's log Z left out."""
    _, base_log_prob, log_det = flow_density.log_prob_parts(
        self._transformed(self._base), self._examples(x))
    return base_log_prob + log_det

  def _log_normalizer(self, max_enumeration_bits=None):
    """The base's log Z as `log_prob` uses it (0 for an exact base)."""
    if self.base_log_normalizer is None:
      return tf.constant(0., self.flow_dtype)
    return tf.cast(self.base_log_normalizer.log_normalizer(max_enumeration_bits),
                   self.flow_dtype)

  def predict(self, *args, **kwargs):
    """`keras.Model.predict`: the normalized `log_prob` of each example.

    As in `evaluate`, without an estimate a small enough base's log Z is
    enumerated once first and kept as the estimate.
    """
    if self.base_log_normalizer is not None:
      self.base_log_normalizer.assign_exact_if_missing()
    return super().predict(*args, **kwargs)

  def compile(self, optimizer='rmsprop', loss=None, metrics=None, **kwargs):
    """`keras.Model.compile` with the optimizer and execution options only.

    The model defines its own loss (the surrogate PCD loss or the NLL) and
    its metrics (bits/dim); `loss`, `metrics`, `weighted_metrics` and
    `loss_weights` are refused rather than ignored.

    Raises:
      ValueError: naming the argument, if one of those is given.
    """
    given = [name for name, value in [('loss', loss), ('metrics', metrics),
                                      ('weighted_metrics', kwargs.get('weighted_metrics')),
                                      ('loss_weights', kwargs.get('loss_weights'))]
             if value is not None]
    if given:
      raise ValueError(
          f'FlowModel.compile takes no {", ".join(f"`{name}`" for name in given)}: the model '
          'defines its own loss (the surrogate PCD loss for an energy-based base, the NLL '
          'otherwise) and its metrics (loss, bits_per_dim, unnormalized_bits_per_dim, '
          'flow_bits_per_dim). Pass only the optimizer and execution options, e.g. '
          'compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=10).')
    super().compile(optimizer=optimizer, **kwargs)

  def compile_from_config(self, config):
    # Keras skips a custom `compile` on load; this one takes Keras' config as it is.
    self.compile(**keras.saving.deserialize_keras_object(config))
    self.optimizer.build(self.trainable_variables)

  def export(self, filepath, format='tf_saved_model', verbose=None,  # pylint: disable=redefined-builtin
             input_signature=None, **kwargs):
    """Writes a TF SavedModel serving `log_prob` (also as `serve`), `sample`, `label_posterior`.

    Reload it with `tf.saved_model.load(filepath)`: `log_prob(x)` takes
    `[N, event_size]` data in the model's dtype; `sample(num_samples, seed)`
    an int32 count and an int32 stateless seed of shape `[2]`, and returns
    `[num_samples, event_size]` samples (an RBM base continues copies of the
    exported chains, as `sample`). The log Z in use when exporting (the
    estimate, else exact enumeration) is the one served. A base with labels
    adds `label_posterior(x)`: `p(y | x)`, `[N, num_classes]` probabilities.

    Args:
      filepath: the SavedModel directory.
      format: only `'tf_saved_model'`.
      verbose: whether to print the endpoints written.
      input_signature: optional `[tf.TensorSpec]` of `log_prob`'s input.
      **kwargs: none accepted.
    """
    if format != 'tf_saved_model' or kwargs:
      raise ValueError(f"FlowModel.export writes format='tf_saved_model' only, with no "
                       f"other options; got format={format!r}, options {sorted(kwargs)}.")
    if self.base_log_normalizer is not None:
      self.base_log_normalizer.assign_exact_if_missing()
    archive = keras.export.ExportArchive()
    archive.track(self)
    log_prob_signature = input_signature or [
        tf.TensorSpec([None, self.event_size], self.flow_dtype, name='x')]
    archive.add_endpoint('log_prob', self.call, input_signature=log_prob_signature)
    archive.add_endpoint('serve', self.call, input_signature=log_prob_signature)
    archive.add_endpoint(
        'sample', lambda num_samples, seed: self.sample(num_samples, seed=seed),
        input_signature=[tf.TensorSpec([], tf.int32, name='num_samples'),
                         tf.TensorSpec([2], tf.int32, name='seed')])
    if self.has_labels:
      archive.add_endpoint('label_posterior',
                           lambda x: self.label_posterior(x).probs_parameter(),
                           input_signature=log_prob_signature)
    archive.write_out(filepath, verbose=bool(verbose))

  @property
  def metrics(self):
    metrics = [self.loss_tracker, self._bits_per_dim_metrics]
    return metrics if self._label_metrics is None else metrics + [self._label_metrics]

  @property
  def layers(self):
    """The Keras layers, then one view of each of the TFP objects holding variables.

    `summary()` shows a row per view (base, flow, chains, log Z estimate,
    counter) with its parameter count, and `keras.callbacks.TensorBoard`
    writes histograms of every variable under its path in the model.
    """
    owners = {'_base': self._base, '_flow': self._flow, 'chains': self.chains,
              'dequantizer': self.dequantizer,
              'base_log_normalizer': self.base_log_normalizer,
              'skipped_updates': self.skipped_updates}
    groups = {root: {} for root in owners}
    for path, variable in self._state_variables().items():
      groups[path.split('.')[0]][path] = variable
    type_name = lambda obj: ('Variable' if isinstance(obj, tf.Variable)
                             else type(obj).__name__.lstrip('_'))
    return super().layers + [_view_class(type_name(owners[root]))(root.lstrip('_'), variables)
                             for root, variables in groups.items() if variables]

  def _update_metrics(self, base_log_prob, log_det, keep, log_normalizer, log_noise=None):
    """Adds a batch to the bits/dim metrics (if `keep`) and returns their results."""
    self._record_bits_per_dim(base_log_prob, log_det, keep, log_normalizer, log_noise)
    return self._bits_per_dim_metrics.result()

  def _record_bits_per_dim(self, base_log_prob, log_det, keep, log_normalizer, log_noise=None):
    """Adds a batch to the bits/dim metrics (if `keep`).

    `bits_per_dim` takes the batch only where `log_normalizer` (the base's
    log Z) is finite. With variational dequantization, `log_noise` is
    `log q(u | x)` of the batch's noise, and the bits/dim are the bound's.
    """
    unnormalized = base_log_prob + log_det
    if log_noise is not None:
      unnormalized -= log_noise
      self.dequantization_bpd_tracker.update_state(
          -evaluation.bits_per_dim(log_noise, self.event_size, num_bins=None), keep)
    normalized = unnormalized - log_normalizer
    to_bits = lambda log_prob: evaluation.bits_per_dim(log_prob, self.event_size, self.num_bins)
    self.bpd_tracker.update_state(to_bits(normalized), keep)
    self.unnormalized_bpd_tracker.update_state(to_bits(unnormalized), keep)
    # The flow's term alone carries no quantization offset.
    self.flow_bpd_tracker.update_state(
        evaluation.bits_per_dim(log_det, self.event_size, num_bins=None), keep)

  def _examples(self, x, arg='x'):
    """`x` as `[N, event_size]`; refuses, naming `arg`, any shape but the documented ones.

    Static: a dimension unknown when tracing passes here, and the reshape to
    `[N, event_size]` (never `[-1, event_size]`) fails if the sizes differ.
    """
    x = tf.convert_to_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_integer):
      raise TypeError(f'Argument `{arg}` must hold numbers (float or int); got '
                      f'{x.dtype.name}.')
    shape = x.shape
    if shape.rank is not None:
      example_shape = shape[1:]
      if shape.rank < 2 or (example_shape.is_fully_defined()
                            and example_shape.num_elements() != self.event_size):
        size = example_shape.num_elements() if shape.rank >= 2 else None
        raise ValueError(
            f'Argument `{arg}` must have shape [N, {self.event_size}] or [N, *image_shape] '
            f'with prod(image_shape) = {self.event_size} (event_size), the examples on '
            f'the leading axis; got shape {shape.as_list()}'
            + (f', whose examples have {size} values.' if size is not None
               else ' (add a leading axis, x[None], for one example).'))
    batch_size = tf.compat.dimension_value(shape[0]) if shape.rank else None
    if batch_size is None:
      batch_size = tf.shape(x)[0]
    return tf.reshape(tf.cast(x, self.flow_dtype), [batch_size, self.event_size])

  def _data(self, data):
    return self._examples(data[0] if isinstance(data, (tuple, list)) else data)

  def _labels(self, data):
    """The labels `y` of a batch `(x, y[, sample_weight])`, as int32 `[N]`, or None.

    Checked when the step is traced: the base must have a label layer, and
    `y` must be integers of shape `[N]` (-1 for an unlabelled example).
    """
    if not isinstance(data, (tuple, list)) or len(data) < 2 or data[1] is None:
      return None
    labels = tf.convert_to_tensor(data[1])
    _check_label_format(labels, self)
    return tf.cast(labels, tf.int32)

  def _update_accuracy(self, z, labels, keep):
    """Adds the batch's labelled examples to `accuracy`; returns `{'accuracy': ...}` or {}."""
    self._record_accuracy(z, labels, keep)
    return self._accuracy_result()

  def _record_accuracy(self, z, labels, keep):
    """Adds the batch's labelled examples to `accuracy` (argmax of `p(y | z)`)."""
    if self.accuracy_tracker is not None and labels is not None:
      predicted = tf.argmax(self._base.label_posterior(z).logits_parameter(), axis=-1,
                            output_type=tf.int32)
      correct = tf.cast(tf.equal(predicted, labels), self.flow_dtype)
      self.accuracy_tracker.update_state(correct, keep & (labels != _UNLABELLED))

  def _accuracy_result(self):
    return {} if self.accuracy_tracker is None else {'accuracy': self.accuracy_tracker.result()}

  def _dequantized(self, x, salt, step=0):
    """`((x + u) / num_bins, log q(u | x))` with `u ~ q`, or `(x, None)` for uniform.

    The noise's stateless seed is a function of the model's `seed`, `salt`
    (0 for `fit`, 1 for `evaluate`, 2 for `initialize`) and `step`.
    """
    if self.dequantizer is None:
      return x, None
    seed = tf.random.experimental.stateless_fold_in(
        tf.constant(_stateless_seed(self.seed + salt), tf.int32),
        tf.cast(step, tf.int32))
    noise, log_noise = self.dequantizer.distribution(x).experimental_sample_and_log_prob(
        seed=seed)
    return (x + noise) / self.num_bins, log_noise

  def _check_range_now(self, x):
    """Eagerly, raises if `x` lies outside the pre-processing's range."""
    if self._data_range is not None and tf.executing_eagerly():
      self._data_range.record(x)
      self._data_range.check('the data given')

  def train_step(self, data):
    """One training step on a batch `x`, `(x,)` or `(x, y)`; returns the metrics' results."""
    self._train_batch(self._data(data), self._labels(data))
    return self._train_results()

  def _train_results(self):
    """The training metrics' results, as a step returns them to Keras."""
    bits_per_dim = self._bits_per_dim_metrics.result()
    if not self._fit_reports_bits_per_dim:
      del bits_per_dim['bits_per_dim']  # Too costly in `fit` (`training_bits_per_dim_interval`).
    return {'loss': self.loss_tracker.result(), **bits_per_dim, **self._accuracy_result()}

  def _train_batch(self, x, labels):
    """One update on a batch: chains, loss, the finite-update guard, the metrics' states.

    `x` is `[N, event_size]` (`_examples`), `labels` int32 `[N]` or None.
    Every step of `fit` runs this, Keras' (`train_step`) and the stacked
    loop of `steps_per_execution` alike.
    """
    pixels = x
    chain_samples = None
    if self.chains is not None:
      batch_size = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
      chain_samples = self.chains.advance(self._base, batch_size,
                                          jit_compile=self.overlap_chains)
    variables = self.trainable_variables
    replica = tf.distribute.get_replica_context()
    z = None
    with tf.GradientTape() as tape:
      # Fresh noise every step; `log_noise` is None for data that come dequantized.
      x, log_noise = self._dequantized(x, salt=0, step=self.optimizer.iterations)
      if labels is None:
        loss, base_log_prob, log_det = training.flow_loss_and_log_prob_parts(
            self._transformed(self._base), x, chain_samples)
      else:
        loss, z, base_log_prob, log_det = training.semi_supervised_flow_loss_and_log_prob_parts(
            self._transformed(self._base), x, labels, chain_samples,
            label_weight=self.label_weight, classification_weight=self.classification_weight)
      if log_noise is not None:
        loss += tf.reduce_mean(log_noise)  # -E_q[log p - log q]: the variational bound's.
      # The optimizer sums gradients over replicas: average them instead.
      replica_loss = loss / tf.cast(replica.num_replicas_in_sync, loss.dtype)
    grads = tape.gradient(replica_loss, variables)
    checked_loss = loss
    if self._data_range is not None:
      # Data outside the pre-processing's range: skip the update (the callback raises).
      checked_loss = tf.where(self._data_range.record(x), loss,
                              tf.constant(np.nan, loss.dtype))
    if self._pixel_values is not None:
      # Pixel values that are not integers in [0, num_bins): skip (the callback raises).
      checked_loss = tf.where(self._pixel_values.record(pixels), checked_loss,
                              tf.constant(np.nan, loss.dtype))
    if labels is not None:
      # Labels outside [-1, K) (from a dataset): skip the update (the callback raises).
      checked_loss = tf.where(self._label_range.record(labels), checked_loss,
                              tf.constant(np.nan, loss.dtype))
    # log Z costs up to 2^training_enumeration_bits states: on a schedule only,
    # for the parameters that gave this batch's log-densities (before the update),
    # and while the epoch's metric holds no batch yet (so every epoch has a figure).
    interval = (None if self.base_log_normalizer is None
                else self._training_bits_per_dim_interval(x.shape[0]))
    self._fit_reports_bits_per_dim = self.base_log_normalizer is None or interval is not None
    if self.base_log_normalizer is None:
      log_normalizer = self._log_normalizer()
    elif interval is None:  # Left to `evaluate`: `fit` does not report it.
      log_normalizer = tf.constant(np.nan, self.flow_dtype)
    else:
      log_normalizer = tf.cond(
          tf.equal(self.optimizer.iterations % interval, 0)
          | tf.equal(self.bpd_tracker.count, 0.),
          lambda: self._log_normalizer(self.training_enumeration_bits),
          lambda: tf.constant(np.nan, self.flow_dtype))
    applied = training.apply_finite_update(self.optimizer, checked_loss, grads, variables,
                                           self.skipped_updates)
    self.loss_tracker.update_state(loss, applied)
    self._record_bits_per_dim(base_log_prob, log_det, applied, log_normalizer, log_noise)
    self._record_accuracy(z, labels, applied)
    if self.base_log_normalizer is not None and self._updates_base(variables, grads):
      self.base_log_normalizer.forget(where=applied)

  def _training_bits_per_dim_interval(self, batch_size):
    """Steps between `fit`'s enumerations of log Z; None where `fit` leaves it out.

    None above `training_enumeration_bits` (or the base's
    `max_enumeration_bits`), and, with the automatic schedule, where one
    enumeration every `DEFAULT_INTERVAL` steps would cost more than `SHARE`
    of training (`training_metric_cost`, at the static batch size, else
    `fit`'s `batch_size`, else Keras' 32).
    """
    bits = self._base.enumerated_layer_size
    if bits > min(self.training_enumeration_bits, self._base.max_enumeration_bits):
      return None
    if self.training_bits_per_dim_interval != 'auto':
      return self.training_bits_per_dim_interval
    batch_size = batch_size or self._fit_batch_size or 32
    flow_parameters = (training_metric_cost.parameter_count(self._flow)
                       + training_metric_cost.parameter_count(self.dequantizer))
    return training_metric_cost.affordable_interval(
        self._base, batch_size, flow_parameters, num_chains=batch_size,
        num_gibbs_steps=self._chain_config['num_gibbs_steps'])

  def _updates_base(self, variables, grads):
    """Whether an applied update changes the base's parameters (known when tracing)."""
    base_variables = {id(v) for v in self._base.trainable_variables}
    return any(id(v) in base_variables for v, g in zip(variables, grads) if g is not None)

  def _check_labels_now(self, args, kwargs):
    """Eagerly checks labels `y` given as an array (to `fit` / `evaluate`), naming `y`.

    Labels inside a `tf.data.Dataset` are checked for dtype and shape when
    the step is traced.
    """
    y = args[1] if len(args) > 1 else kwargs.get('y')
    if y is None or isinstance(y, (tf.data.Dataset, keras.utils.PyDataset)) or callable(y):
      return
    try:
      labels = np.asarray(y)
    except (TypeError, ValueError):
      return
    _check_label_format(tf.TensorShape(labels.shape), self, dtype=tf.as_dtype(labels.dtype)
                        if labels.dtype.kind in 'iufb' else None, kind=labels.dtype.kind)
    bad = labels[(labels < _UNLABELLED) | (labels >= self.num_classes)]
    if bad.size:
      raise ValueError(
          f'Argument `y` must hold class indices in [0, {self.num_classes}) (num_classes of '
          f'the base), or -1 for an unlabelled example; got {sorted(set(bad.tolist()))[:5]}.')

  def make_train_function(self, force=False):
    # Optimizer variables created inside the traced step would trace it twice.
    if not self.optimizer.built:
      self.optimizer.build(self.trainable_variables)
    stacked = getattr(self.train_function, 'stacks_batches', False)
    odd = self._fit_stack_odd_batches
    if odd is not None:
      # `fit` feeds stacks of `steps_per_execution` batches (`stacked_steps`);
      # a function built for batches all alike cannot take a partial one.
      if force or not stacked or (odd and not self.train_function.odd_batches):
        self.train_function = stacked_steps.make_train_function(self, odd)
      return self.train_function
    if stacked:
      self.train_function = None
    with _logs_reducible_across_workers(self, 'train_step'):
      return super().make_train_function(force)

  def make_test_function(self, force=False):
    with _logs_reducible_across_workers(self, 'test_step'):
      return super().make_test_function(force)

  def fit(self, *args, callbacks=None, **kwargs):
    """`keras.Model.fit`, warning whenever an update was skipped.

    A base whose spec kind has a data-dependent start (the labelled RBM's)
    and has not had it gets it first from `fit`'s first examples
    (`initialize`).

    A skipped update, or an `InvalidArgumentError` out of the step (e.g. a
    Cholesky that failed), first validates the base's parameters
    (`tfp_rbm.training.validate_parameters`), which raises the base's own
    message when one left its valid region.

    With `compile(steps_per_execution=k)`, `k > 1`, arrays (and a
    `tf.data.Dataset` of batches of known length) are fed as stacks of `k`
    batches, each read once and trained in one call of the step (a
    `tf.while_loop`, XLA-compiled with `jit_compile`): the same updates as
    `k` single steps, every example once per epoch, callbacks once per
    execution as with Keras' own `steps_per_execution`
    (`tfp_rbm.keras.stacked_steps`). Under a `tf.distribute` strategy, with
    sample or class weights or `steps_per_epoch`, Keras' own loop runs.
    """
    # The range check first: data outside it also skip their update.
    callbacks = list(callbacks or []) + [_DataRangeCheck(), callbacks_lib.SkippedUpdatesWarning()]
    self._check_labels_now(args, kwargs)
    validation_data = kwargs.get('validation_data')
    if isinstance(validation_data, (tuple, list)) and len(validation_data) >= 2:
      self._check_labels_now(validation_data, {})
    self._initialize_from_first_examples(args[0] if args else kwargs.get('x'))
    self._fit_batch_size = kwargs.get('batch_size', args[2] if len(args) > 2 else None)
    stacked = stacked_steps.fit_arguments(self, args, kwargs)
    if stacked is not None:
      args, (kwargs, self._fit_stack_odd_batches) = (), stacked
    try:
      return super().fit(*args, callbacks=callbacks, **kwargs)
    except tf.errors.InvalidArgumentError:
      training.validate_parameters(self._base)
      raise
    finally:
      self._fit_stack_odd_batches = None

  def _initialize_from_first_examples(self, x):
    """`initialize` on `fit`'s first examples, where the base's kind has a start it has not left.

    Up to 1,000 examples of an array, the first batch of a
    `tf.data.Dataset` (read again by the epoch), nothing from data `fit`
    cannot look ahead in.
    """
    if not specs.base_awaits_initialization(self._specs['base'], self._base):
      return
    if isinstance(x, (np.ndarray, tf.Tensor)):
      self.initialize(x[:_INITIALIZATION_EXAMPLES])
    elif isinstance(x, tf.data.Dataset):
      batch = next(iter(x.take(1)))
      # A dataset's `(x, y)` or `(x, y, sample_weight)`: the examples come first.
      self.initialize(batch[0] if isinstance(batch, (tuple, list)) else batch)

  def evaluate(self, *args, **kwargs):
    """`keras.Model.evaluate`, with the base's log Z enumerated once, not per batch.

    When there is no estimate and the base is small enough, the exact log Z
    becomes the estimate for its current parameters (as `set_log_normalizer`).
    """
    if self.base_log_normalizer is not None:
      self.base_log_normalizer.assign_exact_if_missing()
    callbacks = kwargs.pop('callbacks', None)
    if not isinstance(callbacks, keras.callbacks.CallbackList):  # fit's list has the check.
      callbacks = list(callbacks or []) + [_DataRangeCheck()]
      self._check_labels_now(args, kwargs)
    return super().evaluate(*args, callbacks=callbacks, **kwargs)

  def test_step(self, data):
    x = self._data(data)
    labels = self._labels(data)
    if self._pixel_values is not None:
      self._pixel_values.record(x)
    # One fixed noise draw per batch: evaluate is reproducible.
    x, log_noise = self._dequantized(x, salt=1)
    if self._data_range is not None:
      self._data_range.record(x)
    if labels is not None:
      self._label_range.record(labels)
    z, base_log_prob, log_det = flow_density.log_prob_parts(self._transformed(self._base), x)
    return {**self._update_metrics(base_log_prob, log_det, True, self._log_normalizer(),
                                   log_noise),
            **self._update_accuracy(z, labels, True)}

  # -- Sampling and densities ------------------------------------------------

  def sample(self, num_samples, seed=None, num_steps=None, labels=None):
    """Draws from the model; an RBM base continues its persistent chains.

    Sample `i` starts from chain `i % buffer_size` of the buffer: beyond the
    buffer size, copies of the chains, which their own `num_steps` sweeps
    decorrelate (each copy is as close to the model as its chain is).
    The buffer itself is left as it is.

    Args:
      num_samples: positive int.
      seed: stateless seed.
      num_steps: extra block-Gibbs sweeps from the chains' current states
        (default: the training `num_gibbs_steps`).
      labels: for a base with labels, None (the label summed out) or the
        class of each sample, integers in `[0, K)` broadcasting with
        `[num_samples]`: `x ~ p(x | y)` (the RBM's chains run with the label
        clamped).

    Returns:
      Samples, shape `[num_samples, event_size]`.
    """
    num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
    draw = self._latent_form(self._base).sample
    if labels is not None:
      self._require_labels('sample with `labels`')
      draw = functools.partial(draw, labels=labels)
    if self.chains is not None:
      steps = (self._chain_config['num_gibbs_steps'] if num_steps is None
               else validation.check_integer(num_steps, 'num_steps', minimum=0))
      states = tf.convert_to_tensor(self.chains.states)
      starts = tf.gather(states, tf.range(num_samples) % states.shape[0])
      z = draw(num_samples, seed=seed, num_steps=steps, initial_state=starts)
    else:
      z = draw(num_samples, seed=seed)
    return z if self._flow is None else self._flow.forward(z)

  def log_prob(self, x):
    """Normalized log-density of each example of `x`; raises if log Z is unavailable."""
    x = self._examples(x)
    self._check_range_now(x)
    return self.distribution.log_prob(x)

  @classmethod
  def load(cls, filepath, compile=True):  # pylint: disable=redefined-builtin
    """Loads a FlowModel saved as `.keras`; every error names the file.

    `keras.saving.load_model` loads the same files; this checks the archive
    first (a truncated or corrupt file, a file of another model) and adds
    the file's name to a mismatch between its config and its weights.

    Args:
      filepath: path of the `.keras` file.
      compile: whether to restore the optimizer and compile.

    Returns:
      The `FlowModel`.

    Raises:
      ValueError: naming the file, for a missing, truncated or corrupt file, a
        file of another class, or weights that do not match the config.
    """
    path = os.fspath(filepath)
    if not os.path.isfile(path):
      raise ValueError(f'Argument `filepath`: there is no file {path!r}.')
    if not zipfile.is_zipfile(path):
      raise ValueError(
          f'{path!r} is not a complete .keras file: it is not a zip archive '
          f'({os.path.getsize(path)} bytes; truncated, or another format).')
    with zipfile.ZipFile(path) as archive:
      members = archive.namelist()
      missing = [m for m in ('config.json', 'model.weights.h5') if m not in members]
      if missing:
        raise ValueError(f'{path!r} is not a complete .keras file: it lacks {missing}.')
      corrupt = archive.testzip()
      if corrupt is not None:
        raise ValueError(f'{path!r} is corrupt: its member {corrupt!r} fails its CRC check.')
      class_name = json.loads(archive.read('config.json')).get('class_name')
    if class_name != cls.__name__:
      raise ValueError(f'{path!r} holds a {class_name}, not a {cls.__name__}.')
    try:
      return keras.saving.load_model(path, compile=compile)
    except ValueError as error:
      raise ValueError(f'Could not load the FlowModel in {path!r}: {error}') from error

  # -- Serialization ----------------------------------------------------------

  def get_config(self):
    if not isinstance(self._specs['base'], dict) or not (
        self._specs['flow'] is None or isinstance(self._specs['flow'], dict)):
      raise NotImplementedError(
          'FlowModel can be saved as .keras only when `base` and `flow` are given as '
          'specs (dicts, see tfp_rbm.keras.specs); with TFP objects use '
          'tf.train.Checkpoint(model=model) instead.')
    config = super().get_config()
    config.update(event_size=self.event_size, num_bins=self.num_bins, seed=self.seed,
                  training_enumeration_bits=self.training_enumeration_bits,
                  dtype=self.flow_dtype.name, label_weight=self.label_weight,
                  classification_weight=self.classification_weight,
                  overlap_chains=self.overlap_chains, exact_training=self.exact_training,
                  **self._specs, **self._chain_config)
    return config


def _default_enumeration_bits(base, event_size):
  """The most units `n` with `2^n * width <= 2^22`: `width` values per state (else D)."""
  width = (base.enumerated_state_width if flow_density.has_intractable_normalizer(base)
           else None)
  return enumeration.bits_within_value_budget(width or event_size)


def _check_exact_training(base, overlap_chains):
  """Raises unless `base`'s log Z can be enumerated in every step, without chains."""
  if not base.log_normalizer_is_enumerable:
    raise ValueError(
        f'Argument `exact_training`: the base {type(base).__name__} has '
        f'2^{base.enumerated_layer_size} states to enumerate for log Z, more than its '
        f'`max_enumeration_bits`={base.max_enumeration_bits}; train it on the surrogate loss '
        'with persistent chains (`exact_training=False`).')
  if overlap_chains:
    raise ValueError('Argument `overlap_chains` must be False with `exact_training=True`: '
                     'no chains are drawn.')


class _VariablesView(keras.layers.Layer):
  """A TFP object's variables as a Keras layer sees them, for `summary` and TensorBoard."""

  def __init__(self, name, variables):
    super().__init__(name=name, trainable=False)
    self._viewed = [_NamedVariable(path, variable) for path, variable in variables.items()]
    self.built = True

  @property
  def weights(self):
    return list(self._viewed)


@functools.lru_cache(maxsize=None)
def _view_class(type_name):
  """A `_VariablesView` subclass named after the viewed object's type (the summary shows it)."""
  return type(type_name, (_VariablesView,), {})


class _NamedVariable:
  """A `tf.Variable` under its path in the model, as Keras names its own (`path`)."""

  def __init__(self, path, variable):
    self.path = path
    self.variable = variable
    self.shape = variable.shape
    self.dtype = variable.dtype
    self.trainable = variable.trainable

  def __tf_tensor__(self, dtype=None, name=None):
    return tf.convert_to_tensor(self.variable, dtype=dtype, name=name)


class _DataRange:
  """The range the logit pre-processing accepts, and the last batch found outside it.

  `record` runs in the step (a min and a max of the batch); `check` runs
  eagerly between steps and raises, so the compiled step never has to.
  """

  def __init__(self, preprocessing, dtype):
    self.preprocessing = preprocessing
    self.high = float(preprocessing.get('high', 1.))
    # alpha = 0 leaves the ends out: logit(0) is -inf.
    self.closed = float(preprocessing.get('alpha', 0.05)) > 0.
    # [min, max] of the last batch outside the range; NaN while there is none.
    self.outside = tf.Variable([np.nan, np.nan], dtype=dtype, trainable=False,
                               name='data_outside_range',
                               aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

  def record(self, x):
    """Records `x` if its finite values leave the range; returns whether they stay in it."""
    lowest, highest = tf.reduce_min(x), tf.reduce_max(x)
    below = lowest < 0. if self.closed else lowest <= 0.
    above = highest > self.high if self.closed else highest >= self.high
    outside = ((below & tf.math.is_finite(lowest))
               | (above & tf.math.is_finite(highest)))
    self.outside.assign(tf.where(outside, tf.stack([lowest, highest]), self.outside))
    return tf.logical_not(outside)

  def check(self, where):
    """Raises a `ValueError` naming the range found, if a batch was outside."""
    lowest, highest = self.outside.numpy()
    if np.isnan(lowest):
      return
    self.outside.assign([np.nan, np.nan])
    interval = f'[0, {self.high:g}]' if self.closed else f'(0, {self.high:g})'
    raise ValueError(
        f'The data (argument `x`) must lie in {interval} for preprocessing='
        f'{self.preprocessing!r}; {where} holds values from {lowest:g} to {highest:g}. '
        'Scale it first, e.g. 8-bit pixels to (pixel + u) / 256 '
        '(tfp_rbm.datasets.dequantize).')


class _LabelRange:
  """Labels outside `[-1, K)` met in a step (e.g. from a dataset), raised between steps."""

  def __init__(self, num_classes):
    self.num_classes = num_classes
    # The last bad label found; -1 (a valid label) while there is none.
    self.bad = tf.Variable(_UNLABELLED, dtype=tf.int32, trainable=False, name='bad_label',
                           aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

  def record(self, labels):
    """Records a bad label of the batch, if any; returns whether all are in `[-1, K)`."""
    outside = (labels < _UNLABELLED) | (labels >= self.num_classes)
    any_outside = tf.reduce_any(outside)
    first_bad = tf.gather(labels, tf.argmax(tf.cast(outside, tf.int32), output_type=tf.int32))
    self.bad.assign(tf.where(any_outside, first_bad, self.bad))
    return tf.logical_not(any_outside)

  def check(self, where):
    bad = int(self.bad.numpy())
    if bad == _UNLABELLED:
      return
    self.bad.assign(_UNLABELLED)
    raise ValueError(
        f'Argument `y` must hold class indices in [0, {self.num_classes}) (num_classes of '
        f'the base), or -1 for an unlabelled example; {where} holds the label {bad}.')


class _PixelValues:
  """Pixel values outside `{0, ..., num_bins - 1}` met in a step, raised between steps.

  With variational dequantization the model takes the pixel values and
  adds the noise itself; data already dequantized or scaled would be
  silently wrong.
  """

  def __init__(self, num_bins):
    self.num_bins = num_bins
    # The last bad value found; NaN while there is none.
    self.bad = tf.Variable(np.nan, dtype=tf.float64, trainable=False, name='bad_pixel_value',
                           aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

  def record(self, pixels):
    """Records a bad value of the batch, if any; returns whether all are pixel values."""
    pixels = tf.cast(pixels, tf.float64)
    outside = (tf.not_equal(pixels, tf.round(pixels)) | (pixels < 0.)
               | (pixels > self.num_bins - 1.))
    outside = tf.reshape(outside, [-1])
    any_outside = tf.reduce_any(outside)
    first_bad = tf.gather(tf.reshape(pixels, [-1]),
                          tf.argmax(tf.cast(outside, tf.int32), output_type=tf.int32))
    self.bad.assign(tf.where(any_outside, first_bad, self.bad))
    return tf.logical_not(any_outside)

  def check(self, where):
    bad = float(self.bad.numpy())
    if np.isnan(bad):
      return
    self.bad.assign(np.nan)
    raise ValueError(
        f"Argument `x`: with dequantization='variational' the data are pixel values, "
        f'integers in [0, {self.num_bins}) (num_bins), which the model dequantizes '
        f'itself; {where} holds the value {bad:g}. Pass the images as they are stored '
        '(e.g. uint8), not scaled or dequantized.')


class _DataRangeCheck(keras.callbacks.Callback):
  """Raises after a batch outside the pre-processing's range, or with bad labels.

  `FlowModel` adds it.
  """

  def _check(self, where):
    data_range = getattr(self.model, '_data_range', None)
    if data_range is not None:
      data_range.check(where)
    label_range = getattr(self.model, '_label_range', None)
    if label_range is not None:
      label_range.check(where)
    pixel_values = getattr(self.model, '_pixel_values', None)
    if pixel_values is not None:
      pixel_values.check(where)

  def on_train_batch_end(self, batch, logs=None):
    self._check(f'batch {batch} of fit (its update was skipped)')

  def on_test_batch_end(self, batch, logs=None):
    self._check(f'batch {batch} of evaluate')


_UNLABELLED = -1
# Examples of an array that `fit` gives `initialize` (the base's data-dependent start).
_INITIALIZATION_EXAMPLES = 1000
# The bases with labels: a label layer summed out, `joint_log_prob` and `label_posterior`.
def _check_label_format(labels, model, dtype=None, kind=None):
  """Raises, naming `y`, unless the labels suit the model: integers of shape `[N]`.

  `labels` is a tensor, or a `TensorShape` with its `dtype` given apart.
  """
  shape = labels if isinstance(labels, tf.TensorShape) else labels.shape
  dtype = dtype if isinstance(labels, tf.TensorShape) else labels.dtype
  if not model.has_labels:
    raise ValueError(
        f'Argument `y`: the base {type(model.base).__name__} has no label layer, so the '
        'model takes no labels; fit on `x` alone, or use a labelled base '
        "({'kind': 'labeled_gaussian_bernoulli_rbm', 'num_classes': K, ...} or "
        "{'kind': 'class_conditional_gaussian_mixture', 'num_classes': K}).")
  if dtype is None or not dtype.is_integer:
    got = dtype.name if dtype is not None else f'numpy kind {kind!r}'
    raise ValueError(
        f'Argument `y` must hold integer class indices in [0, {model.num_classes}), or -1 '
        f'for an unlabelled example; got dtype {got}.')
  if shape.rank is not None and shape.rank != 1:
    raise ValueError(f'Argument `y` must have shape [N], one label per example of `x`; got '
                     f'shape {shape.as_list()}.')


@contextlib.contextmanager
def _logs_reducible_across_workers(model, step):
  """While Keras builds a step function: across workers, the step's scalar logs get an axis.

  Keras 3 averages a step's logs over the workers of a
  `MultiWorkerMirroredStrategy` with `strategy.reduce('MEAN', value, axis=0)`,
  which fails on a scalar (tensorflow/tensorflow#72388); on a value of shape
  `[1]` it is the mean over the replicas, a scalar again. Keras reads
  `model.<step>` when it builds the function, so the wrapper is in place
  only then. Elsewhere (one worker, any other strategy) nothing changes.
  """
  strategy = model.distribute_strategy
  resolver = getattr(strategy, 'cluster_resolver', None)
  spec = resolver.cluster_spec() if isinstance(
      strategy, tf.distribute.MultiWorkerMirroredStrategy) and resolver is not None else None
  num_workers = 0 if spec is None else sum(
      spec.num_tasks(job) for job in ('chief', 'worker') if job in spec.jobs)
  if num_workers <= 1:
    yield
    return
  run_step = getattr(model, step)

  def step_with_rank_one_logs(data):
    return tf.nest.map_structure(
        lambda value: tf.reshape(value, [1]) if value.shape.rank == 0 else value,
        run_step(data))

  object.__setattr__(model, step, step_with_rank_one_logs)  # Not tracked: no state.
  try:
    yield
  finally:
    object.__delattr__(model, step)


def _stateless_seed(seed):
  """A stateless seed, a function of the int `seed` only."""
  return tuple(int(s) for s in np.random.SeedSequence(seed).generate_state(2) % (2**31))


def _check_flow_spec(flow, event_size):
  if not isinstance(flow, dict):
    return
  size = specs.flow_event_size(flow)
  if size is not None and size != event_size:
    raise ValueError(
        f'Argument `flow` maps data of {size} values (its event_size or image_shape), '
        f'but the model has event_size={event_size}.')


def _build_dequantizer(dequantization, event_size, flow, num_bins, dtype, seed):
  """The `VariationalDequantizer` of a `dequantization` option, or None for uniform."""
  if isinstance(dequantization, dict):
    options = dict(dequantization)
    kind = options.pop('kind', None)
  else:
    kind, options = dequantization, {}
  if kind not in _DEQUANTIZATION_KINDS or (kind == 'uniform' and options):
    raise ValueError(
        "Argument `dequantization` must be 'uniform', 'variational' or a dict "
        "{'kind': 'variational', **options} (options of "
        f'tfp_rbm.dequantization.VariationalDequantizer); got {dequantization!r}.')
  if kind == 'uniform':
    return None
  if num_bins is None:
    raise ValueError("Argument `dequantization`: 'variational' needs the number of pixel "
                     'values `num_bins` (e.g. 256); the model has num_bins=None.')
  accepted = {'event_shape', 'num_coupling_layers', 'hidden_units', 'num_hidden_layers',
              'seed'}
  unknown = sorted(set(options) - accepted)
  if unknown:
    raise ValueError(f'Argument `dequantization` takes the options {sorted(accepted)}; got '
                     f'unknown {unknown}.')
  image_shape = flow.get('image_shape') if isinstance(flow, dict) else None
  options.setdefault('event_shape', list(image_shape) if image_shape else [event_size])
  options.setdefault('seed', seed)
  if int(np.prod(options['event_shape'])) != event_size:
    raise ValueError(f"Argument `dequantization`: its event_shape {options['event_shape']} "
                     f'does not hold event_size={event_size} values.')
  return dequantization_lib.VariationalDequantizer(num_bins=num_bins, dtype=dtype, **options)


_DEQUANTIZATION_KINDS = ('uniform', 'variational')


def _check_preprocessing(preprocessing):
  if preprocessing is None:
    return None
  if not isinstance(preprocessing, dict):
    raise TypeError("Argument `preprocessing` must be None or a dict such as {'alpha': 0.05}; "
                    f'got {preprocessing!r}.')
  unknown = sorted(set(preprocessing) - {'alpha', 'high'})
  if unknown:
    raise ValueError(f"Argument `preprocessing` takes the keys 'alpha' and 'high'; got "
                     f'unknown {unknown}.')
  return preprocessing


def _check_base(base, event_size):
  if not isinstance(base, tfd.Distribution):
    raise TypeError(f'Argument `base` must be a spec dict or a tfd.Distribution; got '
                    f'{type(base).__name__}.')
  event_shape = base.event_shape
  if event_shape.is_fully_defined() and event_shape.as_list() != [event_size]:
    raise ValueError(f'Argument `base` has event shape {event_shape.as_list()}, but the '
                     f'model needs [{event_size}] (event_size).')


def _listed(items, limit=6):
  """At most `limit` items of a list, then how many more."""
  shown = ', '.join(repr(item) for item in items[:limit])
  more = f', and {len(items) - limit} more' if len(items) > limit else ''
  return f'[{shown}{more}]'
