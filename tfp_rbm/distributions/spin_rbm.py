"""The restricted Boltzmann machine over spins, `v in {-1,+1}^D`, `h in {-1,+1}^H`."""

import tensorflow as tf

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import restricted_boltzmann_machine as rbm_lib
from tfp_rbm.internal import enumeration
from tfp_rbm.internal import noise

__all__ = ['SpinRBM', 'spin_energy', 'spin_log_normalizer', 'spin_means']


def spin_energy(visible, hidden, weights, visible_bias, hidden_bias):
  """`E(v, h) = -b.v - c.h - v^T W h` of spins, shape `sample_shape + batch_shape`."""
  return -(tf.reduce_sum(visible * (visible_bias + boltzmann_math.hidden_to_visible(
      hidden, weights)), axis=-1) + tf.reduce_sum(hidden_bias * hidden, axis=-1))


def spin_log_normalizer(weights, visible_bias, hidden_bias, chunk_bits):
  """`log sum_{v, h} exp(-E(v, h))`, enumerating the smaller layer's spins.

  ```none
  log Z = logsumexp_h [c.h + sum_i log(2 cosh(b_i + (W h)_i))]   (H <= D)
  ```
  and its mirror image over `v` when `D < H`.
  """
  num_visible, num_hidden = weights.shape[-2], weights.shape[-1]
  if num_hidden <= num_visible:
    def log_weight(hidden):  # [k, H] -> batch + [k]
      field = visible_bias[..., tf.newaxis, :] + tf.linalg.matmul(
          hidden, weights, transpose_b=True)
      return (tf.linalg.matvec(hidden, hidden_bias)
              + tf.reduce_sum(boltzmann_math.log_cosh2(field), axis=-1))
    bits = num_hidden
  else:
    def log_weight(visible):  # [k, D] -> batch + [k]
      field = hidden_bias[..., tf.newaxis, :] + tf.linalg.matmul(visible, weights)
      return (tf.linalg.matvec(visible, visible_bias)
              + tf.reduce_sum(boltzmann_math.log_cosh2(field), axis=-1))
    bits = num_visible
  return enumeration.logsumexp_over_spin_states(log_weight, bits, weights.dtype, chunk_bits)


def spin_means(weights, visible_bias, hidden_bias, chunk_bits):
  """`(E[v], E[h])` of the spin RBM, exact, enumerating the smaller layer's spins.

  ```none
  E[v] = sum_h p(h) tanh(b + W h),   E[h] = sum_h p(h) h                (H <= D)
  p(h) = exp(c.h + sum_i log(2 cosh(b_i + (W h)_i))) / Z
  ```
  and the mirror image over `v` when `D < H`. Shapes `batch + [D]`, `batch + [H]`.
  """
  num_visible, num_hidden = weights.shape[-2], weights.shape[-1]
  if num_hidden <= num_visible:
    def log_weight_and_values(hidden):  # [k, H]
      field = visible_bias[..., tf.newaxis, :] + tf.linalg.matmul(
          hidden, weights, transpose_b=True)
      log_weight = (tf.linalg.matvec(hidden, hidden_bias)
                    + tf.reduce_sum(boltzmann_math.log_cosh2(field), axis=-1))
      return log_weight, {'enumerated': hidden, 'summed_out': tf.tanh(field)}
    bits = num_hidden
  else:
    def log_weight_and_values(visible):  # [k, D]
      field = hidden_bias[..., tf.newaxis, :] + tf.linalg.matmul(visible, weights)
      log_weight = (tf.linalg.matvec(visible, visible_bias)
                    + tf.reduce_sum(boltzmann_math.log_cosh2(field), axis=-1))
      return log_weight, {'enumerated': visible, 'summed_out': tf.tanh(field)}
    bits = num_visible
  _, means = enumeration.expectations_over_spin_states(
      log_weight_and_values, bits, weights.dtype, chunk_bits)
  if num_hidden <= num_visible:
    return means['summed_out'], means['enumerated']
  return means['enumerated'], means['summed_out']


