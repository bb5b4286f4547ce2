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

__all__ = ['BASE_KINDS', 'FLOW_BUILDERS', 'build_base', 'build_flow', 'flow_event_size']


def _gaussian_bernoulli_rbm(event_size, num_hidden, dtype, seed, weight_scale=0.01,
                            max_enumeration_bits=20):
  """`GaussianBernoulliRBM`: `W ~ N(0, weight_scale^2)`, zero biases, unit scale (trainable)."""
  rng = np.random.default_rng(seed)
  return distributions.GaussianBernoulliRBM(
      weights=tf.Variable(rng.normal(scale=weight_scale, size=[event_size, num_hidden]),
                          dtype=dtype, name='weights'),
      visible_bias=tf.Variable(tf.zeros([event_size], dtype), name='visible_bias'),
      hidden_bias=tf.Variable(tf.zeros([num_hidden], dtype), name='hidden_bias'),
      scale=tfp.util.TransformedVariable(
          tf.ones([event_size], dtype), tfb.Softplus(low=np.finfo(dtype.as_numpy_dtype).eps),
          name='scale'),
      max_enumeration_bits=max_enumeration_bits)


def _labeled_gaussian_bernoulli_rbm(event_size, num_hidden, num_classes, dtype, seed,
                                    weight_scale=0.01, max_enumeration_bits=20):
  """`LabeledGaussianBernoulliRBM` with `num_classes` labels: `W, U ~ N(0, weight_scale^2)`.

  Zero biases, unit scale (trainable), as `gaussian_bernoulli_rbm`. The
  weight of the labelled term in training is the `FlowModel`'s
  `label_weight` (a training choice, not part of the distribution).
  """
  if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or (
      num_classes < 1):
    raise ValueError("Argument `base`: kind 'labeled_gaussian_bernoulli_rbm' needs "
                     f'`num_classes`, a positive int; got {num_classes!r}.')
  rng = np.random.default_rng(seed)
  weights = rng.normal(scale=weight_scale, size=[event_size, num_hidden])
  label_weights = rng.normal(scale=weight_scale, size=[int(num_classes), num_hidden])
  return distributions.LabeledGaussianBernoulliRBM(
      weights=tf.Variable(weights, dtype=dtype, name='weights'),
      visible_bias=tf.Variable(tf.zeros([event_size], dtype), name='visible_bias'),
      hidden_bias=tf.Variable(tf.zeros([num_hidden], dtype), name='hidden_bias'),
      scale=tfp.util.TransformedVariable(
          tf.ones([event_size], dtype), tfb.Softplus(low=np.finfo(dtype.as_numpy_dtype).eps),
          name='scale'),
      label_weights=tf.Variable(label_weights, dtype=dtype, name='label_weights'),
      label_bias=tf.Variable(tf.zeros([int(num_classes)], dtype), name='label_bias'),
      max_enumeration_bits=max_enumeration_bits)


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
                  initial_margin=1.0, max_enumeration_bits=20):
  """`SmoothedRBM` with `delta = B(W) + softplus(margin)`: positive definite in training."""
  rng = np.random.default_rng(seed)
  first = event_size // 2 if first_group_size is None else first_group_size
  return distributions.SmoothedRBM(
      weights=tf.Variable(rng.normal(scale=weight_scale, size=[first, event_size - first]),
                          dtype=dtype, name='weights'),
      field=tf.Variable(tf.zeros([event_size], dtype), name='field'),
      margin=tf.Variable(tf.constant(np.log(np.expm1(initial_margin)), dtype), name='margin'),
      max_enumeration_bits=max_enumeration_bits)


def _discrete_mixture(event_size, dtype, seed, initial_delta=1.0):
  """`DiscreteMixture`: zero field, trainable `delta` (softplus)."""
  del seed
  return distributions.DiscreteMixture(
      field=tf.Variable(tf.zeros([event_size], dtype), name='field'),
      delta=tfp.util.TransformedVariable(tf.constant(initial_delta, dtype), tfb.Softplus(),
                                         name='delta'))


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
    'bernoulli_rbm': _bernoulli_rbm,
    'smoothed_rbm': _smoothed_rbm,
    'discrete_mixture': _discrete_mixture,
    'normal': _normal,
    'multivariate_normal': _multivariate_normal,
}

FLOW_BUILDERS = {
    'nice': flows.nice,
    'glow': flows.glow,
    'flowpp': flows.flowpp,
}


def build_base(spec, event_size, dtype='float32', seed=0):
  """A base distribution over vectors of `event_size` from a spec.

  Args:
    spec: dict with `'kind'` (one of `BASE_KINDS`) and that kind's keyword
      arguments (e.g. `num_hidden`, `weight_scale`).
    event_size: size of the latent vector.
    dtype: `'float32'` or `'float64'`.
    seed: int seed of the initial weights.

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
  _check_keywords('base', 'kind', kind, BASE_KINDS[kind], spec, {'event_size', 'dtype', 'seed'})
  return BASE_KINDS[kind](event_size=event_size, dtype=tf.as_dtype(dtype), seed=seed, **spec)


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
  get a `tfb.Reshape` on their data side, so that, like `nice`, they map a
  flattened image to a flat latent vector.
  """
  spec = dict(spec)
  builder = spec.pop('builder', None)
  if builder not in FLOW_BUILDERS:
    raise ValueError(f"Unknown flow builder {builder!r} in argument `flow`; the known "
                     f"builders are {sorted(FLOW_BUILDERS)}.")
  _check_keywords('flow', 'builder', builder, FLOW_BUILDERS[builder], spec, {'dtype'})
  flow = FLOW_BUILDERS[builder](dtype=dtype, **spec)
  if builder == 'nice':
    return flow
  image_shape = list(spec.get('image_shape', _default_image_shape(builder)))
  flatten = tfb.Reshape(event_shape_out=[int(np.prod(image_shape))], event_shape_in=image_shape)
  return tfb.Chain([flatten, flow], name=f'flat_{builder}')


def flow_event_size(spec):
  """The size of the flat data vector that a flow spec maps, or None for an unknown builder.

  `nice` maps vectors of its `event_size`; `glow` and `flowpp` flattened
  images of `prod(image_shape)` values.
  """
  builder = spec.get('builder')
  if builder not in FLOW_BUILDERS:
    return None
  if builder == 'nice':
    return int(spec.get('event_size', _default(builder, 'event_size')))
  return int(np.prod(spec.get('image_shape', _default_image_shape(builder))))


def _default(builder, arg):
  return inspect.signature(FLOW_BUILDERS[builder]).parameters[arg].default


def _default_image_shape(builder):
  return _default(builder, 'image_shape')
