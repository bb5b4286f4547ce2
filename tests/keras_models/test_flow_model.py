"""FlowModel: gradients reach every weight, fit, save/load, resume, NaN skipping."""

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
  path = str(tmp_path / 'flow.keras')
  model.save(path)
  loaded = keras.models.load_model(path)
  np.testing.assert_array_equal(loaded.log_prob(x).numpy(), model.log_prob(x).numpy())
  np.testing.assert_array_equal(loaded.chains.states.numpy(), model.chains.states.numpy())


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
    model.fit(bad[:16], batch_size=16, epochs=1, verbose=0, shuffle=False)
  assert int(model.skipped_updates.numpy()) == 1
  for v, b in zip(state, before):
    np.testing.assert_array_equal(v.numpy(), b, err_msg=v.name)


def test_fit_compiles_with_xla():
  model = _model()
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=True)
  history = model.fit(_data(32), batch_size=16, epochs=1, verbose=0, shuffle=False)
  assert np.isfinite(history.history['loss']).all()


def test_unknown_specs_are_named():
  with pytest.raises(ValueError, match='Unknown base kind'):
    FlowModel(EVENT_SIZE, base={'kind': 'boltzmann'})
  with pytest.raises(ValueError, match='Unknown flow builder'):
    FlowModel(EVENT_SIZE, base={'kind': 'normal'}, flow={'builder': 'realnvp'})


def test_coupling_leaving_the_positive_definite_region_stops_with_a_clear_message():
  from tfp_rbm.distributions import SmoothedRBM  # pylint: disable=g-import-not-at-top
  weights = tf.Variable(np.full([3, 3], 0.3, np.float32))
  base = SmoothedRBM(weights, tf.Variable(np.zeros(6, np.float32)), delta=tf.Variable(1.),
                     validate_args=True)
  model = FlowModel(EVENT_SIZE, base=base, buffer_size=32, num_gibbs_steps=2)
  model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
  weights.assign(np.full([3, 3], 0.5, np.float32))  # ||W||_2 = 1.5 > delta = 1
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='`delta` must exceed the largest singular value of `weights`'):
    model.fit(_data(32), batch_size=16, epochs=1, verbose=0)
