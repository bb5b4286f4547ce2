"""The default feature extractor (a small classifier, trained once and cached) and SampleQuality."""

import keras
import numpy as np
import pytest

from tfp_rbm import datasets
from tfp_rbm import evaluation
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import SampleQuality

_TEST_IMAGES = datasets.load_numpy('digits', 'test')


@pytest.fixture(scope='module')
def cache(tmp_path_factory):
  return tmp_path_factory.mktemp('feature_cache')


@pytest.fixture(scope='module')
def extractor(cache):
  # Two steps of training: enough to check the plumbing, not to classify well.
  return evaluation.ClassifierFeatures.for_dataset('digits', cache_dir=cache, epochs=1,
                                                   max_train=256)


def test_the_classifier_is_trained_once_and_cached(extractor, cache):
  files = sorted(p.name for p in cache.iterdir())
  assert len(files) == 2 and files[0].startswith('digits_classifier_'), files
  loaded = evaluation.ClassifierFeatures.for_dataset('digits', cache_dir=cache, epochs=1,
                                                     max_train=256)
  assert sorted(p.name for p in cache.iterdir()) == files  # loaded, not trained again
  assert loaded.test_accuracy == extractor.test_accuracy
  images = _TEST_IMAGES[:20]
  np.testing.assert_allclose(loaded.features(images), extractor.features(images), rtol=1e-6)
  probabilities = extractor.class_probabilities(images.reshape([20, -1]) / 255.)  # flat floats
  assert probabilities.shape == (20, 10)
  np.testing.assert_allclose(probabilities.sum(-1), 1., rtol=1e-5)
  assert extractor.features(images).shape == (20, 64)


def test_score_samples_of_the_data_themselves(extractor):
  scores = evaluation.score_samples(extractor, _TEST_IMAGES[:150], _TEST_IMAGES[:150] / 255.)
  assert abs(scores['fid']) < 1e-6 and abs(scores['kid']) < 1e-3
  assert 1. <= scores['inception_score'] <= 10.


def test_sample_quality_logs_into_history_and_tensorboard(extractor, tmp_path):
  model = FlowModel(64, base={'kind': 'normal'},
                    flow={'builder': 'nice', 'event_size': 64, 'hidden_units': 8,
                          'num_hidden_layers': 1, 'num_coupling_layers': 2},
                    preprocessing={'alpha': 0.05})
  model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
  data = datasets.dequantized_batches(datasets.load_numpy('digits', 'train')[:128], 64, 0)
  history = model.fit(data, epochs=2, verbose=0, callbacks=[
      SampleQuality(extractor, _TEST_IMAGES[:100], num_samples=100, interval=2,
                    log_dir=str(tmp_path / 'logs'))]).history
  # Scored at the end of epoch 2 only: History holds what the callback wrote then.
  assert len(history['fid']) == 1
  for name in ('fid', 'kid', 'inception_score'):
    assert np.isfinite(history[name][0]), name
  assert history['fid'][0] > 0.
  assert list((tmp_path / 'logs').iterdir()), 'no TensorBoard summary written'
