"""Spins smoothed by a Gaussian: what `SmoothedRBM` and `DiscreteMixture` share.

`SmoothedSpinMachine` is the abstract parent of the RBM-Flow base
(`SmoothedRBM`, spins coupled by an RBM) and of its zero-coupling case, the
D-Flow base (`DiscreteMixture`). Both are a spin machine `p(s) = exp(-E(s))
/ Z_s` over `s in {-1, +1}^N` with `E(s) = -1/2 s^T J s - h.s`, each point a
spin configuration blurred by a Gaussian whose precision is the coupling
plus `delta`:

```none
J~ = J + delta I     (positive definite)
z | s ~ Normal(s, J~^-1)
log p(z) = -1/2 z^T J~ z + sum_i log(2 cosh(h~_i)) - log Z,   h~ = J~ z + h
log Z    = log Z_s + (N/2) log(2 pi) - 1/2 log det J~ + N delta / 2
p(s_i = +1 | z) = sigmoid(2 h~_i)                         (exact discrete code)
E[z] = E[s],    Var[z_i] = 1 - E[s_i]^2 + (J~^-1)_ii      (exact mean and variance)
```

The mode, the entropy and the KL divergence of such a Gaussian mixture have
no closed form: they raise `NotImplementedError` (`inexact_statistics`).

The chains run over the spins (not the event `z`), so `sample` smooths the
final spins and RAISE, which starts chains at data, does not apply
(`chains_run_over_event = False`). A subclass supplies the coupling:
`_precision_matvec` (`J~ z`), `_log_det_precision`, `_smooth`, the spin
energy, its Gibbs sweep and exact `log Z_s`, the coupling's part of the
annealing path, the spins' exact mean `_spin_mean` and the smoothing's
variances `_smoothing_variance` (the diagonal of `J~^-1`).
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

__all__ = ['SmoothedSpinMachine']


class SmoothedSpinMachine(boltzmann_machine.BoltzmannMachine):
  """Abstract: a spin machine smoothed by `Normal(s, (J + delta I)^-1)`; see the module."""

  chains_run_over_event = False
  _PROPOSAL_KEYS = ('field',)
  inexact_statistics = {
      'mode': 'the mode of a mixture of Gaussians has no closed form',
      'entropy': 'the entropy of a mixture of Gaussians has no closed form',
      'kl_divergence': 'the KL divergence between mixtures of Gaussians has no closed form',
  }

  @property
  def field(self):
    """Field `h` on the spins, `batch_shape + [N]`."""
    return self._field

  def _check_static_shapes(self):
    if self._field.shape.rank == 0:
      raise ValueError('Argument `field` must be at least a vector; got a scalar.')

  def _event_shape(self):
    return self._field.shape[-1:]

  def _event_shape_tensor(self):
    return ps.shape(self._field)[-1:]

  def _default_event_space_bijector(self):
    return tfp.bijectors.Identity(validate_args=self.validate_args)

  def _chain_state_assertions(self, state, arg):
    return validation.value_assertions(self, state, arg, spins=True)

  # -- The continuous density -----------------------------------------------

  def _log_unnormalized(self, value, params):
    """`-1/2 z^T J~ z + sum_i log(2 cosh(h~_i))`, `h~ = J~ z + h`."""
    precision_z = self._precision_matvec(value, params)
    return (-0.5 * tf.reduce_sum(value * precision_z, axis=-1)
            + tf.reduce_sum(boltzmann_math.log_cosh2(precision_z + params['field']), axis=-1))

  def spin_posterior(self, value, name='spin_posterior'):
    """The exact `p(s | z)`: independent spins with `p(s_i = +1 | z) = sigmoid(2 h~_i)`.

    Args:
      value: points `z`, shape `sample_shape + batch_shape + [N]`.
      name: name scope of the ops.

    Returns:
      A distribution over spins (values -1. and +1.), event shape `[N]`: its
      `mode()` is the most probable discrete code of each point, `sample()`
      draws codes, `log_prob(s)` is `log p(s | z)`.
    """
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      params = self._read_parameters()
      return boltzmann_math.independent_spins(
          params['field'] + self._precision_matvec(value, params))

  def _log_normalizer_from_chain(self, chain_log_normalizer, params):
    """`log Z = log Z_s + (N/2) log(2 pi) - 1/2 log det J~ + N delta / 2`."""
    num_spins = tf.cast(self._event_shape_tensor()[0], self.dtype)
    return (chain_log_normalizer + 0.5 * num_spins * np.log(2. * np.pi)
            - 0.5 * self._log_det_precision(params) + 0.5 * num_spins * params['delta'])

  def _exact_mean_and_variance(self, params, chunk_bits):
    """`E[z] = E[s]` and `Var[z_i] = 1 - E[s_i]^2 + (J~^-1)_ii`."""
    mean = tf.broadcast_to(
        self._spin_mean(params, chunk_bits),
        ps.concat([self._batch_shape_tensor(), self._event_shape_tensor()], axis=0))
    return mean, 1. - tf.square(mean) + self._smoothing_variance(params)

  # -- Smoothing: the Gaussian given the spins ------------------------------

  def smooth(self, spins, seed=None, name='smooth'):
    """Draws `z ~ Normal(s, (J + delta I)^-1)` for given spins.

    Many continuous points from one discrete code (RBM-Flow's Fig. 3): repeat
    the code along a sample dimension.

    Args:
      spins: values -1. and +1., shape `sample_shape + batch_shape + [N]` (or
        broadcastable to it).
      seed: stateless seed.
      name: name scope of the ops.

    Returns:
      `z`, shape `sample_shape + batch_shape + [N]`.
    """
    spins = validation.convert_value(spins, self.dtype, 'spins')
    with self._name_and_control_scope(name, spins, dict(arg='spins')):
      with tf.control_dependencies(self._chain_state_assertions(spins, 'spins')):
        spins = validation.broadcast_to_batch_and_event(self, spins)
      return self._smooth(spins, tfp.random.sanitize_seed(seed), self._read_parameters())

  def _chain_state_to_event(self, chain_state, seed, params):
    return self._smooth(chain_state, seed, params)

  # -- The spin machine ------------------------------------------------------

  def _initial_chain_state(self, shape, seed, params):
    """Uniform spins."""
    return noise.sample_spins(tf.zeros(shape, dtype=self.dtype), seed)

  def _chain_log_unnormalized(self, chain_state, params):
    return -self._spin_energy(chain_state, params)

  def spin_energy(self, spins, name='spin_energy'):
    """`E(s) = -1/2 s^T J s - h.s`, shape `sample_shape + batch_shape`."""
    spins = validation.convert_value(spins, self.dtype, 'spins')
    with self._name_and_control_scope(name, spins, dict(arg='spins')):
      with tf.control_dependencies(self._chain_state_assertions(spins, 'spins')):
        return self._spin_energy(tf.identity(spins), self._read_parameters())

  # -- The annealing path ---------------------------------------------------

  def _annealed_parameters(self, beta, params):
    """`h_beta = (1 - beta) h_0 + beta h`, and the coupling scaled by `beta`."""
    return dict(field=(1. - beta) * params['proposal_field'] + beta * params['field'],
                **self._annealed_coupling(beta, params))

  def _annealed_coupling(self, beta, params):
    del beta, params
    return {}

  def _fit_proposal(self, points, params):
    """Independent spins with the points' mean code: `h_0 = atanh(m)`.

    `m` is the mean over `points` of `E[s | z]` (`spin_posterior`), clipped
    to `|m| <= 1 - 2e-3`.
    """
    mean_spin = tf.reduce_mean(
        tf.tanh(params['field'] + self._precision_matvec(points, params)), axis=0)
    return {'field': tf.math.atanh(tf.clip_by_value(mean_spin, -1. + 2e-3, 1. - 2e-3))}

  def _proposal_chain_log_normalizer(self, params):
    """`sum_i log(2 cosh(h0_i))`: independent spins."""
    return tf.reduce_sum(boltzmann_math.log_cosh2(params['proposal_field']), axis=-1)
