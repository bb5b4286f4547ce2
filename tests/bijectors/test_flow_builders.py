"""Builders: JSON kwargs, seeding, one call builds all, every weight learns."""

import functools
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
    'realnvp': dict(event_size=6, num_coupling_layers=2, hidden_units=4,
                    num_hidden_layers=1),
    'flowpp': dict(image_shape=[4, 4, 1], num_components=2,
                   hidden_channels=4, num_blocks=1, num_checkerboard_steps=1,
                   num_channel_steps=1, num_final_steps=1),
}
DATA_SHAPE = {'glow': [3, 4, 4, 1], 'nice': [3, 6], 'realnvp': [3, 6],
              'flowpp': [3, 4, 4, 1]}


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
    ('realnvp', dict(event_size=1), 'Argument `event_size` of realnvp'),
    ('realnvp', dict(num_coupling_layers=0), 'Argument `num_coupling_layers` of realnvp'),
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


# -- `latent_structure='levels'`: the latent as a list of images, one per level --
# The bijector registry's invariants take one latent tensor, so the per-level
# flows get them here: against the flat flow of the same seed (the same map, the
# levels concatenated), the round trip, the log-dets against the autodiff
# Jacobian, the shape functions, and XLA.

LEVELS = {'glow': [[2, 2, 2], [1, 1, 8]], 'flowpp': [[2, 2, 4]]}


def _flat(levels):
  return tf.concat([tf.reshape(level, [level.shape[0], -1]) for level in levels], axis=-1)


def _split(flat, shapes):
  sizes = [int(np.prod(shape)) for shape in shapes]
  return [tf.reshape(part, [-1] + shape)
          for part, shape in zip(tf.split(flat, sizes, axis=-1), shapes)]


@functools.lru_cache(maxsize=None)
def _levels_and_flat(name, dtype):
  """The per-level and the flat flow of one seed, ActNorms initialised on the same data."""
  per_level = getattr(flows, name)(seed=4, dtype=dtype.name, latent_structure='levels',
                                   **SMALL[name])
  flat = getattr(flows, name)(seed=4, dtype=dtype.name, **SMALL[name])
  data = tf.random.stateless_normal(DATA_SHAPE[name], seed=[5, 6], dtype=dtype)
  per_level.inverse(data)
  flat.inverse(data)
  return per_level, flat, data + 0


@pytest.mark.parametrize('name, dtype', [('glow', tf.float32), ('glow', tf.float64),
                                         ('flowpp', tf.float64)], ids=str)
def test_levels_are_the_flat_latent_split(name, dtype):
  per_level, flat, data = _levels_and_flat(name, dtype)
  levels = per_level.inverse(data)
  assert [level.shape.as_list() for level in levels] == [[3] + s for s in LEVELS[name]]
  assert per_level.latent_level_shapes == LEVELS[name] == flows.latent_level_shapes(
      name, **SMALL[name])
  np.testing.assert_array_equal(_flat(levels), flat.inverse(data))
  np.testing.assert_allclose(per_level.inverse_log_det_jacobian(data, event_ndims=3),
                             flat.inverse_log_det_jacobian(data, event_ndims=3), rtol=1e-6)
  data_again = per_level.forward([level + 0 for level in levels])
  np.testing.assert_allclose(data_again, data, atol=1e-5 if dtype == tf.float32 else 1e-10)


def test_levels_run_in_a_graph_and_under_xla():
  per_level, _, data = _levels_and_flat('glow', tf.float32)
  event_ndims = [3, 3]

  def round_trip(data):
    levels = per_level.inverse(data)
    return (levels, per_level.inverse_log_det_jacobian(data, event_ndims=3),
            per_level.forward([level + 0 for level in levels]),
            per_level.forward_log_det_jacobian([level + 0 for level in levels], event_ndims))

  eager = tf.nest.flatten(round_trip(data))
  for run in (tf.function(round_trip), tf.function(round_trip, jit_compile=True)):
    for expected, actual in zip(eager, tf.nest.flatten(run(data))):
      np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(eager[-2], data, atol=1e-5)
  np.testing.assert_allclose(eager[-1], -eager[-3], rtol=1e-5)


