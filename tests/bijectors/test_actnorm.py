"""ActNorm: data-dependent initialisation, checkpointing, bad input."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.bijectors import ActNorm


def _images(seed=0):
  rng = np.random.default_rng(seed)
  images = rng.normal(loc=[1., -3., 5.], scale=[0.5, 2., 4.],
                      size=[16, 4, 4, 3]).astype(np.float32)
  images[..., 1] = 7.  # a constant channel: zero variance
  return tf.constant(images)


def test_first_inverse_gives_zero_mean_unit_variance_per_channel():
  actnorm = ActNorm(num_channels=3)
  latent = actnorm.inverse(_images())
  mean, variance = tf.nn.moments(latent, axes=[0, 1, 2])
  assert bool(actnorm.initialized)
  np.testing.assert_allclose(mean, 0., atol=1e-5)
  # The constant channel stays finite (zero instead of 0/0).
  np.testing.assert_allclose(variance.numpy()[[0, 2]], 1., rtol=1e-4)
  assert np.all(np.isfinite(actnorm.log_scale.numpy()))
  assert np.all(np.isfinite(latent))


def test_initialisation_happens_once_and_inside_tf_function():
  actnorm = ActNorm(num_channels=3)
  inverse = tf.function(actnorm.inverse)
  inverse(_images(0))
  loc = actnorm.loc.numpy()
  inverse(_images(1) * 10.)  # a second batch must not re-initialise
  np.testing.assert_array_equal(actnorm.loc.numpy(), loc)


def test_explicit_initialize_then_forward_does_not_reinitialise():
  actnorm = ActNorm(num_channels=3)
  actnorm.initialize(_images())
  np.testing.assert_allclose(actnorm.loc.numpy()[[0, 2]], [1., 5.], atol=0.5)
  loc = actnorm.loc.numpy()
  actnorm.forward(tf.zeros([2, 4, 4, 3]))
  actnorm.inverse(_images(3))
  np.testing.assert_array_equal(actnorm.loc.numpy(), loc)


def test_checkpoint_restores_parameters_and_initialised_flag(tmp_path):
  trained = ActNorm(num_channels=3)
  trained.inverse(_images())
  path = tf.train.Checkpoint(actnorm=trained).save(str(tmp_path / 'ckpt'))
  restored = ActNorm(num_channels=3)
  tf.train.Checkpoint(actnorm=restored).restore(path).assert_consumed()
  assert bool(restored.initialized)
  restored.inverse(_images(5) * 3.)  # must not re-initialise
  np.testing.assert_array_equal(restored.loc.numpy(), trained.loc.numpy())
  np.testing.assert_array_equal(restored.log_scale.numpy(),
                                trained.log_scale.numpy())


def test_log_det_counts_every_position():
  actnorm = ActNorm(loc=tf.zeros([3]), log_scale=tf.constant([0.1, 0.2, 0.3]))
  fldj = actnorm.forward_log_det_jacobian(tf.zeros([2, 4, 5, 3]),
                                          event_ndims=3)
  np.testing.assert_allclose(fldj, 0.6 * 20, rtol=1e-6)


def test_bad_input():
  with pytest.raises(ValueError, match='num_channels'):
    ActNorm()
  with pytest.raises(ValueError, match='nothing to initialise'):
    ActNorm(loc=tf.zeros([3]), log_scale=tf.zeros([3])).initialize(
        tf.zeros([2, 3]))
  actnorm = ActNorm(num_channels=3, validate_args=True)
  with pytest.raises(tf.errors.InvalidArgumentError, match='Argument `y`'):
    actnorm.inverse(tf.fill([2, 3], np.nan))
