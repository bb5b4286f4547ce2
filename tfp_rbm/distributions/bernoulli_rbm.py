"""The binary (Bernoulli-Bernoulli) restricted Boltzmann machine."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import restricted_boltzmann_machine as rbm_lib
from tfp_rbm.internal import enumeration
from tfp_rbm.internal import noise

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
  hidden layer, its mirror image for the visible one). So do `mean` and
  `variance`, exactly: over the hidden layer `p(v)` is a mixture of
  independent Bernoullis,

  ```none
  E[v] = sum_h p(h) sigmoid(b + W h),   Var[v_i] = E[v_i] (1 - E[v_i])
  ```

  and over the visible layer `E[v] = sum_v p(v) v`. `mode`, `entropy`
  (`log Z - E[-F(v)]`) and `tfd.kl_divergence` to another `BernoulliRBM`
  are exact by enumerating the `2^D` visible states.

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
    super().__init__(parameters, max_enumeration_bits, validate_args,
                     allow_nan_stats, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(rbm_lib.rbm_parameter_properties(),
                log_normalizer=boltzmann_machine.log_normalizer_property())

  _VISIBLE_VALUES = (0., 1.)
  _VISIBLE_VALUES_MESSAGE = ' of BernoulliRBM must be binary (0 or 1).'

  def _default_event_space_bijector(self):
    # Discrete support: no bijector from the reals, as for `tfd.Bernoulli`.
    return None

  _annealing_scales_hidden_input = True

  def _free_energy(self, value, params):
    return self._free_energy_from_hidden_input(
        value, self._hidden_input(value, params), params)

  def _free_energy_from_hidden_input(self, value, hidden_input, params):
    return (-tf.reduce_sum(params['visible_bias'] * value, axis=-1)
            - tf.reduce_sum(tf.math.softplus(hidden_input), axis=-1))

  def _visible_logits(self, hidden, params):
    return params['visible_bias'] + boltzmann_math.hidden_to_visible(
        hidden, params['weights'])

  def _visible_distribution(self, hidden, params):
    return tfp.distributions.Independent(
        tfp.distributions.Bernoulli(
            logits=self._visible_logits(hidden, params), dtype=self.dtype),
        reinterpreted_batch_ndims=1)

  def _sample_visible(self, hidden, params, seed):
    return noise.bernoulli_sample(self._visible_logits(hidden, params), seed)

  def _initial_chain_state(self, shape, seed, params):
    return tf.cast(noise.uniform(shape, seed, self.dtype) < 0.5, self.dtype)

  def _enumerated_layer_size(self):
    return min(self.num_visible, self.num_hidden)

  def _hidden_log_weight_and_visible_logits(self, hidden, params):
    """`log p~(h) = c.h + sum_i softplus(b_i + (W h)_i)` and `b + W h`, for `[k, H]` states."""
    w, b, c = params['weights'], params['visible_bias'], params['hidden_bias']
    visible_input = b[..., tf.newaxis, :] + tf.linalg.matmul(hidden, w, transpose_b=True)
    return (tf.linalg.matvec(hidden, c)
            + boltzmann_math.sum_softplus(visible_input)), visible_input

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    """`logsumexp` over the smaller layer of its bias term plus the other layer's softplus sum.

    Over `h`: `c.h + sum_i softplus(b_i + (W h)_i)`, a function of the
    products `h [W^T | c]`, so the chunks share their low bits' products
    (`enumeration.logsumexp_over_projected_binary_states`); likewise over `v`.
    """
    w, b, c = params['weights'], params['visible_bias'], params['hidden_bias']
    if self.num_hidden <= self.num_visible:
      projection, other_bias = _with_bias_column(tf.linalg.matrix_transpose(w), c), b
    else:
      projection, other_bias = _with_bias_column(w, b), c

    def log_weight(products):  # batch + [k, other + 1] -> batch + [k]
      return products[..., -1] + boltzmann_math.sum_softplus(
          other_bias[..., tf.newaxis, :] + products[..., :-1])

    return enumeration.logsumexp_over_projected_binary_states(log_weight, projection, chunk_bits)

  def _exact_mean_and_variance(self, params, chunk_bits):
    """`E[v]` over the smaller layer's states, and `Var[v_i] = E[v_i] (1 - E[v_i])`."""
    if self.num_hidden <= self.num_visible:
      def log_weight_and_values(hidden):
        log_weight, logits = self._hidden_log_weight_and_visible_logits(hidden, params)
        return log_weight, {'mean': tf.sigmoid(logits)}
      _, averages = enumeration.expectations_over_binary_states(
          log_weight_and_values, self.num_hidden, self.dtype, chunk_bits)
    else:
      _, averages = self._visible_expectations(
          lambda visible: (self._log_weight_of_states(visible, params), {'mean': visible}),
          chunk_bits)
    mean = self._broadcast_to_batch(averages['mean'], event_ndims=1)
    return mean, mean * (1. - mean)

  def _fit_proposal(self, points, params):
    """Visible bias `logit` of the points' mean, clipped to `[1e-3, 1 - 1e-3]`.

    As Salakhutdinov & Murray (2008) start their AIS runs.
    """
    mean = tf.clip_by_value(tf.reduce_mean(points, axis=0), 1e-3, 1. - 1e-3)
    return {'visible_bias': tf.math.log(mean) - tf.math.log1p(-mean)}

  def _independent_visible_log_normalizer(self, params):
    return tf.reduce_sum(tf.math.softplus(params['visible_bias']), axis=-1)


def _with_bias_column(matrix, bias):
  """`[matrix | bias]`, `[..., n, m + 1]`, the two broadcast to one batch shape."""
  bias = bias[..., tf.newaxis]
  return tf.concat([matrix + tf.zeros_like(bias), bias + tf.zeros_like(matrix[..., :1])],
                   axis=-1)
