"""Sample quality: Frechet distance, kernel inception distance, inception score.

The metrics compare a model's samples with data through a feature extractor
of the user's choice: FID and KID take feature arrays `[num_samples,
num_features]`, the inception score takes class probabilities
`[num_samples, num_classes]`. With InceptionV3's pool features they are the
published FID, KID and IS; with a small classifier trained once per dataset
they are comparable between models scored with that classifier, but not
with published Inception figures.

Everything runs in TensorFlow in float64 (so on a GPU where there is one);
the inputs may be NumPy arrays or tensors of any real dtype.

#### Mathematical Details

Features `a` (m x d) and `b` (n x d) with means `mu` and covariances `S`:

```none
FID = ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))
KID = mean_{i != j} k(a_i, a_j) + mean_{i != j} k(b_i, b_j) - 2 mean_{i, j} k(a_i, b_j),
      k(x, y) = (x.y / d + 1)^3                              (unbiased MMD^2)
IS  = exp(mean_x KL(p(y|x) || p(y))),   p(y) = mean_x p(y|x)   (1 <= IS <= K)
```

#### Examples

```python
fid = sample_quality.frechet_distance(data_features, sample_features)
kid = sample_quality.kernel_inception_distance(
    data_features, sample_features, num_subsets=100, subset_size=1000, seed=(0, 1))
score = sample_quality.inception_score(classifier_probabilities, num_splits=10)
print(fid, kid.mean, kid.stddev, score.mean, score.stddev)
```

#### References

[1]: Martin Heusel et al. GANs Trained by a Two Time-Scale Update Rule
     Converge to a Local Nash Equilibrium. NeurIPS 2017.
     https://arxiv.org/abs/1706.08500
[2]: Mikolaj Binkowski, Dougal J. Sutherland, Michael Arbel, Arthur Gretton.
     Demystifying MMD GANs. ICLR 2018. https://arxiv.org/abs/1801.01401
[3]: Tim Salimans et al. Improved Techniques for Training GANs. NeurIPS 2016.
     https://arxiv.org/abs/1606.03498
"""

import dataclasses

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

__all__ = [
    'SampleQualityEstimate',
    'frechet_distance',
    'frechet_distance_from_moments',
    'inception_score',
    'kernel_inception_distance',
]

# Binkowski et al.'s subset size; fewer when a feature set is smaller.
_DEFAULT_SUBSET_SIZE = 1000
# How far a row of class probabilities may sum from 1 (float32 softmax outputs pass).
_PROBABILITY_SUM_TOLERANCE = 1e-3


@dataclasses.dataclass(frozen=True)
class SampleQualityEstimate:
  """A metric averaged over splits of the samples, with its spread.

  Attributes:
    mean: the mean of `values`, a float64 scalar: the reported figure.
    stddev: the standard deviation of `values` (over the splits, not an
      error of the mean; 0 with one split), a float64 scalar.
    values: the metric on each split or subset, float64 `[num_splits]`.
  """
  mean: tf.Tensor
  stddev: tf.Tensor
  values: tf.Tensor


def frechet_distance(features_a, features_b):
  """The Frechet distance between Gaussians fitted to two feature sets (FID).

  #### Mathematical Details

  With the sample means `mu` and unbiased sample covariances `S` of the two
  sets (the squared Frechet distance, reported as FID by Heusel et al.):

  ```none
  FID = ||mu_a - mu_b||^2 + tr S_a + tr S_b - 2 tr (S_a S_b)^(1/2)
  ```

  `S_a S_b` is not symmetric; it has the eigenvalues of the symmetric PSD
  `S_a^(1/2) S_b S_a^(1/2)`, so `tr (S_a S_b)^(1/2)` is the sum of the square
  roots of those eigenvalues (`eigh` twice: once for `S_a^(1/2)`, once for
  the product), with the tiny negative eigenvalues of round-off clipped to
  0. Unlike a general `sqrtm` (SciPy's Schur method), this needs no complex
  arithmetic and no regularising offset on near-singular covariances.

  #### Examples

  ```python
  frechet_distance(features, features)   # ~0 (round-off)
  ```

  Args:
    features_a: `[num_samples_a, num_features]` array or tensor, finite.
    features_b: `[num_samples_b, num_features]` array or tensor, finite.

  Returns:
    A float64 scalar tensor; 0 up to round-off for two sets with equal moments.

  Raises:
    ValueError: if a set is not a matrix, the widths differ, a set has no
      more samples than features (its covariance is singular), or a value
      is not finite.
  """
  a = _feature_matrix(features_a, 'features_a')
  b = _feature_matrix(features_b, 'features_b')
  _check_same_width(a, b)
  for arg, features in (('features_a', a), ('features_b', b)):
    num_samples, num_features = features.shape
    if None not in (num_samples, num_features) and num_samples <= num_features:
      raise ValueError(
          f'Argument `{arg}` has {num_samples} samples of {num_features} features: FID needs '
          f'more samples than features, since the covariance of {num_samples} samples has '
          f'rank at most {num_samples - 1} and is singular.')
  mean_a, covariance_a = _moments(a)
  mean_b, covariance_b = _moments(b)
  return _frechet_distance(mean_a, covariance_a, mean_b, covariance_b)


