"""Brute-force checks of the labelled Gaussian-Bernoulli RBM (its generic checks run from
the registry, `tests/cases_labeled.py`)."""

import numpy as np
import pytest
import tensorflow as tf

import cases_labeled
from tfp_rbm import distributions as tfrd
from tfp_rbm import evaluation

SEED = (4, 9)


def _machines(num_visible, num_classes, dtype=tf.float64, **kwargs):
  """Two machines (a batch of two) with 3 hidden units, parameters as constants."""
  return cases_labeled.make_labeled(dtype, seed=num_visible + 10 * num_classes, batch=[2],
                                    label_batch=[2], num_visible=num_visible,
                                    num_classes=num_classes, variables=False, **kwargs)


def _exact_label_pmf(dist):
  """`P(y)` of every machine, `[batch, K]`."""
  return np.stack([cases_labeled.hidden_and_label_pmf(*parameters)[0].sum(axis=0)
                   for parameters in cases_labeled.machine_parameters(dist)])


def _exact_conditional_means(dist):
  """`E[v | y]` of every machine, `[batch, K, D]`."""
  means = []
  for parameters in cases_labeled.machine_parameters(dist):
    pmf, component_means = cases_labeled.hidden_and_label_pmf(*parameters)
    means.append((pmf / pmf.sum(axis=0)).T @ component_means)
  return np.stack(means)


@pytest.mark.parametrize('num_visible,num_classes', [(1, 2), (1, 4), (2, 3)])
def test_densities_and_posterior_match_brute_force(num_visible, num_classes):
  """log p(v), log p(v, y), p(y | v) and log Z against enumeration over (h, y) and quadrature."""
  dist = _machines(num_visible, num_classes)
  x = dist.sample(6, seed=SEED, num_steps=20).numpy()
  labels = np.random.default_rng(0).integers(0, num_classes, size=x.shape[:-1])
  marginal = cases_labeled.labeled_reference(dist, x)
  joint = cases_labeled.labeled_reference(dist, x, labels)
  np.testing.assert_allclose(dist.log_prob(x).numpy(), marginal, atol=1e-6, rtol=0)
  np.testing.assert_allclose(dist.joint_log_prob(x, labels).numpy(), joint, atol=1e-6, rtol=0)
  every_label = np.stack([cases_labeled.labeled_reference(dist, x, np.full_like(labels, k))
                          for k in range(num_classes)], axis=-1)
  posterior = dist.label_posterior(x)
  assert posterior.batch_shape.as_list() == list(x.shape[:-1])
  np.testing.assert_allclose(posterior.probs_parameter().numpy(),
                             np.exp(every_label - marginal[..., None]), atol=1e-10)
  log_z = [cases_labeled.log_normalizer(*parameters)
           for parameters in cases_labeled.machine_parameters(dist)]
  np.testing.assert_allclose(dist.exact_log_normalizer().numpy(), log_z, atol=1e-6, rtol=0)
  np.testing.assert_allclose(dist.unnormalized_joint_log_prob(x, labels).numpy(),
                             joint + np.asarray(log_z), atol=1e-6, rtol=0)


def test_label_conditional_is_the_exact_conditional_density():
  """`label_conditional(y).log_prob(v) = log p(v, y) - log P(y)`."""
  dist = _machines(2, 3)
  x = dist.sample(5, seed=SEED, num_steps=20).numpy()
  log_label_pmf = np.log(_exact_label_pmf(dist))  # [batch, K]
  for k in range(3):
    conditional = dist.label_conditional(k)
    assert isinstance(conditional, tfrd.GaussianBernoulliRBM)
    np.testing.assert_allclose(
        conditional.log_prob(x).numpy(),
        cases_labeled.labeled_reference(dist, x, np.full(x.shape[:-1], k))
        - log_label_pmf[:, k], atol=1e-6, rtol=0)
  per_machine = dist.label_conditional([0, 2])
  assert per_machine.batch_shape == [2]


def test_hidden_probs_marginalize_the_label():
  """`p(h_j = 1 | v) = sum_y p(y | v) sigmoid(c + W^T (v / s) + U_y)_j`."""
  dist = _machines(2, 3)
  x = dist.sample(4, seed=SEED, num_steps=10).numpy()
  posterior = dist.label_posterior(x).probs_parameter().numpy()  # [4, batch, K]
  expected = np.zeros(x.shape[:-1] + (dist.num_hidden,))
  for k, (w, _, c, s, u, _) in enumerate(cases_labeled.machine_parameters(dist)):
    inputs = (x[:, k] / s) @ w + c  # [4, H]
    expected[:, k] = np.einsum('ny,nyj->nj', posterior[:, k],
                               1. / (1. + np.exp(-(inputs[:, None] + u))))
  np.testing.assert_allclose(dist.hidden_probs(x).numpy(), expected, atol=1e-12)


def test_chunked_enumeration_equals_single_chunk():
  dist = cases_labeled.make_labeled(tf.float64, num_visible=3, num_hidden=7, num_classes=4,
                                    variables=False)
  np.testing.assert_allclose(dist.exact_log_normalizer(chunk_bits=2).numpy(),
                             dist.exact_log_normalizer().numpy(), rtol=1e-12)


