"""Property-based checks of the bases and bits/dim over random shapes and values.

For every input Hypothesis draws, an entry point either refuses it with a
`ValueError` or `TypeError` whose message names an argument (in backquotes),
or returns a finite result: never NaN, never an internal exception. Valid
finite input to a base gives a finite `log_prob` and finite samples, whose
`log_prob` is finite too.
"""

import re

import hypothesis
from hypothesis import strategies as st
import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm import distributions as tfrd
from tfp_rbm import evaluation

SETTINGS = hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                               suppress_health_check=[hypothesis.HealthCheck.too_slow])
DTYPES = (np.float32, np.float64)
NAMED_ARGUMENT = r'[Aa]rguments? `\w+'


def _shapes(draw):
  """`(batch_shape, num_a, num_b)`: a small batch and two layer sizes."""
  batch_shape = draw(st.sampled_from([(), (2,), (1, 3)]))
  return batch_shape, draw(st.integers(1, 5)), draw(st.integers(1, 5))


@st.composite
def machines(draw, kind, fixed_shapes=False):
  """`(distribution, values)`: a valid base of `kind` and finite points of its support.

  With `fixed_shapes`, one shape per kind and dtype (each new shape compiles
  the Gibbs loop again).
  """
  dtype = draw(st.sampled_from(DTYPES))
  batch_shape, num_a, num_b = ((2,), 3, 2) if fixed_shapes else _shapes(draw)
  rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
  strength = draw(st.sampled_from([0., 0.1, 1., 4.]))
  normal = lambda *shape: (strength * rng.normal(size=[*batch_shape, *shape])).astype(dtype)
  if kind == 'DiscreteMixture':
    size = num_a + num_b
    delta = draw(st.floats(0.05, 20.))
    dist = tfrd.DiscreteMixture(normal(size), dtype(delta), validate_args=True)
  elif kind == 'SmoothedRBM':
    size = num_a + num_b
    weights, field = normal(num_a, num_b), normal(size)
    if draw(st.booleans()):
      smoothing = dict(margin=dtype(draw(st.floats(-200., 20.))))
    else:
      gap = draw(st.floats(0.05, 5.))
      norm = np.linalg.norm(weights.astype(np.float64), ord=2, axis=(-2, -1))
      smoothing = dict(delta=(norm + gap).astype(dtype))
    dist = tfrd.SmoothedRBM(weights, field, **smoothing, validate_args=True)
  else:
    size = num_a
    args = [normal(num_a, num_b), normal(num_a), normal(num_b)]
    if kind == 'GaussianBernoulliRBM':
      args.append(rng.uniform(draw(st.floats(0.1, 1.)), 3., [*batch_shape, num_a]).astype(dtype))
    dist = getattr(tfrd, kind)(*args, validate_args=True)
  value_shape = [2, *batch_shape, size]
  if kind == 'BernoulliRBM':
    values = (rng.random(value_shape) < 0.5).astype(dtype)
  elif kind == 'SpinRBM':
    values = np.where(rng.random(value_shape) < 0.5, -1., 1.).astype(dtype)
  else:
    values = rng.uniform(-10., 10., value_shape).astype(dtype)
  return dist, values


KINDS = ['BernoulliRBM', 'GaussianBernoulliRBM', 'SpinRBM', 'SmoothedRBM', 'DiscreteMixture']


def _assert_finite(tensor, what):
  array = np.asarray(tensor)
  assert np.all(np.isfinite(array)), f'{what} is not finite: {array}'


@pytest.mark.parametrize('kind', KINDS)
def test_log_prob_of_valid_input_is_finite(kind):

  @SETTINGS
  @hypothesis.given(machines(kind))
  def check(machine):
    dist, values = machine
    log_prob = dist.log_prob(values)
    assert log_prob.shape == values.shape[:-1]
    _assert_finite(log_prob, 'log_prob')

  check()


@pytest.mark.parametrize('kind', KINDS)
def test_samples_and_their_log_prob_are_finite(kind):

  @hypothesis.settings(SETTINGS, max_examples=10)
  @hypothesis.given(machines(kind, fixed_shapes=True))
  def check(machine):
    dist, _ = machine
    samples = dist.sample(3, seed=(1, 2), num_steps=2)
    assert samples.shape == [3] + dist.batch_shape + dist.event_shape
    _assert_finite(samples, 'samples')
    _assert_finite(dist.log_prob(samples), 'log_prob of samples')

  check()


def _named_or_finite(call):
  """Runs `call`: a `ValueError`/`TypeError` naming an argument passes, else a finite result."""
  try:
    result = call()
  except (ValueError, TypeError) as error:
    assert re.search(NAMED_ARGUMENT, str(error)), error
    hypothesis.event(f'refused with {type(error).__name__}')
    return None
  _assert_finite(result, 'result')
  hypothesis.event('finite result')
  return result


# Mostly the dtype and the size that fit, so that both outcomes are explored.
FITTING = None


@st.composite
def argument_dtypes(draw, num_arguments):
  """One float dtype for every argument, and at times another dtype for one of them."""
  dtypes = [draw(st.sampled_from(DTYPES))] * num_arguments
  odd_one = draw(st.sampled_from([FITTING] * num_arguments + list(range(num_arguments))))
  if odd_one is not FITTING:
    dtypes[odd_one] = draw(st.sampled_from(
        [np.float16, tf.bfloat16.as_numpy_dtype, np.int32, np.float32, np.float64]))
  return dtypes


