"""Builders of ready flows: `glow`, `nice`, `realnvp`, `flowpp`.

Each builder takes only JSON-serialisable keyword arguments (so a Keras model
can store the builder's name and kwargs and rebuild the flow) and returns a
`tfb.Bijector` whose `inverse` maps data to a flat latent vector, ready for
`tfd.TransformedDistribution(base, flow)` with a vector base of size
`prod(image_shape)` (or `event_size`). The image flows (`glow`, `flowpp`)
return their latent per level instead with `latent_structure='levels'`: a
list of images `[..., H_l, W_l, C_l]` (`latent_level_shapes`), for a base
over that structure (`ConvolutionalGaussianBernoulliRBM(...,
event_structure='levels')`). The same `seed` gives the same initial
parameters. Every variable exists once the builder returns (each
`MaskedCoupling` builds its conditioner), so `trainable_variables` and
`tf.train.Checkpoint` see all of them; ActNorm layers initialise from the
first finite batch passed to `inverse` (or `log_prob`).

Every argument is checked at construction (a `ValueError` or, for `dtype`, a
`TypeError` naming it; float16 and bfloat16 are refused), and data of another
event shape than the flow was built for is refused statically by `inverse`,
naming the builder's argument (`image_shape` or `event_size`).

The three flows differ in the masks and the inner bijectors of their
`MaskedCoupling`s: NICE shifts, Glow shifts and scales by `sigmoid(h + 2)`,
Flow++ applies a mixture-of-logistics CDF
(`MixtureLogisticCDF.from_conditioner_output`).

The defaults are the papers' sizes; tests use small ones.
"""

import functools
import inspect

import numpy as np
import tensorflow as tf
from tensorflow_probability import bijectors as tfb

from tfp_rbm import bijectors
from tfp_rbm import networks
from tfp_rbm.bijectors import identity_hashed
from tfp_rbm.bijectors import validation

__all__ = ['flowpp', 'glow', 'latent_level_shapes', 'nice', 'realnvp']

# The forms of an image flow's latent: one vector, or one image per level.
_LATENT_STRUCTURES = ('flat', 'levels')


def _seeds(seed, count):
  """`count` reproducible integer seeds derived from `seed`."""
  return iter(int(s) for s in
              np.random.SeedSequence(seed).generate_state(count) % (2**31))


def _flatten(image_shape, validate_args):
  shape = tf.TensorShape(image_shape)
  return tfb.Reshape(event_shape_out=shape,
                     event_shape_in=[shape.num_elements()],
                     validate_args=validate_args)


class _EventShapeCheck(identity_hashed.IdentityHashed, tfb.Bijector):
  """The identity, which refuses an `arg` of another event shape than the flow's.

  At the data end of a flow it checks `inverse`'s `y`, at the latent end
  `forward`'s `x`. Without it, a wrong size surfaces inside some layer
  (after a squeeze), under that layer's name and shape, or as a bare
  broadcasting error. Static, so free at run time.
  """

  def __init__(self, event_shape, arg, builder, source, validate_args):
    parameters = dict(locals())
    self._event_shape = tf.TensorShape(event_shape)
    self._arg = arg
    self._builder = builder
    self._source = source
    super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True,
                     validate_args=validate_args, parameters=parameters,
                     name=f'{builder}_{arg}_shape')

  def _check(self, value, arg):
    if arg == self._arg:
      validation.check_event_shape(value, self._event_shape, arg,
                                   self._builder, source=self._source)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  # New tensors, not the input: TFP's cache would keep an input that is its
  # own output alive forever.
  def _forward(self, x):
    self._check(x, 'x')
    return tf.identity(x)

  def _inverse(self, y):
    self._check(y, 'y')
    return tf.identity(y)

  def _forward_log_det_jacobian(self, x):
    self._check(x, 'x')
    return tf.zeros([], x.dtype)

  def _inverse_log_det_jacobian(self, y):
    self._check(y, 'y')
    return tf.zeros([], y.dtype)


