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


def test_the_per_level_form_is_the_flat_machine_on_lists():
  flat = cases_convolutional.make_convolutional(tf.float64, seed=4)
  levels = flat.copy(event_structure='levels')
  assert levels.event_shape == [tf.TensorShape([4, 4, 1]), tf.TensorShape([2, 2, 2])]
  assert levels.dtype == [tf.float64, tf.float64] and levels.batch_shape == [2]
  assert levels.flat_form.event_structure == 'flat' and flat.flat_form is flat
  x = flat.sample(3, seed=SEED, num_steps=2)
  x_levels = flat.split_levels(x)
  np.testing.assert_array_equal(levels.merge_levels(x_levels), x)
  for method in ('log_prob', 'unnormalized_log_prob', 'free_energy', 'hidden_probs'):
    np.testing.assert_allclose(getattr(levels, method)(x_levels), getattr(flat, method)(x),
                               rtol=1e-12, err_msg=method)
  np.testing.assert_allclose(flat.free_energy(x_levels), flat.free_energy(x), rtol=1e-12)
  for statistic in ('mean', 'variance'):
    np.testing.assert_allclose(levels.merge_levels(getattr(levels, statistic)()),
                               getattr(flat, statistic)(), rtol=1e-12)
  # The same chains: the per-level sample is the flat one, split.
  sample = levels.sample([2, 3], seed=SEED, num_steps=2)
  assert [s.shape.as_list() for s in sample] == [[2, 3, 2, 4, 4, 1], [2, 3, 2, 2, 2, 2]]
  np.testing.assert_array_equal(levels.merge_levels(sample),
                                flat.sample([2, 3], seed=SEED, num_steps=2))
  chains = levels.initial_chain_state(4, seed=SEED)
  assert chains.shape == [4, 2, 24]
  np.testing.assert_allclose(levels.surrogate_log_normalizer(chains),
                             flat.surrogate_log_normalizer(chains), rtol=1e-12)
  np.testing.assert_allclose(levels.fit_proposal(x_levels)['visible_bias'],
                             flat.fit_proposal(x)['visible_bias'], rtol=1e-12)
  assert levels.annealed(0.5).event_structure == 'flat'
  hidden = levels.hidden_probs(x_levels)
  per_level_visible = levels.visible_distribution(hidden)
  np.testing.assert_allclose(per_level_visible.log_prob(x_levels),
                             flat.visible_distribution(hidden).log_prob(x), rtol=1e-12)


def test_ais_and_raise_take_the_per_level_form():
  """`evaluation` estimates on the flat twin; RAISE takes the points as levels."""
  from tfp_rbm import evaluation  # pylint: disable=g-import-not-at-top
  flat = cases_convolutional.make_convolutional(tf.float64, seed=4)
  levels = flat.copy(event_structure='levels')
  x = flat.sample(3, seed=SEED, num_steps=2)
  for method in ('exact', 'ais'):
    by_levels = evaluation.log_normalizer(levels, method=method, num_chains=8, betas=20,
                                          seed=SEED)
    by_flat = evaluation.log_normalizer(flat, method=method, num_chains=8, betas=20, seed=SEED)
    np.testing.assert_allclose(by_levels.log_normalizer, by_flat.log_normalizer, rtol=1e-12)
  np.testing.assert_allclose(
      evaluation.raise_log_prob(levels, flat.split_levels(x), num_chains_per_point=2, betas=20,
                                seed=SEED),
      evaluation.raise_log_prob(flat, x, num_chains_per_point=2, betas=20, seed=SEED),
      rtol=1e-12)
  with pytest.raises(ValueError, match='`x`'):
    evaluation.raise_log_prob(levels, x, betas=20, seed=SEED)


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
def test_under_a_glow_that_returns_its_levels(dtype):
  # The machine over Glow's levels [4, 4, 2] and [2, 2, 8] onto a 2x2x2 map.
  from tensorflow_probability import distributions as tfd  # pylint: disable=import-outside-toplevel
  from tfp_rbm import flows  # pylint: disable=import-outside-toplevel
  config = ([[4, 4, 2], [2, 2, 8]], [3, 2], [2, 1], 2)
  flat = cases_convolutional.make_convolutional(dtype, config=config, batch=())
  kwargs = dict(image_shape=[8, 8, 1], num_levels=2, num_steps=1, hidden_channels=4,
                dtype=dtype.name)
  per_level_flow = flows.glow(latent_structure='levels', **kwargs)
  flat_flow = flows.glow(**kwargs)
  model = tfd.TransformedDistribution(flat.copy(event_structure='levels'), per_level_flow)
  reference = tfd.TransformedDistribution(flat, flat_flow)
  x = tf.random.stateless_normal([3, 8, 8, 1], seed=SEED, dtype=dtype)
  assert model.event_shape == [8, 8, 1] and model.dtype == dtype
  expected = reference.log_prob(x)
  tolerance = dict(rtol=1e-5) if dtype == tf.float32 else dict(rtol=1e-12)
  np.testing.assert_allclose(model.log_prob(x), expected, **tolerance)
  np.testing.assert_allclose(tf.function(model.log_prob)(x), expected, **tolerance)
  if dtype == tf.float32:
    np.testing.assert_allclose(tf.function(model.log_prob, jit_compile=True)(x), expected,
                               rtol=1e-4)
  sample = model.sample(2, seed=SEED, num_steps=2)
  np.testing.assert_allclose(sample, reference.sample(2, seed=SEED, num_steps=2),
                             **dict(tolerance, atol=1e-5))
