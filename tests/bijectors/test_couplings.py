"""Affine (Glow) and additive (NICE) couplings, and NICE's diagonal scale."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm import networks
from tfp_rbm.bijectors import AdditiveCoupling
from tfp_rbm.bijectors import AffineCoupling
from tfp_rbm.bijectors import DiagonalScale


def test_affine_coupling_with_zero_network_scales_by_sigmoid_two():
  coupling = AffineCoupling(networks.ConvNet(output_channels=4,
                                             hidden_channels=8))
  y = tf.random.stateless_normal([2, 3, 3, 4], seed=[1, 2])
  x = coupling.inverse(y)
  scale = 1. / (1. + np.exp(-2.))
  np.testing.assert_allclose(x[..., :2], y[..., :2])
  np.testing.assert_allclose(x[..., 2:], y[..., 2:] * scale, rtol=1e-6)
  np.testing.assert_allclose(
      coupling.inverse_log_det_jacobian(y, event_ndims=3),
      np.full([2], 3 * 3 * 2 * np.log(scale)), rtol=1e-5)


def test_affine_coupling_log_prob_runs_the_conditioner_once():
  net = networks.ConvNet(output_channels=4, hidden_channels=8)
  calls = []

  def counting_conditioner(x):
    calls.append(x)
    return net(x)

  coupling = AffineCoupling(counting_conditioner)
  y = tf.random.stateless_normal([2, 3, 3, 4], seed=[3, 4])
  coupling.inverse(y)
  coupling.inverse_log_det_jacobian(y, event_ndims=3)
  assert len(calls) == 1


def test_affine_coupling_bad_input():
  coupling = AffineCoupling(networks.ConvNet(output_channels=4,
                                             hidden_channels=8))
  with pytest.raises(ValueError, match='Argument `y` .* even channel count'):
    coupling.inverse(tf.zeros([1, 2, 2, 3]))
  wrong = AffineCoupling(networks.ConvNet(output_channels=3,
                                          hidden_channels=8))
  with pytest.raises(ValueError, match='`conditioner` .* 4 channels'):
    wrong.inverse(tf.zeros([1, 2, 2, 4]))


def test_additive_coupling_shifts_one_parity_by_the_other():
  def shift_fn(x):  # a conditioner whose output is easy to predict
    return 10. * x[..., :2]
  for parity, kept, moved in [(0, [0, 2, 4], [1, 3]), (1, [1, 3], [0, 2, 4])]:
    coupling = AdditiveCoupling(
        lambda x, n=len(moved): tf.tile(shift_fn(x)[..., :1], [1, n]),
        conditioning_parity=parity)
    y = tf.constant([[1., 2., 3., 4., 5.]])
    x = coupling.inverse(y).numpy()
    np.testing.assert_array_equal(x[0, kept], y.numpy()[0, kept])
    expected = y.numpy()[0, moved] + 10. * y.numpy()[0, kept[0]]
    np.testing.assert_allclose(x[0, moved], expected)
    assert float(coupling.forward_log_det_jacobian(y, event_ndims=1)) == 0.


def test_additive_coupling_bad_input():
  with pytest.raises(ValueError, match='conditioning_parity'):
    AdditiveCoupling(networks.MLP(output_units=2), conditioning_parity=2)
  coupling = AdditiveCoupling(networks.MLP(output_units=3, hidden_units=4,
                                           num_hidden_layers=1))
  with pytest.raises(ValueError, match='`conditioner` .* 2 values'):
    coupling.inverse(tf.zeros([1, 4]))


def test_diagonal_scale():
  scale = DiagonalScale(log_scale=tf.constant([0., 1., -2.]))
  x = tf.constant([[1., 1., 1.]])
  np.testing.assert_allclose(scale.forward(x), [[1., np.e, np.exp(-2.)]],
                             rtol=1e-6)
  np.testing.assert_allclose(scale.forward_log_det_jacobian(x, 1), -1.)
  owned = DiagonalScale(event_size=3)
  assert list(owned.trainable_variables) == [owned.log_scale]
  with pytest.raises(ValueError, match='event_size'):
    DiagonalScale()
