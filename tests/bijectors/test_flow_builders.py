"""Builders: JSON kwargs, seeding, one call builds all, every weight learns."""

import inspect
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python import distributions as tfd

from tfp_rbm import bijectors
from tfp_rbm import flows

SMALL = {
    'glow': dict(image_shape=[4, 4, 1], num_levels=2, num_steps=1,
                 hidden_channels=4),
    'nice': dict(event_size=6, num_coupling_layers=2, hidden_units=4,
                 num_hidden_layers=1),
    'flowpp': dict(image_shape=[4, 4, 1], num_components=2,
                   hidden_channels=4, num_blocks=1, num_checkerboard_steps=1,
                   num_channel_steps=1, num_final_steps=1),
}
DATA_SHAPE = {'glow': [3, 4, 4, 1], 'nice': [3, 6], 'flowpp': [3, 4, 4, 1]}


def _keras_layers(flow):
  return list(flow._flatten(  # pylint: disable=protected-access
      predicate=lambda v: isinstance(v, keras.layers.Layer)))


def _actnorms(flow):
  return list(flow._flatten(  # pylint: disable=protected-access
      predicate=lambda v: isinstance(v, bijectors.ActNorm)))


@pytest.mark.parametrize('name', sorted(SMALL))
def test_builder_defaults_are_json_serialisable(name):
  builder = getattr(flows, name)
  defaults = {k: p.default
              for k, p in inspect.signature(builder).parameters.items()}
  assert json.loads(json.dumps(defaults)) == {
      k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()}


@pytest.mark.parametrize('name', sorted(SMALL))
def test_the_builder_builds_everything_and_every_parameter_learns(name):
  flow = getattr(flows, name)(seed=1, **SMALL[name])
  layers = _keras_layers(flow)
  assert all(layer.built for layer in layers) and layers
  keras_weights = {w.value.ref() for layer in layers
                   for w in layer.trainable_weights}
  assert keras_weights <= {v.ref() for v in flow.trainable_variables}
  data = tf.random.stateless_uniform(DATA_SHAPE[name], seed=[2, 3])
  latent_size = int(np.prod(DATA_SHAPE[name][1:]))
  model = tfd.TransformedDistribution(
      tfd.MultivariateNormalDiag(tf.zeros([latent_size])), flow)
  with tf.GradientTape() as tape:
    loss = -tf.reduce_mean(model.log_prob(data))
  assert all(bool(actnorm.initialized) for actnorm in _actnorms(flow))
  assert flow.inverse(data).shape == [3, latent_size]
  parameters = model.trainable_variables
  gradients = tape.gradient(loss, parameters)
  for parameter, gradient in zip(parameters, gradients):
    assert gradient is not None, parameter.name
    assert np.all(np.isfinite(gradient)), parameter.name


@pytest.mark.parametrize('name', sorted(SMALL))
def test_same_seed_same_flow(name):
  data = tf.random.stateless_uniform(DATA_SHAPE[name], seed=[4, 5])
  first = getattr(flows, name)(seed=7, **SMALL[name])
  second = getattr(flows, name)(seed=7, **SMALL[name])
  np.testing.assert_array_equal(first.inverse(data), second.inverse(data))


def test_float64():
  flow = flows.glow(dtype='float64', seed=0, **SMALL['glow'])
  data = tf.random.stateless_uniform([2, 4, 4, 1], seed=[6, 7],
                                     dtype=tf.float64)
  assert flow.inverse(data).dtype == tf.float64


@pytest.mark.parametrize('builder, kwargs, message', [
    ('glow', dict(image_shape=[28, 28, 1], num_levels=3),
     'Argument `image_shape` of glow .* divisible by 8'),
    ('glow', dict(image_shape=[6, 6, 1], num_levels=2),
     'Argument `image_shape` of glow .* divisible by 4'),
    ('glow', dict(image_shape=[4, 4, 1], num_levels=0),
     'Argument `num_levels` of glow'),
    ('glow', dict(image_shape=[4, 4]), 'Argument `image_shape` of glow'),
    ('flowpp', dict(image_shape=[5, 5, 1]),
     'Argument `image_shape` of flowpp .* divisible by 2'),
    ('nice', dict(event_size=1), 'Argument `event_size` of nice'),
])
def test_bad_sizes_are_rejected_at_construction(builder, kwargs, message):
  with pytest.raises(ValueError, match=message):
    getattr(flows, builder)(**kwargs)


@pytest.mark.parametrize('compiled', [False, True], ids=['eager', 'xla'])
@pytest.mark.parametrize('name', ['glow', 'flowpp'])
def test_a_nan_pixel_in_the_first_batch_initialises_no_actnorm(name, compiled):
  # Once, one NaN pixel set every ActNorm's `loc` to NaN for good.
  flow = getattr(flows, name)(seed=1, **SMALL[name])
  inverse = (tf.function(flow.inverse, jit_compile=True) if compiled
             else flow.inverse)
  data = np.random.default_rng(0).uniform(
      size=DATA_SHAPE[name]).astype(np.float32)
  bad = data.copy()
  bad[0, 1, 1, 0] = np.nan
  inverse(tf.constant(bad))
  actnorms = _actnorms(flow)
  assert len(actnorms) >= 2
  for actnorm in actnorms:
    assert not bool(actnorm.initialized)
    np.testing.assert_array_equal(actnorm.loc.numpy(), 0.)
    np.testing.assert_array_equal(actnorm.log_scale.numpy(), 0.)
  latent = inverse(tf.constant(data))
  assert all(bool(actnorm.initialized) for actnorm in actnorms)
  assert np.all(np.isfinite(latent))
  for variable in flow.variables:
    assert np.all(np.isfinite(variable.numpy())), variable.name


@pytest.mark.parametrize('name', sorted(SMALL))
@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_half_precision_is_refused_at_construction(name, dtype):
  with pytest.raises(TypeError, match=f'Argument `dtype` of {name} must be '
                                      f'float32 or float64; got {dtype}'):
    getattr(flows, name)(dtype=dtype, **SMALL[name])


@pytest.mark.parametrize('name', sorted(SMALL))
def test_data_of_another_event_shape_are_refused_naming_the_builder(name):
  flow = getattr(flows, name)(seed=1, **SMALL[name])
  wrong = [3] + [2 * size for size in DATA_SHAPE[name][1:-1]] + [
      DATA_SHAPE[name][-1] + 1]
  with pytest.raises(ValueError, match=f'Argument `y` of {name} must have '
                                       'the event shape .*got shape'):
    flow.inverse(tf.zeros(wrong))
