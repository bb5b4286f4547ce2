"""What every restricted Boltzmann machine over its visible units shares.

`RestrictedBoltzmannMachine` is the abstract parent of `BernoulliRBM`,
`GaussianBernoulliRBM` and `SpinRBM`: weights `W` (`[..., D, H]`), visible
bias `b`, hidden bias `c`, a two-valued hidden layer summed out, and chains
over the visible units (so RAISE applies). The energy-based core
(`BoltzmannMachine`) gives it the log Z policy, sampling, the surrogate and
the annealing walk. A subclass supplies, as functions of `params`: the free
energy `_free_energy`, the hidden layer's conditional (`_hidden_field`,
`_sample_hidden`), the visible one (`_visible_distribution`,
`_sample_visible`), `_exact_chain_log_normalizer`, `_initial_chain_state`,
the independent-visible proposal (`_fit_proposal`,
`_independent_visible_log_normalizer`) and `_exact_mean_and_variance`.

For two-valued visible units (binary or spins) this module gives the mode,
the entropy and the KL divergence exactly, by enumerating the `2^D` visible
states: `H = log Z - E[-F(v)]`, `KL(p || q) = E_p[F_q(v) - F_p(v)] - log Z_p
+ log Z_q`, the mode the state of least free energy.
"""

import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.internal import enumeration
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

__all__ = ['RestrictedBoltzmannMachine', 'rbm_parameter_properties']


