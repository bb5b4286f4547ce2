"""Generic checks run on every bijector registered in `cases_bijectors.py`."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

# Importing the cases fills the registry.
import cases_bijectors  # noqa: F401  pylint: disable=unused-import
from registry import BIJECTORS
from tfp_rbm import bijectors
from tfp_rbm import flows

NAMES = sorted(BIJECTORS)
# Absolute round-trip error (the root search included).
TOLERANCE = {tf.float32: dict(rtol=0., atol=1e-5),
             tf.float64: dict(rtol=0., atol=1e-10)}
# Multiples of a case's point `x`: the origin, the bulk and far tails.
GRID_SCALES = (0., 1., -4., 20.)


@functools.lru_cache(maxsize=None)
def _case(name, dtype):
  """The case's bijector and point, built once per dtype."""
  bijector, x = BIJECTORS[name].make(dtype)
  return bijector, x, BIJECTORS[name].event_ndims


def _all_variables(bijector):
  """Its `tf.Module` variables and its Keras layers' weights, each once."""
  layers = bijector._flatten(  # pylint: disable=protected-access
      predicate=lambda v: isinstance(v, keras.layers.Layer))
  weights = [w.value for layer in layers for w in layer.weights]
  return list({v.ref(): v for v in list(bijector.variables) + weights}
              .values())


def _round_trip_and_log_dets(bijector, x, event_ndims):
  y = bijector.forward(x)
  # `+ 0` makes a new tensor, so TFP's cache cannot hand back `x`.
  return (y, bijector.inverse(y + 0),
          bijector.forward_log_det_jacobian(x, event_ndims=event_ndims),
          bijector.inverse_log_det_jacobian(
              y + 0, event_ndims=bijector.forward_event_ndims(event_ndims)))


def test_every_public_bijector_and_flow_builder_has_a_case():
  # A class is covered by a case building an instance of it, a function by a
  # case of its name.
  # `flows.latent_level_shapes` returns shapes, not a bijector (tested with the
  # convolutional base in tests/keras_models/test_flow_model_convolutional.py).
  exported = ([getattr(bijectors, name) for name in bijectors.__all__]
              + [getattr(flows, name) for name in flows.__all__
                 if name != 'latent_level_shapes'])
  classes = {type(_case(name, tf.float32)[0]) for name in NAMES}
  missing = [e.__name__ for e in exported
             if e not in classes and e.__name__ not in NAMES]
  assert not missing, f'not in the registry: {missing}'


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
@pytest.mark.parametrize('name', NAMES)
def test_round_trip_and_finite_log_dets(name, dtype):
  bijector, x, event_ndims = _case(name, dtype)
  round_trip_and_log_dets = functools.partial(
      _round_trip_and_log_dets, bijector, event_ndims=event_ndims)
  # float32 runs eagerly, float64 in a graph: both modes, both dtypes.
  if dtype == tf.float64:
    round_trip_and_log_dets = tf.function(round_trip_and_log_dets)
  y, x_again, fldj, ildj = round_trip_and_log_dets(x)
  np.testing.assert_allclose(x_again, x, **TOLERANCE[dtype])
  for value in (y, fldj, ildj):
    assert np.all(np.isfinite(value))


def _autodiff_log_det(fn, value, event_ndims):
  """log|det| of the Jacobian of `fn` at every event of `value`."""
  batch_shape = value.shape[:len(value.shape) - event_ndims]
  num_batch = batch_shape.num_elements()
  flat = tf.reshape(value, [num_batch, -1])
  with tf.GradientTape() as tape:
    tape.watch(flat)
    flat_out = tf.reshape(fn(tf.reshape(flat, value.shape)), [num_batch, -1])
  _, log_det = tf.linalg.slogdet(tape.batch_jacobian(flat_out, flat))
  return tf.reshape(log_det, batch_shape)


