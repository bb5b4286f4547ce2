"""Bases and flows built from JSON-serializable specs, so Keras can save them.

A spec is a dict: `{'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 512}` for
a base, `{'builder': 'nice', 'num_coupling_layers': 4}` for a flow. The
`FlowModel` stores specs in its config and rebuilds the same objects on
load; the variables' values come from the saved weights.
"""

import inspect

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import distributions
from tfp_rbm import flows

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ['BASE_KINDS', 'FLOW_BUILDERS', 'base_awaits_initialization', 'build_base',
           'build_flow', 'eb_and_flow_cifar10', 'flow_event_size', 'flow_latent_level_shapes',
           'initialize_base']


def _positive_scale_variable(initial):
  """A trainable positive `scale`: softplus of a variable, floored at the dtype's eps."""
  return tfp.util.TransformedVariable(
      initial, tfb.Softplus(low=np.finfo(initial.dtype.as_numpy_dtype).eps), name='scale')


def _gaussian_bernoulli_rbm(event_size, num_hidden, dtype, seed, weight_scale=0.01,
                            max_enumeration_bits=20):
  """`GaussianBernoulliRBM`: `W ~ N(0, weight_scale^2)`, zero biases, unit scale (trainable)."""
  rng = np.random.default_rng(seed)
  return distributions.GaussianBernoulliRBM(
      weights=tf.Variable(rng.normal(scale=weight_scale, size=[event_size, num_hidden]),
                          dtype=dtype, name='weights'),
      visible_bias=tf.Variable(tf.zeros([event_size], dtype), name='visible_bias'),
      hidden_bias=tf.Variable(tf.zeros([num_hidden], dtype), name='hidden_bias'),
      scale=_positive_scale_variable(tf.ones([event_size], dtype)),
      max_enumeration_bits=max_enumeration_bits)


def _labeled_gaussian_bernoulli_rbm(event_size, num_hidden, num_classes, dtype, seed,
                                    weight_scale=0.01, class_unit_strength=None,
                                    max_enumeration_bits=20):
  """`LabeledGaussianBernoulliRBM` with `num_classes` labels, one hidden unit per class.

  With `class_unit_strength = s > 0` (default `3 sqrt(D)`) hidden unit `y`
  belongs to class `y` (for `y < min(K, H)`): `U_yj = s [j = y]`,
  `c_j = -s/2`, its weights `W_:y ~ N(0, D^(-1/2))` (norm about `D^(1/4)`).
  The label then turns its unit on and the other classes' off (input
  `+-s/2` each), so from the first step `p(z | y)` is near a Gaussian of
  mean `b + sigma W_:y` (FlowGMM's random class means, closer together) and
  `p(y | z) = softmax_y(g(W_:y^T z / sigma))` with
  `g(a) = softplus(a + s/2) - softplus(a - s/2)`, linear between `-s/2` and
  `s/2` (`1.5 D^(1/4)` standard deviations of `a` for standardised `z`,
  4 on the 8x8 digits, 8 on Fashion-MNIST): a linear classifier whose
  gradients reach the flow. `s = 8 D^(1/4)`, 4 standard deviations at
  every `D`, reached 0.43-0.47 test accuracy on Fashion-MNIST at 1,000
  labels in 15 s, `s = 84` 0.60-0.71 (FlowGMM 0.69). The norm grows
  with `D` so that the class term still pulls the latents in 784
  dimensions (norm 1 learnt the digits, 64, but not Fashion-MNIST; norm
  `sqrt(D)`, FlowGMM's, collapsed on both). From the symmetric start
  (`U ~ N(0, weight_scale^2)`, `class_unit_strength=0`) the label units
  barely move while the flow trains (issue 18: 0.36 accuracy on the
  digits where this start reaches FlowGMM's). The other units:
  `W ~ N(0, weight_scale^2)`, `U` and `c` zero. Zero `b` and `d`, unit
  scale (trainable), as `gaussian_bernoulli_rbm`; `FlowModel.initialize`
  then standardises `b` and `sigma` on the latents (`initialize_base`).
  The weight of the labelled term in training is the `FlowModel`'s
  `label_weight`.
  """
  if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or (
      num_classes < 1):
    raise ValueError("Argument `base`: kind 'labeled_gaussian_bernoulli_rbm' needs "
                     f'`num_classes`, a positive int; got {num_classes!r}.')
  if class_unit_strength is None:
    class_unit_strength = 3. * event_size ** 0.5
  if isinstance(class_unit_strength, bool) or not isinstance(
      class_unit_strength, (int, float, np.integer, np.floating)) or not (
          np.isfinite(class_unit_strength) and class_unit_strength >= 0):
    raise ValueError("Argument `base`: kind 'labeled_gaussian_bernoulli_rbm' needs a finite "
                     f'`class_unit_strength` >= 0; got {class_unit_strength!r}.')
  num_classes = int(num_classes)
  rng = np.random.default_rng(seed)
  weights = rng.normal(scale=weight_scale, size=[event_size, num_hidden])
  if class_unit_strength > 0:
    units = min(num_classes, num_hidden)
    weights[:, :units] = rng.normal(scale=event_size ** -0.25, size=[event_size, units])
    label_weights = np.zeros([num_classes, num_hidden])
    label_weights[:units, :units] = class_unit_strength * np.eye(units)
    hidden_bias = np.zeros([num_hidden])
    hidden_bias[:units] = -class_unit_strength / 2.
  else:
    label_weights = rng.normal(scale=weight_scale, size=[num_classes, num_hidden])
    hidden_bias = np.zeros([num_hidden])
  return distributions.LabeledGaussianBernoulliRBM(
      weights=tf.Variable(weights, dtype=dtype, name='weights'),
      visible_bias=tf.Variable(tf.zeros([event_size], dtype), name='visible_bias'),
      hidden_bias=tf.Variable(hidden_bias, dtype=dtype, name='hidden_bias'),
      scale=_positive_scale_variable(tf.ones([event_size], dtype)),
      label_weights=tf.Variable(label_weights, dtype=dtype, name='label_weights'),
      label_bias=tf.Variable(tf.zeros([num_classes], dtype), name='label_bias'),
      max_enumeration_bits=max_enumeration_bits)


