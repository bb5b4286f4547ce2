"""Evaluation: exact log Z, AIS, RAISE, bits per dimension and sample quality.

`log_normalizer` estimates a base's log Z (exactly, or by annealed importance
sampling with tempered block-Gibbs transitions); `raise_log_prob` gives
conservative per-point log-likelihoods by reverse annealing; `evaluate_flow`
reports a flow's test bits/dim bracketed by the two, as EB-and-Flow's Table 1.
`frechet_distance`, `kernel_inception_distance` and `inception_score`
measure samples in the feature space of an extractor of the user's choice.

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
from tfp_rbm.evaluation.sample_quality import frechet_distance
from tfp_rbm.evaluation.sample_quality import frechet_distance_from_moments
from tfp_rbm.evaluation.sample_quality import inception_score
from tfp_rbm.evaluation.sample_quality import kernel_inception_distance
from tfp_rbm.evaluation.sample_quality import SampleQualityEstimate

__all__ = [
    'FlowEvaluation',
    'LogNormalizerEstimate',
    'SampleQualityEstimate',
    'annealing_schedule',
    'bits_per_dim',
    'evaluate_flow',
    'frechet_distance',
    'frechet_distance_from_moments',
    'inception_score',
    'kernel_inception_distance',
    'linear_schedule',
    'log_normalizer',
    'raise_log_prob',
    'run_annealing',
    'sigmoid_schedule',
]
