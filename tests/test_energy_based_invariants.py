"""Checks every energy-based case of the registry must pass (the core's contract).

They run over every registered distribution built on the energy-based core
(`tfp_rbm.distributions.BoltzmannMachine`), so a new base gets them all:
the surrogate's gradient is the exact gradient of log Z, both ends of the
annealing path, AIS against exact log Z, `log_prob` refused without log Z,
the chains' stationary distribution, and the exact statistics (`mean`,
`variance`, `stddev`, `mode`, `entropy`, `tfd.kl_divergence`) against the
registry's brute force, or refused as the class declares
(`inexact_statistics`).
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import registry
from tfp_rbm import distributions as tfrd
from tfp_rbm import evaluation

registry.load_all_cases()
ENERGY_BASED = sorted(name for name, case in registry.DISTRIBUTIONS.items()
                      if tfrd.is_energy_based(case.make(tf.float64)))
ENUMERABLE = [name for name in ENERGY_BASED
              if registry.DISTRIBUTIONS[name].chain_states is not None]
SEED = (3, 5)


def _make(name):
  return registry.DISTRIBUTIONS[name].make(tf.float64)


def _chain_states_and_pmf(name, dist):
  """Every chain state, `[K] + batch + [D]`, and its exact probability, `[K] + batch`."""
  states = registry.DISTRIBUTIONS[name].chain_states(dist)
  states = np.broadcast_to(states[:, None, :],
                           (len(states),) + tuple(dist.batch_shape) + states.shape[-1:])
  log_weights = dist.chain_unnormalized_log_prob(states).numpy()
  return states, np.exp(log_weights - np.logaddexp.reduce(log_weights, axis=0))


def test_every_energy_based_class_is_in_the_energy_registry():
  classes = {type(_make(name)) for name in ENERGY_BASED}
  assert {tfrd.BernoulliRBM, tfrd.GaussianBernoulliRBM, tfrd.SpinRBM, tfrd.SmoothedRBM,
          tfrd.DiscreteMixture} <= classes
  assert set(ENERGY_BASED) - set(ENUMERABLE) == {
      name for name in ENERGY_BASED if isinstance(_make(name), tfrd.GaussianBernoulliRBM)}


@pytest.mark.parametrize('name', ENUMERABLE)
def test_surrogate_gradient_is_the_exact_log_normalizer_gradient(name):
  """`sum_k p_k grad surrogate(s_k)` over every chain state `s_k` is `grad log Z`.

  A flipped sign or a missing term of `log Z = g(log Z_s, theta)` changes
  the gradient by a multiple of `grad log Z`, which is checked to be large.
  """
  dist = _make(name)
  states, pmf = _chain_states_and_pmf(name, dist)
  variables = dist.trainable_variables
  with tf.GradientTape(persistent=True) as tape:
    expected = sum(tf.reduce_sum(p * dist.surrogate_log_normalizer(states[k:k + 1]))
                   for k, p in enumerate(pmf))
    log_z = tf.reduce_sum(dist.exact_log_normalizer())
  for v, surrogate, exact in zip(variables, tape.gradient(expected, variables),
                                 tape.gradient(log_z, variables)):
    np.testing.assert_allclose(surrogate.numpy(), exact.numpy(), atol=1e-10,
                               err_msg=v.name)
  assert max(np.max(np.abs(g.numpy())) for g in tape.gradient(log_z, variables)) > 1e-2


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_annealing_path_ends_at_the_proposal_and_the_model(name):
  dist = _make(name)
  proposal = dist.fit_proposal(dist.sample(20, seed=SEED, num_steps=5))
  x = dist.sample(4, seed=SEED, num_steps=5)
  chains = dist.initial_chain_state(4, seed=SEED)
  model_end = dist.annealed(1., proposal)
  np.testing.assert_allclose(model_end.unnormalized_log_prob(x).numpy(),
                             dist.unnormalized_log_prob(x).numpy(), rtol=1e-10, atol=1e-10)
  np.testing.assert_allclose(model_end.chain_unnormalized_log_prob(chains).numpy(),
                             dist.chain_unnormalized_log_prob(chains).numpy(), atol=1e-10)
  proposal_end = dist.annealed(0., proposal)
  np.testing.assert_allclose(
      proposal_end.exact_log_normalizer().numpy(),
      proposal_end.log_normalizer_from_chain(dist.proposal_log_normalizer(proposal)).numpy(),
      rtol=1e-10)


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_ais_matches_exact_log_normalizer(name):
  dist = _make(name)
  estimate = evaluation.log_normalizer(dist, 'ais', num_chains=200, betas=200, seed=SEED)
  np.testing.assert_allclose(estimate.log_normalizer.numpy(),
                             dist.exact_log_normalizer().numpy(), atol=0.05)


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_log_prob_without_log_normalizer_is_refused(name):
  dist = _make(name)
  x = dist.sample(3, seed=SEED, num_steps=5)
  if dist.log_normalizer_is_tractable:
    assert dist.enumerated_layer_size == 0
    assert np.all(np.isfinite(dist.log_prob(x).numpy()))
    return
  too_small = dist.copy(max_enumeration_bits=dist.enumerated_layer_size - 1)
  with pytest.raises(ValueError, match='needs log Z.*max_enumeration_bits'):
    too_small.log_prob(x)
  supplied = too_small.with_log_normalizer(dist.exact_log_normalizer())
  np.testing.assert_allclose(supplied.log_prob(x).numpy(), dist.log_prob(x).numpy(),
                             rtol=1e-12)
  np.testing.assert_allclose(supplied.log_normalizer_in_use().numpy(),
                             dist.exact_log_normalizer().numpy())


@pytest.mark.parametrize('name', ENUMERABLE)
def test_gibbs_step_leaves_the_chains_distribution_invariant(name):
  """Chains drawn from the exact chain distribution stay so after one sweep.

  Each state's frequency among 20,000 chains after the sweep is within 5
  binomial standard errors of its exact probability; a sweep that samples a
  layer from the wrong conditional moves some state by many.
  """
  dist = _make(name)
  states, pmf = _chain_states_and_pmf(name, dist)
  num_chains = 20000
  rng = np.random.default_rng(0)
  picks = np.stack([rng.choice(len(pmf), size=num_chains, p=pmf[:, b] / pmf[:, b].sum())
                    for b in range(pmf.shape[1])], axis=1)  # [n, batch]
  start = np.take_along_axis(states, picks[..., None], axis=0)
  after = dist.gibbs_step(tf.constant(start), seed=SEED).numpy()
  matches = np.all(after[None] == states[:, None], axis=-1)  # [K, n, batch]
  frequency = matches.mean(axis=1)
  standard_error = np.sqrt(pmf * (1. - pmf) / num_chains) + 1e-4
  np.testing.assert_array_less(np.abs(frequency - pmf), 5. * standard_error)
  assert matches.sum(axis=0).max() == 1  # every chain is in exactly one state


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_exact_moments_match_brute_force(name):
  """`mean`, `variance` and `stddev` equal the registry's brute-force moments."""
  case = registry.DISTRIBUTIONS[name]
  dist = _make(name)
  mean, cov = case.moments_exact(dist)
  variance = np.diagonal(cov, axis1=-2, axis2=-1)
  for statistic, expected in (('mean', mean), ('variance', variance),
                              ('stddev', np.sqrt(variance))):
    if statistic in dist.inexact_statistics:
      with pytest.raises(NotImplementedError, match=f'no exact `{statistic}`.*samples'):
        getattr(dist, statistic)()
      continue
    actual = getattr(dist, statistic)()
    assert actual.shape == dist.batch_shape + dist.event_shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-8, atol=1e-8,
                               err_msg=statistic)


