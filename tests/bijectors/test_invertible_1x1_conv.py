"""Invertible1x1Conv: random-rotation start, seeding, given factors."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from tfp_rbm.bijectors import Invertible1x1Conv


def test_starts_as_a_seeded_rotation():
  conv = Invertible1x1Conv(num_channels=4, seed=7)
  weight = conv.forward(tf.eye(4))  # rows: W e_i
  np.testing.assert_allclose(tf.matmul(weight, weight, transpose_b=True),
                             np.eye(4), atol=1e-5)
  np.testing.assert_allclose(
      conv.forward_log_det_jacobian(tf.zeros([2, 3, 4]), event_ndims=2), 0.,
      atol=1e-5)
  np.testing.assert_array_equal(
      Invertible1x1Conv(num_channels=4, seed=7).lower_upper.numpy(),
      conv.lower_upper.numpy())
  assert not np.allclose(
      Invertible1x1Conv(num_channels=4, seed=8).lower_upper.numpy(),
      conv.lower_upper.numpy())
  assert list(conv.trainable_variables) == [conv.lower_upper]


def test_given_factors_match_scale_matvec_lu():
  lower_upper = tf.constant([[2., 0.5], [0.3, -1.5]])
  permutation = tf.constant([1, 0])
  conv = Invertible1x1Conv(lower_upper=lower_upper, permutation=permutation)
  reference = tfb.ScaleMatvecLU(lower_upper, permutation)
  x = tf.random.stateless_normal([3, 2, 2, 2], seed=[5, 6])
  np.testing.assert_allclose(conv.forward(x), reference.forward(x))
  np.testing.assert_allclose(
      conv.forward_log_det_jacobian(x, event_ndims=3),
      reference.forward_log_det_jacobian(x, event_ndims=3), rtol=1e-6)


def test_bad_input():
  with pytest.raises(ValueError, match='num_channels'):
    Invertible1x1Conv()
  with pytest.raises(ValueError, match='num_channels'):
    Invertible1x1Conv(num_channels=2, lower_upper=tf.eye(2),
                      permutation=[0, 1])


def test_checkpoint_restores_the_permutation_of_an_unseeded_rotation(
    tmp_path):
  trained = Invertible1x1Conv(num_channels=8)
  path = tf.train.Checkpoint(conv=trained).save(str(tmp_path / 'ckpt'))
  assert any('permutation' in name
             for name, _ in tf.train.list_variables(path))
  restored = Invertible1x1Conv(num_channels=8)
  tf.train.Checkpoint(conv=restored).restore(path).assert_consumed()
  np.testing.assert_array_equal(restored.permutation.numpy(),
                                trained.permutation.numpy())
  x = tf.random.stateless_normal([3, 8], seed=[7, 8])
  np.testing.assert_array_equal(restored.forward(x), trained.forward(x))
  assert list(restored.trainable_variables) == [restored.lower_upper]
