"""A Keras 3 model around `tfd.TransformedDistribution(base, flow)`."""

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import bijectors
from tfp_rbm import flow_density
from tfp_rbm import training
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
  plain NLL. The reported `loss` is that training loss (for an RBM base it
  is not the NLL); `bits_per_dim` is reported by `evaluate` whenever the base
  can be normalized (exact enumeration, a supplied estimate, or an exact
  base), and `unnormalized_bits_per_dim` leaves log Z out.

  Bits/dim follow ../MATH.md §6: with `num_bins=256` the data are taken to
  be dequantized pixels scaled to [0, 1], and `D log 256` is added.

  A non-finite loss or gradient skips the update: the weights and the
  optimizer state stay as they were, `skipped_updates` counts it, and `fit`
  warns (`SkippedUpdatesWarning`).

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
               num_bins=256, log_normalizer=None, seed=0, dtype='float32',
               **kwargs):
    """Builds base, flow and (for an intractable base) the persistent chains.

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
      log_normalizer: optional log Z estimate of the base (e.g. from AIS).
      seed: int seed for the initial weights and the chains.
      dtype: 'float32' or 'float64'.
      **kwargs: passed to `keras.Model` (e.g. `name`).
    """
    super().__init__(**kwargs)
    self.event_size = int(event_size)
    self.num_bins = num_bins
    self.seed = int(seed)
    self.flow_dtype = tf.as_dtype(dtype)
    self._specs = dict(base=base, flow=flow, preprocessing=preprocessing)
    self._chain_config = dict(buffer_size=buffer_size, num_gibbs_steps=num_gibbs_steps,
                              reset_fraction=reset_fraction)
    self._base = (specs.build_base(base, self.event_size, dtype, seed)
                  if isinstance(base, dict) else base)
    self._flow = self._make_flow(flow, preprocessing, dtype)
    self._log_normalizer = log_normalizer
    self.chains = None
    if flow_density.has_intractable_normalizer(self._base):
      self.chains = training.PersistentChains(self._base, seed=seed, **self._chain_config)
    self.skipped_updates = tf.Variable(
        0, trainable=False, dtype=tf.int64, name='skipped_updates',
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    self._build_flow_layers()
    # Keras tracks the flow's conditioner layers as sub-layers of the model.
    self.flow_layers = list(self._flow._flatten(
        predicate=lambda x: isinstance(x, keras.layers.Layer))) if self._flow else []
    self.loss_tracker = keras.metrics.Mean(name='loss')
    self.unnormalized_bpd_tracker = keras.metrics.Mean(name='unnormalized_bits_per_dim')
    self.bpd_tracker = keras.metrics.Mean(name='bits_per_dim')

  # -- Construction --------------------------------------------------------

  def _make_flow(self, flow, preprocessing, dtype):
    layers = []
    if preprocessing is not None:
      layers.append(bijectors.Logit(**preprocessing))
    if isinstance(flow, dict):
      layers.append(specs.build_flow(flow, dtype))
    elif flow is not None:
      layers.append(flow)
    if not layers:
      return None
    return layers[0] if len(layers) == 1 else tfb.Chain(layers)

  def _build_flow_layers(self):
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
    """The model as `tfd.TransformedDistribution(base, flow)` (or the base)."""
    base = self._base
    if self._log_normalizer is not None:
      base = base.with_log_normalizer(self._log_normalizer)
    if self._flow is None:
      return base
    return tfd.TransformedDistribution(base, self._flow)

  def set_log_normalizer(self, log_normalizer):
    """Uses this estimate of the base's log Z (e.g. AIS) for `log_prob`."""
    self._log_normalizer = (None if log_normalizer is None
                            else float(np.asarray(log_normalizer)))

  def initialize(self, x):
    """Data-dependent initialisation (ActNorm) from a batch, done once, eagerly."""
    if self._flow is not None:
      self._flow.inverse(tf.convert_to_tensor(x, self.flow_dtype))

  # -- Variables: TFP objects hold tf.Variables Keras does not see ----------

  def _raw_variables(self):
    keras_owned = {id(w.value) for layer in self.flow_layers for w in layer.weights}
    modules = [self._base] + ([self._flow] if self._flow is not None else [])
    if self.chains is not None:
      modules.append(self.chains)
    found, seen = [], set()
    for module in modules:
      for v in module.variables:
        if id(v) not in seen and id(v) not in keras_owned:
          seen.add(id(v))
          found.append(v)
    return found + [self.skipped_updates]

  @property
  def variables(self):
    return super().variables + self._raw_variables()

  @property
  def weights(self):
    return super().weights + self._raw_variables()

  def save_own_variables(self, store):
    super().save_own_variables(store)
    for i, v in enumerate(self._raw_variables()):
      store[f'tfp_{i}'] = v.numpy()

  def load_own_variables(self, store):
    raw = self._raw_variables()
    own = {k: store[k] for k in store.keys() if not k.startswith('tfp_')}
    super().load_own_variables(own)
    stored = sorted((k for k in store.keys() if k.startswith('tfp_')),
                    key=lambda k: int(k[4:]))
    if len(stored) != len(raw):
      raise ValueError(f'The saved FlowModel holds {len(stored)} TFP variables; this one has '
                       f'{len(raw)}. Was it saved with different specs?')
    for key, v in zip(stored, raw):
      v.assign(store[key])

  # -- Keras API ------------------------------------------------------------

  def call(self, x):
    """Unnormalized log-density of each example (log Z left out)."""
    log_prob, _ = flow_density.unnormalized_log_prob_and_latent(self.distribution, x)
    return log_prob

  @property
  def metrics(self):
    return [self.loss_tracker, self.unnormalized_bpd_tracker, self.bpd_tracker]

  def _bits_per_dim(self, log_prob):
    offset = 0. if self.num_bins is None else self.event_size * math.log(self.num_bins)
    return (-log_prob + offset) / (self.event_size * math.log(2.))

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
      loss, log_prob = training.flow_loss_and_log_prob(self.distribution, x, chain_samples)
      # The optimizer sums gradients over replicas: average them instead.
      replica_loss = loss / tf.cast(replica.num_replicas_in_sync, loss.dtype)
    grads = tape.gradient(replica_loss, variables)
    pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
    finite = tf.math.is_finite(loss)
    for g, _ in pairs:
      finite &= tf.reduce_all(tf.math.is_finite(g))
    # Every replica must take the same branch: skip if any replica saw a NaN.
    num_non_finite = replica.all_reduce(tf.distribute.ReduceOp.SUM,
                                        tf.cast(tf.logical_not(finite), tf.float32))
    finite = num_non_finite == 0.
    grads = [g for g, _ in pairs]
    replica.merge_call(self._apply_if_finite, args=(finite, grads, [v for _, v in pairs]))
    finite_loss = tf.math.is_finite(loss)
    self.loss_tracker.update_state(tf.where(finite_loss, loss, 0.),
                                   sample_weight=tf.cast(finite_loss, loss.dtype))
    self.unnormalized_bpd_tracker.update_state(self._bits_per_dim(log_prob))
    return {'loss': self.loss_tracker.result(),
            'unnormalized_bits_per_dim': self.unnormalized_bpd_tracker.result()}

  def make_train_function(self, force=False):
    # Optimizer variables created inside the traced step would trace it twice.
    if not self.optimizer.built:
      self.optimizer.build(self.trainable_variables)
    return super().make_train_function(force)

  def fit(self, *args, callbacks=None, **kwargs):
    """`keras.Model.fit`, warning whenever an update was skipped."""
    callbacks = list(callbacks or []) + [callbacks_lib.SkippedUpdatesWarning()]
    return super().fit(*args, callbacks=callbacks, **kwargs)

  def _apply_if_finite(self, strategy, finite, grads, variables):
    """Applies the update, or skips it and counts; runs in cross-replica context.

    A `tf.cond` whose branch synchronizes replicas (the optimizer does) must
    be taken in cross-replica context; `finite` is the same on every replica.
    """
    finite = strategy.experimental_local_results(finite)[0]

    def apply():
      strategy.extended.call_for_each_replica(self.optimizer.apply, args=(grads, variables))

    def skip():
      self.skipped_updates.assign_add(1)

    tf.cond(finite, apply, skip)

  def test_step(self, data):
    x = self._data(data)
    unnormalized, _ = flow_density.unnormalized_log_prob_and_latent(self.distribution, x)
    self.unnormalized_bpd_tracker.update_state(self._bits_per_dim(unnormalized))
    results = {'unnormalized_bits_per_dim': self.unnormalized_bpd_tracker.result()}
    try:
      log_prob = self.distribution.log_prob(x)
    except ValueError:
      # The base's log Z can be neither enumerated nor was it supplied.
      return results
    self.bpd_tracker.update_state(self._bits_per_dim(log_prob))
    results['bits_per_dim'] = self.bpd_tracker.result()
    return results

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
                  dtype=self.flow_dtype.name, log_normalizer=self._log_normalizer,
                  **self._specs, **self._chain_config)
    return config