def _event_states_and_log_pmf(name, dist):
  """Every point of a discrete event space, `[K] + batch + [D]`, and its brute-force log p."""
  case = registry.DISTRIBUTIONS[name]
  assert dist.chains_run_over_event and case.chain_states is not None, (
      f'{name}: an exact entropy, mode or KL needs a finite event space to check against')
  states = case.chain_states(dist)
  states = np.broadcast_to(states[:, None, :],
                           (len(states),) + tuple(dist.batch_shape) + states.shape[-1:])
  return states, case.log_prob_exact(dist, states)


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_exact_entropy_and_mode_match_enumeration(name):
  """`entropy = -sum_x p(x) log p(x)` and `mode = argmax_x p(x)` over every point."""
  dist = _make(name)
  for statistic in ('entropy', 'mode'):
    if statistic in dist.inexact_statistics:
      with pytest.raises(NotImplementedError, match=f'no exact `{statistic}`.*samples'):
        getattr(dist, statistic)()
  if 'entropy' not in dist.inexact_statistics:
    states, log_pmf = _event_states_and_log_pmf(name, dist)
    entropy = dist.entropy()
    assert entropy.shape == dist.batch_shape
    np.testing.assert_allclose(entropy.numpy(), -np.sum(np.exp(log_pmf) * log_pmf, axis=0),
                               rtol=1e-8, atol=1e-8)
  if 'mode' not in dist.inexact_statistics:
    states, log_pmf = _event_states_and_log_pmf(name, dist)
    expected = np.take_along_axis(states, np.argmax(log_pmf, axis=0)[None, :, None],
                                  axis=0)[0]
    np.testing.assert_array_equal(dist.mode().numpy(), expected)


