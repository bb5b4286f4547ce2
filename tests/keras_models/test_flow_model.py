"""FlowModel: gradients reach every weight, fit, save/load by path, resume, NaN skipping."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 6
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}


def _data(n=64, seed=0):
  return np.random.default_rng(seed).uniform(0.05, 0.95, size=(n, EVENT_SIZE)).astype('float32')


def _model(base=None, flow=NICE, **kwargs):
  base = base or {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4}
  model = FlowModel(EVENT_SIZE, base=base, flow=flow, preprocessing={'alpha': 0.05},
                    buffer_size=64, num_gibbs_steps=2, seed=3, **kwargs)
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
  return model


@pytest.mark.parametrize('base', [{'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4},
                                  {'kind': 'smoothed_rbm'}, {'kind': 'discrete_mixture'},
                                  {'kind': 'normal'}, {'kind': 'multivariate_normal'}],
                         ids=lambda spec: spec['kind'])
def test_every_weight_gets_a_gradient_and_changes_after_fit(base):
  model = _model(base)
  x = _data()
  model.initialize(x)
  variables = model.trainable_variables
  with tf.GradientTape() as tape:
    chains = model.chains.advance(model.base, 16) if model.chains is not None else None
    from tfp_rbm import training
    loss = training.flow_loss(model.distribution, x[:16], chains)
  grads = tape.gradient(loss, variables)
  assert all(g is not None for g in grads), [v.name for v, g in zip(variables, grads) if g is None]
  before = [v.numpy().copy() for v in variables]
  history = model.fit(x, batch_size=16, epochs=2, verbose=0, shuffle=False)
  assert np.isfinite(history.history['loss']).all()
  unchanged = [v.name for v, b in zip(variables, before) if np.array_equal(v.numpy(), b)]
  assert not unchanged, unchanged
  assert 'bits_per_dim' in model.evaluate(x, verbose=0, return_dict=True)


def test_fit_lowers_the_nll_of_an_exactly_normalized_rbm_flow():
  model = _model()
  x = _data(256)
  model.initialize(x)
  before = model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim']
  model.fit(x, batch_size=32, epochs=5, verbose=0, shuffle=False)
  after = model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim']
  assert after < before - 0.05, (before, after)


def test_keras_save_and_load_round_trip_log_prob_exactly(tmp_path):
  model = _model()
  x = _data()
  model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False)
  model.set_log_normalizer(2.5)
  path = str(tmp_path / 'flow.keras')
  model.save(path)
  loaded = keras.models.load_model(path)
  np.testing.assert_array_equal(loaded.log_prob(x).numpy(), model.log_prob(x).numpy())
  np.testing.assert_array_equal(loaded.chains.states.numpy(), model.chains.states.numpy())
  assert float(loaded.base_log_normalizer.estimate.numpy()) == 2.5


def test_every_conditioner_weight_is_a_model_variable():
  """Keras layers inside the flow's bijectors (and inside those layers) are found."""
  model = _model()
  conditioners = list(model.flow._flatten(
      predicate=lambda obj: isinstance(obj, keras.layers.Layer)))
  assert len(conditioners) == NICE['num_coupling_layers']
  found = {id(v.value) if isinstance(v, keras.Variable) else id(v)
           for v in model.trainable_variables}
  missing = [w.path for layer in conditioners for w in layer.trainable_weights
             if id(w.value) not in found]
  assert not missing, missing


def test_checkpoint_restores_every_variable_into_a_fresh_model(tmp_path):
  x = _data()
  model = _model()
  model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False)
  model.set_log_normalizer(2.5)
  path = tf.train.Checkpoint(model=model).write(str(tmp_path / 'ckpt'))
  fresh = _model()
  fresh.optimizer.build(fresh.trainable_variables)
  tf.train.Checkpoint(model=fresh).read(path).assert_consumed()
  assert len(fresh.variables) == len(model.variables)
  for restored, trained in zip(fresh.variables, model.variables):
    np.testing.assert_array_equal(restored.numpy(), trained.numpy(), err_msg=restored.name)
  np.testing.assert_array_equal(fresh.log_prob(x).numpy(), model.log_prob(x).numpy())


def test_saved_variables_are_keyed_by_path_and_a_mismatch_loads_nothing():
  model = _model()
  store = {}
  model.save_own_variables(store)
  assert {'_base._weights', 'chains.states', 'base_log_normalizer._estimate',
          'skipped_updates'} <= set(store)
  before = [v.numpy().copy() for v in model.variables]
  # Another base: other shapes under the same paths.
  other = _model({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 5})
  with pytest.raises(ValueError, match=r"Shapes that differ: \['_base._weights \(saved \[6, 4\], "
                                       r"here \[6, 5\]\)"):
    other.load_own_variables(store)
  tampered = dict(store, unknown=np.zeros(3))
  del tampered['_base._weights']
  with pytest.raises(ValueError, match=r"Missing from the file: \['_base._weights'\]. "
                                       r"In the file but not in this model: \['unknown'\]"):
    model.load_own_variables(tampered)
  for v, b in zip(model.variables, before):
    np.testing.assert_array_equal(v.numpy(), b, err_msg=v.name)


