"""Block-Gibbs sampling for any base that owns a `gibbs_step` and a `gibbs_chain`.

`run_gibbs` runs `num_steps` sweeps (the base's `gibbs_chain`) as one
XLA-compiled loop;
`BlockGibbsKernel` is the same sweep as a `tfp.mcmc.TransitionKernel`, so it
composes with `tfp.mcmc.sample_chain` and the rest of `tfp.mcmc`. Both take
the distribution as an argument: distributions are composite tensors, so one
compiled loop serves every machine of the same structure.

A tempered chain is the same kernel over `distribution.annealed(beta)`.
"""

import collections

import numpy as np
import tensorflow as tf
# No public API: pausing every enclosing GradientTape without holding it.
from tensorflow.python.eager import record  # pylint: disable=g-direct-tensorflow-import
import tensorflow_probability as tfp

from tfp_rbm.internal import compile_policy

__all__ = ['BlockGibbsKernel', 'BlockGibbsKernelResults', 'run_gibbs']


def _gibbs_loop(distribution, state, num_steps, seed, setup):
  return distribution.gibbs_chain(state, num_steps, seed, setup)


_gibbs_loop_xla = tf.function(_gibbs_loop, jit_compile=True, autograph=False)
_gibbs_loop_graph = tf.function(_gibbs_loop, autograph=False)


def run_gibbs(distribution, state, num_steps, seed, jit_compile=True):
  """Runs `num_steps` block-Gibbs sweeps of `distribution` from `state`.

  Args:
    distribution: a base with `gibbs_chain(state, num_steps, seed, setup)`
      and `gibbs_chain_setup()` (every Boltzmann machine here: `num_steps`
      sweeps of its `gibbs_step`; called eagerly, the setup is computed
      outside the compiled loop).
    state: chain states, shape `[num_chains] + batch_shape + event_shape`.
    num_steps: int (a new trace per count), or int32 scalar tensor.
    seed: stateless seed (int, or shape-[2] int tensor).
    jit_compile: when called eagerly, compile the loop with XLA (True, the
      default), run it as a graph (False), or `'auto'`: XLA only where the
      loop is long enough to repay the compile
      (`tfp_rbm.internal.compile_policy`; `sample` uses this). Inside a
      `tf.function` the loop is part of the caller's graph and follows the
      caller's `jit_compile`.

  Returns:
    The states after `num_steps` sweeps, same shape as `state`.

  #### Examples

  ```python
  v0 = rbm.initial_chain_state(1000, seed=(0, 1))
  v = tfp_rbm.mcmc.run_gibbs(rbm, v0, num_steps=25, seed=(0, 2))
  ```
  """
  seed = tfp.random.sanitize_seed(seed, salt='run_gibbs')
  if not isinstance(num_steps, (int, np.integer)) or isinstance(num_steps, bool):
    num_steps = tf.convert_to_tensor(num_steps, tf.int32, name='num_steps')
  # else a count known when tracing (one trace per count), by which a base
  # may choose its sweeps (the Gaussian-Bernoulli RBM's integrated chain).
  state = tf.convert_to_tensor(state, dtype=distribution.dtype, name='state')
  compiled = compile_policy.compiles_loop(jit_compile, state.shape.num_elements(), num_steps)
  if not tf.executing_eagerly():
    # Inside the caller's tf.function the loop joins its graph, compiled or
    # not as the caller chose.
    return _gibbs_loop(distribution, state, num_steps, seed, None)
  loop = _gibbs_loop_xla if compiled else _gibbs_loop_graph
  # Gibbs samples carry no gradient; an enclosing GradientTape must not try
  # to differentiate the compiled loop.
  with record.stop_recording():
    # Eagerly, outside the loop: what the base computes faster there (a factorization).
    setup = distribution.gibbs_chain_setup()
    return loop(distribution, state, num_steps, seed, setup)


BlockGibbsKernelResults = collections.namedtuple(
    'BlockGibbsKernelResults', ['num_steps'])


class BlockGibbsKernel(tfp.mcmc.TransitionKernel):
  """One block-Gibbs sweep of a Boltzmann machine as a TFP transition kernel.

  The sweep samples every layer given the other in turn (e.g. `h ~ p(h|v)`
  then `v ~ p(v|h)`), so it is always accepted and leaves the machine's
  marginal over the chain variable invariant.

  #### Examples

  ```python
  kernel = tfp_rbm.mcmc.BlockGibbsKernel(rbm)
  samples = tfp.mcmc.sample_chain(
      num_results=100, current_state=rbm.initial_chain_state(10, seed=(1, 1)),
      kernel=kernel, num_burnin_steps=200, trace_fn=None, seed=(1, 2))
  ```
  """

  def __init__(self, distribution, name=None):
    self._parameters = dict(distribution=distribution, name=name)

  @property
  def distribution(self):
    return self._parameters['distribution']

  @property
  def name(self):
    return self._parameters['name']

  @property
  def parameters(self):
    return self._parameters

  @property
  def is_calibrated(self):
    return True

  def one_step(self, current_state, previous_kernel_results, seed=None):
    with tf.name_scope(self.name or 'block_gibbs_one_step'):
      seed = tfp.random.sanitize_seed(seed)
      next_state = self.distribution.gibbs_step(current_state, seed)
      return next_state, BlockGibbsKernelResults(
          num_steps=previous_kernel_results.num_steps + 1)

  def bootstrap_results(self, init_state):
    del init_state
    return BlockGibbsKernelResults(num_steps=tf.constant(0, tf.int32))
