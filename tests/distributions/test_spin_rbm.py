"""The spin RBM: its own math against the binary RBM, and training from the core alone."""

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import distributions as tfrd
from tfp_rbm import training


def _spin_rbm(rng, num_visible=5, num_hidden=3, scale=0.5):
  return tfrd.SpinRBM(
      weights=tf.Variable(rng.normal(size=[num_visible, num_hidden]) * scale),
      visible_bias=tf.Variable(rng.normal(size=[num_visible]) * scale),
      hidden_bias=tf.Variable(rng.normal(size=[num_hidden]) * scale))


def test_spin_rbm_is_the_binary_rbm_of_x_equals_half_of_v_plus_one():
  """With `v = 2x - 1`, `h = 2y - 1`: `W_B = 4W`, `b_B = 2b - 2 W 1`, `c_B = 2c - 2 W^T 1`."""
  spin = _spin_rbm(np.random.default_rng(0))
  w, b, c = (v.numpy() for v in (spin.weights, spin.visible_bias, spin.hidden_bias))
  binary = tfrd.BernoulliRBM(weights=4. * w, visible_bias=2. * b - 2. * w.sum(1),
                             hidden_bias=2. * c - 2. * w.sum(0))
  x = np.array(np.meshgrid(*[[0., 1.]] * 5)).reshape(5, -1).T
  np.testing.assert_allclose(spin.log_prob(2. * x - 1.).numpy(), binary.log_prob(x).numpy(),
                             atol=1e-10)
  np.testing.assert_allclose(spin.hidden_probs(2. * x - 1.).numpy(),
                             binary.hidden_probs(x).numpy(), atol=1e-12)


def test_persistent_contrastive_divergence_lowers_the_exact_nll():
  """Training needs nothing of the spin RBM but its own math: chains and surrogate are the core's."""
  rng = np.random.default_rng(1)
  data = _spin_rbm(rng, scale=1.).sample(500, seed=(1, 2), num_steps=200)
  model = _spin_rbm(rng, scale=0.01)
  chains = training.PersistentChains(model, buffer_size=200, num_gibbs_steps=5, seed=3)
  optimizer = keras.optimizers.Adam(0.05)
  nll_before = -float(tf.reduce_mean(model.log_prob(data)))
  for step in range(60):
    batch = data[(step * 50) % 500:(step * 50) % 500 + 50]
    negative = chains.advance(model, 50)
    with tf.GradientTape() as tape:
      loss = training.flow_loss(model, batch, negative)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                  model.trainable_variables))
  nll_after = -float(tf.reduce_mean(model.log_prob(data)))
  assert nll_after < nll_before - 0.1, (nll_before, nll_after)