def test_gibbs_pairs_match_exact_moments():
  """(v, y) from the chains: E[v] and P(y) within Monte-Carlo error of the exact ones."""
  dist = _machines(2, 3)
  num_samples = 20000
  v, y = dist.sample_with_labels(num_samples, seed=SEED, num_steps=200)
  assert v.shape == [num_samples, 2, 2] and y.shape == [num_samples, 2] and y.dtype == tf.int32
  mean, cov = cases_labeled.labeled_moments_exact(dist)
  np.testing.assert_array_less(
      np.abs(v.numpy().mean(0) - mean),
      5. * np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1) / num_samples))
  pmf = _exact_label_pmf(dist)
  frequency = np.stack([(y.numpy() == k).mean(0) for k in range(3)], axis=-1)
  np.testing.assert_array_less(np.abs(frequency - pmf), 5. * np.sqrt(pmf * (1 - pmf) / num_samples))


def test_clamped_label_chains_match_exact_conditional_means():
  """`sample(n, labels=y)` draws from p(v | y): its mean is E[v | y] (a different y per machine)."""
  dist = _machines(2, 3)
  num_samples = 10000
  labels = np.array([2, 0])
  v = dist.sample(num_samples, seed=SEED, num_steps=200, labels=labels).numpy()
  conditional_means = _exact_conditional_means(dist)[np.arange(2), labels]  # [batch, D]
  cov = dist.label_conditional(labels).sample(num_samples, seed=SEED, num_steps=200)
  np.testing.assert_allclose(v, cov.numpy())  # the same chains
  standard_error = v.std(0) / np.sqrt(num_samples)
  np.testing.assert_array_less(np.abs(v.mean(0) - conditional_means), 5. * standard_error)
  per_sample = dist.sample(3, seed=SEED, num_steps=2, labels=np.zeros([3, 2], np.int64))
  assert per_sample.shape == [3, 2, 2]


def test_gradients_reach_every_parameter():
  dist = cases_labeled.make_labeled_gaussian_bernoulli_rbm(tf.float64)
  x = dist.sample(8, seed=SEED, num_steps=10)
  labels = np.arange(16).reshape([8, 2]) % 3
  with tf.GradientTape(persistent=True) as tape:
    joint = tf.reduce_sum(dist.joint_log_prob(x, labels))
    posterior = tf.reduce_sum(dist.label_posterior(x).log_prob(labels))
  for v, g in zip(dist.trainable_variables, tape.gradient(joint, dist.trainable_variables)):
    assert g is not None and np.all(np.isfinite(g.numpy())), v.name
    assert np.max(np.abs(g.numpy())) > 1e-6, v.name
  # p(y | v) does not depend on the visible bias: it enters every F(v, y) alike.
  names = {v.name.split(':')[0]: g for v, g in zip(
      dist.trainable_variables, tape.gradient(posterior, dist.trainable_variables))}
  np.testing.assert_allclose(names.pop('visible_bias').numpy(), 0., atol=1e-12)
  assert all(g is not None and np.max(np.abs(g.numpy())) > 1e-6 for g in names.values())


def test_float32_graph_and_xla_agree_with_eager():
  dist = cases_labeled.make_labeled_gaussian_bernoulli_rbm(tf.float32)
  x = dist.sample(5, seed=SEED, num_steps=5)
  labels = tf.constant(np.arange(10).reshape([5, 2]) % 3)

  def densities(d, v, y):
    return d.joint_log_prob(v, y), d.label_posterior(v).logits, d.log_prob(v)

  eager = densities(dist, x, labels)
  for compiled in (tf.function(densities), tf.function(densities, jit_compile=True)):
    for a, b in zip(compiled(dist, x, labels), eager):
      assert a.dtype == tf.float32
      np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)
  v, y = tf.function(lambda d: d.sample_with_labels(4, seed=SEED, num_steps=3),
                     jit_compile=True)(dist)
  assert v.shape == [4, 2, 2] and y.shape == [4, 2]
  clamped = tf.function(lambda d: d.sample(4, seed=SEED, num_steps=3, labels=[1, 2]),
                        jit_compile=True)(dist)
  assert np.all(np.isfinite(clamped.numpy()))


def test_ais_and_raise_bracket_the_exact_log_prob():
  """The chains run over the event, so RAISE applies as AIS does."""
  dist = _machines(2, 3)
  x = dist.sample(3, seed=SEED, num_steps=20)
  exact = dist.log_prob(x).numpy()
  estimate = evaluation.log_normalizer(dist, 'ais', num_chains=200, betas=200, seed=SEED)
  np.testing.assert_allclose(estimate.log_normalizer.numpy(),
                             dist.exact_log_normalizer().numpy(), atol=0.05)
  lower = evaluation.raise_log_prob(dist, x, num_chains_per_point=20, betas=200, seed=SEED)
  np.testing.assert_allclose(lower.numpy(), exact, atol=0.1)


# Bad labels and label layers are in the bad-input registry, tests/bad_inputs/cases_labeled.py.


def test_labels_known_only_when_run_are_asserted_under_validate_args():
  dist = _machines(2, 3, validate_args=True)
  x = dist.sample(2, seed=SEED, num_steps=2)
  joint = tf.function(dist.joint_log_prob)
  with pytest.raises(tf.errors.InvalidArgumentError, match=r'`labels` must hold class indices'):
    joint(x, tf.constant([[0, 3], [1, 2]]))
  assert np.all(np.isfinite(joint(x, tf.constant([[0, 2], [1, 2]])).numpy()))
