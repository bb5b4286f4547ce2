"""Space-to-depth reshaping of images."""

import tensorflow as tf
from tensorflow_probability import bijectors as tfb
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.bijectors import identity_hashed
from tfp_rbm.bijectors import validation

__all__ = ['Squeeze']


class Squeeze(identity_hashed.IdentityHashed, tfb.Bijector):
  """Trades spatial resolution for channels (data -> latent is space-to-depth).

  #### Mathematical Details

  `inverse` maps an event `[H, W, C]` to `[H/f, W/f, f*f*C]`, moving each
  `f x f` block of pixels into the channels in the order of
  `tf.nn.space_to_depth`; `forward` is `tf.nn.depth_to_space`. It is a
  permutation, so `log|det| = 0`. Sizes unknown statically are read at run
  time (checked under `validate_args`).

  #### Examples

  ```python
  squeeze = tfp_rbm.bijectors.Squeeze()
  squeeze.inverse(tf.zeros([8, 28, 28, 1])).shape  # [8, 14, 14, 4]
  ```

  #### References

  [1]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803
  """

  def __init__(self, factor=2, validate_args=False, name='squeeze'):
    parameters = dict(locals())
    factor = validation.check_positive_int(factor, 'factor', 'Squeeze')
    with tf.name_scope(name) as name:
      self._factor = factor
      super().__init__(forward_min_event_ndims=3, is_constant_jacobian=True,
                       validate_args=validate_args, parameters=parameters,
                       name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def factor(self):
    return self._factor

  def _check_spatial(self, height, width, arg='y'):
    if height is not None and height % self._factor:
      raise ValueError(f'Argument `{arg}` of Squeeze must have a height '
                       f'divisible by {self._factor}, got {height}.')
    if width is not None and width % self._factor:
      raise ValueError(f'Argument `{arg}` of Squeeze must have a width '
                       f'divisible by {self._factor}, got {width}.')

  def _check_channels(self, channels, arg='x'):
    f = self._factor
    if channels is not None and channels % (f * f):
      raise ValueError(f'Argument `{arg}` of Squeeze must have a channel '
                       f'count divisible by {f * f}, got {channels}.')

  def _check_rank(self, shape, arg):
    if shape.rank is not None and shape.rank < 3:
      raise ValueError(f'Argument `{arg}` of Squeeze must have an event '
                       f'[H, W, C] (rank 3 or more); got shape '
                       f'{shape.as_list()}.')

  def _spatial_assertions(self, y):
    """Under `validate_args`, the divisibility of sizes unknown statically."""
    if not self.validate_args or y.shape[-3:-1].is_fully_defined():
      return []
    return [tf.debugging.assert_equal(
        ps.shape(y)[-3:-1] % self._factor, 0,
        message=f'Argument `y` of Squeeze must have a height and width '
                f'divisible by {self._factor}.')]

  def _per_image(self, z, image_op):
    """Applies a rank-4 `tf.nn` op to the events of `z`, any batch shape."""
    images = image_op(tf.reshape(z, ps.concat([[-1], ps.shape(z)[-3:]], 0)),
                      self._factor)
    return tf.reshape(images, ps.concat(
        [ps.shape(z)[:-3], ps.shape(images)[-3:]], axis=0))

  def _inverse(self, y):
    self._check_rank(y.shape, 'y')
    self._check_spatial(*y.shape[-3:-1])
    with tf.control_dependencies(self._spatial_assertions(y)):
      y = validation.checked_finite(self, y, 'y')
    result = self._per_image(y, tf.nn.space_to_depth)
    result.set_shape(self._inverse_event_shape(y.shape))
    return result

  def _forward(self, x):
    self._check_rank(x.shape, 'x')
    self._check_channels(x.shape[-1])
    result = self._per_image(validation.checked_finite(self, x, 'x'),
                             tf.nn.depth_to_space)
    result.set_shape(self._forward_event_shape(x.shape))
    return result

  def _forward_log_det_jacobian(self, x):
    return tf.zeros([], dtype=x.dtype)

  def _forward_event_shape(self, input_shape):
    self._check_rank(input_shape, 'input_shape')
    height, width, channels = input_shape[-3:]
    self._check_channels(channels, 'input_shape')
    f = self._factor
    return input_shape[:-3].concatenate([
        None if height is None else height * f,
        None if width is None else width * f,
        None if channels is None else channels // (f * f)])

  def _inverse_event_shape(self, output_shape):
    self._check_rank(output_shape, 'output_shape')
    height, width, channels = output_shape[-3:]
    self._check_spatial(height, width, 'output_shape')
    f = self._factor
    return output_shape[:-3].concatenate([
        None if height is None else height // f,
        None if width is None else width // f,
        None if channels is None else channels * f * f])

  def _forward_event_shape_tensor(self, input_shape):
    f = self._factor
    return ps.concat([input_shape[:-3], input_shape[-3:-1] * f,
                      input_shape[-1:] // (f * f)], axis=0)

  def _inverse_event_shape_tensor(self, output_shape):
    f = self._factor
    return ps.concat([output_shape[:-3], output_shape[-3:-1] // f,
                      output_shape[-1:] * f * f], axis=0)
