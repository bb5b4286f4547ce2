"""The importance-weighted bound on the probability of discrete pixels (Flow++ §3.1)."""

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.evaluation import flow_evaluation
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

tfd = tfp.distributions

__all__ = ['ImportanceWeightedEstimate', 'importance_weighted_log_prob']


@dataclasses.dataclass(frozen=True)
class ImportanceWeightedEstimate:
  """Per-image bounds on `log P(x)` from `K` noise draws each, in nats.

  Attributes:
    log_prob: `[N]`, the importance-weighted bound `log (1/K) sum_k w_k`.
    variational_bound: `[N]`, the variational bound `(1/K) sum_k log w_k`
      from the same draws; never above `log_prob` (Jensen).
    num_samples: `K`.
    num_dims: `D`, values per image.
  """
  log_prob: tf.Tensor
  variational_bound: tf.Tensor
  num_samples: int
  num_dims: int

  @property
  def bits_per_dim(self):
    """`-mean(log_prob) / (D log 2)`: the importance-weighted bits/dim."""
    return float(flow_evaluation.bits_per_dim(
        tf.reduce_mean(self.log_prob), self.num_dims, num_bins=None))

  @property
  def variational_bits_per_dim(self):
    """`-mean(variational_bound) / (D log 2)`: what training reports, less noisy."""
    return float(flow_evaluation.bits_per_dim(
        tf.reduce_mean(self.variational_bound), self.num_dims, num_bins=None))