def test_tfp_objects_cannot_be_saved_as_keras_but_checkpoint(tmp_path):
  import tensorflow_probability as tfp
  base = tfp.distributions.Sample(tfp.distributions.Normal(0., 1.), [EVENT_SIZE])
  model = _model(base=base, flow=None)
  with pytest.raises(NotImplementedError, match='tf.train.Checkpoint'):
    model.save(str(tmp_path / 'flow.keras'))


def test_checkpoint_resume_continues_bit_for_bit(tmp_path):
  x = _data(64)

  def train(model, epochs):
    model.fit(x, batch_size=16, epochs=epochs, verbose=0, shuffle=False)

  model = _model()
  train(model, 1)
  checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
  path = checkpoint.write(str(tmp_path / 'ckpt'))
  train(model, 1)
  expected = [v.numpy() for v in model.variables]

  resumed = _model()
  resumed.optimizer.build(resumed.trainable_variables)
  tf.train.Checkpoint(model=resumed, optimizer=resumed.optimizer).read(path).assert_consumed()
  train(resumed, 1)
  for v, e in zip(resumed.variables, expected):
    np.testing.assert_array_equal(v.numpy(), e, err_msg=v.name)


def test_non_finite_batch_is_skipped_counted_and_warned():
  model = _model()
  x = _data(32)
  model.fit(x, batch_size=16, epochs=1, verbose=0, shuffle=False)
  state = list(model.trainable_variables) + list(model.optimizer.variables)
  before = [v.numpy().copy() for v in state]
  bad = x.copy()
  bad[3, 2] = np.nan
  with pytest.warns(RuntimeWarning, match='skipped 1 update'):
    history = model.fit(bad[:16], batch_size=16, epochs=1, verbose=0, shuffle=False).history
  assert int(model.skipped_updates.numpy()) == 1
  for v, b in zip(state, before):
    np.testing.assert_array_equal(v.numpy(), b, err_msg=v.name)
  # An epoch whose every update was skipped has no metrics, not a loss of 0.
  assert all(np.isnan(values[0]) for values in history.values()), history


def test_metrics_average_only_the_batches_whose_update_was_applied():
  x = _data(48)
  bad = x.copy()
  bad[20, 1] = np.nan  # the second of three batches
  model = _model(training_bits_per_dim_interval=1)
  model.compile(optimizer=keras.optimizers.SGD(0.), jit_compile=False)  # weights stay put
  with pytest.warns(RuntimeWarning, match='skipped 1 update'):
    history = model.fit(bad, batch_size=16, epochs=1, verbose=0, shuffle=False).history
  kept = np.concatenate([x[:16], x[32:]])
  expected = model.evaluate(kept, batch_size=32, verbose=0, return_dict=True)
  for name, value in expected.items():
    np.testing.assert_allclose(history[name][0], value, rtol=1e-5, err_msg=name)


