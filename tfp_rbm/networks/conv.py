"""Convolutional conditioner networks for couplings over images (NHWC)."""

import keras

from tfp_rbm.networks.initializers import kernel_initializer

__all__ = ['ConvNet', 'GatedResidualConvNet']


@keras.saving.register_keras_serializable(package='tfp_rbm')
class ConvNet(keras.layers.Layer):
  """Glow's coupling network: conv 3x3, ReLU, conv 1x1, ReLU, zero conv 3x3.

  The last convolution is initialised to zero (Kingma & Dhariwal, 2018,
  Sec. 3.3), so an affine coupling holding this network starts as the
  identity up to Glow's constant scale `sigmoid(2)`.
  `seed` (an `int`) makes the initial weights reproducible.

  #### Examples

  ```python
  net = tfp_rbm.networks.ConvNet(output_channels=4, hidden_channels=512)
  h = net(x_half)  # [batch, height, width, 4]
  ```

  #### References

  [1]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039
  """

  def __init__(self, output_channels, hidden_channels=512, kernel_size=3,
               zero_init_output=True, seed=None, **kwargs):
    super().__init__(**kwargs)
    self.output_channels = output_channels
    self.hidden_channels = hidden_channels
    self.kernel_size = kernel_size
    self.zero_init_output = zero_init_output
    self.seed = seed
    self.input_conv = keras.layers.Conv2D(
        hidden_channels, kernel_size, padding='same', activation='relu',
        kernel_initializer=kernel_initializer(seed, 1),
        dtype=self.dtype_policy, name='input_conv')
    self.hidden_conv = keras.layers.Conv2D(
        hidden_channels, 1, padding='same', activation='relu',
        kernel_initializer=kernel_initializer(seed, 2),
        dtype=self.dtype_policy, name='hidden_conv')
    self.output_conv = keras.layers.Conv2D(
        output_channels, kernel_size, padding='same',
        kernel_initializer=kernel_initializer(seed, 0, zero=zero_init_output),
        dtype=self.dtype_policy, name='output_conv')

  def build(self, input_shape):
    hidden_shape = tuple(input_shape)[:-1] + (self.hidden_channels,)
    self.input_conv.build(tuple(input_shape))
    self.hidden_conv.build(hidden_shape)
    self.output_conv.build(hidden_shape)

  def call(self, inputs):
    return self.output_conv(self.hidden_conv(self.input_conv(inputs)))

  def get_config(self):
    config = super().get_config()
    config.update(output_channels=self.output_channels,
                  hidden_channels=self.hidden_channels,
                  kernel_size=self.kernel_size,
                  zero_init_output=self.zero_init_output,
                  seed=self.seed)
    return config


def _concat_elu(x):
  return keras.ops.elu(keras.ops.concatenate([x, -x], axis=-1))


@keras.saving.register_keras_serializable(package='tfp_rbm')
class _GatedResidualBlock(keras.layers.Layer):
  """`x + a * sigmoid(b)` with `[a, b] = conv(concat_elu(conv(concat_elu(x))))`,
  then layer normalisation over channels (Flow++, Sec. 3.3)."""

  def __init__(self, channels, kernel_size=3, seed=None, **kwargs):
    super().__init__(**kwargs)
    self.channels = channels
    self.kernel_size = kernel_size
    self.seed = seed
    self.conv = keras.layers.Conv2D(
        channels, kernel_size, padding='same',
        kernel_initializer=kernel_initializer(seed, 0),
        dtype=self.dtype_policy, name='conv')
    self.gate_conv = keras.layers.Conv2D(
        2 * channels, kernel_size, padding='same',
        kernel_initializer=kernel_initializer(seed, 1),
        dtype=self.dtype_policy, name='gate_conv')
    self.norm = keras.layers.LayerNormalization(dtype=self.dtype_policy,
                                                name='norm')

  def build(self, input_shape):
    shape = tuple(input_shape)[:-1]
    self.conv.build(shape + (2 * self.channels,))
    self.gate_conv.build(shape + (2 * self.channels,))
    self.norm.build(shape + (self.channels,))

  def call(self, inputs):
    hidden = self.gate_conv(_concat_elu(self.conv(_concat_elu(inputs))))
    value, gate = keras.ops.split(hidden, 2, axis=-1)
    return self.norm(inputs + value * keras.ops.sigmoid(gate))

  def get_config(self):
    config = super().get_config()
    config.update(channels=self.channels, kernel_size=self.kernel_size,
                  seed=self.seed)
    return config


@keras.saving.register_keras_serializable(package='tfp_rbm')
class GatedResidualConvNet(keras.layers.Layer):
  """Flow++'s coupling network: conv, `num_blocks` gated residual blocks, conv.

  Each block computes `x + a * sigmoid(b)` from two convolutions with
  concatenated-ELU activations and normalises the result over channels. The
  output convolution starts at zero when `zero_init_output=True`, which makes
  a mixture-of-logistics coupling start as the identity. (Flow++'s
  self-attention and dropout are left out, as in RBM-Flow, Appendix A.)
  `seed` (an `int`) makes the initial weights reproducible.

  #### Examples

  ```python
  net = tfp_rbm.networks.GatedResidualConvNet(
      output_channels=2 * (3 * 32 + 2), hidden_channels=96, num_blocks=10)
  ```

  #### References

  [1]: Jonathan Ho, Xi Chen, Aravind Srinivas, Yan Duan, Pieter Abbeel.
       Flow++: Improving Flow-Based Generative Models with Variational
       Dequantization and Architecture Design. https://arxiv.org/abs/1902.00275
  """

  def __init__(self, output_channels, hidden_channels=96, num_blocks=10,
               kernel_size=3, zero_init_output=True, seed=None, **kwargs):
    super().__init__(**kwargs)
    self.output_channels = output_channels
    self.hidden_channels = hidden_channels
    self.num_blocks = num_blocks
    self.kernel_size = kernel_size
    self.zero_init_output = zero_init_output
    self.seed = seed
    self.input_conv = keras.layers.Conv2D(
        hidden_channels, kernel_size, padding='same',
        kernel_initializer=kernel_initializer(seed, 1),
        dtype=self.dtype_policy, name='input_conv')
    # A tuple, not a list: `tf.train.Checkpoint` tracks a tuple of layers but
    # not the list wrapper of Keras 3, and would miss these weights.
    self.blocks = tuple(
        _GatedResidualBlock(
            hidden_channels, kernel_size,
            seed=None if seed is None else seed + 2 * (i + 1),
            dtype=self.dtype_policy, name=f'block_{i}')
        for i in range(num_blocks))
    self.output_conv = keras.layers.Conv2D(
        output_channels, kernel_size, padding='same',
        kernel_initializer=kernel_initializer(seed, 0, zero=zero_init_output),
        dtype=self.dtype_policy, name='output_conv')

  def build(self, input_shape):
    shape = tuple(input_shape)[:-1]
    self.input_conv.build(tuple(input_shape))
    for block in self.blocks:
      block.build(shape + (self.hidden_channels,))
    self.output_conv.build(shape + (2 * self.hidden_channels,))

  def call(self, inputs):
    hidden = self.input_conv(inputs)
    for block in self.blocks:
      hidden = block(hidden)
    return self.output_conv(_concat_elu(hidden))

  def get_config(self):
    config = super().get_config()
    config.update(output_channels=self.output_channels,
                  hidden_channels=self.hidden_channels,
                  num_blocks=self.num_blocks,
                  kernel_size=self.kernel_size,
                  zero_init_output=self.zero_init_output,
                  seed=self.seed)
    return config
