"""ClassConditionalGaussianMixture against closed-form NumPy and numerical integration."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate

import cases_flowgmm
from tfp_rbm import distributions as tfrd
from tfp_rbm.keras import specs

SEED = (4, 2)


@pytest.mark.parametrize('logits', [True, False])
def test_joint_posterior_and_marginal_match_closed_form(logits):
  dist = cases_flowgmm.make_mixture(tf.float64, seed=1, logits=logits)
  x = np.random.default_rng(0).normal(size=[5, 2, 2]) * 2.
  joint = cases_flowgmm.joint_log_prob_exact(dist, x)  # [5, 2, K]
  for y in range(dist.num_classes):
    np.testing.assert_allclose(dist.joint_log_prob(x, y).numpy(), joint[..., y], atol=1e-12)
  posterior = np.exp(joint - np.logaddexp.reduce(joint, axis=-1, keepdims=True))
  np.testing.assert_allclose(dist.label_posterior(x).probs_parameter().numpy(), posterior,
                             atol=1e-12)
  np.testing.assert_allclose(dist.log_prob(x).numpy(), cases_flowgmm.log_prob_exact(dist, x),
                             atol=1e-12)


def test_joint_integrates_to_the_prior_and_the_marginal_to_one():
  """In one dimension: integral of p(z, y) dz = pi_y, by Simpson's rule."""
  dist = cases_flowgmm.make_mixture(tf.float64, seed=2, batch=(), num_dims=1)
  grid = np.linspace(-15., 15., 3001)[:, None]
  prior = np.exp(cases_flowgmm.mixture_parameters(dist[tf.newaxis])[2][0])
  for y in range(dist.num_classes):
    mass = integrate.simpson(np.exp(dist.joint_log_prob(grid, y).numpy()), x=grid[:, 0])
    np.testing.assert_allclose(mass, prior[y], atol=1e-8)
  np.testing.assert_allclose(
      integrate.simpson(np.exp(dist.log_prob(grid).numpy()), x=grid[:, 0]), 1., atol=1e-8)


def test_samples_given_labels_and_with_labels_match_their_distributions():
  dist = cases_flowgmm.make_mixture(tf.float64, seed=3)
  loc, scale, log_prior = cases_flowgmm.mixture_parameters(dist)
  n = 4000
  z = dist.sample(n, seed=SEED, labels=[2, 0]).numpy()  # class 2 in machine 0, 0 in machine 1
  for k, y in enumerate([2, 0]):
    np.testing.assert_array_less(np.abs(z[:, k].mean(0) - loc[k, y]),
                                 5 * scale[k, y] / np.sqrt(n))
    np.testing.assert_allclose(z[:, k].std(0), scale[k, y], rtol=0.1)
  z, y = dist.sample_with_labels([n], seed=SEED)
  assert z.shape == [n, 2, 2] and y.shape == [n, 2] and y.dtype == tf.int32
  frequencies = np.stack([np.bincount(y[:, k], minlength=3) / n for k in range(2)])
  np.testing.assert_array_less(np.abs(frequencies - np.exp(log_prior)), 0.04)
  # z given its drawn label lies near that label's mean.
  chosen = loc[np.arange(2), y.numpy()]  # [n, 2, D]
  assert np.mean(np.abs(z.numpy() - chosen) < 4 * scale.max()) > 0.999


def test_every_parameter_gets_a_gradient_from_the_joint_and_posterior():
  dist = cases_flowgmm.make_mixture(tf.float32, seed=4)
  x = tf.constant(np.random.default_rng(1).normal(size=[3, 2, 2]), tf.float32)
  with tf.GradientTape() as tape:
    loss = -tf.reduce_sum(dist.joint_log_prob(x, [[0, 1], [2, 2], [1, 0]])
                          + dist.label_posterior(x).log_prob(0))
  grads = tape.gradient(loss, dist.trainable_variables)
  assert len(grads) == 3 and all(g is not None and np.all(np.isfinite(g)) for g in grads)


def test_validate_args_checks_scale_and_labels_known_only_when_running():
  dist = cases_flowgmm.make_mixture(tf.float64, seed=5, validate_args=True)
  joint = tf.function(dist.joint_log_prob)
  with pytest.raises(tf.errors.InvalidArgumentError, match=r'`labels` must hold class indices'):
    joint(tf.zeros([2, 2], tf.float64), tf.constant([0, 3]))
  with pytest.raises(tf.errors.InvalidArgumentError, match='`scale` must be positive'):
    tfrd.ClassConditionalGaussianMixture(np.zeros([2, 2]), np.array([1., -1.]),
                                         validate_args=True)


def test_spec_builds_flowgmm_base_with_trainable_means_and_scales():
  base = specs.build_base({'kind': 'class_conditional_gaussian_mixture', 'num_classes': 4,
                           'mean_scale': 2.}, 5, 'float64', seed=1)
  assert isinstance(base, tfrd.ClassConditionalGaussianMixture)
  assert base.num_classes == 4 and base.event_shape == [5] and base.dtype == tf.float64
  assert sorted(v.name for v in base.trainable_variables) == ['loc:0', 'scale:0']
  np.testing.assert_allclose(base.label_posterior(tf.zeros([1, 5], tf.float64)).probs_parameter()
                             .numpy().sum(), 1.)
  fixed = specs.build_base({'kind': 'class_conditional_gaussian_mixture', 'num_classes': 4,
                            'trainable_scale': False}, 5)
  assert [v.name for v in fixed.trainable_variables] == ['loc:0']


def test_spec_builds_the_flowgmm_authors_isotropic_scales():
  """`isotropic=True`: one scale per class, `[K, 1]`; the density is the isotropic mixture's."""
  base = specs.build_base({'kind': 'class_conditional_gaussian_mixture', 'num_classes': 3,
                           'isotropic': True, 'initial_scale': 0.5}, 4, 'float64', seed=2)
  assert tf.convert_to_tensor(base.scale).shape == [3, 1]
  assert sorted(v.name for v in base.trainable_variables) == ['loc:0', 'scale:0']
  z = np.random.default_rng(0).normal(size=[5, 4])
  loc = base.loc.numpy()
  log_joint = (-0.5 * np.sum((z[:, None] - loc) ** 2, -1) / 0.25
               - 4 * np.log(0.5 * np.sqrt(2 * np.pi)) - np.log(3.))
  np.testing.assert_allclose(base.log_prob(z).numpy(), np.logaddexp.reduce(log_joint, -1),
                             rtol=1e-6)
  samples = base.sample(2000, seed=(0, 3), labels=1).numpy()
  np.testing.assert_allclose(samples.std(0), [0.5] * 4, rtol=0.1)
