"""FlowModel with FlowGMM's base: the exact semi-supervised NLL, accuracy, class-conditional
sample grids (`SampleGrid`), saving and the exported `label_posterior`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import SampleGrid

# The data and flow of the labelled-RBM tests, so both labelled bases meet the same problem.
from test_flow_model_labels import _two_classes  # pylint: disable=g-bad-import-order
from test_flow_model_labels import EVENT_SIZE
from test_flow_model_labels import NICE
from test_flow_model_labels import NUM_CLASSES

FLOWGMM = {'kind': 'class_conditional_gaussian_mixture', 'num_classes': NUM_CLASSES}


def _model(base=FLOWGMM, learning_rate=2e-2, **kwargs):
  model = FlowModel(EVENT_SIZE, base=base, flow=NICE, preprocessing={'alpha': 0.05},
                    buffer_size=64, num_gibbs_steps=2, seed=3, **kwargs)
  model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=False)
  return model


def test_semi_supervised_fit_learns_the_classes_and_draws_a_row_per_class(tmp_path):
  x, y = _two_classes()
  y[::2] = -1
  model = _model(label_weight=2., learning_rate=5e-2)
  assert model.chains is None and model.has_labels and model.num_classes == NUM_CLASSES
  before = [v.numpy() for v in model.trainable_variables]
  grid = SampleGrid(str(tmp_path / 'png'), image_shape=[2, 3], num_samples=5,
                    log_dir=str(tmp_path / 'logs'))
  history = model.fit(x, y, batch_size=32, epochs=4, verbose=0, shuffle=False,
                      callbacks=[grid]).history
  for name in ('loss', 'accuracy', 'bits_per_dim'):
    assert np.all(np.isfinite(history[name])), (name, history[name])
  assert history['loss'][-1] < history['loss'][0]
  unchanged = [v.name for v, old in zip(model.trainable_variables, before)
               if np.array_equal(v.numpy(), old)]
  assert not unchanged, f'not trained: {unchanged}'
  test_x, test_y = _two_classes(seed=1)
  assert np.mean(model.predict_classes(test_x).numpy() == test_y) > 0.9
  # SampleGrid: 5 samples, 2 classes: rows of 2 draws of p(x | y = k), the last epoch's seed.
  assert (tmp_path / 'png' / 'epoch_004.png').stat().st_size > 0
  event_file, = (tmp_path / 'logs').iterdir()
  last = [value.tensor.string_val for event in tf.compat.v1.train.summary_iterator(
      str(event_file)) for value in event.summary.value if event.step == 4][0]
  served = np.stack([tf.io.decode_png(png).numpy()[..., 0] for png in last[2:]])
  expected = model.sample(4, seed=(0, 3), labels=[0, 0, 1, 1]).numpy().reshape([4, 2, 3])
  np.testing.assert_allclose(served / 255., np.clip(expected, 0., 1.), atol=1. / 255 + 1e-6)


def test_loss_is_the_exact_weighted_negative_log_likelihood():
  """`-(1/N)[sum_U log p(x) + lambda sum_L log p(x, y)]`, `log p(x, y) = log p(x) + log p(y | x)`."""
  x, y = _two_classes(8)
  y[:3] = -1
  model = _model(label_weight=3.)
  log_p = model.log_prob(x).numpy()
  log_posterior = model.label_posterior(x).log_prob(np.maximum(y, 0)).numpy()
  expected = -np.mean(np.where(y >= 0, 3. * (log_p + log_posterior), log_p))
  model.optimizer.build(model.trainable_variables)
  loss = model.train_step((tf.constant(x), tf.constant(y)))['loss']
  np.testing.assert_allclose(loss, expected, rtol=1e-5)
  # The labelled term weighs lambda: with lambda = 1 the loss is another number.
  assert abs(expected + np.mean(np.where(y >= 0, log_p + log_posterior, log_p))) > 1e-2


def test_save_load_and_export_serve_the_label_posterior(tmp_path):
  x, _ = _two_classes(16)
  model = _model()
  path = str(tmp_path / 'flowgmm.keras')
  model.save(path)
  loaded = FlowModel.load(path)
  expected = model.label_posterior(x).probs_parameter().numpy()
  np.testing.assert_allclose(loaded.label_posterior(x).probs_parameter(), expected, rtol=1e-6)
  loaded.export(str(tmp_path / 'saved'))
  served = tf.saved_model.load(str(tmp_path / 'saved'))
  np.testing.assert_allclose(served.label_posterior(tf.constant(x)).numpy(), expected,
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(served.log_prob(tf.constant(x)).numpy(),
                             model.log_prob(x).numpy(), rtol=1e-5)


def test_samples_of_a_class_come_from_its_gaussian():
  model = _model()
  z = model.flow.inverse(model.sample(200, seed=(1, 2), labels=1))
  np.testing.assert_array_less(np.abs(np.mean(z.numpy(), 0) - model.base.loc.numpy()[1]), 0.5)
  with pytest.raises(ValueError, match=r'`labels` must hold class indices in \[0, 2\); got \[2'):
    model.sample(2, seed=(1, 2), labels=2)


def test_export_of_a_model_without_labels_has_no_label_posterior(tmp_path):
  model = FlowModel(EVENT_SIZE, base={'kind': 'normal'}, flow=None)
  model.export(str(tmp_path / 'saved'))
  assert not hasattr(tf.saved_model.load(str(tmp_path / 'saved')), 'label_posterior')
  with pytest.raises(ValueError, match='sample with `labels` needs a base with a label layer'):
    model.sample(2, seed=(1, 2), labels=0)
