"""Likelihood evaluation: exact log Z, AIS, RAISE and bits per dimension.

`log_normalizer` estimates a base's log Z (exactly, or by annealed importance
sampling with tempered block-Gibbs transitions); `raise_log_prob` gives
conservative per-point log-likelihoods by reverse annealing; `evaluate_flow`
reports a flow's test bits/dim bracketed by the two, as EB-and-Flow's Table 1.

#### Examples

```python
estimate = tfp_rbm.evaluation.log_normalizer(rbm, method='ais', seed=(0, 1))
rbm = rbm.with_log_normalizer(estimate.log_normalizer)   # normalized log_prob
```
"""

from tfp_rbm.evaluation.annealing import annealing_schedule
from tfp_rbm.evaluation.annealing import linear_schedule
from tfp_rbm.evaluation.annealing import run_annealing
from tfp_rbm.evaluation.annealing import sigmoid_schedule
from tfp_rbm.evaluation.flow_evaluation import bits_per_dim
from tfp_rbm.evaluation.flow_evaluation import evaluate_flow
from tfp_rbm.evaluation.flow_evaluation import FlowEvaluation
from tfp_rbm.evaluation.log_normalizer_estimation import log_normalizer
from tfp_rbm.evaluation.log_normalizer_estimation import LogNormalizerEstimate
from tfp_rbm.evaluation.reverse_annealing import raise_log_prob

__all__ = [
    'FlowEvaluation',
    'LogNormalizerEstimate',
    'annealing_schedule',
    'bits_per_dim',
    'evaluate_flow',
    'linear_schedule',
    'log_normalizer',
    'raise_log_prob',
    'run_annealing',
    'sigmoid_schedule',
]
