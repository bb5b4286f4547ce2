"""The class-conditional Gaussian mixture: FlowGMM's base (Izmailov et al. 2019)."""

import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps
# No public API: `convert_nonref_to_tensor` keeps variables as variables.
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import label_interface
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ['ClassConditionalGaussianMixture']


class ClassConditionalGaussianMixture(tfd.AutoCompositeTensorDistribution):
  """A Gaussian per class, the label summed out: FlowGMM's latent distribution.

  A distribution over `z` with `log_prob(z) = log sum_y p(z, y)`, exact; the
  joint is `joint_log_prob(z, y)`, the exact classifier `label_posterior(z)`,
  and `sample(n, labels=y)` draws `z` given its class. It has the label
  interface of `LabeledGaussianBernoulliRBM`, so a `FlowModel` trains either
  on `(x, y)` with `y = -1` for unlabelled images.

  Its density is `tfd.MixtureSameFamily(tfd.Categorical(label_logits),
  tfd.MultivariateNormalDiag(loc, scale))`, which `log_prob`, `mean` and
  `variance` use. A class is needed because that mixture treats the label as
  a nuisance: it has no `log p(z, y)`, no posterior over its components and
  no draw with the component fixed. This class adds them, built from the
  same `tfd.MultivariateNormalDiag` components and `tfd.Categorical` prior.

  #### Mathematical Details

  `K` classes with means `mu_y` and scales `sigma_y` (`[K, D]` each) and
  prior `pi = softmax(label_logits)` (uniform when `label_logits` is None):

  ```none
  log p(z, y) = log pi_y + log N(z; mu_y, diag(sigma_y^2))
  log p(z)    = logsumexp_y log p(z, y)
  p(y | z)    = softmax_y log p(z, y)
  E[z] = sum_y pi_y mu_y,   Var[z] = sum_y pi_y (sigma_y^2 + mu_y^2) - E[z]^2
  ```

  Every term is closed form: unlike the labelled RBM, log Z is tractable, so
  a flow with this base trains on the exact semi-supervised NLL
  `-[sum_U log p(x) + lambda sum_L log p(x, y)]` and needs no chains.

  #### Examples

  ```python
  gmm = tfp_rbm.distributions.ClassConditionalGaussianMixture(
      loc=tf.Variable(tf.random.normal([10, 64])),
      scale=tfp.util.TransformedVariable(tf.ones([10, 64]), tfb.Softplus()))
  z, y = gmm.sample_with_labels(16, seed=(0, 1))
  gmm.log_prob(z)                               # exact
  gmm.joint_log_prob(z, y)
  gmm.label_posterior(z).probs_parameter()      # [16, 10]
  sevens = gmm.sample(8, seed=(0, 2), labels=7)
  ```

  #### References

  [1] Izmailov, P., Kirichenko, P., Finzi, M., Wilson, A. G. Semi-supervised
      learning with normalizing flows (FlowGMM). ICML 2020.
      https://arxiv.org/abs/1912.13025
  """

  def __init__(self, loc, scale, label_logits=None, validate_args=False,
               allow_nan_stats=True, name='ClassConditionalGaussianMixture'):
    """Builds a mixture of `K` diagonal Gaussians, one per class.

    Args:
      loc: float tensor or variable, `batch_shape + [K, D]`, the class means.
      scale: positive float tensor or variable broadcasting with `loc`, the
        standard deviations of each class's Gaussian.
      label_logits: optional float tensor or variable, `batch_shape + [K]`,
        the logits of the class prior; None for a uniform prior.
      validate_args: check finiteness of parameters and values, `scale > 0`
        and that labels lie in `[0, K)`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.

    Raises:
      ValueError: if `loc` is not at least a matrix, or the classes of
        `label_logits` or the shapes of `scale` disagree with `loc`.
      TypeError: if a parameter is not float32 or float64.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype = validation.common_float_dtype(
          dict(loc=loc, scale=scale, label_logits=label_logits))
      self._loc = tensor_util.convert_nonref_to_tensor(loc, dtype=dtype, name='loc')
      self._scale = tensor_util.convert_nonref_to_tensor(scale, dtype=dtype, name='scale')
      self._label_logits = tensor_util.convert_nonref_to_tensor(
          label_logits, dtype=dtype, name='label_logits')
      self._check_static_shapes()
      validation.check_batch_shapes(type(self).parameter_properties(dtype),
                                    self._named_parameters())
      super().__init__(dtype=dtype, reparameterization_type=tfd.NOT_REPARAMETERIZED,
                       validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        loc=tfp.util.ParameterProperties(event_ndims=2),
        scale=tfp.util.ParameterProperties(
            event_ndims=2,
            default_constraining_bijector_fn=(
                lambda: tfb.Softplus(low=validation.machine_epsilon(dtype)))),
        label_logits=tfp.util.ParameterProperties(event_ndims=1))

  @property
  def loc(self):
    """The class means, `batch_shape + [num_classes, D]`."""
    return self._loc

  @property
  def scale(self):
    """The class standard deviations, broadcasting with `loc`."""
    return self._scale

  @property
  def label_logits(self):
    """Logits of the class prior, `batch_shape + [num_classes]`, or None (uniform)."""
    return self._label_logits

  @property
  def num_classes(self):
    return tf.compat.dimension_value(self._loc.shape[-2])

  def _named_parameters(self):
    return [('loc', self._loc), ('scale', self._scale), ('label_logits', self._label_logits)]

  def _check_static_shapes(self):
    loc_shape = self._loc.shape
    if loc_shape.rank is not None and loc_shape.rank < 2:
      raise ValueError('Argument `loc` must have shape [..., num_classes, D]; got shape '
                       f'{loc_shape}.')
    if loc_shape.rank is None:
      return
    if loc_shape[-2] == 0:
      raise ValueError(f'Argument `loc` must have at least one class; got shape {loc_shape}.')
    try:
      tf.broadcast_static_shape(self._scale.shape, loc_shape[-2:])
    except ValueError:
      raise ValueError(f'Argument `scale` has shape {self._scale.shape}, which does not '
                       f'broadcast with the classes and units {loc_shape[-2:]} of `loc`.'
                       ) from None
    if self._label_logits is None:
      return
    logits_shape = self._label_logits.shape
    if logits_shape.rank == 0:
      raise ValueError('Argument `label_logits` must be at least a vector; got a scalar.')
    if logits_shape.rank is not None and None not in (logits_shape[-1], loc_shape[-2]) and (
        logits_shape[-1] != loc_shape[-2]):
      raise ValueError(f'Argument `label_logits` has {logits_shape[-1]} classes but `loc` has '
                       f'shape {loc_shape}: expected {loc_shape[-2]}.')

  def _event_shape(self):
    return self._loc.shape[-1:]

  def _event_shape_tensor(self):
    return ps.shape(self._loc)[-1:]

  def _default_event_space_bijector(self):
    return tfb.Identity(validate_args=self.validate_args)

  # -- Validation -------------------------------------------------------------

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    checked = validation.parameters_to_validate(self._named_parameters(), is_init)
    assertions = validation.finite_assertions(checked)
    if 'scale' in checked:
      assertions.append(tf.debugging.assert_positive(
          checked['scale'], message='Argument `scale` must be positive.'))
    return assertions

  def _sample_control_dependencies(self, x, arg='value'):
    return validation.value_assertions(self, x, arg)

  def _convert_labels(self, labels):
    """`(labels, assertions)`: integer class indices in `[0, K)` (see `label_interface`)."""
    return label_interface.convert_labels(labels, self.num_classes, ps.shape(self._loc)[-2],
                                          self.validate_args)

  # -- The mixture, built from TFP pieces -------------------------------------

  def _read_parameters(self):
    """`(loc, scale, log_prior)`, each parameter read once, broadcast to the batch."""
    loc = tf.convert_to_tensor(self._loc)
    scale = tf.convert_to_tensor(self._scale)
    shape = ps.broadcast_shape(ps.shape(loc), ps.shape(scale))
    loc, scale = tf.broadcast_to(loc, shape), tf.broadcast_to(scale, shape)
    if self._label_logits is None:
      log_prior = tf.fill(shape[:-1], -tf.math.log(tf.cast(shape[-2], self.dtype)))
    else:
      logits = tf.convert_to_tensor(self._label_logits)
      shape = ps.broadcast_shape(shape[:-1], ps.shape(logits))
      log_prior = tf.math.log_softmax(tf.broadcast_to(logits, shape), axis=-1)
      loc = tf.broadcast_to(loc, ps.concat([shape, ps.shape(loc)[-1:]], 0))
      scale = tf.broadcast_to(scale, ps.shape(loc))
    return loc, scale, log_prior

  def _components(self, loc, scale):
    return tfd.MultivariateNormalDiag(loc, scale, validate_args=False)

  def _joint_log_probs(self, value, params):
    """`log p(z, y)` for every `y`, shape `[..., K]`."""
    loc, scale, log_prior = params
    return self._components(loc, scale).log_prob(value[..., tf.newaxis, :]) + log_prior

  def _mixture(self, params):
    loc, scale, log_prior = params
    return tfd.MixtureSameFamily(tfd.Categorical(logits=log_prior),
                                 self._components(loc, scale))

  def _log_prob(self, value):
    return self._mixture(self._read_parameters()).log_prob(value)

  def _mean(self):
    return self._mixture(self._read_parameters()).mean()

  def _variance(self):
    return self._mixture(self._read_parameters()).variance()

  def _stddev(self):
    return tf.sqrt(self._variance())

  # -- The labels -------------------------------------------------------------

  def joint_log_prob(self, value, labels, name='joint_log_prob'):
    """`log p(z, y) = log pi_y + log N(z; mu_y, sigma_y^2)`.

    Args:
      value: points, `sample_shape + batch_shape + [D]`.
      labels: integer class indices in `[0, K)`, broadcasting with
        `sample_shape + batch_shape`.
      name: name scope of the ops.
    """
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      labels, assertions = self._convert_labels(labels)
      label_interface.check_labels_broadcast(labels, value.shape[:-1], against='value')
      with tf.control_dependencies(assertions):
        one_hot = tf.one_hot(labels, ps.shape(self._loc)[-2], dtype=self.dtype)
      return tf.reduce_sum(one_hot * self._joint_log_probs(value, self._read_parameters()),
                           axis=-1)

  def label_posterior(self, value, name='label_posterior'):
    """The exact `p(y | z) = softmax_y log p(z, y)` as a `tfd.Categorical`.

    Its batch shape is `sample_shape + batch_shape` of `value`.
    """
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      return tfd.Categorical(logits=self._joint_log_probs(value, self._read_parameters()),
                             validate_args=self.validate_args)

  def label_conditional(self, labels, name='label_conditional'):
    """`p(z | y) = N(mu_y, diag(sigma_y^2))`, a `tfd.MultivariateNormalDiag`.

    Its batch shape is `broadcast(batch_shape, labels.shape)`.
    """
    with self._name_and_control_scope(name):
      return self._label_conditional(labels, self._read_parameters())

  def _label_conditional(self, labels, params):
    labels, assertions = self._convert_labels(labels)
    label_interface.check_labels_broadcast(labels, self.batch_shape, against='the batch')
    loc, scale, _ = params
    with tf.control_dependencies(assertions):
      one_hot = tf.one_hot(labels, ps.shape(loc)[-2], dtype=self.dtype)[..., tf.newaxis]
    return tfd.MultivariateNormalDiag(tf.reduce_sum(one_hot * loc, axis=-2),
                                      tf.reduce_sum(one_hot * scale, axis=-2),
                                      validate_args=self.validate_args,
                                      allow_nan_stats=self.allow_nan_stats)

  def _sample_n(self, n, seed=None, labels=None):
    """`y ~ pi`, then `z ~ N(mu_y, sigma_y^2)`; with `labels`, `y` is clamped.

    `labels` broadcast to `[n] + batch_shape` (a label per machine,
    `batch_shape`, serves any sample shape).
    """
    label_seed, normal_seed = tfp.random.split_seed(
        seed, n=2, salt='ClassConditionalGaussianMixture')
    params = self._read_parameters()
    if labels is None:
      labels = tfd.Categorical(logits=params[2]).sample(n, seed=label_seed)
    else:
      labels = tf.convert_to_tensor(labels, name='labels')
      label_interface.check_labels_broadcast(
          labels, tf.TensorShape([tf.get_static_value(n)]).concatenate(self.batch_shape),
          against='sample_shape + batch_shape')
      labels = tf.broadcast_to(labels, ps.concat([[n], self._batch_shape_tensor()], 0))
    return self._sample_given_labels(labels, normal_seed, params)

  def _sample_given_labels(self, labels, seed, params):
    """`z = mu_y + sigma_y * eps`, shape `labels.shape + [D]`."""
    conditional = self._label_conditional(labels, params)
    eps = noise.standard_normal(ps.shape(conditional.loc), seed, self.dtype)
    return conditional.loc + conditional.scale.diag_part() * eps

  def sample_with_labels(self, sample_shape=(), seed=None, name='sample_with_labels'):
    """Pairs `(z, y)` from the joint: `y ~ pi`, then `z ~ p(z | y)`.

    Returns:
      `(z, y)`: `sample_shape + batch_shape + [D]` and int32 labels
      `sample_shape + batch_shape`.
    """
    label_seed, normal_seed = tfp.random.split_seed(seed, n=2, salt='sample_with_labels')
    with self._name_and_control_scope(name):
      params = self._read_parameters()
      labels = tf.cast(tfd.Categorical(logits=params[2]).sample(sample_shape, seed=label_seed),
                       tf.int32)
      return self._sample_given_labels(labels, normal_seed, params), labels