def importance_weighted_log_prob(model, pixels, num_samples=16, dequantizer=None,
                                 num_bins=None, batch_size=100, seed=None):
  """Importance-weighted lower bound on `log P(x)` of discrete pixels, per image.

  #### Mathematical Details

  With `p` the model's density on `[0, 1]^D`, noise `u_k ~ q(u | x)` and
  `B = num_bins` (docs/math.md §11):

  ```none
  log w_k = log p((x + u_k) / B) - D log B - log q(u_k | x)
  log P(x) >= log (1/K) sum_k w_k   >=   (1/K) sum_k log w_k
  ```

  The first bound is `log_prob`: it tightens as `K` grows and converges to
  `log P(x)` (for any `q` whose support is the cell). The second, from the
  same draws, is `variational_bound`: its mean over draws is the ELBO that
  `FlowModel.fit` reports as bits/dim. Uniform noise (`q = 1`,
  `log q = 0`) gives the bound of docs/math.md §6 for `K = 1`. TFP has no
  equivalent for dequantization (`tfp.vi`'s importance-weighted bounds are
  for a latent-variable model's `q(z | x)`).

  #### Examples

  ```python
  model = tfp_rbm.keras.FlowModel(..., dequantization='variational')
  model.fit(pixel_batches, epochs=10)
  estimate = tfp_rbm.evaluation.importance_weighted_log_prob(
      model, test_pixels, num_samples=64, seed=(0, 1))
  estimate.bits_per_dim, estimate.variational_bits_per_dim
  ```

  Args:
    model: a `tfd.Distribution` on `[0, 1]^D` (e.g. a
      `tfd.TransformedDistribution`), or an object holding one as
      `.distribution` (a `FlowModel`, whose `dequantizer` and `num_bins` are
      then the defaults below).
    pixels: `[N, ...]` array or tensor of pixel values, integers in
      `[0, num_bins)`, `D` values per image.
    num_samples: `K`, noise draws per image, an int >= 1.
    dequantizer: `q(u | x)`, a `tfp_rbm.dequantization.VariationalDequantizer`;
      default the model's own (`model.dequantizer`), else uniform noise.
    num_bins: `B`; default `model.num_bins`, else 256.
    batch_size: (image, draw) pairs per pass, at least one image's draws.
    seed: stateless seed of the noise.

  Returns:
    An `ImportanceWeightedEstimate`.

  Raises:
    TypeError: if `model` is not (and holds no) distribution, or a count is not
      an integer.
    ValueError: naming the argument, if `pixels` are not integers in
      `[0, num_bins)` or do not have the model's `D` values per image, a
      count is out of range, or the model's log-density is NaN (an
      energy-based base without a log Z estimate).
  """
  distribution = model if isinstance(model, tfd.Distribution) else getattr(
      model, 'distribution', None)
  if not isinstance(distribution, tfd.Distribution):
    raise TypeError('Argument `model` must be a tfd.Distribution on [0, 1]^D or hold one as '
                    f'`.distribution` (a FlowModel); got {type(model).__name__}.')
  if dequantizer is None:
    dequantizer = getattr(model, 'dequantizer', None)
  if num_bins is None:
    num_bins = getattr(model, 'num_bins', 256)
    if num_bins is None:
      raise ValueError('Argument `num_bins`: the model was built with num_bins=None (data '
                       'with no quantization); pass the number of pixel values.')
  num_bins = validation.check_integer(num_bins, 'num_bins', minimum=2)
  num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
  batch_size = validation.check_integer(batch_size, 'batch_size', minimum=1)
  event_shape = distribution.event_shape.as_list()
  num_dims = int(np.prod(event_shape))
  values = _checked_pixels(pixels, num_bins, num_dims)
  dtype = distribution.dtype
  offset = num_dims * np.log(num_bins)
  seed = tfp.random.sanitize_seed(seed, salt='importance_weighted_log_prob')

  def log_weights(batch, num_draws, draw_seed):
    """`[num_draws, n]` log weights of the `n` images of `batch`, in one pass."""
    if dequantizer is None:
      u = noise.uniform(tf.concat([[num_draws], tf.shape(batch)], 0), draw_seed, dtype)
      log_q = tf.zeros(tf.shape(u)[:2], dtype)
    else:
      u, log_q = dequantizer.distribution(batch).experimental_sample_and_log_prob(
          num_draws, seed=draw_seed)
    # The flows take one batch axis: draws and images flattened together.
    y = tf.reshape((batch + u) / num_bins, tf.concat([[-1], event_shape], 0))
    return tf.reshape(distribution.log_prob(y), tf.shape(log_q)) - offset - log_q

  compiled = tf.function(log_weights, autograph=False)
  log_probs, bounds = [], []
  for start in range(0, values.shape[0], batch_size):
    batch = tf.constant(values[start:start + batch_size], dtype)
    # About `batch_size` (image, draw) pairs per pass.
    draws_per_pass = max(1, batch_size // int(batch.shape[0]))
    draws = []
    for first in range(0, num_samples, draws_per_pass):
      draw_seed = tf.random.experimental.stateless_fold_in(
          tf.random.experimental.stateless_fold_in(seed, start), first)
      # The first pass runs eagerly: a base without log Z raises its own error there.
      run = log_weights if start == 0 and first == 0 else compiled
      draws.append(run(batch, min(draws_per_pass, num_samples - first), draw_seed))
    log_w = tf.concat(draws, axis=0)
    log_probs.append(tf.reduce_logsumexp(log_w, axis=0) - np.log(num_samples))
    bounds.append(tf.reduce_mean(log_w, axis=0))
  log_prob = tf.concat(log_probs, axis=0)
  if not bool(tf.reduce_all(tf.math.is_finite(log_prob))):
    raise ValueError(
        'Argument `model`: its log-density is not finite for some images (an energy-based '
        'base without a log Z estimate gives NaN: set one with `set_log_normalizer`).')
  return ImportanceWeightedEstimate(log_prob=log_prob, variational_bound=tf.concat(bounds, 0),
                                    num_samples=num_samples, num_dims=num_dims)


def _checked_pixels(pixels, num_bins, num_dims):
  """`pixels` as a float64 NumPy `[N, D]`, or a `ValueError` naming `pixels`."""
  values = np.asarray(pixels)
  if values.dtype.kind not in 'iuf' or values.ndim < 1 or values.size == 0:
    raise ValueError(f'Argument `pixels` must be a non-empty array of pixel values `[N, ...]`; '
                     f'got dtype {values.dtype} and shape {values.shape}.')
  values = values.reshape([values.shape[0], -1]).astype(np.float64)
  if values.shape[1] != num_dims:
    raise ValueError(f'Argument `pixels` must have {num_dims} values per image (the model\'s '
                     f'event size); got {values.shape[1]}.')
  bad = (values != np.round(values)) | (values < 0) | (values >= num_bins)
  if bad.any():
    raise ValueError(
        f'Argument `pixels` must hold pixel values, integers in [0, {num_bins}) (num_bins), '
        f'not dequantized or scaled data; got {values[bad][:3].tolist()}.')
  return values