def _perturbed(name):
  """Another machine of the case's class: each variable scaled by 1.2 and shifted by 0.1."""
  other = _make(name)
  for variable in other.trainable_variables:
    variable.assign(1.2 * variable + 0.1)
  return other


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_kl_divergence_matches_enumeration(name):
  """`tfd.kl_divergence(p, q) = sum_x p(x) (log p(x) - log q(x))`; zero from p to p."""
  p, q = _make(name), _perturbed(name)
  if 'kl_divergence' in p.inexact_statistics:
    with pytest.raises(NotImplementedError, match='no exact `kl_divergence`.*samples'):
      tfp.distributions.kl_divergence(p, q)
    return
  states, log_p = _event_states_and_log_pmf(name, p)
  log_q = registry.DISTRIBUTIONS[name].log_prob_exact(q, states)
  kl = tfp.distributions.kl_divergence(p, q)
  assert kl.shape == p.batch_shape
  np.testing.assert_allclose(kl.numpy(), np.sum(np.exp(log_p) * (log_p - log_q), axis=0),
                             rtol=1e-8, atol=1e-8)
  assert np.all(kl.numpy() > 1e-3)
  np.testing.assert_allclose(tfp.distributions.kl_divergence(p, p).numpy(), 0., atol=1e-12)


def test_kl_divergence_between_different_kinds_is_refused():
  with pytest.raises(NotImplementedError, match='same class.*BernoulliRBM.*SpinRBM'):
    tfp.distributions.kl_divergence(_make('BernoulliRBM'), _make('SpinRBM'))


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_exact_statistics_above_the_enumeration_limit_are_refused(name):
  """With `max_enumeration_bits=0` every enumerated statistic says how to estimate it."""
  dist = _make(name)
  if dist.enumerated_layer_size == 0:
    assert dist.log_normalizer_is_tractable
    return
  too_small = dist.copy(max_enumeration_bits=0)
  for statistic in ('mean', 'variance', 'stddev', 'mode', 'entropy'):
    if statistic not in dist.inexact_statistics:
      with pytest.raises(ValueError, match=f'`{statistic}`.*max_enumeration_bits.*samples'):
        getattr(too_small, statistic)()
  if 'kl_divergence' not in dist.inexact_statistics:
    with pytest.raises(ValueError, match='`kl_divergence`.*max_enumeration_bits.*samples'):
      tfp.distributions.kl_divergence(too_small, dist)


@pytest.mark.parametrize('name', ENERGY_BASED)
def test_exact_statistics_compile_under_xla(name):
  """`mean` and `variance` (and `entropy` where exact) agree eagerly and under XLA."""
  dist = _make(name)
  statistics = [s for s in ('mean', 'variance', 'entropy') if s not in dist.inexact_statistics]
  compiled = tf.function(lambda: [getattr(dist, s)() for s in statistics], jit_compile=True)()
  for statistic, value in zip(statistics, compiled):
    np.testing.assert_allclose(value.numpy(), getattr(dist, statistic)().numpy(), rtol=1e-10,
                               err_msg=statistic)
