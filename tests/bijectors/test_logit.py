"""Pre-processing: the logit step and the 8-bit image chain's log-det."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from tfp_rbm.bijectors import Logit
from tfp_rbm.bijectors import dequantized_image_preprocessing


def test_logit_matches_formula():
  y = np.array([0., 0.1, 0.5, 0.99, 1.])
  p = 0.05 + 0.9 * y
  logit = Logit(alpha=0.05)
  np.testing.assert_allclose(logit.inverse(y), scipy.special.logit(p),
                             rtol=1e-6)
  np.testing.assert_allclose(
      logit.inverse_log_det_jacobian(y, event_ndims=0),
      np.log(0.9) - np.log(p) - np.log1p(-p), rtol=1e-6)


def test_preprocessing_log_det_gives_densities_of_pixel_values():
  # A pixel value v in [0, 256) maps to logit(alpha + (1 - 2 alpha) v / 256):
  # the log-det includes -log(256) per dimension, which bits/dim needs.
  pixels = tf.constant([[0.5, 17.3, 255.9]], tf.float64)
  chain = dequantized_image_preprocessing(num_bits=8, alpha=0.05)
  p = 0.05 + 0.9 * pixels.numpy() / 256.
  expected = np.sum(np.log(0.9 / 256.) - np.log(p) - np.log1p(-p))
  np.testing.assert_allclose(
      chain.inverse_log_det_jacobian(pixels, event_ndims=1), [expected],
      rtol=1e-12)
  np.testing.assert_allclose(chain.forward(chain.inverse(pixels) + 0),
                             pixels, rtol=1e-12)


def test_bad_input():
  with pytest.raises(ValueError, match='Argument `alpha`'):
    Logit(alpha=0.5)
  logit = Logit(validate_args=True)
  for bad in (-0.1, 1.5, np.nan):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r'Argument `y` must be in \[0, 1\] for the '
                             'logit step'):
      logit.inverse(tf.constant([0.5, bad]))


def test_without_a_margin_the_data_range_is_open():
  logit = Logit(alpha=0., validate_args=True)
  np.testing.assert_allclose(logit.inverse(tf.constant([0.5, 0.75])),
                             [0., np.log(3.)], rtol=1e-6)
  for bad in (0., 1.):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r'Argument `y` must be in \(0, 1\) for the '
                             'logit step with `alpha = 0`'):
      logit.inverse(tf.constant([0.5, bad]))


def test_preprocessing_names_the_pixel_range():
  preprocessing = dequantized_image_preprocessing(num_bits=8,
                                                  validate_args=True)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'Argument `y` must be in \[0, 256\]'):
    preprocessing.inverse(tf.constant([17., 300.]))
  with pytest.raises(ValueError, match='Argument `high`'):
    Logit(high=0.)
