"""When an eagerly called Gibbs loop is worth compiling with XLA.

`run_gibbs` called eagerly runs its loop of sweeps as a `tf.function`,
XLA-compiled or as a plain graph. On a CPU (2 cores, TF 2.21)
compiling a small machine's loop takes 0.4-0.7 s and then saves about 20 us
per sweep plus 50 ns per chain unit per sweep over the graph loop, so XLA
pays from about `num_steps * (units + 400) = 1e7`: 1,000 sweeps of 10,000
units, or 25 of 400,000. `sample` decides so (`jit_compile='auto'`): a one-off
draw from a small machine (the common `sample` of a test or a notebook) then
costs 0.1 s instead of 0.5 s, and a long run is compiled as before. The
persistent chains and AIS keep XLA: they repeat one compiled loop.
"""

import numpy as np

__all__ = ['compiles_loop']

_MIN_SWEPT_UNITS = 1e7
_SWEEP_OVERHEAD_IN_UNITS = 400


def compiles_loop(jit_compile, num_units, num_steps):
  """Whether a loop of `num_steps` sweeps over `num_units` chain units runs under XLA.

  Args:
    jit_compile: True or False (the caller's choice, returned as is), or
      `'auto'`: XLA where it repays its compile by the estimate above.
    num_units: the chains' state size (all chains), or None if unknown.
    num_steps: a Python int, or a tensor (a count known only when running:
      assumed long).

  Returns:
    A Python bool.

  Raises:
    ValueError: if `jit_compile` is none of True, False, `'auto'`.
  """
  if isinstance(jit_compile, (bool, np.bool_)):
    return bool(jit_compile)
  if not isinstance(jit_compile, str) or jit_compile != 'auto':
    raise ValueError(f"Argument `jit_compile` must be True, False or 'auto'; got {jit_compile!r}.")
  if num_units is None or not isinstance(num_steps, (int, np.integer)):
    return True
  return num_steps * (num_units + _SWEEP_OVERHEAD_IN_UNITS) >= _MIN_SWEPT_UNITS
