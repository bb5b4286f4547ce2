"""A Keras 3 variational autoencoder with binary latents and an RBM prior."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import distributions
from tfp_rbm import evaluation
from tfp_rbm import flow_density
from tfp_rbm import training
from tfp_rbm.internal import validation
from tfp_rbm.keras import base_log_normalizer as base_log_normalizer_lib
from tfp_rbm.keras import metrics as metrics_lib
from tfp_rbm.keras import specs

tfd = tfp.distributions

__all__ = ['RBMPriorVAE']

OBJECTIVES = ('vimco', 'rws')
PRIOR_KINDS = ('bernoulli_rbm', 'factorial_bernoulli')
STAGES = ('autoencoder', 'prior', 'joint')
# q's logits are l = 4 (E - 1/2) for the pretraining code E: the slope of the
# sigmoid at 0, so that a code the noise of B can no longer move (E <= -1/2
# or E >= 3/2) gets q = sigmoid(-+4), 0.018 or 0.982.
_CODE_SLOPE = 4.


@keras.saving.register_keras_serializable(package='tfp_rbm')
class RBMPriorVAE(keras.Model):
  """VAE with binary latents `z in {0, 1}^M`, a binary prior (an RBM) and a Bernoulli decoder.

  #### Mathematical Details

  ```none
  p(z)      = exp(-F(z)) / Z                   BernoulliRBM, hidden units summed out
            (or prod_i Bernoulli(z_i; sigmoid(a_i)), the factorial baseline)
  p(x | z)  = prod_d Bernoulli(x_d; sigmoid(decoder(z)_d))      x binary pixels
  q(z | x)  = prod_i Bernoulli(z_i; sigmoid(encoder(x)_i))
  L_K(x)    = E[log (1/K) sum_k p(x, z_k) / q(z_k | x)],   z_k ~ q(. | x)
  ```

  `fit` maximizes `L_K` (docs/math.md §13) with `objective='vimco'`
  (`tfp_rbm.training.vimco_loss`) or `'rws'` (contrastive reweighted
  wake-sleep, `tfp_rbm.training.reweighted_wake_sleep_loss`, with the sleep
  phase at `z^- ~ p(z)`, `x^- ~ p(x | z^-)`). The weights use
  `p*(x, z) = exp(-F(z)) p(x | z)`, and the RBM's log Z enters only through
  its gradient, `E_p[grad F(z^-)]`, from `buffer_size` persistent chains
  (`PersistentChains`, `num_gibbs_steps` block-Gibbs sweeps per update).

  `pretrain(x, autoencoder_epochs, prior_epochs)` is the two-stage
  pretraining of the paper's §3.1, each stage a `fit`: first the encoder
  and decoder as an autoencoder through the noisy code
  `B(E) = clip(E + U(-1/2, 1/2), 0, 1)`, `E = 1/2 + l / 4` with `l` the
  encoder's logits; then the prior alone on codes `z ~ q(z | x)` (PCD for an
  RBM). The paper's `q = sigmoid(E)` leaves a code that `B` rounds surely
  at `q = 0.82`; `l = 4 (E - 1/2)` (the sigmoid's slope at 0) gives 0.98.

  `fit` and `evaluate` report `nll_bound`, `-L_K` in nats per example with
  the prior's log Z (lower is better, declared to Keras' callbacks): in
  `fit` exact when the RBM's smaller layer has at most
  `training_enumeration_bits` units (else NaN); in `evaluate` the estimate
  of `set_log_normalizer`, else exact enumeration, else NaN. `loss` is the
  training surrogate (for an RBM not the bound). The test NLL with AIS and
  RAISE is `tfp_rbm.evaluation.evaluate_latent_variable_model(model, x)`.

  The data are binary pixels, `[N, event_size]` or `[N, *image_shape]`; any
  other value raises a `ValueError` naming `x` (after the batch in `fit` and
  `evaluate`, whose update is skipped). Non-finite losses or gradients skip
  the update (`skipped_updates`). The model saves as `.keras` and loads back
  exactly: networks, prior, chains, seeds, log Z estimate and optimizer.

  #### Examples

  ```python
  x = tfp_rbm.datasets.binarize(tfp_rbm.datasets.load_numpy('digits', 'train'))
  x = tf.reshape(x, [-1, 64])
  model = tfp_rbm.keras.RBMPriorVAE(
      event_size=64, latent_size=16, prior={'kind': 'bernoulli_rbm', 'num_hidden': 16},
      objective='vimco', num_samples=5, hidden_units=[128])
  model.compile(optimizer=keras.optimizers.Adam(1e-3))
  model.pretrain(x, autoencoder_epochs=10, prior_epochs=10, batch_size=100)
  model.fit(x, epochs=20, batch_size=100)
  model.evaluate(x_test)                         # nll_bound, exact log Z (16 units)
  images = model.sample(64, seed=(1, 2))         # prior by block Gibbs, decoded
  ```

  #### References

  [1] Learning deep generative models with discrete latent variables. ICLR
      2018 submission (../shared/papers/rbm-prior-vae_vimco_iclr2018.md).
  [2] Mnih, A., Rezende, D. J. Variational inference for Monte Carlo
      objectives. ICML 2016. https://arxiv.org/abs/1602.06725
  [3] Burda, Y., Grosse, R., Salakhutdinov, R. Importance weighted
      autoencoders. ICLR 2016. https://arxiv.org/abs/1509.00519
  """

  def __init__(self, event_size, latent_size, prior, objective='vimco', num_samples=5,
               hidden_units=(200, 200), activation='elu', buffer_size=1000,
               num_gibbs_steps=25, reset_fraction=0.05, training_enumeration_bits=12,
               seed=0, dtype='float32', **kwargs):
    """Builds encoder, decoder and prior (with its chains, for an RBM).

    Args:
      event_size: int, pixels per example `D`.
      latent_size: int, binary latents `M`.
      prior: a spec dict: `{'kind': 'bernoulli_rbm', 'num_hidden': H}` (with
        optional `weight_scale`, default 0.01, and `max_enumeration_bits`,
        default 20) or `{'kind': 'factorial_bernoulli'}`.
      objective: `'vimco'` or `'rws'` (contrastive reweighted wake-sleep).
      num_samples: `K`, importance samples per example (at least 2 for VIMCO).
      hidden_units: widths of the encoder's hidden layers (the decoder's in
        reverse order).
      activation: Keras activation of the hidden layers.
      buffer_size: persistent chains kept for an RBM prior.
      num_gibbs_steps: block-Gibbs sweeps of the chains per update.
      reset_fraction: fraction of the drawn chains restarted from noise.
      training_enumeration_bits: `fit` reports `nll_bound` with the exact
        log Z only up to this many units in the RBM's enumerated layer.
      seed: int; the same seed gives the same initial weights and draws.
      dtype: `'float32'` or `'float64'`.
      **kwargs: passed to `keras.Model` (e.g. `name`).
    """
    super().__init__(**kwargs)
    self.event_size = validation.check_integer(event_size, 'event_size', minimum=1)
    self.latent_size = validation.check_integer(latent_size, 'latent_size', minimum=1)
    if objective not in OBJECTIVES:
      raise ValueError(f'Argument `objective` must be one of {OBJECTIVES}; got {objective!r}.')
    self.objective = objective
    self.num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
    if objective == 'vimco' and self.num_samples < 2:
      raise ValueError(
          "Argument `num_samples` must be at least 2 for objective='vimco': the baseline of "
          f'each sample is built from the other K - 1; got {self.num_samples}.')
    self.hidden_units = [validation.check_integer(units, 'hidden_units', minimum=1)
                         for units in hidden_units]
    self.activation = activation
    self.training_enumeration_bits = validation.check_integer(
        training_enumeration_bits, 'training_enumeration_bits')
    self.seed = validation.check_integer(seed, 'seed')
    if dtype not in ('float32', 'float64', tf.float32, tf.float64):
      raise ValueError(f"Argument `dtype` must be 'float32' or 'float64'; got {dtype!r}.")
    self.latent_dtype = tf.as_dtype(dtype)
    self._prior_spec = dict(prior) if isinstance(prior, dict) else prior
    self._chain_config = dict(buffer_size=buffer_size, num_gibbs_steps=num_gibbs_steps,
                              reset_fraction=reset_fraction)
    self._stage = 'joint'

    self.encoder = self._network(self.hidden_units, self.latent_size, 'encoder', 0)
    self.decoder = self._network(self.hidden_units[::-1], self.event_size, 'decoder', 1)
    self.encoder.build((None, self.event_size))
    self.decoder.build((None, self.latent_size))
    self._prior = self._build_prior(prior)
    self.chains = None
    self.base_log_normalizer = None
    if flow_density.has_intractable_normalizer(self._prior):
      self.chains = training.PersistentChains(
          self._prior, seed=_stateless_seed(self.seed, 1), **self._chain_config)
      self.base_log_normalizer = base_log_normalizer_lib.BaseLogNormalizer(self._prior)
    self._step_seed = self.add_weight(
        shape=[2], dtype='int32', trainable=False, name='step_seed',
        initializer=lambda shape, dtype: tf.constant(_stateless_seed(self.seed, 2), dtype))
    self.skipped_updates = self.add_weight(shape=[], dtype='int64', trainable=False,
                                           initializer='zeros', name='skipped_updates')
    # Not model state: the last non-binary value met in a step, raised between steps.
    self._binary_check = _BinaryCheck(self.latent_dtype)
    self.loss_tracker = keras.metrics.Mean(name='loss')
    self.nll_tracker = metrics_lib.FiniteMean(name='nll_bound')
    self._bound_metrics = metrics_lib.DirectedMetrics([self.nll_tracker], name='bound_metrics')
    self.built = True

  # -- Construction -----------------------------------------------------------

  def _network(self, hidden_units, output_size, name, salt):
    """An MLP to logits; its initializers are seeded, so `seed` fixes the initial weights."""
    widths = list(hidden_units) + [output_size]
    activations = [self.activation] * len(hidden_units) + [None]
    return keras.Sequential([keras.layers.Dense(
        units, activation=activation, dtype=self.latent_dtype.name,
        kernel_initializer=keras.initializers.GlorotUniform(
            seed=1000 * self.seed + 100 * salt + index))
                             for index, (units, activation) in enumerate(zip(widths, activations))],
                            name=name)

  def _build_prior(self, spec):
    """The prior from its spec; its parameters are this model's Keras weights (`.value`)."""
    if isinstance(spec, tfd.Distribution):
      binary = isinstance(spec, distributions.BernoulliRBM)
      raise TypeError(
          'Argument `prior` must be a spec dict, so that the model owns and saves its '
          "weights: {'kind': 'bernoulli_rbm', 'num_hidden': H} or {'kind': "
          f"'factorial_bernoulli'}}; got a {type(spec).__name__}"
          + ('.' if binary else ', which is not a binary prior over z in {0, 1}^M.'))
    if not isinstance(spec, dict) or 'kind' not in spec:
      raise TypeError("Argument `prior` must be a spec dict such as {'kind': 'bernoulli_rbm', "
                      f"'num_hidden': 32}}; got {spec!r}.")
    options = {key: value for key, value in spec.items() if key != 'kind'}
    kind = spec['kind']
    if kind not in PRIOR_KINDS:
      why = 'whose values are not binary' if kind in specs.BASE_KINDS else 'an unknown kind'
      raise ValueError(
          f'Argument `prior` must be a binary prior over z in {{0, 1}}^M, kind one of '
          f'{PRIOR_KINDS}; got kind {kind!r}, {why}.')
    allowed = {'bernoulli_rbm': {'num_hidden', 'weight_scale', 'max_enumeration_bits'},
               'factorial_bernoulli': set()}[kind]
    unknown = sorted(set(options) - allowed)
    if unknown:
      raise ValueError(f'Argument `prior`: kind {kind!r} takes {sorted(allowed)}; got '
                       f'unknown {unknown}.')
    dtype = self.latent_dtype.name
    if kind == 'factorial_bernoulli':
      self.prior_logits = self.add_weight(shape=[self.latent_size], dtype=dtype,
                                          initializer='zeros', name='prior_logits')
      return tfd.Independent(tfd.Bernoulli(logits=self.prior_logits.value,
                                           dtype=self.latent_dtype),
                             reinterpreted_batch_ndims=1, name='FactorialBernoulli')
    if 'num_hidden' not in options:
      raise ValueError("Argument `prior`: kind 'bernoulli_rbm' needs `num_hidden`.")
    num_hidden = validation.check_integer(options['num_hidden'], 'num_hidden', minimum=1)
    self.prior_weights = self.add_weight(
        shape=[self.latent_size, num_hidden], dtype=dtype, name='prior_weights',
        initializer=keras.initializers.RandomNormal(
            stddev=options.get('weight_scale', 0.01), seed=self.seed))
    self.prior_visible_bias = self.add_weight(shape=[self.latent_size], dtype=dtype,
                                              initializer='zeros', name='prior_visible_bias')
    self.prior_hidden_bias = self.add_weight(shape=[num_hidden], dtype=dtype,
                                             initializer='zeros', name='prior_hidden_bias')
    return distributions.BernoulliRBM(
        weights=self.prior_weights.value, visible_bias=self.prior_visible_bias.value,
        hidden_bias=self.prior_hidden_bias.value,
        max_enumeration_bits=options.get('max_enumeration_bits', 20))

  def build(self, input_shape=None):
    self.built = True

  @property
  def prior(self):
    """`p(z)`: a `BernoulliRBM` or a factorial `tfd.Independent(tfd.Bernoulli)`."""
    return self._prior

  @property
  def stage(self):
    """What `fit` trains: `'joint'`, or `'autoencoder'` / `'prior'` inside `pretrain`."""
    return self._stage

  # -- The model's distributions -----------------------------------------------

  def posterior(self, x):
    """`q(z | x)`, a `tfd.Independent(tfd.Bernoulli)` with batch shape `[N]`, event `[M]`."""
    return self._posterior(self._checked(x))

  def _posterior(self, x):
    return tfd.Independent(tfd.Bernoulli(logits=self.encoder(x), dtype=self.latent_dtype),
                           reinterpreted_batch_ndims=1)

  def decode(self, z):
    """`p(x_d = 1 | z)`, `[..., event_size]`, for latents `z` of shape `[..., latent_size]`."""
    return tf.sigmoid(self._decoder_logits(tf.convert_to_tensor(z, self.latent_dtype)))

  def _decoder_logits(self, z):
    leading = tf.shape(z)[:-1]
    logits = self.decoder(tf.reshape(z, [-1, self.latent_size]))
    return tf.reshape(logits, tf.concat([leading, [self.event_size]], 0))

  def log_likelihood(self, x, z):
    """`log p(x | z)` for `z` of shape `sample_shape + [N, M]`: `sample_shape + [N]`."""
    return self._log_likelihood(self._checked(x), tf.convert_to_tensor(z, self.latent_dtype))

  def _log_likelihood(self, x, z):
    logits = self._decoder_logits(z)
    return tf.reduce_sum(x * logits - tf.math.softplus(logits), axis=-1)

  def _log_prior(self, z):
    """`log p(z)`, unnormalized (`-F(z)`) for an RBM."""
    if self.chains is not None:
      return self._prior.unnormalized_log_prob(z)
    return self._prior.log_prob(z)

  def _log_joint_fn(self, x):
    return lambda z: self._log_prior(z) + self._log_likelihood(x, z)

  def _log_normalizer(self, max_enumeration_bits=None):
    """The prior's log Z as the bounds use it: 0 for a normalized prior."""
    if self.base_log_normalizer is None:
      return tf.constant(0., self.latent_dtype)
    return tf.cast(self.base_log_normalizer.log_normalizer(max_enumeration_bits),
                   self.latent_dtype)

  def set_log_normalizer(self, log_normalizer):
    """Uses this estimate of the RBM's log Z (e.g. AIS's) until the prior's next update."""
    if self.base_log_normalizer is None:
      raise ValueError('Argument `log_normalizer`: the factorial prior is normalized and '
                       'needs no log Z estimate.')
    self.base_log_normalizer.assign(log_normalizer)

  def log_prob(self, x, num_samples=None, seed=None):
    """`log p(x)` by importance sampling from `q` (K = `num_samples`), minus the log Z in use.

    A stochastic lower bound for the log Z used; NaN when log Z is neither
    set nor enumerable.
    """
    x = self._checked(x)
    num_samples = self.num_samples if num_samples is None else num_samples
    if self.base_log_normalizer is not None:
      self.base_log_normalizer.assign_exact_if_missing()
    return evaluation.importance_sampled_log_prob(
        self._log_joint_fn(x), self._posterior(x), num_samples,
        seed=seed) - self._log_normalizer()

  def sample(self, num_samples, seed=None, num_steps=None):
    """Prior samples by block Gibbs, decoded: `p(x = 1 | z)`, `[num_samples, event_size]`.

    For an RBM, sample `i` continues chain `i % buffer_size` of the
    persistent chains by `num_steps` sweeps (default `num_gibbs_steps`),
    leaving the buffer as it is; the factorial prior is sampled exactly.
    """
    num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
    if self.chains is None:
      z = self._prior.sample(num_samples, seed=seed)
    else:
      steps = (self._chain_config['num_gibbs_steps'] if num_steps is None
               else validation.check_integer(num_steps, 'num_steps'))
      states = tf.convert_to_tensor(self.chains.states)
      starts = tf.gather(states, tf.range(num_samples) % states.shape[0])
      z = self._prior.sample(num_samples, seed=seed, num_steps=steps, initial_state=starts)
    return self.decode(z)

  # -- Data ---------------------------------------------------------------------

  def _examples(self, x):
    """`x` as `[N, event_size]` in the model's dtype; other shapes are refused, naming `x`."""
    x = tf.convert_to_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_integer or x.dtype.is_bool):
      raise TypeError(f'Argument `x` must hold binary numbers; got {x.dtype.name}.')
    shape = x.shape
    if shape.rank is not None and (shape.rank < 2 or (
        shape[1:].is_fully_defined() and shape[1:].num_elements() != self.event_size)):
      raise ValueError(
          f'Argument `x` must have shape [N, {self.event_size}] or [N, *image_shape] with '
          f'prod(image_shape) = {self.event_size} (event_size); got shape {shape.as_list()}.')
    batch_size = tf.compat.dimension_value(shape[0]) if shape.rank else None
    if batch_size is None:
      batch_size = tf.shape(x)[0]
    return tf.reshape(tf.cast(x, self.latent_dtype), [batch_size, self.event_size])

  def _checked(self, x):
    """`_examples(x)`, checked at once for binary values when eager."""
    x = self._examples(x)
    if tf.executing_eagerly():
      self._binary_check.record(x)
      self._binary_check.check('the data given')
    return x

  def _data(self, data):
    return self._examples(data[0] if isinstance(data, (tuple, list)) else data)

  @staticmethod
  def _batch_size(x):
    return x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]

  # -- Training -------------------------------------------------------------------

  def _next_seeds(self, n):
    seeds = tfp.random.split_seed(tf.convert_to_tensor(self._step_seed.value), n + 1)
    self._step_seed.assign(seeds[-1])
    return [seeds[i] for i in range(n)]

  def _negative_samples(self, batch_size, seed):
    """`z^- ~ p(z)`: persistent chains for an RBM, exact draws for the factorial prior."""
    if self.chains is not None:
      return self.chains.advance(self._prior, batch_size)
    return self._prior.sample(batch_size, seed=seed)

  def _autoencoder_loss(self, x, seeds):
    """`-mean log p(x | B(E))`, `E = 1/2 + l / 4`: pretraining stage 1."""
    codes = training.soft_binarize(0.5 + self.encoder(x) / _CODE_SLOPE, seeds[0])
    return -tf.reduce_mean(self._log_likelihood(x, codes)), None

  def _prior_loss(self, x, seeds):
    """The prior's NLL on codes `z ~ q(z | x)` (PCD's surrogate for an RBM): stage 2."""
    codes = tf.stop_gradient(self._posterior(x).sample(seed=seeds[0]))
    negative = (None if self.chains is None
                else self.chains.advance(self._prior, self._batch_size(x)))
    return training.flow_loss(self._prior, codes, negative), None

  def _joint_loss(self, x, seeds):
    """VIMCO or contrastive RWS, plus the RBM's negative phase; and `L^` per example."""
    negative = tf.stop_gradient(self._negative_samples(self._batch_size(x), seeds[0]))
    log_joint = self._log_joint_fn(x)
    posterior = self._posterior(x)
    if self.objective == 'vimco':
      per_example = training.vimco_loss(log_joint, posterior, self.num_samples, seeds[1])
      log_average_weight = -tf.stop_gradient(per_example)
    else:
      fantasies = tf.stop_gradient(tf.cast(
          tfd.Bernoulli(logits=self._decoder_logits(negative)).sample(seed=seeds[2]),
          self.latent_dtype))
      sleep_log_prob = self._posterior(fantasies).log_prob(negative)
      per_example, log_average_weight = training.reweighted_wake_sleep_loss(
          log_joint, posterior, self.num_samples, seeds[1], sleep_log_prob)
    loss = tf.reduce_mean(per_example)
    if self.chains is not None:
      loss += self._prior.surrogate_log_normalizer(negative)
    return loss, log_average_weight

  @property
  def prior_variables(self):
    """The prior's trainable Keras weights."""
    if self.chains is None:
      return [self.prior_logits]
    return [self.prior_weights, self.prior_visible_bias, self.prior_hidden_bias]

  def _stage_variables(self):
    networks = self.encoder.trainable_variables + self.decoder.trainable_variables
    return {'autoencoder': networks, 'prior': self.prior_variables,
            'joint': networks + self.prior_variables}[self._stage]

  def train_step(self, data):
    x = self._data(data)
    binary = self._binary_check.record(x)
    seeds = self._next_seeds(3)
    loss_fn = {'autoencoder': self._autoencoder_loss, 'prior': self._prior_loss,
               'joint': self._joint_loss}[self._stage]
    variables = self._stage_variables()
    with tf.GradientTape() as tape:
      loss, log_average_weight = loss_fn(x, seeds)
    grads = tape.gradient(loss, variables)
    # log Z of the parameters that gave the bound (before the update); none in pretraining.
    log_normalizer = (None if log_average_weight is None
                      else self._log_normalizer(self.training_enumeration_bits))
    checked_loss = tf.where(binary, loss, tf.constant(np.nan, loss.dtype))
    applied = training.apply_finite_update(self.optimizer, checked_loss, grads, variables,
                                           self.skipped_updates.value)
    self.loss_tracker.update_state(tf.where(applied, loss, 0.), tf.cast(applied, loss.dtype))
    if self.base_log_normalizer is not None and self._stage != 'autoencoder':
      self.base_log_normalizer.forget(where=applied)
    if log_normalizer is None:
      return {'loss': self.loss_tracker.result()}
    self.nll_tracker.update_state(log_normalizer - log_average_weight, applied)
    return {'loss': self.loss_tracker.result(), 'nll_bound': self.nll_tracker.result()}

  def test_step(self, data):
    x = self._data(data)
    self._binary_check.record(x)
    (seed,) = self._next_seeds(1)
    log_average_weight = evaluation.importance_sampled_log_prob(
        self._log_joint_fn(x), self._posterior(x), self.num_samples, seed)
    self.nll_tracker.update_state(self._log_normalizer() - log_average_weight)
    return {'nll_bound': self.nll_tracker.result()}

  def call(self, x):
    """`log p(x)` of each example with `num_samples` importance samples (see `log_prob`)."""
    x = self._examples(x)
    (seed,) = self._next_seeds(1)
    return evaluation.importance_sampled_log_prob(
        self._log_joint_fn(x), self._posterior(x), self.num_samples,
        seed) - self._log_normalizer()

  @property
  def metrics(self):
    return [self.loss_tracker, self._bound_metrics]

  def compile(self, optimizer='adam', loss=None, metrics=None, **kwargs):
    """`keras.Model.compile` with the optimizer and execution options only.

    Raises:
      ValueError: naming `loss` or `metrics`: the model defines its own.
    """
    given = [name for name, value in (('loss', loss), ('metrics', metrics)) if value is not None]
    if given:
      raise ValueError(f'RBMPriorVAE.compile takes no {" or ".join(f"`{g}`" for g in given)}: '
                       'the model trains on its objective and reports loss and nll_bound.')
    super().compile(optimizer=optimizer, **kwargs)

  def compile_from_config(self, config):
    # Keras skips a custom `compile` on load; this one takes Keras' config as it is.
    self.compile(**keras.saving.deserialize_keras_object(config))
    self.optimizer.build(self.trainable_variables)

  def fit(self, *args, callbacks=None, **kwargs):
    """`keras.Model.fit` for the current `stage` (`'joint'` outside `pretrain`)."""
    callbacks = list(callbacks or []) + [_BinaryDataCheck()]
    if getattr(self, 'optimizer', None) is not None and not self.optimizer.built:
      # Every stage updates a part of the weights: the optimizer holds all of them.
      self.optimizer.build(self.trainable_variables)
    return super().fit(*args, callbacks=callbacks, **kwargs)

  def evaluate(self, *args, callbacks=None, **kwargs):
    """`keras.Model.evaluate`: `nll_bound`, the RBM's log Z enumerated once if small enough."""
    if self.base_log_normalizer is not None:
      self.base_log_normalizer.assign_exact_if_missing()
    if not isinstance(callbacks, keras.callbacks.CallbackList):  # fit's list has the check.
      callbacks = list(callbacks or []) + [_BinaryDataCheck()]
    return super().evaluate(*args, callbacks=callbacks, **kwargs)

  def pretrain(self, x, autoencoder_epochs=10, prior_epochs=10, **fit_kwargs):
    """The two-stage pretraining of §3.1, each stage a `fit`; then `fit` trains jointly.

    Stage 1 trains encoder and decoder as an autoencoder on `-log p(x | B(E))`
    (see the class docstring); stage 2 the prior alone on codes `z ~ q(z |
    x)`, by persistent contrastive divergence for an RBM (its chains then go
    on into joint training). Both use the compiled optimizer.

    #### Examples

    ```python
    histories = model.pretrain(x, autoencoder_epochs=10, prior_epochs=10, batch_size=100)
    histories['autoencoder'].history['loss']
    ```

    Args:
      x: training data, as for `fit`.
      autoencoder_epochs: epochs of stage 1, an int >= 0.
      prior_epochs: epochs of stage 2, an int >= 0.
      **fit_kwargs: passed to each `fit` (`batch_size`, `verbose`, `callbacks`, ...).

    Returns:
      `{'autoencoder': History, 'prior': History}` for the stages run.
    """
    epochs = {'autoencoder': validation.check_integer(autoencoder_epochs, 'autoencoder_epochs'),
              'prior': validation.check_integer(prior_epochs, 'prior_epochs')}
    histories = {}
    for stage in ('autoencoder', 'prior'):
      if epochs[stage] == 0:
        continue
      self._set_stage(stage)
      try:
        histories[stage] = self.fit(x, epochs=epochs[stage], **fit_kwargs)
      finally:
        self._set_stage('joint')
    return histories

  def _set_stage(self, stage):
    self._stage = stage
    self.train_function = None  # Traced again for the stage's loss.

  # -- Saving: the Keras weights, plus the chains and the log Z estimate ----------

  def _extra_variables(self):
    found = {}
    if self.chains is not None:
      found.update({'chains.states': self.chains.states, 'chains.seed': self.chains.seed,
                    'log_normalizer.estimate': self.base_log_normalizer.estimate})
    return found

  def save_own_variables(self, store):
    super().save_own_variables(store)
    for path, variable in self._extra_variables().items():
      store[path] = variable.numpy()

  def load_own_variables(self, store):
    extra = self._extra_variables()
    missing = sorted(set(extra) - set(store.keys()))
    if missing:
      raise ValueError(f'The saved RBMPriorVAE lacks {missing}: was it saved with another '
                       'prior?')
    super().load_own_variables({key: store[key] for key in store.keys() if key.isdigit()})
    for path, variable in extra.items():
      variable.assign(store[path])

  def get_config(self):
    config = super().get_config()
    config.update(event_size=self.event_size, latent_size=self.latent_size,
                  prior=self._prior_spec, objective=self.objective,
                  num_samples=self.num_samples, hidden_units=list(self.hidden_units),
                  activation=self.activation,
                  training_enumeration_bits=self.training_enumeration_bits, seed=self.seed,
                  dtype=self.latent_dtype.name, **self._chain_config)
    return config


