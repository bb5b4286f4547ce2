"""`fit` with `steps_per_execution = k`: k batches stacked, one call of the step.

The stacked loop (`tfp_rbm.keras.stacked_steps`) must train exactly as one
step at a time: the same updates after the same batches, every example once
per epoch, labels, validation data, a dataset, callbacks counting batches
as Keras' own `steps_per_execution` does, and Keras' loop wherever the
stacking does not apply.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import stacked_steps

EVENT_SIZE = 8
# 53 examples in batches of 10: five full batches and one of 3.
NUM_EXAMPLES, BATCH = 53, 10


def _binary(n=NUM_EXAMPLES, seed=0):
  return (np.random.default_rng(seed).uniform(size=[n, EVENT_SIZE]) < 0.3).astype('float32')


def _model(steps_per_execution=1, jit_compile=False, **kwargs):
  kwargs = {'base': {'kind': 'bernoulli_rbm', 'num_hidden': 3}, 'num_bins': None,
            'buffer_size': 16, 'num_gibbs_steps': 1, 'training_bits_per_dim_interval': 4,
            **kwargs}
  model = FlowModel(EVENT_SIZE, flow=None, seed=1, **kwargs)
  model.compile(optimizer=keras.optimizers.Adam(1e-2), steps_per_execution=steps_per_execution,
                jit_compile=jit_compile)
  return model


def _assert_same_state(a, b, rtol=1e-6, atol=1e-7):
  assert len(a.variables) == len(b.variables)
  for u, v in zip(a.variables, b.variables):
    np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=rtol, atol=atol,
                               err_msg=u.name)


class _BatchEnds(keras.callbacks.Callback):

  def __init__(self):
    super().__init__()
    self.ends = []

  def on_train_batch_end(self, batch, logs=None):
    self.ends.append(batch)


@pytest.mark.parametrize('steps', [4, 10])
def test_stacked_steps_train_as_one_step_at_a_time(steps):
  """The same weights, chains, optimizer state and metrics after the same batches."""
  x = _binary()
  one, stacked = _model(), _model(steps)
  ends = _BatchEnds()
  history = stacked.fit(x, batch_size=BATCH, epochs=2, verbose=0, shuffle=False,
                        callbacks=[ends]).history
  expected = one.fit(x, batch_size=BATCH, epochs=2, verbose=0, shuffle=False).history
  assert getattr(stacked.train_function, 'stacks_batches', False)
  assert int(stacked.optimizer.iterations.numpy()) == 2 * 6
  _assert_same_state(one, stacked)
  for name, values in expected.items():
    np.testing.assert_allclose(history[name], values, rtol=1e-6, err_msg=name)
  assert np.isfinite(history['bits_per_dim']).all()  # the schedule met steps 0, 4 and 8
  # One batch end per execution, numbered as Keras' own steps_per_execution numbers them.
  assert ends.ends == [s - 1 for s in range(steps, 6 + steps, steps)] * 2


def test_every_example_once_per_epoch_in_batches_as_keras_cuts_them():
  x = np.arange(NUM_EXAMPLES, dtype=np.float32)[:, None] * np.ones([1, EVENT_SIZE], np.float32)
  y = np.arange(NUM_EXAMPLES, dtype=np.int32)
  dataset, num_batches = stacked_steps._stacked_arrays(  # pylint: disable=protected-access
      tf.constant(x), tf.constant(y), BATCH, 4, shuffle=True)
  assert num_batches == 6
  epochs = []
  for sizes, stack_x, stack_y in dataset.take(2 * 2):  # two stacks per epoch
    np.testing.assert_array_equal(stack_x.numpy()[:, 0], stack_y.numpy())
    epochs.append((sizes.numpy().tolist(), stack_y.numpy()))
  assert [sizes for sizes, _ in epochs] == [[10] * 4, [10, 3]] * 2
  first = np.concatenate([epochs[0][1], epochs[1][1]])
  second = np.concatenate([epochs[2][1], epochs[3][1]])
  np.testing.assert_array_equal(np.sort(first), y)
  np.testing.assert_array_equal(np.sort(second), y)
  assert not np.array_equal(first, second)  # reshuffled every epoch


def test_labels_and_validation_data_as_one_step_at_a_time():
  rng = np.random.default_rng(2)
  y = rng.integers(-1, 2, size=NUM_EXAMPLES).astype(np.int32)
  x = (rng.normal(size=[NUM_EXAMPLES, EVENT_SIZE]) + 2. * y[:, None]).astype('float32')
  base = {'kind': 'class_conditional_gaussian_mixture', 'num_classes': 2}
  runs = []
  for steps in (1, 4):
    model = _model(steps, base=base)
    history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, shuffle=False,
                        validation_data=(x[:20], y[:20])).history
    runs.append((model, history))
  (one, expected), (stacked, history) = runs
  _assert_same_state(one, stacked)
  assert {'accuracy', 'val_accuracy', 'val_bits_per_dim'} <= set(history)
  for name, values in expected.items():
    np.testing.assert_allclose(history[name], values, rtol=1e-6, err_msg=name)


def test_validation_split_and_a_dataset_as_one_step_at_a_time():
  x = _binary()
  one, stacked = _model(), _model(4)
  expected = one.fit(x, batch_size=BATCH, epochs=2, verbose=0, shuffle=False,
                     validation_split=0.25).history
  history = stacked.fit(x, batch_size=BATCH, epochs=2, verbose=0, shuffle=False,
                        validation_split=0.25).history
  _assert_same_state(one, stacked)
  np.testing.assert_allclose(history['val_bits_per_dim'], expected['val_bits_per_dim'],
                             rtol=1e-6)
  # A dataset of batches, the last partial: stacked as they come.
  dataset = tf.data.Dataset.from_tensor_slices(x).batch(BATCH)
  one.fit(dataset, epochs=2, verbose=0, shuffle=False)
  stacked.fit(dataset, epochs=2, verbose=0, shuffle=False)
  assert getattr(stacked.train_function, 'stacks_batches', False)
  assert int(stacked.optimizer.iterations.numpy()) == 2 * 4 + 2 * 6
  _assert_same_state(one, stacked)


def test_keras_loop_where_stacking_does_not_apply_and_back():
  x = _binary()
  model = _model(4)
  # Sample weights: Keras' own loop (FlowModel ignores them, as before).
  model.fit(x, batch_size=BATCH, epochs=1, verbose=0, sample_weight=np.ones(NUM_EXAMPLES))
  assert not getattr(model.train_function, 'stacks_batches', False)
  model.fit(x, batch_size=BATCH, epochs=1, verbose=0)
  assert getattr(model.train_function, 'stacks_batches', False)
  assert int(model.optimizer.iterations.numpy()) == 12
  assert stacked_steps.fit_arguments(model, (x,), {'steps_per_epoch': 3}) is None
  assert stacked_steps.fit_arguments(model, (x,), {'shuffle': 'batch'}) is None
  assert stacked_steps.fit_arguments(_model(1), (x,), {}) is None


def test_xla_stacked_steps_train_as_keras_xla_steps():
  """Under XLA too (no log Z in the step: a shorter compile)."""
  x = _binary(40)
  one, stacked = (_model(steps, jit_compile=True, training_enumeration_bits=0)
                  for steps in (1, 4))
  one.fit(x, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
  stacked.fit(x, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
  assert getattr(stacked.train_function, 'stacks_batches', False)
  _assert_same_state(one, stacked, rtol=1e-5, atol=1e-6)


def test_batches_all_alike_trace_the_step_once_and_a_partial_batch_adds_its_own():
  """50 examples in batches of 10: one trace; then 53: the partial batch's trace, all trained."""
  model, one = _model(4), _model()
  traces = []
  train_batch = model._train_batch  # pylint: disable=protected-access

  def counted(*args, **kwargs):
    traces.append(1)
    return train_batch(*args, **kwargs)

  model._train_batch = counted  # pylint: disable=protected-access
  model.fit(_binary()[:50], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
  assert len(traces) == 1 and not model.train_function.odd_batches
  model.fit(_binary(), batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
  assert len(traces) == 3 and model.train_function.odd_batches
  assert int(model.optimizer.iterations) == 5 + 6
  one.fit(_binary()[:50], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
  one.fit(_binary(), batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
  _assert_same_state(model, one)
