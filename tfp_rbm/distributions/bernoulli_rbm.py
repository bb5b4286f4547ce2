"""The binary (Bernoulli-Bernoulli) restricted Boltzmann machine."""

import tensorflow as tf
from tensorflow_probability.python.distributions import bernoulli
from tensorflow_probability.python.distributions import independent
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import restricted_boltzmann_machine as rbm_lib

__all__ = ['BernoulliRBM']


class BernoulliRBM(rbm_lib.RestrictedBoltzmannMachine):
  """Binary RBM: a distribution over `v in {0,1}^D` with hidden `h in {0,1}^H`.

  #### Mathematical Details

  ```none
  E(v, h) = -b.v - c.h - v^T W h
  F(v)    = -b.v - sum_j softplus(c_j + (W^T v)_j)
  p(v)    = exp(-F(v)) / Z
  p(h_j = 1 | v) = sigmoid(c_j + (W^T v)_j)
  p(v_i = 1 | h) = sigmoid(b_i + (W h)_i)
  log Z = logsumexp_h [c.h + sum_i softplus(b_i + (W h)_i)]
  ```

  `log Z` enumerates whichever layer is smaller (the formula above for the
  hidden layer, its mirror image for the visible one).

  #### Examples

  ```python
  rbm = tfp_rbm.distributions.BernoulliRBM(
      weights=tf.Variable(tf.random.normal([6, 4], stddev=0.1)),
      visible_bias=tf.Variable(tf.zeros([6])),
      hidden_bias=tf.Variable(tf.zeros([4])))
  v = rbm.sample(100, seed=(1, 2), num_steps=50)   # block Gibbs
  rbm.log_prob(v)                                 # exact: 2^4 hidden states
  ```

  #### References

  [1] Hinton, G. E. Training products of experts by minimizing contrastive
      divergence. Neural Computation, 2002.
  [2] Tomczak, J. M. Deep Generative Modeling, ch. 6 (energy-based models).
  """

  def __init__(self, weights, visible_bias, hidden_bias, log_normalizer=None,
               max_enumeration_bits=20, validate_args=False,
               allow_nan_stats=True, name='BernoulliRBM'):
    """Builds a binary RBM.

    Args:
      weights: float tensor or variable, `batch_shape + [D, H]`.
      visible_bias: float tensor or variable, `batch_shape + [D]`.
      hidden_bias: float tensor or variable, `batch_shape + [H]`.
      log_normalizer: optional log Z estimate (e.g. from AIS), `batch_shape`.
      max_enumeration_bits: largest `min(D, H)` for which `log_prob` computes
        log Z exactly when none is supplied, in `[0, MAX_ENUMERATION_BITS]`
        (24).
      validate_args: check finiteness of parameters and `{0, 1}` values.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.
    """
    parameters = dict(locals())
    super().__init__(weights, visible_bias, hidden_bias, log_normalizer,
                     max_enumeration_bits, {}, validate_args, allow_nan_stats,
                     parameters, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return rbm_lib.rbm_parameter_properties()

  def _sample_control_dependencies(self, x, arg='value'):
    assertions = super()._sample_control_dependencies(x, arg)
    if self.validate_args:
      assertions.append(assert_util.assert_equal(
          tf.reduce_all((x == 0.) | (x == 1.)), True,
          message=f'Argument `{arg}` of BernoulliRBM must be binary (0 or 1).'))
    return assertions

  def _default_event_space_bijector(self):
    # Discrete support: no bijector from the reals, as for `tfd.Bernoulli`.
    return None

  def _free_energy(self, value, params):
    hidden_input = params['hidden_bias'] + boltzmann_math.visible_to_hidden(
        value, params['weights'])
    return (-tf.reduce_sum(params['visible_bias'] * value, axis=-1)
            - tf.reduce_sum(tf.math.softplus(hidden_input), axis=-1))

  def _hidden_logits(self, visible, params):
    return params['hidden_bias'] + boltzmann_math.visible_to_hidden(
        visible, params['weights'])

  def _visible_logits(self, hidden, params):
    return params['visible_bias'] + boltzmann_math.hidden_to_visible(
        hidden, params['weights'])

  def visible_logits(self, hidden, name='visible_logits'):
    """Logits of `p(v_i = 1 | h)`."""
    hidden = self._convert_hidden(hidden)
    with self._name_and_control_scope(name):
      return self._visible_logits(hidden, self._read_parameters())

  def _visible_distribution(self, hidden, params):
    return independent.Independent(
        bernoulli.Bernoulli(logits=self._visible_logits(hidden, params), dtype=self.dtype),
        reinterpreted_batch_ndims=1)

  def _sample_visible(self, hidden, params, seed):
    return boltzmann_math.bernoulli_sample(self._visible_logits(hidden, params), seed)

  def initial_chain_state(self, num_chains, seed):
    shape = ps.concat([[num_chains], self._batch_shape_tensor(), self._event_shape_tensor()], 0)
    return tf.cast(boltzmann_math.uniform(shape, seed, self.dtype) < 0.5, self.dtype)

  def _enumerated_layer_size(self):
    return min(self.num_visible, self.num_hidden)

  def _exact_log_normalizer(self, params, chunk_bits):
    w, b, c = params['weights'], params['visible_bias'], params['hidden_bias']
    if self.num_hidden <= self.num_visible:
      def log_weight(hidden):  # [k, H] -> batch + [k]
        visible_input = b[..., tf.newaxis, :] + tf.linalg.matmul(hidden, w, transpose_b=True)
        return (tf.linalg.matvec(hidden, c)
                + tf.reduce_sum(tf.math.softplus(visible_input), axis=-1))
      bits = self.num_hidden
    else:
      def log_weight(visible):  # [k, D] -> batch + [k]
        hidden_input = c[..., tf.newaxis, :] + tf.linalg.matmul(visible, w)
        return (tf.linalg.matvec(visible, b)
                + tf.reduce_sum(tf.math.softplus(hidden_input), axis=-1))
      bits = self.num_visible
    return boltzmann_math.logsumexp_over_binary_states(
        log_weight, bits, self.dtype, chunk_bits)

  def _independent_visible_fit(self, points):
    mean = tf.clip_by_value(tf.reduce_mean(points, axis=0), 1e-3, 1. - 1e-3)
    return {'visible_bias': tf.math.log(mean) - tf.math.log1p(-mean)}

  def _independent_visible_log_normalizer(self, params):
    return tf.reduce_sum(tf.math.softplus(params['visible_bias']), axis=-1)

