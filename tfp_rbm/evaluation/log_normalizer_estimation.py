"""log Z of an energy-based base: exact enumeration or annealed importance sampling."""

import dataclasses
from typing import Optional
import warnings

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.evaluation import annealing
from tfp_rbm.internal import validation

__all__ = ['LogNormalizerEstimate', 'log_normalizer']

METHODS = ('exact', 'ais')
# Below this fraction of the chains, the effective sample size earns a warning.
MIN_EFFECTIVE_FRACTION = 0.05


@dataclasses.dataclass(frozen=True)
class LogNormalizerEstimate:
  """An estimate of a distribution's log Z with its spread.

  Attributes:
    log_normalizer: the estimate, shape `batch_shape`, in the distribution's
      dtype; `dist.with_log_normalizer(estimate.log_normalizer)` makes
      `log_prob` use it.
    lower: `log(mean(w) - 3 standard errors)` for AIS (`-inf` when the spread
      exceeds the mean), the value itself for `'exact'`.
    upper: `log(mean(w) + 3 standard errors)` for AIS, the value for `'exact'`.
    log_weights: AIS's float64 log importance weights, `[num_chains] +
      batch_shape`, already shifted by the base's log Z and mapped to the
      distribution's log Z, so that `logmeanexp(log_weights, 0)` is the
      estimate; None for `'exact'`.
    method: `'exact'` or `'ais'`.
  """
  log_normalizer: tf.Tensor
  lower: tf.Tensor
  upper: tf.Tensor
  log_weights: Optional[tf.Tensor]
  method: str

  @property
  def effective_sample_size(self):
    """`(sum w)^2 / sum w^2` over the AIS chains, `batch_shape`; None for `'exact'`.

    Near `num_chains` when the annealed chains reach the model's mass evenly;
    a handful when a few chains carry the estimate. Then the path from `p_0`
    is too fast for the model: log Z is unreliable (usually low) and RAISE,
    which estimates the annealed model's log-likelihood, need not be below
    the RBM's. More temperatures help.
    """
    if self.log_weights is None:
      return None
    return tf.exp(2. * tf.reduce_logsumexp(self.log_weights, axis=0)
                  - tf.reduce_logsumexp(2. * self.log_weights, axis=0))


