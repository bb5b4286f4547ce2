"""BaseLogNormalizer: the estimate while it holds, else exact enumeration, else NaN."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.keras import BaseLogNormalizer
from tfp_rbm.keras import build_base


def _rbm(**kwargs):
  return build_base({'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 4, 'weight_scale': 0.3,
                     **kwargs}, event_size=3, seed=1)


def test_estimate_else_exact_else_nan():
  rbm = _rbm()
  log_z = BaseLogNormalizer(rbm)
  exact = float(rbm.exact_log_normalizer())
  assert not log_z.has_estimate()
  np.testing.assert_allclose(log_z.log_normalizer(), exact, rtol=1e-6)
  assert np.isnan(log_z.log_normalizer(max_enumeration_bits=3))  # 4 hidden units
  log_z.assign(exact + 1.)
  assert log_z.has_estimate()
  assert float(log_z.log_normalizer(max_enumeration_bits=3)) == pytest.approx(exact + 1.)
  log_z.forget(where=tf.constant(False))
  assert log_z.has_estimate()
  log_z.forget()
  assert not log_z.has_estimate()
  log_z.assign_exact_if_missing()
  np.testing.assert_allclose(log_z.estimate.numpy(), exact, rtol=1e-6)
  assert [v.name for v in log_z.variables] == ['base_log_normalizer/estimate:0']


def test_normalized_base_needs_a_log_normalizer():
  rbm = _rbm(max_enumeration_bits=2)
  log_z = BaseLogNormalizer(rbm, estimate=None)
  z = tf.zeros([2, 3])
  with pytest.raises(ValueError, match='log Z'):
    log_z.normalized_base().log_prob(z)
  log_z.assign(2.)
  np.testing.assert_allclose(log_z.normalized_base().log_prob(z),
                             rbm.unnormalized_log_prob(z) - 2., rtol=1e-6)
  log_z.assign_exact_if_missing()  # Keeps the estimate; could not enumerate anyway.
  assert float(log_z.estimate.numpy()) == 2.
