"""The convolutional Gaussian-Bernoulli RBM against the dense machine of its unrolled filters
(its generic checks run from the registry, `tests/cases_convolutional.py`)."""

import numpy as np
import pytest
import tensorflow as tf

import cases_convolutional
from tfp_rbm import distributions as tfrd

SEED = (2, 6)


def _dense_twin(dist):
  """The `GaussianBernoulliRBM` whose `W` is `dist`'s convolutions applied to basis vectors."""
  blocks = []
  for f, shape, stride in zip(dist.filters, dist.level_shapes, dist.strides):
    size = int(np.prod(shape))
    basis = tf.reshape(tf.eye(size, dtype=dist.dtype), [size] + shape)
    blocks.append(tf.reshape(tf.nn.conv2d(basis, f, stride, dist.padding), [size, -1]))
  return tfrd.GaussianBernoulliRBM(
      tf.concat(blocks, axis=0), dist.visible_bias,
      tf.tile(dist.hidden_bias, [1, dist.num_hidden // dist.hidden_map_shape[-1]]), dist.scale)


def test_unrolled_convolution_is_the_numpy_unrolling():
  dist = cases_convolutional.make_convolutional(tf.float64, seed=1)
  np.testing.assert_allclose(_dense_twin(dist).weights.numpy(),
                             cases_convolutional.unrolled_weights(dist), atol=1e-12)


@pytest.mark.parametrize('padding', ['SAME', 'VALID'])
def test_matches_the_dense_machine(padding):
  """log_prob, free energy, hidden_probs, p(v | h), log Z, mean and variance to 1e-5."""
  if padding == 'VALID':  # 4x4 under 3x3 stride 1 and 2x2 under 1x1: a 2x2 map.
    rng = np.random.default_rng(5)
    dist = tfrd.ConvolutionalGaussianBernoulliRBM(
        [rng.normal(size=[3, 3, 1, 2]) * .4, rng.normal(size=[1, 1, 2, 2]) * .4], [1, 1],
        rng.normal(size=[2, 24]), rng.normal(size=[2, 2]), rng.uniform(.5, 1.5, [2, 24]),
        cases_convolutional.TWO_BY_TWO[0], padding='VALID')
  else:
    dist = cases_convolutional.make_convolutional(tf.float64, seed=1, variables=False)
  dense = _dense_twin(dist)
  assert dist.hidden_map_shape == [2, 2, 2] and dist.num_hidden == dense.num_hidden == 8
  np.testing.assert_allclose(dense.weights.numpy(), cases_convolutional.unrolled_weights(dist),
                             atol=1e-12)
  v = dist.sample(4, seed=SEED, num_steps=3)
  h = tf.cast(tf.random.stateless_uniform([4, 2, 8], SEED, dtype=tf.float64) > .5, tf.float64)
  for method, arg in (('log_prob', v), ('free_energy', v), ('hidden_probs', v)):
    np.testing.assert_allclose(getattr(dist, method)(arg).numpy(),
                               getattr(dense, method)(arg).numpy(), atol=1e-5, err_msg=method)
  np.testing.assert_allclose(dist.visible_distribution(h).mean().numpy(),
                             dense.visible_distribution(h).mean().numpy(), atol=1e-5)
  for statistic in ('exact_log_normalizer', 'mean', 'variance'):
    np.testing.assert_allclose(getattr(dist, statistic)().numpy(),
                               getattr(dense, statistic)().numpy(), atol=1e-5,
                               err_msg=statistic)


def test_exact_log_normalizer_of_a_tiny_machine_is_brute_force():
  dist = cases_convolutional.make_convolutional(tf.float64, seed=4)
  expected = [cases_convolutional.log_normalizer(*parameters)
              for parameters in cases_convolutional.machine_parameters(dist)]
  np.testing.assert_allclose(dist.exact_log_normalizer().numpy(), expected, atol=1e-8)


def test_gradients_reach_every_parameter():
  dist = cases_convolutional.make_convolutional(tf.float64, seed=2)
  x = dist.sample(5, seed=SEED, num_steps=3)
  with tf.GradientTape() as tape:
    loss = -tf.reduce_sum(dist.log_prob(x))
  variables = dist.trainable_variables
  assert len(variables) == 5
  for variable, grad in zip(variables, tape.gradient(loss, variables)):
    assert grad is not None and np.any(grad.numpy() != 0.), variable.name


def test_paper_configuration_shapes():
  """EB-and-Flow's CIFAR levels (16x16, 8x8, 4x4) all map onto 4x4 with 'SAME' padding."""
  shapes = [[16, 16, 6], [8, 8, 12], [4, 4, 48]]
  filters = [tf.zeros([k, k, c, 3]) for k, (_, _, c) in zip([5, 3, 3], shapes)]
  dist = tfrd.ConvolutionalGaussianBernoulliRBM(
      filters, [4, 2, 1], tf.zeros([3072]), tf.zeros([3]), tf.ones([3072]), shapes)
  assert dist.hidden_map_shape == [4, 4, 3] and dist.event_shape == [3072]
  v = dist.sample(2, seed=SEED, num_steps=1)
  assert [level.shape.as_list() for level in dist.split_levels(v)] == [[2] + s for s in shapes]
  assert dist.hidden_probs(v).shape == [2, 48]
