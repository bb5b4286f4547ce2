"""One worker of test_multi_worker_strategy.py, which runs it as two processes.

Each process is started with its `TF_CONFIG` (two workers on loopback ports)
and CUDA hidden, builds a tiny `FlowModel` (NICE + Gaussian-Bernoulli RBM
with persistent chains) inside `tf.distribute.MultiWorkerMirroredStrategy`,
fits one step on a global batch of 32 (16 per worker), and writes one JSON
file `<out>/worker<i>.json` with:

- `weight_difference`: the largest difference between the weights after
  that step and one SGD step of a single-process model (same seed, no
  strategy) on the same global batch, its negative samples the 32 chains the
  two workers drew (read back from the buffer, which holds exactly them: each
  worker's buffer has 16 rows, all drawn and written back). The all-reduced
  step averages per-worker gradients of equal halves; the surrogate's
  gradient is a mean over data and a mean over chains, so the two agree up
  to float rounding (the comparison covers the chain term, not only the data
  term). `initial_weights_equal` checks both start from the same weights.
- the chains: `rows_changed` per worker block, `blocks_differ` (the workers'
  chains differ), `states` (this worker's copy of the whole buffer).
- the checkpoints the chief writes (every worker writes; the others to a
  directory they delete): `checkpoint_states_equal` (the chief's file holds
  both workers' chains), `restore_differs` (the variables of a fresh model
  restored from it that differ from the trained model's: none expected),
  `rerun_differs` (the variables that differ after restoring the checkpoint
  written before the step and fitting the same step again: none expected).
- `bits_per_dim`: `evaluate` across the workers and in a single process with
  the trained weights, on the global batch; `times`: (wall, CPU) seconds.
"""

import json
import os
import pathlib
import shutil
import sys
import time

START = time.monotonic()
os.environ['CUDA_VISIBLE_DEVICES'] = ''

import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

# Collective ops need the strategy before any other TensorFlow op.
strategy = tf.distribute.MultiWorkerMirroredStrategy()

import keras  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from tfp_rbm import training  # pylint: disable=g-import-not-at-top,wrong-import-position
from tfp_rbm.keras import FlowModel  # pylint: disable=g-import-not-at-top,wrong-import-position

EVENT_SIZE = 6
GLOBAL_BATCH = 32
LEARNING_RATE = 0.1
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}
RBM = {'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4}

out = pathlib.Path(sys.argv[1])
task = json.loads(os.environ['TF_CONFIG'])['task']['index']
num_workers = strategy.num_replicas_in_sync
buffer_size = GLOBAL_BATCH // num_workers  # Every row drawn in one step.
x = np.random.default_rng(0).uniform(0.05, 0.95, size=(GLOBAL_BATCH, EVENT_SIZE)).astype(
    'float32')


def make(distributed=True):
  scope = strategy.scope() if distributed else tf.distribute.get_strategy().scope()
  with scope:
    model = FlowModel(EVENT_SIZE, base=RBM, flow=NICE, preprocessing={'alpha': 0.05},
                      buffer_size=buffer_size, num_gibbs_steps=2, seed=3)
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), jit_compile=False)
    model.optimizer.build(model.trainable_variables)
  return model


def dataset():
  options = tf.data.Options()
  options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
  # The dataset's batch is the global batch; each worker gets its half.
  return tf.data.Dataset.from_tensor_slices(x).batch(GLOBAL_BATCH).with_options(options)


def one_step(model):
  return model.fit(dataset(), epochs=1, verbose=0, shuffle=False).history


def write_checkpoint(model, name):
  """Every worker writes (saving may need collectives); only the chief's file is kept."""
  directory = out / name if task == 0 else out / f'{name}_worker{task}_scratch'
  tf.train.Checkpoint(model=model, optimizer=model.optimizer).write(str(directory / 'ckpt'))
  if task != 0:
    shutil.rmtree(directory)
  # A barrier (an all-reduce): the chief's file is complete before anyone reads it.
  strategy.reduce('SUM', strategy.run(lambda: tf.constant(1.)), axis=None)
  return str(out / name / 'ckpt')


