"""The automatic schedule of `fit`'s exact `bits_per_dim`: on where it is cheap, else left out."""

import keras
import numpy as np
import tensorflow as tf

from tfp_rbm.distributions import BernoulliRBM
from tfp_rbm.keras import FlowModel
from tfp_rbm.keras import training_metric_cost


def _rbm(num_visible, num_hidden):
  return BernoulliRBM(tf.Variable(tf.zeros([num_visible, num_hidden])),
                      tf.Variable(tf.zeros([num_visible])), tf.Variable(tf.zeros([num_hidden])))


def test_log_z_of_a_bare_small_rbm_costs_too_much_beside_its_steps_but_not_beside_a_flow():
  big, small = _rbm(64, 16), _rbm(64, 4)
  assert training_metric_cost.parameter_count(big) == 64 * 16 + 64 + 16
  step = dict(batch_size=10, flow_parameters=0, num_chains=10, num_gibbs_steps=25)
  # 2^16 states against 100 steps of 10 examples and 10 chains: more than a tenth.
  assert training_metric_cost.affordable_interval(big, **step) is None
  assert training_metric_cost.affordable_interval(small, **step) == 100
  # Beside a flow's gradient (a million parameters) the same log Z is cheap.
  assert training_metric_cost.affordable_interval(
      big, **dict(step, flow_parameters=10 ** 6)) == 100
  # The estimate grows as 2^n: one more unit doubles it.
  assert (training_metric_cost.log_normalizer_cost(_rbm(64, 17))
          > 1.9 * training_metric_cost.log_normalizer_cost(big))


def test_fit_leaves_a_costly_bits_per_dim_to_validation_unless_scheduled():
  x = (np.random.default_rng(0).uniform(size=[40, 64]) < 0.3).astype('float32')
  histories = {}
  for interval in ('auto', 100):
    model = FlowModel(64, base={'kind': 'bernoulli_rbm', 'num_hidden': 16}, flow=None,
                      num_bins=None, training_bits_per_dim_interval=interval)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    histories[interval] = model.fit(x, batch_size=10, epochs=1, verbose=0,
                                    validation_data=(x[:10],)).history
  assert 'bits_per_dim' not in histories['auto']
  assert np.isfinite(histories['auto']['val_bits_per_dim']).all()
  assert np.isfinite(histories['auto']['unnormalized_bits_per_dim']).all()
  assert np.isfinite(histories[100]['bits_per_dim']).all()


def test_a_gaussian_bernoulli_rbm_prices_its_gram_form_log_z_by_its_hidden_layer():
  labelled = {'kind': 'labeled_gaussian_bernoulli_rbm', 'num_hidden': 16, 'num_classes': 10}
  model = FlowModel(784, base=labelled, flow=None, num_bins=None)
  base = model.base
  assert base.enumerated_state_width == 2 * 16 + 1 + 10
  assert (training_metric_cost.log_normalizer_cost(base)
          == 2 ** 16 * training_metric_cost.ELEMENTWISE * 43)
  # 2^16 * 43 values fit in 2^22: fit may enumerate all 16 units (784 would allow 12).
  assert model.training_enumeration_bits == 16
  plain = FlowModel(784, base={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 16}, flow=None,
                    num_bins=None)
  assert plain.base.enumerated_state_width == 33 and plain.training_enumeration_bits == 16
  # A machine without a declared width keeps the estimate from its parameters and D.
  bernoulli = FlowModel(784, base={'kind': 'bernoulli_rbm', 'num_hidden': 16}, flow=None,
                        num_bins=None)
  assert bernoulli.base.enumerated_state_width is None
  assert bernoulli.training_enumeration_bits == 12
  assert training_metric_cost.log_normalizer_cost(bernoulli.base) == (
      2 ** 16 * training_metric_cost.ELEMENTWISE
      * training_metric_cost.parameter_count(bernoulli.base) / 16)
  assert FlowModel(784, base=labelled, flow=None, num_bins=None,
                   training_enumeration_bits=3).training_enumeration_bits == 3
