"""FlowModel with a labelled base: semi-supervised fit on (x, y), accuracy, label_posterior."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 6
NUM_CLASSES = 2
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}
LABELED = {'kind': 'labeled_gaussian_bernoulli_rbm', 'num_hidden': 3,
           'num_classes': NUM_CLASSES, 'weight_scale': 0.1}


def _two_classes(n=128, seed=0):
  """Two clusters in (0, 1)^D: class 0 low on the first half, class 1 high on it."""
  rng = np.random.default_rng(seed)
  y = rng.integers(0, NUM_CLASSES, size=n)
  centers = np.where(y[:, None] == 1, 0.75, 0.25) * np.ones([1, EVENT_SIZE])
  centers[:, EVENT_SIZE // 2:] = 0.5
  x = np.clip(centers + rng.normal(scale=0.05, size=[n, EVENT_SIZE]), 0.02, 0.98)
  return x.astype('float32'), y.astype('int32')


def _model(base=LABELED, **kwargs):
  model = FlowModel(EVENT_SIZE, base=base, flow=NICE, preprocessing={'alpha': 0.05},
                    buffer_size=64, num_gibbs_steps=2, seed=3, **kwargs)
  model.compile(optimizer=keras.optimizers.Adam(2e-2), jit_compile=False)
  return model


def _half_unlabelled(y):
  y = y.copy()
  y[::2] = -1
  return y


def test_semi_supervised_fit_learns_the_classes():
  x, y = _two_classes()
  # The flow trains too (every variable moves): from W, U ~ N(0, 0.01^2) the label units
  # cannot break their symmetry before the flow has moved the classes; 0.5 can.
  model = _model(base=dict(LABELED, weight_scale=0.5), label_weight=5.)
  model.initialize(x)
  before = [v.numpy().copy() for v in model.trainable_variables]
  history = model.fit(x, _half_unlabelled(y), batch_size=32, epochs=4, verbose=0,
                      shuffle=False).history
  assert all(np.any(b != v.numpy()) for b, v in zip(before, model.trainable_variables))
  for name in ('loss', 'accuracy', 'unnormalized_bits_per_dim', 'flow_bits_per_dim'):
    assert np.all(np.isfinite(history[name])), (name, history[name])
  assert history['accuracy'][-1] > 0.75, history['accuracy']
  test_x, test_y = _two_classes(seed=1)
  classes = model.predict_classes(test_x)
  assert classes.shape == [test_x.shape[0]] and classes.dtype == tf.int32
  assert np.mean(classes.numpy() == test_y) > 0.75
  results = model.evaluate(test_x, test_y, batch_size=64, verbose=0, return_dict=True)
  assert results['accuracy'] > 0.75 and np.isfinite(results['bits_per_dim']), results


def test_accuracy_declares_higher_is_better():
  from keras.src.callbacks import monitor_callback  # pylint: disable=g-import-not-at-top
  model = _model()
  callback = monitor_callback.MonitorCallback(monitor='val_accuracy')
  callback.set_model(model)
  callback._set_monitor_op()  # pylint: disable=protected-access
  assert callback.monitor_op is keras.ops.greater


def test_fit_without_labels_trains_unsupervised():
  x, _ = _two_classes(32)
  model = _model()
  history = model.fit(x, batch_size=16, epochs=1, verbose=0).history
  assert np.isfinite(history['loss'][-1])
  assert np.isnan(history['accuracy'][-1])  # No labelled example seen.


def test_keras_save_load_keeps_the_label_posterior(tmp_path):
  x, y = _two_classes(32)
  model = _model(label_weight=3.)
  model.fit(x, y, batch_size=16, epochs=1, verbose=0)
  path = str(tmp_path / 'labelled.keras')
  model.save(path)
  loaded = FlowModel.load(path)
  assert loaded.label_weight == 3. and loaded.num_classes == NUM_CLASSES
  np.testing.assert_allclose(loaded.label_posterior(x).probs_parameter(),
                             model.label_posterior(x).probs_parameter(), rtol=1e-6)


@pytest.mark.parametrize('labels, message', [
    (np.array([0, 1, 2, -1] * 4), r'`y`.*\[0, 2\).*\[2\]'),
    (np.array([0, 1, -2, -1] * 4), r'`y`.*-2'),
    (np.zeros([16, 1], np.int32), r'`y`.*shape \[N\]'),
    (np.zeros([16], np.float32), r'`y`.*integer'),
])
def test_bad_labels_name_y(labels, message):
  x, _ = _two_classes(16)
  model = _model()
  with pytest.raises(ValueError, match=message):
    model.fit(x, labels, batch_size=16, epochs=1, verbose=0)


def test_labels_for_a_base_without_labels_name_y():
  x, y = _two_classes(16)
  model = _model({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 3})
  with pytest.raises(ValueError, match=r'`y`.*GaussianBernoulliRBM has no label layer'):
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
  with pytest.raises(ValueError, match='predict_classes.*GaussianBernoulliRBM'):
    model.predict_classes(x)
  with pytest.raises(ValueError, match='label_posterior.*GaussianBernoulliRBM'):
    model.label_posterior(x)


def test_negative_label_weight_is_refused():
  with pytest.raises(ValueError, match='label_weight'):
    _model(label_weight=-1.)


def test_bad_labels_in_a_dataset_name_y_and_skip_the_update():
  x, y = _two_classes(16)
  y[3] = 5
  model = _model()
  before = [v.numpy() for v in model.trainable_variables]
  dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
  with pytest.raises(ValueError, match=r'`y`.*\[0, 2\).*batch 0 of fit.*label 5'):
    model.fit(dataset, epochs=1, verbose=0)
  for old, variable in zip(before, model.trainable_variables):
    np.testing.assert_array_equal(old, variable.numpy())