class _BinaryCheck:
  """The last non-binary value met in a step; `check` raises it between steps."""

  def __init__(self, dtype):
    self.found = tf.Variable(np.nan, dtype=dtype, trainable=False, name='non_binary_value')
    self.any = tf.Variable(False, trainable=False, name='non_binary_found')

  def record(self, x):
    """Records a value of `x` that is not 0 or 1, if any; returns whether all are."""
    outside = tf.reshape((x != 0.) & (x != 1.), [-1])
    any_outside = tf.reduce_any(outside)
    value = tf.gather(tf.reshape(x, [-1]), tf.argmax(tf.cast(outside, tf.int32)))
    self.found.assign(tf.where(any_outside, value, self.found))
    self.any.assign(self.any | any_outside)
    return tf.logical_not(any_outside)

  def check(self, where):
    if not bool(self.any.numpy()):
      return
    value = float(self.found.numpy())
    self.any.assign(False)
    raise ValueError(
        f'Argument `x` must be binary (0 or 1), the pixels of the Bernoulli decoder; {where} '
        f'holds the value {value:g}. Binarize images first, e.g. '
        'tfp_rbm.datasets.binarize(images).')


class _BinaryDataCheck(keras.callbacks.Callback):
  """Raises after a batch with non-binary data; `RBMPriorVAE.fit` and `evaluate` add it."""

  # pylint: disable=protected-access
  def on_train_batch_end(self, batch, logs=None):
    self.model._binary_check.check(f'batch {batch} of fit (its update was skipped)')

  def on_test_batch_end(self, batch, logs=None):
    self.model._binary_check.check(f'batch {batch} of evaluate')


def _stateless_seed(seed, salt):
  """A stateless seed, a function of the int `seed` and `salt` only."""
  return tuple(int(s) for s in np.random.SeedSequence([seed, salt]).generate_state(2) % (2**31))