SIZES = st.sampled_from([FITTING] * 12 + [0, 1, 2, 5])
BATCHES = st.sampled_from([()] * 12 + [(1,), (2,), (3,), (2, 2)])


@SETTINGS
@hypothesis.given(
    kind=st.sampled_from(['BernoulliRBM', 'GaussianBernoulliRBM', 'SpinRBM']),
    num_visible=st.integers(1, 4), num_hidden=st.integers(1, 4),
    sizes=st.lists(SIZES, min_size=4, max_size=4),
    batches=st.lists(BATCHES, min_size=5, max_size=5),
    dtypes=argument_dtypes(4))
def test_rbm_arguments_of_any_shape_and_dtype_are_named_or_work(
    kind, num_visible, num_hidden, sizes, batches, dtypes):
  """Shapes that disagree and unsupported dtypes are refused naming the argument."""
  fit = lambda size, fitting: fitting if size is FITTING else size
  shapes = [(*batches[0], num_visible, num_hidden),
            (*batches[1], fit(sizes[0], num_visible)),
            (*batches[2], fit(sizes[1], num_hidden)),
            (*batches[3], fit(sizes[2], num_visible))]
  arrays = [np.full(shape, 0.5).astype(dtype) for shape, dtype in zip(shapes, dtypes)]

  def call():
    dist = getattr(tfrd, kind)(*arrays[:4 if kind == 'GaussianBernoulliRBM' else 3])
    value = np.ones([*batches[4], fit(sizes[3], num_visible)], dist.dtype.as_numpy_dtype)
    return dist.log_prob(value)

  _named_or_finite(call)


@SETTINGS
@hypothesis.given(
    kind=st.sampled_from(['SmoothedRBM', 'DiscreteMixture']),
    num_a=st.integers(1, 3), num_b=st.integers(1, 3), field_size=SIZES,
    batches=st.lists(BATCHES, min_size=3, max_size=3),
    dtypes=argument_dtypes(3),
    smoothing=st.floats(-5., 50.), use_margin=st.booleans(), log_normalizer_batch=st.sampled_from(
        [None, (), (2,), (4,)]))
def test_smoothed_arguments_of_any_shape_and_dtype_are_named_or_work(
    kind, num_a, num_b, field_size, batches, dtypes, smoothing, use_margin,
    log_normalizer_batch):
  if field_size is FITTING:
    field_size = num_a + num_b
  weights = np.full([*batches[0], num_a, num_b], 0.3).astype(dtypes[0])
  field = np.full([*batches[1], field_size], 0.1).astype(dtypes[1])
  smoothing = np.full(batches[2], smoothing).astype(dtypes[2])

  def call():
    if kind == 'DiscreteMixture':
      dist = tfrd.DiscreteMixture(field, smoothing, validate_args=True)
    else:
      log_normalizer = (None if log_normalizer_batch is None
                        else np.zeros(log_normalizer_batch, dtypes[0]))
      key = 'margin' if use_margin else 'delta'
      dist = tfrd.SmoothedRBM(weights, field, **{key: smoothing},
                              log_normalizer=log_normalizer, validate_args=True)
    return dist.log_prob(np.zeros([field_size], dist.dtype.as_numpy_dtype))

  try:
    _named_or_finite(call)
  except tf.errors.InvalidArgumentError as error:  # A value check under `validate_args`.
    assert re.search(NAMED_ARGUMENT, error.message), error
    hypothesis.event('refused under validate_args')


@SETTINGS
@hypothesis.given(num_steps=st.one_of(
    st.integers(-3, 3), st.floats(-2., 2.), st.sampled_from(
        [np.int32(-1), np.int64(2), np.int64(-2), np.float32(1.), True, '2', None])),
    as_tensor=st.booleans())
def test_sample_num_steps_is_named_or_works(num_steps, as_tensor):
  dist = tfrd.SpinRBM(np.zeros([3, 2], np.float32), np.zeros(3, np.float32),
                      np.zeros(2, np.float32))
  if as_tensor and isinstance(num_steps, (int, float, np.number)):
    num_steps = tf.constant(num_steps)
  _named_or_finite(lambda: dist.sample(2, seed=(1, 2), num_steps=num_steps))


@SETTINGS
@hypothesis.given(
    log_prob=st.one_of(st.floats(-1e6, 1e6), st.lists(st.floats(-1e6, 1e6), max_size=3)),
    num_dims=st.one_of(st.integers(-3, 3000), st.sampled_from([np.int64(64), 2.5, '784'])),
    num_bins=st.one_of(st.none(), st.integers(-2, 512),
                       st.sampled_from([np.int32(256), 256., 'x'])))
def test_bits_per_dim_is_named_or_finite(log_prob, num_dims, num_bins):
  result = _named_or_finite(
      lambda: evaluation.bits_per_dim(np.asarray(log_prob, np.float64), num_dims, num_bins))
  if result is not None and num_bins is None:
    np.testing.assert_allclose(result, -np.asarray(log_prob) / (num_dims * np.log(2.)))
