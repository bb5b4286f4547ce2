"""FlowModel behaves like a Keras model where a user touches it.

Callbacks infer `min` for its metrics, `model(x)` and `predict` return the
normalized log_prob, `export` serves log_prob and sample, `compile` refuses a
loss or metrics, `summary` and TensorBoard see the base and the chains,
`steps_per_execution` trains as one step at a time, and the training
bits/dim enumerates log Z on a schedule only.
"""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 6
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}


def _data(n=32, seed=0):
  return np.random.default_rng(seed).uniform(0.05, 0.95, size=(n, EVENT_SIZE)).astype('float32')


def _model(base=None, compile_kwargs=None, **kwargs):
  base = base or {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4}
  model = FlowModel(EVENT_SIZE, base=base, flow=NICE, preprocessing={'alpha': 0.05},
                    buffer_size=64, num_gibbs_steps=2, seed=3, **kwargs)
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False,
                **(compile_kwargs or {}))
  return model


def test_monitoring_callbacks_infer_min_without_mode(tmp_path):
  model = _model()
  x = _data()
  callbacks = [keras.callbacks.EarlyStopping('val_bits_per_dim', patience=5),
               keras.callbacks.ReduceLROnPlateau('bits_per_dim'),
               keras.callbacks.ModelCheckpoint(str(tmp_path / 'best.keras'),
                                               monitor='val_bits_per_dim', save_best_only=True),
               keras.callbacks.EarlyStopping('unnormalized_bits_per_dim'),
               keras.callbacks.EarlyStopping('val_flow_bits_per_dim')]
  model.fit(x, batch_size=16, epochs=2, verbose=0, validation_data=(x,), callbacks=callbacks)
  for callback in callbacks:
    assert callback.monitor_op is keras.ops.less, callback
  assert (tmp_path / 'best.keras').is_file()


def test_the_directions_reach_keras_through_its_metrics_list():
  """Keras reads directions only from a MetricsList: this fails first if that moves."""
  from keras.src.callbacks import monitor_callback  # pylint: disable=g-import-not-at-top
  from keras.src.trainers import compile_utils  # pylint: disable=g-import-not-at-top
  model = _model()
  lists = [m for m in model.metrics if isinstance(m, compile_utils.MetricsList)]
  assert [m.name for m in lists[0].metrics] == [
      'bits_per_dim', 'unnormalized_bits_per_dim', 'flow_bits_per_dim']
  assert all(m._direction == 'down' for m in lists[0].metrics)  # pylint: disable=protected-access
  callback = monitor_callback.MonitorCallback(monitor='val_bits_per_dim')
  callback.set_model(model)
  callback._set_monitor_op()  # pylint: disable=protected-access
  assert callback.monitor_op is keras.ops.less


def test_predict_and_call_are_the_normalized_log_prob():
  model = _model()
  x = _data()
  model.fit(x, batch_size=16, epochs=1, verbose=0)
  expected = model.log_prob(x).numpy()
  np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(model.predict(x, batch_size=8, verbose=0), expected,
                             rtol=1e-5, atol=1e-5)
  log_z = model.base.exact_log_normalizer().numpy()
  np.testing.assert_allclose(model.unnormalized_log_prob(x).numpy() - log_z, expected,
                             rtol=1e-5, atol=1e-5)
  assert abs(log_z) > 1.  # the two differ


def test_predict_is_nan_where_log_z_is_unavailable():
  model = _model({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4, 'max_enumeration_bits': 2})
  assert np.isnan(model.predict(_data(), verbose=0)).all()
  model.set_log_normalizer(3.)
  np.testing.assert_allclose(model.predict(_data(), verbose=0),
                             model.unnormalized_log_prob(_data()) - 3., rtol=1e-5)


