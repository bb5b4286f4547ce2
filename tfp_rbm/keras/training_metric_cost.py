"""Whether `fit` can afford the exact `bits_per_dim`: log Z's cost against a step's.

An energy-based base's exact `bits_per_dim` needs its log Z, which costs a
sum over `2^n` states of the enumerated layer: far more than a training step
of a small machine (2^16 states of a 64x16 RBM take ~4 ms with XLA, a step
at batch 10 0.05-0.09 ms). `FlowModel.fit` enumerates it on a schedule, one step
in `interval`; this module estimates both costs, in multiply-adds, so that
with the automatic schedule the metric is computed in `fit` only where it
costs at most `SHARE` of the training time, and is otherwise left to
`evaluate` (and the validation pass).

    log_normalizer_cost = 2^n * ELEMENTWISE * width
    step_cost = 6 * batch * (flow + base parameters)
                + 4 * chains * sweeps * base parameters

(`width` the base's `enumerated_state_width` where it declares one, `2H + 1`
for a Gaussian-Bernoulli RBM's Gram form, else base parameters / n, the
other layer's units, one transcendental function each per state; a dense
layer's forward and backward pass; the Gibbs sweeps' two products).
`ELEMENTWISE` is measured: the 64x16 RBM's enumeration against its XLA
step on a 2-core AVX-512 CPU.

#### Examples

```python
interval = training_metric_cost.affordable_interval(
    base, batch_size=32, flow_parameters=0, num_chains=32, num_gibbs_steps=25)
# None: too costly for `fit`; else enumerate every `interval`-th step.
```
"""

import numpy as np

__all__ = ['DEFAULT_INTERVAL', 'ELEMENTWISE', 'SHARE', 'affordable_interval',
           'log_normalizer_cost', 'parameter_count', 'step_cost']

# Multiply-adds per unit and state of an enumeration (an exp and a product).
ELEMENTWISE = 20
# Steps between two enumerations of the automatic schedule.
DEFAULT_INTERVAL = 100
# The most of the training time the metric may take.
SHARE = 0.1


def parameter_count(module):
  """The number of trainable parameters of a `tf.Module` (0 for None)."""
  if module is None:
    return 0
  return int(sum(np.prod(v.shape.as_list()) for v in module.trainable_variables))


def log_normalizer_cost(base):
  """Multiply-adds of one exact log Z of `base` (enumerating `enumerated_layer_size`)."""
  bits = base.enumerated_layer_size
  width = base.enumerated_state_width
  if width is None:
    width = parameter_count(base) / max(bits, 1)
  return 2. ** bits * ELEMENTWISE * width


def step_cost(batch_size, flow_parameters, base_parameters, num_chains, num_gibbs_steps):
  """Multiply-adds of one training step: the loss's gradient and the chains' sweeps."""
  return (6. * batch_size * (flow_parameters + base_parameters)
          + 4. * num_chains * num_gibbs_steps * base_parameters)


def affordable_interval(base, batch_size, flow_parameters, num_chains, num_gibbs_steps):
  """`DEFAULT_INTERVAL` if enumerating then costs at most `SHARE` of training, else None."""
  budget = SHARE * DEFAULT_INTERVAL * step_cost(
      batch_size, flow_parameters, parameter_count(base), num_chains, num_gibbs_steps)
  return DEFAULT_INTERVAL if log_normalizer_cost(base) <= budget else None