def _center_labeled_gaussian_bernoulli_rbm(base, z):
  """`b = mean(z)`, `sigma = std(z)`, `c` moved so the hidden inputs keep their start.

  `c_j + (W^T (z / sigma))_j` becomes `c0_j + (W^T ((z - b) / sigma))_j`,
  `c0 = c + W^T (b_0 / sigma_0)` the builder's (centred) hidden bias: the
  class units' inputs `+-s/2` are centred on the data, not offset by the
  latents' mean. `initialize_base` calls it only on a machine still at the
  builder's start (`_labeled_at_start`: zero `b`, unit `sigma`), so a
  trained one is left alone.
  """
  visible_bias, scale = base.visible_bias, base.scale
  z = tf.reshape(tf.cast(z, base.dtype), [-1, base.event_shape[-1]])
  std = tf.math.reduce_std(z, axis=0)
  if z.shape[0] < 2 or not np.all(np.isfinite(z.numpy())) or not tf.reduce_max(std) > 0:
    return  # One example, or no finite spread: nothing to standardise by.
  mean = tf.reduce_mean(z, axis=0)
  new_scale = tf.maximum(std, 1e-3 * tf.reduce_max(std))  # A constant unit: not sigma = 0.
  base.hidden_bias.assign_sub(tf.linalg.matvec(base.weights, mean / new_scale, transpose_a=True))
  visible_bias.assign(mean)
  scale.assign(new_scale)


def _labeled_at_start(base):
  """Whether the labelled RBM is still at its builder's start: zero `b`, unit `sigma`."""
  # The softplus round trip of a unit scale need not give exactly 1.
  return bool(np.all(tf.convert_to_tensor(base.visible_bias).numpy() == 0)
              and np.allclose(tf.convert_to_tensor(base.scale).numpy(), 1., rtol=0., atol=1e-6))


