"""The semi-supervised loss: its expected gradient is the exact gradient of -J / N (eq. 9)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import cases_labeled
from tfp_rbm import training
from tfp_rbm.training import labeled_surrogate_loss

SEED = (5, 8)


def _model():
  """A labelled machine over one visible unit under a trainable affine flow `x = a z + s`."""
  base = cases_labeled.make_labeled(tf.float64, seed=3, num_visible=1, num_hidden=3,
                                    num_classes=3)
  flow = tfp.bijectors.Chain([
      tfp.bijectors.Shift(tf.Variable([0.3], dtype=tf.float64, name='shift')),
      tfp.bijectors.Scale(tf.Variable([1.7], dtype=tf.float64, name='flow_scale'))])
  return tfp.distributions.TransformedDistribution(base, flow), base


def _exact_chain_expectation_nodes(base, num_nodes=30):
  """Points `v_k` and weights `q_k` with `sum_k q_k g(v_k) = E_p(v)[g(v)]` for smooth `g`.

  `p(v)` is the Gaussian mixture over every hidden state (the label summed
  out), so Gauss-Hermite nodes within each component integrate exactly up
  to degree `2 num_nodes - 1`.
  """
  (parameters,) = cases_labeled.machine_parameters(base)
  pmf, component_means = cases_labeled.hidden_and_label_pmf(*parameters)
  nodes, weights = np.polynomial.hermite.hermgauss(num_nodes)
  scale = parameters[3]
  points = component_means[:, None, :] + np.sqrt(2.) * scale * nodes[None, :, None]
  q = pmf.sum(axis=1)[:, None] * weights[None, :] / np.sqrt(np.pi)
  return points.reshape([-1, 1]), q.reshape([-1])


def test_expected_gradient_is_the_exact_gradient_of_eq_9():
  """Eq. 9 with the added classifier term `gamma sum_L log p(y | x)` (its own exact path)."""
  model, base = _model()
  x = tf.constant([[-1.2], [0.4], [2.1], [0.9], [-0.3]], tf.float64)
  labels = tf.constant([2, -1, 0, -1, 1])
  label_weight = 3.
  classification_weight = 2.5
  variables = model.trainable_variables
  assert len(variables) == 8
  points, q = _exact_chain_expectation_nodes(base)
  np.testing.assert_allclose(q.sum(), 1., rtol=1e-12)
  # One trace for the hundreds of single-chain losses of the expectation.
  loss_with_chain = tf.function(lambda chain: labeled_surrogate_loss.semi_supervised_flow_loss(
      model, x, labels, chain, label_weight=label_weight,
      classification_weight=classification_weight))
  with tf.GradientTape() as tape:
    expected_loss = sum(q_k * loss_with_chain(points[k:k + 1]) for k, q_k in enumerate(q))
  surrogate = tape.gradient(expected_loss, variables)
  with tf.GradientTape() as tape:
    z = model.bijector.inverse(x)
    log_det = model.bijector.inverse_log_det_jacobian(x, event_ndims=1)
    joint = base.joint_log_prob(z, tf.maximum(labels, 0)) + log_det
    labelled = labels >= 0
    marginal = model.log_prob(x)
    posterior = base.label_posterior(z).log_prob(tf.maximum(labels, 0))
    objective = (tf.reduce_sum(tf.where(labelled, tf.zeros_like(marginal), marginal))
                 + label_weight * tf.reduce_sum(tf.where(labelled, joint, tf.zeros_like(joint)))
                 + classification_weight * tf.reduce_sum(
                     tf.where(labelled, posterior, tf.zeros_like(posterior))))
    exact_loss = -objective / 5.
  exact = tape.gradient(exact_loss, variables)
  for v, g_surrogate, g_exact in zip(variables, surrogate, exact):
    assert np.max(np.abs(g_exact.numpy())) > 1e-3, v.name
    np.testing.assert_allclose(g_surrogate.numpy(), g_exact.numpy(), rtol=1e-7, atol=1e-9,
                               err_msg=v.name)


def test_all_unlabelled_is_the_plain_surrogate_loss():
  model, base = _model()
  x = tf.constant([[-1.2], [0.4], [2.1]], tf.float64)
  chains = base.sample(16, seed=SEED, num_steps=5)
  np.testing.assert_allclose(
      labeled_surrogate_loss.semi_supervised_flow_loss(model, x, [-1, -1, -1], chains,
                                                       label_weight=7.).numpy(),
      training.flow_loss(model, x, chains).numpy(), rtol=1e-12)


def test_loss_compiles_under_xla_with_a_batch_of_machines():
  base = cases_labeled.make_labeled_gaussian_bernoulli_rbm(tf.float32)
  x = base.sample(6, seed=SEED, num_steps=3)
  chains = base.sample(4, seed=SEED, num_steps=3)
  labels = tf.constant([[0, -1], [2, 1], [-1, -1], [1, 0], [2, 2], [-1, 1]])

  def loss(y):
    return labeled_surrogate_loss.semi_supervised_flow_loss(base, x, y, chains, 0.5)

  eager = loss(labels)
  compiled = tf.function(loss, jit_compile=True)(labels)
  np.testing.assert_allclose(compiled.numpy(), eager.numpy(), rtol=1e-5)
