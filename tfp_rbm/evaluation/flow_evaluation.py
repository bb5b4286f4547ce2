"""Bits per dimension of 8-bit images, and the evaluation of a flow with an RBM base."""

import dataclasses
from typing import Optional
import warnings

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm import flow_density
from tfp_rbm.datasets import preprocessing
from tfp_rbm.evaluation import annealing
from tfp_rbm.evaluation import log_normalizer_estimation
from tfp_rbm.evaluation import reverse_annealing
from tfp_rbm.internal import validation

__all__ = ['FlowEvaluation', 'bits_per_dim', 'evaluate_flow']


def bits_per_dim(log_prob, num_dims, num_bins=256):
  """Bits per dimension of discrete data from a density on dequantized data.

  #### Mathematical Details

  With `x = (pixel + u) / num_bins`, `u ~ U[0, 1)^D`, and `log p(x)` a density
  on `[0, 1]^D` (any logit pre-processing's log-det included in it), the
  probability of the pixels is bounded below by `p(x) / num_bins^D` on
  average, so

  ```none
  bits/dim = (-log p(x) + D log(num_bins)) / (D log 2)
  ```

  #### Examples

  ```python
  bits_per_dim(0., num_dims=784)     # uniform density on [0, 1]^784: 8.0
  ```

  With `num_bins=None` the data are not quantized: the offset
  `D log(num_bins)` is left out and the figure is `-log p(x) / (D log 2)`.

  Args:
    log_prob: log-density (nats) of dequantized data in `[0, 1]^D`; a number,
      array or tensor.
    num_dims: `D`, the number of dimensions of one data point, an int >= 1.
    num_bins: number of discrete levels per dimension, an int >= 2 (256 for
      8 bits), or None for data with no quantization.

  Returns:
    Bits per dimension, same shape as `log_prob`.

  Raises:
    TypeError: if `num_dims` or `num_bins` is not an integer (or None).
    ValueError: if `num_dims < 1` or `num_bins < 2`.
  """
  num_dims = validation.check_integer(num_dims, 'num_dims', minimum=1)
  offset = 0. if num_bins is None else np.log(
      validation.check_integer(num_bins, 'num_bins', minimum=2))
  return (-log_prob + num_dims * offset) / (num_dims * np.log(2.))


@dataclasses.dataclass(frozen=True)
class FlowEvaluation:
  """Test-set bits/dim of a flow whose base has an intractable log Z.

  Attributes:
    num_images: images evaluated.
    num_dims: dimensions per image.
    bits_per_dim_ais: bits/dim with AIS's log Z. AIS tends to underestimate
      log Z, so this tends to be optimistic: a lower bound on bits/dim.
    bits_per_dim_raise: bits/dim with RAISE's per-image log p: conservative,
      an upper bound on bits/dim. None for a base whose chains do not run
      over its data variable (`SmoothedRBM`: spins), where RAISE does not
      apply.
    bits_per_dim_exact: bits/dim with the enumerated log Z, or None when the
      base is too large to enumerate.
    log_normalizer: AIS's `LogNormalizerEstimate` of the base's log Z.
  """
  num_images: int
  num_dims: int
  bits_per_dim_ais: float
  bits_per_dim_raise: Optional[float]
  bits_per_dim_exact: Optional[float]
  log_normalizer: log_normalizer_estimation.LogNormalizerEstimate

  @property
  def gap(self):
    """`bits_per_dim_raise - bits_per_dim_ais`, the width of the bracket (None without RAISE)."""
    if self.bits_per_dim_raise is None:
      return None
    return self.bits_per_dim_raise - self.bits_per_dim_ais


