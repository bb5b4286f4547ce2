"""Persistent Gibbs chains kept in a replay buffer (EB-and-Flow Alg. 1)."""

import tensorflow as tf
from tensorflow_probability.python.internal import samplers

from tfp_rbm.mcmc import block_gibbs

__all__ = ['PersistentChains']


class PersistentChains(tf.Module):
  """A fixed-size buffer of Markov-chain states for persistent contrastive divergence.

  Each `advance` draws `num_chains` chains from the buffer without
  replacement, restarts a fraction `reset_fraction` of them from noise,
  runs `num_gibbs_steps` block-Gibbs sweeps of the base as it is now, writes
  them back and returns them: the negative-phase samples of one update.

  The states and the stateless seed live in `tf.Variable`s, so a
  `tf.train.Checkpoint` holding this module resumes the chains exactly.

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
  [2] Grathwohl, W. et al. No MCMC for me: amortized sampling for fast and
      stable training of energy-based models (EB-and-Flow), Alg. 1.
      https://arxiv.org/abs/2010.04230
  """

  def __init__(self, base, buffer_size=10000, num_gibbs_steps=25,
               reset_fraction=0.05, seed=0, name='persistent_chains'):
    """Fills the buffer with noise from `base.initial_chain_state`.

    Args:
      base: the base distribution whose chains are kept.
      buffer_size: number of chains in the buffer.
      num_gibbs_steps: block-Gibbs sweeps per `advance`.
      reset_fraction: fraction of the drawn chains restarted from noise.
      seed: int or stateless seed; the sequence of updates is reproducible.
      name: module name.
    """
    super().__init__(name=name)
    if buffer_size < 1:
      raise ValueError(f'Argument `buffer_size` must be positive; got {buffer_size}.')
    if not 0. <= reset_fraction <= 1.:
      raise ValueError(f'Argument `reset_fraction` must be in [0, 1]; got {reset_fraction}.')
    if num_gibbs_steps < 0:
      raise ValueError(f'Argument `num_gibbs_steps` must be >= 0; got {num_gibbs_steps}.')
    self.buffer_size = int(buffer_size)
    self.num_gibbs_steps = int(num_gibbs_steps)
    self.reset_fraction = float(reset_fraction)
    init_seed, loop_seed = samplers.split_seed(seed, salt='PersistentChains')
    # Under a tf.distribute strategy every replica keeps chains of its own
    # (sync-on-read); a checkpoint stores the first replica's.
    per_replica = dict(trainable=False, synchronization=tf.VariableSynchronization.ON_READ,
                       aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
    with self.name_scope:
      self.states = tf.Variable(base.initial_chain_state(self.buffer_size, init_seed),
                                name='states', **per_replica)
      self.seed = tf.Variable(loop_seed, name='seed', **per_replica)

  def advance(self, base, num_chains):
    """Runs `num_gibbs_steps` sweeps on `num_chains` buffer chains and returns them.

    Args:
      base: the base as it is now (its current parameters drive the chains).
      num_chains: int or int32 scalar tensor, at most `buffer_size`.

    Returns:
      The advanced chains, shape `[num_chains] + batch_shape + event_shape`.
    """
    if isinstance(num_chains, int) and num_chains > self.buffer_size:
      raise ValueError(f'Argument `num_chains`={num_chains} exceeds the buffer size '
                       f'{self.buffer_size}.')
    seed, next_seed = samplers.split_seed(tf.convert_to_tensor(self.seed))
    replica = tf.distribute.get_replica_context()
    if replica is not None:
      seed = samplers.fold_in(seed, tf.cast(replica.replica_id_in_sync_group, tf.int32))
    pick_seed, reset_seed, noise_seed, gibbs_seed = samplers.split_seed(seed, n=4)
    self.seed.assign(next_seed)
    # A random permutation by sorting uniform keys (XLA has no shuffle kernel).
    indices = tf.argsort(samplers.uniform([self.buffer_size], seed=pick_seed))[:num_chains]
    chains = tf.gather(self.states, indices)
    restart = samplers.uniform([num_chains], seed=reset_seed) < self.reset_fraction
    restart = tf.reshape(restart, [num_chains] + [1] * (chains.shape.rank - 1))
    chains = tf.where(restart, base.initial_chain_state(num_chains, noise_seed), chains)
    chains = block_gibbs.run_gibbs(base, chains, self.num_gibbs_steps, gibbs_seed)
    if tf.distribute.has_strategy():
      # Sync-on-read variables take whole assignments only.
      self.states.assign(tf.tensor_scatter_nd_update(
          tf.convert_to_tensor(self.states), indices[:, tf.newaxis], chains))
    else:
      self.states.scatter_nd_update(indices[:, tf.newaxis], chains)
    return chains