def _checked_shapes(flow, data_shape, builder, source, validate_args):
  """`flow` between checks of its data (`y`) and latent (`x`) event shapes."""
  latent_size = int(np.prod(data_shape))
  latent_source = source if len(data_shape) == 1 else f'(the size of {source[1:-1]})'
  return tfb.Chain(
      [_EventShapeCheck(data_shape, 'y', builder, source, validate_args), flow,
       _EventShapeCheck([latent_size], 'x', builder, latent_source, validate_args)],
      validate_args=validate_args, name=builder)


def _checked_levels(flow, data_shape, level_shapes, builder, validate_args):
  """`flow` (latent per level) between checks of its data and of each level's shape."""
  source = '(`image_shape`)'
  checks = [_EventShapeCheck(shape, 'x', builder,
                             f'(level {level} of `latent_level_shapes`)', validate_args)
            for level, shape in enumerate(level_shapes)]
  return _LevelsChain(
      [_EventShapeCheck(data_shape, 'y', builder, source, validate_args), flow,
       tfb.JointMap(checks, validate_args=validate_args)],
      level_shapes, builder, validate_args=validate_args, name=builder)


# The class `tfb.Chain` builds around bijectors that are not composite tensors
# (ours hold Keras layers), as every flow here is: not a `CompositeTensor`.
_PlainChain = type(tfb.Chain([_EventShapeCheck([1], 'x', 'glow', '', False)]))


class _LevelsChain(_PlainChain):
  """A `tfb.Chain` whose latent is a list of levels: a wrong list is refused by name.

  TFP would refuse a list of another length in `forward` with a bare
  structure mismatch; this names `x`, the levels expected and those given.
  """

  def __init__(self, bijectors, level_shapes, builder, validate_args, name):
    # Tuples: a list attribute would be wrapped for tracking.
    self._level_shapes = tuple(tuple(int(d) for d in shape) for shape in level_shapes)
    self._builder = builder
    super().__init__(bijectors, validate_args=validate_args, name=name)

  @property
  def latent_level_shapes(self):
    """The levels `[H_l, W_l, C_l]` of the latent, in order."""
    return [list(shape) for shape in self._level_shapes]

  def _check_levels(self, x):
    if not isinstance(x, (list, tuple)) or len(x) != len(self._level_shapes):
      given = (f'a list of {len(x)}' if isinstance(x, (list, tuple))
               else f'one {type(x).__name__}')
      raise ValueError(
          f'Argument `x` of {self._builder} (latent_structure=\'levels\') must be a list '
          f'of {len(self._level_shapes)} levels of shapes [..., H, W, C] '
          f'{self.latent_level_shapes}; got {given}.')

  def forward(self, x, name='forward', **kwargs):
    self._check_levels(x)
    return super().forward(x, name=name, **kwargs)

  def forward_log_det_jacobian(self, x, event_ndims=None, name='forward_log_det_jacobian',
                               **kwargs):
    self._check_levels(x)
    return super().forward_log_det_jacobian(x, event_ndims=event_ndims, name=name, **kwargs)


def _check_latent_structure(latent_structure, builder):
  if latent_structure not in _LATENT_STRUCTURES:
    raise ValueError(f"Argument `latent_structure` of {builder} must be 'flat' or 'levels'; "
                     f'got {latent_structure!r}.')


def _check_sizes(builder, minimum=1, **sizes):
  for arg, value in sizes.items():
    validation.check_positive_int(value, arg, builder, minimum=minimum)


def _parity_mask(event_size, parity):
  """NICE's partition: the positions `i % 2 == parity` condition."""
  return np.arange(event_size) % 2 == parity


def _channel_mask(image_shape, parity):
  """The first (`parity=0`) or second half of the channels conditions."""
  first_half = np.arange(image_shape[-1]) < image_shape[-1] // 2
  return np.broadcast_to(first_half if parity == 0 else ~first_half,
                         image_shape)


def _checkerboard_mask(image_shape, parity):
  """The pixels with `(h + w) % 2 == parity` condition, all channels."""
  height, width, _ = image_shape
  rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing='ij')
  return np.broadcast_to(((rows + cols) % 2 == parity)[..., np.newaxis],
                         image_shape)


