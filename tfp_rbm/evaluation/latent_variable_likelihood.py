"""log p(x) of a model with binary latents: importance sampling from q, the prior's log Z by AIS.

A latent-variable model `p(x) = sum_z p(z) p(x | z)` with an approximate
posterior `q(z | x)` (e.g. `tfp_rbm.keras.RBMPriorVAE`) is evaluated by
importance sampling; when its prior is an RBM, `p(z) = exp(-F(z)) / Z`
needs log Z, from AIS, with RAISE as the conservative check (docs/math.md
§8 and §13, the paper's eq. 6).
"""

import dataclasses
from typing import Optional
import warnings

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.distributions import boltzmann_machine
from tfp_rbm.evaluation import annealing
from tfp_rbm.evaluation import log_normalizer_estimation
from tfp_rbm.evaluation import reverse_annealing
from tfp_rbm.internal import validation

__all__ = ['LatentVariableEvaluation', 'evaluate_latent_variable_model',
           'importance_sampled_log_prob']


def importance_sampled_log_prob(log_joint_fn, posterior, num_samples, seed=None):
  """`log (1/K) sum_k p(x, z_k) / q(z_k | x)`, `z_k ~ q`: a stochastic lower bound on `log p(x)`.

  #### Mathematical Details

  The average of the weights is unbiased for `p(x)`, so its log is low in
  expectation (Jensen) and converges to `log p(x)` as `K` grows (Burda et
  al. 2016). With an unnormalized joint `p*(x, z) = Z p(x, z)` the result
  is `log p(x) + log Z`: subtract an estimate of log Z.

  #### Examples

  ```python
  q = model.posterior(x)
  log_p = importance_sampled_log_prob(
      lambda z: model.prior.log_prob(z) + model.log_likelihood(x, z), q, 1000, seed=(0, 1))
  ```

  Args:
    log_joint_fn: `z -> log p(x, z)` for `z` of shape `[K] + batch_shape + [M]`,
      returning `[K] + batch_shape`.
    posterior: the proposal `q(z | x)`, batch shape `batch_shape`.
    num_samples: `K >= 1`.
    seed: stateless seed.

  Returns:
    The estimate, shape `batch_shape`.
  """
  num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
  z = posterior.sample(num_samples, seed=seed)
  log_weights = log_joint_fn(z) - posterior.log_prob(z)
  return (tf.reduce_logsumexp(log_weights, axis=0)
          - tf.math.log(tf.cast(num_samples, log_weights.dtype)))


@dataclasses.dataclass(frozen=True)
class LatentVariableEvaluation:
  """Test negative log-likelihood (nats per example) of a latent-variable model.

  Attributes:
    num_points: examples evaluated (`nll_raise`: the first `num_raise_points`).
    num_samples: importance samples `K` per example.
    nll_ais: `-log p(x)` with the importance-sampling estimate and AIS's log
      Z (tends to be optimistic: AIS tends to underestimate log Z); None for
      a prior with a normalized density.
    nll_raise: `-log p(x)` with RAISE's estimate of each `p(z_k)` in the
      weights (conservative); None where `nll_ais` is.
    nll_raise_points_ais: `nll_ais` over the same `num_raise_points` examples,
      to compare with `nll_raise`; None where `nll_ais` is.
    nll_exact_log_normalizer: `-log p(x)` with the exact log Z (or the prior's
      normalized density); None when log Z is not enumerable. Still an
      importance-sampling estimate over `z`.
    num_raise_points: examples RAISE ran on, 0 without RAISE.
    log_normalizer: AIS's `LogNormalizerEstimate` of the prior's log Z, or None.
  """
  num_points: int
  num_samples: int
  nll_ais: Optional[float]
  nll_raise: Optional[float]
  nll_raise_points_ais: Optional[float]
  nll_exact_log_normalizer: Optional[float]
  num_raise_points: int
  log_normalizer: Optional[log_normalizer_estimation.LogNormalizerEstimate]

  @property
  def raise_gap(self):
    """`nll_raise - nll_raise_points_ais` (nats), the width of the bracket; None without RAISE."""
    if self.nll_raise is None:
      return None
    return self.nll_raise - self.nll_raise_points_ais


