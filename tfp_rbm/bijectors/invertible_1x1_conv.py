"""Glow's invertible 1x1 convolution, LU-parameterised."""

import numpy as np
import tensorflow as tf
from tensorflow_probability import bijectors as tfb
from tensorflow_probability import util as tfp_util
# No public API: `BIJECTOR_NOT_IMPLEMENTED` (no constraining bijector for a permutation).
from tensorflow_probability.python.internal import parameter_properties
# No public API: `convert_nonref_to_tensor` keeps variables as variables.
from tensorflow_probability.python.internal import tensor_util

from tfp_rbm.bijectors import identity_hashed
from tfp_rbm.bijectors import validation

__all__ = ['Invertible1x1Conv']


class Invertible1x1Conv(identity_hashed.IdentityHashed, tfb.Bijector):
  """A learned channel-mixing matrix applied at every position.

  #### Mathematical Details

  With `W = P L U` (permutation, unit-lower and upper triangular factors
  packed in `lower_upper`, as in `tfb.ScaleMatvecLU`),

  ```none
  Y = g(X) = W X      (per position, over the last axis)
  log|det dY/dX| = (number of positions) * sum_c log|U[c, c]|
  ```

  Built from `num_channels`, `W` starts as a random rotation (the Q factor
  of a Gaussian matrix, seeded), `lower_upper` is a `tf.Variable` and the
  permutation a non-trainable one, as in TFP's Glow: it stays fixed, and a
  `tf.train.Checkpoint` restores it even when the rotation was unseeded.

  #### Examples

  ```python
  conv = tfp_rbm.bijectors.Invertible1x1Conv(num_channels=4, seed=1)
  z = conv.inverse(images)  # images: [batch, H, W, 4]
  ```

  #### References

  [1]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039
  """

  def __init__(self, num_channels=None, lower_upper=None, permutation=None,
               seed=None, dtype=tf.float32, validate_args=False,
               name='invertible_1x1_conv'):
    """Builds the bijector from `num_channels` (random rotation) or LU factors.

    Args:
      num_channels: Python `int`; when given, a random rotation is drawn with
        `seed` and its LU factors become a `tf.Variable`.
      lower_upper: float `Tensor`/`tf.Variable` `[C, C]`, used instead of
        `num_channels` (see `tfb.ScaleMatvecLU`).
      permutation: integer `Tensor` `[C]`, with `lower_upper`.
      seed: Python `int` seed of the random rotation (None: unseeded).
      dtype: dtype of the variable built from `num_channels`.
      validate_args: Python `bool`; check that inputs are finite (and, in
        `tfb.ScaleMatvecLU`, that `W` is invertible).
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: if neither or both of `num_channels` and `lower_upper`
        are given, if `num_channels < 1`, or if `lower_upper` is not square.
      TypeError: if the dtype is not float32 or float64.
    """
    parameters = dict(locals())
    if (num_channels is None) == (lower_upper is None):
      raise ValueError('Pass either `num_channels` or `lower_upper` (with '
                       '`permutation`) to Invertible1x1Conv.')
    with tf.name_scope(name) as name:
      if num_channels is not None:
        num_channels = validation.check_positive_int(
            num_channels, 'num_channels', 'Invertible1x1Conv')
        dtype = validation.supported_dtype(dtype, 'dtype', 'Invertible1x1Conv')
        gaussian = np.random.default_rng(seed).normal(
            size=[num_channels, num_channels])
        rotation, _ = np.linalg.qr(gaussian)
        lu, permutation = tf.linalg.lu(tf.constant(rotation, dtype))
        self._lower_upper = tf.Variable(lu, name='lower_upper')
        self._permutation = tf.Variable(permutation, trainable=False,
                                        name='permutation')
      else:
        dtype = validation.parameters_dtype({'lower_upper': lower_upper},
                                            'Invertible1x1Conv')
        self._lower_upper = tensor_util.convert_nonref_to_tensor(
            lower_upper, dtype=dtype, name='lower_upper')
        shape = self._lower_upper.shape
        if shape.rank != 2 or not tf.TensorShape(shape[:1]).is_compatible_with(
            shape[1:]):
          raise ValueError('Argument `lower_upper` of Invertible1x1Conv must be '
                           f'a square matrix [C, C]; got shape {shape.as_list()}.')
        self._permutation = tensor_util.convert_nonref_to_tensor(
            permutation, dtype_hint=tf.int32, name='permutation')
      self._matvec_lu = tfb.ScaleMatvecLU(
          self._lower_upper, self._permutation, validate_args=validate_args)
      super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True,
                       validate_args=validate_args, dtype=dtype,
                       parameters=parameters, name=name)
      self._num_channels = tf.compat.dimension_value(
          self._lower_upper.shape[-1])

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict(
        lower_upper=tfp_util.ParameterProperties(event_ndims=2),
        permutation=tfp_util.ParameterProperties(
            event_ndims=1,
            default_constraining_bijector_fn=parameter_properties
            .BIJECTOR_NOT_IMPLEMENTED))

  @property
  def lower_upper(self):
    return self._lower_upper

  @property
  def permutation(self):
    return self._permutation

  def _checked(self, value, arg):
    """`value`, its channels checked statically and, under `validate_args`, its finiteness."""
    validation.check_event_shape(value, [self._num_channels], arg,
                                 'Invertible1x1Conv', source='(`num_channels`)')
    return validation.checked_finite(self, value, arg)

  def _forward(self, x):
    x = self._checked(x, 'x')
    return _keep_static_shape(self._matvec_lu.forward(x), x)

  def _inverse(self, y):
    y = self._checked(y, 'y')
    return _keep_static_shape(self._matvec_lu.inverse(y), y)

  def _forward_log_det_jacobian(self, x):
    validation.check_event_shape(x, [self._num_channels], 'x',
                                 'Invertible1x1Conv', source='(`num_channels`)')
    return self._matvec_lu.forward_log_det_jacobian(x, event_ndims=1)


def _keep_static_shape(result, like):
  """`ScaleMatvecLU` loses the static spatial shape when the batch is unknown."""
  result.set_shape(like.shape)
  return result