def evaluate_flow(model, dataset, num_chains=100, num_chains_per_point=10,
                  betas=1000, schedule='linear', proposal=None, batch_size=100,
                  seed=None, progress=False):
  """Bits/dim of a flow with an RBM base on 8-bit images, bracketed by AIS and RAISE.

  #### Mathematical Details

  The model is `p(x) = p_base(f^{-1}(x)) |det d f^{-1}(x) / dx|`, with
  `x = (pixel + u) / 256` the dequantized image (`tfp_rbm.datasets.dequantize`;
  one draw of `u` per image, shared by all three estimates). With
  `z = f^{-1}(x)`:

  ```none
  AIS:   log p(x) ~ -E(z) - log Z^_AIS + log|det|     (tends to be high)
  RAISE: log p(x) ~ log p^_RAISE(z) + log|det|         (tends to be low)
  exact: log p(x) =  -E(z) - log Z     + log|det|     (when enumerable)
  ```

  where `-E(z)` is `base.unnormalized_log_prob(z)`; RAISE runs its reverse
  chains from each image's `z`. The bracket holds when the annealing path is
  slow enough for the model: check `log_normalizer.effective_sample_size`
  (a handful of the AIS chains means more temperatures are needed). Each is averaged over the images and turned
  into bits/dim (`bits_per_dim`). RAISE needs chains over `z` itself: for a
  `SmoothedRBM` base (chains over spins) only AIS and, when enumerable, the
  exact figure are reported (`bits_per_dim_raise` is None).

  #### Examples

  ```python
  flow = tfd.TransformedDistribution(rbm, tfb.Chain([glow, preprocessing]))
  images = tfp_rbm.datasets.load('digits', split='test').batch(100)
  result = tfp_rbm.evaluation.evaluate_flow(flow, images, betas=1000, seed=(0, 1))
  result.bits_per_dim_ais, result.bits_per_dim_raise, result.gap
  ```

  Args:
    model: a `tfd.TransformedDistribution(base, bijector)` whose bijector
      maps dequantized pixels in `[0, 1]` to the base's variable by its
      `inverse`, or an object holding one as `.distribution` (a Keras
      `FlowModel`). The base must be a `BernoulliRBM`,
      `GaussianBernoulliRBM` or `SmoothedRBM`.
    dataset: 8-bit images (integer values in [0, 255], e.g. uint8), a batched
      `tf.data.Dataset` (elements `images` or `(images, labels)`) or an array
      `[N, ...]`; each image is reshaped to the model's event shape.
    num_chains: AIS chains for log Z, at least 2.
    num_chains_per_point: RAISE chains per image, at least 1.
    betas: annealing steps or schedule, shared by AIS and RAISE.
    schedule: `'linear'` or `'sigmoid'` when `betas` is a number.
    proposal: the `beta = 0` machine's parameters (a dict) for both
      estimates; default the base's own. `base.fit_proposal(z_train)`,
      fit to the latents of training images, usually needs far fewer
      temperatures.
    batch_size: images per RAISE batch when `dataset` is an array.
    seed: stateless seed.
    progress: show progress bars.

  Returns:
    A `FlowEvaluation`. A `RuntimeWarning` says when RAISE's figure lies
    above AIS's by more than 3 standard errors (an inverted bracket), and
    `log_normalizer` warns of a small AIS effective sample size.

  Raises:
    TypeError: if `model` is not (and does not hold) a distribution, or its
      base is not one of the Boltzmann-machine bases.
    ValueError: if the images are not integers in [0, 255] (e.g. already
      scaled to [0, 1]), `dataset` is empty, or a count or `betas` is bad.
  """
  flow = model if isinstance(model, tfp.distributions.Distribution) else getattr(
      model, 'distribution', None)
  if not isinstance(flow, tfp.distributions.Distribution):
    raise TypeError(
        'Argument `model` must be a tfd.TransformedDistribution(base, bijector) (or a '
        f'bare base) or hold one as `.distribution`; got {type(model).__name__}.')
  base, _ = flow_density.split_flow(flow)
  event_shape = flow.event_shape.as_list()
  num_dims = int(np.prod(event_shape))
  betas = annealing.annealing_schedule(betas, schedule)
  num_chains = validation.check_integer(num_chains, 'num_chains', minimum=2)
  num_chains_per_point = validation.check_integer(
      num_chains_per_point, 'num_chains_per_point', minimum=1)
  batch_size = validation.check_integer(batch_size, 'batch_size', minimum=1)
  ais_seed, raise_seed, noise_seed = tfp.random.split_seed(
      tfp.random.sanitize_seed(seed, salt='evaluate_flow'), n=3)

  annealing.check_annealable(base)
  with_raise = reverse_annealing.supports_raise(base)

  if isinstance(dataset, tf.data.Dataset):
    batches = dataset
  else:
    batches = tf.data.Dataset.from_tensor_slices(np.asarray(dataset)).batch(batch_size)
  num_images = 0
  sum_unnormalized = 0.
  sum_raise = 0.
  raise_log_normalizers = []  # -F(z) - RAISE's log p(z), per image: the log Z it implies.
  for index, batch in enumerate(batches):
    pixels = batch[0] if isinstance(batch, (tuple, list)) else batch
    _check_pixels(pixels)
    pixels = tf.reshape(tf.cast(pixels, tf.uint8), [-1] + event_shape)
    x = preprocessing.dequantize(
        pixels, seed=tf.random.experimental.stateless_fold_in(noise_seed, index),
        dtype=flow.dtype)
    z, base_log_prob, log_det = flow_density.log_prob_parts(flow, x)
    num_images += int(pixels.shape[0])
    sum_unnormalized += float(tf.reduce_sum(base_log_prob + log_det))
    if with_raise:
      log_p_raise = reverse_annealing.raise_log_prob(
          base, z, num_chains_per_point=num_chains_per_point, betas=betas,
          proposal=proposal, seed=tf.random.experimental.stateless_fold_in(raise_seed, index),
          progress=progress)
      sum_raise += float(tf.reduce_sum(log_p_raise + log_det))
      raise_log_normalizers.append((base_log_prob - log_p_raise).numpy())

  if num_images == 0:
    raise ValueError('Argument `dataset` holds no images: evaluate_flow needs at least one.')
  ais = log_normalizer_estimation.log_normalizer(
      base, 'ais', num_chains=num_chains, betas=betas, proposal=proposal,
      seed=ais_seed, progress=progress)
  try:
    exact_log_z = float(base.exact_log_normalizer())
  except ValueError:  # Too many states to enumerate.
    exact_log_z = None
  mean_unnormalized = sum_unnormalized / num_images
  to_bits = lambda log_p: float(bits_per_dim(log_p, num_dims))
  if with_raise:
    _warn_if_bracket_inverted(np.concatenate(raise_log_normalizers), ais, num_dims)
  return FlowEvaluation(
      num_images=num_images,
      num_dims=num_dims,
      bits_per_dim_ais=to_bits(mean_unnormalized - float(ais.log_normalizer)),
      bits_per_dim_raise=to_bits(sum_raise / num_images) if with_raise else None,
      bits_per_dim_exact=(None if exact_log_z is None
                          else to_bits(mean_unnormalized - exact_log_z)),
      log_normalizer=ais)


