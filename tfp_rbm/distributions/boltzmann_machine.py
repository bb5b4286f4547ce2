"""The energy-based core: what every Boltzmann-machine base distribution shares.

`BoltzmannMachine` is the abstract parent of every base whose density is an
energy with an intractable (or enumerable) normalizer and whose samples come
from block-Gibbs chains. It owns

- the parameters, declared once in `_parameter_properties` and read once
  per public method (`_read_parameters`);
- the normalized `log_prob` policy: a supplied `log_normalizer` estimate,
  else exact enumeration (up to `max_enumeration_bits`), else a clear error;
  `with_log_normalizer` and `log_normalizer_in_use`;
- sampling as "advance the chains, then map the chain state to the event"
  (`gibbs_step`, `_chain_state_to_event`);
- the surrogate log-normalizer of persistent-chain training, and the map
  from the chains' log Z to the distribution's (`log_normalizer_from_chain`);
- the annealing path of AIS and RAISE: `annealed(beta, proposal)`, the
  proposal (the `beta = 0` machine) fit to points by `fit_proposal`, and its
  closed-form `proposal_log_normalizer`;
- declared capabilities as class attributes, as TFP declares
  `reparameterization_type`: `chains_run_over_event` (RAISE needs it),
  `log_normalizer_is_tractable` (trained on the exact NLL, no chains needed)
  and `inexact_statistics` (the statistics it cannot give exactly, and why);
- `mean`, `variance`, `stddev`, `mode`, `entropy` and the KL divergence
  between two machines of one kind (`tfd.kl_divergence`), exact by
  enumeration within `max_enumeration_bits` (or in closed form), else a
  clear error that says how to estimate them from samples.

A subclass supplies only its own math, as functions of `params` (the dict of
`_read_parameters`): `_log_unnormalized`, `_chain_log_unnormalized`,
`_gibbs_step`, `_initial_chain_state`, `_exact_chain_log_normalizer`,
`_enumerated_layer_size`, `_annealed_parameters`, `_fit_proposal` and
`_proposal_chain_log_normalizer`; where its chains do not run over the
event, `_chain_state_to_event` and `_log_normalizer_from_chain`; and for the
exact statistics, `_exact_mean_and_variance`, `_exact_entropy`,
`_exact_mode`, `_exact_kl_divergence` and `_statistic_layer_size`.
"""

import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps
# No public API: `convert_nonref_to_tensor` keeps variables as variables.
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.internal import enumeration
from tfp_rbm.internal import validation
from tfp_rbm.mcmc import block_gibbs

__all__ = ['BoltzmannMachine', 'DEFAULT_GIBBS_STEPS', 'is_energy_based',
           'log_normalizer_property']

DEFAULT_GIBBS_STEPS = 1000
_CHUNK_BITS = 12
# How each statistic's refusal suggests estimating it from samples.
_SAMPLE_ESTIMATES = {
    'mean': '`tf.reduce_mean(x, axis=0)` with `x = dist.sample(n, seed=seed)`',
    'variance': '`tf.math.reduce_variance(x, axis=0)` with `x = dist.sample(n, seed=seed)`',
    'stddev': '`tf.math.reduce_std(x, axis=0)` with `x = dist.sample(n, seed=seed)`',
    'mode': 'the sample `x = dist.sample(n, seed=seed)` of largest '
            '`dist.unnormalized_log_prob(x)`',
    'entropy': '`-tf.reduce_mean(dist.log_prob(x), axis=0)` with `x = dist.sample(n, '
               'seed=seed)` (and a `log_normalizer` estimate where log Z is not enumerable)',
    'kl_divergence': '`tf.reduce_mean(p.log_prob(x) - q.log_prob(x), axis=0)` with `x = '
                     'p.sample(n, seed=seed)` (and log Z estimates where not enumerable)',
}


def log_normalizer_property():
  """`ParameterProperties` of the optional supplied log Z, shared by every machine."""
  return tfp.util.ParameterProperties(event_ndims=0, is_preferred=False)


def is_energy_based(distribution):
  """Whether `distribution` is a Boltzmann machine of this package (has the core's interface)."""
  return isinstance(distribution, BoltzmannMachine)


