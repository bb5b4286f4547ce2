"""MixtureLogisticCDF: formulas, root search over the tails, bad input."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from tfp_rbm.bijectors import MixtureLogisticCDF

LOGITS = [0.3, -1., 1.2]
LOCS = [-2., 0.5, 3.]
LOG_SCALES = [-1., 0.2, 0.8]


def _mixture(dtype=tf.float32, num_elements=1, **kwargs):
  def tile(values):
    return tf.constant([values] * num_elements, dtype)
  return MixtureLogisticCDF(tile(LOGITS), tile(LOCS), tile(LOG_SCALES),
                            log_scale=tf.constant(0.4, dtype),
                            shift=tf.constant(-0.7, dtype), **kwargs)


def _reference_inverse(y):
  """MATH.md Sec. 7 in NumPy/SciPy (float64)."""
  weights = scipy.special.softmax(LOGITS)
  u = (y[:, None] - np.array(LOCS)) * np.exp(-np.array(LOG_SCALES))
  cdf = np.sum(weights * scipy.special.expit(u), axis=-1)
  density = np.sum(weights * np.exp(-np.array(LOG_SCALES))
                   * scipy.special.expit(u) * scipy.special.expit(-u), axis=-1)
  x = scipy.special.logit(cdf) * np.exp(0.4) - 0.7
  ildj = np.log(density) - np.log(cdf) - np.log1p(-cdf) + 0.4
  return x, ildj


def test_inverse_and_log_det_match_the_formulas():
  y = np.linspace(-8., 10., 50)
  mixture = _mixture(tf.float64)
  expected_x, expected_ildj = _reference_inverse(y)
  np.testing.assert_allclose(mixture.inverse(y[:, None])[:, 0], expected_x,
                             rtol=1e-10)
  np.testing.assert_allclose(
      mixture.inverse_log_det_jacobian(y[:, None], event_ndims=0)[:, 0],
      expected_ildj, rtol=1e-9)


@pytest.mark.parametrize('dtype, tolerance', [(tf.float32, 1e-5),
                                              (tf.float64, 1e-12)])
def test_root_search_recovers_data_over_the_mass_and_the_tails(dtype,
                                                               tolerance):
  # Component locations span [-2, 3] with scales up to e^0.8: [-60, 60]
  # reaches far into the tails, where the CDF is within 1e-10 of 0 or 1.
  y = tf.constant(np.concatenate([np.linspace(-60., 60., 241),
                                  np.linspace(-3., 4., 141)])[:, None], dtype)
  mixture = _mixture(dtype)
  y_again = mixture.forward(mixture.inverse(y) + 0)
  error = np.abs(y_again - y) / np.maximum(1., np.abs(y))
  assert error.max() < tolerance


def test_latent_round_trip_and_finite_gradients_in_range():
  x = tf.constant(np.linspace(-40., 40., 161)[:, None], tf.float32)
  mixture = _mixture()
  parameters = [mixture.mixture_logits, mixture.locs, mixture.log_scales]
  with tf.GradientTape(persistent=True) as tape:
    tape.watch([x] + parameters)
    y = mixture.forward(x)
    fldj = mixture.forward_log_det_jacobian(x, event_ndims=0)
    log_prob_like = mixture.inverse_log_det_jacobian(y + 0, event_ndims=0)
  np.testing.assert_allclose(mixture.inverse(y + 0), x, atol=2e-4, rtol=1e-5)
  for target in (y, fldj, log_prob_like):
    for gradient in tape.gradient(target, [x] + parameters):
      assert np.all(np.isfinite(gradient))
  # dy/dx through the root search is exp(fldj), by the implicit function.
  np.testing.assert_allclose(tape.gradient(y, x), np.exp(fldj), rtol=1e-3)


def test_inverse_never_runs_the_root_search():
  mixture = _mixture()

  @tf.function
  def log_det_path(y):
    return (mixture.inverse(y),
            mixture.inverse_log_det_jacobian(y, event_ndims=0))

  graph = log_det_path.get_concrete_function(
      tf.TensorSpec([None, 1], tf.float32)).graph
  op_types = {op.type for op in graph.get_operations()}
  assert not op_types & {'While', 'StatelessWhile'}


def test_log_scales_are_floored_as_in_flowpp():
  steep = MixtureLogisticCDF([[0.]], [[0.]], [[-30.]])
  floored = MixtureLogisticCDF([[0.]], [[0.]], [[-7.]])
  y = tf.constant([[1e-3]])
  np.testing.assert_allclose(steep.inverse(y), floored.inverse(y))


def test_xla_matches_eager():
  mixture = _mixture()
  x = tf.constant(np.linspace(-5., 5., 11)[:, None], tf.float32)
  compiled = tf.function(mixture.forward, jit_compile=True)
  np.testing.assert_allclose(compiled(x), mixture.forward(x), atol=1e-5)


def test_bad_input():
  with pytest.raises(ValueError, match='`mixture_logits`, `locs` and '
                                       '`log_scales` .* same number'):
    MixtureLogisticCDF(tf.zeros([2, 3]), tf.zeros([2, 4]), tf.zeros([2, 3]))
  mixture = _mixture(validate_args=True)
  with pytest.raises(tf.errors.InvalidArgumentError, match='Argument `y`'):
    mixture.inverse(tf.constant([[np.nan]]))
  with pytest.raises(tf.errors.InvalidArgumentError, match='Argument `x`'):
    mixture.forward(tf.constant([[np.inf]]))
