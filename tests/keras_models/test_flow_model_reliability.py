"""FlowModel: its input contract, sampling beyond the buffer, deterministic seeds, refused files."""

import json
import zipfile

import keras
import numpy as np
import pytest

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 6
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}
RBM = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4}


def _data(n=32, seed=0):
  return np.random.default_rng(seed).uniform(0.05, 0.95, size=(n, EVENT_SIZE)).astype('float32')


def _model(base=RBM, seed=3, **kwargs):
  kwargs.setdefault('preprocessing', {'alpha': 0.05})
  model = FlowModel(EVENT_SIZE, base=base, flow=NICE, buffer_size=16, num_gibbs_steps=2,
                    seed=seed, **kwargs)
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
  return model


def _state(model):
  return [v.numpy().copy() for v in model.variables + model.optimizer.variables]


def _assert_same_state(actual, expected):
  assert len(actual) == len(expected)
  for a, e in zip(actual, expected):
    np.testing.assert_array_equal(a, e)


# -- The input contract -------------------------------------------------------


def test_images_whose_size_is_event_size_are_flattened_like_vectors():
  model = _model()
  x = _data(8)
  images = x.reshape(8, 2, 3)
  np.testing.assert_array_equal(model.log_prob(images), model.log_prob(x))
  np.testing.assert_array_equal(model(images), model(x))
  history = model.fit(images, batch_size=4, epochs=1, verbose=0, shuffle=False).history
  assert np.isfinite(history['loss']).all()


@pytest.mark.parametrize('shape, match', [
    ([4, 3], r'`x` must have shape \[N, 6\] .*got shape \[4, 3\], whose examples have 3 values'),
    ([4, 2, 2], r'got shape \[4, 2, 2\], whose examples have 4 values'),
    ([6], r'got shape \[6\] \(add a leading axis'),
])
def test_log_prob_refuses_examples_of_another_size(shape, match):
  model = _model()
  with pytest.raises(ValueError, match=match):
    model.log_prob(np.full(shape, 0.5, np.float32))


def test_fit_refuses_images_of_another_size_before_any_update():
  model = _model()
  before = [v.numpy().copy() for v in model.variables]
  with pytest.raises(ValueError,
                     match=r'got shape \[(None|4), 3, 3\], whose examples have 9 values'):
    model.fit(np.full([8, 3, 3], 0.5, np.float32), batch_size=4, epochs=1, verbose=0)
  _assert_same_state([v.numpy() for v in model.variables], before)


def test_fit_refuses_data_outside_the_preprocessing_range_and_skips_its_update():
  model = _model()
  model.fit(_data(8), batch_size=8, epochs=1, verbose=0)
  before = [v.numpy().copy() for v in model.trainable_variables + model.optimizer.variables]
  pixels = np.random.default_rng(0).integers(0, 17, size=(8, EVENT_SIZE)).astype('float32')
  pixels[0, :2] = [16., 0.]
  with pytest.raises(ValueError, match=r'must lie in \[0, 1\] for preprocessing='
                                       r"\{'alpha': 0.05\}; batch 0 of fit \(its update was "
                                       r'skipped\) holds values from 0 to 16'):
    model.fit(pixels, batch_size=8, epochs=1, verbose=0)
  for v, b in zip(model.trainable_variables + model.optimizer.variables, before):
    np.testing.assert_array_equal(v.numpy(), b)


def test_slightly_negative_data_are_refused_although_their_logit_is_finite():
  model = _model()
  x = _data(8)
  x[3, 1] = -0.01  # p = 0.05 - 0.009 > 0: a finite loss, silently wrong data
  with pytest.raises(ValueError, match='holds values from -0.01 to'):
    model.fit(x, batch_size=8, epochs=1, verbose=0)
  with pytest.raises(ValueError, match='batch 1 of evaluate holds values from -0.01'):
    model.evaluate(np.concatenate([_data(8), x]), batch_size=8, verbose=0)
  with pytest.raises(ValueError, match='the data given holds values from -0.01'):
    model.log_prob(x)


def test_without_alpha_the_ends_of_the_range_are_refused():
  model = _model(preprocessing={'alpha': 0., 'high': 2.})
  x = _data(8) * 2.
  assert np.isfinite(model.log_prob(x)).all()
  x[0, 0] = 0.
  with pytest.raises(ValueError, match=r'must lie in \(0, 2\)'):
    model.log_prob(x)


def test_nan_data_are_skipped_not_refused():
  model = _model()
  x = _data(8)
  x[2, 2] = np.nan
  with pytest.warns(RuntimeWarning, match='skipped 1 update'):
    model.fit(x, batch_size=8, epochs=1, verbose=0)


# -- Sampling, seeds, the log Z estimate ----------------------------------------


