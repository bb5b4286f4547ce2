"""The shared energy math against its direct formulas."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.distributions import boltzmann_math


@pytest.mark.parametrize('size', [1, 64, 65, 200])
@pytest.mark.parametrize('dtype,atol', [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_sum_softplus_is_the_sum_of_softplus_terms_with_its_gradient(size, dtype, atol):
  """Groups of 64 factors and a padded last group; inputs from -60 to 60 (and 0)."""
  a = np.random.RandomState(size).randn(3, 5, size).astype(dtype) * 20.
  a[0, 0, 0], a[0, 1, 0], a[0, 2, 0] = 0., -60., 60.
  a = tf.constant(a)
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(a)
    fast = boltzmann_math.sum_softplus(a)
    direct = tf.reduce_sum(tf.math.softplus(a), axis=-1)
  assert fast.shape == [3, 5] and fast.dtype == dtype
  np.testing.assert_allclose(fast, direct, rtol=1e-6 if dtype == np.float32 else 1e-13,
                             atol=atol)
  np.testing.assert_allclose(tape.gradient(fast, a), tape.gradient(direct, a),
                             atol=1e-6 if dtype == np.float32 else 1e-14)