@pytest.mark.parametrize('base', [{'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4},
                                  {'kind': 'normal'}], ids=lambda spec: spec['kind'])
def test_training_reports_whole_model_and_flow_bits_per_dim(base):
  x = _data(32)
  model = _model(base)
  model.compile(optimizer=keras.optimizers.SGD(0.), jit_compile=False)
  history = model.fit(x, batch_size=32, epochs=1, verbose=0).history
  log_prob = model.log_prob(x).numpy()  # exact: enumerated log Z, or an exact base
  flow_log_det = model.flow.inverse_log_det_jacobian(x, event_ndims=1).numpy()
  to_bits = lambda neg_log_prob: np.mean(neg_log_prob) / (EVENT_SIZE * np.log(2.))
  np.testing.assert_allclose(history['bits_per_dim'][0], to_bits(-log_prob) + 8., rtol=1e-5)
  np.testing.assert_allclose(history['flow_bits_per_dim'][0], to_bits(-flow_log_det),
                             rtol=1e-5)
  assert abs(history['flow_bits_per_dim'][0]) > 0.1
  if base['kind'] == 'normal':
    assert history['unnormalized_bits_per_dim'] == history['bits_per_dim']
  else:
    assert history['unnormalized_bits_per_dim'] != history['bits_per_dim']


def test_log_normalizer_estimate_is_used_until_training_changes_the_base():
  x = _data(32)
  model = _model()
  exact = model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim']
  log_z = float(model.base.exact_log_normalizer())
  model.set_log_normalizer(log_z - 1.)  # off by one nat
  estimated = model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim']
  np.testing.assert_allclose(exact - estimated, 1. / (EVENT_SIZE * np.log(2.)), rtol=1e-4)
  np.testing.assert_allclose(model.log_prob(x), model.unnormalized_log_prob(x) - (log_z - 1.), rtol=1e-5)
  model.fit(x, batch_size=16, epochs=1, verbose=0)
  assert np.isnan(model.base_log_normalizer.estimate.numpy())
  after = model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim']
  expected = -np.mean(model.log_prob(x)) / (EVENT_SIZE * np.log(2.)) + 8.
  np.testing.assert_allclose(after, expected, rtol=1e-5)
  np.testing.assert_allclose(
      model.log_prob(x), model.unnormalized_log_prob(x) - model.base.exact_log_normalizer(), rtol=1e-5,
      atol=1e-5)


def test_a_large_base_has_no_bits_per_dim_without_an_estimate():
  model = _model({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4, 'max_enumeration_bits': 2})
  x = _data(32)
  assert np.isnan(model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim'])
  with pytest.raises(ValueError, match='log Z'):
    model.log_prob(x)
  model.set_log_normalizer(3.)
  expected = -np.mean(model.unnormalized_log_prob(x) - 3.) / (EVENT_SIZE * np.log(2.)) + 8.
  np.testing.assert_allclose(model.evaluate(x, verbose=0, return_dict=True)['bits_per_dim'],
                             expected, rtol=1e-5)


def test_training_enumerates_log_z_only_for_small_bases_and_evaluate_once():
  x = _data(32)
  small = _model().fit(x, batch_size=16, epochs=1, verbose=0).history
  assert np.isfinite(small['bits_per_dim']).all()
  model = _model(training_enumeration_bits=3)  # the base has 4 hidden units
  history = model.fit(x, batch_size=16, epochs=1, verbose=0).history
  assert 'bits_per_dim' not in history  # left to `evaluate`
  assert np.isfinite(history['unnormalized_bits_per_dim']).all()
  assert np.isnan(model.base_log_normalizer.estimate.numpy())
  result = model.evaluate(x, batch_size=8, verbose=0, return_dict=True)
  # Enumerated once, up front: the batches read it from the estimate.
  np.testing.assert_allclose(model.base_log_normalizer.estimate.numpy(),
                             model.base.exact_log_normalizer(), rtol=1e-6)
  expected = -np.mean(model.log_prob(x)) / (EVENT_SIZE * np.log(2.)) + 8.
  np.testing.assert_allclose(result['bits_per_dim'], expected, rtol=1e-5)


def test_fit_compiles_with_xla():
  model = _model()
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=True)
  history = model.fit(_data(32), batch_size=16, epochs=1, verbose=0, shuffle=False)
  assert np.isfinite(history.history['loss']).all()


def test_unknown_specs_are_named():
  with pytest.raises(ValueError, match='Unknown base kind'):
    FlowModel(EVENT_SIZE, base={'kind': 'boltzmann'})
  with pytest.raises(ValueError, match='Unknown flow builder'):
    FlowModel(EVENT_SIZE, base={'kind': 'normal'}, flow={'builder': 'maf'})


@pytest.mark.parametrize('jit_compile,validate_args', [(False, True), (False, False),
                                                       (True, False)])
def test_coupling_leaving_the_positive_definite_region_stops_with_a_clear_message(
    jit_compile, validate_args):
  """XLA drops the base's assertions; the NaN step is skipped, then the base is validated."""
  from tfp_rbm.distributions import SmoothedRBM  # pylint: disable=g-import-not-at-top
  weights = tf.Variable(np.full([3, 3], 0.3, np.float32))
  base = SmoothedRBM(weights, tf.Variable(np.zeros(6, np.float32)), delta=tf.Variable(1.),
                     validate_args=validate_args)
  model = FlowModel(EVENT_SIZE, base=base, buffer_size=32, num_gibbs_steps=2)
  model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=jit_compile)
  weights.assign(np.full([3, 3], 0.5, np.float32))  # ||W||_2 = 1.5 > delta = 1
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='`delta` must exceed the largest singular value of `weights`'):
    model.fit(_data(32), batch_size=16, epochs=1, verbose=0)


def test_sample_grid_writes_pngs_and_tensorboard_images(tmp_path):
  from tfp_rbm.keras import SampleGrid  # pylint: disable=g-import-not-at-top
  model = _model()
  grid = SampleGrid(str(tmp_path / 'png'), image_shape=[2, 3], num_samples=4,
                    log_dir=str(tmp_path / 'logs'))
  model.fit(_data(32), batch_size=16, epochs=2, verbose=0, callbacks=[grid])
  assert sorted(p.name for p in (tmp_path / 'png').iterdir()) == ['epoch_001.png',
                                                                  'epoch_002.png']
  images = {}
  for event_file in (tmp_path / 'logs').iterdir():
    for event in tf.compat.v1.train.summary_iterator(str(event_file)):
      for value in event.summary.value:
        # An image summary holds width, height, then one PNG per image.
        images[(value.tag, event.step)] = value.tensor.string_val
  assert sorted(images) == [('samples', 1), ('samples', 2)]
  assert [int(images[('samples', 1)][0]), int(images[('samples', 1)][1])] == [3, 2]
  assert len(images[('samples', 1)]) == 2 + 4
  with pytest.raises(ValueError, match='log_dir'):
    SampleGrid(None, image_shape=[2, 3])