@pytest.mark.parametrize('num_samples', [5, 16, 40])
def test_sample_draws_any_number_and_leaves_the_buffer_alone(num_samples):
  model = _model()
  buffer = model.chains.states.numpy().copy()
  samples = model.sample(num_samples, seed=(1, 2)).numpy()
  assert samples.shape == (num_samples, EVENT_SIZE) and np.isfinite(samples).all()
  np.testing.assert_array_equal(model.chains.states.numpy(), buffer)
  if num_samples > 16:  # copies of a chain, each with its own sweeps
    assert not np.array_equal(samples[0], samples[16])


@pytest.mark.parametrize('num_samples, error', [(0, ValueError), (2.5, TypeError)])
def test_sample_refuses_a_bad_number(num_samples, error):
  with pytest.raises(error, match='`num_samples` must be'):
    _model().sample(num_samples)


def test_two_models_with_one_seed_start_from_one_state():
  first, second, other = _model(seed=0), _model(seed=0), _model(seed=1)
  assert len(first.variables) == len(second.variables)
  for a, b in zip(first.variables, second.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)
  assert not np.array_equal(first.chains.states.numpy(), other.chains.states.numpy())


def test_set_log_normalizer_refuses_what_is_not_a_finite_number():
  model = _model()
  with pytest.raises(TypeError, match=r"`log_normalizer` must be a number.*got 'abc'"):
    model.set_log_normalizer('abc')
  with pytest.raises(ValueError, match='`log_normalizer` must be finite; got inf'):
    model.set_log_normalizer(np.inf)
  with pytest.raises(ValueError, match=r'`log_normalizer` must have shape \(\)'):
    model.set_log_normalizer([1., 2.])
  model.set_log_normalizer(np.float64(2.5))
  assert float(model.base_log_normalizer.estimate.numpy()) == 2.5
  model.set_log_normalizer(None)
  assert np.isnan(model.base_log_normalizer.estimate.numpy())


# -- Files that do not match ------------------------------------------------------


def _rewrite_config(path, edit):
  """Rewrites the `.keras` archive at `path` with `edit(config)` applied to its config."""
  with zipfile.ZipFile(path) as archive:
    members = {name: archive.read(name) for name in archive.namelist()}
  config = json.loads(members['config.json'])
  edit(config)
  members['config.json'] = json.dumps(config).encode()
  with zipfile.ZipFile(path, 'w') as archive:
    for name, content in members.items():
      archive.writestr(name, content)


@pytest.fixture
def saved_model_path(tmp_path):
  model = _model()
  model.fit(_data(16), batch_size=8, epochs=1, verbose=0)
  path = tmp_path / 'flow.keras'
  model.save(str(path))
  return path


def test_a_config_edited_to_fewer_couplings_is_refused_naming_the_file(saved_model_path):
  _rewrite_config(saved_model_path,
                  lambda config: config['config']['flow'].update(num_coupling_layers=1))
  with pytest.raises(ValueError, match=r"(?s)flow.keras'.*does not match this one.*config edited.*"
                                       r'In the file but not in this model: \[.*_flow'):
    FlowModel.load(saved_model_path)
  # Keras's own loader refuses it too (without the file's name).
  with pytest.raises(ValueError, match='does not match this one'):
    keras.saving.load_model(str(saved_model_path))


def test_a_truncated_keras_file_is_refused_naming_the_file(saved_model_path):
  content = saved_model_path.read_bytes()
  saved_model_path.write_bytes(content[:len(content) // 2])
  with pytest.raises(ValueError, match=r"flow.keras' is not a complete .keras file: it is not "
                                       r'a zip archive'):
    FlowModel.load(saved_model_path)


def test_load_refuses_a_missing_file_and_another_model(tmp_path):
  with pytest.raises(ValueError, match='`filepath`: there is no file'):
    FlowModel.load(tmp_path / 'none.keras')
  path = tmp_path / 'dense.keras'
  keras.Sequential([keras.Input([2]), keras.layers.Dense(1)]).save(str(path))
  with pytest.raises(ValueError, match="dense.keras' holds a Sequential, not a FlowModel"):
    FlowModel.load(path)


def test_constructor_arguments_are_checked_by_name():
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match=r'`flow` maps data of 6 values.*event_size=8'):
    FlowModel(8, base={'kind': 'normal'}, flow=NICE)
  base = tfp.distributions.Sample(tfp.distributions.Normal(0., 1.), [5])
  with pytest.raises(ValueError, match=r'`base` has event shape \[5\]'):
    FlowModel(EVENT_SIZE, base=base)
  with pytest.raises(ValueError, match=r"`preprocessing` takes the keys.*\['beta'\]"):
    FlowModel(EVENT_SIZE, base={'kind': 'normal'}, preprocessing={'beta': 1.})
  with pytest.raises(ValueError, match='`log_normalizer`: the base'):
    FlowModel(EVENT_SIZE, base={'kind': 'normal'}, log_normalizer=1.)
  with pytest.raises(TypeError, match='`event_size` must be an int'):
    FlowModel(6.5, base={'kind': 'normal'})
