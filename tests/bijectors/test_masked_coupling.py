"""MaskedCoupling: both partitions, the three flows, one network call each."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb

from tfp_rbm import flows
from tfp_rbm import networks
from tfp_rbm.bijectors import MaskedCoupling
from tfp_rbm.bijectors import MixtureLogisticCDF

K = 2
# pylint: disable=protected-access
MIXTURE = functools.partial(MixtureLogisticCDF.from_conditioner_output,
                            num_components=K)
MASKS = {'checkerboard': flows._checkerboard_mask,
         'channel': flows._channel_mask}


def _mixture_coupling(mask, shape, parity=0, zero=False, **kwargs):
  transformed = shape[-1] if mask == 'checkerboard' else shape[-1] // 2
  net = networks.GatedResidualConvNet(
      output_channels=transformed * (3 * K + 2), hidden_channels=4,
      num_blocks=1, zero_init_output=zero, seed=3)
  return MaskedCoupling(MASKS[mask](shape, parity), net, MIXTURE, **kwargs)


class _CountingConditioner(keras.layers.Layer):
  """A conditioner that records its calls (the build call included)."""

  def __init__(self, net):
    super().__init__()
    self.net = net
    self.calls = 0

  def call(self, inputs):
    self.calls += 1
    return self.net(inputs)


def test_glow_affine_with_zero_network_scales_by_sigmoid_two():
  coupling = MaskedCoupling(
      flows._channel_mask([3, 3, 4], parity=0),
      networks.ConvNet(output_channels=4, hidden_channels=8),
      flows._glow_affine)
  y = tf.random.stateless_normal([2, 3, 3, 4], seed=[1, 2])
  x = coupling.inverse(y)
  scale = 1. / (1. + np.exp(-2.))
  np.testing.assert_allclose(x[..., :2], y[..., :2])
  np.testing.assert_allclose(x[..., 2:], y[..., 2:] * scale, rtol=1e-6)
  np.testing.assert_allclose(
      coupling.inverse_log_det_jacobian(y, event_ndims=3),
      np.full([2], 3 * 3 * 2 * np.log(scale)), rtol=1e-5)


@pytest.mark.parametrize('parity, kept, moved',
                         [(0, [0, 2, 4], [1, 3]), (1, [1, 3], [0, 2, 4])])
def test_nice_shift_moves_one_parity_by_the_other(parity, kept, moved):
  # The conditioner reads the kept elements alone: 10 times the first one,
  # copied to every moved element.
  conditioner = keras.layers.Lambda(
      lambda x, n=len(moved): tf.tile(10. * x[..., :1], [1, n]))
  coupling = MaskedCoupling(flows._parity_mask(5, parity), conditioner,
                            flows._nice_shift)
  y = np.array([[1., 2., 3., 4., 5.]], np.float32)
  x = coupling.inverse(y).numpy()
  np.testing.assert_array_equal(x[0, kept], y[0, kept])
  np.testing.assert_allclose(x[0, moved], y[0, moved] + 10. * y[0, kept[0]])
  np.testing.assert_array_equal(
      coupling.forward_log_det_jacobian(y, event_ndims=1), [0.])


def test_zero_mixture_conditioner_is_the_identity():
  y = tf.random.stateless_normal([2, 4, 4, 2], seed=[1, 2])
  for mask in MASKS:
    coupling = _mixture_coupling(mask, [4, 4, 2], zero=True)
    np.testing.assert_allclose(coupling.inverse(y), y, atol=1e-5)
    np.testing.assert_allclose(
        coupling.inverse_log_det_jacobian(y, event_ndims=3), 0., atol=1e-4)


@pytest.mark.parametrize('parity', [0, 1])
def test_checkerboard_keeps_the_conditioning_pixels(parity):
  y = tf.random.stateless_normal([2, 4, 4, 1], seed=[3, 4])
  x = _mixture_coupling('checkerboard', [4, 4, 1], parity).inverse(y)
  rows, cols = np.meshgrid(np.arange(4), np.arange(4), indexing='ij')
  kept = (rows + cols) % 2 == parity
  np.testing.assert_array_equal(x.numpy()[:, kept], y.numpy()[:, kept])
  assert not np.allclose(x.numpy()[:, ~kept], y.numpy()[:, ~kept])


@pytest.mark.parametrize('parity', [0, 1])
def test_channel_mask_keeps_the_conditioning_half(parity):
  y = tf.random.stateless_normal([2, 2, 2, 4], seed=[5, 6])
  x = _mixture_coupling('channel', [2, 2, 4], parity).inverse(y).numpy()
  kept = slice(0, 2) if parity == 0 else slice(2, 4)
  moved = slice(2, 4) if parity == 0 else slice(0, 2)
  np.testing.assert_array_equal(x[..., kept], y.numpy()[..., kept])
  assert not np.allclose(x[..., moved], y.numpy()[..., moved])


@pytest.mark.parametrize('mask, channels', [('checkerboard', 1),
                                             ('channel', 2)])
def test_root_search_recovers_the_data(mask, channels):
  # Absolute error on data of unit scale, relative error 30 times further.
  coupling = _mixture_coupling(mask, [4, 4, channels])
  y = tf.random.stateless_normal([8, 4, 4, channels], seed=[9, 10])
  x = coupling.inverse(y)
  assert np.abs(x - y).max() > 1.  # the coupling is far from the identity
  np.testing.assert_allclose(coupling.forward(x + 0), y, rtol=0, atol=1e-5)
  tails = 30. * y
  np.testing.assert_allclose(coupling.forward(coupling.inverse(tails) + 0),
                             tails, rtol=2e-6, atol=1e-5)


@pytest.mark.parametrize('scale', [1e2, 1e3])
@pytest.mark.parametrize('mask, channels', [('checkerboard', 1),
                                             ('channel', 2)])
def test_round_trip_is_finite_and_accurate_for_data_up_to_1e3(mask, channels,
                                                              scale):
  # Data scaled by 1e3 once gave NaN. Relative error: the float spacing at
  # |y| ~ 1e3 is 6e-5 in float32.
  coupling = _mixture_coupling(mask, [4, 4, channels])
  y = scale * tf.random.stateless_normal([8, 4, 4, channels], seed=[11, 12])
  x = coupling.inverse(y)
  ildj = coupling.inverse_log_det_jacobian(y, event_ndims=3)
  y_again = coupling.forward(x + 0)
  for value in (x, ildj, y_again):
    assert np.all(np.isfinite(value))
  np.testing.assert_allclose(y_again, y, rtol=2e-6, atol=1e-4 * scale / 1e2)


@pytest.mark.parametrize('mask, channels', [('checkerboard', 1),
                                             ('channel', 2)])
def test_unnormalised_conditioner_on_data_up_to_1e3_stays_finite(mask,
                                                                channels):
  # A `ConvNet` conditioner (no layer normalisation) maps data of 1e3 to
  # log-scales of hundreds: once NaN in `forward` (exp overflow), and a root
  # search that walked off a bracket whose end was the root. The latent
  # round trip is within float resolution; the data round trip can be no
  # better than the CDF's float resolution where one logistic outweighs the
  # rest and another, e^7 wide, flattens the CDF.
  transformed = channels if mask == 'checkerboard' else channels // 2
  net = networks.ConvNet(output_channels=transformed * (3 * K + 2),
                         hidden_channels=8, zero_init_output=False, seed=3)
  coupling = MaskedCoupling(MASKS[mask]([4, 4, channels], 0), net, MIXTURE)
  for scale in (1e2, 1e3):
    y = scale * tf.random.stateless_normal([8, 4, 4, channels], seed=[11, 12])
    x = coupling.inverse(y)
    ildj = coupling.inverse_log_det_jacobian(y, event_ndims=3)
    y_again = coupling.forward(x + 0)
    x_again = coupling.inverse(y_again + 0)
    for value in (x, ildj, y_again, x_again):
      assert np.all(np.isfinite(value))
    np.testing.assert_allclose(x_again, x, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize('mask', sorted(MASKS))
def test_each_direction_runs_the_conditioner_once_with_its_log_det(mask):
  net = networks.GatedResidualConvNet(
      output_channels=(2 if mask == 'checkerboard' else 1) * (3 * K + 2),
      hidden_channels=4, num_blocks=1)
  conditioner = _CountingConditioner(net)
  coupling = MaskedCoupling(MASKS[mask]([2, 2, 2], 0), conditioner, MIXTURE)
  calls_to_build = conditioner.calls
  y = tf.random.stateless_normal([2, 2, 2, 2], seed=[7, 8])
  coupling.inverse(y)
  coupling.inverse_log_det_jacobian(y, event_ndims=3)
  x = tf.random.stateless_normal([2, 2, 2, 2], seed=[9, 8])
  coupling.forward(x)
  coupling.forward_log_det_jacobian(x, event_ndims=3)
  assert conditioner.calls - calls_to_build == 2


def test_the_conditioner_is_built_and_its_weights_are_variables():
  net = networks.MLP(output_units=2, hidden_units=4, num_hidden_layers=2)
  assert not net.built
  coupling = MaskedCoupling(flows._parity_mask(4, 0), net, flows._nice_shift)
  assert net.built and len(net.weights) == 6
  assert ({v.ref() for v in coupling.trainable_variables}
          == {w.value.ref() for w in net.trainable_weights})


def test_bad_mask_conditioner_or_input_is_named():
  net = networks.MLP(output_units=2, hidden_units=4, num_hidden_layers=1)
  for mask in (True, [True, True], [[False, False]]):
    with pytest.raises(ValueError, match='Argument `mask`'):
      MaskedCoupling(mask, net, flows._nice_shift)
  with pytest.raises(ValueError, match=r'`conditioner` .* \[2\] to \[3\].*'
                                       r'transformed part\'s shape \[2\]'):
    MaskedCoupling(flows._parity_mask(4, 0),
                   networks.MLP(output_units=3, hidden_units=4,
                                num_hidden_layers=1),
                   flows._nice_shift)
  with pytest.raises(ValueError, match='`conditioner` .* `bijector_fn`'):
    MaskedCoupling(flows._channel_mask([2, 2, 4], 0),
                   networks.ConvNet(output_channels=3, hidden_channels=4),
                   flows._glow_affine)
  with pytest.raises(ValueError, match='`conditioner` .* `bijector_fn`'):
    MaskedCoupling(flows._checkerboard_mask([2, 2, 1], 0),
                   networks.GatedResidualConvNet(
                       output_channels=5, hidden_channels=4, num_blocks=1),
                   MIXTURE)
  coupling = MaskedCoupling(flows._parity_mask(4, 0), net, flows._nice_shift)
  with pytest.raises(ValueError, match=r'Argument `y` .* event shape \[4\]'):
    coupling.inverse(tf.zeros([1, 5]))
  with pytest.raises(ValueError, match=r'Argument `x` .* event shape \[4\]'):
    coupling.forward(tf.zeros([]))


@pytest.mark.parametrize('mask', sorted(MASKS))
@pytest.mark.parametrize('parity', [0, 1])
def test_nan_in_the_conditioning_part_is_an_error(mask, parity):
  coupling = _mixture_coupling(mask, [2, 2, 4], parity, validate_args=True)
  y = np.zeros([1, 2, 2, 4], np.float32)
  # A pixel and channel that conditions under either mask.
  y[0, parity, 0, 2 * parity] = np.nan
  for method, arg in (('inverse', 'y'), ('forward', 'x')):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f'Argument `{arg}` of MaskedCoupling must be '
                             'finite'):
      getattr(coupling, method)(tf.constant(y))


def test_inner_bijector_of_tfp_is_composed_as_given():
  # A `tfb.Exp` for the transformed element, whatever the conditioner says.
  coupling = MaskedCoupling(
      [True, False], keras.layers.Lambda(lambda x: 0. * x),
      lambda output: tfb.Chain([tfb.Shift(output), tfb.Exp()]))
  x = tf.constant([[0.5, 2.]])
  np.testing.assert_allclose(coupling.forward(x), [[0.5, np.exp(2.)]],
                             rtol=1e-6)
  np.testing.assert_allclose(
      coupling.forward_log_det_jacobian(x, event_ndims=1), [2.], rtol=1e-6)
