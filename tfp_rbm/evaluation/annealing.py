"""Inverse-temperature schedules and the annealing loop behind AIS and RAISE.

An annealing path runs from a tractable machine at `beta = 0` to the model at
`beta = 1` through `0 = beta_0 <= beta_1 <= ... <= beta_K = 1`. Each base
supplies the path (`distribution.annealed(beta, proposal)`), its
Gibbs sweep at each temperature (`gibbs_step`) and the unnormalized
log-density of its chain variable (`chain_unnormalized_log_prob`); this
module only walks it.

`annealing_schedule` turns a number of temperatures or a user array into a
validated schedule. Each step asks the base for `annealing_step` (the two
densities' log-ratio and the sweep, which an RBM computes from one `W^T x`).
`run_annealing` accumulates the importance log-weights,
in float64, along the path, forward (AIS) or in reverse (RAISE), as an
XLA-compiled loop over blocks of temperatures with an optional progress bar
between blocks.

#### References

[1] Neal, R. M. Annealed importance sampling. Statistics and Computing, 2001.
    https://arxiv.org/abs/physics/9803008
[2] Salakhutdinov, R., Murray, I. On the quantitative analysis of deep belief
    networks. ICML 2008.
[3] Burda, Y., Grosse, R., Salakhutdinov, R. Accurate and conservative
    estimates of MRF log-likelihood using reverse annealing. AISTATS 2015.
    https://arxiv.org/abs/1412.8566
"""

import numpy as np
import tensorflow as tf
import tqdm
import tensorflow_probability as tfp

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.internal import validation

__all__ = [
    'DEFAULT_BLOCK_SIZE',
    'SCHEDULES',
    'annealing_schedule',
    'check_annealable',
    'check_block_size',
    'linear_schedule',
    'run_annealing',
    'sigmoid_schedule',
]

DEFAULT_BLOCK_SIZE = 250

def check_annealable(distribution):
  """Raises `TypeError` unless `distribution` has the capability of an annealing path.

  Every base on the energy-based core (`tfp_rbm.distributions.BoltzmannMachine`)
  declares one.
  """
  if not boltzmann_machine.is_energy_based(distribution):
    raise TypeError(
        'Argument `distribution` lacks the capability `annealed` (an annealing path from '
        'a tractable proposal), which AIS and RAISE need: it is offered by the bases on the '
        'energy-based core, `tfp_rbm.distributions.BoltzmannMachine`; got '
        f'{type(distribution).__name__}.')


def check_block_size(block_size):
  """`block_size` as a Python int >= 1, naming it otherwise (every AIS/RAISE entry point)."""
  return validation.check_integer(block_size, 'block_size', minimum=1)


def linear_schedule(num_temperatures):
  """`beta_k = k / K` for `k = 0..K`, float64 NumPy array of length `K + 1`."""
  return np.linspace(0., 1., num_temperatures + 1)


def sigmoid_schedule(num_temperatures, radius=4.):
  """Betas spaced densely near both ends, as Grosse et al. (2013) use for AIS.

  ```none
  s_k    = sigmoid(-radius + 2 radius k / K),   k = 0..K
  beta_k = (s_k - s_0) / (s_K - s_0)
  ```

  Args:
    num_temperatures: Python int `K >= 1`.
    radius: positive float; larger puts more temperatures near 0 and 1.

  Returns:
    float64 NumPy array of length `K + 1` from 0 to 1.
  """
  s = 1. / (1. + np.exp(-np.linspace(-radius, radius, num_temperatures + 1)))
  betas = (s - s[0]) / (s[-1] - s[0])
  betas[0], betas[-1] = 0., 1.
  return betas


SCHEDULES = {'linear': linear_schedule, 'sigmoid': sigmoid_schedule}


