"""Training pieces: persistent chains, the surrogate gradient, finite updates."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import cases_distributions
import cases_smoothed
from tfp_rbm import distributions as tfrd
from tfp_rbm import training


def _rbm(dtype=tf.float32, **kwargs):
  rng = np.random.default_rng(0)
  return tfrd.BernoulliRBM(tf.Variable(rng.normal(size=[4, 3]), dtype=dtype),
                           tf.Variable(rng.normal(size=[4]), dtype=dtype),
                           tf.Variable(rng.normal(size=[3]), dtype=dtype), **kwargs)


def test_advance_writes_back_the_chains_it_returns():
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=50, num_gibbs_steps=3, seed=1)
  before = chains.states.numpy()
  out = chains.advance(rbm, 10).numpy()
  after = chains.states.numpy()
  changed = np.any(before != after, axis=-1)
  assert out.shape == (10, 4)
  assert changed.sum() <= 10
  for row in out:
    assert np.any(np.all(after == row, axis=-1))


def test_checkpoint_resumes_the_chains_exactly(tmp_path):
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=64, num_gibbs_steps=2, seed=3)
  chains.advance(rbm, 16)
  path = tf.train.Checkpoint(chains=chains).write(str(tmp_path / 'ckpt'))
  expected = chains.advance(rbm, 16).numpy()
  restored = training.PersistentChains(rbm, buffer_size=64, num_gibbs_steps=2, seed=99)
  tf.train.Checkpoint(chains=restored).read(path).assert_consumed()
  np.testing.assert_array_equal(restored.advance(rbm, 16).numpy(), expected)


def test_full_reset_gives_fresh_noise_chains():
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=2000, num_gibbs_steps=0,
                                     reset_fraction=1., seed=5)
  chains.states.assign(tf.ones_like(chains.states))
  out = chains.advance(rbm, 2000).numpy()
  np.testing.assert_allclose(out.mean(), 0.5, atol=0.03)


def test_bad_arguments_are_named():
  rbm = _rbm()
  with pytest.raises(ValueError, match='reset_fraction'):
    training.PersistentChains(rbm, buffer_size=10, reset_fraction=1.5)
  with pytest.raises(ValueError, match='buffer_size'):
    training.PersistentChains(rbm, buffer_size=0)
  chains = training.PersistentChains(rbm, buffer_size=10)
  with pytest.raises(ValueError, match='num_chains'):
    chains.advance(rbm, 11)


def test_flow_loss_needs_chains_past_enumeration_and_refuses_them_for_exact_bases():
  import tensorflow_probability as tfp
  x = tf.zeros([2, 4])
  with pytest.raises(ValueError, match='chain_samples'):
    training.flow_loss(_rbm(max_enumeration_bits=2), x)
  with pytest.raises(ValueError, match='chain_samples'):
    training.flow_loss(tfp.distributions.Normal(0., 1.), tf.zeros([2]), chain_samples=x)


def _smoothed(dtype=tf.float64):
  rng = np.random.default_rng(2)
  weights = rng.normal(0., 0.5, [2, 3])
  return tfrd.SmoothedRBM(tf.Variable(weights, dtype=dtype),
                          tf.Variable(rng.normal(0., 0.5, [5]), dtype=dtype),
                          delta=tf.Variable(np.linalg.norm(weights, 2) + 0.7, dtype=dtype))


def _gaussian_bernoulli(num_visible=3, num_hidden=2):
  rng = np.random.default_rng(4)
  return tfrd.GaussianBernoulliRBM(
      tf.Variable(rng.normal(0., 0.8, [num_visible, num_hidden])),
      tf.Variable(rng.normal(0., 1., [num_visible])),
      tf.Variable(rng.normal(0., 1., [num_hidden])),
      scale=tf.Variable(rng.uniform(0.6, 1.4, [num_visible])))


def _exact_chain_states_and_pmf(dist):
  """Every state of the chain variable (visible units; spins) and its exact pmf."""
  if isinstance(dist, tfrd.SmoothedRBM):
    states = cases_smoothed.all_spins(5)
  else:
    states = cases_distributions.all_binary_states(dist.num_visible)
  log_weights = dist.chain_unnormalized_log_prob(states).numpy()
  return states, np.exp(log_weights - np.logaddexp.reduce(log_weights))


@pytest.mark.parametrize('make', [_rbm, _smoothed], ids=['bernoulli', 'smoothed'])
def test_surrogate_gradients_equal_exact_nll_gradients_with_exact_samples(make):
  """E_chains[grad L] = grad NLL, the chains' expectation by enumeration.

  `sum_k p_k L(x, s_k)` is the surrogate loss averaged over exact samples `s_k`
  of the chain variable with their probabilities `p_k`; log Z of the NLL is
  enumerated and differentiated by autodiff. A wrong sign or scale of the
  negative phase changes the gradient by a multiple of `grad log Z`.
  """
  dist = make(tf.float64)
  states, pmf = _exact_chain_states_and_pmf(dist)
  data = dist.sample(30, seed=(1, 2), num_steps=50)
  variables = dist.trainable_variables
  with tf.GradientTape(persistent=True) as tape:
    nll = -tf.reduce_mean(dist.log_prob(data))
    expected_loss = sum(p * training.flow_loss(dist, data, chain_samples=states[k:k + 1])
                        for k, p in enumerate(pmf))
    log_z = dist.exact_log_normalizer()
  for exact, surrogate, log_z_grad in zip(tape.gradient(nll, variables),
                                          tape.gradient(expected_loss, variables),
                                          tape.gradient(log_z, variables)):
    np.testing.assert_allclose(surrogate.numpy(), exact.numpy(), atol=1e-10)
    assert np.max(np.abs(log_z_grad.numpy())) > 1e-2


def _exact_gaussian_bernoulli_samples(dist, num_samples, seed):
  """Ancestral samples: `h ~ p(h)` by enumeration (docs/math.md §2), then `v ~ N(b + s W h, s^2)`."""
  w, b, c, scale = (v.numpy() for v in (dist.weights, dist.visible_bias, dist.hidden_bias,
                                        dist.scale))
  hidden = cases_distributions.all_binary_states(dist.num_hidden)
  a = hidden @ w.T
  log_p_h = hidden @ c + (b * a / scale + 0.5 * a**2).sum(-1)
  log_z = np.logaddexp.reduce(log_p_h) + np.sum(np.log(np.sqrt(2. * np.pi) * scale))
  np.testing.assert_allclose(log_z, dist.exact_log_normalizer().numpy(), rtol=1e-12)
  rng = np.random.default_rng(seed)
  h = hidden[rng.choice(len(hidden), size=num_samples, p=np.exp(log_p_h - log_p_h.max())
                        / np.exp(log_p_h - log_p_h.max()).sum())]
  return b + scale * (h @ w.T) + scale * rng.normal(size=[num_samples, len(b)])


def test_gaussian_bernoulli_surrogate_gradient_is_nll_gradient_on_exact_samples():
  """grad L with exact model samples = grad NLL, within 5 Monte Carlo standard errors.

  The standard error comes from 20 batch means of the negative phase's gradient.
  """
  dist = _gaussian_bernoulli()
  samples = _exact_gaussian_bernoulli_samples(dist, 20000, seed=5)
  data = np.random.default_rng(6).normal(size=[40, 3])
  variables = dist.trainable_variables
  with tf.GradientTape(persistent=True) as tape:
    nll = -tf.reduce_mean(dist.log_prob(data))
    loss = training.flow_loss(dist, data, chain_samples=samples)
    log_z = dist.exact_log_normalizer()
    batch_means = [dist.surrogate_log_normalizer(batch) for batch in np.split(samples, 20)]
  batch_grads = [tape.gradient(m, variables) for m in batch_means]
  for i, (exact, surrogate, log_z_grad) in enumerate(zip(
      tape.gradient(nll, variables), tape.gradient(loss, variables),
      tape.gradient(log_z, variables))):
    spread = np.std([g[i].numpy() for g in batch_grads], axis=0, ddof=1)
    tolerance = 5. * spread / np.sqrt(len(batch_grads))
    np.testing.assert_array_less(np.abs(surrogate.numpy() - exact.numpy()), tolerance)
    # A flipped or missing negative phase would be off by |grad log Z| or more.
    assert np.max(np.abs(log_z_grad.numpy()) / tolerance) > 10.


@pytest.mark.parametrize('make', [_gaussian_bernoulli, _smoothed],
                         ids=['gaussian_bernoulli', 'smoothed'])
def test_flow_parameters_get_the_exact_nll_gradient(make):
  """log Z does not depend on the flow: its parameters get grad of F(f(x)) - log|det| exactly."""
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  tfb = tfp.bijectors
  base = make() if make is _gaussian_bernoulli else make(tf.float64)
  size = base.event_shape[0]
  rng = np.random.default_rng(7)
  flow = tfb.Chain([tfb.Shift(tf.Variable(rng.normal(size=[size]))),
                    tfb.Scale(tf.Variable(rng.uniform(0.5, 2., [size]))), tfb.Sinh()])
  model = tfp.distributions.TransformedDistribution(base, flow)
  x = rng.normal(size=[25, size])
  chain_samples = base.initial_chain_state(7, seed=(3, 3))
  with tf.GradientTape(persistent=True) as tape:
    nll = -tf.reduce_mean(model.log_prob(x))
    loss = training.flow_loss(model, x, chain_samples)
  flow_variables = flow.trainable_variables
  assert len(flow_variables) == 2
  for exact, surrogate in zip(tape.gradient(nll, flow_variables),
                              tape.gradient(loss, flow_variables)):
    np.testing.assert_allclose(surrogate.numpy(), exact.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('jit_compile', [False, True])
def test_apply_finite_update_applies_or_skips_and_counts(jit_compile):
  variable = tf.Variable([1., 2.])
  skipped = tf.Variable(0, dtype=tf.int64, trainable=False)
  optimizer = keras.optimizers.Adam(0.1)

  @tf.function(jit_compile=jit_compile)
  def step(scale):
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(scale * variable**2)
    grads = tape.gradient(loss, [variable])
    return training.apply_finite_update(optimizer, loss, grads, [variable], skipped)

  assert bool(step(tf.constant(1.)))
  state = [v.numpy().copy() for v in [variable] + list(optimizer.variables)]
  assert not np.allclose(state[0], [1., 2.])
  assert not bool(step(tf.constant(np.nan, tf.float32)))
  assert int(skipped.numpy()) == 1
  for v, before in zip([variable] + list(optimizer.variables), state):
    np.testing.assert_array_equal(v.numpy(), before)


def test_report_skipped_updates_warns_once_per_skip_and_validates_the_base():
  skipped = tf.Variable(2, dtype=tf.int64)
  with pytest.warns(RuntimeWarning, match='skipped 2 update.*at batch 4'):
    assert training.report_skipped_updates(skipped, 0, _rbm(), where='at batch 4') == 2
  assert training.report_skipped_updates(skipped, 2, _rbm()) == 2  # nothing new: no warning
  weights = tf.Variable(np.full([3, 3], 0.5))  # ||W||_2 = 1.5 > delta = 1
  base = tfrd.SmoothedRBM(weights, np.zeros(6), delta=tf.Variable(1., dtype=tf.float64))
  with pytest.raises(tf.errors.InvalidArgumentError, match='largest singular value'):
    training.report_skipped_updates(skipped, 1, base)


def test_advance_starts_from_the_stored_states():
  """With no sweep and no reset, `advance` returns the buffer rows it drew, unchanged.

  The rows are real numbers no fresh noise can reproduce, so chains restarted
  from noise at every step (instead of continued) fail here.
  """
  base = _gaussian_bernoulli()
  chains = training.PersistentChains(base, buffer_size=8, num_gibbs_steps=0,
                                     reset_fraction=0., seed=2)
  stored = np.arange(24.).reshape([8, 3]) / 7.
  chains.states.assign(stored)
  drawn = set()
  for _ in range(3):
    out = chains.advance(base, 5).numpy()
    rows = [np.flatnonzero(np.all(stored == row, axis=-1)) for row in out]
    assert all(len(r) == 1 for r in rows), out
    assert len({int(r[0]) for r in rows}) == 5  # Drawn without replacement.
    drawn.update(int(r[0]) for r in rows)
    np.testing.assert_array_equal(chains.states.numpy(), stored)
  assert len(drawn) > 5  # A new draw of rows at every step.


def _identity_sweep_rbm(num_units=6):
  """A binary RBM whose Gibbs sweep returns its state (up to probability 1e-8 per unit).

  `h = v` and then `v = h`: `W = 40 I`, biases -20, so each conditional is
  `sigmoid(+-20)`.
  """
  return tfrd.BernoulliRBM(40. * np.eye(num_units), np.full(num_units, -20.),
                           np.full(num_units, -20.))


def test_advance_continues_the_chains_over_several_steps():
  """Chains continued by an identity sweep keep the buffer's rows, step after step.

  16 distinct rows of 64 states: a restart from noise would match all 24
  returned rows with probability `(1/4)^24`.
  """
  base = _identity_sweep_rbm()
  chains = training.PersistentChains(base, buffer_size=16, num_gibbs_steps=3,
                                     reset_fraction=0., seed=4)
  stored = cases_distributions.all_binary_states(6)[::4]
  chains.states.assign(stored)
  for _ in range(3):
    out = chains.advance(base, 8).numpy()
    assert all(np.any(np.all(stored == row, axis=-1)) for row in out), out
    np.testing.assert_array_equal(chains.states.numpy(), stored)
  # The same base restarting every chain from noise leaves the buffer's rows.
  restarting = training.PersistentChains(base, buffer_size=16, num_gibbs_steps=3,
                                         reset_fraction=1., seed=4)
  restarting.states.assign(stored)
  out = restarting.advance(base, 16).numpy()
  assert not all(np.any(np.all(stored == row, axis=-1)) for row in out)


@pytest.mark.parametrize('num_chains', [np.int64(11), np.int32(11), tf.constant(11)],
                         ids=['int64', 'int32', 'tensor'])
def test_num_chains_above_the_buffer_is_refused_whatever_its_type(num_chains):
  rbm = _rbm()
  chains = training.PersistentChains(rbm, buffer_size=10)
  with pytest.raises(ValueError, match='`num_chains`=11 exceeds the buffer size 10'):
    chains.advance(rbm, num_chains)


@pytest.mark.parametrize('jit_compile', [False, True])
@pytest.mark.parametrize('two_variables', [False, True], ids=['one', 'two'])
def test_apply_finite_update_skips_a_finite_loss_with_a_partly_infinite_gradient(
    jit_compile, two_variables):
  """`sqrt(v0) + v1^2` at `v = [0, 2]`: loss 4, gradient `[inf, 4]`; nothing is applied.

  A guard checking that any (rather than every) entry, or any variable's
  gradient, is finite would apply the update.
  """
  if two_variables:
    variables = [tf.Variable(0.), tf.Variable(2.)]
    loss_fn = lambda: tf.sqrt(variables[0]) + variables[1]**2
  else:
    variables = [tf.Variable([0., 2.])]
    loss_fn = lambda: tf.sqrt(variables[0][0]) + variables[0][1]**2
  skipped = tf.Variable(0, dtype=tf.int64, trainable=False)
  optimizer = keras.optimizers.SGD(0.1)

  @tf.function(jit_compile=jit_compile)
  def step():
    with tf.GradientTape() as tape:
      loss = loss_fn()
    grads = tape.gradient(loss, variables)
    return loss, grads, training.apply_finite_update(optimizer, loss, grads, variables,
                                                     skipped)

  loss, grads, applied = step()
  assert float(loss) == 4.
  flat_grads = np.concatenate([np.ravel(g.numpy()) for g in grads])
  assert np.isinf(flat_grads[0]) and flat_grads[1] == 4.
  assert not bool(applied)
  assert int(skipped.numpy()) == 1
  np.testing.assert_array_equal(np.concatenate([np.ravel(v.numpy()) for v in variables]),
                                [0., 2.])
