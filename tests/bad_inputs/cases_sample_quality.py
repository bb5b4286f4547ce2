"""Bad inputs of the sample-quality metrics: FID, KID and the inception score."""

import numpy as np

from bad_input_registry import register_bad_input
from tfp_rbm import evaluation


def _features(num_samples=20, num_features=3, seed=0):
  return np.random.default_rng(seed).normal(size=[num_samples, num_features])


def _probabilities(num_samples=6, num_classes=3):
  return np.full([num_samples, num_classes], 1. / num_classes)


# -- feature sets --

@register_bad_input('evaluation/frechet_distance_different_widths', ValueError,
                    r'`features_a` and `features_b` must have the same number of features.*'
                    r'got 3 and 4')
def _fid_different_widths():
  evaluation.frechet_distance(_features(), _features(num_features=4))


@register_bad_input('evaluation/kid_different_widths', ValueError,
                    r'`features_a` and `features_b` must have the same number of features')
def _kid_different_widths():
  evaluation.kernel_inception_distance(_features(num_features=2), _features())


@register_bad_input('evaluation/frechet_distance_fewer_samples_than_features', ValueError,
                    r'`features_b` has 5 samples of 8 features: FID needs more samples than '
                    r'features.*singular')
def _fid_fewer_samples_than_features():
  evaluation.frechet_distance(_features(num_features=8), _features(5, 8))


@register_bad_input('evaluation/frechet_distance_not_a_matrix', ValueError,
                    r'`features_a` must have shape \[num_samples, num_features\]; got shape '
                    r'\(20,\)')
def _fid_not_a_matrix():
  evaluation.frechet_distance(_features()[:, 0], _features())


@register_bad_input('evaluation/frechet_distance_nan_features', ValueError,
                    r'`features_a` must be finite \(found NaN or Inf\)')
def _fid_nan_features():
  features = _features()
  features[3, 1] = np.nan
  evaluation.frechet_distance(features, _features(seed=1))


@register_bad_input('evaluation/kid_infinite_features', ValueError,
                    r'`features_b` must be finite \(found NaN or Inf\)')
def _kid_infinite_features():
  features = _features()
  features[0, 0] = np.inf
  evaluation.kernel_inception_distance(_features(seed=1), features)


@register_bad_input('evaluation/frechet_distance_from_moments_wrong_covariance', ValueError,
                    r'`covariance_b` must have shape \[3, 3\]')
def _fid_from_moments_wrong_covariance():
  evaluation.frechet_distance_from_moments(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))


@register_bad_input('evaluation/kid_one_sample', ValueError,
                    r'`features_a` must have at least 2 samples')
def _kid_one_sample():
  evaluation.kernel_inception_distance(_features(num_samples=1), _features())


# -- KID's subsets --

@register_bad_input('evaluation/kid_subset_size_one', ValueError,
                    r'`subset_size` must be in \[2, 20\]; got 1')
def _kid_subset_size_one():
  evaluation.kernel_inception_distance(_features(), _features(seed=1), num_subsets=4,
                                       subset_size=1, seed=(0, 1))


@register_bad_input('evaluation/kid_subset_size_above_samples', ValueError,
                    r'`subset_size` must be in \[2, 15\]; got 16')
def _kid_subset_size_above_samples():
  evaluation.kernel_inception_distance(_features(), _features(15), num_subsets=4,
                                       subset_size=16, seed=(0, 1))


@register_bad_input('evaluation/kid_zero_subsets', ValueError,
                    r'`num_subsets` must be at least 1; got 0')
def _kid_zero_subsets():
  evaluation.kernel_inception_distance(_features(), _features(seed=1), num_subsets=0)


@register_bad_input('evaluation/kid_subset_size_without_num_subsets', ValueError,
                    r'`subset_size` applies only with `num_subsets`')
def _kid_subset_size_without_num_subsets():
  evaluation.kernel_inception_distance(_features(), _features(seed=1), subset_size=10)


# -- class probabilities --

@register_bad_input('evaluation/inception_score_rows_not_summing_to_one', ValueError,
                    r'`class_probabilities` must have rows that sum to 1 \(within 0.001\)')
def _inception_score_rows_not_summing_to_one():
  probabilities = _probabilities()
  probabilities[2] *= 1.01
  evaluation.inception_score(probabilities)


@register_bad_input('evaluation/inception_score_logits', ValueError,
                    r'`class_probabilities` must be non-negative \(probabilities, not logits\)')
def _inception_score_logits():
  evaluation.inception_score(np.array([[2., -1.], [1.5, -0.5]]))


@register_bad_input('evaluation/inception_score_nan', ValueError,
                    r'`class_probabilities` must be finite')
def _inception_score_nan():
  probabilities = _probabilities()
  probabilities[0, 0] = np.nan
  evaluation.inception_score(probabilities)


@register_bad_input('evaluation/inception_score_zero_splits', ValueError,
                    r'`num_splits` must be in \[1, 6\]; got 0')
def _inception_score_zero_splits():
  evaluation.inception_score(_probabilities(), num_splits=0)


@register_bad_input('evaluation/inception_score_more_splits_than_samples', ValueError,
                    r'`num_splits` must be in \[1, 6\]; got 7')
def _inception_score_more_splits_than_samples():
  evaluation.inception_score(_probabilities(), num_splits=7)


@register_bad_input('evaluation/inception_score_float_splits', TypeError,
                    r'`num_splits` must be an integer; got 2.0')
def _inception_score_float_splits():
  evaluation.inception_score(_probabilities(), num_splits=2.)
