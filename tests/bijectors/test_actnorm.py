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


def _with_a_bad_pixel(images, value):
  images = images.numpy()
  images[0, 0, 0, 0] = value
  return tf.constant(images)


def _state(actnorm):
  return (actnorm.loc.numpy().copy(), actnorm.log_scale.numpy().copy(),
          bool(actnorm.initialized))


@pytest.mark.parametrize('mode', ['eager', 'tf_function', 'xla'])
@pytest.mark.parametrize('bad_value', [np.nan, np.inf, 1e30])
def test_a_non_finite_batch_never_initialises_and_a_finite_one_then_does(
    mode, bad_value):
  # 1e30 is finite, but its variance overflows float32: the statistics are
  # what is checked, not only the data.
  actnorm = ActNorm(num_channels=3)
  inverse = {'eager': actnorm.inverse,
             'tf_function': tf.function(actnorm.inverse),
             'xla': tf.function(actnorm.inverse, jit_compile=True)}[mode]
  images = _images()
  inverse(_with_a_bad_pixel(images, bad_value))
  loc, log_scale, initialized = _state(actnorm)
  assert not initialized
  np.testing.assert_array_equal(loc, 0.)
  np.testing.assert_array_equal(log_scale, 0.)
  inverse(images + 0.)
  reference = ActNorm(num_channels=3)
  reference.initialize(images)
  loc, log_scale, initialized = _state(actnorm)
  assert initialized
  np.testing.assert_allclose(loc, reference.loc.numpy(), rtol=1e-6)
  np.testing.assert_allclose(log_scale, reference.log_scale.numpy(),
                             rtol=1e-6)
  # Once initialised, a bad batch changes nothing either.
  inverse(_with_a_bad_pixel(images, bad_value))
  np.testing.assert_array_equal(actnorm.loc.numpy(), loc)


@pytest.mark.parametrize('compiled', [False, True])
def test_explicit_initialisation_refuses_a_non_finite_batch(compiled):
  actnorm = ActNorm(num_channels=3)
  actnorm.initialize(_images())
  before = _state(actnorm)
  bad = _with_a_bad_pixel(_images(1), np.nan)
  if compiled:
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match='Argument `y` of ActNorm.initialize must be '
                             'finite'):
      tf.function(actnorm.initialize)(bad)
  else:
    with pytest.raises(ValueError, match='Argument `y` of ActNorm.initialize '
                                         'must be finite'):
      actnorm.initialize(bad)
  after = _state(actnorm)
  np.testing.assert_array_equal(after[0], before[0])
  np.testing.assert_array_equal(after[1], before[1])
  assert after[2]


def test_bad_input():
  with pytest.raises(ValueError, match='num_channels'):
    ActNorm()
  with pytest.raises(ValueError, match='nothing to initialise'):
    ActNorm(loc=tf.zeros([3]), log_scale=tf.zeros([3])).initialize(
        tf.zeros([2, 3]))
  # Under `validate_args` the input's own check fires first, before any
  # initialisation, and names the method's argument.
  actnorm = ActNorm(num_channels=3, validate_args=True)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='Argument `y` of ActNorm must be finite'):
    actnorm.inverse(tf.fill([2, 3], np.nan))
  assert not bool(actnorm.initialized)
  with pytest.raises(ValueError, match=r'Argument `x` of ActNorm .* event '
                                       r'shape \[3\].*got shape \[2, 4\]'):
    actnorm.forward_log_det_jacobian(tf.zeros([2, 4]), event_ndims=1)
