"""An eager sampling loop is XLA-compiled only where it repays the compile."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm import distributions as tfrd
from tfp_rbm.internal import compile_policy
from tfp_rbm.mcmc import block_gibbs


@pytest.mark.parametrize('jit_compile, units, steps, expected', [
    (True, 12, 1, True), (False, 10**6, 10**4, False),     # The caller's choice stands.
    ('auto', 12, 1000, False),                              # A one-off draw of a tiny machine.
    ('auto', 400_000, 25, True),                            # 25 sweeps of 400,000 units.
    ('auto', 10_000, 1000, True),
    ('auto', 12, tf.constant(5), True),                     # A count known only when running.
    ('auto', None, 10, True)])
def test_auto_compiles_long_loops_only(jit_compile, units, steps, expected):
  assert compile_policy.compiles_loop(jit_compile, units, steps) is expected


def _tiny_rbm():
  rng = np.random.default_rng(0)
  return tfrd.BernoulliRBM(rng.normal(size=[4, 3]), rng.normal(size=[4]), rng.normal(size=[3]))


def test_sample_of_a_tiny_machine_runs_the_graph_loop_and_run_gibbs_keeps_xla():
  rbm = _tiny_rbm()
  graph_traces = block_gibbs._gibbs_loop_graph.experimental_get_tracing_count()  # pylint: disable=protected-access
  xla_traces = block_gibbs._gibbs_loop_xla.experimental_get_tracing_count()  # pylint: disable=protected-access
  draws = rbm.sample(7, seed=(1, 2), num_steps=31).numpy()
  assert block_gibbs._gibbs_loop_graph.experimental_get_tracing_count() == graph_traces + 1  # pylint: disable=protected-access
  assert block_gibbs._gibbs_loop_xla.experimental_get_tracing_count() == xla_traces  # pylint: disable=protected-access
  assert draws.shape == (7, 4) and set(np.unique(draws)) <= {0., 1.}
  block_gibbs.run_gibbs(rbm, draws, 37, seed=(1, 3))  # The default: XLA, whatever the size.
  assert block_gibbs._gibbs_loop_xla.experimental_get_tracing_count() == xla_traces + 1  # pylint: disable=protected-access