def _class_conditional_gaussian_mixture(event_size, num_classes, dtype, seed, mean_scale=1.,
                                        initial_scale=1., trainable_scale=True,
                                        isotropic=False):
  """FlowGMM's base: `ClassConditionalGaussianMixture` with a uniform class prior.

  Trainable means `mu_y ~ N(0, mean_scale^2)` (per unit) and scales from
  `initial_scale` (trainable unless `trainable_scale=False`, softplus): one
  per class and dimension (`[K, D]`), or with `isotropic=True` one per
  class (`[K, 1]`), as the FlowGMM authors' `SSLGaussMixture`
  (izmailovpavel/flowgmm) keeps them. Exact: a `FlowModel` trains it on the
  exact semi-supervised NLL.
  """
  if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or (
      num_classes < 1):
    raise ValueError("Argument `base`: kind 'class_conditional_gaussian_mixture' needs "
                     f'`num_classes`, a positive int; got {num_classes!r}.')
  if not (isinstance(initial_scale, (int, float)) and initial_scale > 0):
    raise ValueError("Argument `base`: kind 'class_conditional_gaussian_mixture' needs a "
                     f'positive `initial_scale`; got {initial_scale!r}.')
  for name, flag in (('trainable_scale', trainable_scale), ('isotropic', isotropic)):
    if not isinstance(flag, (bool, np.bool_)):
      raise ValueError("Argument `base`: kind 'class_conditional_gaussian_mixture' needs a "
                       f'bool `{name}`; got {flag!r}.')
  rng = np.random.default_rng(seed)
  loc = rng.normal(scale=mean_scale, size=[int(num_classes), event_size])
  scale = tf.fill([int(num_classes), 1 if isotropic else event_size],
                  tf.constant(initial_scale, dtype))
  if trainable_scale:
    scale = _positive_scale_variable(scale)
  return distributions.ClassConditionalGaussianMixture(
      loc=tf.Variable(loc, dtype=dtype, name='loc'), scale=scale)


def _convolutional_gaussian_bernoulli_rbm(event_size, dtype, seed, latent_level_shapes,
                                          kernel_sizes, strides, num_filters=100,
                                          level_shapes=None, padding='SAME', weight_scale=0.01,
                                          max_enumeration_bits=20, event_structure=None):
  """`ConvolutionalGaussianBernoulliRBM` (EB-and-Flow App. B) over an image flow's latents.

  `level_shapes` defaults to the flow's (`flows.latent_level_shapes` of a
  `glow` or `flowpp` flow spec); one filter bank `[k, k, C_l, num_filters]`
  per level with `kernel_sizes[l]` and `strides[l]`, `~ N(0, weight_scale^2)`;
  zero biases (one hidden bias per filter), unit scale (trainable).
  `event_structure` defaults to `'levels'` under a `glow`/`flowpp` flow spec
  (the flow then returns its latent per level, `latent_structure='levels'`,
  and the machine receives the list), else `'flat'`.
  """
  shapes = level_shapes if level_shapes is not None else latent_level_shapes
  if shapes is None:
    raise ValueError("Argument `base`: kind 'convolutional_gaussian_bernoulli_rbm' needs "
                     "`level_shapes`, or a `glow`/`flowpp` flow spec to read them from.")
  if event_structure is None:
    event_structure = 'levels' if latent_level_shapes is not None else 'flat'
  if event_structure not in ('flat', 'levels'):
    raise ValueError("Argument `base`: kind 'convolutional_gaussian_bernoulli_rbm' takes "
                     f"`event_structure` 'flat' or 'levels'; got {event_structure!r}.")
  if event_structure == 'levels' and latent_level_shapes is None:
    raise ValueError("Argument `base`: kind 'convolutional_gaussian_bernoulli_rbm' with "
                     "`event_structure='levels'` needs a `glow`/`flowpp` flow spec (a flow "
                     'that returns its latent per level).')
  if (event_structure == 'levels' and level_shapes is not None
      and [list(shape) for shape in level_shapes] != latent_level_shapes):
    raise ValueError(f"Argument `base`: the `level_shapes` {list(level_shapes)} are not the "
                     f"flow's latent levels {latent_level_shapes}; with "
                     "`event_structure='levels'` the machine receives the flow's levels.")
  shapes = [list(shape) for shape in shapes]
  size = int(sum(np.prod(shape) for shape in shapes))
  if size != event_size:
    raise ValueError(f"Argument `base`: the `level_shapes` {shapes} hold {size} units but "
                     f'the latent has {event_size}.')
  for arg, values in (('kernel_sizes', kernel_sizes), ('strides', strides)):
    if not isinstance(values, (list, tuple)) or len(values) != len(shapes):
      raise ValueError(f"Argument `base`: kind 'convolutional_gaussian_bernoulli_rbm' needs "
                       f'`{arg}`, one per level ({len(shapes)} levels {shapes}); got '
                       f'{values!r}.')
  rng = np.random.default_rng(seed)
  filters = [tf.Variable(rng.normal(scale=weight_scale, size=[k, k, shape[-1], num_filters]),
                         dtype=dtype, name=f'filters_{level}')
             for level, (k, shape) in enumerate(zip(kernel_sizes, shapes))]
  return distributions.ConvolutionalGaussianBernoulliRBM(
      filters=filters, strides=list(strides),
      visible_bias=tf.Variable(tf.zeros([event_size], dtype), name='visible_bias'),
      hidden_bias=tf.Variable(tf.zeros([num_filters], dtype), name='hidden_bias'),
      scale=_positive_scale_variable(tf.ones([event_size], dtype)),
      level_shapes=shapes, padding=padding, max_enumeration_bits=max_enumeration_bits,
      event_structure=event_structure)