def frechet_distance_from_moments(mean_a, covariance_a, mean_b, covariance_b):
  """The Frechet distance between two Gaussians given by their moments.

  As `frechet_distance`, from means and covariances computed elsewhere (a
  data set's statistics saved once, or exact moments).

  Args:
    mean_a: `[num_features]` mean of the first Gaussian.
    covariance_a: `[num_features, num_features]` symmetric PSD covariance.
    mean_b: `[num_features]` mean of the second Gaussian.
    covariance_b: `[num_features, num_features]` symmetric PSD covariance.

  Returns:
    A float64 scalar tensor.

  Raises:
    ValueError: if the shapes do not fit `[d]` and `[d, d]` with one `d`, or
      a value is not finite.
  """
  named = dict(mean_a=mean_a, covariance_a=covariance_a, mean_b=mean_b,
               covariance_b=covariance_b)
  tensors = {arg: tf.cast(tf.convert_to_tensor(value, name=arg), tf.float64)
             for arg, value in named.items()}
  width = tensors['mean_a'].shape[-1] if tensors['mean_a'].shape.rank else None
  for arg, tensor in tensors.items():
    expected = [width] if arg.startswith('mean') else [width, width]
    if not tensor.shape.is_compatible_with(expected):
      raise ValueError(f'Argument `{arg}` must have shape {expected} (`[d]` means, `[d, d]` '
                       f'covariances, one `d`); got shape {tensor.shape}.')
  assertions = [_require_finite(tensor, arg) for arg, tensor in tensors.items()]
  with tf.control_dependencies([op for op in assertions if op is not None]):
    return _frechet_distance(**{arg: tf.identity(tensor) for arg, tensor in tensors.items()})


def kernel_inception_distance(features_a, features_b, num_subsets=None, subset_size=None,
                              seed=None):
  """The unbiased MMD^2 between two feature sets with a cubic kernel (KID).

  #### Mathematical Details

  ```none
  KID = sum_{i != j} k(a_i, a_j) / (m (m - 1)) + sum_{i != j} k(b_i, b_j) / (n (n - 1))
        - 2 sum_{i, j} k(a_i, b_j) / (m n),          k(x, y) = (x.y / d + 1)^3
  ```

  An unbiased estimate of the squared maximum mean discrepancy: its mean is
  0 for two samples of one distribution, so a single estimate may be
  negative. With `num_subsets`, as Binkowski et al. report it, the estimate
  is made on `num_subsets` pairs of subsets of `subset_size` samples, each
  drawn without replacement from each set, and averaged; each costs
  `O(subset_size^2 d)` and the subsets are evaluated one at a time.

  Args:
    features_a: `[m, num_features]` array or tensor, finite, `m >= 2`.
    features_b: `[n, num_features]` array or tensor, finite, `n >= 2`.
    num_subsets: None to use the whole sets once (`values` has one entry,
      `stddev` is 0), or the number of subset pairs, an int >= 1.
    subset_size: samples per subset, an int in `[2, min(m, n)]`; only with
      `num_subsets`. Default `min(m, n, 1000)`.
    seed: stateless seed of the subsets; the same seed, the same subsets (an
      XLA-compiled call draws with another generator, so other subsets).

  Returns:
    A `SampleQualityEstimate`: the KID (`mean`), the standard deviation over
    the subsets and each subset's estimate.

  Raises:
    TypeError: if `num_subsets` or `subset_size` is not an integer.
    ValueError: if a set is not a matrix or has fewer than 2 samples, the
      widths differ, a value is not finite, `num_subsets < 1`, `subset_size`
      is out of range, or `subset_size` is given without `num_subsets`.
  """
  a = _feature_matrix(features_a, 'features_a')
  b = _feature_matrix(features_b, 'features_b')
  _check_same_width(a, b)
  for arg, features in (('features_a', a), ('features_b', b)):
    if features.shape[0] is not None and features.shape[0] < 2:
      raise ValueError(f'Argument `{arg}` must have at least 2 samples for the unbiased '
                       f'estimate; got {features.shape[0]}.')
  if num_subsets is None:
    if subset_size is not None:
      raise ValueError('Argument `subset_size` applies only with `num_subsets`; pass both, '
                       'or neither to use the whole sets.')
    values = _unbiased_mmd2(a, b)[tf.newaxis]
    return _estimate(values)
  num_subsets = validation.check_integer(num_subsets, 'num_subsets', minimum=1)
  sizes = [size for size in (a.shape[0], b.shape[0]) if size is not None]
  if subset_size is None:
    subset_size = min([_DEFAULT_SUBSET_SIZE, *sizes])
  subset_size = validation.check_integer(subset_size, 'subset_size', minimum=2,
                                         maximum=min(sizes) if sizes else None)
  seed_a, seed_b = tfp.random.split_seed(
      tfp.random.sanitize_seed(seed, salt='kernel_inception_distance'), n=2)
  subsets_a = _subsets(tf.shape(a)[0], num_subsets, subset_size, seed_a)
  subsets_b = _subsets(tf.shape(b)[0], num_subsets, subset_size, seed_b)
  values = tf.map_fn(
      lambda subsets: _unbiased_mmd2(tf.gather(a, subsets[0]), tf.gather(b, subsets[1])),
      (subsets_a, subsets_b), fn_output_signature=tf.float64)
  return _estimate(values)


