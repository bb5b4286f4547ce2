"""What every restricted Boltzmann machine over its visible units shares.

`RestrictedBoltzmannMachine` is the abstract parent of `BernoulliRBM` and
`GaussianBernoulliRBM`: weights `W` (`[..., D, H]`), visible bias `b`, hidden
bias `c`, an optional supplied `log_normalizer`, block-Gibbs sampling, the
normalized `log_prob`, the persistent-chain interface used by
`tfp_rbm.training`, and the annealing path used by `tfp_rbm.evaluation`.
Subclasses supply the free energy, the two conditionals and the exact log Z
as functions of `params`, the parameters read once by the public method
(`_read_parameters`): `_free_energy`, `_hidden_logits`,
`_visible_distribution`, `_sample_visible`, `_exact_log_normalizer`,
`_independent_visible_log_normalizer` and `_independent_visible_fit`.
"""

import tensorflow as tf
from tensorflow_probability.python.distributions import distribution
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import samplers
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.mcmc import block_gibbs

__all__ = ['RestrictedBoltzmannMachine', 'rbm_parameter_properties']

DEFAULT_GIBBS_STEPS = 1000


class RestrictedBoltzmannMachine(distribution.AutoCompositeTensorDistribution):
  """Abstract RBM: a distribution over visible units with hidden units summed out.

  The joint is `p(v, h) = exp(-E(v, h)) / Z`; the distribution is the marginal
  `p(v) = exp(-F(v)) / Z` with `F` the free energy. `log_prob` is normalized:
  it uses the supplied `log_normalizer` or, when the hidden layer (or, for a
  binary RBM, the smaller layer) has at most `max_enumeration_bits` units,
  the exact log Z by chunked enumeration; otherwise it raises, never returning
  a silently unnormalized value. `unnormalized_log_prob` is `-F(v)`.
  """

  # The parameters of the `beta = 0` machine of the annealing path.
  _ANNEALING_BASE_KEYS = ('visible_bias',)

  def __init__(self, weights, visible_bias, hidden_bias, log_normalizer,
               max_enumeration_bits, extra_parameters, validate_args,
               allow_nan_stats, parameters, name):
    """Converts the parameters (variables stay variables) to one dtype.

    `extra_parameters` maps a subclass's further parameter names to values;
    each is stored as `self._<name>`.
    """
    with tf.name_scope(name) as name:
      dtype = boltzmann_math.common_float_dtype(
          dict(weights=weights, visible_bias=visible_bias,
               hidden_bias=hidden_bias, log_normalizer=log_normalizer,
               **extra_parameters))
      self._weights = tensor_util.convert_nonref_to_tensor(
          weights, dtype=dtype, name='weights')
      self._visible_bias = tensor_util.convert_nonref_to_tensor(
          visible_bias, dtype=dtype, name='visible_bias')
      self._hidden_bias = tensor_util.convert_nonref_to_tensor(
          hidden_bias, dtype=dtype, name='hidden_bias')
      self._log_normalizer = tensor_util.convert_nonref_to_tensor(
          log_normalizer, dtype=dtype, name='log_normalizer')
      for arg, value in extra_parameters.items():
        setattr(self, '_' + arg, tensor_util.convert_nonref_to_tensor(
            value, dtype=dtype, name=arg))
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

  # -- Parameters --------------------------------------------------------

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
  def log_normalizer(self):
    """The supplied log Z (e.g. an AIS estimate), or None."""
    return self._log_normalizer

  @property
  def max_enumeration_bits(self):
    return self._max_enumeration_bits

  @property
  def num_visible(self):
    return tf.compat.dimension_value(self._weights.shape[-2])

  @property
  def num_hidden(self):
    return tf.compat.dimension_value(self._weights.shape[-1])

  def with_log_normalizer(self, log_normalizer):
    """A copy whose `log_prob` is normalized by the given log Z estimate."""
    return self.copy(log_normalizer=log_normalizer)

  # -- Shapes and validation ---------------------------------------------

  def _check_static_shapes(self, dtype):
    w_shape = self._weights.shape
    if w_shape.rank is not None and w_shape.rank < 2:
      raise ValueError(
          'Argument `weights` must have shape [..., num_visible, num_hidden]; '
          f'got shape {w_shape}.')
    for arg, tensor, axis in (('visible_bias', self._visible_bias, -2),
                              ('hidden_bias', self._hidden_bias, -1)):
      size = tensor.shape[-1] if tensor.shape.rank else None
      expected = w_shape[axis] if w_shape.rank else None
      if tensor.shape.rank == 0:
        raise ValueError(f'Argument `{arg}` must be at least a vector; got a scalar.')
      if size is not None and expected is not None and size != expected:
        raise ValueError(
            f'Argument `{arg}` has {size} units but `weights` has shape '
            f'{w_shape}: expected {expected}.')
    boltzmann_math.check_batch_shapes(
        type(self).parameter_properties(dtype), self._named_parameters())

  def _event_shape(self):
    return tf.TensorShape([self.num_visible])

  def _event_shape_tensor(self):
    return ps.shape(self._weights)[-2:-1]

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    checked = boltzmann_math.parameters_to_validate(self._named_parameters(), is_init)
    return boltzmann_math.finite_assertions(checked) + self._parameter_assertions(checked)

  def _parameter_assertions(self, checked):
    """Assertions beyond finiteness on `checked`, the parameters validated now."""
    del checked
    return []

  def _named_parameters(self):
    return [('weights', self._weights), ('visible_bias', self._visible_bias),
            ('hidden_bias', self._hidden_bias),
            ('log_normalizer', self._log_normalizer)]

  def _read_parameters(self):
    """`{argument_name: tensor}`: each parameter read once, for one public method."""
    return {arg: None if tensor is None else tf.convert_to_tensor(tensor)
            for arg, tensor in self._named_parameters()}

  def _sample_control_dependencies(self, x, arg='value'):
    return boltzmann_math.value_assertions(self, x, arg)

  def _convert_hidden(self, hidden):
    """`hidden` as a tensor of this dtype with `num_hidden` units, named in errors."""
    hidden = boltzmann_math.convert_value(hidden, self.dtype, 'hidden')
    boltzmann_math.check_event_value(hidden, self.dtype, self.num_hidden, 'hidden')
    return hidden

  # -- Energies and conditionals ------------------------------------------

  def free_energy(self, value, name='free_energy'):
    """`F(v) = -log sum_h exp(-E(v, h))`, shape `sample_shape + batch_shape`."""
    value = boltzmann_math.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      return self._free_energy(value, self._read_parameters())

  def hidden_logits(self, visible, name='hidden_logits'):
    """Logits of `p(h_j = 1 | v)`, shape `sample_shape + batch_shape + [num_hidden]`."""
    visible = boltzmann_math.convert_value(visible, self.dtype, 'visible')
    with self._name_and_control_scope(name, visible, dict(arg='visible')):
      return self._hidden_logits(visible, self._read_parameters())

  def hidden_probs(self, visible, name='hidden_probs'):
    """`p(h_j = 1 | v)` for every hidden unit, shape `[..., num_hidden]`."""
    visible = boltzmann_math.convert_value(visible, self.dtype, 'visible')
    with self._name_and_control_scope(name, visible, dict(arg='visible')):
      return tf.sigmoid(self._hidden_logits(visible, self._read_parameters()))

  def visible_distribution(self, hidden, name='visible_distribution'):
    """`p(v | h)` as a TFP distribution with event shape `[num_visible]`."""
    hidden = self._convert_hidden(hidden)
    with self._name_and_control_scope(name):
      return self._visible_distribution(hidden, self._read_parameters())

  # -- Normalization ------------------------------------------------------

  def exact_log_normalizer(self, chunk_bits=12, name='exact_log_normalizer'):
    """log Z by enumerating the smaller binary layer in chunks of `2^chunk_bits`."""
    with self._name_and_control_scope(name):
      bits = self._enumerated_layer_size()
      if bits > self._max_enumeration_bits:
        raise ValueError(
            f'Exact log Z of {type(self).__name__} enumerates 2^{bits} states, more '
            f'than `max_enumeration_bits`={self._max_enumeration_bits} allows. '
            'Estimate it instead, e.g. `tfp_rbm.evaluation.log_normalizer(dist, '
            "method='ais')`, and pass it as `log_normalizer` or through "
            '`dist.with_log_normalizer(estimate)`.')
      return self._exact_log_normalizer(self._read_parameters(), chunk_bits)

  def normalizer(self, name='normalizer'):
    """The log Z that `log_prob` uses: the supplied one, else the exact one."""
    with self._name_and_control_scope(name):
      return self._normalizer(self._read_parameters())

  def _normalizer(self, params):
    if params['log_normalizer'] is not None:
      return params['log_normalizer']
    if self._enumerated_layer_size() > self._max_enumeration_bits:
      raise ValueError(
          f'`log_prob` of this {type(self).__name__} needs log Z, but no '
          '`log_normalizer` was supplied and exact enumeration of '
          f'2^{self._enumerated_layer_size()} states exceeds '
          f'`max_enumeration_bits`={self._max_enumeration_bits}. Estimate it, '
          "e.g. `tfp_rbm.evaluation.log_normalizer(dist, method='ais')`, and use "
          '`dist.with_log_normalizer(estimate)`; or call `unnormalized_log_prob`.')
    return self._exact_log_normalizer(params, chunk_bits=12)

  def _enumerated_layer_size(self):
    return self.num_hidden

  def _unnormalized_log_prob(self, value):
    return -self._free_energy(value, self._read_parameters())

  def _log_prob(self, value):
    params = self._read_parameters()
    return -self._free_energy(value, params) - self._normalizer(params)

  # -- Block Gibbs --------------------------------------------------------

  def sample_hidden(self, visible, seed):
    """Draws `h ~ p(h | v)` with a stateless seed."""
    return boltzmann_math.bernoulli_sample(
        self._hidden_logits(visible, self._read_parameters()), seed)

  def sample_visible(self, hidden, seed):
    """Draws `v ~ p(v | h)` with a stateless seed."""
    return self._sample_visible(hidden, self._read_parameters(), seed)

  def gibbs_step(self, visible, seed):
    """One block-Gibbs sweep `v -> h ~ p(h|v) -> v' ~ p(v|h)`.

    The sweep leaves `p(v)` invariant and is reversible with respect to it.
    """
    params = self._read_parameters()
    hidden_seed, visible_seed = samplers.split_seed(seed, salt='gibbs_step')
    hidden = boltzmann_math.bernoulli_sample(self._hidden_logits(visible, params), hidden_seed)
    return self._sample_visible(hidden, params, visible_seed)

  def initial_chain_state(self, num_chains, seed):
    """Noise to start chains from: `num_chains + batch_shape + [num_visible]`."""
    raise NotImplementedError

  def _sample_n(self, n, seed=None, num_steps=DEFAULT_GIBBS_STEPS, initial_state=None):
    """`num_steps` block-Gibbs sweeps from noise or from `initial_state`."""
    init_seed, chain_seed = samplers.split_seed(seed, salt=type(self).__name__)
    if initial_state is None:
      state = self.initial_chain_state(n, init_seed)
    else:
      state = boltzmann_math.convert_value(initial_state, self.dtype, 'initial_state')
      with tf.control_dependencies(self._sample_control_dependencies(state, 'initial_state')):
        state = tf.broadcast_to(state, ps.concat(
            [[n], self._batch_shape_tensor(), self._event_shape_tensor()], 0))
    return block_gibbs.run_gibbs(self, state, num_steps, chain_seed)

  # -- Persistent-chain training and annealing ----------------------------

  def chain_unnormalized_log_prob(self, chain_state):
    """Unnormalized log-density of the chains' variable (here `v`): `-F(v)`."""
    return -self._free_energy(chain_state, self._read_parameters())

  def surrogate_log_normalizer(self, chain_state):
    """A function of the parameters whose gradient is `grad log Z`, in expectation.

    `grad log Z = -E_model[grad F(v)]`, so with `v` from the model (persistent
    chains) this is `-mean_v F(stop_gradient(v))` over the sample dimensions.
    Its value is not log Z.
    """
    chain_state = tf.stop_gradient(tf.convert_to_tensor(chain_state, dtype=self.dtype))
    return -tf.reduce_mean(self._free_energy(chain_state, self._read_parameters()), axis=0)

  def log_normalizer_from_chain(self, chain_log_normalizer):
    """The distribution's log Z from the log Z of the chains' variable."""
    return chain_log_normalizer

  def annealed(self, beta, annealing_base=None):
    """The machine at inverse temperature `beta` on the AIS path.

    `W_beta = beta W`, `c_beta = beta c`, `b_beta = (1 - beta) b_0 + beta b`,
    with `b_0 = annealing_base['visible_bias']` (default `b`). At `beta = 0` the
    visible units are independent (see `annealing_base_log_normalizer`); at
    `beta = 1` this is the model. Each step's Gibbs sweep leaves its own
    machine invariant, so any such path gives a valid AIS estimate.

    Args:
      beta: inverse temperature in `[0, 1]`.
      annealing_base: the `beta = 0` machine's parameters, a dict such as
        `annealing_base(points)` returns; a missing key (or `annealing_base=None`)
        takes the model's own value.
    """
    base = self._annealing_base_parameters(annealing_base)
    beta = tf.convert_to_tensor(beta, dtype=self.dtype)
    return self.copy(weights=beta * tf.convert_to_tensor(self._weights),
                     hidden_bias=beta * tf.convert_to_tensor(self._hidden_bias),
                     visible_bias=(1. - beta) * base['visible_bias']
                     + beta * tf.convert_to_tensor(self._visible_bias),
                     log_normalizer=None)

  def annealing_base(self, points, name='annealing_base'):
    """The `beta = 0` machine fit to `points`: a base for AIS and RAISE.

    The independent-visible model closest to `points` (maximum likelihood):
    for the binary RBM the visible bias `logit` of their mean, clipped to
    `[1e-3, 1 - 1e-3]`, as Salakhutdinov & Murray (2008) use; for the
    Gaussian-Bernoulli RBM their mean and standard deviation. Any base gives
    a valid estimate, but one near the model's mass needs far fewer
    temperatures than the model's own biases (its log-weights spread less;
    check `LogNormalizerEstimate.effective_sample_size`). `points` are
    usually training data (inside a flow, their latents); the model's own
    samples, e.g. persistent chains, work as well.

    #### Examples

    ```python
    annealing_base = rbm.annealing_base(train_z)  # z = flow.inverse(x_train)
    estimate = tfp_rbm.evaluation.log_normalizer(rbm, 'ais', annealing_base=annealing_base)
    ```

    Args:
      points: points of the visible variable (inside a flow, the latents
        `z = f^{-1}(x)`), shape `[n] + batch_shape + [num_visible]`.
      name: name scope of the ops.

    Returns:
      A dict of the base's parameters (`'visible_bias'`, and `'scale'` for
      the Gaussian-Bernoulli RBM), `batch_shape + [num_visible]` each, to
      pass as `annealing_base`.
    """
    points = boltzmann_math.convert_value(points, self.dtype, 'points')
    with self._name_and_control_scope(name, points, dict(arg='points')):
      return self._independent_visible_fit(points)

  def _independent_visible_fit(self, points):
    """The maximum-likelihood independent-visible machine's parameters, a dict."""
    raise NotImplementedError

  def _annealing_base_parameters(self, annealing_base):
    """`annealing_base` with the model's own values filled in, as tensors."""
    own = {arg: getattr(self, '_' + arg) for arg in self._ANNEALING_BASE_KEYS}
    return boltzmann_math.annealing_base_parameters(
        annealing_base, own, self.dtype, type(self).__name__)

  def annealing_base_log_normalizer(self, annealing_base=None):
    """log Z of `annealed(0, annealing_base)`, in closed form."""
    params = self._read_parameters()
    params.update(self._annealing_base_parameters(annealing_base))
    num_hidden = tf.cast(self.num_hidden, self.dtype)
    return tf.broadcast_to(
        self._independent_visible_log_normalizer(params)
        + num_hidden * boltzmann_math.log_two(self.dtype), self._batch_shape_tensor())


def rbm_parameter_properties():
  """`ParameterProperties` of the parameters every RBM shares."""
  return dict(
      weights=parameter_properties.ParameterProperties(event_ndims=2),
      visible_bias=parameter_properties.ParameterProperties(event_ndims=1),
      hidden_bias=parameter_properties.ParameterProperties(event_ndims=1),
      log_normalizer=parameter_properties.ParameterProperties(
          event_ndims=0, is_preferred=False))