def log_normalizer(distribution, method='ais', num_chains=100, betas=1000,
                   schedule='linear', proposal=None, seed=None, progress=False,
                   block_size=annealing.DEFAULT_BLOCK_SIZE):
  """log Z of a base distribution, exact or by annealed importance sampling.

  #### Mathematical Details

  `'exact'` enumerates the smaller binary layer (`distribution.
  exact_log_normalizer()`). `'ais'` anneals `num_chains` independent chains
  from `p_0 = distribution.annealed(0, proposal)`, whose log Z_0 is known in
  closed form, to the model through the schedule `betas`, with one
  block-Gibbs sweep per temperature (Neal 2001; Salakhutdinov & Murray 2008):

  ```none
  x_0 ~ p_0,   x_k ~ T_k(x_{k-1})
  log w   = sum_{k=1..K} [log f_k(x_{k-1}) - log f_{k-1}(x_{k-1})]
  log Z^  = log Z_0 + log mean_chains(w)
  spread  = log(mean(w) +- 3 std(w) / sqrt(num_chains)) + log Z_0
  ```

  `f_k` is the unnormalized density of the chain variable at `beta_k`
  (`-F(v)` for an RBM). `E[w] = Z / Z_0`, so `Z^` is unbiased but `log Z^`
  tends to underestimate log Z (Jensen's inequality): `-F(x) - log Z^`
  tends to overestimate log p(x). Pair it with `raise_log_prob`, which
  tends to underestimate log p(x). The chain variable's log Z is mapped to
  the distribution's by `distribution.log_normalizer_from_chain`. Weights
  accumulate in float64 whatever the model's dtype.

  #### Examples

  ```python
  estimate = tfp_rbm.evaluation.log_normalizer(
      rbm, method='ais', num_chains=100, betas=1000, seed=(0, 1))
  estimate.log_normalizer, (estimate.lower, estimate.upper)
  normalized = rbm.with_log_normalizer(estimate.log_normalizer)
  normalized.log_prob(v)
  ```

  Args:
    distribution: a base with an intractable log Z (`BernoulliRBM`,
      `GaussianBernoulliRBM`, `SmoothedRBM`, ...).
    method: `'exact'` or `'ais'`.
    num_chains: AIS chains run in parallel, at least 2.
    betas: number of annealing steps `K`, or an explicit non-decreasing
      schedule from 0 to 1 (see `annealing_schedule`).
    schedule: `'linear'` or `'sigmoid'` when `betas` is a number.
    proposal: the `beta = 0` machine's parameters, a dict from
      `distribution.fit_proposal(points)` (visible bias, and scale for
      the Gaussian-Bernoulli RBM; field for `SmoothedRBM`); default the
      model's own. A base fit to training data usually needs far fewer
      temperatures (Salakhutdinov & Murray 2008).
    seed: stateless seed; the same seed gives the same estimate.
    progress: show a progress bar (useful for long runs).
    block_size: temperatures per XLA-compiled block, a positive int.

  Returns:
    A `LogNormalizerEstimate`. A `RuntimeWarning` says when its
    `effective_sample_size` is under `MIN_EFFECTIVE_FRACTION` of the chains.

  Raises:
    TypeError: if `distribution` is not one of the Boltzmann-machine bases.
    ValueError: for an unknown `method`, a bad `betas`, `block_size < 1`,
      `num_chains < 2` (the spread needs two weights), or a `proposal` whose
      keys or shapes are not the machine's.

  #### References

  [1] Neal, R. M. Annealed importance sampling. 2001.
      https://arxiv.org/abs/physics/9803008
  [2] Salakhutdinov, R., Murray, I. On the quantitative analysis of deep
      belief networks. ICML 2008.
  """
  annealing.check_annealable(distribution)
  distribution = distribution.flat_form  # The chains run over one vector.
  if method == 'exact':
    value = distribution.exact_log_normalizer()
    return LogNormalizerEstimate(value, value, value, None, 'exact')
  if method != 'ais':
    raise ValueError(f'Argument `method` must be one of {METHODS}; got {method!r}.')
  num_chains = validation.check_integer(num_chains, 'num_chains', minimum=2)
  betas = annealing.annealing_schedule(betas, schedule)
  block_size = annealing.check_block_size(block_size)
  dtype = distribution.dtype
  init_seed, sample_seed, anneal_seed = tfp.random.split_seed(
      tfp.random.sanitize_seed(seed, salt='log_normalizer'), n=3)
  proposal_machine = distribution.annealed(tf.constant(0., dtype), proposal)
  # At beta = 0 the units are independent: one sweep from anywhere is exact.
  state = proposal_machine.gibbs_step(
      proposal_machine.initial_chain_state(num_chains, init_seed), sample_seed)
  _, log_weights = annealing.run_annealing(
      distribution, state, betas, anneal_seed, proposal=proposal,
      progress=progress, block_size=block_size)
  proposal_log_z = tf.cast(distribution.proposal_log_normalizer(proposal), tf.float64)
  chain_log_weights = log_weights + proposal_log_z
  log_z, lower, upper = _log_mean_and_spread(chain_log_weights)
  to_distribution = lambda t: distribution.log_normalizer_from_chain(tf.cast(t, dtype))
  shift = tf.cast(to_distribution(log_z), tf.float64) - log_z
  estimate = LogNormalizerEstimate(
      log_normalizer=to_distribution(log_z), lower=to_distribution(lower),
      upper=to_distribution(upper), log_weights=chain_log_weights + shift,
      method='ais')
  smallest = float(tf.reduce_min(estimate.effective_sample_size))
  if smallest < MIN_EFFECTIVE_FRACTION * num_chains:
    warnings.warn(
        f'AIS: {smallest:.1f} effective chains of {num_chains} ({len(betas) - 1} '
        'temperatures): a few chains carry the estimate, so log Z is unreliable (usually '
        'low) and RAISE need not bound log p(x) from below. Use more temperatures.',
        RuntimeWarning, stacklevel=2)
  return estimate


def _log_mean_and_spread(log_weights, num_standard_errors=3.):
  """`log mean(w)` and `log(mean(w) -+ k standard errors)` over axis 0."""
  num = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
  log_mean = tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(num)
  relative = tf.exp(log_weights - log_mean)  # w / mean(w)
  relative_std_error = (tf.math.reduce_std(relative, axis=0)
                        * tf.sqrt(num / tf.maximum(num - 1., 1.)) / tf.sqrt(num))
  spread = num_standard_errors * relative_std_error
  lower_ratio = 1. - spread
  lower = log_mean + tf.where(lower_ratio > 0.,
                              tf.math.log(tf.maximum(lower_ratio, np.finfo(np.float64).tiny)),
                              tf.constant(-np.inf, tf.float64))
  upper = log_mean + tf.math.log1p(spread)
  return log_mean, lower, upper
