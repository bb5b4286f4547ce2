"""Variational dequantization: q(u | x), its log-det, the two bounds, and FlowModel's option.

The bounds are checked on tiny models with an exact answer: a density on
[0, 1]^D whose probability of each pixel cell is known in closed form.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import evaluation
from tfp_rbm.dequantization import VariationalDequantizer
from tfp_rbm.keras import FlowModel

tfd = tfp.distributions


class _CellLogitNormal(tfd.Distribution):
  """One value in [0, 1] with `B` cells: `p(y) = B P_k LogitNormal(B y - k; loc_k, scale_k)`.

  So `P(pixel = k) = P_k` exactly, and the noise's true posterior in cell
  `k` is a logit-normal, which `q(u | x)` can represent.
  """

  def __init__(self, probs, locs, scales):
    parameters = dict(locals())
    self._probs, self._locs, self._scales = (tf.constant(v, tf.float64)
                                             for v in (probs, locs, scales))
    super().__init__(dtype=tf.float64, reparameterization_type=tfd.NOT_REPARAMETERIZED,
                     validate_args=False, allow_nan_stats=True, parameters=parameters,
                     name='CellLogitNormal')

  def _event_shape(self):
    return tf.TensorShape([1])

  def _batch_shape(self):
    return tf.TensorShape([])

  def _log_prob(self, y):
    num_bins = self._probs.shape[0]
    scaled = num_bins * y[..., 0]
    cell = tf.clip_by_value(tf.floor(scaled), 0., num_bins - 1.)
    index = tf.cast(cell, tf.int32)
    noise = tfd.LogitNormal(tf.gather(self._locs, index), tf.gather(self._scales, index))
    return (np.log(num_bins) + tf.math.log(tf.gather(self._probs, index))
            + noise.log_prob(scaled - cell))


_PROBS = np.array([0.1, 0.2, 0.3, 0.4])
_PIXELS = np.arange(4.)[:, None]


def _autodiff_log_det(bijector, eps):
  with tf.GradientTape() as tape:
    tape.watch(eps)
    u = bijector.forward(eps)
  return tf.linalg.slogdet(tape.batch_jacobian(u, eps))[1]


def test_log_q_is_the_normal_log_density_minus_the_autodiff_log_det():
  # Vectors here; the image dequantizer is in the bijector registry (cases_bijectors.py).
  event_shape = [3]
  dequantizer = VariationalDequantizer(event_shape, num_bins=4, num_coupling_layers=2,
                                       hidden_units=4, dtype='float64')
  for index, variable in enumerate(dequantizer.trainable_variables):  # not the identity
    variable.assign(0.4 * np.random.default_rng(index).normal(size=variable.shape))
  size = int(np.prod(event_shape))
  pixels = tf.constant(np.random.default_rng(7).integers(0, 4, [5, size]), tf.float64)
  eps = tf.constant(np.random.default_rng(8).normal(size=[5, size]))
  q = dequantizer.distribution(pixels)
  u = dequantizer.bijector(pixels).forward(eps)
  expected = (tfd.Normal(tf.constant(0., tf.float64), 1.).log_prob(eps).numpy().sum(-1)
              - _autodiff_log_det(dequantizer.bijector(pixels), eps))
  np.testing.assert_allclose(q.log_prob(u + 0), expected, rtol=1e-9, atol=1e-9)
  assert np.all((u > 0.) & (u < 1.))
  # One pass gives the same pair; K draws broadcast against the pixels' batch.
  drawn, log_q = q.experimental_sample_and_log_prob(3, seed=(1, 2))
  assert drawn.shape == [3, 5, size]
  np.testing.assert_allclose(q.log_prob(drawn + 0), log_q, rtol=1e-9)


def test_the_importance_weighted_bound_tightens_to_the_exact_log_probability():
  # Uniform noise on a Beta density: log P(k) = log(CDF((k + 1) / B) - CDF(k / B)).
  beta = tfd.Beta(tf.constant(2., tf.float64), tf.constant(3., tf.float64))
  exact = np.log(beta.cdf((_PIXELS[:, 0] + 1.) / 4.) - beta.cdf(_PIXELS[:, 0] / 4.))
  model = tfd.Sample(beta, [1])
  gaps = {}
  for k in (1, 1000):
    estimate = evaluation.importance_weighted_log_prob(model, _PIXELS, num_samples=k,
                                                       num_bins=4, seed=(0, 1))
    # Jensen, draw by draw: the variational bound is never above the IW bound.
    assert np.all(estimate.variational_bound <= estimate.log_prob + 1e-12)
    gaps[k] = np.abs(estimate.log_prob - exact)
  assert gaps[1000].max() < 0.05 < gaps[1].max()
  np.testing.assert_allclose(estimate.bits_per_dim,
                             -np.mean(estimate.log_prob) / np.log(2.), rtol=1e-12)


def test_a_trained_dequantizer_closes_the_variational_gap():
  model = _CellLogitNormal(_PROBS, locs=[0.8] * 4, scales=[0.6] * 4)
  exact = np.log(_PROBS)
  dequantizer = VariationalDequantizer([1], num_bins=4, num_coupling_layers=1, hidden_units=8,
                                       num_hidden_layers=1, dtype='float64')
  optimizer = keras.optimizers.Adam(0.1)
  pixels = tf.constant(_PIXELS)

  @tf.function
  def step(seed):
    with tf.GradientTape() as tape:
      u, log_q = dequantizer.distribution(pixels).experimental_sample_and_log_prob(32, seed=seed)
      loss = -tf.reduce_mean(model.log_prob((pixels + u) / 4.) - np.log(4.) - log_q)
    optimizer.apply(tape.gradient(loss, dequantizer.trainable_variables),
                    dequantizer.trainable_variables)

  uniform = evaluation.importance_weighted_log_prob(model, _PIXELS, num_samples=32,
                                                    num_bins=4, seed=(2, 3))
  for i in range(60):
    step(tf.constant([i, 0]))
  learned = evaluation.importance_weighted_log_prob(model, _PIXELS, num_samples=32,
                                                    dequantizer=dequantizer, num_bins=4,
                                                    seed=(2, 3))
  assert np.all(learned.variational_bound <= learned.log_prob + 1e-12)
  uniform_gap = np.mean(exact - uniform.variational_bound)
  learned_gap = np.mean(exact - learned.variational_bound)
  assert uniform_gap > 0.2 and learned_gap < 0.03, (uniform_gap, learned_gap)
  np.testing.assert_allclose(learned.log_prob, exact, atol=0.03)


@pytest.fixture(scope='module')
def variational_model():
  model = FlowModel(4, base={'kind': 'normal'},
                    flow={'builder': 'nice', 'event_size': 4, 'hidden_units': 8,
                          'num_hidden_layers': 1, 'num_coupling_layers': 2},
                    preprocessing={'alpha': 0.05}, num_bins=4,
                    dequantization={'kind': 'variational', 'hidden_units': 8,
                                    'num_coupling_layers': 2})
  model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
  return model


_DATA = np.random.default_rng(0).integers(0, 4, size=[64, 4]).astype(np.uint8)


def _ref(variable):
  return (variable.value if isinstance(variable, keras.Variable) else variable).ref()


def test_flow_model_trains_and_tracks_the_dequantizer(variational_model):
  model = variational_model
  tracked = {_ref(v) for v in model.trainable_variables}
  dequantizer_variables = model.dequantizer.trainable_variables
  assert dequantizer_variables and all(_ref(v) in tracked for v in dequantizer_variables)
  with tf.GradientTape() as tape:  # the training loss, as train_step computes it
    # pylint: disable-next=protected-access
    x, log_noise = model._dequantized(tf.constant(_DATA, tf.float32), salt=0)
    loss = -tf.reduce_mean(model.distribution.log_prob(x) - log_noise)
  assert {v.ref() for v in tape.watched_variables()} == tracked
  assert all(g is not None for g in tape.gradient(loss, dequantizer_variables))
  before = [v.numpy() for v in dequantizer_variables]
  # Unshuffled: Keras' shuffle draws unseeded, and 4 steps of fresh noise need not descend.
  history = model.fit(_DATA, batch_size=32, epochs=8, shuffle=False, verbose=0).history
  assert any(not np.allclose(b, v) for b, v in zip(before, dequantizer_variables))
  assert history['loss'][-1] < history['loss'][0], history['loss']
  # bits/dim is the bound: the flow's, the base's and the noise's terms, plus log2(B).
  assert np.all(np.isfinite(history['dequantization_bits_per_dim']))


def test_flow_model_save_and_load_keep_the_dequantizer(variational_model, tmp_path):
  model = variational_model
  path = tmp_path / 'variational.keras'
  model.save(path)
  loaded = FlowModel.load(path)
  assert loaded.get_config()['dequantization'] == model.get_config()['dequantization']
  for saved, restored in zip(model.dequantizer.trainable_variables,
                             loaded.dequantizer.trainable_variables):
    np.testing.assert_array_equal(saved, restored)
  estimates = [evaluation.importance_weighted_log_prob(m, _DATA, num_samples=2, seed=(0, 1))
               for m in (model, loaded)]
  np.testing.assert_allclose(estimates[1].log_prob, estimates[0].log_prob, rtol=1e-6)
  assert estimates[1].log_prob.shape == [64]
  assert np.all(estimates[1].variational_bound <= estimates[1].log_prob + 1e-6)