class RestrictedBoltzmannMachine(boltzmann_machine.BoltzmannMachine):
  """Abstract RBM: a distribution over visible units with hidden units summed out.

  The joint is `p(v, h) = exp(-E(v, h)) / Z`; the distribution is the marginal
  `p(v) = exp(-F(v)) / Z` with `F` the free energy; `unnormalized_log_prob`
  is `-F(v)`. A block-Gibbs sweep draws `h ~ p(h | v)`, then `v ~ p(v | h)`.
  The annealing path scales the interactions and the hidden bias by `beta`
  and interpolates the visible bias from the proposal's:
  `W_beta = beta W`, `c_beta = beta c`, `b_beta = (1 - beta) b_0 + beta b`.
  """

  _PROPOSAL_KEYS = ('visible_bias',)
  # The two values of discrete visible units and how an error names them;
  # None for real-valued units.
  _VISIBLE_VALUES = None
  _VISIBLE_VALUES_MESSAGE = ''

  def _sample_control_dependencies(self, x, arg='value'):
    assertions = super()._sample_control_dependencies(x, arg)
    if self.validate_args and self._VISIBLE_VALUES is not None:
      low, high = self._VISIBLE_VALUES
      assertions.append(tf.debugging.assert_equal(
          tf.reduce_all((x == low) | (x == high)), True,
          message=f'Argument `{arg}`{self._VISIBLE_VALUES_MESSAGE}'))
    return assertions

  def _chain_state_assertions(self, state, arg):
    return self._sample_control_dependencies(state, arg)
  # The values of the visible units are spins, -1 and +1 (else 0 and 1).
  _spin_units = False

  # -- Parameters -----------------------------------------------------------

  @property
  def weights(self):
    """Interaction weights `W`, shape `batch_shape + [num_visible, num_hidden]`."""
    return self._weights

  @property
  def visible_bias(self):
    return self._visible_bias

  @property
  def hidden_bias(self):
    return self._hidden_bias

  @property
  def num_visible(self):
    return tf.compat.dimension_value(self._weights.shape[-2])

  @property
  def num_hidden(self):
    return tf.compat.dimension_value(self._weights.shape[-1])

  # -- Shapes ---------------------------------------------------------------

  def _check_static_shapes(self):
    w_shape = self._weights.shape
    if w_shape.rank is not None and w_shape.rank < 2:
      raise ValueError(
          'Argument `weights` must have shape [..., num_visible, num_hidden]; '
          f'got shape {w_shape}.')
    for arg, tensor, axis in (('visible_bias', self._visible_bias, -2),
                              ('hidden_bias', self._hidden_bias, -1)):
      if tensor.shape.rank == 0:
        raise ValueError(f'Argument `{arg}` must be at least a vector; got a scalar.')
      size = tensor.shape[-1] if tensor.shape.rank else None
      expected = w_shape[axis] if w_shape.rank else None
      if size is not None and expected is not None and size != expected:
        raise ValueError(
            f'Argument `{arg}` has {size} units but `weights` has shape '
            f'{w_shape}: expected {expected}.')

  def _event_shape(self):
    return tf.TensorShape([self.num_visible])

  def _event_shape_tensor(self):
    return ps.shape(self._weights)[-2:-1]

  def _enumerated_layer_size(self):
    return self.num_hidden

  def _convert_hidden(self, hidden):
    """`hidden` as a tensor of this dtype with `num_hidden` units, named in errors."""
    hidden = validation.convert_value(hidden, self.dtype, 'hidden')
    validation.check_event_value(hidden, self.dtype, self.num_hidden, 'hidden',
                                 self.batch_shape)
    return hidden

  # -- Energies and conditionals --------------------------------------------

  def free_energy(self, value, name='free_energy'):
    """`F(v) = -log sum_h exp(-E(v, h))`, shape `sample_shape + batch_shape`."""
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      return self._free_energy(value, self._read_parameters())

  def hidden_probs(self, visible, name='hidden_probs'):
    """`p(h_j = 1 | v)` (for spins, `p(h_j = +1 | v)`), shape `[..., num_hidden]`."""
    visible = validation.convert_value(visible, self.dtype, 'visible')
    with self._name_and_control_scope(name, visible, dict(arg='visible')):
      return tf.sigmoid(self._hidden_logit(visible, self._read_parameters()))

  def visible_distribution(self, hidden, name='visible_distribution'):
    """`p(v | h)` as a TFP distribution with event shape `[num_visible]`."""
    hidden = self._convert_hidden(hidden)
    with self._name_and_control_scope(name):
      return self._visible_distribution(hidden, self._read_parameters())

  def _hidden_input(self, visible, params):
    """`c + W^T v` (the Gaussian-Bernoulli RBM divides `v` by its scale)."""
    return params['hidden_bias'] + boltzmann_math.visible_to_hidden(visible, params['weights'])

  def _hidden_logit(self, visible, params):
    """The logit of `p(h_j = 1 | v)`: the hidden input for `{0, 1}` units."""
    return self._hidden_input(visible, params)

  def _sample_hidden(self, visible, params, seed):
    return noise.bernoulli_sample(self._hidden_logit(visible, params), seed)

  def _log_unnormalized(self, value, params):
    return -self._free_energy(value, params)

  def _chain_log_unnormalized(self, chain_state, params):
    return -self._free_energy(chain_state, params)

  def _gibbs_step(self, visible, seed, params):
    hidden_seed, visible_seed = tfp.random.split_seed(seed, salt='gibbs_step')
    hidden = self._sample_hidden(visible, params, hidden_seed)
    return self._sample_visible(hidden, params, visible_seed)

  def _free_energy_from_hidden_input(self, value, hidden_input, params):
    """`F(v)` given its hidden input `c + W^T v`, for the classes that declare
    `_annealing_scales_hidden_input`."""
    raise NotImplementedError(
        f'{type(self).__name__} declares no free energy from the hidden input.')

  # -- Exact statistics over the visible states -----------------------------

  def _statistic_layer_size(self, statistic):
    """Moments enumerate what log Z does; the rest every visible state."""
    if statistic in ('mean', 'variance', 'stddev'):
      return self._enumerated_layer_size()
    return self.num_visible

  def _broadcast_to_batch(self, x, event_ndims):
    shape = self._batch_shape_tensor()
    if event_ndims:
      shape = ps.concat([shape, self._event_shape_tensor()], axis=0)
    return tf.broadcast_to(x, shape)

  def _log_weight_of_states(self, visible, params):
    """`-F(v)` of the states `visible`, `[k, D]`, as `batch_shape + [k]`."""
    batch_ndims = _static_rank(self.batch_shape)
    states = tf.reshape(visible, ps.concat(
        [ps.shape(visible)[:1], ps.ones([batch_ndims], tf.int32), ps.shape(visible)[1:]], 0))
    return tf.experimental.numpy.moveaxis(-self._free_energy(states, params), 0, -1)

  def _visible_expectations(self, log_weight_and_values_fn, chunk_bits):
    enumerate_states = (enumeration.expectations_over_spin_states if self._spin_units
                        else enumeration.expectations_over_binary_states)
    return enumerate_states(log_weight_and_values_fn, self.num_visible, self.dtype, chunk_bits)

  def _exact_entropy(self, params, chunk_bits):
    """`H = log Z - E[-F(v)]`, both sums over the `2^D` visible states."""
    def log_weight_and_values(visible):
      log_weight = self._log_weight_of_states(visible, params)
      return log_weight, {'log_weight': log_weight[..., tf.newaxis]}

    log_z, averages = self._visible_expectations(log_weight_and_values, chunk_bits)
    return self._broadcast_to_batch(log_z - averages['log_weight'][..., 0], event_ndims=0)

  def _exact_mode(self, params, chunk_bits):
    """The visible state of least free energy (the lowest index among ties)."""
    argmax = (enumeration.argmax_over_spin_states if self._spin_units
              else enumeration.argmax_over_binary_states)
    mode = argmax(lambda visible: self._log_weight_of_states(visible, params),
                  self.num_visible, self.dtype, chunk_bits)
    return self._broadcast_to_batch(mode, event_ndims=1)

  def _exact_kl_divergence(self, params, other, chunk_bits):
    """`E_p[F_q(v) - F_p(v)] - log Z_p + log Z_q` over the `2^D` visible states."""
    # pylint: disable=protected-access
    other_params = other._read_parameters()

    def log_weight_and_values(visible):
      log_p = self._log_weight_of_states(visible, params)
      log_q = other._log_weight_of_states(visible, other_params)
      return log_p, {'log_ratio': (log_p - log_q)[..., tf.newaxis]}

    log_z, averages = self._visible_expectations(log_weight_and_values, chunk_bits)
    log_z_other = other._exact_log_normalizer(other_params, chunk_bits)
    return averages['log_ratio'][..., 0] - log_z + log_z_other

  # -- The annealing path ---------------------------------------------------

  # Declared True in the body of a class (it is not inherited: a subclass may
  # change the energy) whose `{0, 1}` hidden units have the logit
  # `_hidden_input`, whose free energy is `_free_energy_from_hidden_input`,
  # and whose annealing path scales the hidden input by `beta`:
  # `c_beta + W_beta^T (v / s_beta) = beta (c + W^T (v / sigma))`. Then
  # `annealing_step` computes that product once, for both temperatures and
  # for the sweep's hidden layer: two products a step, a Gibbs sweep's.
  _annealing_scales_hidden_input = False

  def annealing_step(self, chain_state, beta_from, beta_to, seed, proposal=None):
    """`(log f_to(v) - log f_from(v), v' ~ T_to(v))`, sharing `W^T v` where declared.

    With `g = c + W^T v` (the model's hidden input) and the path's
    `g_beta = beta g`:

    ```none
    log f_beta(v) = -F_beta(v) = -(visible energy at beta) + sum_j softplus(beta g_j)
    h ~ Bernoulli(sigmoid(beta_to g)),   v' ~ p_to(v | h)
    ```

    the same quantities, the same seeds and noise as the default (two
    annealed machines, each evaluated and swept on its own), up to rounding.
    """
    if not type(self).__dict__.get('_annealing_scales_hidden_input', False):
      return super().annealing_step(chain_state, beta_from, beta_to, seed, proposal)
    chain_state = tf.convert_to_tensor(chain_state, dtype=self.dtype)
    params = self._read_parameters()
    params.update(self._proposal_parameters(proposal))
    beta_from = tf.convert_to_tensor(beta_from, dtype=self.dtype)
    beta_to = tf.convert_to_tensor(beta_to, dtype=self.dtype)
    hidden_input = self._hidden_input(chain_state, params)
    params_to = dict(params, **self._annealed_parameters(beta_to, params))
    params_from = dict(params, **self._annealed_parameters(beta_from, params))
    input_to = beta_to * hidden_input
    log_ratio = (
        tf.cast(-self._free_energy_from_hidden_input(chain_state, input_to, params_to),
                tf.float64)
        - tf.cast(-self._free_energy_from_hidden_input(
            chain_state, beta_from * hidden_input, params_from), tf.float64))
    # The seeds of `_gibbs_step`, so that the draws are those of the default.
    hidden_seed, visible_seed = tfp.random.split_seed(seed, salt='gibbs_step')
    hidden = noise.bernoulli_sample(input_to, hidden_seed)
    return log_ratio, self._sample_visible(hidden, params_to, visible_seed)

  def _annealed_parameters(self, beta, params):
    return dict(weights=beta * params['weights'],
                hidden_bias=beta * params['hidden_bias'],
                visible_bias=(1. - beta) * params['proposal_visible_bias']
                + beta * params['visible_bias'])

  def _proposal_chain_log_normalizer(self, params):
    """The independent visible units' log Z plus `H log 2` for the free hidden units."""
    num_hidden = tf.cast(self.num_hidden, self.dtype)
    proposal = {arg: params['proposal_' + arg] for arg in self._PROPOSAL_KEYS}
    return (self._independent_visible_log_normalizer(proposal)
            + num_hidden * boltzmann_math.log_two(self.dtype))


def _static_rank(shape):
  """The static rank of a `tf.TensorShape`; raises where it is unknown."""
  if shape.rank is None:
    raise ValueError('Exact statistics need a batch shape of known rank.')
  return shape.rank


def rbm_parameter_properties():
  """`ParameterProperties` of the parameters every RBM shares, in constructor order."""
  return dict(
      weights=tfp.util.ParameterProperties(event_ndims=2),
      visible_bias=tfp.util.ParameterProperties(event_ndims=1),
      hidden_bias=tfp.util.ParameterProperties(event_ndims=1))
