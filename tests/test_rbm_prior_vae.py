"""RBMPriorVAE: importance sampling, VIMCO and the prior's surrogate against enumeration; saving.

The tiny models have 2-4 binary latents, so every sum over `z` (and over
the K-tuples of VIMCO's samples) is enumerated in float64 and the
Monte-Carlo estimates are compared to it within their own standard errors.
"""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tfp_rbm
from tfp_rbm.keras import RBMPriorVAE

tfd = tfp.distributions
PIXELS = 5


def _model(latent_size=3, prior=None, **kwargs):
  kwargs.setdefault('hidden_units', [4])
  kwargs.setdefault('dtype', 'float64')
  model = RBMPriorVAE(PIXELS, latent_size, prior or {'kind': 'bernoulli_rbm', 'num_hidden': 2,
                                                       'weight_scale': 1.},
                      seed=3, **kwargs)
  # Prior parameters far from their zero-bias initialisation, so no term is trivially 0.
  rng = np.random.default_rng(0)
  for variable in model.prior_variables:
    variable.assign(variable + rng.normal(scale=0.5, size=variable.shape))
  return model


def _states(bits):
  return np.array(list(itertools.product([0., 1.], repeat=bits)))


def _exact_log_prob(model, x):
  """`log sum_z p(z) p(x | z)` by enumeration, the prior's log Z enumerated in NumPy."""
  z = _states(model.latent_size)                          # [S, M]
  if model.chains is None:
    logits = model.prior_logits.numpy()
    log_prior = (z * logits - np.logaddexp(0., logits)).sum(-1)
  else:
    w, b, c = (v.numpy() for v in model.prior_variables)
    log_prior = z @ b + np.logaddexp(0., c + z @ w).sum(-1)
    log_prior -= np.logaddexp.reduce(log_prior)
  probs = model.decode(z).numpy()                         # p(x = 1 | z), [S, D]
  log_likelihood = (x[:, None] * np.log(probs) + (1 - x[:, None]) * np.log1p(-probs)).sum(-1)
  return np.logaddexp.reduce(log_prior + log_likelihood, axis=1)


X = np.array([[1., 0., 1., 1., 0.], [0., 0., 1., 0., 1.], [1., 1., 1., 0., 0.]])


@pytest.mark.parametrize('prior', [None, {'kind': 'factorial_bernoulli'}],
                         ids=['bernoulli_rbm', 'factorial_bernoulli'])
def test_importance_sampling_converges_to_the_exact_log_prob(prior):
  model = _model(prior=prior)
  exact = _exact_log_prob(model, X)
  few = model.log_prob(np.tile(X, [500, 1]), num_samples=2, seed=(0, 1)).numpy()
  few = few.reshape(500, len(X)).mean(0)
  many = model.log_prob(X, num_samples=20000, seed=(1, 2)).numpy()
  # Jensen: with few samples the estimate is low on average; with many it converges.
  assert np.all(few < exact), (few, exact)
  np.testing.assert_allclose(many, exact, atol=0.02)
  assert np.all(np.abs(many - exact) < np.abs(few - exact))


def test_evaluation_brackets_the_exact_nll_with_ais_and_raise():
  model = _model()
  exact_nll = -_exact_log_prob(model, X).mean()
  result = tfp_rbm.evaluation.evaluate_latent_variable_model(
      model, X, num_samples=2000, num_chains=200, num_chains_per_point=1, betas=100,
      num_raise_points=2, seed=(4, 5))
  assert result.num_points == 3 and result.num_raise_points == 2
  np.testing.assert_allclose(result.nll_exact_log_normalizer, exact_nll, atol=0.03)
  np.testing.assert_allclose(result.nll_ais, exact_nll, atol=0.05)
  exact_first_two = -_exact_log_prob(model, X[:2]).mean()
  np.testing.assert_allclose(result.nll_raise, exact_first_two, atol=0.05)
  np.testing.assert_allclose(result.raise_gap, result.nll_raise - result.nll_raise_points_ais)


