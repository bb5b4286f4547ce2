"""The Gaussian-smoothed restricted Boltzmann machine (RBM-Flow base)."""

import numpy as np
import tensorflow as tf
from tensorflow_probability.python.bijectors import identity as identity_bijector
from tensorflow_probability.python.bijectors import softplus as softplus_bijector
from tensorflow_probability.python.distributions import distribution
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import distribution_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import samplers
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import restricted_boltzmann_machine as rbm_lib
from tfp_rbm.mcmc import block_gibbs

__all__ = ['SmoothedRBM']


class SmoothedRBM(distribution.AutoCompositeTensorDistribution):
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
  of `delta`, `delta = B(W) + softplus(margin)` keeps it so during training,
  `B(W) >= ||W||_2` being a certified upper bound within a factor
  `rank(W)^(1/256)` of it (`spectral_norm_bound`). `log Z_s` is exact by
  enumerating the smaller group (here `b`):

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

  `sample(n, seed, num_steps=1000, initial_state=None)` runs `num_steps`
  block-Gibbs sweeps over the spins (`gibbs_step`, the same sweep that
  persistent-chain training and AIS use) from uniform spins or from
  `initial_state`, then smooths them with one Cholesky for all samples.

  #### Examples

  ```python
  base = tfp_rbm.distributions.SmoothedRBM(
      weights=tf.Variable(tf.random.normal([8, 6], stddev=0.1)),
      field=tf.Variable(tf.zeros([14])),
      margin=tf.Variable(0.))               # delta = B(W) + softplus(margin)
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
    `margin`, `delta = B(W) + softplus(margin)`, so `J + delta I` is
    positive definite for every value of the trainable `weights` and
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
        precision; must exceed the largest singular value of `weights`.
      margin: float tensor or variable, `batch_shape`, unconstrained: the
        alternative to `delta` that keeps `J + delta I` positive definite.
      log_normalizer: optional estimate of the distribution's log Z (e.g.
        `log_normalizer_from_chain` of an AIS estimate of `log Z_s`),
        `batch_shape`.
      max_enumeration_bits: largest `min(N_a, N_b)` for which `log_prob`
        computes log Z exactly when none is supplied, in
        `[0, MAX_ENUMERATION_BITS]` (24).
      validate_args: check finiteness of parameters and data, `delta > 0` and
        `delta > ||weights||_2`.
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
    with tf.name_scope(name) as name:
      dtype = boltzmann_math.common_float_dtype(
          dict(weights=weights, field=field, delta=delta, margin=margin,
               log_normalizer=log_normalizer))
      self._weights = tensor_util.convert_nonref_to_tensor(
          weights, dtype=dtype, name='weights')
      self._field = tensor_util.convert_nonref_to_tensor(
          field, dtype=dtype, name='field')
      self._delta = tensor_util.convert_nonref_to_tensor(
          delta, dtype=dtype, name='delta')
      self._margin = tensor_util.convert_nonref_to_tensor(
          margin, dtype=dtype, name='margin')
      self._log_normalizer = tensor_util.convert_nonref_to_tensor(
          log_normalizer, dtype=dtype, name='log_normalizer')
      boltzmann_math.check_enumeration_bits(max_enumeration_bits)
      self._max_enumeration_bits = max_enumeration_bits
      self._check_static_shapes(dtype)
      super().__init__(
          dtype=dtype,
          reparameterization_type=reparameterization.NOT_REPARAMETERIZED,
          validate_args=validate_args,
          allow_nan_stats=allow_nan_stats,
          parameters=parameters,
          name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    # Softplus keeps `delta` positive, but no bijector of `delta` alone keeps
    # it above `||weights||_2`: `margin` does, so it is the preferred one.
    return dict(
        weights=parameter_properties.ParameterProperties(event_ndims=2),
        field=parameter_properties.ParameterProperties(event_ndims=1),
        delta=parameter_properties.ParameterProperties(
            event_ndims=0,
            default_constraining_bijector_fn=(
                lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype))),
            is_preferred=False),
        margin=parameter_properties.ParameterProperties(event_ndims=0),
        log_normalizer=parameter_properties.ParameterProperties(
            event_ndims=0, is_preferred=False))

  # -- Parameters --------------------------------------------------------

  @property
  def weights(self):
    """Coupling `W` between the groups, `batch_shape + [N_a, N_b]`."""
    return self._weights

  @property
  def field(self):
    """Field `h` on the spins, `batch_shape + [N_a + N_b]`."""
    return self._field

  @property
  def delta(self):
    """The `delta` given to the constructor, or None."""
    return self._delta

  @property
  def margin(self):
    """The `margin` given to the constructor, or None."""
    return self._margin

  def _delta_parameter(self, w):
    """`delta` as a tensor, given the weights `w` read by the caller."""
    if self._margin is None:
      return tf.convert_to_tensor(self._delta)
    return boltzmann_math.spectral_norm_bound(w) + tf.math.softplus(self._margin)

  def _read_parameters(self):
    """`{weights, field, delta, log_normalizer}`, each variable read once.

    `delta` is the given one or `B(W) + softplus(margin)`: with `margin`,
    one spectral-norm bound per public method.
    """
    w = tf.convert_to_tensor(self._weights)
    return dict(weights=w, field=tf.convert_to_tensor(self._field),
                delta=self._delta_parameter(w),
                log_normalizer=(None if self._log_normalizer is None
                                else tf.convert_to_tensor(self._log_normalizer)))

  def delta_parameter(self, name='delta_parameter'):
    """The smoothing precision `delta`, `batch_shape`: given, or from `margin`."""
    with self._name_and_control_scope(name):
      return self._delta_parameter(tf.convert_to_tensor(self._weights))

  @property
  def log_normalizer(self):
    """The supplied log Z_z (e.g. from AIS), or None."""
    return self._log_normalizer

  @property
  def max_enumeration_bits(self):
    return self._max_enumeration_bits

  @property
  def group_sizes(self):
    """`(N_a, N_b)`, the sizes of the two spin groups."""
    return (tf.compat.dimension_value(self._weights.shape[-2]),
            tf.compat.dimension_value(self._weights.shape[-1]))

  def with_log_normalizer(self, log_normalizer):
    """A copy whose `log_prob` is normalized by the given log Z_z estimate."""
    return self.copy(log_normalizer=log_normalizer)

  # -- Shapes and validation ---------------------------------------------

  def _named_parameters(self):
    return [('weights', self._weights), ('field', self._field), ('delta', self._delta),
            ('margin', self._margin), ('log_normalizer', self._log_normalizer)]

  def _static_sizes(self):
    """`(N_a, N_b, N)` from the static shapes, each None where unknown."""
    num_a, num_b = self.group_sizes if self._weights.shape.rank else (None, None)
    num_spins = self._field.shape[-1] if self._field.shape.rank else None
    return num_a, num_b, num_spins

  def _check_static_shapes(self, dtype):
    w_shape = self._weights.shape
    if w_shape.rank is not None and w_shape.rank < 2:
      raise ValueError(
          'Argument `weights` must have shape [..., N_a, N_b]; '
          f'got shape {w_shape}.')
    if self._field.shape.rank == 0:
      raise ValueError('Argument `field` must be at least a vector; got a scalar.')
    num_a, num_b, num_spins = self._static_sizes()
    if None not in (num_a, num_b, num_spins) and num_spins != num_a + num_b:
      raise ValueError(
          f'Argument `field` has {num_spins} spins but `weights` (shape '
          f'{w_shape}) couples groups of {num_a} and {num_b}: the spin groups '
          f'must add up to the event size, {num_a + num_b}.')
    boltzmann_math.check_batch_shapes(
        type(self).parameter_properties(dtype), self._named_parameters())

  def _event_shape(self):
    return self._field.shape[-1:]

  def _event_shape_tensor(self):
    return ps.shape(self._field)[-1:]

  def _default_event_space_bijector(self):
    return identity_bijector.Identity(validate_args=self.validate_args)

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    checked = boltzmann_math.parameters_to_validate(self._named_parameters(), is_init)
    assertions = boltzmann_math.finite_assertions(checked)
    weights_or_field_is_ref = (tensor_util.is_ref(self._weights)
                               or tensor_util.is_ref(self._field))
    if None in self._static_sizes() and is_init != weights_or_field_is_ref:
      w_shape = ps.shape(self._weights)
      assertions.append(assert_util.assert_equal(
          ps.shape(self._field)[-1], w_shape[-2] + w_shape[-1],
          message='Argument `field` must have one entry per spin of the two groups '
                  'that `weights` couples: the spin groups must add up to the event size.'))
    if self._delta is None:
      return assertions
    if 'delta' in checked:
      assertions.append(assert_util.assert_positive(
          checked['delta'], message='Argument `delta` must be positive.'))
    if is_init != (tensor_util.is_ref(self._delta) or tensor_util.is_ref(self._weights)):
      # A parameter missing from `checked` here is a constant: no variable is read twice.
      w = checked.get('weights', self._weights)
      delta = checked.get('delta', self._delta)
      assertions.append(assert_util.assert_less(
          boltzmann_math.spectral_norm(tf.convert_to_tensor(w)), tf.convert_to_tensor(delta),
          message='Argument `delta` must exceed the largest singular value of '
                  '`weights` (J + delta I must be positive definite).'))
    return assertions

  def _sample_control_dependencies(self, x, arg='value', spins=False):
    return boltzmann_math.value_assertions(self, x, arg, spins)

  # -- Continuous density -------------------------------------------------

  def _split(self, x):
    """`(x_a, x_b)`, the two groups of the last axis."""
    num_a, _ = self.group_sizes
    return x[..., :num_a], x[..., num_a:]

  def _coupling_matvec(self, x, w):
    """`J x = (W x_b, W^T x_a)`."""
    x_a, x_b = self._split(x)
    return tf.concat([boltzmann_math.hidden_to_visible(x_b, w),
                      boltzmann_math.visible_to_hidden(x_a, w)], axis=-1)

  def _log_unnormalized(self, value, params):
    """`-1/2 z^T J~ z + sum_i log(2 cosh(h~_i))`, `h~ = J~ z + h`."""
    w = params['weights']
    precision_z = params['delta'][..., tf.newaxis] * value + self._coupling_matvec(value, w)
    return (-0.5 * tf.reduce_sum(value * precision_z, axis=-1)
            + tf.reduce_sum(boltzmann_math.log_cosh2(precision_z + params['field']), axis=-1))

  def _unnormalized_log_prob(self, value):
    return self._log_unnormalized(value, self._read_parameters())

  def _log_prob(self, value):
    params = self._read_parameters()
    return self._log_unnormalized(value, params) - self._normalizer(params)

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
    value = boltzmann_math.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      params = self._read_parameters()
      return boltzmann_math.independent_spins(
          params['field'] + params['delta'][..., tf.newaxis] * value
          + self._coupling_matvec(value, params['weights']))

  # -- Smoothing: the Gaussian given the spins ----------------------------

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

  def _log_det_precision(self, w, delta):
    num_large = max(self.group_sizes)
    schur_cholesky = self._schur_cholesky(w, delta)
    return (num_large * tf.math.log(delta) + 2. * tf.reduce_sum(
        tf.math.log(tf.linalg.diag_part(schur_cholesky)), axis=-1))

  def log_det_precision(self, name='log_det_precision'):
    """`log det (J + delta I)`, from one Cholesky of the smaller group's Schur complement."""
    with self._name_and_control_scope(name):
      params = self._read_parameters()
      return self._log_det_precision(params['weights'], params['delta'])

  def _smooth(self, spins, seed, params):
    """`z = s + L^-T eps`, with `spins` broadcast to `sample + batch + [N]`.

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
    eps = samplers.normal(flat_shape, dtype=self.dtype, seed=seed)
    eps_a, eps_b = self._split(eps)
    small_is_b = self._small_group_is_b()
    eps_large, eps_small = (eps_a, eps_b) if small_is_b else (eps_b, eps_a)
    # Solve L_S^T x = eps for all samples at once: samples become columns.
    x_small = distribution_util.move_dimension(
        tf.linalg.triangular_solve(
            schur_cholesky, distribution_util.move_dimension(eps_small, 0, -1),
            lower=True, adjoint=True),
        -1, 0)
    if small_is_b:
      coupled = boltzmann_math.hidden_to_visible(x_small, w)
    else:
      coupled = boltzmann_math.visible_to_hidden(x_small, w)
    x_large = (eps_large - coupled / sqrt_delta) / sqrt_delta
    noise = tf.concat([x_large, x_small] if small_is_b else [x_small, x_large], axis=-1)
    return spins + tf.reshape(noise, shape)

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
    spins = boltzmann_math.convert_value(spins, self.dtype, 'spins')
    with self._name_and_control_scope(name, spins, dict(arg='spins', spins=True)):
      return self._smooth(boltzmann_math.broadcast_to_batch_and_event(self, spins),
                          samplers.sanitize_seed(seed), self._read_parameters())

  def _sample_n(self, n, seed=None, num_steps=rbm_lib.DEFAULT_GIBBS_STEPS,
                initial_state=None):
    """`num_steps` block-Gibbs sweeps over the spins, then `smooth`."""
    init_seed, chain_seed, smooth_seed = samplers.split_seed(
        seed, n=3, salt='SmoothedRBM')
    if initial_state is None:
      spins = self.initial_chain_state(n, init_seed)
    else:
      spins = boltzmann_math.convert_value(initial_state, self.dtype, 'initial_state')
      with tf.control_dependencies(
          self._sample_control_dependencies(spins, 'initial_state', spins=True)):
        spins = tf.broadcast_to(spins, ps.concat(
            [[n], self._batch_shape_tensor(), self._event_shape_tensor()], axis=0))
    spins = block_gibbs.run_gibbs(self, spins, num_steps, chain_seed)
    return self._smooth(spins, smooth_seed, self._read_parameters())

  # -- The spin machine: energy, Gibbs sweep, log Z_s ---------------------

  def _spin_energy(self, spins, w, field):
    s_a, s_b = self._split(spins)
    return -(tf.reduce_sum(s_a * boltzmann_math.hidden_to_visible(s_b, w), axis=-1)
             + tf.reduce_sum(field * spins, axis=-1))

  def spin_energy(self, spins, name='spin_energy'):
    """`E(s) = -s_a^T W s_b - h.s`, shape `sample_shape + batch_shape`."""
    spins = boltzmann_math.convert_value(spins, self.dtype, 'spins')
    with self._name_and_control_scope(name, spins, dict(arg='spins', spins=True)):
      return self._spin_energy(spins, tf.convert_to_tensor(self._weights),
                               tf.convert_to_tensor(self._field))

  def gibbs_step(self, spins, seed):
    """One block-Gibbs sweep `s_a ~ p(s_a | s_b)`, then `s_b ~ p(s_b | s_a)`.

    Leaves the spin machine `p(s) = exp(-E(s)) / Z_s` invariant.
    """
    w = tf.convert_to_tensor(self._weights)
    field_a, field_b = self._split(tf.convert_to_tensor(self._field))
    seed_a, seed_b = samplers.split_seed(seed, salt='gibbs_step')
    _, s_b = self._split(spins)
    s_a = boltzmann_math.sample_spins(
        field_a + boltzmann_math.hidden_to_visible(s_b, w), seed_a)
    s_b = boltzmann_math.sample_spins(
        field_b + boltzmann_math.visible_to_hidden(s_a, w), seed_b)
    return tf.concat([s_a, s_b], axis=-1)

  def initial_chain_state(self, num_chains, seed):
    """Uniform spins, `num_chains + batch_shape + [N]`."""
    shape = ps.concat([[num_chains], self._batch_shape_tensor(), self._event_shape_tensor()], 0)
    return boltzmann_math.sample_spins(tf.zeros(shape, dtype=self.dtype), seed)

  def chain_unnormalized_log_prob(self, chain_state):
    """Unnormalized log-probability of the chains' spins: `-E(s)`."""
    return -self._spin_energy(tf.convert_to_tensor(chain_state, dtype=self.dtype),
                              tf.convert_to_tensor(self._weights),
                              tf.convert_to_tensor(self._field))

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    """log Z_s by enumerating the smaller group."""
    w = params['weights']
    field_a, field_b = self._split(params['field'])
    if self._small_group_is_b():
      def log_weight(s_b):  # [k, N_b] -> batch + [k]
        field_on_a = field_a[..., tf.newaxis, :] + tf.linalg.matmul(s_b, w, transpose_b=True)
        return (tf.linalg.matvec(s_b, field_b)
                + tf.reduce_sum(boltzmann_math.log_cosh2(field_on_a), axis=-1))
    else:
      def log_weight(s_a):  # [k, N_a] -> batch + [k]
        field_on_b = field_b[..., tf.newaxis, :] + tf.linalg.matmul(s_a, w)
        return (tf.linalg.matvec(s_a, field_a)
                + tf.reduce_sum(boltzmann_math.log_cosh2(field_on_b), axis=-1))
    return boltzmann_math.logsumexp_over_spin_states(
        log_weight, min(self.group_sizes), self.dtype, chunk_bits)

  # -- Normalization ------------------------------------------------------

  def log_normalizer_from_chain(self, chain_log_normalizer):
    """`log Z_z = log Z_s + (N/2) log(2 pi) - 1/2 log det J~ + N delta / 2`."""
    return self._log_normalizer_from_chain(chain_log_normalizer, self._read_parameters())

  def _log_normalizer_from_chain(self, chain_log_normalizer, params):
    delta = params['delta']
    num_spins = sum(self.group_sizes)
    log_det = self._log_det_precision(params['weights'], delta)
    return (chain_log_normalizer + 0.5 * num_spins * np.log(2. * np.pi)
            - 0.5 * log_det + 0.5 * num_spins * delta)

  def exact_log_normalizer(self, chunk_bits=12, name='exact_log_normalizer'):
    """log Z_z, with log Z_s by enumerating the smaller group in chunks of `2^chunk_bits`."""
    with self._name_and_control_scope(name):
      bits = min(self.group_sizes)
      if bits > self._max_enumeration_bits:
        raise ValueError(
            f'Exact log Z of SmoothedRBM enumerates 2^{bits} spin states, more '
            f'than `max_enumeration_bits`={self._max_enumeration_bits} allows. '
            'Estimate it instead, e.g. `tfp_rbm.evaluation.log_normalizer(dist, '
            "method='ais')`, and pass it as `log_normalizer` or through "
            '`dist.with_log_normalizer(estimate)`.')
      params = self._read_parameters()
      return self._log_normalizer_from_chain(
          self._exact_chain_log_normalizer(params, chunk_bits), params)

  def normalizer(self, name='normalizer'):
    """The log Z_z that `log_prob` uses: the supplied one, else the exact one."""
    with self._name_and_control_scope(name):
      return self._normalizer(self._read_parameters())

  def _normalizer(self, params):
    if params['log_normalizer'] is not None:
      return params['log_normalizer']
    bits = min(self.group_sizes)
    if bits > self._max_enumeration_bits:
      raise ValueError(
          '`log_prob` of this SmoothedRBM needs log Z, but no `log_normalizer` '
          f'was supplied and exact enumeration of 2^{bits} spin states exceeds '
          f'`max_enumeration_bits`={self._max_enumeration_bits}. Estimate it, '
          "e.g. `tfp_rbm.evaluation.log_normalizer(dist, method='ais')`, and use "
          '`dist.with_log_normalizer(estimate)`; or call `unnormalized_log_prob`.')
    return self._log_normalizer_from_chain(
        self._exact_chain_log_normalizer(params, chunk_bits=12), params)

  # -- Persistent-chain training and annealing ----------------------------

  def surrogate_log_normalizer(self, chain_state):
    """A function of the parameters whose gradient is `grad log Z_z`, in expectation.

    `log Z_z = log Z_s + c(W, delta)` and `grad log Z_s = E_s[grad(-E(s))]`,
    so with spins `s` from the machine (persistent chains) this is
    `mean_s[-E(stop_gradient(s))] + c(W, delta)`, `c` holding the exact,
    differentiable `-1/2 log det J~ + N delta / 2`. Its value is not log Z_z.
    """
    spins = tf.stop_gradient(tf.convert_to_tensor(chain_state, dtype=self.dtype))
    params = self._read_parameters()
    return self._log_normalizer_from_chain(tf.reduce_mean(
        -self._spin_energy(spins, params['weights'], params['field']), axis=0), params)

  def annealed(self, beta, annealing_base=None):
    """The spin machine at inverse temperature `beta` on the AIS path.

    `W_beta = beta W`, `h_beta = (1 - beta) h_0 + beta h` with `h_0 =
    annealing_base['field']` (default `h`). The smoothing does not enter the spin
    machine; `delta` (or `margin`) is kept, and `J + delta I` stays positive
    definite since `||beta W||_2 <= ||W||_2` for `0 <= beta <= 1`. At
    `beta = 0` the spins are independent and one `gibbs_step` is an exact
    sample; at `beta = 1` this is the model.

    Args:
      beta: inverse temperature in `[0, 1]`.
      annealing_base: the `beta = 0` machine's `'field'`, a dict such as
        `annealing_base(points)` returns; None takes the model's own.
    """
    h0 = self._annealing_base_field(annealing_base)
    beta = tf.convert_to_tensor(beta, dtype=self.dtype)
    return self.copy(weights=beta * tf.convert_to_tensor(self._weights),
                     field=(1. - beta) * h0 + beta * tf.convert_to_tensor(self._field),
                     log_normalizer=None)

  def annealing_base(self, points, name='annealing_base'):
    """The `beta = 0` spin machine fit to `points`: a base for AIS.

    Independent spins with the points' mean code: `h_0 = atanh(m)`, where
    `m` is the mean over `points` of `E[s | z]` (from `spin_posterior`),
    clipped to `|m| <= 1 - 2e-3`. Any base gives a valid estimate; one that
    starts from the data's codes rather than the model's own field usually
    needs fewer temperatures.

    #### Examples

    ```python
    annealing_base = base.annealing_base(train_z)  # z = flow.inverse(x_train)
    estimate = tfp_rbm.evaluation.log_normalizer(base, 'ais', annealing_base=annealing_base)
    ```

    Args:
      points: points `z`, shape `[n] + batch_shape + [N]`.
      name: name scope of the ops.

    Returns:
      `{'field': h_0}`, `batch_shape + [N]`, to pass as `annealing_base`.
    """
    with tf.name_scope(name):
      mean_spin = tf.reduce_mean(self.spin_posterior(points).mean(), axis=0)
      return {'field': tf.math.atanh(tf.clip_by_value(mean_spin, -1. + 2e-3, 1. - 2e-3))}

  def _annealing_base_field(self, annealing_base):
    """`annealing_base['field']` as a tensor, or the model's own field."""
    return boltzmann_math.annealing_base_parameters(
        annealing_base, {'field': self._field}, self.dtype, 'SmoothedRBM')['field']

  def annealing_base_log_normalizer(self, annealing_base=None):
    """log Z_s of `annealed(0, annealing_base)`: `sum_i log(2 cosh(h0_i))`."""
    field = self._annealing_base_field(annealing_base)
    return tf.broadcast_to(tf.reduce_sum(boltzmann_math.log_cosh2(field), axis=-1),
                           self._batch_shape_tensor())
