"""Persistent Gibbs chains kept in a replay buffer (EB-and-Flow Alg. 1)."""

import weakref

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.internal import validation
from tfp_rbm.mcmc import block_gibbs

__all__ = ['PersistentChains']


class PersistentChains(tf.Module):
  """A fixed-size buffer of Markov-chain states for persistent contrastive divergence.

  Each `advance` draws `num_chains` chains from the buffer without
  replacement, restarts a fraction `reset_fraction` of them from noise,
  runs `num_gibbs_steps` block-Gibbs sweeps of the base as it is now, writes
  them back and returns them: the negative-phase samples of one update.

  The states and the stateless seed live in `tf.Variable`s, so a
  `tf.train.Checkpoint` holding this module resumes the chains exactly. Under
  a `tf.distribute` strategy with `R` replicas every replica owns a buffer of
  `buffer_size` chains: `states` stacks them, replica `r` holding rows
  `[r * buffer_size, (r + 1) * buffer_size)`, so the checkpoint holds every
  replica's chains and restores each replica's own (into a strategy with the
  same number of replicas). The rows each replica wrote are all-gathered
  into every copy of the buffer (every device's, every worker's under
  `MultiWorkerMirroredStrategy`), so the copies stay identical.

  The base must offer `initial_chain_state(n, seed)` and
  `gibbs_step(state, seed)` (every Boltzmann-machine base here does); for
  the RBMs the chains run over the visible units, for `SmoothedRBM` over
  the spins.

  #### Examples

  ```python
  chains = tfp_rbm.training.PersistentChains(rbm, buffer_size=10000,
                                             num_gibbs_steps=25, seed=1)
  negative_samples = chains.advance(rbm, num_chains=128)
  ```

  #### References

  [1] Tieleman, T. Training restricted Boltzmann machines using
      approximations to the likelihood gradient. ICML 2008.
  [2] Grathwohl, W. et al. Scaling RBMs to high dimensional data with
      invertible neural networks (EB-and-Flow), Alg. 1. ICML 2020 workshop on
      Invertible Neural Networks, Normalizing Flows, and Explicit Likelihood
      Models.
  """

  def __init__(self, base, buffer_size=10000, num_gibbs_steps=25,
               reset_fraction=0.05, seed=0, name='persistent_chains'):
    """Fills the buffer with noise from `base.initial_chain_state`.

    Under a `tf.distribute` strategy, build it inside `strategy.scope()`.

    Args:
      base: the base distribution whose chains are kept.
      buffer_size: number of chains in the buffer (of each replica).
      num_gibbs_steps: block-Gibbs sweeps per `advance`.
      reset_fraction: fraction of the drawn chains restarted from noise.
      seed: int or stateless seed; the sequence of updates is reproducible.
      name: module name.
    """
    super().__init__(name=name)
    self.buffer_size = validation.check_integer(buffer_size, 'buffer_size', minimum=1)
    self.num_gibbs_steps = validation.check_integer(num_gibbs_steps, 'num_gibbs_steps')
    if isinstance(reset_fraction, (bool, str, bytes)) or not isinstance(
        reset_fraction, (int, float, np.integer, np.floating)):
      raise TypeError(f'Argument `reset_fraction` must be a number in [0, 1]; got '
                      f'{reset_fraction!r}.')
    if not 0. <= reset_fraction <= 1.:
      raise ValueError(f'Argument `reset_fraction` must be in [0, 1]; got {reset_fraction}.')
    self.reset_fraction = float(reset_fraction)
    self.num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    init_seed, loop_seed = tfp.random.split_seed(seed, salt='PersistentChains')
    with self.name_scope:
      self.states = tf.Variable(
          base.initial_chain_state(self.num_replicas * self.buffer_size, init_seed),
          trainable=False, name='states')
      self.seed = tf.Variable(loop_seed, trainable=False, name='seed')

  def advance(self, base, num_chains, jit_compile=False):
    """Runs `num_gibbs_steps` sweeps on `num_chains` buffer chains and returns them.

    The chains of update `t` are drawn from the buffer as update `t - 1`
    left it and swept with the base's parameters before update `t` (PCD:
    the negative phase uses the parameters the positive phase sees).

    Args:
      base: the base as it is now (its current parameters drive the chains).
      num_chains: int or int32 scalar tensor, in `[1, buffer_size]` (checked
        where its value is static).
      jit_compile: compile the draw (pick, restart, sweeps) as its own XLA
        function even inside a caller's graph that is not compiled: one
        cluster that the caller's executor runs alongside the work that does
        not depend on it (a flow's forward and backward pass). The same
        chains either way; inside a compiled caller it joins the caller's
        cluster.

    Returns:
      The advanced chains, shape `[num_chains] + batch_shape + event_shape`.
    """
    num_chains = validation.check_integer(num_chains, 'num_chains', minimum=1)
    if isinstance(num_chains, int) and num_chains > self.buffer_size:
      raise ValueError(f'Argument `num_chains`={num_chains} exceeds the buffer size '
                       f'{self.buffer_size}.')
    replica = tf.distribute.get_replica_context()
    if replica is None:
      raise ValueError('`advance` runs in a replica context: call it inside `strategy.run`.')
    replica_id = tf.cast(replica.replica_id_in_sync_group, tf.int32)
    draw = _compiled_draw if jit_compile else PersistentChains._draw
    indices, chains, next_seed = draw(self, base, num_chains, replica_id)
    written, written_indices = chains, indices
    if replica.num_replicas_in_sync > 1:
      # Every replica's chains, of every worker: each copy of the buffer (one
      # per device and worker) gets all of them, so any worker's checkpoint
      # holds every replica's chains.
      written, written_indices = replica.all_gather([chains, indices], axis=0)
    replica.merge_call(self._write_back, args=(written_indices, written, next_seed))
    return chains

  def _draw(self, base, num_chains, replica_id):
    """`(indices, chains, next_seed)`: the buffer rows picked, swept, and the next seed."""
    seed, next_seed = tfp.random.split_seed(tf.convert_to_tensor(self.seed))
    pick_seed, reset_seed, noise_seed, gibbs_seed = tfp.random.split_seed(
        tf.random.experimental.stateless_fold_in(seed, replica_id), n=4)
    # A random permutation by sorting uniform keys (XLA has no shuffle kernel).
    keys = tf.random.stateless_uniform([self.buffer_size], seed=pick_seed)
    indices = replica_id * self.buffer_size + tf.argsort(keys)[:num_chains]
    chains = tf.gather(self.states, indices)
    restart = tf.random.stateless_uniform([num_chains], seed=reset_seed) < self.reset_fraction
    restart = tf.reshape(restart, [num_chains] + [1] * (chains.shape.rank - 1))
    chains = tf.where(restart, base.initial_chain_state(num_chains, noise_seed), chains)
    chains = block_gibbs.run_gibbs(base, chains, self.num_gibbs_steps, gibbs_seed)
    return indices, chains, next_seed

  def _write_back(self, strategy, indices, chains, next_seed):
    """Writes the gathered chains into their rows; runs in cross-replica context."""
    first = lambda value: strategy.experimental_local_results(value)[0]
    self.states.scatter_update(tf.IndexedSlices(first(chains), first(indices)))
    self.seed.assign(first(next_seed))


# Per buffer: {id(base): (base, the draw over that base as one XLA function)}.
_COMPILED_DRAWS = weakref.WeakKeyDictionary()


def _compiled_draw(chains, base, num_chains, replica_id):
  """`chains._draw(base, ...)` as one XLA cluster (`advance(..., jit_compile=True)`).

  The base is captured, not passed: a distribution holding variables cannot
  cross a `tf.function` boundary from inside a graph. Traced once per buffer,
  base and static `num_chains`.
  """
  draws = _COMPILED_DRAWS.setdefault(chains, {})
  if id(base) not in draws:
    buffer = weakref.ref(chains)  # The function must not keep the buffer alive.
    draws[id(base)] = (base, tf.function(
        lambda num_chains, replica_id: buffer()._draw(base, num_chains, replica_id),  # pylint: disable=protected-access
        jit_compile=True, autograph=False))
  return draws[id(base)][1](num_chains, replica_id)
