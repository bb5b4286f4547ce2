"""MixLogCDFCoupling: masks, identity at zero, conditioner sizes, bad input."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm import networks
from tfp_rbm.bijectors import MixLogCDFCoupling

K = 2


def _coupling(mask, channels, parity=0, zero=False):
  transformed = channels if mask == 'checkerboard' else channels // 2
  net = networks.GatedResidualConvNet(
      output_channels=transformed * (3 * K + 2), hidden_channels=4,
      num_blocks=1, zero_init_output=zero, seed=3)
  return MixLogCDFCoupling(net, num_components=K, mask=mask, parity=parity)


def test_zero_conditioner_is_the_identity():
  y = tf.random.stateless_normal([2, 4, 4, 2], seed=[1, 2])
  for mask in ('checkerboard', 'channel'):
    coupling = _coupling(mask, channels=2, zero=True)
    np.testing.assert_allclose(coupling.inverse(y), y, atol=1e-5)
    np.testing.assert_allclose(
        coupling.inverse_log_det_jacobian(y, event_ndims=3), 0., atol=1e-4)


@pytest.mark.parametrize('parity', [0, 1])
def test_checkerboard_keeps_the_conditioning_pixels(parity):
  y = tf.random.stateless_normal([2, 4, 4, 1], seed=[3, 4])
  x = _coupling('checkerboard', channels=1, parity=parity).inverse(y)
  rows, cols = np.meshgrid(np.arange(4), np.arange(4), indexing='ij')
  kept = (rows + cols) % 2 == parity
  np.testing.assert_array_equal(x.numpy()[:, kept], y.numpy()[:, kept])
  assert not np.allclose(x.numpy()[:, ~kept], y.numpy()[:, ~kept])


@pytest.mark.parametrize('parity', [0, 1])
def test_channel_mask_keeps_the_conditioning_half(parity):
  y = tf.random.stateless_normal([2, 2, 2, 4], seed=[5, 6])
  x = _coupling('channel', channels=4, parity=parity).inverse(y).numpy()
  kept = slice(0, 2) if parity == 0 else slice(2, 4)
  moved = slice(2, 4) if parity == 0 else slice(0, 2)
  np.testing.assert_array_equal(x[..., kept], y.numpy()[..., kept])
  assert not np.allclose(x[..., moved], y.numpy()[..., moved])


@pytest.mark.parametrize('mask, channels', [('checkerboard', 1),
                                             ('channel', 2)])
def test_root_search_recovers_the_data(mask, channels):
  # Absolute error on data of unit scale, relative error 30 times further.
  coupling = _coupling(mask, channels)
  y = tf.random.stateless_normal([8, 4, 4, channels], seed=[9, 10])
  x = coupling.inverse(y)
  assert np.abs(x - y).max() > 1.  # the coupling is far from the identity
  np.testing.assert_allclose(coupling.forward(x + 0), y, rtol=0, atol=1e-5)
  tails = 30. * y
  np.testing.assert_allclose(coupling.forward(coupling.inverse(tails) + 0),
                             tails, rtol=2e-6, atol=1e-5)


def test_bad_input():
  net = networks.GatedResidualConvNet(output_channels=5, hidden_channels=4,
                                      num_blocks=1)
  with pytest.raises(ValueError, match='`conditioner` .* 8 channels'):
    MixLogCDFCoupling(net, num_components=K).inverse(tf.zeros([1, 2, 2, 1]))
  with pytest.raises(ValueError, match='Argument `y` .* even channel count'):
    _coupling('channel', channels=2).inverse(tf.zeros([1, 2, 2, 3]))
  with pytest.raises(ValueError, match='Argument `mask`'):
    MixLogCDFCoupling(net, num_components=K, mask='stripes')
  with pytest.raises(ValueError, match='Argument `parity`'):
    MixLogCDFCoupling(net, num_components=K, parity=2)
  with pytest.raises(ValueError, match='Argument `num_components`'):
    MixLogCDFCoupling(net, num_components=0)


@pytest.mark.parametrize('mask', ['checkerboard', 'channel'])
@pytest.mark.parametrize('parity', [0, 1])
def test_nan_in_the_conditioning_part_is_an_error(mask, parity):
  transformed = 4 if mask == 'checkerboard' else 2
  net = networks.GatedResidualConvNet(
      output_channels=transformed * (3 * K + 2), hidden_channels=4,
      num_blocks=1)
  coupling = MixLogCDFCoupling(net, num_components=K, mask=mask,
                               parity=parity, validate_args=True)
  y = np.zeros([1, 2, 2, 4], np.float32)
  # A pixel and channel that conditions under either mask.
  y[0, parity, 0, 2 * parity] = np.nan
  for method, arg in (('inverse', 'y'), ('forward', 'x')):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f'Argument `{arg}` of MixLogCDFCoupling must be '
                             'finite'):
      getattr(coupling, method)(tf.constant(y))


def test_log_prob_runs_the_conditioner_once():
  net = networks.GatedResidualConvNet(output_channels=3 * K + 2,
                                      hidden_channels=4, num_blocks=1)
  calls = []

  def counting_conditioner(x):
    calls.append(x)
    return net(x)

  coupling = MixLogCDFCoupling(counting_conditioner, num_components=K)
  y = tf.random.stateless_normal([2, 2, 2, 1], seed=[7, 8])
  coupling.inverse(y)
  coupling.inverse_log_det_jacobian(y, event_ndims=3)
  assert len(calls) == 1
