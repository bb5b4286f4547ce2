"""The Gaussian-smoothed restricted Boltzmann machine (RBM-Flow base)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps
# No public API: `is_ref` tells a variable (checked when read) from a constant.
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import smoothed_spin_machine
from tfp_rbm.distributions import spin_rbm
from tfp_rbm.internal import noise
from tfp_rbm.internal import spectral_bound
from tfp_rbm.internal import validation

__all__ = ['SmoothedRBM', 'delta_from_margin']


def delta_from_margin(weights, margin):
  """`delta = B(W) + c softplus(softplus(margin) / c)`, `c = sqrt(eps) B(W) + eps`.

  `B(W) >= ||W||_2` is `spectral_norm_bound`. The margin term is a smooth
  maximum of `softplus(margin)` and `c log 2`: `softplus(margin)` itself for
  any margin that rounding does not erase, and a relative floor that keeps
  `J + delta I` (and its Schur complement) well conditioned for the rest; see
  `SmoothedRBM`.

  Args:
    weights: float tensor, `batch_shape + [N_a, N_b]`.
    margin: float tensor of the same dtype, broadcasting with `batch_shape`.

  Returns:
    `delta`, the broadcast batch shape, `> ||W||_2`.
  """
  bound = spectral_bound.spectral_norm_bound(weights)
  eps = validation.machine_epsilon(weights.dtype)
  floor = np.sqrt(eps) * bound + eps
  return bound + floor * tf.math.softplus(tf.math.softplus(margin) / floor)


class SmoothedRBM(smoothed_spin_machine.SmoothedSpinMachine):
  """An RBM over spins, smoothed by a Gaussian: the RBM-Flow base distribution.

  Spins `s = (s_a, s_b) in {-1, +1}^N` in two groups of sizes `N_a` and
  `N_b` (`N = N_a + N_b`, read from the shape of `weights`) are coupled by
  `W` between the groups; each point `z in R^N` is a spin configuration
  blurred by a Gaussian whose precision is the coupling plus `delta`.

  #### Mathematical Details

  ```none
  J = [[0, W], [W^T, 0]],    J~ = J + delta I     (positive definite)
  E(s) = -1/2 s^T J s - h.s = -s_a^T W s_b - h.s
  z | s ~ Normal(s, J~^-1)
  log p(z) = -1/2 z^T J~ z + sum_i log(2 cosh(h~_i)) - log Z_z,   h~ = J~ z + h
  log Z_z  = log Z_s + (N/2) log(2 pi) - 1/2 log det J~ + N delta / 2
  p(s_i = +1 | z) = sigmoid(2 h~_i)                       (exact discrete code)
  p(s_a,i = +1 | s_b) = sigmoid(2 (W s_b + h_a)_i), and symmetrically
  ```

  (The paper's eq. 10 prints `+1/2 z^T J~ z`; summing `N(z; s, J~^-1)
  exp(-E(s))` over `s` with `s_i^2 = 1` gives the minus sign, as its eq. 15
  does.) The eigenvalues of `J` are `+-` the singular values of `W`, so `J~`
  is positive definite exactly when `delta > ||W||_2`. Given `margin` instead
  of `delta`,

  ```none
  delta = B(W) + c softplus(softplus(margin) / c),   c = sqrt(eps) B(W) + eps
  ```

  keeps it so during training (`delta_from_margin`), `B(W) >= ||W||_2` being a
  certified upper bound within a factor `rank(W)^(1/256)` of it
  (`spectral_norm_bound`) and `eps` the dtype's machine epsilon. The margin
  term is `softplus(margin)` to rounding once that exceeds `40 c`, and never
  less than `c log 2` however negative `margin` is: `softplus(margin)` alone
  would vanish next to `B(W)` in rounding (float32 at `margin = -16`), leaving
  `J~` singular. So `delta - ||W||_2 >= log(2) sqrt(eps) ||W||_2`, far above
  the rounding of `B(W)` (a few `eps`), and the Schur complement `S` below,
  whose eigenvalues are `delta - sigma_i^2 / delta`, has condition number
  `delta^2 / (delta^2 - ||W||_2^2) <= 1 / (2 log(2) sqrt(eps))` (2e3 in
  float32, 5e7 in float64): its Cholesky factorization succeeds in either
  dtype for every `margin`. `log Z_s` is exact by enumerating the smaller
  group (here `b`):

  ```none
  Z_s = sum_{s_b} exp(h_b.s_b) prod_i 2 cosh((W s_b + h_a)_i)
  ```

  With the larger group first, the Cholesky factor of `J~` is block
  triangular, `L = [[sqrt(delta) I, 0], [K^T / sqrt(delta), L_S]]` (`K` the
  coupling from the smaller to the larger group), and only the Schur
  complement `S = delta I - K^T K / delta = L_S L_S^T` of the smaller group
  needs a dense factorization: `log det J~ = N_large log delta + log det S`,
  and `z = s + L^-T eps` samples the smoothing. `log_prob` normalizes with
  the supplied `log_normalizer` (the distribution's `log Z_z`) or, when the
  smaller group has at most `max_enumeration_bits` spins, the exact one;
  otherwise it raises.

  The spin machine is a `SpinRBM` with group `a` visible and group `b`
  hidden, both kept in the chains' state: its energy, Gibbs sweep and exact
  `log Z_s` are that machine's (`spin_rbm`). `sample(n, seed,
  num_steps=1000, initial_state=None)` runs `num_steps` block-Gibbs sweeps
  over the spins from uniform spins or from `initial_state`, then smooths
  them with one Cholesky for all samples.

  #### Examples

  ```python
  base = tfp_rbm.distributions.SmoothedRBM(
      weights=tf.Variable(tf.random.normal([8, 6], stddev=0.1)),
      field=tf.Variable(tf.zeros([14])),
      margin=tf.Variable(0.))               # delta ~ B(W) + softplus(margin)
  z = base.sample(100, seed=(0, 1), num_steps=50)
  base.log_prob(z)                          # exact: 2^6 states of the smaller group
  code = base.spin_posterior(z).mode()      # the discrete code of each point
  many = base.smooth(tf.repeat(code[:1], 16, axis=0), seed=(0, 2))  # one code, 16 points
  ```

  #### References

  [1] O'Connor, D., Vinci, W. RBM-Flow and D-Flow: Invertible flows with
      discrete energy base spaces, 2020. https://arxiv.org/abs/2012.13196
  [2] Zhang, Y., Ghahramani, Z., Storkey, A. J., Sutton, C. A. Continuous
      relaxations for discrete Hamiltonian Monte Carlo. NeurIPS 2012.
  """

  def __init__(self, weights, field, delta=None, margin=None,
               log_normalizer=None, max_enumeration_bits=20,
               validate_args=False, allow_nan_stats=True, name='SmoothedRBM'):
    """Builds a Gaussian-smoothed RBM from `delta` or from `margin`.

    Like `tfd.Bernoulli`'s `logits`/`probs`, exactly one of `delta` and
    `margin` is given; `delta_parameter()` is `delta` either way. With
    `margin`, `delta = B(W) + softplus(margin)` (floored at
    `B(W) (1 + log(2) sqrt(eps))`, see the class docstring), so `J + delta I`
    is positive definite for every value of the trainable `weights` and
    `margin`. `B(W)` is a certified upper bound on `||W||_2`: with
    `G = W^T W` of the smaller group and `p = 256`,
    `B(W) = (sum_i sigma_i^p)^(1/p) = ||G^64||_F^(1/128)`, at most
    `rank(W)^(1/256)` times `||W||_2` (1.03 at rank 1536; 1.0004 for a random
    272 x 512 `W`). It takes seven matrix products of the smaller group's
    size (by repeated squaring), compiles well under XLA (where an SVD
    compiles to a slow Jacobi loop on a CPU) and passes smooth gradients to
    `weights`. (The paper's eq. 16 ansatz
    `J~ = C C^T` is positive definite by construction too, but couples the
    spins within a group: the machine would no longer be an RBM with a
    two-block Gibbs sweep.)

    Args:
      weights: float tensor or variable, `batch_shape + [N_a, N_b]`, the
        coupling between the two spin groups.
      field: float tensor or variable, `batch_shape + [N_a + N_b]`, the field
        `h` on all spins (group `a` first).
      delta: positive float tensor or variable, `batch_shape`, the smoothing
        precision; must exceed the largest singular value of `weights` (by a
        relative `sqrt(eps) / 2`, `eps` the dtype's machine epsilon, so that
        rounding cannot make `J + delta I` singular).
      margin: float tensor or variable, `batch_shape`, unconstrained: the
        alternative to `delta` that keeps `J + delta I` positive definite.
      log_normalizer: optional estimate of the distribution's log Z (e.g.
        `log_normalizer_from_chain` of an AIS estimate of `log Z_s`),
        `batch_shape`.
      max_enumeration_bits: largest `min(N_a, N_b)` for which `log_prob`
        computes log Z exactly when none is supplied, in
        `[0, MAX_ENUMERATION_BITS]` (24).
      validate_args: check finiteness of parameters and data, `delta > 0` and
        `delta > (1 + sqrt(eps) / 2) ||weights||_2` (a `delta` from `margin`
        always is).
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.

    Raises:
      ValueError: if `field` does not have `N_a + N_b` spins, the
        parameters' batch shapes do not broadcast, `max_enumeration_bits` is
        out of range, or not exactly one of `delta` and `margin` is given.
    """
    parameters = dict(locals())
    if (delta is None) == (margin is None):
      raise ValueError('Exactly one of `delta` or `margin` must be given.')
    super().__init__(parameters, max_enumeration_bits, validate_args,
                     allow_nan_stats, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    # Softplus keeps `delta` positive, but no bijector of `delta` alone keeps
    # it above `||weights||_2`: `margin` does, so it is the preferred one.
    return dict(
        weights=tfp.util.ParameterProperties(event_ndims=2),
        field=tfp.util.ParameterProperties(event_ndims=1),
        delta=tfp.util.ParameterProperties(
            event_ndims=0,
            default_constraining_bijector_fn=(
                lambda: tfp.bijectors.Softplus(low=validation.machine_epsilon(dtype))),
            is_preferred=False),
        margin=tfp.util.ParameterProperties(event_ndims=0),
        log_normalizer=boltzmann_machine.log_normalizer_property())

  # -- Parameters -----------------------------------------------------------

  @property
  def weights(self):
    """Coupling `W` between the groups, `batch_shape + [N_a, N_b]`."""
    return self._weights

  @property
  def delta(self):
    """The `delta` given to the constructor, or None."""
    return self._delta

  @property
  def margin(self):
    """The `margin` given to the constructor, or None."""
    return self._margin

  @property
  def group_sizes(self):
    """`(N_a, N_b)`, the sizes of the two spin groups."""
    return (tf.compat.dimension_value(self._weights.shape[-2]),
            tf.compat.dimension_value(self._weights.shape[-1]))

  def _derived_parameters(self, params):
    """`delta`: the given one or `delta_from_margin` (one bound per public method)."""
    if params['margin'] is None:
      return {}
    return {'delta': delta_from_margin(params['weights'], params['margin'])}

  def delta_parameter(self, name='delta_parameter'):
    """The smoothing precision `delta`, `batch_shape`: given, or from `margin`."""
    with self._name_and_control_scope(name):
      return self._read_parameters()['delta']

  # -- Shapes and validation ------------------------------------------------

  def _static_sizes(self):
    """`(N_a, N_b, N)` from the static shapes, each None where unknown."""
    num_a, num_b = self.group_sizes if self._weights.shape.rank else (None, None)
    num_spins = self._field.shape[-1] if self._field.shape.rank else None
    return num_a, num_b, num_spins

  def _check_static_shapes(self):
    super()._check_static_shapes()
    w_shape = self._weights.shape
    if w_shape.rank is not None and w_shape.rank < 2:
      raise ValueError(
          f'Argument `weights` must have shape [..., N_a, N_b]; got shape {w_shape}.')
    num_a, num_b, num_spins = self._static_sizes()
    if None not in (num_a, num_b, num_spins) and num_spins != num_a + num_b:
      raise ValueError(
          f'Argument `field` has {num_spins} spins but `weights` (shape '
          f'{w_shape}) couples groups of {num_a} and {num_b}: the spin groups '
          f'must add up to the event size, {num_a + num_b}.')

  def _parameter_assertions(self, checked, is_init):
    assertions = []
    weights_or_field_is_ref = (tensor_util.is_ref(self._weights)
                               or tensor_util.is_ref(self._field))
    if None in self._static_sizes() and is_init != weights_or_field_is_ref:
      w_shape = ps.shape(self._weights)
      assertions.append(tf.debugging.assert_equal(
          ps.shape(self._field)[-1], w_shape[-2] + w_shape[-1],
          message='Argument `field` must have one entry per spin of the two groups '
                  'that `weights` couples: the spin groups must add up to the event size.'))
    if self._delta is None:
      return assertions
    if 'delta' in checked:
      assertions.append(tf.debugging.assert_positive(
          checked['delta'], message='Argument `delta` must be positive.'))
    if is_init != (tensor_util.is_ref(self._delta) or tensor_util.is_ref(self._weights)):
      # A parameter missing from `checked` here is a constant: no variable is read twice.
      w = checked.get('weights', self._weights)
      delta = checked.get('delta', self._delta)
      # A gap within rounding of `||W||_2` would pass, then fail the Cholesky factor.
      relative_gap = 0.5 * np.sqrt(validation.machine_epsilon(self.dtype))
      min_delta = (1. + relative_gap) * spectral_bound.spectral_norm(tf.convert_to_tensor(w))
      assertions.append(tf.debugging.assert_less(
          min_delta, tf.convert_to_tensor(delta),
          message='Argument `delta` must exceed the largest singular value of '
                  '`weights` (J + delta I must be positive definite), by a relative '
                  'sqrt(eps) / 2 that rounding cannot erase.'))
    return assertions

  # -- The coupling and its Gaussian ----------------------------------------

  def _split(self, x):
    """`(x_a, x_b)`, the two groups of the last axis."""
    num_a, _ = self.group_sizes
    return x[..., :num_a], x[..., num_a:]

  def _precision_matvec(self, z, params):
    """`J~ z = delta z + (W z_b, W^T z_a)`."""
    w = params['weights']
    z_a, z_b = self._split(z)
    coupled = tf.concat([boltzmann_math.hidden_to_visible(z_b, w),
                         boltzmann_math.visible_to_hidden(z_a, w)], axis=-1)
    return params['delta'][..., tf.newaxis] * z + coupled

  def _small_group_is_b(self):
    num_a, num_b = self.group_sizes
    return num_b <= num_a

  def _schur_cholesky(self, w, delta):
    """`L_S` with `L_S L_S^T = delta I - K^T K / delta` over the smaller group."""
    if self._small_group_is_b():
      gram = tf.linalg.matmul(w, w, transpose_a=True)
    else:
      gram = tf.linalg.matmul(w, w, transpose_b=True)
    delta = delta[..., tf.newaxis, tf.newaxis]
    eye = tf.eye(ps.shape(gram)[-1], dtype=self.dtype)
    return tf.linalg.cholesky(delta * eye - gram / delta)

  def _log_det_precision(self, params):
    delta = params['delta']
    num_large = max(self.group_sizes)
    schur_cholesky = self._schur_cholesky(params['weights'], delta)
    return (num_large * tf.math.log(delta) + 2. * tf.reduce_sum(
        tf.math.log(tf.linalg.diag_part(schur_cholesky)), axis=-1))

  def log_det_precision(self, name='log_det_precision'):
    """`log det (J + delta I)`, from one Cholesky of the smaller group's Schur complement."""
    with self._name_and_control_scope(name):
      return self._log_det_precision(self._read_parameters())

  def _smooth(self, spins, seed, params):
    """`z = s + L^-T eps`, with `spins` of shape `sample + batch + [N]`.

    One Cholesky for all samples; the sample dimensions are flattened into
    the columns of a single triangular solve.
    """
    w, delta = params['weights'], params['delta']
    schur_cholesky = self._schur_cholesky(w, delta)
    sqrt_delta = tf.sqrt(delta)[..., tf.newaxis]

    shape = ps.shape(spins)
    sample_ndims = ps.rank(spins) - ps.size(self._batch_shape_tensor()) - 1
    flat_shape = ps.concat(
        [[ps.reduce_prod(shape[:sample_ndims])], shape[sample_ndims:]], axis=0)
    eps = tf.random.stateless_normal(flat_shape, seed=seed, dtype=self.dtype)
    eps_a, eps_b = self._split(eps)
    small_is_b = self._small_group_is_b()
    eps_large, eps_small = (eps_a, eps_b) if small_is_b else (eps_b, eps_a)
    # Solve L_S^T x = eps for all samples at once: samples become columns.
    x_small = tf.experimental.numpy.moveaxis(
        tf.linalg.triangular_solve(
            schur_cholesky, tf.experimental.numpy.moveaxis(eps_small, 0, -1),
            lower=True, adjoint=True),
        -1, 0)
    if small_is_b:
      coupled = boltzmann_math.hidden_to_visible(x_small, w)
    else:
      coupled = boltzmann_math.visible_to_hidden(x_small, w)
    x_large = (eps_large - coupled / sqrt_delta) / sqrt_delta
    noise_z = tf.concat([x_large, x_small] if small_is_b else [x_small, x_large], axis=-1)
    return spins + tf.reshape(noise_z, shape)

  def _smoothing_variance(self, params):
    """The diagonal of `J~^-1`, block by block, from the Schur complement's Cholesky.

    ```none
    smaller group: diag(S^-1)
    larger group:  1 / delta + diag(K S^-1 K^T) / delta^2
    ```
    with `K` the coupling of the larger group to the smaller.
    """
    w, delta = params['weights'], params['delta']
    schur_cholesky = self._schur_cholesky(w, delta)
    eye = tf.eye(ps.shape(schur_cholesky)[-1], dtype=self.dtype)
    inverse_cholesky = tf.linalg.triangular_solve(schur_cholesky, eye, lower=True)
    small_is_b = self._small_group_is_b()
    # X = L_S^-1 K^T, so that K S^-1 K^T = X^T X.
    whitened = tf.linalg.matmul(inverse_cholesky, w, transpose_b=small_is_b)
    delta = delta[..., tf.newaxis]
    variance_small = tf.reduce_sum(tf.square(inverse_cholesky), axis=-2)
    variance_large = 1. / delta + tf.reduce_sum(tf.square(whitened), axis=-2) / tf.square(delta)
    return tf.concat([variance_large, variance_small] if small_is_b
                     else [variance_small, variance_large], axis=-1)

  # -- The spin machine: a SpinRBM over (s_a, s_b) ---------------------------

  def _spin_energy(self, spins, params):
    s_a, s_b = self._split(spins)
    field_a, field_b = self._split(params['field'])
    return spin_rbm.spin_energy(s_a, s_b, params['weights'], field_a, field_b)

  def _gibbs_step(self, spins, seed, params):
    """`s_a ~ p(s_a | s_b)`, then `s_b ~ p(s_b | s_a)`: the spin RBM's sweep."""
    w = params['weights']
    field_a, field_b = self._split(params['field'])
    seed_a, seed_b = tfp.random.split_seed(seed, salt='gibbs_step')
    _, s_b = self._split(spins)
    s_a = noise.sample_spins(field_a + boltzmann_math.hidden_to_visible(s_b, w), seed_a)
    s_b = noise.sample_spins(field_b + boltzmann_math.visible_to_hidden(s_a, w), seed_b)
    return tf.concat([s_a, s_b], axis=-1)

  def _enumerated_layer_size(self):
    return min(self.group_sizes)

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    """log Z_s, the spin RBM's, by enumerating the smaller group."""
    field_a, field_b = self._split(params['field'])
    return spin_rbm.spin_log_normalizer(params['weights'], field_a, field_b, chunk_bits)

  def _spin_mean(self, params, chunk_bits):
    """`E[s]`, the spin RBM's exact means, enumerating the smaller group."""
    field_a, field_b = self._split(params['field'])
    mean_a, mean_b = spin_rbm.spin_means(params['weights'], field_a, field_b, chunk_bits)
    return tf.concat([mean_a, mean_b], axis=-1)

  def _annealed_coupling(self, beta, params):
    """`W_beta = beta W`; `delta` (or `margin`) is kept.

    The smoothing does not enter the spin machine, and `J + delta I` stays
    positive definite since `||beta W||_2 <= ||W||_2` for `0 <= beta <= 1`.
    """
    return dict(weights=beta * params['weights'])
