"""The chains' draw as its own XLA cluster, run alongside the flow's pass.

`PersistentChains.advance(..., jit_compile=True)` and
`FlowModel(overlap_chains=True)`: the chains of a step are those drawn with
the parameters before its update, exactly as when the draw runs first.
"""

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm import training
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import specs

EVENT_SIZE = 6


def _base():
  return specs.build_base({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4}, EVENT_SIZE,
                          'float32', seed=1)


def test_the_compiled_draw_uses_the_parameters_before_a_concurrent_update():
  base = _base()
  weights = base.trainable_variables[0]
  overlapped = training.PersistentChains(base, buffer_size=20, num_gibbs_steps=3, seed=(1, 2))
  first = training.PersistentChains(base, buffer_size=20, num_gibbs_steps=3, seed=(1, 2))
  expected = first.advance(base, 8, jit_compile=True).numpy()  # Drawn first, eagerly.

  @tf.function
  def step():
    # Work that reads the weights but not the chains, then an update of them:
    # the draw must see the weights before the update.
    chains = overlapped.advance(base, 8, jit_compile=True)
    weights.assign_add(tf.ones_like(weights) + tf.reduce_sum(tf.square(weights)))
    return chains

  np.testing.assert_array_equal(step().numpy(), expected)
  np.testing.assert_array_equal(overlapped.states.numpy(), first.states.numpy())
  np.testing.assert_array_equal(overlapped.seed.numpy(), first.seed.numpy())
  # The next draw sees the updated weights (and not the next update).
  expected = first.advance(base, 8, jit_compile=True).numpy()
  np.testing.assert_array_equal(step().numpy(), expected)


def _model(**kwargs):
  flow = {'builder': 'nice', 'event_size': EVENT_SIZE, 'num_coupling_layers': 2,
          'hidden_units': 8, 'num_hidden_layers': 1, 'seed': 0}
  model = FlowModel(EVENT_SIZE, base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4},
                    flow=flow, preprocessing={'alpha': 0.05}, buffer_size=32,
                    num_gibbs_steps=2, seed=3, **kwargs)
  return model


def test_overlapped_fit_gives_the_updates_of_the_draw_run_first():
  x = np.random.default_rng(0).uniform(0.05, 0.95, size=(48, EVENT_SIZE)).astype('float32')
  overlapped, serial = _model(overlap_chains=True), _model(overlap_chains=True)
  overlapped.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
  # Eagerly the draw finishes before the flow's pass starts: the serial reference.
  serial.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
  for model in (overlapped, serial):
    model.fit(x[:16], batch_size=16, epochs=1, verbose=0, shuffle=False)
  # One step: the same parameters drew the same chains.
  np.testing.assert_array_equal(overlapped.chains.states.numpy(), serial.chains.states.numpy())
  for model in (overlapped, serial):
    model.fit(x[16:], batch_size=16, epochs=1, verbose=0, shuffle=False)
  for a, b in zip(overlapped.variables, serial.variables):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=a.name)
  assert overlapped.optimizer.iterations.numpy() == 3


def test_overlap_is_kept_by_the_config():
  model = _model(overlap_chains=True)
  assert FlowModel.from_config(model.get_config()).overlap_chains is True
  assert FlowModel.from_config(_model().get_config()).overlap_chains is False


def test_the_flow_pass_does_not_wait_for_the_draw():
  # In the step's graph the draw is one compiled call, and neither the flow's
  # forward nor its backward products depend on it (data or control edges).
  model = _model(overlap_chains=True)
  model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
  model.make_train_function()
  x = tf.constant(np.full((16, EVENT_SIZE), 0.5, np.float32))
  graph = tf.function(model.train_step).get_concrete_function(x).graph

  def ancestors(op):
    seen, stack = set(), [op]
    while stack:
      current = stack.pop()
      for parent in [t.op for t in current.inputs] + list(current.control_inputs):
        if parent not in seen:
          seen.add(parent)
          stack.append(parent)
    return seen

  def compiled(op):
    try:
      return op.get_attr('_XlaMustCompile')
    except ValueError:
      return False

  draws = [op for op in graph.get_operations() if compiled(op)]
  assert len(draws) == 1, [op.name for op in draws]
  products = [op for op in graph.get_operations() if op.type == 'MatMul']
  waiting = [op for op in products if draws[0] in ancestors(op)]
  # Only the chains' energy (one product) and its two gradients wait; the
  # flow's 2 couplings x 2 layers, forward and backward, do not.
  assert len(waiting) == 3, [op.name for op in waiting]
  assert len(products) - len(waiting) >= 4 * 3
  assert not any(op.type == 'MatMul' for op in ancestors(draws[0]))