class BoltzmannMachine(tfp.distributions.AutoCompositeTensorDistribution):
  """Abstract energy-based distribution: `p(x) = exp(log p~(x)) / Z`, sampled by block Gibbs.

  #### Mathematical Details

  The chains run over a variable `s` (the visible units of an RBM, the spins
  of a smoothed machine) with unnormalized density `f(s)` and normalizer
  `Z_s`; the distribution's own normalizer is `Z = g(Z_s, theta)` for a known
  differentiable `g` (the identity when the chains run over the event). With
  `s_k` from the model,

  ```none
  grad log Z_s = E_s[grad log f(s)]  ~=  grad mean_k log f(stop_gradient(s_k))
  ```

  so `surrogate_log_normalizer(s) = g(mean_k log f(s_k), theta)` has the
  gradient of `log Z` in expectation (its value is not log Z).

  `log_prob(x) = log p~(x) - log Z` with `log Z` the supplied
  `log_normalizer`, else exact enumeration of `2^enumerated_layer_size`
  states when that is at most `max_enumeration_bits`, else a `ValueError`:
  never a silently unnormalized value.

  `sample(n, seed, num_steps=..., initial_state=None)` runs `num_steps`
  block-Gibbs sweeps from `initial_chain_state` (or `initial_state`), then
  maps the chain state to the event.

  `mean`, `variance`, `stddev`, `mode` and `entropy`, and
  `tfd.kl_divergence(p, q)` between two machines of the same class, are
  exact: each family enumerates a layer of `2^n` states (`n` at most
  `max_enumeration_bits`, else a `ValueError` that says how to estimate the
  statistic from samples) or has a closed form. A statistic with neither is
  listed with the reason in the class's `inexact_statistics`, and raises
  `NotImplementedError` saying so.
  """

  # -- Declared capabilities ------------------------------------------------
  # The chains' state is a point of the event space (RAISE starts them at data).
  chains_run_over_event = True
  # log Z in closed form: trained on the exact NLL, no persistent chains.
  log_normalizer_is_tractable = False
  # Sweeps `sample` runs when `num_steps` is not given.
  default_gibbs_steps = DEFAULT_GIBBS_STEPS
  # `{statistic: reason}` for each of `mean`, `variance`, `stddev`, `mode`, `entropy`
  # and `kl_divergence` that has no exact value (it raises `NotImplementedError`).
  inexact_statistics = {}
  # The parameters of the `beta = 0` proposal of the annealing path.
  _PROPOSAL_KEYS = ()

  def __init__(self, parameters, max_enumeration_bits, validate_args,
               allow_nan_stats, name):
    """Converts the declared parameters (variables stay variables) to one dtype.

    Every name in the class's `_parameter_properties` is read from
    `parameters` (the subclass constructor's `dict(locals())`) and stored as
    `self._<name>`; None stays None.
    """
    with tf.name_scope(name) as name:
      names = list(type(self)._parameter_properties(tf.float32))
      dtype = validation.common_float_dtype({arg: parameters[arg] for arg in names})
      for arg in names:
        setattr(self, '_' + arg, tensor_util.convert_nonref_to_tensor(
            parameters[arg], dtype=dtype, name=arg))
      enumeration.check_enumeration_bits(max_enumeration_bits)
      self._max_enumeration_bits = max_enumeration_bits
      self._check_static_shapes()
      validation.check_batch_shapes(type(self).parameter_properties(dtype),
                                    self._named_parameters(), fitted=('log_normalizer',))
      super().__init__(
          dtype=dtype,
          reparameterization_type=tfp.distributions.NOT_REPARAMETERIZED,
          validate_args=validate_args,
          allow_nan_stats=allow_nan_stats,
          parameters=parameters,
          name=name)

  # -- Parameters -----------------------------------------------------------

  @property
  def log_normalizer(self):
    """The supplied log Z (e.g. an AIS estimate), or None."""
    return getattr(self, '_log_normalizer', None)

  @property
  def max_enumeration_bits(self):
    return self._max_enumeration_bits

  @property
  def flat_form(self):
    """This machine with its event one vector (itself, unless the event is a structure).

    AIS, RAISE and the persistent chains run on it; a machine whose event
    is a structure (the convolutional RBM's per-level form) returns its
    flat twin, which shares its variables.
    """
    return self

  def flat_event(self, value, arg='value'):
    """`value`, an event of this machine, as an event of `flat_form` (here: itself)."""
    del arg
    return value

  @property
  def enumerated_layer_size(self):
    """Units whose `2^n` states exact log Z enumerates."""
    return self._enumerated_layer_size()

  @property
  def enumerated_state_width(self):
    """Values exact log Z computes per enumerated state, or None where not declared.

    `tfp_rbm.keras.training_metric_cost` prices a log Z by it (undeclared:
    the parameters per enumerated unit, the other layer's size for an RBM).
    """
    return self._enumerated_state_width()

  def _enumerated_state_width(self):
    return None

  def with_log_normalizer(self, log_normalizer):
    """A copy whose `log_prob` is normalized by the given log Z estimate."""
    return self.copy(log_normalizer=log_normalizer)

  def _named_parameters(self):
    """`[(argument_name, tensor_or_None)]` in the order of `_parameter_properties`."""
    return [(arg, getattr(self, '_' + arg))
            for arg in type(self)._parameter_properties(tf.float32)]

  def _read_parameters(self):
    """`{argument_name: tensor}`: each parameter read once, for one public method.

    Derived parameters (`_derived_parameters`) are added from the values read.
    """
    params = {arg: None if tensor is None else tf.convert_to_tensor(tensor)
              for arg, tensor in self._named_parameters()}
    params.update(self._derived_parameters(params))
    return params

  def _derived_parameters(self, params):
    """Parameters computed from the ones read, e.g. a precision from a margin."""
    del params
    return {}

  # -- Shapes and validation ------------------------------------------------

  def _check_static_shapes(self):
    """Raises `ValueError`, naming the argument, on static shapes that disagree."""

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    checked = validation.parameters_to_validate(self._named_parameters(), is_init)
    return (validation.finite_assertions(checked)
            + self._parameter_assertions(checked, is_init))

  def _parameter_assertions(self, checked, is_init):
    """Assertions beyond finiteness on `checked`, the parameters validated now."""
    del checked, is_init
    return []

  def _sample_control_dependencies(self, x, arg='value'):
    return validation.value_assertions(self, x, arg)

  def _chain_state_assertions(self, state, arg):
    """Checks of a chain state given by the user, naming `arg`."""
    return validation.value_assertions(self, state, arg)

  # -- Densities and log Z --------------------------------------------------

  def _unnormalized_log_prob(self, value):
    return self._log_unnormalized(value, self._read_parameters())

  def _log_prob(self, value):
    params = self._read_parameters()
    return self._log_unnormalized(value, params) - self._log_normalizer_in_use(params)

  def log_normalizer_in_use(self, name='log_normalizer_in_use'):
    """The log Z that `log_prob` subtracts: the supplied one, else the exact one."""
    with self._name_and_control_scope(name):
      return self._log_normalizer_in_use(self._read_parameters())

  def _log_normalizer_in_use(self, params):
    if params.get('log_normalizer') is not None:
      return params['log_normalizer']
    self._check_enumerable(
        f'`log_prob` of this {type(self).__name__} needs log Z, but no `log_normalizer` '
        'was supplied and exact enumeration of ',
        "; or call `unnormalized_log_prob`.")
    return self._exact_log_normalizer(params, self._log_normalizer_chunk_bits())

  def exact_log_normalizer(self, chunk_bits=None, name='exact_log_normalizer'):
    """log Z by enumerating `2^enumerated_layer_size` states in chunks of `2^chunk_bits`.

    Default chunks: as many states as hold `2^22` values where the machine
    declares `enumerated_state_width`, else `2^12` states.
    """
    with self._name_and_control_scope(name):
      self._check_enumerable(f'Exact log Z of {type(self).__name__} enumerates ', '.')
      if chunk_bits is None:
        chunk_bits = self._log_normalizer_chunk_bits()
      return self._exact_log_normalizer(self._read_parameters(), chunk_bits)

  def _log_normalizer_chunk_bits(self):
    width = self._enumerated_state_width()
    if width is None:
      return _CHUNK_BITS
    return max(_CHUNK_BITS, enumeration.bits_within_value_budget(width))

  @property
  def log_normalizer_is_enumerable(self):
    """Whether exact log Z may enumerate: `enumerated_layer_size <= max_enumeration_bits`."""
    return self._enumerated_layer_size() <= self._max_enumeration_bits

  def _check_enumerable(self, prefix, suffix):
    bits = self._enumerated_layer_size()
    if not self.log_normalizer_is_enumerable:
      raise ValueError(
          f'{prefix}2^{bits} states, more than `max_enumeration_bits`='
          f'{self._max_enumeration_bits} allows. Estimate it instead, e.g. '
          "`tfp_rbm.evaluation.log_normalizer(dist, method='ais')`, and pass it as "
          f'`log_normalizer` or through `dist.with_log_normalizer(estimate)`{suffix}')

  def _exact_log_normalizer(self, params, chunk_bits):
    return self._log_normalizer_from_chain(
        self._exact_chain_log_normalizer(params, chunk_bits), params)

  def log_normalizer_from_chain(self, chain_log_normalizer):
    """The distribution's log Z from the log Z of the chains' variable."""
    return self._log_normalizer_from_chain(chain_log_normalizer, self._read_parameters())

  def _log_normalizer_from_chain(self, chain_log_normalizer, params):
    del params
    return chain_log_normalizer

  # -- Exact statistics -----------------------------------------------------

  def _mean(self):
    return self._exact_statistic(
        'mean', lambda params, chunk_bits: self._exact_mean_and_variance(params, chunk_bits)[0])

  def _variance(self):
    return self._exact_statistic(
        'variance',
        lambda params, chunk_bits: self._exact_mean_and_variance(params, chunk_bits)[1])

  def _stddev(self):
    return self._exact_statistic(
        'stddev',
        lambda params, chunk_bits: tf.sqrt(self._exact_mean_and_variance(params, chunk_bits)[1]))

  def _mode(self):
    return self._exact_statistic('mode', self._exact_mode)

  def _entropy(self):
    return self._exact_statistic('entropy', self._exact_entropy)

  def _exact_statistic(self, statistic, compute):
    """`compute(params, chunk_bits)`, or the error that says why not and what to do."""
    self._check_statistic_is_exact(statistic)
    return compute(self._read_parameters(), _CHUNK_BITS)

  def _check_statistic_is_exact(self, statistic):
    name = type(self).__name__
    hint = f'Estimate it from samples instead, e.g. {_SAMPLE_ESTIMATES[statistic]}.'
    if statistic in self.inexact_statistics:
      raise NotImplementedError(
          f'{name} has no exact `{statistic}`: {self.inexact_statistics[statistic]}. {hint}')
    bits = self._statistic_layer_size(statistic)
    if bits > self._max_enumeration_bits:
      raise ValueError(
          f'The exact `{statistic}` of this {name} enumerates 2^{bits} states, more than '
          f'`max_enumeration_bits`={self._max_enumeration_bits} allows. {hint}')

  def _statistic_layer_size(self, statistic):
    """Units whose `2^n` states the exact `statistic` enumerates (default: log Z's)."""
    del statistic
    return self._enumerated_layer_size()

  def _exact_mean_and_variance(self, params, chunk_bits):
    """`(E[x], Var[x])`, each `batch_shape + event_shape`."""
    raise NotImplementedError(f'{type(self).__name__} implements no exact mean or variance.')

  def _exact_mode(self, params, chunk_bits):
    raise NotImplementedError(f'{type(self).__name__} implements no exact mode.')

  def _exact_entropy(self, params, chunk_bits):
    raise NotImplementedError(f'{type(self).__name__} implements no exact entropy.')

  def _exact_kl_divergence(self, params, other, chunk_bits):
    """`KL(self || other)` for `other` of the same class, `batch_shape`."""
    raise NotImplementedError(f'{type(self).__name__} implements no exact KL divergence.')

  # -- Chains and sampling --------------------------------------------------

  def initial_chain_state(self, num_chains, seed):
    """Noise to start chains from: `[num_chains] + batch_shape + chain_event_shape`."""
    return self._initial_chain_state(
        ps.concat([[num_chains], self._batch_shape_tensor(), self._event_shape_tensor()], 0),
        seed, self._read_parameters())

  def gibbs_step(self, chain_state, seed):
    """One block-Gibbs sweep of the chains; it leaves their distribution invariant."""
    return self._gibbs_step(chain_state, seed, self._read_parameters())

  def gibbs_chain(self, chain_state, num_steps, seed, setup=None):
    """The chains after `num_steps` block-Gibbs sweeps (a `tf.while_loop`).

    The states have the distribution of `num_steps` calls of `gibbs_step`;
    a machine may integrate a layer out between sweeps (the
    Gaussian-Bernoulli RBM does) and so draw other random numbers.
    `setup` is what `gibbs_chain_setup()` returned for the same
    parameters, or None. `tfp_rbm.mcmc.run_gibbs` compiles it.
    """
    return self._gibbs_chain(chain_state, tf.convert_to_tensor(num_steps, tf.int32), seed,
                             self._read_parameters(), setup)

  def gibbs_chain_setup(self):
    """Eagerly, what `gibbs_chain` can use from outside its compiled loop; None: nothing.

    E.g. a factorization that XLA computes slowly on a CPU;
    `tfp_rbm.mcmc.run_gibbs` calls it before the compiled loop.
    """
    return self._gibbs_chain_setup(self._read_parameters())

  def _gibbs_chain_setup(self, params):
    del params
    return None

  def _gibbs_chain(self, chain_state, num_steps, seed, params, setup=None):
    """`num_steps` sweeps of `_gibbs_step`, each with the next seed split off `seed`."""
    del setup

    def body(step, state, seed):
      step_seed, seed = tfp.random.split_seed(seed)
      return step + 1, self._gibbs_step(state, step_seed, params), seed

    _, state, _ = tf.while_loop(lambda step, state, seed: step < num_steps, body,
                                (tf.constant(0, tf.int32), chain_state, seed))
    return state

  def chain_unnormalized_log_prob(self, chain_state):
    """Unnormalized log-density `log f(s)` of the chains' variable."""
    chain_state = tf.convert_to_tensor(chain_state, dtype=self.dtype)
    return self._chain_log_unnormalized(chain_state, self._read_parameters())

  def _chain_state_to_event(self, chain_state, seed, params):
    """A point of the event space from each chain state (here the state itself)."""
    del seed, params
    return chain_state

  def _sample_n(self, n, seed=None, num_steps=None, initial_state=None):
    """`num_steps` block-Gibbs sweeps from noise or `initial_state`, then to the event."""
    init_seed, chain_seed, event_seed = tfp.random.split_seed(
        seed, n=3, salt=type(self).__name__)
    if num_steps is None:
      num_steps = self.default_gibbs_steps
    num_steps = validation.check_integer(num_steps, 'num_steps', minimum=0)
    if initial_state is None:
      state = self.initial_chain_state(n, init_seed)
    else:
      state = validation.convert_value(initial_state, self.dtype, 'initial_state')
      with tf.control_dependencies(self._chain_state_assertions(state, 'initial_state')):
        state = tf.broadcast_to(state, ps.concat(
            [[n], self._batch_shape_tensor(), self._event_shape_tensor()], 0))
    # A one-off draw: XLA only where the loop repays its compile.
    state = block_gibbs.run_gibbs(self, state, num_steps, chain_seed, jit_compile='auto')
    return self._chain_state_to_event(state, event_seed, self._read_parameters())

  def surrogate_log_normalizer(self, chain_state):
    """A function of the parameters whose gradient is `grad log Z`, in expectation.

    `g(mean_k log f(stop_gradient(s_k)), theta)` over the sample dimension
    (axis 0) of `chain_state`, the chains drawn from the model; see the
    class docstring. Its value is not log Z.
    """
    chain_state = tf.stop_gradient(tf.convert_to_tensor(chain_state, dtype=self.dtype))
    params = self._read_parameters()
    return self._log_normalizer_from_chain(
        tf.reduce_mean(self._chain_log_unnormalized(chain_state, params), axis=0), params)

  # -- The annealing path of AIS and RAISE ----------------------------------

  def annealed(self, beta, proposal=None):
    """The machine at inverse temperature `beta` on the AIS path.

    At `beta = 0` it is the proposal (independent units, log Z in closed
    form, `proposal_log_normalizer`); at `beta = 1` the model. Each step's
    Gibbs sweep leaves its own machine invariant, so any such path gives a
    valid AIS estimate.

    Args:
      beta: inverse temperature in `[0, 1]`.
      proposal: the `beta = 0` machine's parameters, a dict such as
        `fit_proposal(points)` returns; a missing key (or `proposal=None`)
        takes the model's own value.
    """
    beta = tf.convert_to_tensor(beta, dtype=self.dtype)
    params = self._read_parameters()
    params.update(self._proposal_parameters(proposal))
    overrides = self._annealed_parameters(beta, params)
    if 'log_normalizer' in self.parameters:
      overrides['log_normalizer'] = None  # The model's estimate is not the annealed one's.
    return self.copy(**overrides)

  def annealing_step(self, chain_state, beta_from, beta_to, seed, proposal=None):
    """One step of the AIS/RAISE walk: `(log f_to(s) - log f_from(s), s' ~ T_to(s))`.

    `f_beta` is the unnormalized density of the chains' variable under
    `annealed(beta, proposal)` and `T_beta` its Gibbs sweep; the log-ratio is
    float64 (each `log f` is computed in the machine's dtype). This default
    evaluates each temperature's machine on its own; a base may compute the
    same quantities sharing work between them (the RBMs: one `W^T v` for
    both temperatures and the sweep's hidden layer).
    """
    to = self.annealed(beta_to, proposal)
    frm = self.annealed(beta_from, proposal)
    log_ratio = (tf.cast(to.chain_unnormalized_log_prob(chain_state), tf.float64)
                 - tf.cast(frm.chain_unnormalized_log_prob(chain_state), tf.float64))
    return log_ratio, to.gibbs_step(chain_state, seed)

  def fit_proposal(self, points, name='fit_proposal'):
    """The `beta = 0` machine of the annealing path fit to `points`.

    The independent-unit machine closest to `points` (maximum likelihood on
    the chains' variable). Any proposal gives a valid estimate, but one near
    the model's mass needs far fewer temperatures than the model's own
    biases (check `LogNormalizerEstimate.effective_sample_size`). `points`
    are usually training data (inside a flow, their latents); the model's
    own samples, e.g. persistent chains, work as well.

    #### Examples

    ```python
    proposal = rbm.fit_proposal(train_z)  # z = flow.inverse(x_train)
    estimate = tfp_rbm.evaluation.log_normalizer(rbm, 'ais', proposal=proposal)
    ```

    Args:
      points: points of the event space, `[n] + batch_shape + event_shape`.
      name: name scope of the ops.

    Returns:
      A dict of the proposal's parameters, to pass as `proposal`.
    """
    points = validation.convert_value(points, self.dtype, 'points')
    with self._name_and_control_scope(name, points, dict(arg='points')):
      return self._fit_proposal(points, self._read_parameters())

  def _proposal_parameters(self, proposal):
    """`{'proposal_<key>': tensor}`: `proposal` with the model's own values filled in."""
    own = {arg: getattr(self, '_' + arg) for arg in self._PROPOSAL_KEYS}
    return {'proposal_' + arg: value for arg, value in validation.proposal_parameters(
        proposal, own, self.dtype, type(self).__name__,
        shape=self.batch_shape.concatenate(self.event_shape)).items()}

  def proposal_log_normalizer(self, proposal=None):
    """log Z of the chains' variable under `annealed(0, proposal)`, in closed form."""
    params = self._read_parameters()
    params.update(self._proposal_parameters(proposal))
    return tf.broadcast_to(self._proposal_chain_log_normalizer(params),
                           self._batch_shape_tensor())


@tfp.distributions.RegisterKL(BoltzmannMachine, BoltzmannMachine)
def _kl_boltzmann_machines(p, q, name=None):
  """`KL(p || q) = E_p[log p - log q]`, both log Z exact, for machines of one class.

  Exact by enumeration where each machine's family says so
  (`inexact_statistics`); `ValueError` above either's `max_enumeration_bits`.
  """
  if type(p) is not type(q):
    raise NotImplementedError(
        f'The exact KL divergence is defined between two machines of the same class; '
        f'got a {type(p).__name__} and a {type(q).__name__}.')
  if p.event_shape.is_fully_defined() and p.event_shape != q.event_shape:
    raise ValueError(
        f'The KL divergence needs machines with the same event shape; got '
        f'{p.event_shape} and {q.event_shape}.')
  with tf.name_scope(name or 'kl_boltzmann_machines'):
    p._check_statistic_is_exact('kl_divergence')  # pylint: disable=protected-access
    q._check_statistic_is_exact('kl_divergence')  # pylint: disable=protected-access
    return p._exact_kl_divergence(  # pylint: disable=protected-access
        p._read_parameters(), q, _CHUNK_BITS)  # pylint: disable=protected-access