def read_checkpoint(model, path):
  tf.train.Checkpoint(model=model, optimizer=model.optimizer).read(path).assert_consumed()


def values(variables):
  return [np.asarray(v.numpy()) for v in variables]


def max_difference(first, second):
  return max(float(np.max(np.abs(a - b))) for a, b in zip(first, second))


def differing(variables, expected):
  """Names of the `variables` whose values differ from `expected` (NaN equal to NaN)."""
  return [v.name for v, a, b in zip(variables, values(variables), expected)
          if not np.array_equal(a, b, equal_nan=a.dtype.kind == 'f')]


times = {'imported': (time.monotonic() - START, time.process_time())}
model = make()
initial_weights = values(model.trainable_variables)
initial_states = model.chains.states.numpy()
initial_path = write_checkpoint(model, 'initial')
history = one_step(model)
times['fitted'] = (time.monotonic() - START, time.process_time())
weights = values(model.trainable_variables)
states = model.chains.states.numpy()
results = {'task': task, 'num_replicas': num_workers, 'buffer_rows': int(states.shape[0]),
           'loss': history['loss'], 'states': states.tolist()}

# (a) One SGD step of a single process on the global batch, with the chains the workers drew.
single = make(distributed=False)
with tf.GradientTape() as tape:
  loss = training.flow_loss(single.distribution, x, states)
grads = tape.gradient(loss, single.trainable_variables)
expected = [w - LEARNING_RATE * g.numpy() for w, g in
            zip(values(single.trainable_variables), grads)]
results['initial_weights_equal'] = max_difference(
    values(single.trainable_variables), initial_weights) == 0.
results['weight_difference'] = max_difference(weights, expected)
results['weight_change'] = max_difference(weights, initial_weights)

# (b) Chains per worker: worker r drew and wrote rows [r * buffer_size, (r + 1) * buffer_size).
changed = np.any(states != initial_states, axis=-1)
results['rows_changed'] = [int(c.sum()) for c in np.split(changed, num_workers)]
blocks = np.split(states, num_workers)
results['blocks_differ'] = not np.array_equal(blocks[0], blocks[1])

# (c) The chief's checkpoint after the step: both workers' chains, restored into a fresh model.
path = write_checkpoint(model, 'trained')
if task == 0:
  reader = tf.train.load_checkpoint(path)
  state_keys = [k for k in reader.get_variable_to_shape_map() if 'chains/states' in k]
  results['checkpoint_states_equal'] = (len(state_keys) == 1 and np.array_equal(
      reader.get_tensor(state_keys[0]), states))
resumed = make()
resumed.chains.seed.assign([7, 7])  # Restored below, as every other variable.
read_checkpoint(resumed, path)
results['restore_differs'] = differing(resumed.variables, values(model.variables))
trained_variables = values(model.variables)

# (b, c) A rerun: the chief's checkpoint from before the step, then the same step again
# (the traced step is reused), gives the same chains and weights on this worker.
read_checkpoint(model, initial_path)
one_step(model)
results['rerun_differs'] = differing(model.variables, trained_variables)
times['rerun'] = (time.monotonic() - START, time.process_time())

# evaluate across workers: the mean of the workers' halves is the global batch's bits/dim.
bits_per_dim = model.evaluate(dataset(), verbose=0, return_dict=True)['bits_per_dim']
for variable, value in zip(single.trainable_variables, weights):
  variable.assign(value)
results['bits_per_dim'] = [bits_per_dim, single.evaluate(x, batch_size=GLOBAL_BATCH, verbose=0,
                                                         return_dict=True)['bits_per_dim']]
times['done'] = (time.monotonic() - START, time.process_time())
results['times'] = times
(out / f'worker{task}.json').write_text(json.dumps(results))