def inception_score(class_probabilities, num_splits=1):
  """The inception score of a classifier's predictions on samples (IS).

  #### Mathematical Details

  On each of `num_splits` consecutive parts of the samples (as Salimans et
  al.'s code splits them), with `p(y) = mean_x p(y|x)` over the part,

  ```none
  IS = exp(mean_x KL(p(y|x) || p(y)))
  ```

  1 when every prediction is the same, `K` for confident predictions spread
  evenly over `K` classes.

  Args:
    class_probabilities: `[num_samples, num_classes]` array or tensor of
      probabilities (softmax outputs, not logits): non-negative, each row
      summing to 1 within 1e-3.
    num_splits: number of parts, an int in `[1, num_samples]`.

  Returns:
    A `SampleQualityEstimate`: the score averaged over the parts (`mean`),
    its standard deviation over the parts and each part's score.

  Raises:
    TypeError: if `num_splits` is not an integer.
    ValueError: if `class_probabilities` is not a matrix, holds a negative
      or non-finite value or a row that does not sum to 1, or `num_splits`
      is out of range.
  """
  arg = 'class_probabilities'
  probabilities = tf.cast(tf.convert_to_tensor(class_probabilities, name=arg), tf.float64)
  _check_matrix(probabilities, arg, 'num_samples, num_classes')
  num_samples = probabilities.shape[0]
  num_splits = validation.check_integer(num_splits, 'num_splits', minimum=1,
                                        maximum=num_samples)
  assertions = [
      _require_finite(probabilities, arg),
      _require(tf.reduce_all(probabilities >= 0.),
               f'Argument `{arg}` must be non-negative (probabilities, not logits).'),
      _require(tf.reduce_all(tf.abs(tf.reduce_sum(probabilities, axis=-1) - 1.)
                             <= _PROBABILITY_SUM_TOLERANCE),
               f'Argument `{arg}` must have rows that sum to 1 (within '
               f'{_PROBABILITY_SUM_TOLERANCE}): pass softmax probabilities, not logits.'),
  ]
  with tf.control_dependencies([op for op in assertions if op is not None]):
    probabilities = tf.identity(probabilities)
  num_rows = tf.shape(probabilities)[0]
  # Part j holds rows [j n // S, (j + 1) n // S).
  starts = tf.range(num_splits) * num_rows // num_splits
  parts = tf.searchsorted(starts, tf.range(num_rows), side='right') - 1
  marginals = tf.math.unsorted_segment_mean(probabilities, parts, num_splits)
  # xlogy gives 0 log 0 = 0 where a class has no mass in a part.
  divergences = tf.reduce_sum(
      tf.math.xlogy(probabilities, probabilities)
      - tf.math.xlogy(probabilities, tf.gather(marginals, parts)), axis=-1)
  return _estimate(tf.exp(tf.math.unsorted_segment_mean(divergences, parts, num_splits)))


