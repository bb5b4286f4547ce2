"""Run by test_mirrored_strategy.py in a fresh process (two logical CPUs must be
configured before TensorFlow initializes its devices).

Prints one JSON line: the largest difference between the gradient of the
global batch on one device and the all-reduced per-replica gradients; the
largest difference between the weights after one SGD step with
MirroredStrategy and on one device; and the loss history of an RBM-base fit.
"""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from tfp_rbm import training  # pylint: disable=g-import-not-at-top,wrong-import-position
from tfp_rbm.keras import FlowModel  # pylint: disable=g-import-not-at-top,wrong-import-position

EVENT_SIZE = 6
NICE = {'builder': 'nice', 'event_size': EVENT_SIZE, 'hidden_units': 8,
        'num_hidden_layers': 1, 'num_coupling_layers': 2}
x = np.random.default_rng(0).uniform(0.05, 0.95, size=(32, EVENT_SIZE)).astype('float32')
strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])


def make(base):
  model = FlowModel(EVENT_SIZE, base=base, flow=NICE, preprocessing={'alpha': 0.05},
                    buffer_size=64, num_gibbs_steps=2, seed=3)
  model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
  return model


single = make({'kind': 'multivariate_normal'})
with tf.GradientTape() as tape:
  loss = training.flow_loss(single.distribution, x)
single_grads = tape.gradient(loss, single.trainable_variables)

with strategy.scope():
  mirrored = make({'kind': 'multivariate_normal'})


@tf.function
def replica_grads(batch):
  def fn(batch):
    replica = tf.distribute.get_replica_context()
    with tf.GradientTape() as tape:
      loss = training.flow_loss(mirrored.distribution, batch) / replica.num_replicas_in_sync
    grads = tape.gradient(loss, mirrored.trainable_variables)
    return replica.all_reduce(tf.distribute.ReduceOp.SUM, grads)
  return strategy.run(fn, args=(batch,))


batch = next(iter(strategy.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices(x).batch(32))))
reduced = [strategy.experimental_local_results(g)[0] for g in replica_grads(batch)]
gradient_difference = max(float(np.max(np.abs(a - b.numpy())))
                          for a, b in zip(reduced, single_grads))

single.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
mirrored.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
weight_difference = max(float(np.max(np.abs(a.numpy() - b.numpy())))
                        for a, b in zip(single.trainable_variables, mirrored.trainable_variables))

with strategy.scope():
  rbm_flow = make({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4})
rbm_flow.initialize(x)
history = rbm_flow.fit(x, batch_size=16, epochs=3, verbose=0, shuffle=False).history
print(json.dumps(dict(num_replicas=strategy.num_replicas_in_sync,
                      gradient_difference=gradient_difference,
                      weight_difference=weight_difference,
                      rbm_loss=history['loss'],
                      rbm_bits_per_dim=rbm_flow.evaluate(x, verbose=0,
                                                         return_dict=True)['bits_per_dim'])))