def _nice_shift(output):
  """NICE's additive coupling: data -> latent is `x_B + m(x_A)`."""
  return tfb.Invert(tfb.Shift(output))


def _glow_affine(output):
  """Glow's affine coupling: data -> latent is `(x_B + shift) * scale`.

  With `[shift, h] = output` and `scale = sigmoid(h + 2)`: the `+ 2` makes a
  zero-initialised network start near the identity, and every scale lies in
  (0, 1), so the data -> latent direction cannot blow up (the latent ->
  data one divides by the scale).
  """
  shift, pre_scale = tf.split(output, 2, axis=-1)
  return tfb.Invert(tfb.Chain([
      tfb.Scale(log_scale=tf.math.log_sigmoid(pre_scale + 2.)),
      tfb.Shift(shift)]))


def _check_image_shape(image_shape, num_squeezes, builder):
  """Raises a `ValueError` unless `num_squeezes` halvings of H, W fit."""
  if len(image_shape) != 3 or min(image_shape) < 1:
    raise ValueError(f'Argument `image_shape` of {builder} must be three '
                     f'positive sizes [H, W, C], got {list(image_shape)}.')
  factor = 2**num_squeezes
  if image_shape[0] % factor or image_shape[1] % factor:
    raise ValueError(f'Argument `image_shape` of {builder} must have a height '
                     f'and width divisible by {factor} (one halving per '
                     f'squeeze), got {list(image_shape)}.')


def glow(image_shape=(28, 28, 1), num_levels=2, num_steps=8,
         hidden_channels=512, seed=0, dtype='float32', validate_args=False,
         latent_structure='flat'):
  """Glow (Kingma & Dhariwal, 2018) with every latent kept, as EB-and-Flow.

  Level `l` (data -> latent): `Squeeze`, then `num_steps` steps of
  `ActNorm`, `Invertible1x1Conv` and Glow's affine `MaskedCoupling` (the
  first half of the channels conditions, through a `ConvNet` with
  `hidden_channels`); half the channels are factored out after every level
  but the last (`multiscale`). Defaults: EB-and-Flow's MNIST model, 2 levels
  of 8 steps with 512 hidden channels (Grathwohl et al., 2020, App. A.1).

  Args:
    image_shape: `[H, W, C]`; `H` and `W` divisible by `2**num_levels`.
    num_levels: `int`, number of levels (squeezes).
    num_steps: `int`, flow steps per level.
    hidden_channels: `int`, width of the coupling networks.
    seed: `int`, seed of the rotations and network weights.
    dtype: `'float32'` or `'float64'`.
    validate_args: `bool`, passed to every bijector (finite inputs).
    latent_structure: `'flat'`: the latent is one vector; `'levels'`: the
      list of the factored-out latents, `[..., H_l, W_l, C_l]` each
      (`latent_level_shapes('glow', ...)`); `forward` takes such a list.

  Returns:
    A `tfb.Bijector`: `inverse` maps `[..., H, W, C]` to `[..., H*W*C]`, or
    to the list of levels.

  Raises:
    ValueError: if a size is below 1, `image_shape` is not `[H, W, C]`
      with `H` and `W` divisible by `2**num_levels`, or `latent_structure`
      is not `'flat'` or `'levels'`; for `'levels'`, `forward` given a list
      of another length, or a level of another shape (naming `x`).
    TypeError: if `dtype` is not float32 or float64.

  #### Examples

  ```python
  flow = glow(image_shape=[32, 32, 3], num_levels=3, latent_structure='levels')
  [z.shape for z in flow.inverse(images)]  # [N, 16, 16, 6], [N, 8, 8, 12], [N, 4, 4, 48]
  ```

  #### References

  [1]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039
  [2]: Will Grathwohl, Xuechen Li, Kevin Swersky, Milad Hashemi, Joern-Henrik
       Jacobsen, Mohammad Norouzi, Geoffrey Hinton. Scaling RBMs to High
       Dimensional Data with Invertible Neural Networks (EB-and-Flow), 2020.
  """
  validation.supported_dtype(dtype, 'dtype', 'glow')
  _check_latent_structure(latent_structure, 'glow')
  _check_sizes('glow', num_levels=num_levels, num_steps=num_steps,
               hidden_channels=hidden_channels)
  _check_image_shape(image_shape, num_levels, 'glow')
  seeds = _seeds(seed, 2 * num_levels * num_steps)
  levels = []
  height, width, channels = image_shape
  for level in range(num_levels):
    height, width, channels = height // 2, width // 2, 4 * channels
    steps = []
    for step in range(num_steps):
      conditioner = networks.ConvNet(
          output_channels=channels, hidden_channels=hidden_channels,
          seed=next(seeds), dtype=dtype, name=f'glow_net_{level}_{step}')
      steps += [
          bijectors.ActNorm(num_channels=channels, dtype=dtype,
                            validate_args=validate_args),
          bijectors.Invertible1x1Conv(num_channels=channels, seed=next(seeds),
                                      dtype=dtype,
                                      validate_args=validate_args),
          bijectors.MaskedCoupling(
              _channel_mask([height, width, channels], parity=0),
              conditioner, _glow_affine, validate_args=validate_args),
      ]
    levels.append(tfb.Chain(
        [bijectors.Squeeze(validate_args=validate_args)] + steps,
        validate_args=validate_args, name=f'glow_level_{level}'))
    channels //= 2
  flow = bijectors.multiscale(levels, image_shape, validate_args=validate_args,
                              latent_structure=latent_structure)
  if latent_structure == 'levels':
    return _checked_levels(flow, image_shape, latent_level_shapes(
        'glow', image_shape=list(image_shape), num_levels=num_levels), 'glow', validate_args)
  return _checked_shapes(flow, image_shape, 'glow', '(`image_shape`)',
                         validate_args)


