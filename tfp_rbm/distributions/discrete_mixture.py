"""The discrete mixture: independent smoothed spins (D-Flow base)."""

import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import smoothed_spin_machine
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

__all__ = ['DiscreteMixture']


class DiscreteMixture(smoothed_spin_machine.SmoothedSpinMachine):
  """Independent spins smoothed by a Gaussian: the D-Flow base distribution.

  Each `z_i` is a two-component mixture `Normal(+1, 1/delta)`,
  `Normal(-1, 1/delta)`, chosen by a spin `s_i in {-1, +1}` with field `h_i`.
  It is `SmoothedRBM` with zero coupling (`J = 0`): the same smoothing,
  spin posterior and annealing path from the shared `SmoothedSpinMachine`,
  with log Z in closed form, so it trains on its exact NLL and needs no
  chains (`log_normalizer_is_tractable`). Its density equals TFP's
  `Independent(MixtureSameFamily(Categorical(logits=[-h, h]),
  Normal([-1, 1], delta^-1/2)), 1)` (tested); this class adds the discrete
  code of each point (`spin_posterior`) and `smooth`.

  #### Mathematical Details

  ```none
  p(s_i) = exp(h_i s_i) / (2 cosh h_i),   i.e. p(s_i = +1) = sigmoid(2 h_i)
  z_i | s_i ~ Normal(s_i, 1 / delta)
  log p(z_i) = 1/2 log(delta / (2 pi)) - delta z_i^2 / 2 - delta / 2
               + log(2 cosh(delta z_i + h_i)) - log(2 cosh(h_i))
  p(s_i = +1 | z) = sigmoid(2 (delta z_i + h_i))
  E[z_i] = tanh(h_i),   Var[z_i] = 1 - tanh(h_i)^2 + 1 / delta
  ```

  (The paper writes `p(s = -1) = sigmoid(h)`, a different scaling of `h`.)
  The entropy of a Gaussian mixture has no closed form, so none is offered.

  #### Examples

  ```python
  base = tfp_rbm.distributions.DiscreteMixture(
      field=tf.Variable(tf.zeros([784])), delta=4.)
  z = base.sample(16, seed=(0, 1))
  base.log_prob(z)                        # exact
  code = base.spin_posterior(z).mode()    # global features as +-1 labels
  ```

  #### References

  [1] O'Connor, D., Vinci, W. RBM-Flow and D-Flow: Invertible flows with
      discrete energy base spaces, 2020. https://arxiv.org/abs/2012.13196
  """

  log_normalizer_is_tractable = True
  # The spins are independent: one sweep is an exact sample.
  default_gibbs_steps = 1

  def __init__(self, field, delta, validate_args=False, allow_nan_stats=True,
               name='DiscreteMixture'):
    """Builds a discrete mixture.

    Args:
      field: float tensor or variable, `batch_shape + [N]`, the field `h`.
      delta: positive float tensor or variable, `batch_shape`, the precision
        of each Gaussian component.
      validate_args: check finiteness of parameters and data and `delta > 0`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.

    Raises:
      ValueError: if `field` is a scalar, or the batch shapes of `field` and
        `delta` do not broadcast.
    """
    parameters = dict(locals())
    super().__init__(parameters, 0, validate_args, allow_nan_stats, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        field=tfp.util.ParameterProperties(event_ndims=1),
        delta=tfp.util.ParameterProperties(
            event_ndims=0,
            default_constraining_bijector_fn=(
                lambda: tfp.bijectors.Softplus(low=validation.machine_epsilon(dtype)))))

  @property
  def delta(self):
    """Precision `delta` of each component, `batch_shape`."""
    return self._delta

  def _parameter_assertions(self, checked, is_init):
    if 'delta' not in checked:
      return []
    return [tf.debugging.assert_positive(
        checked['delta'], message='Argument `delta` must be positive.')]

  def _precision_matvec(self, z, params):
    return params['delta'][..., tf.newaxis] * z

  def _log_det_precision(self, params):
    num_spins = tf.cast(self._event_shape_tensor()[0], self.dtype)
    return num_spins * tf.math.log(params['delta'])

  def _smooth(self, spins, seed, params):
    scale = tf.math.rsqrt(params['delta'])[..., tf.newaxis]
    return spins + scale * noise.standard_normal(ps.shape(spins), seed, self.dtype)

  def _spin_energy(self, spins, params):
    return -tf.reduce_sum(params['field'] * spins, axis=-1)

  def _gibbs_step(self, spins, seed, params):
    """An exact draw of the independent spins, whatever the state."""
    return noise.sample_spins(tf.broadcast_to(params['field'], ps.shape(spins)), seed)

  def _enumerated_layer_size(self):
    return 0

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    del chunk_bits
    return tf.reduce_sum(boltzmann_math.log_cosh2(params['field']), axis=-1)

  def _spin_mean(self, params, chunk_bits):
    del chunk_bits
    return tf.tanh(params['field'])

  def _smoothing_variance(self, params):
    return 1. / params['delta'][..., tf.newaxis]
