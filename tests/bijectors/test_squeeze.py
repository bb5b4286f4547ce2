"""Squeeze: agrees with tf.nn.space_to_depth; odd sizes are rejected."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.bijectors import Squeeze


def test_inverse_is_space_to_depth_and_forward_undoes_it():
  images = tf.random.stateless_normal([2, 4, 6, 3], seed=[1, 2])
  squeezed = Squeeze().inverse(images)
  np.testing.assert_array_equal(squeezed, tf.nn.space_to_depth(images, 2))
  np.testing.assert_array_equal(Squeeze().forward(squeezed), images)
  assert Squeeze().inverse_event_shape([4, 6, 3]) == [2, 3, 12]
  assert Squeeze().forward_event_shape([2, 3, 12]) == [4, 6, 3]


def test_extra_batch_dimensions():
  images = tf.random.stateless_normal([2, 3, 4, 4, 1], seed=[3, 4])
  squeezed = Squeeze().inverse(images)
  assert squeezed.shape == [2, 3, 2, 2, 4]
  np.testing.assert_array_equal(
      squeezed[1], tf.nn.space_to_depth(images[1], 2))


def test_bad_input():
  with pytest.raises(ValueError, match='Argument `y` .* height divisible'):
    Squeeze().inverse(tf.zeros([1, 7, 4, 1]))
  with pytest.raises(ValueError,
                     match='Argument `output_shape` .* width divisible'):
    Squeeze().inverse_event_shape([4, 5, 1])
  # Once `(8, 8, 0)`: four channels cannot come from two.
  with pytest.raises(ValueError, match='Argument `input_shape` .* channel '
                                       'count divisible by 4, got 2'):
    Squeeze().forward_event_shape([4, 4, 2])
  with pytest.raises(ValueError, match='Argument `x` .* channel count'):
    Squeeze().forward(tf.zeros([1, 2, 2, 3]))
  with pytest.raises(ValueError, match='factor'):
    Squeeze(factor=0)


def test_unknown_spatial_sizes():
  squeeze = Squeeze(validate_args=True)
  spec = tf.TensorSpec([None, None, None, 3])
  inverse = tf.function(squeeze.inverse, input_signature=[spec])
  forward = tf.function(squeeze.forward,
                        input_signature=[tf.TensorSpec([None, None, None, 12])])
  assert inverse.get_concrete_function().output_shapes == [None, None, None,
                                                           12]
  images = tf.random.stateless_normal([2, 4, 6, 3], seed=[5, 6])
  np.testing.assert_array_equal(inverse(images),
                                tf.nn.space_to_depth(images, 2))
  np.testing.assert_array_equal(forward(inverse(images)), images)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='Argument `y` of Squeeze must have a height and '
                           'width divisible by 2'):
    inverse(tf.zeros([1, 4, 5, 3]))