def _bernoulli_rbm(event_size, num_hidden, dtype, seed, weight_scale=0.01,
                   max_enumeration_bits=20):
  """`BernoulliRBM` over `{0, 1}` data: `W ~ N(0, weight_scale^2)`, zero biases."""
  rng = np.random.default_rng(seed)
  return distributions.BernoulliRBM(
      weights=tf.Variable(rng.normal(scale=weight_scale, size=[event_size, num_hidden]),
                          dtype=dtype, name='weights'),
      visible_bias=tf.Variable(tf.zeros([event_size], dtype), name='visible_bias'),
      hidden_bias=tf.Variable(tf.zeros([num_hidden], dtype), name='hidden_bias'),
      max_enumeration_bits=max_enumeration_bits)


def _smoothed_rbm(event_size, dtype, seed, first_group_size=None, weight_scale=0.01,
                  initial_margin=1.0, max_enumeration_bits=20, delta=None, max_norm=None):
  """`SmoothedRBM` with `delta = B(W) + softplus(margin)`: positive definite in training.

  RBM-Flow's own recipe (O'Connor & Vinci 2021, §4): `delta=2.5` fixed (no
  `margin`; `initial_margin` is then unused), `weight_scale=0` (`J` starts
  at zero) and `max_norm=1`: the paper's "L2 normalisation of the RBM's
  weights and biases", read as keeping `W` and `field` in the L2 ball of
  radius `max_norm` (each the `tf.clip_by_norm` of its variable, a
  `tfp.util.DeferredTensor`). For `max_norm < delta` that keeps `J + delta
  I` positive definite, since `||W||_2 <= ||W||_F <= max_norm`. The paper
  also runs 200 block-Gibbs sweeps per update: `FlowModel`'s
  `num_gibbs_steps=200`.
  """
  rng = np.random.default_rng(seed)
  first = event_size // 2 if first_group_size is None else first_group_size
  for arg, value in (('delta', delta), ('max_norm', max_norm)):
    if value is not None and (isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)) or not 0. < value < np.inf):
      raise ValueError(f"Argument `base`: kind 'smoothed_rbm' needs `{arg}` None or a "
                       f'positive finite number; got {value!r}.')
  clipped = lambda variable: variable if max_norm is None else tfp.util.DeferredTensor(
      variable, lambda value: tf.clip_by_norm(value, tf.cast(max_norm, value.dtype)))
  smoothing = (dict(delta=tf.constant(delta, dtype)) if delta is not None else dict(
      margin=tf.Variable(tf.constant(np.log(np.expm1(initial_margin)), dtype), name='margin')))
  return distributions.SmoothedRBM(
      weights=clipped(tf.Variable(
          rng.normal(scale=weight_scale, size=[first, event_size - first]), dtype=dtype,
          name='weights')),
      field=clipped(tf.Variable(tf.zeros([event_size], dtype), name='field')),
      max_enumeration_bits=max_enumeration_bits, **smoothing)


def _discrete_mixture(event_size, dtype, seed, initial_delta=1.0, trainable_delta=True):
  """`DiscreteMixture`: zero field, `delta` trainable (softplus) or fixed.

  RBM-Flow's D-Flow keeps `delta = 1` fixed (O'Connor & Vinci 2021, §4):
  `{'kind': 'discrete_mixture', 'initial_delta': 1., 'trainable_delta': False}`.
  """
  del seed
  delta = (tfp.util.TransformedVariable(tf.constant(initial_delta, dtype), tfb.Softplus(),
                                        name='delta')
           if trainable_delta else tf.constant(initial_delta, dtype))
  return distributions.DiscreteMixture(
      field=tf.Variable(tf.zeros([event_size], dtype), name='field'), delta=delta)


def _normal(event_size, dtype, seed):
  """The standard normal `N(0, I)`: the usual flow base, no parameters."""
  del seed
  return tfd.Sample(tfd.Normal(tf.constant(0., dtype), 1.), [event_size], name='Normal')


