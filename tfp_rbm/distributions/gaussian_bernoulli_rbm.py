"""The Gaussian-Bernoulli restricted Boltzmann machine (EB-and-Flow base)."""

import numpy as np
import tensorflow as tf
from tensorflow_probability.python.bijectors import softplus as softplus_bijector
from tensorflow_probability.python.distributions import independent
from tensorflow_probability.python.distributions import normal
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import restricted_boltzmann_machine as rbm_lib

__all__ = ['GaussianBernoulliRBM']


class GaussianBernoulliRBM(rbm_lib.RestrictedBoltzmannMachine):
  """Gaussian-Bernoulli RBM: real visible units `v`, binary hidden units `h`.

  #### Mathematical Details

  With a per-dimension scale `sigma > 0`:

  ```none
  E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - c.h - sum_ij (v_i / sigma_i) W_ij h_j
  F(v)    = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j softplus(c_j + (W^T (v / sigma))_j)
  p(h_j = 1 | v) = sigmoid(c_j + (W^T (v / sigma))_j)
  p(v | h)       = Normal(b + sigma * (W h), sigma^2)
  log Z = sum_i log(sqrt(2 pi) sigma_i)
          + logsumexp_h [c.h + sum_i (b_i a_i / sigma_i + a_i^2 / 2)],  a = W h
  ```

  (EB-and-Flow's eq. 3 prints `+` signs on the interaction and hidden-bias
  terms; the minus signs above are the ones its eq. 5 follows from.)

  #### Examples

  ```python
  rbm = tfp_rbm.distributions.GaussianBernoulliRBM(
      weights=tf.Variable(tf.random.normal([784, 16], stddev=0.01)),
      visible_bias=tf.Variable(tf.zeros([784])),
      hidden_bias=tf.Variable(tf.zeros([16])),
      scale=tf.Variable(tf.ones([784])))
  v = rbm.sample(64, seed=(0, 1), num_steps=100)
  rbm.log_prob(v)            # exact: 2^16 hidden states, in chunks
  ```

  #### References

  [1] Grathwohl, W. et al. Joint energy-based models (EB-and-Flow: No MCMC
      for energy-based models with flows), 2020.
  [2] Cho, K., Ilin, A., Raiko, T. Improved learning of Gaussian-Bernoulli
      restricted Boltzmann machines. ICANN 2011.
  """

  def __init__(self, weights, visible_bias, hidden_bias, scale,
               log_normalizer=None, max_enumeration_bits=20,
               validate_args=False, allow_nan_stats=True,
               name='GaussianBernoulliRBM'):
    """Builds a Gaussian-Bernoulli RBM.

    Args:
      weights: float tensor or variable, `batch_shape + [D, H]`.
      visible_bias: float tensor or variable, `batch_shape + [D]`.
      hidden_bias: float tensor or variable, `batch_shape + [H]`.
      scale: positive float tensor or variable, `batch_shape + [D]` (or
        broadcastable to it, e.g. a scalar), the visible standard deviations.
      log_normalizer: optional log Z estimate (e.g. from AIS), `batch_shape`.
      max_enumeration_bits: largest `H` for which `log_prob` computes log Z
        exactly when none is supplied.
      validate_args: check finiteness of parameters and data and `scale > 0`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.
    """
    parameters = dict(locals())
    super().__init__(weights, visible_bias, hidden_bias, log_normalizer,
                     max_enumeration_bits, dict(scale=scale),
                     validate_args, allow_nan_stats, parameters, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    properties = rbm_lib.rbm_parameter_properties()
    properties['scale'] = parameter_properties.ParameterProperties(
        event_ndims=1,
        default_constraining_bijector_fn=(
            lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype))))
    return properties

  @property
  def scale(self):
    """Per-dimension standard deviation `sigma` of `p(v | h)`."""
    return self._scale

  def _named_parameters(self):
    return super()._named_parameters() + [('scale', self._scale)]

  def _parameter_control_dependencies(self, is_init):
    assertions = super()._parameter_control_dependencies(is_init)
    if self.validate_args and is_init != tensor_util.is_ref(self._scale):
      assertions.append(assert_util.assert_positive(
          self._scale, message='Argument `scale` must be positive.'))
    return assertions

  def _free_energy(self, value):
    scale = tf.convert_to_tensor(self._scale)
    hidden_input = self._hidden_bias + boltzmann_math.visible_to_hidden(
        value / scale, self._weights)
    return (tf.reduce_sum(tf.square((value - self._visible_bias) / scale), axis=-1) / 2.
            - tf.reduce_sum(tf.math.softplus(hidden_input), axis=-1))

  def hidden_logits(self, visible):
    return self._hidden_bias + boltzmann_math.visible_to_hidden(
        visible / self._scale, self._weights)

  def visible_mean(self, hidden):
    """`E[v | h] = b + sigma * (W h)`."""
    return self._visible_bias + self._scale * boltzmann_math.hidden_to_visible(
        hidden, self._weights)

  def visible_distribution(self, hidden):
    loc = self.visible_mean(hidden)
    return independent.Independent(
        normal.Normal(loc=loc, scale=tf.broadcast_to(self._scale, ps.shape(loc))),
        reinterpreted_batch_ndims=1)

  def sample_visible(self, hidden, seed):
    loc = self.visible_mean(hidden)
    return loc + self._scale * boltzmann_math.standard_normal(ps.shape(loc), seed, self.dtype)

  def initial_chain_state(self, num_chains, seed):
    shape = ps.concat([[num_chains], self.batch_shape_tensor(), self.event_shape_tensor()], 0)
    noise = boltzmann_math.standard_normal(shape, seed, self.dtype)
    return self._visible_bias + self._scale * noise

  def _exact_log_normalizer(self, chunk_bits):
    w = tf.convert_to_tensor(self._weights)
    c = tf.convert_to_tensor(self._hidden_bias)
    scale = tf.broadcast_to(tf.convert_to_tensor(self._scale), ps.shape(self._visible_bias))
    bias_over_scale = self._visible_bias / scale

    def log_weight(hidden):  # [k, H] -> batch + [k]
      a = tf.linalg.matmul(hidden, w, transpose_b=True)  # batch + [k, D]
      return (tf.linalg.matvec(hidden, c)
              + tf.reduce_sum(bias_over_scale[..., tf.newaxis, :] * a + tf.square(a) / 2.,
                              axis=-1))

    return (self._independent_visible_log_normalizer(self._visible_bias)
            + boltzmann_math.logsumexp_over_binary_states(
                log_weight, self.num_hidden, self.dtype, chunk_bits))

  def _independent_visible_log_normalizer(self, visible_bias):
    scale = tf.broadcast_to(tf.convert_to_tensor(self._scale), ps.shape(visible_bias))
    return tf.reduce_sum(tf.math.log(scale) + 0.5 * np.log(2. * np.pi), axis=-1)

