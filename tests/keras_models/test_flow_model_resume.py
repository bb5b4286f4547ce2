"""Resuming FlowModel training is exact: weights, optimizer state, chains and the next loss.

Three ways back after a fault: a `.keras` file, a `tf.train.Checkpoint`
read into a fresh model whose optimizer is not built yet, and
`keras.callbacks.BackupAndRestore` after an interrupted `fit`.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel

EVENT_SIZE = 6
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}
X = np.random.default_rng(0).uniform(0.05, 0.95, size=(32, EVENT_SIZE)).astype('float32')


def _model(compiled=True):
  model = FlowModel(EVENT_SIZE, base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4},
                    flow=NICE, preprocessing={'alpha': 0.05}, buffer_size=32,
                    num_gibbs_steps=2, seed=3)
  if compiled:
    _compile(model)
  return model


def _compile(model):
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)


def _fit(model, x=X, epochs=1, **kwargs):
  return model.fit(x, batch_size=16, epochs=epochs, verbose=0, shuffle=False, **kwargs).history


def _state(model):
  """Every variable of the model (chains, counter, log Z included) and of its optimizer."""
  return {'model': [v.numpy().copy() for v in model.variables],
          'optimizer': [v.numpy().copy() for v in model.optimizer.variables]}


def _assert_same_state(actual, expected):
  for part in ('model', 'optimizer'):
    assert len(actual[part]) == len(expected[part]), part
    for i, (a, e) in enumerate(zip(actual[part], expected[part])):
      np.testing.assert_array_equal(a, e, err_msg=f'{part} variable {i}')


def _continue(model):
  """One more step: its loss, then the whole state after it."""
  loss = _fit(model, X[:16])['loss']
  return loss, _state(model)


def test_resume_from_a_keras_file_is_exact(tmp_path):
  model = _model()
  _fit(model)
  path = tmp_path / 'flow.keras'
  model.save(str(path))
  saved = _state(model)
  expected_loss, expected = _continue(model)

  loaded = FlowModel.load(path)
  _assert_same_state(_state(loaded), saved)
  loss, state = _continue(loaded)
  assert loss == expected_loss
  _assert_same_state(state, expected)


@pytest.mark.parametrize('compile_before_restore', [True, False],
                         ids=['compiled', 'compiled_after_restore'])
def test_resume_from_a_checkpoint_into_an_unbuilt_optimizer_is_exact(tmp_path,
                                                                    compile_before_restore):
  model = _model()
  _fit(model)
  path = tf.train.Checkpoint(model=model).write(str(tmp_path / 'ckpt'))
  expected_loss, expected = _continue(model)

  fresh = _model(compiled=compile_before_restore)
  assert getattr(fresh, 'optimizer', None) is None or not fresh.optimizer.built
  tf.train.Checkpoint(model=fresh).read(path)
  if not compile_before_restore:
    _compile(fresh)
  loss, state = _continue(fresh)
  assert loss == expected_loss
  _assert_same_state(state, expected)


class _Interrupt(keras.callbacks.Callback):
  """A fault at the start of an epoch."""

  def __init__(self, epoch):
    super().__init__()
    self.epoch = epoch

  def on_epoch_begin(self, epoch, logs=None):
    if epoch == self.epoch:
      raise RuntimeError(f'interrupted at epoch {epoch}')


def test_an_interrupted_fit_resumed_by_backup_and_restore_is_exact(tmp_path):
  reference = _model()
  expected_losses = _fit(reference, epochs=3)['loss']
  expected = _state(reference)

  backup_dir = str(tmp_path / 'backup')
  interrupted = _model()
  with pytest.raises(RuntimeError, match='interrupted at epoch 2'):
    _fit(interrupted, epochs=3,
         callbacks=[keras.callbacks.BackupAndRestore(backup_dir), _Interrupt(2)])

  resumed = _model()
  losses = _fit(resumed, epochs=3, callbacks=[keras.callbacks.BackupAndRestore(backup_dir)])['loss']
  assert losses == expected_losses[2:]
  _assert_same_state(_state(resumed), expected)
