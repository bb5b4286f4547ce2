"""Fully connected conditioner network for couplings over vectors."""

import keras

from tfp_rbm.networks.initializers import kernel_initializer

__all__ = ['MLP']


@keras.saving.register_keras_serializable(package='tfp_rbm')
class MLP(keras.layers.Layer):
  """Multilayer perceptron: `num_hidden_layers` dense layers, then a linear one.

  NICE's coupling function `m` (Dinh et al., 2014, Sec. 5.1): ReLU hidden
  layers of equal width and a linear output. With `zero_init_output=True` the
  output layer starts at zero, so a coupling that holds this network starts
  as the identity. `seed` (an `int`) makes the initial weights reproducible.

  #### Examples

  ```python
  net = tfp_rbm.networks.MLP(output_units=392, hidden_units=1000,
                             num_hidden_layers=5)
  shift = net(x_half)  # [batch, 392]
  ```

  #### References

  [1]: Laurent Dinh, David Krueger, Yoshua Bengio. NICE: Non-linear
       Independent Components Estimation. https://arxiv.org/abs/1410.8516
  """

  def __init__(self, output_units, hidden_units=1000, num_hidden_layers=5,
               activation='relu', zero_init_output=False, seed=None,
               **kwargs):
    super().__init__(**kwargs)
    self.output_units = output_units
    self.hidden_units = hidden_units
    self.num_hidden_layers = num_hidden_layers
    self.activation = activation
    self.zero_init_output = zero_init_output
    self.seed = seed
    # A tuple, not a list: `tf.train.Checkpoint` tracks a tuple of layers but
    # not the list wrapper of Keras 3, and would miss these weights.
    self.hidden_layers = tuple(
        keras.layers.Dense(hidden_units, activation=activation,
                           kernel_initializer=kernel_initializer(seed, i + 1),
                           dtype=self.dtype_policy, name=f'hidden_{i}')
        for i in range(num_hidden_layers))
    self.output_layer = keras.layers.Dense(
        output_units,
        kernel_initializer=kernel_initializer(seed, 0, zero=zero_init_output),
        dtype=self.dtype_policy, name='output')

  def build(self, input_shape):
    shape = tuple(input_shape)
    for layer in self.hidden_layers:
      layer.build(shape)
      shape = shape[:-1] + (self.hidden_units,)
    self.output_layer.build(shape)

  def call(self, inputs):
    hidden = inputs
    for layer in self.hidden_layers:
      hidden = layer(hidden)
    return self.output_layer(hidden)

  def get_config(self):
    config = super().get_config()
    config.update(output_units=self.output_units,
                  hidden_units=self.hidden_units,
                  num_hidden_layers=self.num_hidden_layers,
                  activation=self.activation,
                  zero_init_output=self.zero_init_output,
                  seed=self.seed)
    return config
