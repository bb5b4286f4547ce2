"""Conditioner networks: shapes, zero init, config and checkpoint restores."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm import networks

CASES = [
    (lambda **kw: networks.MLP(output_units=3, hidden_units=8,
                               num_hidden_layers=2, **kw), [2, 5], [2, 3]),
    (lambda **kw: networks.ConvNet(output_channels=4, hidden_channels=8,
                                   **kw), [2, 4, 4, 2], [2, 4, 4, 4]),
    (lambda **kw: networks.GatedResidualConvNet(
        output_channels=6, hidden_channels=4, num_blocks=2, **kw),
     [2, 4, 4, 1], [2, 4, 4, 6]),
]


@pytest.mark.parametrize('make, input_shape, output_shape', CASES)
def test_shapes_seeding_and_serialisation(make, input_shape, output_shape):
  x = tf.random.stateless_normal(input_shape, seed=[1, 2], dtype=tf.float64)
  net = make(zero_init_output=False, seed=3, dtype='float64')
  y = net(x)
  assert y.shape == output_shape and y.dtype == tf.float64
  np.testing.assert_array_equal(
      make(zero_init_output=False, seed=3, dtype='float64')(x), y)
  config = keras.saving.serialize_keras_object(net)
  rebuilt = keras.saving.deserialize_keras_object(config)
  rebuilt(x)
  rebuilt.set_weights(net.get_weights())
  np.testing.assert_allclose(rebuilt(x), y)


@pytest.mark.parametrize('make, input_shape, output_shape', CASES)
def test_zero_initialised_output(make, input_shape, output_shape):
  net = make(zero_init_output=True, seed=4)
  y = net(tf.random.stateless_normal(input_shape, seed=[5, 6]))
  np.testing.assert_array_equal(y, np.zeros(output_shape))


@pytest.mark.parametrize('make, input_shape', [case[:2] for case in CASES])
def test_a_checkpoint_restores_every_weight(make, input_shape, tmp_path):
  saved, restored = make(seed=7), make(seed=8)
  for net in (saved, restored):
    net.build(tuple(input_shape))
  path = tf.train.Checkpoint(net=saved).write(str(tmp_path / 'net'))
  tf.train.Checkpoint(net=restored).read(path).assert_consumed()
  for expected, actual in zip(saved.weights, restored.weights):
    np.testing.assert_array_equal(actual, expected, err_msg=expected.path)
