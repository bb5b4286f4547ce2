"""Bits per dimension, and `evaluate_flow` on a flow with a Gaussian-Bernoulli RBM base."""

import warnings

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability.python.bijectors import chain
from tensorflow_probability.python.bijectors import reshape
from tensorflow_probability.python.bijectors import scale
from tensorflow_probability.python.bijectors import sigmoid
from tensorflow_probability.python.distributions import transformed_distribution

from tfp_rbm import evaluation
from tfp_rbm.distributions import GaussianBernoulliRBM
from tfp_rbm.distributions import SmoothedRBM
from tfp_rbm.evaluation import flow_evaluation

NUM_IMAGES = 30


def test_bits_per_dim_formula():
  assert evaluation.bits_per_dim(0., num_dims=784) == pytest.approx(8.)
  log_prob = np.array([-10., 25.])
  np.testing.assert_allclose(
      evaluation.bits_per_dim(log_prob, num_dims=4, num_bins=16),
      (-log_prob + 4 * np.log(16.)) / (4 * np.log(2.)))


def test_bits_per_dim_without_quantization_has_no_offset():
  log_prob = np.array([-10., 25.])
  np.testing.assert_allclose(evaluation.bits_per_dim(log_prob, num_dims=4, num_bins=None),
                             -log_prob / (4 * np.log(2.)))
  inside_a_graph = tf.function(lambda x: evaluation.bits_per_dim(x, np.int64(4), None))
  np.testing.assert_allclose(inside_a_graph(tf.constant(log_prob)).numpy(),
                             -log_prob / (4 * np.log(2.)))


@pytest.mark.parametrize('num_dims,num_bins,error,match', [
    (0, 256, ValueError, '`num_dims` must be at least 1'),
    (-3, 256, ValueError, '`num_dims` must be at least 1'),
    (4, 1, ValueError, '`num_bins` must be at least 2'),
    (4, 0, ValueError, '`num_bins` must be at least 2'),
    (4.5, 256, TypeError, '`num_dims` must be an integer'),
    (4, '256', TypeError, '`num_bins` must be an integer'),
])
def test_bits_per_dim_refuses_bad_counts(num_dims, num_bins, error, match):
  with pytest.raises(error, match=match):
    evaluation.bits_per_dim(-10., num_dims=num_dims, num_bins=num_bins)


def _flow():
  """`x = sigmoid(2 z)` reshaped to 8 x 8 x 1 images, `z` from a 64 x 6 GB-RBM."""
  rng = np.random.default_rng(0)
  base = GaussianBernoulliRBM(weights=rng.normal(0., 0.3, [64, 6]),
                              visible_bias=rng.normal(0., 0.3, [64]),
                              hidden_bias=rng.normal(0., 0.5, [6]), scale=np.full([64], 0.7))
  bijector = chain.Chain([reshape.Reshape([8, 8, 1], [64]), sigmoid.Sigmoid(),
                          scale.Scale(np.float64(2.))])
  return transformed_distribution.TransformedDistribution(base, bijector)


def _images():
  """8-bit images quantized from the flow's own samples."""
  x = _flow().sample(NUM_IMAGES, seed=(1, 1), num_steps=50)
  return np.floor(256. * x.numpy()).clip(0, 255).astype(np.uint8)


class _FlowModel:
  def __init__(self, distribution):
    self.distribution = distribution


@pytest.fixture(scope='module')
def result():
  return evaluation.evaluate_flow(_flow(), _images(), num_chains=100, betas=100,
                                  batch_size=15, seed=(3, 4))


def test_evaluate_flow_brackets_exact_bits_per_dim(result):
  assert result.num_images == NUM_IMAGES and result.num_dims == 64
  tolerance = 0.05 / (64 * np.log(2.))  # 0.05 nats per image, in bits/dim
  assert result.bits_per_dim_ais <= result.bits_per_dim_exact + tolerance
  assert result.bits_per_dim_exact <= result.bits_per_dim_raise + tolerance
  assert abs(result.gap) < 0.01
  assert result.log_normalizer.method == 'ais'


def test_an_inverted_bracket_warns_beyond_its_monte_carlo_error(result):
  """RAISE above AIS by 2 nats per image, well past 3 standard errors, warns; noise does not."""
  ais = result.log_normalizer
  log_z = float(ais.log_normalizer)
  noise = np.random.default_rng(0).normal(size=50)
  with pytest.warns(RuntimeWarning, match='RAISE lies above AIS by 0.04'):
    flow_evaluation._warn_if_bracket_inverted(log_z - 2. + 0.1 * noise, ais, num_dims=64)
  with warnings.catch_warnings():
    warnings.simplefilter('error', RuntimeWarning)
    flow_evaluation._warn_if_bracket_inverted(log_z + 1. + 0.1 * noise, ais, num_dims=64)
    flow_evaluation._warn_if_bracket_inverted(log_z - 0.5 + 5. * noise, ais, num_dims=64)