def latent_level_shapes(builder, **builder_kwargs):
  """The spatial latents `[H_l, W_l, C_l]` an image flow concatenates, in order.

  `glow` factors out half the channels after every level but the last
  (`multiscale`): level `l` of `L` gives `[H / 2^(l+1), W / 2^(l+1), 2^(2l+1) C]`
  and the last level keeps all `4^L C / 2^(L-1)` channels. `flowpp` has one
  level, `[H / 2, W / 2, 4 C]`. The flat latent vector that `inverse` returns
  is these levels flattened (row-major) and concatenated in this order, the
  layout `ConvolutionalGaussianBernoulliRBM(level_shapes=...)` reads, so the
  convolutional base sees each level as an image again.

  #### Examples

  ```python
  latent_level_shapes('glow', image_shape=[32, 32, 3], num_levels=3)
  # [[16, 16, 6], [8, 8, 12], [4, 4, 48]]: EB-and-Flow's CIFAR-10 latents
  ```

  Args:
    builder: `'glow'` or `'flowpp'`.
    **builder_kwargs: the builder's keyword arguments (those other than
      `image_shape` and `num_levels` are ignored); missing ones take the
      builder's defaults.

  Returns:
    A list of `[H_l, W_l, C_l]` lists.

  Raises:
    ValueError: naming `builder` for a flow without spatial latents (`nice`,
      `realnvp`),
      or the builder's own error for a bad `image_shape` or `num_levels`.
  """
  builders = {'glow': glow, 'flowpp': flowpp}
  if builder not in builders:
    raise ValueError(f'Argument `builder` must be one of {sorted(builders)} (flows with '
                     f'spatial latents); got {builder!r}.')
  defaults = {name: parameter.default for name, parameter
              in inspect.signature(builders[builder]).parameters.items()}
  image_shape = list(builder_kwargs.get('image_shape', defaults['image_shape']))
  if builder == 'flowpp':
    _check_image_shape(image_shape, 1, builder)
    return [[image_shape[0] // 2, image_shape[1] // 2, 4 * image_shape[2]]]
  num_levels = builder_kwargs.get('num_levels', defaults['num_levels'])
  _check_sizes(builder, num_levels=num_levels)
  _check_image_shape(image_shape, num_levels, builder)
  height, width, channels = image_shape
  shapes = []
  for level in range(num_levels):
    height, width, channels = height // 2, width // 2, 4 * channels
    last = level == num_levels - 1
    shapes.append([height, width, channels if last else channels // 2])
    channels //= 2
  return shapes


def _vector_couplings(builder, inner_bijector, outputs_per_element, event_size,
                      num_coupling_layers, hidden_units, num_hidden_layers, seed,
                      dtype, validate_args, zero_init_output):
  """Couplings of alternating parity with `MLP` conditioners, then NICE's scaling.

  The shared body of `nice` and `realnvp`: they differ only in each
  coupling's inner bijector (`inner_bijector`, built from the network's
  output, `outputs_per_element` values per transformed element) and in
  whether the networks' output layers start at zero.
  """
  validation.supported_dtype(dtype, 'dtype', builder)
  _check_sizes(builder, event_size=event_size, minimum=2)
  _check_sizes(builder, num_coupling_layers=num_coupling_layers,
               hidden_units=hidden_units)
  _check_sizes(builder, num_hidden_layers=num_hidden_layers, minimum=0)
  seeds = _seeds(seed, num_coupling_layers)
  couplings = []
  for layer in range(num_coupling_layers):
    parity = layer % 2
    num_transformed = (event_size + parity) // 2
    couplings.append(bijectors.MaskedCoupling(
        _parity_mask(event_size, parity),
        networks.MLP(output_units=outputs_per_element * num_transformed,
                     hidden_units=hidden_units,
                     num_hidden_layers=num_hidden_layers,
                     zero_init_output=zero_init_output, seed=next(seeds),
                     dtype=dtype, name=f'{builder}_net_{layer}'),
        inner_bijector, validate_args=validate_args))
  scale = tfb.Scale(
      log_scale=tf.Variable(tf.zeros([event_size], dtype), name='log_scale'),
      validate_args=validate_args)
  flow = tfb.Chain(couplings + [scale], validate_args=validate_args)
  return _checked_shapes(flow, [event_size], builder, '(`event_size`)',
                         validate_args)


def nice(event_size=784, num_coupling_layers=4, hidden_units=1000,
         num_hidden_layers=5, seed=0, dtype='float32', validate_args=False):
  """NICE (Dinh et al., 2014) over vectors: additive couplings, then scaling.

  Data -> latent: `num_coupling_layers` additive `MaskedCoupling`s with
  alternating parity, each with an `MLP` of `num_hidden_layers` ReLU layers
  of `hidden_units`, then NICE's diagonal scaling `X = Y * exp(-log_scale)`
  (`tfb.Scale` with a zero-initialised variable `log_scale`; NICE's `S` is
  `exp(-log_scale)`, Sec. 3.3). Defaults: NICE's MNIST model (4
  couplings, 5 hidden layers of 1000 units). Images are flattened by the
  caller (`tf.reshape(x, [-1, 784])`); the flow's data side is a vector.
  Only the final scaling changes volume: the couplings preserve it
  everywhere (`realnvp` is the same flow with volume-changing couplings).

  Args:
    event_size: `int`, dimension of the (flattened) data.
    num_coupling_layers: `int`.
    hidden_units: `int`, width of the coupling networks.
    num_hidden_layers: `int`, hidden layers per coupling network.
    seed: `int`, seed of the network weights.
    dtype: `'float32'` or `'float64'`.
    validate_args: `bool`, passed to every bijector (finite inputs).

  Returns:
    A `tfb.Bijector` on vectors of size `event_size`.

  Raises:
    ValueError: if `event_size < 2` or another size is below 1 (0 for
      `num_hidden_layers`).
    TypeError: if `dtype` is not float32 or float64.

  #### References

  [1]: Laurent Dinh, David Krueger, Yoshua Bengio. NICE: Non-linear
       Independent Components Estimation. https://arxiv.org/abs/1410.8516
  """
  return _vector_couplings('nice', _nice_shift, 1, event_size,
                           num_coupling_layers, hidden_units, num_hidden_layers,
                           seed, dtype, validate_args, zero_init_output=False)


def realnvp(event_size=784, num_coupling_layers=4, hidden_units=1000,
            num_hidden_layers=5, seed=0, dtype='float32', validate_args=False):
  """RealNVP's affine couplings (Dinh et al., 2017) over vectors, then scaling.

  `nice` with Glow's affine coupling in place of the additive one: data ->
  latent, each coupling maps the transformed half to
  `(x_B + shift(x_A)) * sigmoid(h(x_A) + 2)`, so the flow's volume change
  depends on the data (`log|det| = sum log sigmoid(h + 2)` per coupling),
  which NICE's couplings cannot do. The scale is Glow's bounded form of
  RealNVP's `exp(s)` (every factor in (0, 1): the data -> latent
  direction, training's, only shrinks; sampling divides by it).
  Alternating parity, one `MLP` per coupling, and the same final
  `tfb.Scale` as `nice`; each network's output layer starts at zero, as
  Glow's, so every coupling starts as the scaling by `sigmoid(2)`. TFP's `tfb.RealNVP` couples a fixed first block of
  dimensions with an unbounded `exp` scale; this one alternates the
  halves, as NICE does, so the two flows differ only in the coupling.

  Takes `nice`'s arguments, returns a `tfb.Bijector` on vectors of size
  `event_size`, and raises `nice`'s errors, named `realnvp`.

  #### Examples

  ```python
  flow = tfp_rbm.flows.realnvp(event_size=64, hidden_units=64,
                               num_hidden_layers=2)
  model = tfd.TransformedDistribution(tfd.Normal(tf.zeros(64), 1.), flow)
  ```

  #### References

  [1]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803
  """
  return _vector_couplings('realnvp', _glow_affine, 2, event_size,
                           num_coupling_layers, hidden_units, num_hidden_layers,
                           seed, dtype, validate_args, zero_init_output=True)


def flowpp(image_shape=(28, 28, 1), num_components=32, hidden_channels=96,
           num_blocks=10, num_checkerboard_steps=4, num_channel_steps=2,
           num_final_steps=3, seed=0, dtype='float32', validate_args=False,
           latent_structure='flat'):
  """A Flow++-style flow of mixture-of-logistics CDF couplings (RBM-Flow).

  Data -> latent: `num_checkerboard_steps` checkerboard couplings at full
  resolution, `Squeeze`, `num_channel_steps` channel couplings, then
  `num_final_steps` checkerboard couplings at the squeezed resolution; each
  step is `ActNorm`, `Invertible1x1Conv` (where there is more than one
  channel) and a `MaskedCoupling` of `MixtureLogisticCDF`s set by a
  `GatedResidualConvNet`, the mask parity alternating. The latent is
  flattened to a vector, or (`latent_structure='levels'`) kept as a list of
  its one level, `[[..., H/2, W/2, 4C]]`. Defaults: Flow++'s CIFAR-10 model in its released
  code (32 logistics, 96 hidden channels, 10 blocks; 4 checkerboard, 2
  channel, 3 checkerboard steps). Flow++ splits
  the checkerboard into two half-size tensors; here the conditioner reads the
  masked image instead. RBM-Flow drops attention and dropout (O'Connor &
  Vinci, 2021, App. A), and so do we.

  Args:
    image_shape: `[H, W, C]` with even `H` and `W`.
    num_components: `int`, logistics per element.
    hidden_channels: `int`, width of the gated residual networks.
    num_blocks: `int`, gated residual blocks per network.
    num_checkerboard_steps: `int`, steps before the squeeze.
    num_channel_steps: `int`, channel-mask steps after the squeeze.
    num_final_steps: `int`, checkerboard steps after those.
    seed: `int`, seed of the rotations and network weights.
    dtype: `'float32'` or `'float64'`.
    validate_args: `bool`, passed to every bijector (finite inputs).
    latent_structure: `'flat'` (one vector) or `'levels'` (a list of one
      image `[..., H/2, W/2, 4C]`), as in `glow`.

  Returns:
    A `tfb.Bijector`: `inverse` maps `[..., H, W, C]` to `[..., H*W*C]`
    (or to `[[..., H/2, W/2, 4C]]`).

  Raises:
    ValueError: if `image_shape` is not `[H, W, C]` with even `H` and `W`,
      a size is below 1 (a number of steps or blocks below 0), or
      `latent_structure` is not `'flat'` or `'levels'`.
    TypeError: if `dtype` is not float32 or float64.

  #### References

  [1]: Jonathan Ho, Xi Chen, Aravind Srinivas, Yan Duan, Pieter Abbeel.
       Flow++: Improving Flow-Based Generative Models with Variational
       Dequantization and Architecture Design. https://arxiv.org/abs/1902.00275
  [2]: Daniel O'Connor, Walter Vinci. RBM-Flow and D-Flow: Invertible Flows
       with Discrete Energy Base Spaces, 2021.
  """
  validation.supported_dtype(dtype, 'dtype', 'flowpp')
  _check_latent_structure(latent_structure, 'flowpp')
  _check_sizes('flowpp', num_components=num_components,
               hidden_channels=hidden_channels)
  _check_sizes('flowpp', minimum=0, num_blocks=num_blocks,
               num_checkerboard_steps=num_checkerboard_steps,
               num_channel_steps=num_channel_steps,
               num_final_steps=num_final_steps)
  _check_image_shape(image_shape, 1, 'flowpp')
  height, width, channels = image_shape
  num_steps = num_checkerboard_steps + num_channel_steps + num_final_steps
  seeds = _seeds(seed, 2 * num_steps)
  params_per_element = 3 * num_components + 2
  mixture = functools.partial(
      bijectors.MixtureLogisticCDF.from_conditioner_output,
      num_components=num_components)

  def step(index, shape, checkerboard, parity):
    channels = shape[-1]
    if checkerboard:
      mask, transformed = _checkerboard_mask(shape, parity), channels
    else:
      mask, transformed = _channel_mask(shape, parity), channels // 2
    conditioner = networks.GatedResidualConvNet(
        output_channels=transformed * params_per_element,
        hidden_channels=hidden_channels, num_blocks=num_blocks,
        seed=next(seeds), dtype=dtype, name=f'flowpp_net_{index}')
    rotation_seed = next(seeds)
    layers = [bijectors.ActNorm(num_channels=channels, dtype=dtype,
                                validate_args=validate_args)]
    if channels > 1:
      layers.append(bijectors.Invertible1x1Conv(
          num_channels=channels, seed=rotation_seed, dtype=dtype,
          validate_args=validate_args))
    layers.append(bijectors.MaskedCoupling(
        mask, conditioner, mixture,
        validate_args=validate_args))
    return layers

  latent_shape = [height // 2, width // 2, 4 * channels]
  layers = []
  for i in range(num_checkerboard_steps):
    layers += step(len(layers), image_shape, True, i % 2)
  layers.append(bijectors.Squeeze(validate_args=validate_args))
  for i in range(num_channel_steps):
    layers += step(len(layers), latent_shape, False, i % 2)
  for i in range(num_final_steps):
    layers += step(len(layers), latent_shape, True, i % 2)
  if latent_structure == 'levels':
    # The one level as a list of one image: `Split` into one part is the identity.
    flow = tfb.Chain(layers + [tfb.Invert(tfb.Split(1, axis=-1, validate_args=validate_args))],
                     validate_args=validate_args)
    return _checked_levels(flow, image_shape, [latent_shape], 'flowpp', validate_args)
  flow = tfb.Chain(layers + [_flatten(latent_shape, validate_args)],
                   validate_args=validate_args)
  return _checked_shapes(flow, image_shape, 'flowpp', '(`image_shape`)',
                         validate_args)