@pytest.mark.parametrize('base', [{'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4},
                                  {'kind': 'normal'}], ids=lambda spec: spec['kind'])
def test_export_serves_log_prob_and_sample(tmp_path, base):
  model = _model(base)
  x = _data()
  model.fit(x, batch_size=16, epochs=1, verbose=0)
  path = str(tmp_path / 'exported')
  model.export(path)
  served = tf.saved_model.load(path)
  np.testing.assert_allclose(served.log_prob(tf.constant(x)).numpy(), model.log_prob(x).numpy(),
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(served.serve(tf.constant(x)).numpy(), model.log_prob(x).numpy(),
                             rtol=1e-5, atol=1e-5)
  samples = served.sample(tf.constant(5), tf.constant([1, 2])).numpy()
  assert samples.shape == (5, EVENT_SIZE) and np.isfinite(samples).all()
  # The same draw as the model's own traced `sample` (eager Gibbs draws other numbers).
  traced = tf.function(lambda n, seed: model.sample(n, seed=seed))
  np.testing.assert_allclose(samples, traced(tf.constant(5), tf.constant([1, 2])).numpy(),
                             rtol=1e-5, atol=1e-5)


def test_export_refuses_other_formats(tmp_path):
  with pytest.raises(ValueError, match="tf_saved_model"):
    _model().export(str(tmp_path / 'm.onnx'), format='onnx')


@pytest.mark.parametrize('argument', [{'loss': 'mse'}, {'metrics': ['accuracy']},
                                      {'weighted_metrics': ['mae']}, {'loss_weights': [1.]}],
                         ids=lambda kwargs: next(iter(kwargs)))
def test_compile_refuses_a_loss_or_metrics(argument):
  model = FlowModel(EVENT_SIZE, base={'kind': 'normal'})
  name = next(iter(argument))
  with pytest.raises(ValueError, match=f'takes no `{name}`: the model defines its own loss'):
    model.compile(optimizer='adam', **argument)


def test_a_loaded_model_is_compiled_with_its_optimizer(tmp_path):
  model = _model()
  model.fit(_data(), batch_size=16, epochs=1, verbose=0)
  path = str(tmp_path / 'flow.keras')
  model.save(path)
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    loaded = FlowModel.load(path)
  assert not [w for w in caught if 'compile' in str(w.message)], caught
  assert loaded.compiled
  assert int(loaded.optimizer.iterations.numpy()) == 2


def test_summary_shows_base_flow_and_chains_with_their_parameter_counts():
  model = _model()
  lines = []
  model.summary(print_fn=lambda line, **kwargs: lines.append(line))
  text = '\n'.join(lines)
  assert 'base (GaussianBernoulliRBM)' in text
  assert 'flow (Chain)' in text
  assert 'chains (PersistentChains)' in text
  rows = {layer.name: layer.count_params() for layer in model.layers}
  # W [6, 4], visible bias 6, hidden bias 4, scale 6.
  assert rows['base'] == 6 * 4 + 6 + 4 + 6
  assert rows['chains'] == 64 * EVENT_SIZE + 2  # states and the chain seed
  assert sum(rows.values()) == sum(int(np.prod(v.shape)) for v in model.weights)


def test_tensorboard_histograms_include_the_rbm_variables(tmp_path):
  model = _model()
  log_dir = tmp_path / 'logs'
  model.fit(_data(), batch_size=16, epochs=1, verbose=0,
            callbacks=[keras.callbacks.TensorBoard(str(log_dir), histogram_freq=1)])
  tags = set()
  for event_file in (log_dir / 'train').iterdir():
    for event in tf.compat.v1.train.summary_iterator(str(event_file)):
      tags.update(value.tag for value in event.summary.value)
  assert {'_base._weights/histogram', 'chains.states/histogram'} <= tags, sorted(tags)
  assert any(tag.startswith('_flow.') for tag in tags), sorted(tags)


def test_steps_per_execution_trains_as_one_step_at_a_time():
  x = _data(64)
  one, four = _model(), _model(compile_kwargs={'steps_per_execution': 4})
  history = four.fit(x, batch_size=8, epochs=2, verbose=0, shuffle=False).history
  one.fit(x, batch_size=8, epochs=2, verbose=0, shuffle=False)
  assert int(four.optimizer.iterations.numpy()) == 16
  assert np.isfinite(history['loss']).all()
  for a, b in zip(one.variables, four.variables):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=a.name)


def test_training_bits_per_dim_enumerates_on_its_schedule_only():
  """Every third step: the batches of steps 0 and 3 of 4, each with that step's log Z."""
  x = _data(64)
  model = _model(training_bits_per_dim_interval=3)
  model.compile(optimizer=keras.optimizers.SGD(0.), jit_compile=False)  # weights stay put
  history = model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False).history
  kept = np.concatenate([x[:16], x[48:]])
  expected = model.evaluate(kept, verbose=0, return_dict=True)['bits_per_dim']
  np.testing.assert_allclose(history['bits_per_dim'][0], expected, rtol=1e-5)
  every = model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim']
  assert abs(every - expected) > 1e-4  # the schedule left batches out


def test_every_epoch_has_a_training_bits_per_dim():
  """Epochs shorter than the interval still enumerate once: on their first step."""
  x = _data(64)
  model = _model(training_bits_per_dim_interval=100)
  model.compile(optimizer=keras.optimizers.SGD(0.), jit_compile=False)  # weights stay put
  history = model.fit(x, batch_size=16, epochs=3, verbose=0, shuffle=False).history
  expected = model.evaluate(x[:16], verbose=0, return_dict=True)['bits_per_dim']
  np.testing.assert_allclose(history['bits_per_dim'], [expected] * 3, rtol=1e-5)