@pytest.mark.parametrize('direction', ['forward', 'inverse'])
@pytest.mark.parametrize('name', sorted(LEVELS))
def test_levels_log_det_matches_autodiff_jacobian(name, direction):
  per_level, _, data = _levels_and_flat(name, tf.float64)
  shapes = LEVELS[name]
  if direction == 'forward':
    value = _flat(per_level.inverse(data))
    fn = lambda flat: tf.reshape(per_level.forward(_split(flat, shapes)), [value.shape[0], -1])
    log_det = per_level.forward_log_det_jacobian(_split(value, shapes), [3] * len(shapes))
  else:
    value = tf.reshape(data, [data.shape[0], -1])
    fn = lambda flat: _flat(per_level.inverse(tf.reshape(flat, data.shape)))
    log_det = per_level.inverse_log_det_jacobian(data, event_ndims=3)
  with tf.GradientTape() as tape:
    tape.watch(value)
    out = fn(value)
  _, expected = tf.linalg.slogdet(tape.batch_jacobian(out, value))
  np.testing.assert_allclose(log_det, expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize('name', sorted(LEVELS))
def test_levels_shape_functions_match_the_outputs(name):
  per_level, _, _ = _levels_and_flat(name, tf.float32)
  image_shape = SMALL[name]['image_shape']
  shapes = [tf.TensorShape(shape) for shape in LEVELS[name]]
  assert per_level.inverse_event_shape(image_shape) == shapes
  assert per_level.forward_event_shape(shapes) == tf.TensorShape(image_shape)
  assert [s.numpy().tolist() for s in per_level.inverse_event_shape_tensor(image_shape)] == (
      LEVELS[name])
  assert per_level.forward_event_shape_tensor(
      [s.as_list() for s in shapes]).numpy().tolist() == image_shape
  traced = tf.function(per_level.inverse).get_concrete_function(
      tf.TensorSpec([None] + image_shape, tf.float32))
  assert [s.as_list() for s in traced.output_shapes] == [[None] + s for s in LEVELS[name]]


def test_levels_round_trip_through_a_checkpoint(tmp_path):
  per_level, _, data = _levels_and_flat('glow', tf.float32)
  fresh = flows.glow(seed=9, latent_structure='levels', **SMALL['glow'])
  path = tf.train.Checkpoint(flow=per_level).write(str(tmp_path / 'flow'))
  tf.train.Checkpoint(flow=fresh).read(path).assert_consumed()
  for expected, actual in zip(per_level.inverse(data), fresh.inverse(data)):
    np.testing.assert_array_equal(actual, expected)


def test_realnvp_changes_volume_with_the_data_and_nice_does_not():
  # NICE's couplings preserve volume, so its log-det is one constant (its final scaling);
  # RealNVP's affine couplings make it depend on the data once its networks have learned
  # (their output layers start at zero: every coupling a constant scaling).
  data = tf.random.stateless_normal([4, 6], seed=[8, 9])
  log_dets = {}
  for name in ('nice', 'realnvp'):
    flow = getattr(flows, name)(seed=2, **SMALL[name])
    log_dets[name, 'start'] = np.broadcast_to(
        flow.inverse_log_det_jacobian(data, event_ndims=1), [4])
    for index, variable in enumerate(flow.trainable_variables):
      variable.assign(tf.random.stateless_normal(variable.shape, seed=[10, index]))
    log_dets[name] = np.broadcast_to(flow.inverse_log_det_jacobian(data, event_ndims=1), [4])
  np.testing.assert_allclose(log_dets['realnvp', 'start'], 6 * np.log(1 / (1 + np.exp(-2.))),
                             rtol=1e-6)
  assert np.ptp(log_dets['nice']) == 0.
  assert np.ptp(log_dets['realnvp']) > 1e-3