def _frechet_distance(mean_a, covariance_a, mean_b, covariance_b):
  """`||mu_a - mu_b||^2 + tr S_a + tr S_b - 2 tr (S_a^(1/2) S_b S_a^(1/2))^(1/2)`."""
  eigenvalues_a, eigenvectors_a = tf.linalg.eigh(_symmetric(covariance_a))
  sqrt_a = tf.matmul(eigenvectors_a * tf.sqrt(tf.maximum(eigenvalues_a, 0.)),
                     eigenvectors_a, transpose_b=True)
  product = tf.linalg.eigvalsh(_symmetric(sqrt_a @ covariance_b @ sqrt_a))
  trace_sqrt_product = tf.reduce_sum(tf.sqrt(tf.maximum(product, 0.)))
  return (tf.reduce_sum(tf.square(mean_a - mean_b))
          + tf.linalg.trace(covariance_a) + tf.linalg.trace(covariance_b)
          - 2. * trace_sqrt_product)


def _symmetric(matrix):
  return (matrix + tf.linalg.matrix_transpose(matrix)) / 2.


def _moments(features):
  """The mean and the unbiased (`n - 1`) covariance of `[n, d]` features."""
  mean = tf.reduce_mean(features, axis=0)
  centered = features - mean
  num_samples = tf.cast(tf.shape(features)[0], tf.float64)
  return mean, tf.matmul(centered, centered, transpose_a=True) / (num_samples - 1.)


def _unbiased_mmd2(a, b):
  """Binkowski et al.'s unbiased MMD^2 with `k(x, y) = (x.y / d + 1)^3`."""
  width = tf.cast(tf.shape(a)[-1], tf.float64)

  def kernel(x, y):
    return (tf.matmul(x, y, transpose_b=True) / width + 1.) ** 3

  def mean_off_diagonal(gram):
    size = tf.cast(tf.shape(gram)[0], tf.float64)
    return (tf.reduce_sum(gram) - tf.linalg.trace(gram)) / (size * (size - 1.))

  return (mean_off_diagonal(kernel(a, a)) + mean_off_diagonal(kernel(b, b))
          - 2. * tf.reduce_mean(kernel(a, b)))


def _subsets(num_samples, num_subsets, subset_size, seed):
  """`[num_subsets, subset_size]` indices, each row drawn without replacement."""
  # float64 keys: ties, which would favour low indices, are then vanishingly rare.
  keys = noise.uniform([num_subsets, num_samples], seed, tf.float64)
  return tf.argsort(keys, axis=-1)[:, :subset_size]


def _estimate(values):
  return SampleQualityEstimate(mean=tf.reduce_mean(values), stddev=tf.math.reduce_std(values),
                               values=values)


def _feature_matrix(features, arg):
  """`features` as a finite float64 `[num_samples, num_features]` tensor."""
  tensor = tf.cast(tf.convert_to_tensor(features, name=arg), tf.float64)
  _check_matrix(tensor, arg, 'num_samples, num_features')
  assertion = _require_finite(tensor, arg)
  with tf.control_dependencies([assertion] if assertion is not None else []):
    return tf.identity(tensor)


def _check_matrix(tensor, arg, axes):
  if tensor.shape.rank is not None and tensor.shape.rank != 2:
    raise ValueError(f'Argument `{arg}` must have shape [{axes}]; got shape {tensor.shape}.')


def _check_same_width(a, b):
  width_a, width_b = a.shape[-1], b.shape[-1]
  if None not in (width_a, width_b) and width_a != width_b:
    raise ValueError(f'Arguments `features_a` and `features_b` must have the same number of '
                     f'features (last axis); got {width_a} and {width_b}.')


def _require_finite(tensor, arg):
  return _require(tf.reduce_all(tf.math.is_finite(tensor)),
                  f'Argument `{arg}` must be finite (found NaN or Inf).')


def _require(condition, message):
  """Raises `ValueError(message)` unless `condition`; in a graph, an assertion op.

  Eagerly the values are known, so a bad one raises at once; inside a
  `tf.function` the check runs with the graph (an `InvalidArgumentError`).
  """
  holds = tf.get_static_value(condition)
  if holds is None:
    return tf.debugging.assert_equal(condition, True, message=message)
  if not holds:
    raise ValueError(message)
  return None
