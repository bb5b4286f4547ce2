"""Generic checks that every registered distribution must pass (see registry.py)."""

import collections

import numpy as np
import pytest
import tensorflow as tf

import registry
from tfp_rbm import distributions as tfrd

registry.load_all_cases()
CASES = sorted(registry.DISTRIBUTIONS)
DTYPES = [tf.float32, tf.float64]
SEED = (7, 11)
# Under validate_args a variable is read once for the assertions and once for
# the math; a third read means a helper re-reads what its caller holds.
MAX_READS_PER_VARIABLE = 2
NUM_MOMENT_SAMPLES = 10000
# Sweeps of a Gibbs sampler for the moments check: the registry's machines (2-6
# units a layer) mix in tens of sweeps; `sample`'s default of 1000 would make
# this the suite's costliest check.
MOMENT_GIBBS_STEPS = 200


def _case(name):
  return registry.DISTRIBUTIONS[name]


def _variables(dist):
  return dist.trainable_variables


@pytest.mark.parametrize('name', CASES)
@pytest.mark.parametrize('dtype', DTYPES)
def test_shapes_and_dtype(name, dtype):
  dist = _case(name).make(dtype)
  batch = dist.batch_shape.as_list()
  event = dist.event_shape.as_list()
  x = dist.sample([2, 3], seed=SEED)
  assert x.shape.as_list() == [2, 3] + batch + event
  assert x.dtype == dtype
  lp = dist.log_prob(x)
  assert lp.shape.as_list() == [2, 3] + batch
  assert lp.dtype == dtype
  assert dist.batch_shape_tensor().numpy().tolist() == batch
  assert dist.event_shape_tensor().numpy().tolist() == event
  assert np.all(np.isfinite(x.numpy())) and np.all(np.isfinite(lp.numpy()))


@pytest.mark.parametrize('name', CASES)
def test_batch_slicing_matches_log_prob(name):
  dist = _case(name).make(tf.float64)
  x = dist.sample(4, seed=SEED)
  full = dist.log_prob(x).numpy()
  for k in range(dist.batch_shape[0]):
    np.testing.assert_allclose(dist[k].log_prob(x[:, k]).numpy(), full[:, k], rtol=1e-10)


@pytest.mark.parametrize('name', CASES)
def test_stateless_seeds(name):
  dist = _case(name).make(tf.float64)
  a = dist.sample(5, seed=SEED).numpy()
  b = dist.sample(5, seed=SEED).numpy()
  c = dist.sample(5, seed=(SEED[0], SEED[1] + 1)).numpy()
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


@pytest.mark.parametrize('name', CASES)
@pytest.mark.parametrize('dtype', DTYPES)
def test_every_variable_gets_a_gradient(name, dtype):
  dist = _case(name).make(dtype)
  variables = _variables(dist)
  assert variables, f'{name} case must hold its parameters in tf.Variables'
  x = tf.stop_gradient(dist.sample(8, seed=SEED))
  with tf.GradientTape() as tape:
    loss = -tf.reduce_sum(dist.log_prob(x))
  grads = tape.gradient(loss, variables)
  for v, g in zip(variables, grads):
    assert g is not None, f'{v.name} receives no gradient'
    assert np.all(np.isfinite(g.numpy())), f'{v.name} has a non-finite gradient'
  if _case(name).reparameterized:
    with tf.GradientTape() as tape:
      total = tf.reduce_sum(dist.sample(8, seed=SEED))
    assert all(g is not None for g in tape.gradient(total, variables))


@pytest.mark.parametrize('name', CASES)
def test_trainable_variables_are_what_a_tape_watches(name):
  dist = _case(name).make(tf.float64)
  x = dist.sample(3, seed=SEED)
  with tf.GradientTape() as tape:
    dist.log_prob(x)
  watched = {v.ref() for v in tape.watched_variables()}
  assert watched == {v.ref() for v in dist.trainable_variables}