@pytest.mark.parametrize('direction', ['forward', 'inverse'])
@pytest.mark.parametrize('name', NAMES)
def test_log_det_matches_autodiff_jacobian(name, direction):
  # TFP derives the log-det a class does not define from the one it does, so
  # comparing `fldj(x)` with `-ildj(forward(x))` directly would prove
  # nothing. Each is compared with the autodiff Jacobian of its own map
  # instead (`forward` through the root search's implicit gradient); together
  # they show `fldj(x) == -ildj(forward(x))`.
  bijector, x, event_ndims = _case(name, tf.float64)
  if direction == 'forward':
    value, value_event_ndims = x, event_ndims
  else:
    value = bijector.forward(x) + 0
    value_event_ndims = bijector.forward_event_ndims(event_ndims)
  log_det = getattr(bijector, f'{direction}_log_det_jacobian')(
      value, event_ndims=value_event_ndims)
  expected = _autodiff_log_det(getattr(bijector, direction), value,
                               value_event_ndims)
  np.testing.assert_allclose(tf.broadcast_to(log_det, expected.shape),
                             expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize('name', NAMES)
def test_eager_and_xla_agree(name):
  bijector, x, event_ndims = _case(name, tf.float32)
  y = bijector.forward(x)

  def evaluate(x, y):
    return (bijector.forward(x),
            bijector.forward_log_det_jacobian(x, event_ndims=event_ndims),
            bijector.inverse(y),
            bijector.inverse_log_det_jacobian(
                y, event_ndims=bijector.forward_event_ndims(event_ndims)))

  eager = evaluate(x, y + 0)
  compiled = tf.function(evaluate, jit_compile=True)(x, y + 0)
  for expected, actual in zip(eager, compiled):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('name', NAMES)
def test_finite_gradients_from_the_origin_to_the_tails(name):
  # Every parameter and the input get a finite gradient at multiples of the
  # case's point (one batch), in both directions.
  bijector, x, event_ndims = _case(name, tf.float32)
  x = tf.concat([scale * x for scale in GRID_SCALES], axis=0)
  parameters = list(bijector.trainable_variables)
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = bijector.forward(x)
    data_side = y + 0
    loss = (tf.reduce_sum(y**2)
            + tf.reduce_sum(bijector.forward_log_det_jacobian(
                x, event_ndims=event_ndims))
            + tf.reduce_sum(bijector.inverse(data_side)**2)
            + tf.reduce_sum(bijector.inverse_log_det_jacobian(
                data_side, event_ndims=bijector.forward_event_ndims(
                    event_ndims))))
  gradients = tape.gradient(loss, parameters + [x])
  labels = [parameter.name for parameter in parameters] + ['x']
  for label, gradient in zip(labels, gradients):
    assert gradient is not None, label
    assert np.all(np.isfinite(gradient)), label


@pytest.mark.parametrize('name', NAMES)
def test_trainable_variables_are_what_a_tape_watches(name):
  # Keras 3 layers are not `tf.Module`s: a coupling must list their weights.
  bijector, x, event_ndims = _case(name, tf.float32)
  with tf.GradientTape() as tape:
    _round_trip_and_log_dets(bijector, x, event_ndims)
  watched = {v.ref() for v in tape.watched_variables()}
  tracked = {v.ref() for v in bijector.trainable_variables}
  assert tracked == watched, (
      f'not watched: {sorted(v.deref().name for v in tracked - watched)}, '
      f'not tracked: {sorted(v.deref().name for v in watched - tracked)}')


@pytest.mark.parametrize('name', NAMES)
def test_a_checkpoint_restores_every_variable_into_a_fresh_instance(
    name, tmp_path):
  # The Keras layers' weights are compared too, whether or not the bijector
  # lists them.
  saved, _ = BIJECTORS[name].make(tf.float32)
  fresh, _ = BIJECTORS[name].make(tf.float32)
  saved_variables = _all_variables(saved)
  fresh_variables = _all_variables(fresh)
  assert len(saved_variables) == len(fresh_variables)
  for variable in fresh_variables:  # every value differs from the saved one
    variable.assign(tf.logical_not(variable) if variable.dtype == tf.bool
                    else variable + tf.ones_like(variable))
  path = tf.train.Checkpoint(flow=saved).write(str(tmp_path / 'flow'))
  tf.train.Checkpoint(flow=fresh).read(path).assert_consumed()
  for expected, actual in zip(saved_variables, fresh_variables):
    np.testing.assert_array_equal(actual, expected, err_msg=expected.name)


@pytest.mark.parametrize('name', NAMES)
def test_event_shape_functions_match_the_outputs(name):
  bijector, x, event_ndims = _case(name, tf.float32)
  y = bijector.forward(x)
  x_event = x.shape[x.shape.rank - event_ndims:]
  y_event = y.shape[y.shape.rank - bijector.forward_event_ndims(event_ndims):]
  assert bijector.forward_event_shape(x_event) == y_event
  assert bijector.inverse_event_shape(y_event) == x_event
  assert (bijector.forward_event_shape_tensor(x_event).numpy().tolist()
          == y_event.as_list())
  assert (bijector.inverse_event_shape_tensor(y_event).numpy().tolist()
          == x_event.as_list())
  # A batch size unknown until run time leaves the other sizes static.
  for method, value, result in (('forward', x, y), ('inverse', y, x)):
    traced = tf.function(getattr(bijector, method)).get_concrete_function(
        tf.TensorSpec([None] + value.shape[1:], value.dtype))
    assert traced.output_shapes.as_list() == [None] + result.shape[1:], method
