"""multiscale: every dimension kept in a flat latent; bad shapes rejected."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from tfp_rbm.bijectors import Squeeze
from tfp_rbm.bijectors import multiscale


def test_factors_out_half_the_channels_per_level():
  flow = multiscale([Squeeze(), Squeeze()], image_shape=[4, 4, 2])
  images = tf.reshape(tf.range(32, dtype=tf.float32), [1, 4, 4, 2])
  latent = flow.inverse(images)
  assert latent.shape == [1, 32]
  # A permutation: every value appears once, first the factored-out half.
  np.testing.assert_array_equal(np.sort(latent.numpy()[0]), np.arange(32))
  level_0 = tf.nn.space_to_depth(images, 2)
  np.testing.assert_array_equal(latent[0, :16],
                                tf.reshape(level_0[..., :4], [-1]))
  np.testing.assert_array_equal(flow.forward(latent + 0), images)


def test_bad_input():
  with pytest.raises(ValueError, match='`levels`'):
    multiscale([], image_shape=[4, 4, 1])
  with pytest.raises(ValueError, match='Level 0 .* 3 channels'):
    multiscale([tfb.Identity(), Squeeze()], image_shape=[4, 4, 3])
  with pytest.raises(ValueError, match='height divisible'):
    multiscale([Squeeze(), Squeeze()], image_shape=[6, 6, 1])
