"""Glow/RealNVP multi-scale composition with every latent kept."""

import tensorflow as tf
from tensorflow_probability import bijectors as tfb

__all__ = ['multiscale']


def multiscale(levels, image_shape, validate_args=False, name='multiscale'):
  """Chains image levels, factoring out half the channels after each one.

  In the data -> latent direction (`inverse`), level `l` maps its input
  image to `[h, w, c]`; the first `c/2` channels are factored out (flattened
  and kept as latent dimensions) and the other half enters level `l + 1`.
  The last level keeps all its channels. The latent is the concatenation of
  every factored-out part, flattened, so its event is a vector of size
  `H * W * C` that a vector base distribution (an RBM) can model
  (EB-and-Flow, Sec. 5). The log-det is the sum of the levels' log-dets.

  The result is composed of `tfb.Chain`, `tfb.Split`, `tfb.JointMap` and
  `tfb.Reshape`, so TFP's caching reuses each level's `inverse` when
  `inverse_log_det_jacobian` is asked for the same input.

  #### Examples

  ```python
  levels = [tfb.Chain([Squeeze(), steps_1]), tfb.Chain([Squeeze(), steps_2])]
  flow = multiscale(levels, image_shape=[28, 28, 1])
  flow.inverse(images).shape  # [batch, 784]
  ```

  #### References

  [1]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803
  [2]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039

  Args:
    levels: list of bijectors over images; level `l`'s `inverse` takes the
      data-side image of that level.
    image_shape: `[H, W, C]`, the data-side event shape.
    validate_args: Python `bool`.
    name: Python `str` name of the returned chain.

  Returns:
    A `tfb.Chain` whose `inverse` maps `[..., H, W, C]` to
    `[..., H * W * C]`.

  Raises:
    ValueError: if `levels` is empty or a level that is not the last
      produces an odd channel count.
  """
  if not levels:
    raise ValueError('Argument `levels` must hold at least one bijector.')
  # shapes[l]: the latent-side image shape of level l.
  shapes = []
  input_shape = tf.TensorShape(image_shape)
  for index, level in enumerate(levels):
    shapes.append(level.inverse_event_shape(input_shape))
    channels = shapes[-1][-1]
    if index < len(levels) - 1 and channels % 2:
      raise ValueError(f'Level {index} of `levels` outputs {channels} '
                       f'channels for `image_shape={list(image_shape)}`; '
                       'factoring out half needs an even count.')
    input_shape = shapes[-1][:-1].concatenate([channels // 2])

  def flatten(shape):
    return tfb.Reshape(event_shape_out=shape,
                       event_shape_in=[shape.num_elements()],
                       validate_args=validate_args)

  flow = tfb.Chain([levels[-1], flatten(shapes[-1])],
                   validate_args=validate_args)
  for level, shape in zip(levels[-2::-1], shapes[-2::-1]):
    factored = shape[:-1].concatenate([shape[-1] // 2])
    size = factored.num_elements()
    flow = tfb.Chain([
        level,
        tfb.Invert(tfb.Split(2, axis=-1, validate_args=validate_args)),
        tfb.JointMap([flatten(factored), flow], validate_args=validate_args),
        tfb.Split([size, size], axis=-1, validate_args=validate_args),
    ], validate_args=validate_args)
  return tfb.Chain([flow], validate_args=validate_args, name=name)