class SpinRBM(rbm_lib.RestrictedBoltzmannMachine):
  """RBM over spins: a distribution over `v in {-1,+1}^D` with hidden `h in {-1,+1}^H`.

  #### Mathematical Details

  ```none
  E(v, h) = -b.v - c.h - v^T W h
  F(v)    = -b.v - sum_j log(2 cosh(c_j + (W^T v)_j))
  p(h_j = +1 | v) = sigmoid(2 (c_j + (W^T v)_j))
  p(v_i = +1 | h) = sigmoid(2 (b_i + (W h)_i))
  log Z = logsumexp_h [c.h + sum_i log(2 cosh(b_i + (W h)_i))]
  ```

  `log Z` enumerates whichever layer is smaller, and so do the exact `mean`
  and `variance` (`spin_means`; `Var[v_i] = 1 - E[v_i]^2`). `mode`,
  `entropy` and `tfd.kl_divergence` to another `SpinRBM` are exact by
  enumerating the `2^D` visible spins. With `v = 2 x - 1` it is a
  `BernoulliRBM` over `x` with other parameters; the spin form is the one
  the smoothed machines of RBM-Flow build on (`SmoothedRBM`).

  #### Examples

  ```python
  rbm = tfp_rbm.distributions.SpinRBM(
      weights=tf.Variable(tf.random.normal([6, 4], stddev=0.1)),
      visible_bias=tf.Variable(tf.zeros([6])),
      hidden_bias=tf.Variable(tf.zeros([4])))
  v = rbm.sample(100, seed=(1, 2), num_steps=50)   # block Gibbs, values -1 and +1
  rbm.log_prob(v)                                 # exact: 2^4 hidden states
  ```

  #### References

  [1] O'Connor, D., Vinci, W. RBM-Flow and D-Flow: Invertible flows with
      discrete energy base spaces, 2020. https://arxiv.org/abs/2012.13196
  """

  _spin_units = True

  def __init__(self, weights, visible_bias, hidden_bias, log_normalizer=None,
               max_enumeration_bits=20, validate_args=False,
               allow_nan_stats=True, name='SpinRBM'):
    """Builds a spin RBM.

    Args:
      weights: float tensor or variable, `batch_shape + [D, H]`.
      visible_bias: float tensor or variable, `batch_shape + [D]`, the field
        on the visible spins.
      hidden_bias: float tensor or variable, `batch_shape + [H]`.
      log_normalizer: optional log Z estimate (e.g. from AIS), `batch_shape`.
      max_enumeration_bits: largest `min(D, H)` for which `log_prob` computes
        log Z exactly when none is supplied, in `[0, MAX_ENUMERATION_BITS]`.
      validate_args: check finiteness of parameters and that values are spins.
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

  _VISIBLE_VALUES = (-1., 1.)
  _VISIBLE_VALUES_MESSAGE = ' must hold spins, -1 or +1.'

  def _default_event_space_bijector(self):
    return None  # Discrete support.

  def _free_energy(self, value, params):
    return (-tf.reduce_sum(params['visible_bias'] * value, axis=-1)
            - tf.reduce_sum(boltzmann_math.log_cosh2(self._hidden_input(value, params)),
                            axis=-1))

  def _hidden_logit(self, visible, params):
    return 2. * self._hidden_input(visible, params)

  def _sample_hidden(self, visible, params, seed):
    return noise.sample_spins(self._hidden_input(visible, params), seed)

  def _visible_field(self, hidden, params):
    return params['visible_bias'] + boltzmann_math.hidden_to_visible(hidden, params['weights'])

  def _visible_distribution(self, hidden, params):
    return boltzmann_math.independent_spins(self._visible_field(hidden, params))

  def _sample_visible(self, hidden, params, seed):
    return noise.sample_spins(self._visible_field(hidden, params), seed)

  def _initial_chain_state(self, shape, seed, params):
    return noise.sample_spins(tf.zeros(shape, self.dtype), seed)

  def _enumerated_layer_size(self):
    return min(self.num_visible, self.num_hidden)

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    return spin_log_normalizer(params['weights'], params['visible_bias'],
                               params['hidden_bias'], chunk_bits)

  def _exact_mean_and_variance(self, params, chunk_bits):
    mean, _ = spin_means(params['weights'], params['visible_bias'], params['hidden_bias'],
                         chunk_bits)
    mean = self._broadcast_to_batch(mean, event_ndims=1)
    return mean, 1. - tf.square(mean)

  def _fit_proposal(self, points, params):
    """Independent spins with the points' mean: `b_0 = atanh(m)`, `|m| <= 1 - 2e-3`."""
    mean = tf.clip_by_value(tf.reduce_mean(points, axis=0), -1. + 2e-3, 1. - 2e-3)
    return {'visible_bias': tf.math.atanh(mean)}

  def _independent_visible_log_normalizer(self, params):
    return tf.reduce_sum(boltzmann_math.log_cosh2(params['visible_bias']), axis=-1)
