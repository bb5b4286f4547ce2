"""A Keras 3 model around `tfd.TransformedDistribution(base, flow)`."""

import collections
import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import bijectors
from tfp_rbm import evaluation
from tfp_rbm import flow_density
from tfp_rbm import training
from tfp_rbm.keras import base_log_normalizer as base_log_normalizer_lib
from tfp_rbm.keras import callbacks as callbacks_lib
from tfp_rbm.keras import specs

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ['FlowModel']


@keras.saving.register_keras_serializable(package='tfp_rbm')
class FlowModel(keras.Model):
  """Trains and evaluates a flow with any base through `compile` / `fit`.

  The model is `p(x) = p_base(f^{-1}(x)) |det df^{-1}/dx|`, i.e.
  `tfd.TransformedDistribution(base, flow)` (available as `.distribution`).
  A base with an intractable log Z (the RBMs) trains on the surrogate PCD
  loss with persistent chains (`tfp_rbm.training`); a base with an exact
  density (`normal`, `multivariate_normal`, `DiscreteMixture`) trains on the
  plain NLL.

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
  `set_log_normalizer`, else exact enumeration, else NaN. `evaluate`
  enumerates at most once per call (up to the base's `max_enumeration_bits`)
  and keeps the result as the estimate; `fit` enumerates once per step, and
  only for a base of at most `training_enumeration_bits` units in the
  enumerated layer, so that the metric never costs more than a small part of
  a step. A training update of the base's parameters drops the estimate (it
  was for the old parameters): set a new one after `fit`.

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

  #### Examples

  ```python
  model = tfp_rbm.keras.FlowModel(
      event_size=64,
      base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 16},
      flow={'builder': 'nice', 'event_size': 64, 'hidden_units': 64},
      preprocessing={'alpha': 0.05})
  model.compile(optimizer=keras.optimizers.Adam(1e-3))
  model.fit(train_images, epochs=5, batch_size=128)
  model.evaluate(test_images)        # bits_per_dim, exact log Z (16 hidden)
  samples = model.sample(64, seed=1)
  ```
  """

  def __init__(self, event_size, base, flow=None, preprocessing=None,
               buffer_size=10000, num_gibbs_steps=25, reset_fraction=0.05,
               num_bins=256, log_normalizer=None, training_enumeration_bits=None,
               seed=0, dtype='float32', **kwargs):
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
        base's log Z at every step only up to this many units in the
        enumerated layer; above it, it is NaN. Default: the most that keep
        `2^bits * event_size <= 2^22` (16 for 64 dimensions, 12 for 784).
      seed: int seed for the initial weights and the chains.
      dtype: 'float32' or 'float64'.
      **kwargs: passed to `keras.Model` (e.g. `name`).
    """
    super().__init__(**kwargs)
    self.event_size = int(event_size)
    self.num_bins = num_bins
    self.seed = int(seed)
    if training_enumeration_bits is None:
      training_enumeration_bits = max(0, int(math.floor(22 - math.log2(self.event_size))))
    self.training_enumeration_bits = int(training_enumeration_bits)
    self.flow_dtype = tf.as_dtype(dtype)
    self._specs = dict(base=base, flow=flow, preprocessing=preprocessing)
    self._chain_config = dict(buffer_size=buffer_size, num_gibbs_steps=num_gibbs_steps,
                              reset_fraction=reset_fraction)
    self._base = (specs.build_base(base, self.event_size, dtype, seed)
                  if isinstance(base, dict) else base)
    self._flow = self._make_flow(flow, preprocessing, dtype)
    self.chains = None
    self.base_log_normalizer = None
    if flow_density.has_intractable_normalizer(self._base):
      self.chains = training.PersistentChains(self._base, seed=seed, **self._chain_config)
      self.base_log_normalizer = base_log_normalizer_lib.BaseLogNormalizer(
          self._base, log_normalizer)
    self.skipped_updates = tf.Variable(
        0, dtype=tf.int64, trainable=False, name='skipped_updates',
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    self._build_conditioners()
    self.loss_tracker = _FiniteMean(name='loss')
    self.bpd_tracker = _FiniteMean(name='bits_per_dim')
    self.unnormalized_bpd_tracker = _FiniteMean(name='unnormalized_bits_per_dim')
    self.flow_bpd_tracker = _FiniteMean(name='flow_bits_per_dim')

  # -- Construction --------------------------------------------------------

  def _make_flow(self, flow, preprocessing, dtype):
    layers = []
    if preprocessing is not None:
      layers.append(bijectors.logit_preprocessing(dtype=dtype, **preprocessing))
    if isinstance(flow, dict):
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
      self._flow.forward(tf.zeros([1] + self._base.event_shape.as_list(), self.flow_dtype))
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
    return base if self._flow is None else tfd.TransformedDistribution(base, self._flow)

  def set_log_normalizer(self, log_normalizer):
    """Uses this estimate of the base's log Z (e.g. AIS) for `log_prob` and bits/dim.

    The estimate holds for the base's current parameters: the next training
    update of the base drops it. None drops it now.
    """
    if self.base_log_normalizer is None:
      raise ValueError(f'The base {type(self._base).__name__} has an exact density: '
                       'it needs no log Z estimate.')
    self.base_log_normalizer.assign(log_normalizer)

  def initialize(self, x):
    """Data-dependent initialisation (ActNorm) from a batch, done once, eagerly."""
    if self._flow is not None:
      self._flow.inverse(tf.convert_to_tensor(x, self.flow_dtype))

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
          'The saved FlowModel does not match this one (was it saved with other specs?); '
          f'nothing was loaded. Missing from the file: {missing}. In the file but not '
          f'in this model: {unexpected}. Shapes that differ: {mismatched}.')
    super().load_own_variables({key: store[key] for key in keras_keys})
    for path, variable in variables.items():
      variable.assign(saved[path])

  # -- Keras API ------------------------------------------------------------

  def call(self, x):
    """Unnormalized log-density of each example (log Z left out)."""
    _, base_log_prob, log_det = flow_density.log_prob_parts(self._transformed(self._base), x)
    return base_log_prob + log_det

  @property
  def metrics(self):
    return [self.loss_tracker, self.bpd_tracker, self.unnormalized_bpd_tracker,
            self.flow_bpd_tracker]

  def _update_metrics(self, base_log_prob, log_det, keep, max_enumeration_bits=None):
    """Adds a batch to the bits/dim metrics (if `keep`) and returns their results."""
    unnormalized = base_log_prob + log_det
    normalized = unnormalized
    if self.base_log_normalizer is not None:
      normalized -= self.base_log_normalizer.log_normalizer(max_enumeration_bits)
    num_bins = 1 if self.num_bins is None else self.num_bins  # 1: no offset.
    to_bits = lambda log_prob: evaluation.bits_per_dim(log_prob, self.event_size, num_bins)
    self.bpd_tracker.update_state(to_bits(normalized), keep)
    self.unnormalized_bpd_tracker.update_state(to_bits(unnormalized), keep)
    # The flow's term alone carries no quantization offset.
    self.flow_bpd_tracker.update_state(
        evaluation.bits_per_dim(log_det, self.event_size, num_bins=1), keep)
    trackers = (self.bpd_tracker, self.unnormalized_bpd_tracker, self.flow_bpd_tracker)
    return {m.name: m.result() for m in trackers}

  def _data(self, data):
    x = data[0] if isinstance(data, (tuple, list)) else data
    return tf.reshape(tf.cast(x, self.flow_dtype), [-1, self.event_size])

  def train_step(self, data):
    x = self._data(data)
    chain_samples = None
    if self.chains is not None:
      batch_size = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
      chain_samples = self.chains.advance(self._base, batch_size)
    variables = self.trainable_variables
    replica = tf.distribute.get_replica_context()
    with tf.GradientTape() as tape:
      loss, base_log_prob, log_det = training.flow_loss_and_log_prob_parts(
          self._transformed(self._base), x, chain_samples)
      # The optimizer sums gradients over replicas: average them instead.
      replica_loss = loss / tf.cast(replica.num_replicas_in_sync, loss.dtype)
    grads = tape.gradient(replica_loss, variables)
    applied = training.apply_finite_update(self.optimizer, loss, grads, variables,
                                           self.skipped_updates)
    self.loss_tracker.update_state(loss, applied)
    results = {'loss': self.loss_tracker.result(),
               **self._update_metrics(base_log_prob, log_det, applied,
                                      self.training_enumeration_bits)}
    if self.base_log_normalizer is not None and self._updates_base(variables, grads):
      self.base_log_normalizer.forget(where=applied)
    return results

  def _updates_base(self, variables, grads):
    """Whether an applied update changes the base's parameters (known when tracing)."""
    base_variables = {id(v) for v in self._base.trainable_variables}
    return any(id(v) in base_variables for v, g in zip(variables, grads) if g is not None)

  def make_train_function(self, force=False):
    # Optimizer variables created inside the traced step would trace it twice.
    if not self.optimizer.built:
      self.optimizer.build(self.trainable_variables)
    return super().make_train_function(force)

  def fit(self, *args, callbacks=None, **kwargs):
    """`keras.Model.fit`, warning whenever an update was skipped.

    A skipped update, or an `InvalidArgumentError` out of the step (e.g. a
    Cholesky that failed), first validates the base's parameters
    (`tfp_rbm.training.validate_parameters`), which raises the base's own
    message when one left its valid region.
    """
    callbacks = list(callbacks or []) + [callbacks_lib.SkippedUpdatesWarning()]
    try:
      return super().fit(*args, callbacks=callbacks, **kwargs)
    except tf.errors.InvalidArgumentError:
      training.validate_parameters(self._base)
      raise

  def evaluate(self, *args, **kwargs):
    """`keras.Model.evaluate`, with the base's log Z enumerated once, not per batch.

    When there is no estimate and the base is small enough, the exact log Z
    becomes the estimate for its current parameters (as `set_log_normalizer`).
    """
    if self.base_log_normalizer is not None:
      self.base_log_normalizer.assign_exact_if_missing()
    return super().evaluate(*args, **kwargs)

  def test_step(self, data):
    _, base_log_prob, log_det = flow_density.log_prob_parts(
        self._transformed(self._base), self._data(data))
    return self._update_metrics(base_log_prob, log_det, True)

  # -- Sampling and densities ------------------------------------------------

  def sample(self, num_samples, seed=None, num_steps=None):
    """Draws from the model; an RBM base continues its persistent chains.

    Args:
      num_samples: int, at most the chain buffer size for an RBM base.
      seed: stateless seed.
      num_steps: extra block-Gibbs sweeps from the chains' current states
        (default: the training `num_gibbs_steps`).

    Returns:
      Samples, shape `[num_samples, event_size]`.
    """
    base = self._base
    if self.chains is not None:
      steps = self._chain_config['num_gibbs_steps'] if num_steps is None else num_steps
      z = base.sample(num_samples, seed=seed, num_steps=steps,
                      initial_state=self.chains.states[:num_samples])
    else:
      z = base.sample(num_samples, seed=seed)
    return z if self._flow is None else self._flow.forward(z)

  def log_prob(self, x):
    """Normalized log-density; raises if the base's log Z is unavailable."""
    return self.distribution.log_prob(self._data(x))

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
                  dtype=self.flow_dtype.name, **self._specs, **self._chain_config)
    return config


class _FiniteMean(keras.metrics.Mean):
  """Mean of the finite values kept (`keep`), NaN while there is none."""

  def update_state(self, values, keep=True):
    values = tf.convert_to_tensor(values)
    keep = tf.math.logical_and(tf.math.is_finite(values), keep)
    super().update_state(tf.where(keep, values, tf.zeros_like(values)),
                         sample_weight=tf.cast(keep, values.dtype))

  def result(self):
    return tf.where(self.count > 0., super().result(), np.nan)