def annealing_schedule(betas, schedule='linear'):
  """A validated inverse-temperature schedule as a float64 NumPy array.

  Args:
    betas: Python int `K >= 1`, the number of annealing steps (the schedule
      then has `K + 1` temperatures, from `schedule`); or a 1-D array of
      non-decreasing values from exactly 0 to exactly 1.
    schedule: `'linear'` or `'sigmoid'`, used when `betas` is an int.

  Returns:
    float64 NumPy array `[beta_0 = 0, ..., beta_K = 1]`.

  Raises:
    TypeError: if `betas` is neither an int nor an array of numbers.
    ValueError: if `betas` or `schedule` is not one of the above.
  """
  if isinstance(betas, (bool, np.bool_, str, bytes)):
    raise TypeError('Argument `betas` must be an int number of steps or a 1-D array of '
                    f'temperatures; got {betas!r}.')
  if isinstance(betas, (int, np.integer)):
    betas = validation.check_integer(betas, 'betas', minimum=1)
    if schedule not in SCHEDULES:
      raise ValueError(
          f'Argument `schedule` must be one of {sorted(SCHEDULES)}; got {schedule!r}.')
    return SCHEDULES[schedule](betas)
  try:
    betas = np.asarray(betas, dtype=np.float64)
  except (TypeError, ValueError):
    raise TypeError('Argument `betas` must be an int number of steps or a 1-D array of '
                    f'temperatures; got {type(betas).__name__}.') from None
  if betas.ndim != 1 or betas.size < 2:
    raise ValueError(
        'Argument `betas` must be an int or a 1-D array of at least 2 '
        f'temperatures; got shape {betas.shape}.')
  if not np.all(np.isfinite(betas)):
    raise ValueError('Argument `betas` must be finite.')
  if betas[0] != 0. or betas[-1] != 1.:
    raise ValueError(
        'Argument `betas` must start at exactly 0 and end at exactly 1; got '
        f'{betas[0]} ... {betas[-1]}.')
  if np.any(np.diff(betas) < 0.):
    raise ValueError('Argument `betas` must be non-decreasing.')
  return betas


def _log_ratio(distribution, proposal, state, beta_from, beta_to):
  """`log f_to(x) - log f_from(x)` in float64, each machine evaluated on its own."""
  dtype = distribution.dtype
  to = distribution.annealed(tf.cast(beta_to, dtype), proposal)
  frm = distribution.annealed(tf.cast(beta_from, dtype), proposal)
  return (tf.cast(to.chain_unnormalized_log_prob(state), tf.float64)
          - tf.cast(frm.chain_unnormalized_log_prob(state), tf.float64))


def _annealing_block(distribution, proposal, state, log_weights, betas,
                     num_steps, first_step, seed):
  """`num_steps` annealing steps over consecutive pairs `(a, b)` of `betas`.

  Each step is `w += log f_b(x) - log f_a(x)`, then `x ~ T_b(x)`, as the
  distribution's `annealing_step` computes them (the RBMs share one `W^T x`
  between the two densities and the sweep). Step `i` draws from
  `fold_in(seed, first_step + i)`, so results do not depend on the blocking.
  """
  dtype = distribution.dtype

  def body(i, state, log_weights):
    step_seed = tf.random.experimental.stateless_fold_in(seed, first_step + i)
    log_ratio, state = distribution.annealing_step(
        state, tf.cast(betas[i], dtype), tf.cast(betas[i + 1], dtype), step_seed, proposal)
    return i + 1, state, log_weights + log_ratio

  _, state, log_weights = tf.while_loop(
      lambda i, *_: i < num_steps, body,
      (tf.constant(0, tf.int32), state, log_weights))
  return state, log_weights


_annealing_block_xla = tf.function(_annealing_block, jit_compile=True, autograph=False)


