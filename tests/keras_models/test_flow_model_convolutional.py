"""FlowModel with the shared convolutional RBM over a Glow's latent levels (EB-and-Flow App. B)."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm import evaluation

from tfp_rbm import bijectors
from tfp_rbm import flows
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs


def test_latent_level_shapes_are_the_layout_of_glows_flat_latent():
  # Levels of bare squeezes: the flat latent is a known rearrangement of the image.
  image = np.random.default_rng(0).normal(size=[2, 8, 8, 1]).astype(np.float32)
  flow = bijectors.multiscale([bijectors.Squeeze(), bijectors.Squeeze()], [8, 8, 1])
  shapes = flows.latent_level_shapes('glow', image_shape=[8, 8, 1], num_levels=2)
  assert shapes == [[4, 4, 2], [2, 2, 8]]
  latent = flow.inverse(image).numpy()
  sizes = [int(np.prod(shape)) for shape in shapes]
  first, second = np.split(latent, np.cumsum(sizes)[:-1], axis=-1)
  squeezed = bijectors.Squeeze().inverse(image).numpy()
  np.testing.assert_array_equal(first.reshape([2] + shapes[0]), squeezed[..., :2])
  np.testing.assert_array_equal(second.reshape([2] + shapes[1]),
                                bijectors.Squeeze().inverse(squeezed[..., 2:]).numpy())
  assert flows.latent_level_shapes('flowpp', image_shape=[8, 8, 3]) == [[4, 4, 12]]
  assert flows.latent_level_shapes('glow', image_shape=[32, 32, 3], num_levels=3) == [
      [16, 16, 6], [8, 8, 12], [4, 4, 48]]


def test_latent_level_shapes_refuses_a_vector_flow():
  with pytest.raises(ValueError, match='`builder`'):
    flows.latent_level_shapes('nice')


def _model(seed=0):
  return FlowModel(
      64, base={'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [3, 1],
                'strides': [2, 1], 'num_filters': 3},
      flow={'builder': 'glow', 'image_shape': [8, 8, 1], 'num_levels': 2, 'num_steps': 1,
            'hidden_channels': 4},
      preprocessing={'alpha': 0.05}, buffer_size=16, num_gibbs_steps=2, seed=seed)


def test_trains_evaluates_and_reloads(tmp_path):
  # Under a Glow spec the machine receives the flow's latent per level.
  model = _model()
  base = model.distribution.distribution
  assert base.event_structure == 'levels'
  assert base.event_shape == [tf.TensorShape([4, 4, 2]), tf.TensorShape([2, 2, 8])]
  assert base.level_shapes == [[4, 4, 2], [2, 2, 8]]
  assert base.hidden_map_shape == [2, 2, 3]
  # The chains, log Z and AIS run on the flat form (one machine, the same variables).
  assert model.base.event_structure == 'flat' and model.chains.states.shape == [16, 64]
  x = np.random.default_rng(1).uniform(0.05, 0.95, size=[16, 64]).astype(np.float32)
  before = [v.numpy().copy() for v in base.trainable_variables]
  model.compile(optimizer='adam')
  history = model.fit(x, batch_size=8, epochs=1, verbose=0)
  assert np.isfinite(history.history['loss'][0])
  assert all(np.any(b != v.numpy()) for b, v in zip(before, base.trainable_variables))
  # 12 hidden units: exact log Z, so bits/dim is exact.
  bits = model.evaluate(x, batch_size=16, verbose=0, return_dict=True)['bits_per_dim']
  assert np.isfinite(bits)
  # AIS from a proposal fit to the latents (a list of levels) agrees with the exact log Z.
  latents = model.flow.inverse(tf.constant(x))
  assert [z.shape.as_list() for z in latents] == [[16, 4, 4, 2], [16, 2, 2, 8]]
  estimate = evaluation.log_normalizer(
      model.base, 'ais', num_chains=64, betas=200, seed=(3, 4),
      proposal=model.base.fit_proposal(latents))
  np.testing.assert_allclose(estimate.log_normalizer, model.base.exact_log_normalizer(),
                             atol=0.1)
  assert model.sample(3, seed=(1, 2)).shape == [3, 64]
  path = str(tmp_path / 'conv.keras')
  model.save(path)
  restored = FlowModel.load(path)
  assert restored.distribution.distribution.event_structure == 'levels'
  np.testing.assert_allclose(restored.log_prob(x[:4]), model.log_prob(x[:4]), rtol=1e-6)


def test_the_flat_form_stays_available():
  model = FlowModel(
      64, base={'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [3, 1],
                'strides': [2, 1], 'num_filters': 3, 'event_structure': 'flat'},
      flow={'builder': 'glow', 'image_shape': [8, 8, 1], 'num_levels': 2, 'num_steps': 1,
            'hidden_channels': 4},
      preprocessing={'alpha': 0.05}, buffer_size=16, num_gibbs_steps=2)
  assert model.distribution.distribution.event_structure == 'flat'
  x = np.random.default_rng(1).uniform(0.05, 0.95, size=[4, 64]).astype(np.float32)
  levels = _model()
  np.testing.assert_allclose(model.log_prob(x), levels.log_prob(x), rtol=1e-5)


def test_cifar10_configuration_runs_at_smoke_size():
  model = FlowModel(**specs.eb_and_flow_cifar10(num_steps=1, hidden_channels=4, num_filters=2),
                    buffer_size=4, num_gibbs_steps=1)
  base = model.distribution.distribution
  assert base.level_shapes == [[16, 16, 6], [8, 8, 12], [4, 4, 48]]
  assert base.hidden_map_shape == [4, 4, 2]
  assert [f.shape.as_list() for f in base.filters] == [[5, 5, 6, 2], [3, 3, 12, 2],
                                                       [3, 3, 48, 2]]
  x = np.random.default_rng(2).uniform(0.05, 0.95, size=[1, 3072]).astype(np.float32)
  assert np.isfinite(model.unnormalized_log_prob(x).numpy()).all()


def test_spec_errors_name_the_levels():
  with pytest.raises(ValueError, match='`kernel_sizes`.*2 levels'):
    FlowModel(64, base={'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [3],
                        'strides': [2, 1]},
              flow={'builder': 'glow', 'image_shape': [8, 8, 1], 'num_levels': 2,
                    'num_steps': 1, 'hidden_channels': 4})
  with pytest.raises(ValueError, match='`level_shapes`'):
    FlowModel(64, base={'kind': 'convolutional_gaussian_bernoulli_rbm', 'kernel_sizes': [3],
                        'strides': [2]}, flow=None)