def evaluate_latent_variable_model(model, x, num_samples=100, num_chains=100,
                                   num_chains_per_point=10, betas=1000, schedule='linear',
                                   proposal=None, num_raise_points=None, batch_size=100,
                                   seed=None, progress=False):
  """Test NLL of `p(x) = sum_z p(z) p(x | z)` by importance sampling from `q(z | x)`.

  #### Mathematical Details

  With `z_k ~ q(. | x)`, `k = 1..K`, and an RBM prior `p(z) = exp(-F(z)) / Z`
  (the paper's eq. 6):

  ```none
  AIS:   log p(x) ~ log (1/K) sum_k exp(-F(z_k)) p(x | z_k) / q(z_k | x) - log Z^_AIS
  RAISE: log p(x) ~ log (1/K) sum_k p^_RAISE(z_k) p(x | z_k) / q(z_k | x)
  exact: log p(x) ~ the AIS line with the enumerated log Z
  ```

  Each is a stochastic lower bound on its model's `log p(x)` for a fixed
  normalizer; AIS's `log Z^` tends to be low, which makes the first line
  tend high; RAISE's `p^(z_k)` is unbiased for the annealed model's `p(z_k)`,
  a slightly worse prior, so its line is conservative (low). Report both:
  the bracket holds when the annealing path is slow enough (check
  `log_normalizer.effective_sample_size`). A prior that is not energy-based
  (e.g. a factorial Bernoulli) has `log_prob` normalized: only the exact
  line is given.

  #### Examples

  ```python
  result = tfp_rbm.evaluation.evaluate_latent_variable_model(
      vae, x_test, num_samples=1000, betas=1000, num_raise_points=200, seed=(0, 1))
  result.nll_ais, result.nll_raise, result.raise_gap
  ```

  Args:
    model: offers `prior` (a distribution over `z in {0, 1}^M`),
      `posterior(x)` (`q(z | x)`, batch shape `[N]`) and
      `log_likelihood(x, z)` (`log p(x | z)` for `z` of shape
      `sample_shape + [N, M]`), as `tfp_rbm.keras.RBMPriorVAE` does.
    x: data, `[num_points, ...]` as `model.posterior` takes it.
    num_samples: importance samples `K` per example, at least 1.
    num_chains: AIS chains for log Z, at least 2.
    num_chains_per_point: RAISE chains per latent sample `z_k`, at least 1.
    betas: annealing steps or schedule, shared by AIS and RAISE.
    schedule: `'linear'` or `'sigmoid'` when `betas` is a number.
    proposal: the `beta = 0` machine's parameters for AIS and RAISE, e.g.
      `prior.fit_proposal(codes)`; default the prior's own.
    num_raise_points: RAISE runs on the first this many examples (it costs
      `K * num_chains_per_point` annealing chains per example); default all.
    batch_size: examples per importance-sampling batch.
    seed: stateless seed.
    progress: show progress bars.

  Returns:
    A `LatentVariableEvaluation`. A `RuntimeWarning` says when RAISE's NLL
    lies below AIS's by more than 3 standard errors (an inverted bracket).

  Raises:
    ValueError: naming the argument, for a bad count, an empty `x` or `betas`.
  """
  x = np.asarray(x)
  num_points = int(x.shape[0]) if x.ndim else 0
  if num_points == 0:
    raise ValueError('Argument `x` holds no examples: the evaluation needs at least one.')
  num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
  num_chains = validation.check_integer(num_chains, 'num_chains', minimum=2)
  num_chains_per_point = validation.check_integer(
      num_chains_per_point, 'num_chains_per_point', minimum=1)
  batch_size = validation.check_integer(batch_size, 'batch_size', minimum=1)
  num_raise_points = num_points if num_raise_points is None else min(
      validation.check_integer(num_raise_points, 'num_raise_points'), num_points)
  betas = annealing.annealing_schedule(betas, schedule)
  prior = model.prior
  energy_based = boltzmann_machine.is_energy_based(prior)
  sample_seed, ais_seed, raise_seed = tfp.random.split_seed(
      tfp.random.sanitize_seed(seed, salt='evaluate_latent_variable_model'), n=3)

  # Per example: log (1/K) sum_k w_k with the unnormalized prior (-F for an RBM).
  log_prior = prior.unnormalized_log_prob if energy_based else prior.log_prob
  log_mean_weights, raise_log_p = [], []
  for index, start in enumerate(range(0, num_points, batch_size)):
    batch = tf.convert_to_tensor(x[start:start + batch_size])
    posterior = model.posterior(batch)
    batch_seed = tf.random.experimental.stateless_fold_in(sample_seed, index)
    z = posterior.sample(num_samples, seed=batch_seed)
    log_likelihood = tf.cast(model.log_likelihood(batch, z), tf.float64)
    log_q = tf.cast(posterior.log_prob(z), tf.float64)
    log_weights = tf.cast(log_prior(z), tf.float64) + log_likelihood - log_q
    log_mean_weights.append(_log_mean_exp(log_weights).numpy())
    raise_count = min(num_raise_points - start, int(batch.shape[0]))
    if energy_based and raise_count > 0 and reverse_annealing.supports_raise(prior):
      log_p_z = tf.cast(reverse_annealing.raise_log_prob(
          prior, z[:, :raise_count], num_chains_per_point=num_chains_per_point, betas=betas,
          proposal=proposal, seed=tf.random.experimental.stateless_fold_in(raise_seed, index),
          progress=progress), tf.float64)
      raise_log_p.append(_log_mean_exp(
          log_p_z + log_likelihood[:, :raise_count] - log_q[:, :raise_count]).numpy())
  log_mean_weights = np.concatenate(log_mean_weights)

  if not energy_based:
    return LatentVariableEvaluation(
        num_points=num_points, num_samples=num_samples, nll_ais=None, nll_raise=None,
        nll_raise_points_ais=None, nll_exact_log_normalizer=-float(log_mean_weights.mean()),
        num_raise_points=0, log_normalizer=None)
  ais = log_normalizer_estimation.log_normalizer(
      prior, 'ais', num_chains=num_chains, betas=betas, proposal=proposal, seed=ais_seed,
      progress=progress)
  log_z = float(ais.log_normalizer)
  try:
    exact_log_z = float(prior.exact_log_normalizer())
  except ValueError:  # Too many states to enumerate.
    exact_log_z = None
  nll_raise = nll_raise_points_ais = None
  num_raised = 0
  if raise_log_p:
    raise_log_p = np.concatenate(raise_log_p)
    num_raised = raise_log_p.size
    nll_raise = -float(raise_log_p.mean())
    ais_log_p = log_mean_weights[:num_raised] - log_z
    nll_raise_points_ais = -float(ais_log_p.mean())
    _warn_if_bracket_inverted(ais_log_p - raise_log_p)
  return LatentVariableEvaluation(
      num_points=num_points, num_samples=num_samples,
      nll_ais=-float(log_mean_weights.mean()) + log_z, nll_raise=nll_raise,
      nll_raise_points_ais=nll_raise_points_ais,
      nll_exact_log_normalizer=(None if exact_log_z is None
                                else -float(log_mean_weights.mean()) + exact_log_z),
      num_raise_points=num_raised, log_normalizer=ais)


def _log_mean_exp(log_weights):
  """`log mean exp` over axis 0."""
  num = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
  return tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(num)


def _warn_if_bracket_inverted(ais_minus_raise):
  """Warns when RAISE's per-example log p lies above AIS's beyond 3 standard errors."""
  if ais_minus_raise.size < 2:
    return
  excess = -ais_minus_raise  # RAISE minus AIS, nats.
  mean, standard_error = excess.mean(), excess.std(ddof=1) / np.sqrt(excess.size)
  if mean > 3. * standard_error:
    warnings.warn(
        f'evaluate_latent_variable_model: RAISE lies above AIS by {mean:.3f} nats (3 '
        f'standard errors: {3. * standard_error:.3f}): the annealing path is too fast for '
        'the prior, and neither figure bounds the log-likelihood. Use more temperatures.',
        RuntimeWarning, stacklevel=3)