def _warn_if_bracket_inverted(raise_log_normalizers, ais, num_dims):
  """Warns when RAISE's log-likelihoods lie above AIS's beyond their Monte Carlo error.

  Per image, RAISE implies `log Z_i = -F(z_i) - log p^_RAISE(z_i)`; the
  bracket is inverted when these fall below AIS's `log Z^` on average by
  more than 3 standard errors of their mean. Then RAISE's annealed model
  scores the data better than the model does, and neither figure bounds
  the log-likelihood.

  Args:
    raise_log_normalizers: per-image `log Z_i` from RAISE, a NumPy array.
    ais: AIS's `LogNormalizerEstimate`.
    num_dims: dimensions per image, to report bits/dim.
  """
  excess = float(ais.log_normalizer) - raise_log_normalizers  # RAISE minus AIS log p, nats.
  if excess.size < 2:
    return
  mean, standard_error = excess.mean(), excess.std(ddof=1) / np.sqrt(excess.size)
  if mean > 3. * standard_error:
    to_bits = num_dims * np.log(2.)
    warnings.warn(
        f'evaluate_flow: RAISE lies above AIS by {mean / to_bits:.4f} bits/dim (3 standard '
        f'errors: {3. * standard_error / to_bits:.4f}): RAISE\'s annealed model scores the '
        'data better than the model, because the annealed chains reach the model\'s mass '
        f'unevenly (AIS: {float(tf.reduce_min(ais.effective_sample_size)):.1f} effective '
        f'chains of {int(ais.log_weights.shape[0])}), and neither figure bounds the '
        'log-likelihood. Use more temperatures; see docs/tutorials/likelihood_evaluation.md.',
        RuntimeWarning, stacklevel=3)


def _check_pixels(pixels):
  """Raises `ValueError` unless every pixel is an integer in [0, 255]."""
  values = tf.cast(pixels, tf.float64)
  if not bool(tf.reduce_all((values == tf.round(values)) & (values >= 0.) & (values <= 255.))):
    raise ValueError(
        'Argument `dataset` must hold 8-bit images, integer pixel values in [0, 255] '
        '(e.g. uint8), which evaluate_flow dequantizes itself; got values in '
        f'[{float(tf.reduce_min(values))}, {float(tf.reduce_max(values))}] that are not. '
        'Images already scaled to [0, 1] or dequantized are not accepted.')
