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


def _keras_weights(bijector):
  layers = bijector._flatten(  # pylint: disable=protected-access
      predicate=lambda v: isinstance(v, keras.layers.Layer))
  return [w.value for layer in layers for w in layer.trainable_weights]


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
@pytest.mark.parametrize('name', NAMES)
def test_round_trip_and_finite_log_dets(name, dtype):
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
  labels = [parameter.name for parameter in parameters] + ['x']
  for label, gradient in zip(labels, gradients):
    assert gradient is not None, label
    assert np.all(np.isfinite(gradient)), label
