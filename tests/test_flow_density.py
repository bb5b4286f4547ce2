"""`tfp_rbm.flow_density`: log p(x, y) and p(y | x) through a flow, for a TFP user."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import cases_flowgmm
import cases_labeled
from tfp_rbm import flow_density

tfb = tfp.bijectors
tfd = tfp.distributions


def _affine_flow(dtype):
  """`x = 1.7 z + 0.3` on two units: log|det dz/dx| = -2 log 1.7."""
  return tfb.Chain([tfb.Shift(tf.constant([0.3, -0.2], dtype)),
                    tfb.Scale(tf.constant([1.7, 0.6], dtype))])


@pytest.mark.parametrize('kind', ['labeled_rbm', 'flowgmm'])
def test_joint_and_posterior_through_a_flow_are_the_base_s_on_the_latents(kind):
  """Against brute force: enumeration over `h` and `y` (the RBM), closed form (FlowGMM)."""
  dtype = tf.float64
  if kind == 'labeled_rbm':
    base = cases_labeled.make_labeled(dtype, seed=4, num_visible=2, num_hidden=3, num_classes=3)
  else:
    base = cases_flowgmm.make_mixture(dtype, seed=4, batch=(), num_classes=3)
  flow = _affine_flow(dtype)
  model = tfd.TransformedDistribution(base, flow)
  x = np.random.default_rng(0).normal(size=[5, 2])
  z = (x - [0.3, -0.2]) / [1.7, 0.6]
  log_det = -np.log(1.7) - np.log(0.6)
  if kind == 'labeled_rbm':
    (parameters,) = cases_labeled.machine_parameters(base)  # log Z by integration on a grid
    joint_z = (cases_labeled.joint_log_unnormalized(z, *parameters)
               - cases_labeled.log_normalizer(*parameters))
  else:
    joint_z = cases_flowgmm.joint_log_prob_exact(base, z)
  labels = np.array([0, 2, 1, 1, 0], np.int32)
  got = flow_density.joint_log_prob(model, x, labels).numpy()
  np.testing.assert_allclose(got, joint_z[np.arange(5), labels] + log_det, rtol=1e-6)
  # Summed over the labels, TFP's own TransformedDistribution.log_prob.
  every = np.stack([flow_density.joint_log_prob(model, x, np.full(5, k, np.int32)).numpy()
                    for k in range(3)], -1)
  np.testing.assert_allclose(np.logaddexp.reduce(every, -1), model.log_prob(x).numpy(),
                             rtol=1e-6)
  posterior = flow_density.label_posterior(model, x)
  assert isinstance(posterior, tfd.Categorical) and posterior.batch_shape == [5]
  np.testing.assert_allclose(posterior.probs_parameter().numpy(),
                             np.exp(joint_z - np.logaddexp.reduce(joint_z, -1)[:, None]),
                             rtol=1e-6)
  # A bare base: no flow.
  np.testing.assert_allclose(flow_density.joint_log_prob(base, z, labels).numpy(),
                             joint_z[np.arange(5), labels], rtol=1e-6)


def test_a_base_without_labels_is_refused_naming_the_argument():
  model = tfd.TransformedDistribution(tfd.MultivariateNormalDiag(tf.zeros(2)), tfb.Shift(1.))
  for function in (lambda: flow_density.joint_log_prob(model, tf.zeros([1, 2]), [0]),
                   lambda: flow_density.label_posterior(model, tf.zeros([1, 2]))):
    with pytest.raises(TypeError, match=r'Argument `distribution` must have a base with labels'
                                        r'.*MultivariateNormalDiag'):
      function()