def _multivariate_normal(event_size, dtype, seed):
  """`MultivariateNormalTriL` with trainable mean and Cholesky factor (MultiCov)."""
  del seed
  return tfd.MultivariateNormalTriL(
      loc=tf.Variable(tf.zeros([event_size], dtype), name='loc'),
      scale_tril=tfp.util.TransformedVariable(
          tf.eye(event_size, dtype=dtype), tfb.FillScaleTriL(diag_shift=1e-5),
          name='scale_tril'))


BASE_KINDS = {
    'gaussian_bernoulli_rbm': _gaussian_bernoulli_rbm,
    'labeled_gaussian_bernoulli_rbm': _labeled_gaussian_bernoulli_rbm,
    'convolutional_gaussian_bernoulli_rbm': _convolutional_gaussian_bernoulli_rbm,
    'class_conditional_gaussian_mixture': _class_conditional_gaussian_mixture,
    'bernoulli_rbm': _bernoulli_rbm,
    'smoothed_rbm': _smoothed_rbm,
    'discrete_mixture': _discrete_mixture,
    'normal': _normal,
    'multivariate_normal': _multivariate_normal,
}

# Data-dependent initialisations (`initialize_base`), by kind: `(at_start, initialize)`.
BASE_INITIALIZERS = {
    'labeled_gaussian_bernoulli_rbm': (_labeled_at_start, _center_labeled_gaussian_bernoulli_rbm),
}

FLOW_BUILDERS = {
    'nice': flows.nice,
    'realnvp': flows.realnvp,
    'glow': flows.glow,
    'flowpp': flows.flowpp,
}


def build_base(spec, event_size, dtype='float32', seed=0, flow=None):
  """A base distribution over vectors of `event_size` from a spec.

  Args:
    spec: dict with `'kind'` (one of `BASE_KINDS`) and that kind's keyword
      arguments (e.g. `num_hidden`, `weight_scale`).
    event_size: size of the latent vector.
    dtype: `'float32'` or `'float64'`.
    seed: int seed of the initial weights.
    flow: the flow spec the base sits under, or None; a kind that reads the
      flow's latent levels (`convolutional_gaussian_bernoulli_rbm`) gets
      them from it.

  Returns:
    A `tfd.Distribution` whose parameters are `tf.Variable`s.

  #### Examples

  ```python
  rbm = build_base({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 16}, 64)
  ```
  """
  spec = dict(spec)
  kind = spec.pop('kind', None)
  if kind not in BASE_KINDS:
    raise ValueError(f"Unknown base kind {kind!r} in argument `base`; the known kinds are "
                     f"{sorted(BASE_KINDS)}.")
  implicit = dict(event_size=event_size, dtype=tf.as_dtype(dtype), seed=seed,
                  latent_level_shapes=flow_latent_level_shapes(flow))
  _check_keywords('base', 'kind', kind, BASE_KINDS[kind], spec, set(implicit))
  accepted = inspect.signature(BASE_KINDS[kind]).parameters
  return BASE_KINDS[kind](**{k: v for k, v in implicit.items() if k in accepted}, **spec)


def initialize_base(spec, base, z):
  """Data-dependent initialisation of a base built from `spec`, from latents `z`, eagerly.

  `FlowModel.initialize` calls it with the flow's latents of its batch, as
  ActNorm initialises from it. The labelled Gaussian-Bernoulli RBM
  standardises its visible units on `z` (`b = mean(z)`, `sigma = std(z)`,
  the hidden bias moved so the hidden inputs stay centred): the latents of
  pre-processed images are far from zero mean and unit variance, which
  would offset every hidden unit's input. Other kinds, bases given as
  objects and a machine no longer at its spec's start are left alone.

  Args:
    spec: the base spec (a dict), or a `tfd.Distribution` (nothing to do).
    base: the base `build_base(spec, ...)` returned.
    z: latents, `[N, event_size]`.

  #### Examples

  ```python
  spec = {'kind': 'labeled_gaussian_bernoulli_rbm', 'num_hidden': 16, 'num_classes': 10}
  base = build_base(spec, 64)
  initialize_base(spec, base, flow.inverse(x_batch))  # b, sigma: the latents' moments
  ```
  """
  if base_awaits_initialization(spec, base):
    BASE_INITIALIZERS[spec['kind']][1](base, z)


def base_awaits_initialization(spec, base):
  """Whether `initialize_base(spec, base, z)` would change `base`: its kind has a start, not yet left.

  `FlowModel.fit` asks it before initialising from its first examples.
  """
  initializer = BASE_INITIALIZERS.get(spec.get('kind')) if isinstance(spec, dict) else None
  return initializer is not None and initializer[0](base)


