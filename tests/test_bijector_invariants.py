"""Generic checks run on every bijector registered in `cases_bijectors.py`."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

# Importing the cases fills the registry.
import cases_bijectors  # noqa: F401  pylint: disable=unused-import
from registry import BIJECTORS

NAMES = sorted(BIJECTORS)
TOLERANCE = {tf.float32: dict(rtol=1e-4, atol=2e-5),
             tf.float64: dict(rtol=1e-9, atol=1e-10)}


@functools.lru_cache(maxsize=None)
def _case(name, dtype):
  """The case's bijector and point, built once per dtype."""
  bijector, x = BIJECTORS[name].make(dtype)
  return bijector, x, BIJECTORS[name].event_ndims


def _keras_weights(bijector):
  layers = bijector._flatten(  # pylint: disable=protected-access
      predicate=lambda v: isinstance(v, keras.layers.Layer))
  return [w.value for layer in layers for w in layer.trainable_weights]


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
@pytest.mark.parametrize('name', NAMES)
def test_round_trip_and_log_dets(name, dtype):
  bijector, x, event_ndims = _case(name, dtype)
  y_event_ndims = bijector.forward_event_ndims(event_ndims)

  def round_trip_and_log_dets(x):
    y = bijector.forward(x)
    # `+ 0` makes a new tensor, so TFP's cache cannot hand back `x`.
    return (y, bijector.inverse(y + 0),
            bijector.forward_log_det_jacobian(x, event_ndims=event_ndims),
            bijector.inverse_log_det_jacobian(y + 0,
                                              event_ndims=y_event_ndims))

  # float32 runs eagerly, float64 in a graph: both modes, both dtypes.
  if dtype == tf.float64:
    round_trip_and_log_dets = tf.function(round_trip_and_log_dets)
  y, x_again, fldj, ildj = round_trip_and_log_dets(x)
  np.testing.assert_allclose(x_again, x, **TOLERANCE[dtype])
  np.testing.assert_allclose(fldj, -ildj, **TOLERANCE[dtype])
  assert np.all(np.isfinite(y)) and np.all(np.isfinite(fldj))


@pytest.mark.parametrize('name', NAMES)
def test_log_det_matches_autodiff_jacobian(name):
  # The analytic (data -> latent) direction; the other one follows from
  # `fldj(x) == -ildj(forward(x))` above.
  bijector, x, event_ndims = _case(name, tf.float64)
  y = bijector.forward(x)
  y_event_ndims = bijector.forward_event_ndims(event_ndims)
  batch_shape = y.shape[:len(y.shape) - y_event_ndims]
  num_batch = batch_shape.num_elements()
  flat_y = tf.reshape(y, [num_batch, -1])
  with tf.GradientTape() as tape:
    tape.watch(flat_y)
    flat_x = tf.reshape(bijector.inverse(tf.reshape(flat_y, y.shape)),
                        [num_batch, -1])
  _, expected = tf.linalg.slogdet(tape.batch_jacobian(flat_x, flat_y))
  ildj = bijector.inverse_log_det_jacobian(y + 0, event_ndims=y_event_ndims)
  np.testing.assert_allclose(
      tf.reshape(tf.broadcast_to(ildj, batch_shape), [-1]), expected,
      rtol=1e-7, atol=1e-8)


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
def test_every_parameter_gets_a_finite_gradient(name):
  bijector, x, event_ndims = _case(name, tf.float32)
  parameters = list(bijector.trainable_variables) + _keras_weights(bijector)
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
  for parameter, gradient in zip(parameters + [x], gradients):
    assert gradient is not None, parameter.name
    assert np.all(np.isfinite(gradient)), parameter.name