def run_annealing(distribution, state, betas, seed, proposal=None,
                  reverse=False, block_size=DEFAULT_BLOCK_SIZE, progress=False):
  """Walks the annealing path from `state`, accumulating importance log-weights.

  #### Mathematical Details

  With `f_k` the unnormalized density of the chain variable at `beta_k` and
  `T_k` a Gibbs sweep leaving `f_k` invariant, forward annealing (AIS)
  starts from `x_0 ~ p_0` and returns

  ```none
  log w = sum_{k=1..K} [log f_k(x_{k-1}) - log f_{k-1}(x_{k-1})],   x_k ~ T_k(x_{k-1})
  ```

  with `E[w] = Z_K / Z_0`. Reverse annealing (RAISE) starts from
  `x_K = state` (data) and returns

  ```none
  log w = sum_{k=1..K} [log f_{k-1}(x_{k-1}) - log f_k(x_{k-1})],   x_{k-1} ~ T_k(x_k)
  ```

  so that `w f_K(x_K) / Z_0` (`Z_0` the normalizer of `f_0`) is an unbiased
  estimate of the density at `x_K` of the annealed model, the forward chain's
  marginal (the terms telescope from `p_0(x_0) prod_k f_k(x_k) / f_k(x_{k-1})`
  by detailed balance).

  Args:
    distribution: a base with `annealing_step` (one step's log-ratio and
      sweep), `annealed` and `chain_unnormalized_log_prob`: any
      `BoltzmannMachine`.
    state: chain states, `sample_shape + batch_shape + chain_event_shape`.
    betas: schedule from `annealing_schedule`, increasing from 0 to 1 (given
      in this order for `reverse=True` too).
    seed: stateless seed.
    proposal: the `beta = 0` machine's parameters (a dict), passed to
      `distribution.annealed`.
    reverse: anneal from `beta = 1` down to `beta = 0` (RAISE).
    block_size: temperatures per compiled block, a positive int; every block
      is padded to this length (the padding is not run) so that the loop
      compiles once per structure of `distribution`, whatever the number of
      temperatures.
    progress: show a tqdm progress bar over the temperatures.

  Returns:
    state: the final chain states.
    log_weights: float64 tensor `sample_shape + batch_shape`.

  Raises:
    TypeError, ValueError: naming `block_size`, `betas` or `proposal` when
      they are not as above.
  """
  block_size = check_block_size(block_size)
  betas = annealing_schedule(betas)
  num_steps = betas.size - 1
  if reverse:
    # RAISE's step k, `x ~ T_k(x)` then the weight at the new `x` for
    # `(beta_k, beta_{k-1})`, regrouped into the forward form (the weight at
    # `x`, then the sweep from the same `x`): the pairs `(beta_{k+1}, beta_k)`
    # for k = K..1 (the first, `(1, 1)`, weighs 0), then the last weight,
    # `(beta_1, beta_0)`, after the walk. Step i still sweeps at the same
    # temperature from the same seed.
    walk = np.concatenate([betas[-1:], betas[::-1][:-1]])
  else:
    walk = betas
  seed = tfp.random.sanitize_seed(seed, salt='run_annealing')
  state = tf.convert_to_tensor(state, dtype=distribution.dtype, name='state')
  if proposal is not None:
    # `annealed` checks the proposal (a dict of the machine's keys and shapes),
    # naming it, once here rather than inside the compiled loop.
    distribution.annealed(tf.constant(0., distribution.dtype), proposal)
    proposal = tf.nest.map_structure(
        lambda t: tf.convert_to_tensor(t, dtype=distribution.dtype), proposal)
  log_weights = tf.zeros(tf.shape(distribution.chain_unnormalized_log_prob(state)),
                         tf.float64)
  with tqdm.tqdm(total=num_steps, disable=not progress,
                 desc='RAISE' if reverse else 'AIS', unit='beta') as bar:
    for start in range(0, num_steps, block_size):
      steps = min(block_size, num_steps - start)
      block = np.full(block_size + 1, walk[start + steps])
      block[:steps + 1] = walk[start:start + steps + 1]
      state, log_weights = _annealing_block_xla(
          distribution, proposal, state, log_weights, tf.constant(block),
          tf.constant(steps, tf.int32), tf.constant(start, tf.int32), seed)
      bar.update(steps)
  if reverse:
    log_weights += _log_ratio(distribution, proposal, state, betas[1], betas[0])
  return state, log_weights
