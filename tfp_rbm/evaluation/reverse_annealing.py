"""RAISE: conservative per-point log-likelihoods by reverse annealing from data."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.evaluation import annealing
from tfp_rbm.internal import validation

__all__ = ['raise_log_prob', 'supports_raise']


def supports_raise(distribution):
  """The declared capability RAISE needs: the base's chains run over its event (the RBMs)."""
  annealing.check_annealable(distribution)
  return distribution.chains_run_over_event


def raise_log_prob(distribution, x, num_chains_per_point=10, betas=1000,
                   schedule='linear', proposal=None, seed=None, progress=False,
                   block_size=annealing.DEFAULT_BLOCK_SIZE):
  """A stochastic lower bound on `log p(x)` by reverse annealing (RAISE).

  #### Mathematical Details

  AIS's forward chain `x_0 ~ p_0`, `x_k ~ T_k(x_{k-1})` defines a generative
  model, the annealed model `p_ann(x_K)`, close to the RBM when the schedule
  is fine. RAISE (Burda, Grosse & Salakhutdinov 2015) estimates its density
  at a data point by importance sampling with the reverse chain started at
  the data, `x_K = x`, `x_{k-1} ~ T_k(x_k)`. Each `T_k` is reversible with
  respect to `f_k`, so the importance weight telescopes to

  ```none
  log p^(x) = -F(x) - log Z_0
              + sum_{k=1..K} [log f_{k-1}(x_{k-1}) - log f_k(x_{k-1})]
  ```

  with `Z_0` the closed-form normalizer of the `beta = 0` machine. `p^(x)` is
  unbiased for `p_ann(x)`, so `logmeanexp` over `num_chains_per_point`
  reverse chains is a stochastic lower bound on `log p_ann(x)`; `p_ann` is
  itself a slightly worse model of the data than the RBM, which makes the
  estimate conservative (low) for `log p(x)`. AIS's `-F(x) - log Z^` errs
  the other way, so the two bracket the log-likelihood. That needs a path
  slow enough for the model: where the annealed chains reach the model's
  mass unevenly (a small AIS effective sample size), `p_ann` can put more
  mass near the data than the RBM and RAISE can exceed `log p(x)` on data,
  though never on average over the RBM's own samples.

  RAISE needs the chain to run over the data variable itself, as for the
  RBMs (`RestrictedBoltzmannMachine` subclasses, whose chains run over `v`).
  A base whose chains run over another variable (`SmoothedRBM`: spins, not
  the smoothed `z`) is rejected with a `TypeError`.

  #### Examples

  ```python
  ais = tfp_rbm.evaluation.log_normalizer(rbm, num_chains=100, betas=1000, seed=(0, 1))
  upper = rbm.with_log_normalizer(ais.log_normalizer).log_prob(v_test)
  lower = tfp_rbm.evaluation.raise_log_prob(rbm, v_test, betas=1000, seed=(0, 2))
  ```

  Args:
    distribution: a `RestrictedBoltzmannMachine` (binary or Gaussian-Bernoulli).
    x: points, `sample_shape + batch_shape + event_shape`.
    num_chains_per_point: reverse chains averaged for each point, at least 1.
    betas: number of annealing steps `K`, or an explicit non-decreasing
      schedule from 0 to 1 (see `annealing_schedule`).
    schedule: `'linear'` or `'sigmoid'` when `betas` is a number.
    proposal: the `beta = 0` machine's parameters, a dict from
      `distribution.fit_proposal(points)`; default the model's own.
    seed: stateless seed; the same seed gives the same estimate.
    progress: show a progress bar.
    block_size: temperatures per XLA-compiled block, a positive int.

  Returns:
    The estimate of `log p(x)`, shape `sample_shape + batch_shape`, in the
    distribution's dtype (accumulated in float64).

  Raises:
    TypeError: if the distribution's chains do not run over its data variable.
    ValueError: if `num_chains_per_point < 1`, `block_size < 1`, `betas` is
      bad, `x` does not fit the distribution's shapes, or `proposal` does not
      fit the machine.

  #### References

  [1] Burda, Y., Grosse, R., Salakhutdinov, R. Accurate and conservative
      estimates of MRF log-likelihood using reverse annealing. AISTATS 2015.
      https://arxiv.org/abs/1412.8566
  """
  if not supports_raise(distribution):
    raise TypeError(
        'RAISE starts its reverse chains at the data, so it needs the capability '
        '`chains_run_over_event` (a base whose Markov chain runs over the data '
        f'variable, e.g. a RestrictedBoltzmannMachine); {type(distribution).__name__} '
        'runs its chains over another variable.')
  x = distribution.flat_event(x, 'x')  # The reverse chains run over one vector.
  distribution = distribution.flat_form
  num_chains_per_point = validation.check_integer(
      num_chains_per_point, 'num_chains_per_point', minimum=1)
  betas = annealing.annealing_schedule(betas, schedule)
  block_size = annealing.check_block_size(block_size)
  dtype = distribution.dtype
  x = validation.convert_value(x, dtype, 'x')
  validation.check_event_value(x, dtype, tf.compat.dimension_value(
      distribution.event_shape[-1]), 'x', distribution.batch_shape)
  state = tf.broadcast_to(x, tf.concat([[num_chains_per_point], tf.shape(x)], 0))
  seed = tfp.random.sanitize_seed(seed, salt='raise_log_prob')
  _, log_weights = annealing.run_annealing(
      distribution, state, betas, seed, proposal=proposal, reverse=True,
      progress=progress, block_size=block_size)
  num = tf.cast(num_chains_per_point, tf.float64)
  log_mean_weight = tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(num)
  log_prob = (tf.cast(distribution.chain_unnormalized_log_prob(x), tf.float64)
              - tf.cast(distribution.proposal_log_normalizer(proposal), tf.float64)
              + log_mean_weight)
  return tf.cast(log_prob, dtype)
