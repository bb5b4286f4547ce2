"""The shared helpers of the Boltzmann bases: normal noise and the spectral-norm bound."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import cases_smoothed

from tfp_rbm.internal import noise
from tfp_rbm.internal import spectral_bound


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
@pytest.mark.parametrize('jit_compile', [False, True])
def test_standard_normal_is_finite_symmetric_and_normal(dtype, jit_compile):
  draw = tf.function(lambda seed: noise.standard_normal([200000], seed, dtype),
                     jit_compile=jit_compile)
  z = draw(tf.constant([5, 6])).numpy()
  assert z.dtype == dtype.as_numpy_dtype and np.all(np.isfinite(z))
  n = z.size
  assert abs(z.mean()) < 5. / np.sqrt(n)
  assert abs(z.var() - 1.) < 5. * np.sqrt(2. / n)
  assert abs(stats.kurtosis(z)) < 5. * np.sqrt(24. / n)
  assert stats.kstest(z, 'norm').pvalue > 1e-4
  np.testing.assert_array_equal(draw(tf.constant([5, 6])).numpy(), z)
  # The extreme grid points of the uniform map to finite, opposite values.
  eps = np.finfo(dtype.as_numpy_dtype).eps
  u = tf.constant([0., 1. - eps], dtype)  # `u = k eps`, k < 1 / eps
  ends = noise.normal_from_uniform(u).numpy()
  assert np.all(np.isfinite(ends)) and ends[0] == -ends[1] and np.all(np.abs(z) <= ends[1])


@pytest.mark.parametrize('shape', [[3, 2], [2, 3], [4, 7, 5], [40, 64]])
def test_spectral_norm_bound_is_certified_and_tight(shape):
  w = np.random.default_rng(len(shape) + shape[-1]).normal(size=shape)
  exact = np.linalg.norm(w, ord=2, axis=(-2, -1))
  rank = min(shape[-2:])
  for num_squarings in (0, 2, spectral_bound.SPECTRAL_BOUND_SQUARINGS):
    bound = spectral_bound.spectral_norm_bound(tf.constant(w), num_squarings).numpy()
    np.testing.assert_allclose(
        bound, cases_smoothed.spectral_bound_reference(w, num_squarings), rtol=1e-10)
    assert np.all(bound >= exact * (1. - 1e-12))
    assert np.all(bound <= exact * rank ** (1. / 2 ** (num_squarings + 2)) * (1. + 1e-12))
  # Equal singular values are the worst case: the factor is attained.
  orthogonal = np.linalg.qr(np.random.default_rng(1).normal(size=[6, 6]))[0]
  np.testing.assert_allclose(spectral_bound.spectral_norm_bound(tf.constant(orthogonal), 1),
                             6. ** (1. / 8.), rtol=1e-12)


def test_spectral_norm_bound_compiles_and_scales_to_large_weights():
  w = tf.constant(np.random.default_rng(2).normal(size=[2, 30, 20]) * 1e15, tf.float32)
  compiled = tf.function(spectral_bound.spectral_norm_bound, jit_compile=True)(w).numpy()
  reference = cases_smoothed.spectral_bound_reference(w.numpy().astype(np.float64))
  np.testing.assert_allclose(compiled, reference, rtol=1e-4)
  zero = tf.Variable(tf.zeros([3, 4], tf.float64))
  with tf.GradientTape() as tape:
    bound = spectral_bound.spectral_norm_bound(zero)
  assert 0. < bound.numpy() < 1e-100
  np.testing.assert_array_equal(tape.gradient(bound, zero).numpy(), 0.)