@pytest.mark.parametrize('name', CASES)
def test_checkpoint_restores_every_variable_into_a_fresh_object(name, tmp_path):
  written = _case(name).make(tf.float64)
  for v in written.variables:
    v.assign(v + tf.cast(0.25, v.dtype))
  path = tf.train.Checkpoint(distribution=written).write(str(tmp_path / 'ckpt'))
  fresh = _case(name).make(tf.float64)
  tf.train.Checkpoint(distribution=fresh).read(path).assert_consumed()
  assert len(fresh.variables) == len(written.variables)
  for a, b in zip(written.variables, fresh.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize('name', CASES)
def test_eager_graph_and_xla_agree(name):
  dist = _case(name).make(tf.float32)
  x = dist.sample(6, seed=SEED)
  eager = dist.log_prob(x)
  graph = tf.function(lambda d, v: d.log_prob(v))(dist, x)
  xla = tf.function(lambda d, v: d.log_prob(v), jit_compile=True)(dist, x)
  np.testing.assert_allclose(graph.numpy(), eager.numpy(), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(xla.numpy(), eager.numpy(), rtol=1e-5, atol=1e-5)
  xla_samples = tf.function(lambda d: d.sample(3, seed=SEED), jit_compile=True)(dist)
  assert xla_samples.shape.as_list() == [3] + x.shape.as_list()[1:]
  assert np.all(np.isfinite(xla_samples.numpy()))


@pytest.mark.parametrize('name', CASES)
def test_log_prob_matches_brute_force(name):
  case = _case(name)
  dist = case.make(tf.float64)
  x = dist.sample(5, seed=SEED)
  np.testing.assert_allclose(dist.log_prob(x).numpy(), case.log_prob_exact(dist, x.numpy()),
                             atol=1e-5, rtol=0)


@pytest.mark.parametrize('name', CASES)
def test_sample_moments_match_exact_moments(name):
  case = _case(name)
  dist = case.make(tf.float64)
  mean, cov = case.moments_exact(dist)
  sweeps = ({'num_steps': MOMENT_GIBBS_STEPS}
            if getattr(dist, 'default_gibbs_steps', 0) > MOMENT_GIBBS_STEPS else {})
  registry.assert_moments_within_monte_carlo_error(
      dist.sample(NUM_MOMENT_SAMPLES, seed=SEED, **sweeps).numpy(), mean, cov)


@pytest.mark.parametrize('name', CASES)
def test_log_prob_reads_each_variable_a_bounded_number_of_times(name):
  dist = _case(name).make(tf.float64)
  x = dist.sample(2, seed=SEED)
  graph = tf.function(dist.log_prob).get_concrete_function(
      tf.TensorSpec.from_tensor(x)).graph
  reads = collections.Counter(op.inputs[0].ref() for op in graph.get_operations()
                              if op.type == 'ReadVariableOp')
  captured = {id(external): internal for external, internal in graph.captures}
  for variable in _variables(dist):
    count = reads[captured[id(variable.handle)].ref()]
    assert 1 <= count <= MAX_READS_PER_VARIABLE, f'{variable.name} is read {count} times'


@pytest.mark.parametrize('name', CASES)
def test_value_of_wrong_event_size_or_dtype_is_named(name):
  dist = _case(name).make(tf.float32)
  x = dist.sample(2, seed=SEED)
  size = dist.event_shape[-1]
  for method in (dist.log_prob, dist.unnormalized_log_prob):
    with pytest.raises(ValueError, match=rf'`value` must have shape \[\.\.\., {size}\]'):
      method(x[..., 1:])
    with pytest.raises(TypeError, match='`value` has dtype float64'):
      method(tf.cast(x, tf.float64))


@pytest.mark.parametrize('name', CASES)
def test_default_event_space_bijector_maps_reals_into_the_support(name):
  dist = _case(name).make(tf.float64)
  bijector = dist.experimental_default_event_space_bijector()
  x = dist.sample(4, seed=SEED)
  if np.all(x.numpy() == np.round(x.numpy())):
    assert bijector is None  # Discrete support, as TFP's discrete distributions.
    return
  reals = 3. * tf.random.stateless_normal(x.shape, seed=SEED, dtype=tf.float64)
  assert np.all(np.isfinite(dist.log_prob(bijector.forward(reals)).numpy()))


def test_every_distribution_class_is_registered():
  classes = [getattr(tfrd, name) for name in tfrd.__all__
             if isinstance(getattr(tfrd, name), type)]
  abstract_parents = {parent for parent in classes
                      if any(c is not parent and issubclass(c, parent) for c in classes)}
  registered = {type(_case(name).make(tf.float32)) for name in CASES}
  missing = set(classes) - abstract_parents - registered
  assert not missing, f'not in the registry: {sorted(c.__name__ for c in missing)}'
