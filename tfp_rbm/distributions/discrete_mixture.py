"""The discrete mixture: independent smoothed spins (D-Flow base)."""

import numpy as np
import tensorflow as tf
from tensorflow_probability.python.bijectors import identity as identity_bijector
from tensorflow_probability.python.bijectors import softplus as softplus_bijector
from tensorflow_probability.python.distributions import distribution
from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import samplers
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.distributions import boltzmann_math

__all__ = ['DiscreteMixture']


class DiscreteMixture(distribution.AutoCompositeTensorDistribution):
  """Independent spins smoothed by a Gaussian: the D-Flow base distribution.

  Each `z_i` is a two-component mixture `Normal(+1, 1/delta)`,
  `Normal(-1, 1/delta)`, chosen by a spin `s_i in {-1, +1}` with field `h_i`.
  It is `SmoothedRBM` with zero coupling, and fully normalized: the spins
  are a discrete code of the point, exact in both directions.

  #### Mathematical Details

  ```none
  p(s_i) = exp(h_i s_i) / (2 cosh h_i),   i.e. p(s_i = +1) = sigmoid(2 h_i)
  z_i | s_i ~ Normal(s_i, 1 / delta)
  log p(z_i) = 1/2 log(delta / (2 pi)) - delta z_i^2 / 2 - delta / 2
               + log(2 cosh(delta z_i + h_i)) - log(2 cosh(h_i))
  p(s_i = +1 | z) = sigmoid(2 (delta z_i + h_i))
  E[z_i] = tanh(h_i),   Var[z_i] = 1 - tanh(h_i)^2 + 1 / delta
  ```

  (The paper writes `p(s = -1) = sigmoid(h)`, a different scaling of `h`.)
  The entropy of a Gaussian mixture has no closed form, so none is offered.

  #### Examples

  ```python
  base = tfp_rbm.distributions.DiscreteMixture(
      field=tf.Variable(tf.zeros([784])), delta=4.)
  z = base.sample(16, seed=(0, 1))
  base.log_prob(z)                        # exact
  code = base.spin_posterior(z).mode()    # global features as +-1 labels
  ```

  #### References

  [1] O'Connor, D., Vinci, W. RBM-Flow and D-Flow: Invertible flows with
      discrete energy base spaces, 2020. https://arxiv.org/abs/2012.13196
  """

  def __init__(self, field, delta, validate_args=False, allow_nan_stats=True,
               name='DiscreteMixture'):
    """Builds a discrete mixture.

    Args:
      field: float tensor or variable, `batch_shape + [N]`, the field `h`.
      delta: positive float tensor or variable, `batch_shape`, the precision
        of each Gaussian component.
      validate_args: check finiteness of parameters and data and `delta > 0`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.

    Raises:
      ValueError: if `field` is a scalar, or the batch shapes of `field` and
        `delta` do not broadcast.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype = boltzmann_math.common_float_dtype(
          dict(field=field, delta=delta))
      self._field = tensor_util.convert_nonref_to_tensor(
          field, dtype=dtype, name='field')
      self._delta = tensor_util.convert_nonref_to_tensor(
          delta, dtype=dtype, name='delta')
      if self._field.shape.rank == 0:
        raise ValueError('Argument `field` must be at least a vector; got a scalar.')
      boltzmann_math.check_batch_shapes(
          type(self).parameter_properties(dtype), self._named_parameters())
      super().__init__(
          dtype=dtype,
          reparameterization_type=reparameterization.NOT_REPARAMETERIZED,
          validate_args=validate_args,
          allow_nan_stats=allow_nan_stats,
          parameters=parameters,
          name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        field=parameter_properties.ParameterProperties(event_ndims=1),
        delta=parameter_properties.ParameterProperties(
            event_ndims=0,
            default_constraining_bijector_fn=(
                lambda: softplus_bijector.Softplus(low=dtype_util.eps(dtype)))))

  @property
  def field(self):
    """Field `h` on the spins, `batch_shape + [N]`."""
    return self._field

  @property
  def delta(self):
    """Precision `delta` of each component, `batch_shape`."""
    return self._delta

  def _event_shape(self):
    return self._field.shape[-1:]

  def _event_shape_tensor(self):
    return ps.shape(self._field)[-1:]

  def _default_event_space_bijector(self):
    return identity_bijector.Identity(validate_args=self.validate_args)

  def _named_parameters(self):
    return [('field', self._field), ('delta', self._delta)]

  def _parameter_control_dependencies(self, is_init):
    if not self.validate_args:
      return []
    checked = boltzmann_math.parameters_to_validate(self._named_parameters(), is_init)
    assertions = boltzmann_math.finite_assertions(checked)
    if 'delta' in checked:
      assertions.append(assert_util.assert_positive(
          checked['delta'], message='Argument `delta` must be positive.'))
    return assertions

  def _sample_control_dependencies(self, x, arg='value', spins=False):
    return boltzmann_math.value_assertions(self, x, arg, spins)

  def _log_prob(self, value):
    h = tf.convert_to_tensor(self._field)
    delta = tf.convert_to_tensor(self._delta)[..., tf.newaxis]
    per_dim = (0.5 * tf.math.log(delta / (2. * np.pi)) - 0.5 * delta * (tf.square(value) + 1.)
               + boltzmann_math.log_cosh2(delta * value + h) - boltzmann_math.log_cosh2(h))
    return tf.reduce_sum(per_dim, axis=-1)

  def spin_posterior(self, value, name='spin_posterior'):
    """The exact `p(s | z)`: independent spins, `p(s_i = +1 | z) = sigmoid(2 (delta z_i + h_i))`.

    Args:
      value: points `z`, shape `sample_shape + batch_shape + [N]`.
      name: name scope of the ops.

    Returns:
      A distribution over spins (values -1. and +1.), event shape `[N]`.
    """
    value = boltzmann_math.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      delta = tf.convert_to_tensor(self._delta)[..., tf.newaxis]
      return boltzmann_math.independent_spins(delta * value + self._field)

  def _smooth(self, spins, seed):
    scale = tf.math.rsqrt(tf.convert_to_tensor(self._delta))[..., tf.newaxis]
    return spins + scale * samplers.normal(ps.shape(spins), dtype=self.dtype, seed=seed)

  def smooth(self, spins, seed=None, name='smooth'):
    """Draws `z ~ Normal(s, 1 / delta)` for given spins (one code, many points).

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
                          samplers.sanitize_seed(seed))

  def _sample_n(self, n, seed=None):
    spin_seed, smooth_seed = samplers.split_seed(seed, salt='DiscreteMixture')
    shape = ps.concat([[n], self._batch_shape_tensor(), self._event_shape_tensor()], axis=0)
    field = tf.broadcast_to(tf.convert_to_tensor(self._field), shape)
    return self._smooth(boltzmann_math.sample_spins(field, spin_seed), smooth_seed)

  def _mean(self):
    shape = ps.concat([self._batch_shape_tensor(), self._event_shape_tensor()], axis=0)
    return tf.broadcast_to(tf.tanh(self._field), shape)

  def _variance(self):
    delta = tf.convert_to_tensor(self._delta)[..., tf.newaxis]
    return 1. - tf.square(tf.tanh(self._field)) + 1. / delta
