"""Evaluation: exact log Z, AIS, RAISE, bits per dimension and sample quality.

`log_normalizer` estimates a base's log Z (exactly, or by annealed importance
sampling with tempered block-Gibbs transitions); `raise_log_prob` gives
conservative per-point log-likelihoods by reverse annealing; `evaluate_flow`
reports a flow's test bits/dim bracketed by the two, as EB-and-Flow's Table 1.
`frechet_distance`, `kernel_inception_distance` and `inception_score`
measure samples in the feature space of an extractor of the user's choice.
`importance_weighted_log_prob` bounds the probability of discrete pixels
under variational dequantization; `ClassifierFeatures` and
`InceptionV3Features` are the extractors, `score_samples` the three metrics.

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
from tfp_rbm.evaluation.feature_extractors import ClassifierFeatures
from tfp_rbm.evaluation.feature_extractors import default_cache_dir
from tfp_rbm.evaluation.feature_extractors import InceptionV3Features
from tfp_rbm.evaluation.feature_extractors import score_samples
from tfp_rbm.evaluation.flow_evaluation import bits_per_dim
from tfp_rbm.evaluation.flow_evaluation import evaluate_flow
from tfp_rbm.evaluation.flow_evaluation import FlowEvaluation
from tfp_rbm.evaluation.importance_weighted import importance_weighted_log_prob
from tfp_rbm.evaluation.importance_weighted import ImportanceWeightedEstimate
from tfp_rbm.evaluation.latent_variable_likelihood import evaluate_latent_variable_model
from tfp_rbm.evaluation.latent_variable_likelihood import importance_sampled_log_prob
from tfp_rbm.evaluation.latent_variable_likelihood import LatentVariableEvaluation
from tfp_rbm.evaluation.log_normalizer_estimation import log_normalizer
from tfp_rbm.evaluation.log_normalizer_estimation import LogNormalizerEstimate
from tfp_rbm.evaluation.reverse_annealing import raise_log_prob
from tfp_rbm.evaluation.sample_quality import frechet_distance
from tfp_rbm.evaluation.sample_quality import frechet_distance_from_moments
from tfp_rbm.evaluation.sample_quality import inception_score
from tfp_rbm.evaluation.sample_quality import kernel_inception_distance
from tfp_rbm.evaluation.sample_quality import SampleQualityEstimate

__all__ = [
    'ClassifierFeatures',
    'FlowEvaluation',
    'ImportanceWeightedEstimate',
    'InceptionV3Features',
    'LatentVariableEvaluation',
    'LogNormalizerEstimate',
    'SampleQualityEstimate',
    'annealing_schedule',
    'bits_per_dim',
    'default_cache_dir',
    'evaluate_flow',
    'evaluate_latent_variable_model',
    'frechet_distance',
    'frechet_distance_from_moments',
    'importance_weighted_log_prob',
    'importance_sampled_log_prob',
    'inception_score',
    'kernel_inception_distance',
    'linear_schedule',
    'log_normalizer',
    'raise_log_prob',
    'run_annealing',
    'score_samples',
    'sigmoid_schedule',
]
