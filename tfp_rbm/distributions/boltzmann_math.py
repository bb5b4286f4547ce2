"""Energy math shared by the Boltzmann machines: layer products and spin functions.

The dense products between two layers that broadcast batches of machines,
the stable `log(2 cosh a)` of spin machines, and the distribution of
independent spins. Pure functions over tensors.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

__all__ = [
    'hidden_to_visible',
    'independent_spins',
    'log_cosh2',
    'log_two',
    'visible_to_hidden',
]


def log_cosh2(a):
  """`log(2 cosh a) = |a| + softplus(-2|a|)`, finite for any real `a`."""
  abs_a = tf.abs(a)
  return abs_a + tf.math.softplus(-2. * abs_a)


def log_two(dtype):
  return tf.constant(np.log(2.), dtype)


def visible_to_hidden(visible, weights):
  """`(W^T v)_j = sum_i v_i W_ij`, broadcasting sample and batch dimensions."""
  if weights.shape.rank == 2:
    # A single machine: one dense matmul over all leading dimensions.
    flat = tf.reshape(visible, [-1, tf.shape(visible)[-1]])
    product = tf.matmul(flat, weights)
    return tf.reshape(product, tf.concat([tf.shape(visible)[:-1], tf.shape(weights)[-1:]], 0))
  return tf.einsum('...i,...ij->...j', visible, weights)


def hidden_to_visible(hidden, weights):
  """`(W h)_i = sum_j W_ij h_j`, broadcasting sample and batch dimensions."""
  if weights.shape.rank == 2:
    flat = tf.reshape(hidden, [-1, tf.shape(hidden)[-1]])
    product = tf.matmul(flat, weights, transpose_b=True)
    return tf.reshape(product, tf.concat([tf.shape(hidden)[:-1], tf.shape(weights)[-2:-1]], 0))
  return tf.einsum('...j,...ij->...i', hidden, weights)


def independent_spins(local_field):
  """`p(s) = prod_i exp(x_i s_i) / (2 cosh x_i)` over `{-1,+1}^n` as a distribution.

  A TFP distribution with event shape `[n]` whose samples and `log_prob`
  arguments are the spins themselves (values -1. and +1.).
  """
  outcomes = tf.constant([-1., 1.], dtype=local_field.dtype)
  return tfp.distributions.Independent(
      tfp.distributions.FiniteDiscrete(
          outcomes, logits=tf.stack([-local_field, local_field], axis=-1)),
      reinterpreted_batch_ndims=1)
