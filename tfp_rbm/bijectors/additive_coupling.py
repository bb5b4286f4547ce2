"""NICE's additive coupling over vectors, with alternating masks."""

import numpy as np
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from tfp_rbm.bijectors.validation import checked_finite

__all__ = ['AdditiveCoupling']


class AdditiveCoupling(tfb.Bijector):
  """The elements of one parity shift the elements of the other (NICE).

  #### Mathematical Details

  For an event of size `D`, let `a` be the positions `i` with
  `i % 2 == conditioning_parity` and `b` the others. Data maps to latent
  (`inverse`) by

  ```none
  X_a = Y_a,   X_b = Y_b + m(Y_a),   log|det| = 0
  ```

  and `forward` is `Y_b = X_b - m(X_a)`. NICE alternates the parity from one
  coupling to the next (Dinh et al., 2014, Sec. 5.1).

  #### Examples

  ```python
  net = tfp_rbm.networks.MLP(output_units=392, hidden_units=1000)
  coupling = tfp_rbm.bijectors.AdditiveCoupling(net, conditioning_parity=0)
  z = coupling.inverse(x)  # x: [batch, 784]
  ```

  #### References

  [1]: Laurent Dinh, David Krueger, Yoshua Bengio. NICE: Non-linear
       Independent Components Estimation. https://arxiv.org/abs/1410.8516
  """

  def __init__(self, conditioner, conditioning_parity=0, validate_args=False,
               name='additive_coupling'):
    """Builds the coupling.

    Args:
      conditioner: callable (a Keras layer, e.g. `tfp_rbm.networks.MLP`)
        mapping the `ceil` or `floor` of `D / 2` conditioning elements to the
        shift of the other elements.
      conditioning_parity: `0` or `1`, the parity of the positions that are
        left unchanged and condition the others.
      validate_args: Python `bool`; check that inputs are finite.
      name: Python `str` name prefixed to ops.
    """
    parameters = dict(locals())
    if conditioning_parity not in (0, 1):
      raise ValueError(f'Argument `conditioning_parity` must be 0 or 1, got '
                       f'{conditioning_parity}.')
    with tf.name_scope(name) as name:
      self._conditioner = conditioner
      self._conditioning_parity = conditioning_parity
      super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True,
                       validate_args=validate_args, parameters=parameters,
                       name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def conditioner(self):
    return self._conditioner

  @property
  def conditioning_parity(self):
    return self._conditioning_parity

  def _partition(self, event_size, arg_name):
    if event_size is None or event_size < 2:
      raise ValueError(f'Argument `{arg_name}` of AdditiveCoupling must have '
                       f'a static event size of at least 2, got {event_size}.')
    positions = np.arange(event_size)
    conditioning = positions[positions % 2 == self._conditioning_parity]
    transformed = positions[positions % 2 != self._conditioning_parity]
    merge = np.argsort(np.concatenate([conditioning, transformed]))
    return conditioning, transformed, merge

  def _shift(self, conditioning_part, num_transformed):
    shift = self._conditioner(conditioning_part)
    if shift.shape[-1] != num_transformed:
      raise ValueError(f'The `conditioner` of AdditiveCoupling must return '
                       f'{num_transformed} values, got {shift.shape[-1]}.')
    return tf.cast(shift, conditioning_part.dtype)

  def _couple(self, z, arg_name, sign):
    conditioning, transformed, merge = self._partition(z.shape[-1], arg_name)
    z = checked_finite(self, z, arg_name)
    z_a = tf.gather(z, conditioning, axis=-1)
    z_b = tf.gather(z, transformed, axis=-1)
    z_b = z_b + sign * self._shift(z_a, len(transformed))
    return tf.gather(tf.concat([z_a, z_b], axis=-1), merge, axis=-1)

  def _forward(self, x):
    return self._couple(x, 'x', sign=-1.)

  def _inverse(self, y):
    return self._couple(y, 'y', sign=1.)

  def _forward_log_det_jacobian(self, x):
    return tf.zeros([], dtype=x.dtype)
