"""The Gaussian-Bernoulli restricted Boltzmann machine (EB-and-Flow base)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import restricted_boltzmann_machine as rbm_lib
from tfp_rbm.internal import enumeration
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

__all__ = ['GaussianBernoulliRBM', 'scale_property']

# A thin QR of `W` `[D, H]` under XLA on a CPU costs as much as this many
# products of its `2 D H^2` multiply-adds (33 ms for 784x512 on 2 cores).
_QR_COST_IN_PRODUCTS = 8
# A standard normal (threefry bits and an inverse CDF) costs about as much as
# this many multiply-adds of a matrix product on a CPU: the bare Gaussian
# sweep of a 784x512 machine is 1.3x its products, 784 normals per chain
# against 0.3 * 2 * 784 * 512 multiply-adds.
_NORMAL_COST_IN_MULTIPLY_ADDS = 300


def scale_property(dtype):
  """`ParameterProperties` of the visible scale `sigma > 0`, shared by the Gaussian machines."""
  return tfp.util.ParameterProperties(
      event_ndims=1,
      default_constraining_bijector_fn=(
          lambda: tfp.bijectors.Softplus(low=validation.machine_epsilon(dtype))))


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

  `p(v)` is a mixture of Gaussians over the hidden states, so `mean` and
  `variance` are exact by enumerating the `2^H` hidden states:

  ```none
  p(h) = exp(c.h + sum_i (b_i a_i / sigma_i + a_i^2 / 2)) / Z',   a = W h
  E[v] = b + sigma E_h[a],    Var[v_i] = sigma_i^2 (1 + Var_h[a_i])
  ```

  Its `entropy`, `mode` and KL divergence have no closed form (`E_v[F(v)]`
  is an integral over the real visible units); they raise
  `NotImplementedError` (`inexact_statistics`).

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

  [1] Grathwohl, W., Li, X., Swersky, K., Hashemi, M., Jacobsen, J.-H.,
      Norouzi, M., Hinton, G. Scaling RBMs to high dimensional data with
      invertible neural networks (EB-and-Flow). ICML 2020 workshop on
      Invertible Neural Networks, Normalizing Flows, and Explicit Likelihood
      Models.
  [2] Cho, K., Ilin, A., Raiko, T. Improved learning of Gaussian-Bernoulli
      restricted Boltzmann machines. ICANN 2011.
  """

  _PROPOSAL_KEYS = ('visible_bias', 'scale')
  inexact_statistics = {
      'mode': 'the mode of a mixture of Gaussians has no closed form',
      'entropy': 'it needs E_v[F(v)], an integral over the real visible units with no '
                 'closed form',
      'kl_divergence': 'it needs E_p[F_q(v) - F_p(v)], an integral over the real visible '
                       'units with no closed form',
  }

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
        exactly when none is supplied, in `[0, MAX_ENUMERATION_BITS]` (24).
      validate_args: check finiteness of parameters and data and `scale > 0`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.
    """
    parameters = dict(locals())
    super().__init__(parameters, max_enumeration_bits, validate_args,
                     allow_nan_stats, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(rbm_lib.rbm_parameter_properties(), scale=scale_property(dtype),
                log_normalizer=boltzmann_machine.log_normalizer_property())

  @property
  def scale(self):
    """Per-dimension standard deviation `sigma` of `p(v | h)`."""
    return self._scale

  def _check_static_shapes(self):
    super()._check_static_shapes()
    size = self._scale.shape[-1] if self._scale.shape.rank else None
    if None not in (size, self.num_visible) and size not in (1, self.num_visible):
      raise ValueError(
          f'Argument `scale` has {size} units but `weights` has shape '
          f'{self._weights.shape}: expected {self.num_visible} (or 1, or a scalar).')

  def _parameter_assertions(self, checked, is_init):
    if 'scale' not in checked:
      return []
    return [tf.debugging.assert_positive(
        checked['scale'], message='Argument `scale` must be positive.')]

  def _default_event_space_bijector(self):
    return tfp.bijectors.Identity(validate_args=self.validate_args)

  def _hidden_input(self, visible, params):
    return params['hidden_bias'] + boltzmann_math.visible_to_hidden(
        visible / params['scale'], params['weights'])

  # The path's `W_beta = beta (s_beta / sigma) W` divides out with `v / s_beta`.
  _annealing_scales_hidden_input = True

  def _free_energy(self, value, params):
    return self._free_energy_from_hidden_input(
        value, self._hidden_input(value, params), params)

  def _free_energy_from_hidden_input(self, value, hidden_input, params):
    scale = params['scale']
    return (tf.reduce_sum(tf.square((value - params['visible_bias']) / scale), axis=-1) / 2.
            - tf.reduce_sum(tf.math.softplus(hidden_input), axis=-1))

  def _visible_mean(self, hidden, params):
    """`E[v | h] = b + sigma * (W h)`."""
    return params['visible_bias'] + params['scale'] * boltzmann_math.hidden_to_visible(
        hidden, params['weights'])

  def _visible_distribution(self, hidden, params):
    loc = self._visible_mean(hidden, params)
    return tfp.distributions.Independent(
        tfp.distributions.Normal(loc=loc, scale=tf.broadcast_to(params['scale'], ps.shape(loc))),
        reinterpreted_batch_ndims=1)

  def _sample_visible(self, hidden, params, seed):
    loc = self._visible_mean(hidden, params)
    return loc + params['scale'] * noise.standard_normal(ps.shape(loc), seed, self.dtype)

  def _initial_chain_state(self, shape, seed, params):
    return params['visible_bias'] + params['scale'] * noise.standard_normal(
        shape, seed, self.dtype)

  # Sweeps may integrate the Gaussian visible layer out between them; a
  # subclass whose sweep differs (convolutions) sets it False, one whose
  # hidden draw needs more than its input overrides `_sample_hidden_from_input`
  # (labels).
  _integrates_out_visible_layer = True

  def _gibbs_chain(self, visible, num_steps, seed, params, setup=None):
    """`num_steps` sweeps, with the visible layer integrated out between them where it pays.

    Given `h`, `v / sigma = b / sigma + W h + eps`, `eps ~ N(0, I_D)`, so the
    next hidden input `c + W^T (v / sigma)` is Gaussian given `h`:

    ```none
    c + W^T (b / sigma) + W^T W h + W^T eps = c + W^T (b / sigma) + R^T (R h + z),
    ```

    with `R^T R = W^T W` (`R` `[H, H]`) and `z ~ N(0, I_H)`, since
    `W^T eps ~ N(0, W^T W) = N(0, R^T R)`. The integrated chain draws
    `h ~ p(h | v_0)`, then `num_steps - 1` such hidden-to-hidden steps, then
    `v ~ p(v | h)`: the distribution of `num_steps` sweeps, with `H` normals
    and two `[H, H]` products per step instead of `D` normals and two
    `[D, H]` ones. `R` comes from `setup` (`gibbs_chain_setup()`: the
    Cholesky factor of `W^T W`, computed eagerly outside the compiled loop
    of `run_gibbs`; a setup without a factor, for a singular `W^T W`, keeps
    the plain sweeps). Without a setup (the chain in a caller's graph, e.g.
    a training step) `R` is a thin QR of `W` in that graph, which costs
    about as much as 8 `2 D H^2` products under XLA on a CPU: then the
    plain sweeps run unless the chains save more than that,
    `num_chains (num_steps - 1) (D - H) (2 H + 300) >= 8 * 2 D H^2` (a
    normal costs about 300 multiply-adds): e.g. a labelled 784x16
    machine's 64 chains for 10 steps, not a 784x512 machine's 128 chains for
    25 steps. A step count known only when running keeps the plain sweeps;
    chains counted only when running (a stacked training loop) choose when
    running, by the same rule, so that a step draws the same numbers
    whichever way it was traced.
    """
    plain = lambda: super(GaussianBernoulliRBM, self)._gibbs_chain(
        visible, num_steps, seed, params)
    steps = tf.get_static_value(num_steps)
    costs = self._integration_costs()
    if costs is None or steps is None or steps < 2:
      return plain()
    if setup is not None:
      if setup['gram_factor'] is None:
        return plain()
      return self._integrated_chain(visible, num_steps, seed, params, setup['gram_factor'])
    integrated = lambda: self._integrated_chain(
        visible, num_steps, seed, params, tf.linalg.qr(params['weights']).r)
    num_chains = visible.shape[:-1].num_elements()
    if num_chains is not None:
      return integrated() if steps >= self._min_steps_to_integrate(num_chains) else plain()
    # Chains counted only when running (e.g. a stacked training loop): the same choice,
    # made then, so that a step draws alike whatever its shapes were when traced.
    qr_cost, saved_per_chain_step = costs
    num_chains = tf.cast(tf.reduce_prod(tf.shape(visible)[:-1]), tf.int64)
    return tf.cond(num_chains * (saved_per_chain_step * (steps - 1)) >= qr_cost,
                   integrated, plain)

  def _gibbs_chain_setup(self, params):
    """`{'gram_factor': R}`, `R^T R = W^T W` upper triangular, eagerly; None if not needed.

    The Cholesky factor of the Gram matrix outside XLA (5.5 ms for 784x512
    on 2 cores, against the compiled QR's 27-33 ms). None where the chain
    never integrates; `{'gram_factor': None}` (the plain sweeps) where
    `W^T W` is singular (e.g. zero weights) or not positive definite in the
    dtype's precision.
    """
    if self._min_steps_to_integrate(1, factor_given=True) is None:
      return None
    weights = params['weights']
    try:
      cholesky = tf.linalg.cholesky(tf.linalg.matmul(weights, weights, transpose_a=True))
    except tf.errors.InvalidArgumentError:
      return {'gram_factor': None}
    if not np.all(np.isfinite(cholesky.numpy())):
      return {'gram_factor': None}
    return {'gram_factor': tf.linalg.matrix_transpose(cholesky)}

  def _integration_costs(self):
    """`(QR cost, saved per chain and step)` in multiply-adds; None where it never integrates.

    None for a subclass whose sweep differs, `H >= D`, or sizes unknown
    when tracing.
    """
    visible, hidden = self.num_visible, self.num_hidden
    if (not self._integrates_out_visible_layer
        or None in (visible, hidden) or hidden >= visible):
      return None
    return (_QR_COST_IN_PRODUCTS * 2 * visible * hidden ** 2,
            (visible - hidden) * (2 * hidden + _NORMAL_COST_IN_MULTIPLY_ADDS))

  def _min_steps_to_integrate(self, num_chains, factor_given=False):
    """The fewest steps for which the integrated chain pays for its factor; None: never.

    None where `_integration_costs` is, or for chains counted only when
    running. A factor given costs nothing in the loop.
    """
    costs = self._integration_costs()
    if costs is None or num_chains is None:
      return None
    if factor_given:
      return 2
    qr_cost, saved_per_chain_step = costs
    return max(2, 1 + -(-qr_cost // (int(num_chains) * saved_per_chain_step)))

  def _integrated_chain(self, visible, num_steps, seed, params, r):
    """`_gibbs_chain`'s chain over the hidden layer, for `num_steps >= 1`; `R^T R = W^T W`."""
    first_seed, loop_seed, last_seed = tfp.random.split_seed(seed, n=3, salt='gibbs_chain')
    offset = self._hidden_input(params['visible_bias'], params)

    def body(step, hidden, seed):
      normal_seed, bernoulli_seed, seed = tfp.random.split_seed(seed, n=3)
      z = noise.standard_normal(ps.shape(hidden), normal_seed, self.dtype)
      hidden_input = offset + boltzmann_math.visible_to_hidden(
          boltzmann_math.hidden_to_visible(hidden, r) + z, r)
      return step + 1, self._sample_hidden_from_input(hidden_input, params, bernoulli_seed), seed

    hidden = self._sample_hidden(visible, params, first_seed)
    _, hidden, _ = tf.while_loop(lambda step, hidden, seed: step < num_steps, body,
                                 (tf.constant(1, tf.int32), hidden, loop_seed))
    return self._sample_visible(hidden, params, last_seed)

  def _sample_hidden_from_input(self, hidden_input, params, seed):
    """The hidden layer's draw given its input `c + W^T (v / sigma)` (the integrated chain's)."""
    del params  # The Bernoulli units need only their input.
    return noise.bernoulli_sample(hidden_input, seed)

  def _hidden_log_weight_and_projection(self, hidden, params):
    """`log p~(h) = c.h + sum_i (b_i a_i / sigma_i + a_i^2 / 2)` and `a = W h`, `[k, H]` states."""
    a = tf.linalg.matmul(hidden, params['weights'], transpose_b=True)  # batch + [k, D]
    bias_over_scale = params['visible_bias'] / params['scale']
    return (tf.linalg.matvec(hidden, params['hidden_bias'])
            + tf.reduce_sum(bias_over_scale[..., tf.newaxis, :] * a + tf.square(a) / 2.,
                            axis=-1)), a

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    """`sum_i log(sqrt(2 pi) sigma_i) + logsumexp_h log p~(h)`, `log p~(h)` in Gram form.

    `sum_i (b_i a_i / sigma_i + a_i^2 / 2)` with `a = W h` is
    `(W^T (b / sigma)).h + h^T (W^T W) h / 2`: after one `D H^2` product
    each state costs `O(H)` (`enumeration.logsumexp_over_projected_binary_states`)
    instead of the `O(D H)` of `a`, so log Z, and its gradient, fit in a
    training step (`FlowModel(exact_training=True)`; `enumerated_state_width`
    is `2H + 1` values per state; timings in benchmarks/README.md).
    """
    projection, log_weight = self._hidden_log_weight_gram_form(params)
    return (self._independent_visible_log_normalizer(params)
            + enumeration.logsumexp_over_projected_binary_states(log_weight, projection,
                                                                 chunk_bits))

  def _enumerated_state_width(self):
    """The Gram form's columns, `2H + 1`: independent of the visible layer's size."""
    return 2 * self.num_hidden + 1

  def _hidden_log_weight_gram_form(self, params):
    """`(P, f)` with `log p~(h) = f(h P)`: `P = [W^T W | I | c + W^T (b / sigma)]`."""
    weights = params['weights']
    num_hidden = self.num_hidden
    gram = tf.linalg.matmul(weights, weights, transpose_a=True)  # batch + [H, H]
    linear = params['hidden_bias'] + tf.linalg.matvec(
        weights, params['visible_bias'] / params['scale'], transpose_a=True)
    projection = boltzmann_math.concat_columns([gram, tf.eye(num_hidden, dtype=self.dtype),
                                                linear[..., tf.newaxis]])

    def log_weight(products):  # [h G | h | h.linear]
      return products[..., -1] + tf.reduce_sum(
          products[..., :num_hidden] * products[..., num_hidden:2 * num_hidden], axis=-1) / 2.

    return projection, log_weight

  def _exact_mean_and_variance(self, params, chunk_bits):
    """The Gaussian mixture's `b + sigma E_h[a]` and `sigma^2 (1 + Var_h[a])`, `a = W h`."""
    def log_weight_and_values(hidden):
      log_weight, a = self._hidden_log_weight_and_projection(hidden, params)
      return log_weight, {'a': a, 'a_squared': tf.square(a)}

    _, averages = enumeration.expectations_over_binary_states(
        log_weight_and_values, self.num_hidden, self.dtype, chunk_bits)
    scale = params['scale']
    mean_a = averages['a']
    variance_a = tf.maximum(averages['a_squared'] - tf.square(mean_a), 0.)
    return (self._broadcast_to_batch(params['visible_bias'] + scale * mean_a, event_ndims=1),
            self._broadcast_to_batch(tf.square(scale) * (1. + variance_a), event_ndims=1))

  # -- Annealing ------------------------------------------------------------

  def _annealed_parameters(self, beta, params):
    """The energies interpolate, `E_beta = (1 - beta) E_0 + beta E`: again such an RBM.

    From the independent Gaussian `v ~ N(b_0, s_0^2)` (hidden units free) at
    `beta = 0` to the model at `beta = 1`, precisions interpolate, and so do
    the precision-weighted means:

    ```none
    1 / s_beta^2 = (1 - beta) / s_0^2 + beta / sigma^2
    b_beta       = s_beta^2 ((1 - beta) b_0 / s_0^2 + beta b / sigma^2)
    W_beta       = beta (s_beta / sigma) W,    c_beta = beta c
    ```

    With `s_0 = sigma` (no `'scale'` in the proposal) this is the parameter
    path `W_beta = beta W`, `b_beta = (1 - beta) b_0 + beta b`, up to rounding.
    """
    scale = params['scale']
    proposal_precision = tf.math.reciprocal(tf.square(params['proposal_scale']))
    precision = (1. - beta) * proposal_precision + beta / tf.square(scale)
    annealed_scale = tf.math.rsqrt(precision)
    visible_bias = ((1. - beta) * proposal_precision * params['proposal_visible_bias']
                    + beta * params['visible_bias'] / tf.square(scale)) / precision
    row_scale = annealed_scale / scale
    return dict(weights=beta * row_scale[..., tf.newaxis] * params['weights'],
                hidden_bias=beta * params['hidden_bias'],
                visible_bias=visible_bias, scale=annealed_scale)

  def _fit_proposal(self, points, params):
    """Mean and standard deviation of `points`, the latter at least `1e-3 sigma`."""
    scale = tf.broadcast_to(params['scale'], ps.shape(points)[1:])
    return {'visible_bias': tf.reduce_mean(points, axis=0),
            'scale': tf.maximum(tf.math.reduce_std(points, axis=0), 1e-3 * scale)}

  def _independent_visible_log_normalizer(self, params):
    """`sum_i log(sqrt(2 pi) sigma_i)`, with `sigma` broadcast over the visible units."""
    scale = params['scale']
    scale = tf.broadcast_to(
        scale, ps.broadcast_shape(ps.shape(scale), self._event_shape_tensor()))
    return tf.reduce_sum(tf.math.log(scale) + 0.5 * np.log(2. * np.pi), axis=-1)
