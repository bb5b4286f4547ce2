"""The shared convolutional Gaussian-Bernoulli RBM (EB-and-Flow App. B)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps
# No public API: `convert_nonref_to_tensor` keeps variables as variables.
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import gaussian_bernoulli_rbm
from tfp_rbm.internal import enumeration
from tfp_rbm.internal import validation

__all__ = ['ConvolutionalGaussianBernoulliRBM']

_PADDINGS = ('SAME', 'VALID')
_EVENT_STRUCTURES = ('flat', 'levels')


class ConvolutionalGaussianBernoulliRBM(gaussian_bernoulli_rbm.GaussianBernoulliRBM):
  """Gaussian-Bernoulli RBM whose weights are convolutions onto one shared hidden map.

  The visible units are `L` spatial tensors `v_l` of shape `[H_l, W_l, C_l]`
  (a multi-scale flow's outputs). With `event_structure='flat'` they are
  flattened and concatenated into one event vector of `D = sum_l H_l W_l C_l`
  units, so that the machine drops into `tfd.TransformedDistribution` with a
  flow returning flat latents; with `event_structure='levels'` the event is
  the list of the `L` images (`event_shape` a list of `TensorShape`s,
  `dtype` a list), for a flow returning its latent per level
  (`tfp_rbm.flows.glow(..., latent_structure='levels')`). The hidden units
  form one binary map of shape `[h, w, K]`, flattened in row-major order into
  `H = h w K` units.

  Both forms are one machine: the parameters (`visible_bias`, `scale`) and
  the chains' variable stay flat vectors of `D` units in either. The
  per-level form's chain methods (`initial_chain_state`, `gibbs_step`,
  `surrogate_log_normalizer`, `annealed`, `fit_proposal`, ...) are those of
  its flat twin `flat_form` (same parameters), whose scalar `dtype` the
  samplers and AIS read; `log_prob`, `sample`, `mean`, `free_energy` and
  `hidden_probs` take and give lists.

  #### Mathematical Details

  `A_l` is the strided cross-correlation `v_l -> Omega_l * v_l`
  (`tf.nn.conv2d`) with filters `Omega_l` of shape `[k_l, k_l, C_l, K]`, each
  level onto the same `[h, w, K]`; `A_l^T` is its adjoint, the transposed
  convolution (`tf.nn.conv2d_transpose`). With `c` the hidden bias of each
  channel (shared over positions) and `sigma` a scale per visible unit:

  ```none
  E(v, h) = sum_l ||(v_l - b_l) / sigma_l||^2 / 2 - c.h - sum_l <h, A_l(v_l / sigma_l)>
  F(v)    = sum_l ||(v_l - b_l) / sigma_l||^2 / 2 - sum softplus(c + sum_l A_l(v_l / sigma_l))
  p(h = 1 | v) = sigmoid(c + sum_l A_l(v_l / sigma_l))
  p(v_l | h)   = Normal(b_l + sigma_l * A_l^T h, sigma_l^2)
  ```

  This is `GaussianBernoulliRBM` with `W` the unrolled convolution
  (`W h = concat_l A_l^T h`), so its exact log Z (enumerating the `2^H`
  hidden states), `mean` and `variance` are that class's formulas with the
  products `W^T v` and `W h` computed by convolutions.

  The annealing path of AIS and RAISE is the parameter path
  `Omega_beta = beta Omega`, `c_beta = beta c`,
  `b_beta = (1 - beta) b_0 + beta b` at the model's scale `sigma`: the
  proposal fits the visible bias `b_0` only (a fitted scale would rescale the
  convolution's output per visible unit, which filters cannot express).

  #### Examples

  The CIFAR-10 configuration of EB-and-Flow (three Glow levels onto a
  `4 x 4 x 100` hidden map, `padding='SAME'`):

  ```python
  level_shapes = [[16, 16, 6], [8, 8, 12], [4, 4, 48]]
  rbm = tfp_rbm.distributions.ConvolutionalGaussianBernoulliRBM(
      filters=[tf.Variable(tf.random.normal([k, k, c, 100], stddev=0.01))
               for k, (_, _, c) in zip([5, 3, 3], level_shapes)],
      strides=[4, 2, 1],
      visible_bias=tf.Variable(tf.zeros([3072])),
      hidden_bias=tf.Variable(tf.zeros([100])),
      scale=tf.Variable(tf.ones([3072])),
      level_shapes=level_shapes)
  v = rbm.sample(64, seed=(0, 1), num_steps=100)   # [64, 3072]
  levels = rbm.split_levels(v)                      # [64, 16, 16, 6], ...
  ```

  Over a Glow that returns its latents per level:

  ```python
  per_level = rbm.copy(event_structure='levels')
  flow = tfp_rbm.flows.glow(image_shape=[32, 32, 3], num_levels=3,
                            latent_structure='levels')
  model = tfd.TransformedDistribution(per_level.with_log_normalizer(log_z), flow)
  per_level.sample(8, seed=(0, 2))                  # [8, 16, 16, 6], [8, 8, 8, 12], ...
  ```

  #### References

  [1] Grathwohl, W., Li, X., Swersky, K., Hashemi, M., Jacobsen, J.-H.,
      Norouzi, M., Hinton, G. Scaling RBMs to high dimensional data with
      invertible neural networks (EB-and-Flow), App. B. ICML 2020 workshop
      on Invertible Neural Networks, Normalizing Flows, and Explicit
      Likelihood Models.
  [2] Lee, H., Grosse, R., Ranganath, R., Ng, A. Y. Convolutional deep belief
      networks for scalable unsupervised learning of hierarchical
      representations. ICML 2009.
  """

  _PROPOSAL_KEYS = ('visible_bias',)
  # Its products are convolutions: the sweeps keep the visible layer.
  _integrates_out_visible_layer = False

  def __init__(self, filters, strides, visible_bias, hidden_bias, scale, level_shapes,
               padding='SAME', log_normalizer=None, max_enumeration_bits=20,
               validate_args=False, allow_nan_stats=True,
               name='ConvolutionalGaussianBernoulliRBM', event_structure='flat'):
    """Builds a shared convolutional Gaussian-Bernoulli RBM.

    Args:
      filters: a list of `L` float tensors or variables, `filters[l]` of shape
        `[k_l, k_l, C_l, K]` (no batch dimensions: a batch of machines
        shares its filters).
      strides: a list of `L` positive integers, the stride of each level's
        convolution.
      visible_bias: float tensor or variable, `batch_shape + [D]`, with
        `D = sum_l H_l W_l C_l`.
      hidden_bias: float tensor or variable, `batch_shape + [K]`: one bias
        per hidden channel, shared over the `h x w` positions.
      scale: positive float tensor or variable, `batch_shape + [D]` (or
        broadcastable to it), the visible standard deviations.
      level_shapes: a list of `L` shapes `[H_l, W_l, C_l]`, the levels of the
        event in the order they are concatenated.
      padding: `'SAME'` or `'VALID'`, the padding of every convolution.
      log_normalizer: optional log Z estimate (e.g. from AIS), `batch_shape`.
      max_enumeration_bits: largest `H = h w K` for which `log_prob`
        computes log Z exactly when none is supplied, in
        `[0, MAX_ENUMERATION_BITS]` (24).
      validate_args: check finiteness of parameters and data and `scale > 0`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.
      event_structure: `'flat'`: the event is the vector of `D` units;
        `'levels'`: the list of the `L` images `[H_l, W_l, C_l]`.

    Raises:
      ValueError: naming the argument, if the number of levels, a filter's
        channels or a level's hidden map disagree, or `event_structure` is
        not `'flat'` or `'levels'`.
    """
    parameters = dict(locals())
    if not isinstance(filters, (list, tuple)):
      raise ValueError('Argument `filters` must be a list with one filter tensor per level; '
                       f'got {type(filters).__name__}.')
    dtype = validation.common_float_dtype(dict(
        {f'filters[{level}]': f for level, f in enumerate(filters)},
        visible_bias=visible_bias, hidden_bias=hidden_bias, scale=scale))
    with tf.name_scope(name):
      self._filters = tuple(
          tensor_util.convert_nonref_to_tensor(f, dtype=dtype, name=f'filters_{level}')
          for level, f in enumerate(filters))
    self._level_shapes = _check_level_shapes(level_shapes)
    self._strides = _check_strides(strides, len(self._level_shapes))
    if padding not in _PADDINGS:
      raise ValueError(f"Argument `padding` must be 'SAME' or 'VALID'; got {padding!r}.")
    self._padding = padding
    self._hidden_map_shape = self._check_filters()
    if event_structure not in _EVENT_STRUCTURES:
      raise ValueError("Argument `event_structure` must be 'flat' or 'levels'; got "
                       f'{event_structure!r}.')
    self._event_structure = event_structure
    # The core's constructor: `GaussianBernoulliRBM.__init__` fixes its own arguments.
    super(gaussian_bernoulli_rbm.GaussianBernoulliRBM, self).__init__(
        parameters, max_enumeration_bits, validate_args, allow_nan_stats, name)
    self._flat_form = self
    if event_structure == 'levels':
      self._flat_form = type(self)(**dict(self.parameters, event_structure='flat'))

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    # Not `filters`: the core converts each declared parameter to one tensor, and the
    # levels' filters differ in shape. They carry no batch dimensions (a batch of
    # machines shares them) and are read by `_read_parameters`.
    return dict(
        visible_bias=tfp.util.ParameterProperties(event_ndims=1),
        hidden_bias=tfp.util.ParameterProperties(event_ndims=1),
        scale=gaussian_bernoulli_rbm.scale_property(dtype),
        log_normalizer=boltzmann_machine.log_normalizer_property())

  # -- Parameters and shapes --------------------------------------------------

  @property
  def filters(self):
    """The filters `Omega_l`, a tuple of `[k_l, k_l, C_l, K]` tensors."""
    return self._filters

  @property
  def strides(self):
    return self._strides

  @property
  def padding(self):
    return self._padding

  @property
  def level_shapes(self):
    """The levels' shapes `[H_l, W_l, C_l]`, in the order of the event."""
    return self._level_shapes

  @property
  def event_structure(self):
    """`'flat'` (the event is one vector) or `'levels'` (a list of images)."""
    return self._event_structure

  @property
  def flat_form(self):
    """This machine with a flat event (itself when flat): its chains, AIS and RAISE."""
    return self._flat_form

  @property
  def dtype(self):
    """The dtype; for `event_structure='levels'`, one per level (TFP's structure)."""
    if getattr(self, '_event_structure', 'flat') == 'levels':
      return [self._dtype] * len(self._level_shapes)
    return self._dtype

  @property
  def hidden_map_shape(self):
    """`[h, w, K]`, the shape of the hidden map."""
    return self._hidden_map_shape

  @property
  def weights(self):
    raise AttributeError(f'{type(self).__name__} has `filters`, not dense `weights`.')

  @property
  def num_visible(self):
    return int(sum(np.prod(shape) for shape in self._level_shapes))

  @property
  def num_hidden(self):
    return int(np.prod(self._hidden_map_shape))

  def _event_shape(self):
    if self._event_structure == 'levels':
      return [tf.TensorShape(shape) for shape in self._level_shapes]
    return tf.TensorShape([self.num_visible])

  def _event_shape_tensor(self):
    if self._event_structure == 'levels':
      return [np.array(shape, np.int32) for shape in self._level_shapes]
    return np.array([self.num_visible], np.int32)

  def _check_filters(self):
    """The hidden map's `[h, w, K]`, raising where the filters disagree with the levels."""
    num_levels = len(self._level_shapes)
    if len(self._filters) != num_levels:
      raise ValueError(f'Argument `filters` has {len(self._filters)} levels but '
                       f'`level_shapes` has {num_levels}: give one filter per level.')
    hidden_map = None
    for level, (f, (height, width, channels), stride) in enumerate(
        zip(self._filters, self._level_shapes, self._strides)):
      shape = f.shape
      if shape.rank != 4 or not shape.is_fully_defined():
        raise ValueError(f'Argument `filters[{level}]` must have a known shape [k, k, '
                         f'{channels}, K] (no batch dimensions); got shape {shape}.')
      if shape[2] != channels:
        raise ValueError(
            f'Argument `filters[{level}]` has {shape[2]} input channels but '
            f'`level_shapes[{level}]` is {[height, width, channels]}: expected {channels}.')
      if self._padding == 'VALID' and (shape[0] > height or shape[1] > width):
        raise ValueError(
            f'Argument `filters[{level}]` has spatial size {shape[:2].as_list()}, larger than '
            f"level {level}'s {[height, width]}; use padding='SAME' or a smaller filter.")
      level_map = [_output_size(height, shape[0], stride, self._padding),
                   _output_size(width, shape[1], stride, self._padding), shape[3]]
      if hidden_map is None:
        hidden_map = level_map
      elif level_map != hidden_map:
        raise ValueError(
            f'Argument `filters[{level}]` (stride {stride}, padding {self._padding!r}) maps '
            f'level {level} of shape {[height, width, channels]} onto a hidden map of shape '
            f'{level_map}, but level 0 maps onto {hidden_map}: every level must map onto '
            'one hidden map [h, w, K].')
    return hidden_map

  def _check_static_shapes(self):
    for arg, tensor, expected in (('visible_bias', self._visible_bias, self.num_visible),
                                  ('hidden_bias', self._hidden_bias, self._hidden_map_shape[-1]),
                                  ('scale', self._scale, self.num_visible)):
      if tensor.shape.rank == 0 and arg != 'scale':
        raise ValueError(f'Argument `{arg}` must be at least a vector; got a scalar.')
      size = tensor.shape[-1] if tensor.shape.rank else None
      allowed = (expected, 1) if arg == 'scale' else (expected,)
      if size is not None and size not in allowed:
        raise ValueError(f'Argument `{arg}` has {size} units but the levels and filters '
                         f'give {expected}: expected {expected}.')

  def _read_parameters(self):
    params = super()._read_parameters()
    params['filters'] = tuple(tf.convert_to_tensor(f) for f in self._filters)
    return params

  def _parameter_control_dependencies(self, is_init):
    assertions = super()._parameter_control_dependencies(is_init)
    if not self.validate_args:
      return assertions
    return assertions + validation.finite_assertions(validation.parameters_to_validate(
        [(f'filters[{level}]', f) for level, f in enumerate(self._filters)], is_init))

  def split_levels(self, value):
    """`value`, `[..., D]`, as the list of its levels, each `[..., H_l, W_l, C_l]`."""
    value = tf.convert_to_tensor(value, dtype=self._dtype, name='value')
    sizes = [int(np.prod(shape)) for shape in self._level_shapes]
    return [tf.reshape(part, ps.concat([ps.shape(part)[:-1], shape], 0))
            for part, shape in zip(tf.split(value, sizes, axis=-1), self._level_shapes)]

  def flat_event(self, value, arg='value'):
    """`value` as an event of `flat_form`: the levels merged (`merge_levels`), or itself."""
    return self.merge_levels(value, arg) if self._event_structure == 'levels' else value

  def merge_levels(self, levels, arg='levels'):
    """The list of `L` levels `[..., H_l, W_l, C_l]` as one vector `[..., D]`.

    The inverse of `split_levels`. A list of another length, or a level of
    another shape, is refused statically with a `ValueError` naming `arg`.
    """
    levels = self._checked_levels(levels, arg)
    return tf.concat([tf.reshape(level, ps.concat([ps.shape(level)[:-3], [-1]], 0))
                      for level in levels], axis=-1)

  def _checked_levels(self, levels, arg):
    """`levels` as a list of tensors, each checked against its level's shape, naming `arg`."""
    expected = len(self._level_shapes)
    if not isinstance(levels, (list, tuple)) or len(levels) != expected:
      given = (f'a list of {len(levels)}' if isinstance(levels, (list, tuple))
               else f'one {type(levels).__name__}')
      shapes = [list(shape) for shape in self._level_shapes]
      raise ValueError(f'Argument `{arg}` must be a list of {expected} levels of shapes '
                       f'[..., H, W, C] {shapes} (`level_shapes`); got {given}.')
    checked = []
    for level, (value, shape) in enumerate(zip(levels, self._level_shapes)):
      value = validation.convert_value(value, self._dtype, f'{arg}[{level}]')
      if value.dtype != self._dtype:
        raise TypeError(f'Argument `{arg}[{level}]` has dtype {value.dtype.name}, but the '
                        f'distribution has dtype {self._dtype.name}.')
      if value.shape.rank is not None and (
          value.shape.rank < 3 or not value.shape[-3:].is_compatible_with(shape)):
        raise ValueError(f'Argument `{arg}[{level}]` must have shape [..., {shape[0]}, '
                         f'{shape[1]}, {shape[2]}] (`level_shapes[{level}]`); got shape '
                         f'{value.shape}.')
      checked.append(value)
    leading = [value.shape[:-3] for value in checked]
    if all(shape.rank is not None for shape in leading):
      try:
        for shape in leading[1:]:
          tf.broadcast_static_shape(leading[0], shape)
      except ValueError:
        raise ValueError(f'Argument `{arg}`: the levels\' leading dimensions '
                         f'{[s.as_list() for s in leading]} differ; they must be one '
                         'sample_shape + batch_shape.') from None
    return checked

  def _as_flat(self, value, arg):
    """A flat event from `value`: merged from a list of levels, else as it is."""
    if isinstance(value, (list, tuple)):
      return self.merge_levels(value, arg)
    return value

  # -- The per-level form: TFP's structured event around the flat twin --------

  # The chains' variable is the flat vector in both forms: the core's methods over it
  # run on the flat twin (the per-level form's scalar dtype lives there).

  def _flat_core(self):
    return super(ConvolutionalGaussianBernoulliRBM, self._flat_form)

  def initial_chain_state(self, num_chains, seed):
    return self._flat_core().initial_chain_state(num_chains, seed)

  def gibbs_step(self, chain_state, seed):
    return self._flat_core().gibbs_step(chain_state, seed)

  def gibbs_chain(self, chain_state, num_steps, seed, setup=None):
    return self._flat_core().gibbs_chain(chain_state, num_steps, seed, setup)

  def gibbs_chain_setup(self):
    return self._flat_core().gibbs_chain_setup()

  def chain_unnormalized_log_prob(self, chain_state):
    return self._flat_core().chain_unnormalized_log_prob(chain_state)

  def surrogate_log_normalizer(self, chain_state):
    return self._flat_core().surrogate_log_normalizer(chain_state)

  def log_normalizer_in_use(self, name='log_normalizer_in_use'):
    return self._flat_core().log_normalizer_in_use(name=name)

  def exact_log_normalizer(self, chunk_bits=None, name='exact_log_normalizer'):
    return self._flat_core().exact_log_normalizer(chunk_bits=chunk_bits, name=name)

  def log_normalizer_from_chain(self, chain_log_normalizer):
    return self._flat_core().log_normalizer_from_chain(chain_log_normalizer)

  def annealed(self, beta, proposal=None):
    """The core's `annealed`: a flat machine (the chains' machine) in both forms."""
    return self._flat_core().annealed(beta, proposal)

  def proposal_log_normalizer(self, proposal=None):
    return self._flat_core().proposal_log_normalizer(proposal)

  def _call_log_prob(self, value, name, **kwargs):
    return super()._call_log_prob(self._structured_value(value), name, **kwargs)

  def _call_prob(self, value, name, **kwargs):
    return super()._call_prob(self._structured_value(value), name, **kwargs)

  def _call_unnormalized_log_prob(self, value, name, **kwargs):
    return super()._call_unnormalized_log_prob(self._structured_value(value), name, **kwargs)

  def _structured_value(self, value):
    """For the per-level form, `value` checked level by level (naming `value`)."""
    if self._event_structure == 'levels':
      return self._checked_levels(value, 'value')
    return value

  def _sample_control_dependencies(self, x, arg='value'):
    if self._event_structure == 'levels':
      return self._flat_form._sample_control_dependencies(  # pylint: disable=protected-access
          self.merge_levels(x, arg), arg)
    return super()._sample_control_dependencies(x, arg)

  def _log_unnormalized(self, value, params):
    if self._event_structure == 'levels':
      value = self.merge_levels(value, 'value')
    return super()._log_unnormalized(value, params)

  def _log_normalizer_in_use(self, params):
    if self._event_structure == 'levels':
      return self._flat_form._log_normalizer_in_use(params)  # pylint: disable=protected-access
    return super()._log_normalizer_in_use(params)

  def _sample_n(self, n, seed=None, num_steps=None, initial_state=None):
    """Flat chains; the per-level form splits their states (`initial_state` flat or levels)."""
    if self._event_structure == 'flat':
      return super()._sample_n(n, seed=seed, num_steps=num_steps, initial_state=initial_state)
    if initial_state is not None:
      initial_state = self._as_flat(initial_state, 'initial_state')
    return self.split_levels(self._flat_form._sample_n(  # pylint: disable=protected-access
        n, seed=seed, num_steps=num_steps, initial_state=initial_state))

  def _mean(self):
    if self._event_structure == 'levels':
      return self.split_levels(self._flat_form._mean())  # pylint: disable=protected-access
    return super()._mean()

  def _variance(self):
    if self._event_structure == 'levels':
      return self.split_levels(self._flat_form._variance())  # pylint: disable=protected-access
    return super()._variance()

  def _stddev(self):
    if self._event_structure == 'levels':
      return self.split_levels(self._flat_form._stddev())  # pylint: disable=protected-access
    return super()._stddev()

  def _default_event_space_bijector(self):
    if self._event_structure == 'levels':
      return tfp.bijectors.JointMap([tfp.bijectors.Identity(validate_args=self.validate_args)
                                     for _ in self._level_shapes])
    return super()._default_event_space_bijector()

  def fit_proposal(self, points, name='fit_proposal'):
    """The core's `fit_proposal`, on flat points or on a list of levels."""
    return self._flat_core().fit_proposal(self._as_flat(points, 'points'), name=name)

  def free_energy(self, value, name='free_energy'):
    """`F(v)`, on a flat `value` or a list of levels; shape `sample_shape + batch_shape`."""
    return self._flat_core().free_energy(self._as_flat(value, 'value'), name=name)

  def hidden_probs(self, visible, name='hidden_probs'):
    """`p(h = 1 | v)`, `[..., h w K]`, from a flat `visible` or a list of levels."""
    return self._flat_core().hidden_probs(self._as_flat(visible, 'visible'), name=name)

  def visible_distribution(self, hidden, name='visible_distribution'):
    """`p(v | h)`; for the per-level form, over the list of levels (a `tfb.Split` of it)."""
    flat = self._flat_core().visible_distribution(hidden, name=name)
    if self._event_structure == 'flat':
      return flat
    return tfp.distributions.TransformedDistribution(flat, self._levels_bijector())

  def _levels_bijector(self):
    """`tfb` composition from the flat vector `[..., D]` to the list of levels."""
    sizes = [int(np.prod(shape)) for shape in self._level_shapes]
    return tfp.bijectors.Chain([
        tfp.bijectors.JointMap([tfp.bijectors.Reshape(shape, [size])
                                for shape, size in zip(self._level_shapes, sizes)]),
        tfp.bijectors.Split(sizes, axis=-1)])

  # -- The products `W^T v` and `W h`, as convolutions --------------------------

  def _visible_to_hidden(self, visible, filters):
    """`(W^T v)` = `sum_l A_l v_l`, `[..., D] -> [..., h w K]`."""
    leading = ps.shape(visible)[:-1]
    flat = tf.reshape(visible, [-1, self.num_visible])
    sizes = [int(np.prod(shape)) for shape in self._level_shapes]
    total = tf.add_n([
        tf.nn.conv2d(tf.reshape(part, [-1] + shape), f, stride, self._padding)
        for part, f, shape, stride in zip(tf.split(flat, sizes, axis=-1), filters,
                                          self._level_shapes, self._strides)])
    return tf.reshape(total, ps.concat([leading, [self.num_hidden]], 0))

  def _hidden_to_visible(self, hidden, filters):
    """`(W h)` = `concat_l A_l^T h`, `[..., h w K] -> [..., D]`."""
    leading = ps.shape(hidden)[:-1]
    hidden_map = tf.reshape(hidden, [-1] + self._hidden_map_shape)
    num = ps.shape(hidden_map)[:1]
    parts = [tf.reshape(tf.nn.conv2d_transpose(hidden_map, f, ps.concat([num, shape], 0),
                                               stride, self._padding), [-1, int(np.prod(shape))])
             for f, shape, stride in zip(filters, self._level_shapes, self._strides)]
    return tf.reshape(tf.concat(parts, axis=-1), ps.concat([leading, [self.num_visible]], 0))

  def _hidden_bias_map(self, hidden_bias):
    """The per-channel bias `c`, `batch + [K]`, on every position: `batch + [h w K]`."""
    height, width, channels = self._hidden_map_shape
    return tf.reshape(
        tf.broadcast_to(hidden_bias[..., tf.newaxis, :],
                        ps.concat([ps.shape(hidden_bias)[:-1], [height * width, channels]], 0)),
        ps.concat([ps.shape(hidden_bias)[:-1], [self.num_hidden]], 0))

  def _hidden_input(self, visible, params):
    return self._hidden_bias_map(params['hidden_bias']) + self._visible_to_hidden(
        visible / params['scale'], params['filters'])

  def _visible_mean(self, hidden, params):
    """`E[v | h] = b + sigma * (W h)`, `W h = concat_l A_l^T h`."""
    return params['visible_bias'] + params['scale'] * self._hidden_to_visible(
        hidden, params['filters'])

  def _hidden_log_weight_and_projection(self, hidden, params):
    """`log p~(h) = c.h + sum_i (b_i a_i / sigma_i + a_i^2 / 2)` and `a = W h`, `[k, H]` states."""
    a = self._hidden_to_visible(hidden, params['filters'])  # [k, D]
    bias_over_scale = params['visible_bias'] / params['scale']
    return (tf.linalg.matvec(hidden, self._hidden_bias_map(params['hidden_bias']))
            + tf.reduce_sum(bias_over_scale[..., tf.newaxis, :] * a + tf.square(a) / 2.,
                            axis=-1)), a

  def _enumerated_state_width(self):
    return None  # The direct sum below: `a = W h` for each state, the parameters' estimate.

  def _exact_chain_log_normalizer(self, params, chunk_bits):
    """`GaussianBernoulliRBM`'s log Z, each state's `a = W h` through the shared filters."""
    return (self._independent_visible_log_normalizer(params)
            + enumeration.logsumexp_over_binary_states(
                lambda hidden: self._hidden_log_weight_and_projection(hidden, params)[0],
                self.num_hidden, self.dtype, chunk_bits))

  # -- Annealing ----------------------------------------------------------------

  def _annealed_parameters(self, beta, params):
    """`Omega_beta = beta Omega`, `c_beta = beta c`, `b_beta = (1 - beta) b_0 + beta b`."""
    return dict(filters=[beta * f for f in params['filters']],
                hidden_bias=beta * params['hidden_bias'],
                visible_bias=(1. - beta) * params['proposal_visible_bias']
                + beta * params['visible_bias'])

  def _fit_proposal(self, points, params):
    """The mean of `points`: the proposal's visible bias (its scale is the model's)."""
    return {'visible_bias': tf.reduce_mean(points, axis=0)}

  def _proposal_chain_log_normalizer(self, params):
    """The Gaussian proposal `N(b_0, sigma^2)`'s log Z plus `H log 2`."""
    return (self._independent_visible_log_normalizer(params)
            + tf.cast(self.num_hidden, self.dtype) * boltzmann_math.log_two(self.dtype))


def _output_size(size, kernel, stride, padding):
  """The spatial size of a strided convolution's output, as `tf.nn.conv2d` gives it."""
  if padding == 'SAME':
    return -(-size // stride)
  return (size - kernel) // stride + 1


def _check_level_shapes(level_shapes):
  """`level_shapes` as a list of `[H, W, C]` lists of positive Python ints."""
  try:
    shapes = [[int(d) for d in shape] for shape in level_shapes]
  except (TypeError, ValueError):
    raise ValueError('Argument `level_shapes` must be a list of [H, W, C] shapes; got '
                     f'{level_shapes!r}.') from None
  if not shapes or any(len(shape) != 3 or min(shape) < 1 for shape in shapes):
    raise ValueError('Argument `level_shapes` must be a non-empty list of [H, W, C] shapes '
                     f'of positive sizes; got {level_shapes!r}.')
  return shapes


def _check_strides(strides, num_levels):
  """`strides` as a list of `num_levels` positive Python ints."""
  if not isinstance(strides, (list, tuple)) or len(strides) != num_levels:
    raise ValueError(f'Argument `strides` must be a list of {num_levels} positive integers '
                     f'(one per level of `level_shapes`); got {strides!r}.')
  return [validation.check_integer(stride, f'strides[{level}]', minimum=1)
          for level, stride in enumerate(strides)]
