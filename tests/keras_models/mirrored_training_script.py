"""Run by test_mirrored_strategy.py in a fresh process (two logical CPUs must be
configured before TensorFlow initializes its devices).

Prints one JSON line: the largest differences between single-device gradients
of the global batch and the all-reduced per-replica gradients (Gaussian base;
RBM base with fixed negative samples split over the replicas), and between
the weights after one SGD step either way; facts about the replicas' chain
buffers; NaN skipping; checkpoint resume; and an RBM-base fit's losses.
"""

import contextlib
import json
import tempfile
import warnings

import tensorflow as tf

cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from tfp_rbm import training  # pylint: disable=g-import-not-at-top,wrong-import-position
from tfp_rbm.keras import FlowModel  # pylint: disable=g-import-not-at-top,wrong-import-position

EVENT_SIZE = 6
BUFFER_SIZE = 64
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}
GAUSSIAN = {'kind': 'multivariate_normal'}
RBM = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4}
rng = np.random.default_rng(0)
x = rng.uniform(0.05, 0.95, size=(32, EVENT_SIZE)).astype('float32')
fixed_chains = rng.normal(size=(32, EVENT_SIZE)).astype('float32')
strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
results = {'num_replicas': strategy.num_replicas_in_sync}


def make(base, mirrored=True):
  with strategy.scope() if mirrored else contextlib.nullcontext():
    model = FlowModel(EVENT_SIZE, base=base, flow=NICE, preprocessing={'alpha': 0.05},
                      buffer_size=BUFFER_SIZE, num_gibbs_steps=2, seed=3)
    model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
  return model


def fit(model, data, epochs=1):
  return model.fit(data, batch_size=32, epochs=epochs, verbose=0, shuffle=False).history


def identical(first, second):
  return all(np.array_equal(a, b, equal_nan=a.dtype.kind == 'f')
             for a, b in zip(first, second))


def max_difference(first, second):
  return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
             for a, b in zip(first, second))


def gradient_difference(base):
  """Global-batch gradient on one device vs. all-reduced replica gradients."""
  chains = fixed_chains if base is RBM else None
  single = make(base, mirrored=False)
  with tf.GradientTape() as tape:
    loss = training.flow_loss(single.distribution, x, chains)
  single_grads = tape.gradient(loss, single.trainable_variables)
  mirrored = make(base)

  @tf.function
  def replica_grads(batch):
    def fn(batch):
      replica = tf.distribute.get_replica_context()
      with tf.GradientTape() as tape:
        loss = training.flow_loss(mirrored.distribution, *batch) / replica.num_replicas_in_sync
      grads = tape.gradient(loss, mirrored.trainable_variables)
      return replica.all_reduce(tf.distribute.ReduceOp.SUM, grads)
    return strategy.run(fn, args=(batch,))

  # Each replica gets its half of the data and, for the RBM, of the negative samples.
  batch = next(iter(strategy.experimental_distribute_dataset(
      tf.data.Dataset.from_tensor_slices((x,) if chains is None else (x, chains)).batch(32))))
  reduced = [strategy.experimental_local_results(g)[0] for g in replica_grads(batch)]
  return max_difference(reduced, single_grads), single, mirrored


results['gradient_difference'], single, mirrored = gradient_difference(GAUSSIAN)
results['rbm_gradient_difference'], _, _ = gradient_difference(RBM)
fit(single, x)
fit(mirrored, x)
results['weight_difference'] = max_difference(single.trainable_variables,
                                              mirrored.trainable_variables)

# Per-replica chains: one mirrored buffer, each replica advancing its own rows.
rbm_flow = make(RBM)
initial_states = rbm_flow.chains.states.numpy()
history = fit(rbm_flow, x, epochs=3)
states = rbm_flow.chains.states.numpy()
copies = strategy.experimental_local_results(rbm_flow.chains.states)
changed = np.any(states != initial_states, axis=-1)
results.update(
    rbm_loss=history['loss'],
    rbm_bits_per_dim=rbm_flow.evaluate(x, verbose=0, return_dict=True)['bits_per_dim'],
    buffer_rows=states.shape[0],
    device_copies_equal=all(np.array_equal(c.numpy(), states) for c in copies),
    rows_changed_per_replica=[int(changed[:BUFFER_SIZE].sum()), int(changed[BUFFER_SIZE:].sum())],
    replica_buffers_differ=not np.array_equal(states[:BUFFER_SIZE], states[BUFFER_SIZE:]))

# A NaN on the second replica only: both replicas skip the update.
bad = x.copy()
bad[20, 1] = np.nan
state = list(rbm_flow.trainable_variables) + list(rbm_flow.optimizer.variables)
before = [v.numpy().copy() for v in state]
with warnings.catch_warnings(record=True) as caught:
  warnings.simplefilter('always')
  fit(rbm_flow, bad)
results.update(
    skipped_updates=int(rbm_flow.skipped_updates.numpy()),
    skip_warned=any('skipped 1 update' in str(w.message) for w in caught),
    weights_unchanged_after_skip=identical([v.numpy() for v in state], before))

# Checkpoint resume under the strategy, every replica's chains included.
path = tf.train.Checkpoint(model=rbm_flow, optimizer=rbm_flow.optimizer).write(
    tempfile.mkdtemp() + '/ckpt')
fit(rbm_flow, x)
expected = [v.numpy() for v in rbm_flow.variables]
resumed = make(RBM)
resumed.chains.seed.assign([7, 7])
with strategy.scope():
  resumed.optimizer.build(resumed.trainable_variables)
tf.train.Checkpoint(model=resumed, optimizer=resumed.optimizer).read(path).assert_consumed()
fit(resumed, x)
results['resume_exact'] = identical([v.numpy() for v in resumed.variables], expected)
print(json.dumps(results))
