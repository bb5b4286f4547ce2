"""MixtureLogisticCDF: formulas, root search over the tails, bad input."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from tfp_rbm.bijectors import MixtureLogisticCDF
from tfp_rbm.bijectors import mixture_logistic_cdf

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
  """docs/math.md Sec. 7 in NumPy/SciPy (float64)."""
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


# (mixture_logits, locs, log_scales) of one element each.
MIXTURES = {
    'overlapping': (LOGITS, LOCS, LOG_SCALES),
    'separated': ([0., -1., 0.5], [-40., 0., 30.], [-2., 0., 1.]),
    'narrow_and_wide': ([1., 0.], [0., 1.], [-3., 1.5]),
    'single': ([0.], [1.5], [-0.5]),
}
# Absolute error over the mass, relative error in the far tails.
ROUND_TRIP_TOLERANCE = {tf.float32: (1e-5, 2e-6), tf.float64: (1e-12, 1e-13)}


def _mixture_of(name, dtype):
  logits, locs, log_scales = (tf.constant([v], dtype) for v in MIXTURES[name])
  return MixtureLogisticCDF(logits, locs, log_scales,
                            log_scale=tf.constant(0.4, dtype),
                            shift=tf.constant(-0.7, dtype))


def _density(y, name):
  """The mixture's density at `y` in float64."""
  logits, locs, log_scales = (np.array(v) for v in MIXTURES[name])
  u = (y[:, None] - locs) * np.exp(-log_scales)
  return np.sum(scipy.special.softmax(logits) * np.exp(-log_scales)
                * scipy.special.expit(u) * scipy.special.expit(-u), axis=-1)


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
@pytest.mark.parametrize('name', sorted(MIXTURES))
def test_root_search_recovers_data_over_the_mass_and_the_tails(name, dtype):
  # The mass region is the highest-density region holding 90% of the mass;
  # the far tails are 10 of the widest scales beyond every component. Between
  # separated components the CDF is flat to float precision, so the data
  # there are checked through the latent round trip below instead.
  _, locs, log_scales = MIXTURES[name]
  widest = np.exp(max(log_scales))
  y = np.linspace(min(locs) - 100., max(locs) + 100., 16001)
  mixture = _mixture_of(name, dtype)
  y_again = mixture.forward(mixture.inverse(tf.constant(y[:, None], dtype))
                            + 0).numpy()[:, 0]
  error = np.abs(y_again - y)
  density = _density(y, name)
  order = np.argsort(-density)
  mass = np.cumsum(density[order]) * (y[1] - y[0])
  in_mass = density >= density[order][np.searchsorted(mass, 0.9)]
  far_tails = ((y < min(locs) - 10. * widest)
               | (y > max(locs) + 10. * widest))
  absolute, relative = ROUND_TRIP_TOLERANCE[dtype]
  assert error[in_mass].max() < absolute
  assert (error[far_tails] / np.abs(y[far_tails])).max() < relative


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
@pytest.mark.parametrize('name', sorted(MIXTURES))
def test_latent_round_trip_is_within_float_resolution_of_the_root(name,
                                                                  dtype):
  # The search can do no better than the float nearest the root: one
  # spacing of `y` moves the latent by `dx/dy` times that spacing.
  x = np.linspace(-60., 60., 1201)
  mixture = _mixture_of(name, dtype)
  y = mixture.forward(tf.constant(x[:, None], dtype)) + 0
  x_again = mixture.inverse(y).numpy()[:, 0]
  slope = np.exp(mixture.inverse_log_det_jacobian(y, event_ndims=0))[:, 0]
  resolution = 4. * np.spacing(np.abs(y.numpy()[:, 0])) * slope
  absolute, _ = ROUND_TRIP_TOLERANCE[dtype]
  assert np.all(np.abs(x_again - x) <= absolute + resolution)


def test_finite_gradients_in_range_and_the_implicit_gradient():
  x = tf.constant(np.linspace(-40., 40., 161)[:, None], tf.float32)
  mixture = _mixture()
  parameters = [mixture.mixture_logits, mixture.locs, mixture.log_scales]
  with tf.GradientTape(persistent=True) as tape:
    tape.watch([x] + parameters)
    y = mixture.forward(x)
    fldj = mixture.forward_log_det_jacobian(x, event_ndims=0)
    log_prob_like = mixture.inverse_log_det_jacobian(y + 0, event_ndims=0)
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


def test_wrong_parameter_and_input_shapes_name_the_argument():
  components = tf.zeros([4, 3])
  with pytest.raises(ValueError, match='Argument `log_scale` .* batch shape '
                                       r'\(5,\)'):
    MixtureLogisticCDF(components, components, components,
                       log_scale=tf.zeros([5]))
  with pytest.raises(ValueError, match='Argument `locs` .* batch shape'):
    MixtureLogisticCDF(components, tf.zeros([2, 3]), components)
  mixture = MixtureLogisticCDF(components, components, components,
                               shift=tf.zeros([4]), validate_args=True)
  with pytest.raises(ValueError, match='Argument `y` .* shape'):
    mixture.inverse(tf.zeros([2, 5]))
  with pytest.raises(ValueError, match='Argument `x` .* shape'):
    mixture.forward(tf.zeros([3]))
  # Shapes unknown until run time are checked under `validate_args`.
  inverse = tf.function(mixture.inverse,
                        input_signature=[tf.TensorSpec([None, None])])
  assert inverse(tf.zeros([2, 4])).shape == [2, 4]
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='Argument `y` of MixtureLogisticCDF has shape'):
    inverse(tf.zeros([2, 5]))


def test_log_prob_evaluates_the_mixture_cdf_once(monkeypatch):
  calls = []
  original = mixture_logistic_cdf._logit_mixture_cdf  # pylint: disable=protected-access

  def counting(*args):
    calls.append(args)
    return original(*args)

  monkeypatch.setattr(mixture_logistic_cdf, '_logit_mixture_cdf', counting)
  mixture = _mixture()
  y = tf.constant([[0.3], [1.7]])
  mixture.inverse(y)
  mixture.inverse_log_det_jacobian(y, event_ndims=0)
  assert len(calls) == 1


def test_max_search_iterations_below_one_is_refused():
  # Zero iterations returned the bracket's end, a wrong root.
  with pytest.raises(ValueError, match='`max_search_iterations` .* at least 1'):
    _mixture(max_search_iterations=0)
  one = _mixture(max_search_iterations=1)
  assert np.all(np.isfinite(one.forward(tf.constant([[0.3]]))))


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64], ids=str)
def test_huge_log_scales_are_capped_and_forward_stays_finite(dtype):
  # exp(100) overflows float32: the root search's bracket was infinite and
  # `forward` NaN. Capped at 7, a component that wide is flat over the data.
  def mixture(log_scale):
    return MixtureLogisticCDF(tf.constant([[0.5, 0.]], dtype),
                              tf.constant([[0., 1.]], dtype),
                              tf.constant([[log_scale, 0.]], dtype))
  wide, capped = mixture(100.), mixture(mixture_logistic_cdf.MAX_LOG_SCALE)
  x = tf.constant(np.linspace(-50., 50., 21)[:, None], dtype)
  y = wide.forward(x)
  assert np.all(np.isfinite(y))
  np.testing.assert_array_equal(y, capped.forward(x))
  np.testing.assert_allclose(wide.inverse(y + 0), x, atol=1e-4)
  assert np.all(np.isfinite(wide.inverse_log_det_jacobian(y, event_ndims=0)))
