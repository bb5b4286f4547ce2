"""Space-to-depth reshaping of images."""

import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb
from tensorflow_probability.python.internal import prefer_static as ps

__all__ = ['Squeeze']


class Squeeze(tfb.Bijector):
  """Trades spatial resolution for channels (data -> latent is space-to-depth).

  #### Mathematical Details

  `inverse` maps an event `[H, W, C]` to `[H/f, W/f, f*f*C]`, moving each
  `f x f` block of pixels into the channels in the order of
  `tf.nn.space_to_depth`; `forward` is `tf.nn.depth_to_space`. It is a
  permutation, so `log|det| = 0`.

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
    if factor < 1:
      raise ValueError(f'Argument `factor` must be a positive integer, got '
                       f'{factor}.')
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

  def _check_spatial(self, height, width):
    if height is not None and height % self._factor:
      raise ValueError(f'Argument `y` of Squeeze must have a height divisible '
                       f'by {self._factor}, got {height}.')
    if width is not None and width % self._factor:
      raise ValueError(f'Argument `y` of Squeeze must have a width divisible '
                       f'by {self._factor}, got {width}.')

  def _inverse(self, y):
    height, width, channels = y.shape[-3:]
    self._check_spatial(height, width)
    f = self._factor
    batch_shape = ps.shape(y)[:-3]
    blocks = tf.reshape(y, ps.concat(
        [batch_shape, [height // f, f, width // f, f, channels]], axis=0))
    rank = len(blocks.shape)
    perm = list(range(rank - 5)) + [rank - 5, rank - 3, rank - 4, rank - 2,
                                    rank - 1]
    return tf.reshape(tf.transpose(blocks, perm), ps.concat(
        [batch_shape, [height // f, width // f, f * f * channels]], axis=0))

  def _forward(self, x):
    height, width, channels = x.shape[-3:]
    f = self._factor
    if channels is not None and channels % (f * f):
      raise ValueError(f'Argument `x` of Squeeze.forward must have a channel '
                       f'count divisible by {f * f}, got {channels}.')
    batch_shape = ps.shape(x)[:-3]
    blocks = tf.reshape(x, ps.concat(
        [batch_shape, [height, width, f, f, channels // (f * f)]], axis=0))
    rank = len(blocks.shape)
    perm = list(range(rank - 5)) + [rank - 5, rank - 3, rank - 4, rank - 2,
                                    rank - 1]
    return tf.reshape(tf.transpose(blocks, perm), ps.concat(
        [batch_shape, [height * f, width * f, channels // (f * f)]], axis=0))

  def _forward_log_det_jacobian(self, x):
    return tf.zeros([], dtype=x.dtype)

  def _forward_event_shape(self, input_shape):
    height, width, channels = input_shape[-3:]
    f = self._factor
    return input_shape[:-3].concatenate([
        None if height is None else height * f,
        None if width is None else width * f,
        None if channels is None else channels // (f * f)])

  def _inverse_event_shape(self, output_shape):
    height, width, channels = output_shape[-3:]
    self._check_spatial(height, width)
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