def flow_latent_level_shapes(flow):
  """The latent levels `[H_l, W_l, C_l]` of an image flow spec, else None."""
  if not isinstance(flow, dict) or flow.get('builder') not in ('glow', 'flowpp'):
    return None
  kwargs = {k: v for k, v in flow.items() if k != 'builder'}
  return flows.latent_level_shapes(flow['builder'], **kwargs)


def _check_keywords(argument, key, kind, builder, spec, implicit):
  """Raises `TypeError` naming the kind, the bad keyword and the accepted ones."""
  accepted = [name for name in inspect.signature(builder).parameters if name not in implicit]
  unknown = sorted(set(spec) - set(accepted))
  if unknown:
    raise TypeError(f'Argument `{argument}`: {key} {kind!r} takes no keyword '
                    f'{", ".join(map(repr, unknown))}; it accepts {accepted} '
                    '(see the spec kinds in docs/api.md).')


def build_flow(spec, dtype='float32'):
  """A flow bijector on flat data vectors from `{'builder': name, **kwargs}`.

  The builders are those of `tfp_rbm.flows`. Image flows (`glow`, `flowpp`)
  get a `tfb.Reshape` on their data side, so that, like the vector flows
  (`nice`, `realnvp`), they map a flattened image to a flat latent vector.
  """
  spec = dict(spec)
  builder = spec.pop('builder', None)
  if builder not in FLOW_BUILDERS:
    raise ValueError(f"Unknown flow builder {builder!r} in argument `flow`; the known "
                     f"builders are {sorted(FLOW_BUILDERS)}.")
  _check_keywords('flow', 'builder', builder, FLOW_BUILDERS[builder], spec, {'dtype'})
  flow = FLOW_BUILDERS[builder](dtype=dtype, **spec)
  if not _maps_images(builder):
    return flow
  image_shape = list(spec.get('image_shape', _default_image_shape(builder)))
  flatten = tfb.Reshape(event_shape_out=[int(np.prod(image_shape))], event_shape_in=image_shape)
  return tfb.Chain([flatten, flow], name=f'flat_{builder}')


def flow_event_size(spec):
  """The size of the flat data vector that a flow spec maps, or None for an unknown builder.

  The vector flows (`nice`, `realnvp`) map vectors of their `event_size`;
  `glow` and `flowpp` flattened images of `prod(image_shape)` values.
  """
  builder = spec.get('builder')
  if builder not in FLOW_BUILDERS:
    return None
  if not _maps_images(builder):
    return int(spec.get('event_size', _default(builder, 'event_size')))
  return int(np.prod(spec.get('image_shape', _default_image_shape(builder))))


def _maps_images(builder):
  """Whether the builder's flow maps images (`image_shape`), not vectors (`event_size`)."""
  return 'image_shape' in inspect.signature(FLOW_BUILDERS[builder]).parameters


def _default(builder, arg):
  return inspect.signature(FLOW_BUILDERS[builder]).parameters[arg].default


def _default_image_shape(builder):
  return _default(builder, 'image_shape')


def eb_and_flow_cifar10(num_steps=16, hidden_channels=512, num_filters=100, seed=0):
  """`FlowModel` arguments of EB-and-Flow's CIFAR-10 model (App. A.1 and B).

  Glow over `32 x 32 x 3` images with 3 levels of `num_steps` steps (latents
  `[16, 16, 6]`, `[8, 8, 12]`, `[4, 4, 48]`) and the shared convolutional
  Gaussian-Bernoulli RBM over them: filter banks 5x5 stride 4, 3x3 stride 2
  and 3x3 stride 1, `num_filters` each, onto one `4 x 4 x num_filters`
  hidden map. The paper's sizes are the defaults; smaller ones give the same
  structure at smoke size.

  #### Examples

  ```python
  model = FlowModel(**eb_and_flow_cifar10())             # the paper's model
  smoke = FlowModel(**eb_and_flow_cifar10(num_steps=1, hidden_channels=8, num_filters=4))
  ```

  Returns:
    A dict with `event_size`, `flow`, `base` and `preprocessing`.
  """
  return dict(
      event_size=32 * 32 * 3,
      flow={'builder': 'glow', 'image_shape': [32, 32, 3], 'num_levels': 3,
            'num_steps': num_steps, 'hidden_channels': hidden_channels, 'seed': seed},
      base={'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [5, 3, 3],
            'strides': [4, 2, 1], 'num_filters': num_filters},
      preprocessing={'alpha': 0.05})
