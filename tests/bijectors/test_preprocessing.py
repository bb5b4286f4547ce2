"""Pre-processing: the logit step and the 8-bit image chain's log-det."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from tfp_rbm.bijectors import dequantized_image_preprocessing
from tfp_rbm.bijectors import logit_preprocessing


@pytest.mark.parametrize('alpha', [0., 0.05])
def test_logit_matches_formula(alpha):
  y = np.array([0.01, 0.1, 0.5, 0.99]) if not alpha else np.array(
      [0., 0.1, 0.5, 0.99, 1.])
  p = alpha + (1. - 2. * alpha) * y
  logit = logit_preprocessing(alpha=alpha, dtype=tf.float64)
  np.testing.assert_allclose(logit.inverse(y), scipy.special.logit(p),
                             rtol=1e-12)
  np.testing.assert_allclose(
      logit.inverse_log_det_jacobian(y, event_ndims=0),
      np.log(1. - 2. * alpha) - np.log(p) - np.log1p(-p), rtol=1e-12)
  x = scipy.special.logit(p)
  np.testing.assert_allclose(
      logit.forward(x), (scipy.special.expit(x) - alpha) / (1. - 2. * alpha),
      rtol=1e-12, atol=1e-15)


def test_preprocessing_log_det_gives_densities_of_pixel_values():
  # A pixel value v in [0, 256) maps to logit(alpha + (1 - 2 alpha) v / 256):
  # the log-det includes -log(256) per dimension, which bits/dim needs.
  pixels = tf.constant([[0.5, 17.3, 255.9]], tf.float64)
  chain = dequantized_image_preprocessing(num_bits=8, alpha=0.05,
                                          dtype=tf.float64)
  p = 0.05 + 0.9 * pixels.numpy() / 256.
  expected = np.sum(np.log(0.9 / 256.) - np.log(p) - np.log1p(-p))
  np.testing.assert_allclose(
      chain.inverse_log_det_jacobian(pixels, event_ndims=1), [expected],
      rtol=1e-12)
  np.testing.assert_allclose(chain.forward(chain.inverse(pixels) + 0),
                             pixels, rtol=1e-12)


def test_bad_arguments_are_named():
  with pytest.raises(ValueError, match='Argument `alpha`'):
    logit_preprocessing(alpha=0.5)
  with pytest.raises(ValueError, match='Argument `alpha`'):
    dequantized_image_preprocessing(alpha=-0.1)
  with pytest.raises(ValueError, match='Argument `high`'):
    logit_preprocessing(high=0.)
