"""Under `validate_args`, every bijector and builder rejects non-finite input."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from tfp_rbm import bijectors
from tfp_rbm import flows
from tfp_rbm import networks


def _initialized_actnorm():
  actnorm = bijectors.ActNorm(num_channels=3, validate_args=True)
  actnorm.initialize(tf.random.stateless_normal([4, 2, 2, 3], seed=[1, 2]))
  return actnorm


def _mixture():
  return bijectors.MixtureLogisticCDF(
      tf.zeros([2, 2, 3, 2]), tf.zeros([2, 2, 3, 2]), tf.zeros([2, 2, 3, 2]),
      validate_args=True)


# (name, bijector factory, event shape of `x`, event shape of `y`).
CASES = [
    ('ActNorm', _initialized_actnorm, [2, 2, 3], [2, 2, 3]),
    ('Squeeze', lambda: bijectors.Squeeze(validate_args=True), [1, 1, 12],
     [2, 2, 3]),
    ('Invertible1x1Conv',
     lambda: bijectors.Invertible1x1Conv(num_channels=3, seed=0,
                                         validate_args=True),
     [2, 2, 3], [2, 2, 3]),
    ('MaskedCoupling',
     lambda: bijectors.MaskedCoupling(
         [True, False, True, False],
         networks.MLP(output_units=2, hidden_units=4, num_hidden_layers=1),
         tfb.Shift, validate_args=True),
     [4], [4]),
    ('MixtureLogisticCDF', _mixture, [2, 3], [2, 3]),
]


@pytest.mark.parametrize('name, make, x_shape, y_shape', CASES,
                         ids=[case[0] for case in CASES])
def test_nan_input_is_an_error_naming_the_argument(name, make, x_shape,
                                                    y_shape):
  bijector = make()
  for method, arg, shape in (('forward', 'x', x_shape),
                             ('inverse', 'y', y_shape)):
    value = np.zeros([2] + shape, np.float32)
    value.flat[-1] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f'Argument `{arg}` of {name} must be finite'):
      getattr(bijector, method)(tf.constant(value))


@pytest.mark.parametrize('builder, kwargs, shape', [
    ('glow', dict(image_shape=[4, 4, 1], num_levels=1, num_steps=1,
                  hidden_channels=4), [2, 4, 4, 1]),
    ('nice', dict(event_size=4, num_coupling_layers=2, hidden_units=4,
                  num_hidden_layers=1), [2, 4]),
    ('flowpp', dict(image_shape=[2, 2, 1], num_components=2,
                    hidden_channels=4, num_blocks=1,
                    num_checkerboard_steps=1, num_channel_steps=1,
                    num_final_steps=0), [2, 2, 2, 1]),
])
def test_builders_pass_validate_args_to_every_bijector(builder, kwargs,
                                                        shape):
  flow = getattr(flows, builder)(validate_args=True, **kwargs)
  parts = list(flow._flatten(  # pylint: disable=protected-access
      predicate=lambda v: isinstance(v, tfb.Bijector)))
  assert len(parts) >= 3 and all(part.validate_args for part in parts)
  data = np.full(shape, 0.5, np.float32)
  data.flat[-1] = np.nan
  with pytest.raises(tf.errors.InvalidArgumentError, match='must be finite'):
    flow.inverse(tf.constant(data))
