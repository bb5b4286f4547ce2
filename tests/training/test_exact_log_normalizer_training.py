"""Training without chains where log Z is enumerable: the losses are the exact NLL and eq. 9."""

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import distributions as tfrd
from tfp_rbm import training
from tfp_rbm.internal import enumeration
from tfp_rbm.keras import FlowModel

D, H, K = 3, 4, 3


def _labelled(batch_shape=()):
  rng = np.random.default_rng(0)
  return tfrd.LabeledGaussianBernoulliRBM(
      tf.Variable(0.5 * rng.normal(size=[*batch_shape, D, H])),
      tf.Variable(rng.normal(size=[D])), tf.Variable(rng.normal(size=[H])),
      tf.Variable(np.exp(0.3 * rng.normal(size=[D]))),
      tf.Variable(rng.normal(size=[K, H])), tf.Variable(rng.normal(size=[K])))


def _direct_log_normalizer(rbm):
  """log Z with `a = W h` formed for every `(y, h)`: the definition, not the Gram form."""
  w, b, c, sigma, u, d = (tf.convert_to_tensor(p) for p in (
      rbm.weights, rbm.visible_bias, rbm.hidden_bias, rbm.scale, rbm.label_weights,
      rbm.label_bias))

  def log_weight(h):  # [k, H] -> batch + [k]
    a = tf.linalg.matmul(h, w, transpose_b=True)
    labels = tf.reduce_logsumexp(d[..., tf.newaxis, :] + tf.linalg.matmul(h, u, transpose_b=True),
                                 axis=-1)
    return (tf.linalg.matvec(h, c) + labels
            + tf.reduce_sum((b / sigma)[..., tf.newaxis, :] * a + tf.square(a) / 2., axis=-1))

  return (tf.reduce_sum(tf.math.log(np.sqrt(2. * np.pi) * sigma), axis=-1)
          + enumeration.logsumexp_over_binary_states(log_weight, H, tf.float64, chunk_bits=2))


def test_the_gram_form_log_z_is_the_definitions_for_a_batch_of_machines():
  rbm = _labelled(batch_shape=[2])
  np.testing.assert_allclose(rbm.exact_log_normalizer(chunk_bits=2),
                             _direct_log_normalizer(rbm), rtol=1e-12)


def test_without_chains_the_semi_supervised_loss_is_eq_9_and_its_gradient_exact():
  rbm = _labelled()
  rng = np.random.default_rng(1)
  x = tf.constant(rng.normal(size=[5, D]))
  labels = tf.constant([0, -1, 2, -1, 1])
  weight = 3.
  with tf.GradientTape(persistent=True) as tape:
    loss = training.semi_supervised_flow_loss(rbm, x, labels, label_weight=weight)
    log_z = _direct_log_normalizer(rbm)
    joint = rbm.unnormalized_joint_log_prob(x, tf.maximum(labels, 0)) - log_z
    marginal = rbm.unnormalized_log_prob(x) - log_z
    objective = tf.reduce_sum(tf.where(labels >= 0, weight * joint, marginal)) / 5.
  np.testing.assert_allclose(loss, -objective, rtol=1e-12)
  for got, want in zip(tape.gradient(loss, rbm.trainable_variables),
                       tape.gradient(objective, rbm.trainable_variables)):
    np.testing.assert_allclose(got, -want, rtol=1e-9, atol=1e-12)


def test_without_chains_the_flow_loss_is_the_exact_nll():
  rbm = _labelled()
  x = tf.constant(np.random.default_rng(2).normal(size=[4, D]))
  with tf.GradientTape(persistent=True) as tape:
    loss = training.flow_loss(rbm, x)
    nll = -tf.reduce_mean(rbm.unnormalized_log_prob(x) - _direct_log_normalizer(rbm))
  np.testing.assert_allclose(loss, nll, rtol=1e-12)
  for got, want in zip(tape.gradient(loss, rbm.trainable_variables),
                       tape.gradient(nll, rbm.trainable_variables)):
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_exact_training_fits_without_chains_and_saves_its_choice(tmp_path):
  rng = np.random.default_rng(0)
  y = rng.integers(0, 2, size=64).astype('int32')
  x = np.clip(np.where(y[:, None] == 1, 0.7, 0.3) + rng.normal(scale=0.05, size=[64, 4]),
              0.02, 0.98).astype('float32')
  model = FlowModel(4, base={'kind': 'labeled_gaussian_bernoulli_rbm', 'num_hidden': 3,
                             'num_classes': 2},
                    flow={'builder': 'nice', 'event_size': 4, 'hidden_units': 8,
                          'num_hidden_layers': 1, 'num_coupling_layers': 2},
                    preprocessing={'alpha': 0.05}, seed=1, exact_training=True)
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=True)
  before = [v.numpy().copy() for v in model.trainable_variables]
  history = model.fit(x, np.where(np.arange(64) % 2, y, -1), batch_size=32, epochs=3,
                      verbose=0).history
  assert model.chains is None
  assert all(np.any(b != v.numpy()) for b, v in zip(before, model.trainable_variables))
  assert np.all(np.isfinite(history['loss'])) and history['loss'][-1] < history['loss'][0]
  assert model.sample(3, seed=(0, 1)).shape == [3, 4]
  model.save(tmp_path / 'exact.keras')
  loaded = keras.saving.load_model(tmp_path / 'exact.keras')
  assert loaded.exact_training and loaded.chains is None
  np.testing.assert_allclose(loaded.log_prob(x[:8]), model.log_prob(x[:8]), rtol=1e-5)


def test_the_default_chunks_hold_2_to_the_22_values_and_give_the_same_log_z():
  rbm = _labelled()
  assert rbm.enumerated_state_width == 2 * H + 1 + K and rbm.log_normalizer_is_enumerable
  np.testing.assert_allclose(rbm.exact_log_normalizer(),
                             rbm.exact_log_normalizer(chunk_bits=1), rtol=1e-12)
  assert not rbm.copy(max_enumeration_bits=H - 1).log_normalizer_is_enumerable