def test_vimco_gradient_matches_the_brute_force_gradient_of_the_bound():
  """E[VIMCO estimate + negative phase] = grad L_K, L_K enumerated over all K-tuples of z."""
  model, num_samples = _model(latent_size=2), 3
  x = tf.constant(X[:1])
  variables = model.trainable_variables
  states = _states(2)
  tuples = tf.constant(np.stack([states[list(t)] for t in itertools.product(
      range(4), repeat=num_samples)], axis=1))             # [K, 4^K, M]
  with tf.GradientTape() as tape:
    q = model.posterior(x)
    log_q = q.log_prob(tuples)                             # [K, T]
    log_w = model.prior.log_prob(tuples) + model.log_likelihood(x, tuples) - log_q
    bound = tf.reduce_sum(tf.exp(tf.reduce_sum(log_q, 0)) * (
        tf.reduce_logsumexp(log_w, 0) - np.log(num_samples)))
  exact = [g.numpy() for g in tape.gradient(bound, variables)]

  # The composition `fit` uses: VIMCO on exp(-F) p(x | z), log Z's gradient from prior samples.
  exact_prior = tfd.Categorical(logits=model.prior.log_prob(states))
  log_joint = lambda x: lambda z: (model.prior.unnormalized_log_prob(z)
                                   + model.log_likelihood(x, z))
  estimates = []
  for repeat in range(10):
    batch = tf.tile(x, [2000, 1])
    negative = tf.gather(states, exact_prior.sample(2000, seed=(7, repeat)))
    with tf.GradientTape() as tape:
      loss = (tf.reduce_mean(tfp_rbm.training.vimco_loss(
          log_joint(batch), model.posterior(batch), num_samples, seed=(8, repeat)))
              + model.prior.surrogate_log_normalizer(negative))
    estimates.append([-g.numpy() for g in tape.gradient(loss, variables)])
  for index, variable in enumerate(variables):
    draws = np.stack([e[index] for e in estimates])
    mean, standard_error = draws.mean(0), draws.std(0, ddof=1) / np.sqrt(len(draws))
    np.testing.assert_array_less(np.abs(mean - exact[index]), 5. * standard_error + 1e-3,
                                 err_msg=variable.path)


def test_the_priors_surrogate_gradient_equals_the_exact_gradient_with_exact_samples():
  model = _model(latent_size=4)
  rbm, variables = model.prior, model.prior_variables
  with tf.GradientTape() as tape:
    log_z = rbm.exact_log_normalizer()
  exact = tape.gradient(log_z, variables)
  states = tf.constant(_states(4))
  num = 50000
  counts = np.bincount(tfd.Categorical(logits=rbm.log_prob(states)).sample(
      num, seed=(1, 1)).numpy(), minlength=16)
  samples = tf.repeat(states, counts, axis=0)
  with tf.GradientTape() as tape:
    surrogate = rbm.surrogate_log_normalizer(samples)
  estimate = tape.gradient(surrogate, variables)
  # The per-state gradients of -F give the Monte-Carlo error of the mean over samples.
  with tf.GradientTape(persistent=True) as tape:
    log_f = rbm.unnormalized_log_prob(states)
  frequency = counts / num
  for variable, e, g in zip(variables, exact, estimate):
    per_state = tape.jacobian(log_f, variable).numpy()     # [16, ...]
    spread = np.sqrt(np.tensordot(frequency, (per_state - g.numpy()) ** 2, 1) / num)
    np.testing.assert_array_less(np.abs(g.numpy() - e.numpy()), 5. * spread + 1e-6)
    np.testing.assert_allclose(g.numpy(), np.tensordot(frequency, per_state, 1), atol=1e-10)


def _digits(n):
  images = tfp_rbm.datasets.load_numpy('digits', 'train')[:n]
  return tfp_rbm.datasets.binarize(images).numpy().reshape(n, 64)


def _vae(objective):
  model = RBMPriorVAE(64, 6, {'kind': 'bernoulli_rbm', 'num_hidden': 4}, objective=objective,
                      num_samples=3, hidden_units=[16], buffer_size=32, num_gibbs_steps=2,
                      seed=1)
  model.compile(optimizer=keras.optimizers.Adam(3e-2), jit_compile=False)
  return model


def _fit_changes_every_weight(model, x):
  before = {v.path: v.numpy() for v in model.trainable_variables}
  history = model.fit(x, epochs=1, batch_size=32, verbose=0).history
  assert np.all(np.isfinite(history['nll_bound'])), history   # 2^4 hidden states: exact log Z
  unchanged = [v.path for v in model.trainable_variables
               if np.array_equal(before[v.path], v.numpy())]
  assert not unchanged, unchanged
  assert int(model.skipped_updates.numpy()) == 0


def test_pretrain_then_vimco_fit_and_a_keras_file_round_trip(tmp_path):
  x = _digits(64)
  model = _vae('vimco')
  histories = model.pretrain(x, autoencoder_epochs=2, prior_epochs=1, batch_size=32, verbose=0)
  assert model.stage == 'joint' and sorted(histories) == ['autoencoder', 'prior']
  reconstruction = histories['autoencoder'].history['loss']
  assert reconstruction[-1] < reconstruction[0], reconstruction
  _fit_changes_every_weight(model, x)

  path = str(tmp_path / 'vae.keras')
  model.save(path)
  loaded = keras.models.load_model(path)
  assert isinstance(loaded, RBMPriorVAE) and loaded.get_config() == model.get_config()
  # Everything the next update reads: weights, seeds, chains, optimizer state.
  for a, b in zip(model.weights + model.optimizer.variables,
                  loaded.weights + loaded.optimizer.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
  for a, b in zip(model.chains.variables, loaded.chains.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)
  np.testing.assert_array_equal(model.log_prob(x[:4], seed=(2, 3)),
                                loaded.log_prob(x[:4], seed=(2, 3)))
  np.testing.assert_array_equal(model.sample(3, seed=(1, 2)), loaded.sample(3, seed=(1, 2)))


def test_contrastive_wake_sleep_fit_trains_every_weight():
  _fit_changes_every_weight(_vae('rws'), _digits(64))