def test_exact_bits_per_dim_matches_flow_log_prob(result):
  """The same number from `flow.log_prob` on an independent dequantization."""
  flow = _flow()
  pixels = _images().astype(np.float64)
  x = (pixels + np.random.default_rng(2).random(pixels.shape)) / 256.
  expected = evaluation.bits_per_dim(float(tf.reduce_mean(flow.log_prob(x))), 64)
  assert result.bits_per_dim_exact == pytest.approx(expected, abs=0.02)


def test_dataset_of_image_label_pairs_and_model_attribute_give_same_result(result):
  images = _images()
  dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros(NUM_IMAGES))).batch(15)
  again = evaluation.evaluate_flow(_FlowModel(_flow()), dataset, num_chains=100,
                                   betas=100, seed=(3, 4))
  assert again.bits_per_dim_raise == result.bits_per_dim_raise
  assert again.bits_per_dim_exact == result.bits_per_dim_exact


def test_evaluate_flow_rejects_what_is_not_a_distribution():
  with pytest.raises(TypeError, match='`model`'):
    evaluation.evaluate_flow(object(), _images())


def test_evaluate_flow_names_the_supported_bases():
  from tensorflow_probability.python.distributions import normal  # pylint: disable=g-import-not-at-top
  from tensorflow_probability.python.distributions import sample  # pylint: disable=g-import-not-at-top
  flow = transformed_distribution.TransformedDistribution(
      sample.Sample(normal.Normal(np.float64(0.), 1.), [64]), _flow().bijector)
  with pytest.raises(TypeError, match='lacks the capability `annealed`'):
    evaluation.evaluate_flow(flow, _images(), betas=3)


def test_evaluate_flow_needs_8_bit_pixel_values():
  too_large = _images().astype(np.int32)
  too_large[0, 0, 0, 0] = 256
  negative = _images().astype(np.int32)  # The only case that the lower bound alone refuses.
  negative[0, 0, 0, 0] = -1
  for images in (_images() / 255., _images() * 1.001, too_large, negative):
    with pytest.raises(ValueError, match=r'integer pixel values in \[0, 255\]'):
      evaluation.evaluate_flow(_flow(), images, betas=3)


def test_evaluate_flow_refuses_an_empty_dataset_before_any_annealing():
  with pytest.raises(ValueError, match='`dataset` holds no images'):
    evaluation.evaluate_flow(_flow(), np.zeros([0, 8, 8, 1], np.uint8), betas=3)
  empty = tf.data.Dataset.from_tensor_slices(np.zeros([0, 8, 8, 1], np.uint8)).batch(4)
  with pytest.raises(ValueError, match='`dataset` holds no images'):
    evaluation.evaluate_flow(_flow(), empty, betas=3)


def test_evaluate_flow_with_a_smoothed_base_gives_ais_and_exact_without_raise():
  rng = np.random.default_rng(3)
  weights = rng.normal(0., 0.3, [8, 8])
  base = SmoothedRBM(weights=weights, field=rng.normal(0., 0.3, [16]),
                     delta=np.linalg.norm(weights, 2) + 1.)
  flow = transformed_distribution.TransformedDistribution(
      base, chain.Chain([reshape.Reshape([4, 4, 1], [16]), sigmoid.Sigmoid()]))
  pixels = np.floor(256. * flow.sample(20, seed=(2, 2), num_steps=20).numpy())
  result = evaluation.evaluate_flow(flow, pixels.clip(0, 255).astype(np.uint8),
                                    num_chains=100, betas=100, seed=(4, 5))
  assert result.bits_per_dim_raise is None and result.gap is None
  assert result.num_dims == 16
  tolerance = 0.05 / (16 * np.log(2.))
  assert abs(result.bits_per_dim_ais - result.bits_per_dim_exact) < tolerance


def test_evaluate_flow_takes_a_keras_flow_model_with_network_conditioners():
  # Keras conditioners make TFP build its non-composite _TransformedDistribution.
  from tfp_rbm.keras import FlowModel  # pylint: disable=g-import-not-at-top
  model = FlowModel(64, base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4},
                    flow={'builder': 'nice', 'event_size': 64, 'hidden_units': 8,
                          'num_hidden_layers': 1},
                    preprocessing={'alpha': 0.05}, buffer_size=16)
  evaluated = evaluation.evaluate_flow(model, _images(), num_chains=20, betas=20,
                                       num_chains_per_point=1, seed=(5, 6))
  assert evaluated.num_dims == 64
  tolerance = 0.05 / (64 * np.log(2.))
  assert abs(evaluated.bits_per_dim_ais - evaluated.bits_per_dim_exact) < tolerance
