"""FlowModel with a labelled base: semi-supervised fit on (x, y), accuracy, label_posterior."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs

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
  # The spec's start (a hidden unit per class) and `initialize`'s; the flow trains too
  # (every variable moves). From the symmetric start (`class_unit_strength=0`) the label
  # units do not break their symmetry before the flow has moved the classes (issue 18).
  model = _model(label_weight=5.)
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


def test_the_labelled_spec_starts_with_a_hidden_unit_per_class():
  spec = {'kind': 'labeled_gaussian_bernoulli_rbm', 'num_hidden': 12, 'num_classes': 3}
  base = specs.build_base(spec, 256, seed=1)
  strength = 3. * 256 ** 0.5  # The default, 3 sqrt(D).
  np.testing.assert_allclose(base.label_weights.numpy(),
                             np.concatenate([strength * np.eye(3), np.zeros([3, 9])], 1))
  np.testing.assert_allclose(base.hidden_bias.numpy(), [-strength / 2] * 3 + [0.] * 9)
  weights = base.weights.numpy()
  assert 0.2 < weights[:, :3].std() < 0.3 and weights[:, 3:].std() < 0.015  # D^(-1/4), 0.01
  # With the label clamped its unit's input is +s/2, the others' -s/2, whatever (centred) z.
  inputs = base.hidden_bias.numpy() + base.label_weights.numpy()
  np.testing.assert_allclose(inputs[:, :3], strength * (np.eye(3) - 0.5))
  given = specs.build_base(dict(spec, class_unit_strength=3.), 256, seed=1)
  np.testing.assert_allclose(given.hidden_bias.numpy()[:3], -1.5)
  symmetric = specs.build_base(dict(spec, class_unit_strength=0.), 256, seed=1)
  assert np.all(symmetric.hidden_bias.numpy() == 0)
  assert np.abs(symmetric.label_weights.numpy()).max() < 0.1


def test_initialize_standardises_the_labelled_base_once():
  x, _ = _two_classes(64)
  model = _model()
  base = model.base
  weights, start_bias = base.weights.numpy(), base.hidden_bias.numpy()
  model.initialize(x)
  z = model.flow.inverse(x).numpy()
  scale = tf.convert_to_tensor(base.scale).numpy()
  np.testing.assert_allclose(base.visible_bias.numpy(), z.mean(0), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(scale, z.std(0), rtol=1e-4)
  # Hidden inputs c + W^T (z / sigma) are the start's c0 + W^T ((z - mean) / sigma).
  np.testing.assert_allclose(base.hidden_bias.numpy() + (z / scale) @ weights,
                             start_bias + ((z - z.mean(0)) / scale) @ weights, atol=1e-4)
  after = [v.numpy() for v in base.trainable_variables]
  model.initialize(x[:32] * 0.5 + 0.25)  # No longer at the spec's start: left alone.
  for old, variable in zip(after, base.trainable_variables):
    np.testing.assert_array_equal(old, variable.numpy())


def _fit_once(model, data, **kwargs):
  model.fit(data, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False, **kwargs)
  return [v.numpy() for v in model.trainable_variables]


@pytest.mark.parametrize('feed', ['array', 'dataset'])
def test_fit_gives_the_labelled_base_its_start_from_its_first_examples(feed):
  """`fit` without `initialize` trains as `initialize` on its first examples, then `fit`."""
  x, y = _two_classes(64)
  y = _half_unlabelled(y)
  if feed == 'array':
    first, data, kwargs = x, x, {'y': y, 'batch_size': 16}
  else:
    first = x[:16]
    data, kwargs = tf.data.Dataset.from_tensor_slices((x, y)).batch(16), {}
  explicit = _model()
  explicit.initialize(first)
  expected = _fit_once(explicit, data, **kwargs)
  implicit = _model()
  assert specs.base_awaits_initialization(LABELED, implicit.base)
  got = _fit_once(implicit, data, **kwargs)
  assert not specs.base_awaits_initialization(LABELED, implicit.base)
  assert np.any(implicit.base.visible_bias.numpy() != 0)
  for want, have in zip(expected, got):
    np.testing.assert_allclose(have, want, rtol=1e-6, atol=1e-7)


def test_fit_leaves_a_generator_and_a_started_base_alone():
  x, y = _two_classes(64)

  def batches():
    while True:
      yield x[:16], y[:16]

  model = _model()
  calls = []
  model.initialize = calls.append  # pylint: disable=attribute-defined-outside-init
  model.fit(batches(), epochs=1, steps_per_epoch=1, verbose=0)
  assert not calls  # fit cannot look ahead in a generator
  del model.initialize
  model = _model()
  model.initialize(x)
  started = [v.numpy() for v in model.base.trainable_variables]
  assert not specs.base_awaits_initialization(LABELED, model.base)
  gaussian = _model(base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 3})
  assert not specs.base_awaits_initialization({'kind': 'gaussian_bernoulli_rbm'}, gaussian.base)
  assert not specs.base_awaits_initialization(model.base, model.base)  # a base object
  model._initialize_from_first_examples(x * 0.5)  # pylint: disable=protected-access
  for old, variable in zip(started, model.base.trainable_variables):
    np.testing.assert_array_equal(old, variable.numpy())


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
  model = _model(label_weight=3., classification_weight=4.)
  model.fit(x, y, batch_size=16, epochs=1, verbose=0)
  path = str(tmp_path / 'labelled.keras')
  model.save(path)
  loaded = FlowModel.load(path)
  assert loaded.label_weight == 3. and loaded.num_classes == NUM_CLASSES
  assert loaded.classification_weight == 4.
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


@pytest.mark.parametrize('name', ['label_weight', 'classification_weight'])
@pytest.mark.parametrize('value', [-1., float('nan'), '3'])
def test_a_negative_or_non_numeric_weight_is_refused(name, value):
  with pytest.raises(ValueError, match=f'`{name}` must be a finite number >= 0'):
    _model(**{name: value})


def test_bad_labels_in_a_dataset_name_y_and_skip_the_update():
  x, y = _two_classes(16)
  y[3] = 5
  model = _model()
  model.initialize(x)  # Else `fit` would start the base from the (valid) images first.
  before = [v.numpy() for v in model.trainable_variables]
  dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
  with pytest.raises(ValueError, match=r'`y`.*\[0, 2\).*batch 0 of fit.*label 5'):
    model.fit(dataset, epochs=1, verbose=0)
  for old, variable in zip(before, model.trainable_variables):
    np.testing.assert_array_equal(old, variable.numpy())
