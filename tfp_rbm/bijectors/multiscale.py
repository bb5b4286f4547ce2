"""Glow/RealNVP multi-scale composition with every latent kept."""

import tensorflow as tf
from tensorflow_probability import bijectors as tfb

__all__ = ['multiscale']


_LATENT_STRUCTURES = ('flat', 'levels')


def multiscale(levels, image_shape, validate_args=False, name='multiscale',
               latent_structure='flat'):
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

  With `latent_structure='levels'` the latent is the list of the factored-out
  parts instead, each an image `[..., h_l, w_l, c_l]` (the last level's whole
  output last): no `tfb.Reshape`; a `tfb.Restructure` turns the nested
  `[v_0, [v_1, [...]]]` of the splits into that flat list. `forward` takes
  such a list. A base over these levels (`ConvolutionalGaussianBernoulliRBM`
  with `event_structure='levels'`) sees each level as an image.

  #### Examples

  ```python
  levels = [tfb.Chain([Squeeze(), steps_1]), tfb.Chain([Squeeze(), steps_2])]
  flow = multiscale(levels, image_shape=[28, 28, 1])
  flow.inverse(images).shape  # [batch, 784]
  per_level = multiscale(levels, image_shape=[28, 28, 1], latent_structure='levels')
  [v.shape for v in per_level.inverse(images)]  # [batch, 14, 14, 2], [batch, 7, 7, 8]
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
    latent_structure: `'flat'` (one latent vector) or `'levels'` (a list of
      one image per level).

  Returns:
    A `tfb.Chain` whose `inverse` maps `[..., H, W, C]` to
    `[..., H * W * C]`, or (`'levels'`) to the list of `[..., h_l, w_l, c_l]`.

  Raises:
    ValueError: if `levels` is empty, a level that is not the last
      produces an odd channel count, or `latent_structure` is neither
      `'flat'` nor `'levels'`.
  """
  if latent_structure not in _LATENT_STRUCTURES:
    raise ValueError(f"Argument `latent_structure` must be 'flat' or 'levels'; got "
                     f'{latent_structure!r}.')
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

  if latent_structure == 'levels':
    return _levels_chain(levels, shapes, validate_args, name)

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


def _levels_chain(levels, shapes, validate_args, name):
  """The multi-scale chain whose latent is the list of its levels, each an image."""
  flow = levels[-1]
  for level, shape in zip(levels[-2::-1], shapes[-2::-1]):
    factored = shape[:-1].concatenate([shape[-1] // 2])
    flow = tfb.Chain([
        level,
        tfb.Invert(tfb.Split(2, axis=-1, validate_args=validate_args)),
        # The identity on the factored-out image: a `tfb.Reshape` to its own
        # shape, whose events have rank 3 like the rest of the flow's.
        tfb.JointMap([tfb.Reshape(factored, factored, validate_args=validate_args), flow],
                     validate_args=validate_args),
    ], validate_args=validate_args)
  # Forward (latent -> data) nests `[v_0, v_1, ..., v_L]` as the splits take it.
  num_levels = len(levels)
  nested = num_levels - 1
  for index in range(num_levels - 2, -1, -1):
    nested = [index, nested]
  restructure = tfb.Restructure(output_structure=nested,
                                input_structure=list(range(num_levels)))
  return tfb.Chain([flow, restructure], validate_args=validate_args, name=name)
