"""Energy math shared by the Boltzmann machines: layer products and spin functions.

The dense products between two layers that broadcast batches of machines,
the stable `log(2 cosh a)` of spin machines, the sum of softplus terms that
exact enumeration evaluates for every state (and the column blocks of its
projected form), and the distribution of independent spins. Pure functions over tensors.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

__all__ = [
    'concat_columns',
    'hidden_to_visible',
    'independent_spins',
    'log_cosh2',
    'log_two',
    'sum_softplus',
    'visible_to_hidden',
]


def log_cosh2(a):
  """`log(2 cosh a) = |a| + softplus(-2|a|)`, finite for any real `a`."""
  abs_a = tf.abs(a)
  return abs_a + tf.math.softplus(-2. * abs_a)


# Factors `1 + e^-|a|` lie in (1, 2]: a product of 64 stays below 2^64, finite in float32.
_SOFTPLUS_PRODUCT_GROUP = 64


def sum_softplus(a):
  """`sum_i softplus(a_i)` over the last axis, with one logarithm per 64 terms.

  `softplus(a) = max(a, 0) + log(1 + e^-|a|)`, so the sum is
  `sum_i max(a_i, 0) + log prod_i (1 + e^-|a_i|)`, the product taken over
  groups of at most 64 factors (each in `(1, 2]`: no overflow). The same
  value as `reduce_sum(softplus(a), -1)` to rounding, in about half the time
  under XLA on CPU: exact enumeration evaluates it for each of up to `2^24`
  states (`tfp_rbm.internal.enumeration`).

  Args:
    a: float tensor with a static last dimension.

  Returns:
    Tensor of shape `a.shape[:-1]`.
  """
  size = a.shape[-1]
  num_groups = -(-size // _SOFTPLUS_PRODUCT_GROUP)
  # -|a| as min(a, -a): its gradient at 0 is that of a, so d/da = sigmoid(a) there too.
  factors = 1. + tf.exp(tf.minimum(a, -a))
  if num_groups > 1:
    # Pad with factors of 1 to whole groups: [..., num_groups, group].
    padding = num_groups * _SOFTPLUS_PRODUCT_GROUP - size
    factors = tf.concat([factors, tf.ones_like(factors[..., :1])
                         * tf.ones([padding], factors.dtype)], axis=-1)
    factors = tf.reshape(factors, tf.concat(
        [tf.shape(factors)[:-1], [num_groups, _SOFTPLUS_PRODUCT_GROUP]], 0))
    log_products = tf.reduce_sum(tf.math.log(tf.reduce_prod(factors, axis=-1)), axis=-1)
  else:
    log_products = tf.math.log(tf.reduce_prod(factors, axis=-1))
  return tf.reduce_sum(tf.nn.relu(a), axis=-1) + log_products


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


def concat_columns(matrices):
  """`tf.concat` of `batch + [n, m_i]` matrices on the last axis, their batches broadcast."""
  batch = ps.shape(matrices[0])[:-2]
  for matrix in matrices[1:]:
    batch = ps.broadcast_shape(batch, ps.shape(matrix)[:-2])
  return tf.concat([tf.broadcast_to(m, ps.concat([batch, ps.shape(m)[-2:]], 0))
                    for m in matrices], axis=-1)
