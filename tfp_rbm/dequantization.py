"""Variational dequantization (Flow++): learned noise `q(u | x)` for discrete pixels.

A flow's density `p` lives on `[0, 1]^D`; 8-bit pixels `x` are discrete.
Uniform noise `u ~ U[0, 1)^D` turns `p((x + u) / B)` into a lower bound on
`log P(x)` (docs/math.md §6); a learned `q(u | x)` gives a tighter one
(§11). `VariationalDequantizer` is that `q`: a conditional flow from
`N(0, I)` to `(0, 1)^D` whose coupling networks also read the image.
TFP has no conditional flow of this kind (its `tfb.RealNVP` and
`tfb.MaskedAutoregressiveFlow` take a `conditional_input` only through
their own networks and masks); here the package's `MaskedCoupling` runs
on the pair `(eps, image)` with the image always on the conditioning side.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
# No public API: the bijector cache that keeps attributes of the inverse.
from tensorflow_probability.python.internal import cache_util

from tfp_rbm import bijectors
from tfp_rbm import networks
from tfp_rbm.bijectors import validation

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ['VariationalDequantizer']

# sigmoid(1.702 e) is within 0.01 of the normal CDF Phi(e): with identity
# couplings (the zero-initialised networks) q(u | x) starts close to uniform.
_LOGISTIC_TO_NORMAL = 1.702
# Each coupling scales by exp(s) with |s| < 3 (a soft clamp, as Glow's sigmoid scale).
_LOG_SCALE_BOUND = 3.


def _affine(output):
  """`Y = X exp(s) + t` from `[t, h] = output`, `s = 3 tanh(h / 3)`."""
  shift, pre_log_scale = tf.split(output, 2, axis=-1)
  log_scale = _LOG_SCALE_BOUND * tf.tanh(pre_log_scale / _LOG_SCALE_BOUND)
  return tfb.Chain([tfb.Shift(shift), tfb.Scale(log_scale=log_scale)])


class VariationalDequantizer(tf.Module):
  """The noise distribution `q(u | x)` of Flow++'s variational dequantization.

  #### Mathematical Details

  For pixels `x` in `{0, ..., B - 1}^D`, with `c = x / B - 1/2` the image the
  networks read:

  ```none
  eps ~ N(0, I_D)
  u   = sigmoid(1.702 g(eps; c))                      in (0, 1)^D
  log q(u | x) = log N(eps; 0, I) - log|det du/deps|
  log P(x) >= E_q[ log p((x + u) / B) - D log B - log q(u | x) ]
  ```

  `g` is `num_coupling_layers` affine couplings (RBM-Flow App. A replaces
  Flow++'s mixture-of-logistics here by an affine map): each keeps part of
  `eps` and the whole of `c`, and shifts and scales the rest of `eps` by
  `exp(s)`, `|s| < 3`, with `[shift, s]` from a network reading both. Each
  is a `MaskedCoupling` on the pair `(eps, c)` (stacked on the last axis)
  whose mask always conditions on `c`, so `c` passes through and the
  log-det counts `eps` only. Vectors alternate the parity of the kept
  elements (`MLP` networks); images `[H, W, C]` alternate a checkerboard
  (Glow's `ConvNet`). The networks start at zero: then `g` is the identity
  and `sigmoid(1.702 eps)` is within 0.01 of uniform noise.

  `distribution(pixels)` is `q(. | x)` as a `tfd.TransformedDistribution`
  with batch shape `pixels.shape[:-1]` and event `[D]`, so TFP's
  `sample`, `log_prob` and `experimental_sample_and_log_prob` (one pass
  of the networks) apply. Its variables are the networks' weights
  (`trainable_variables`, and `tf.train.Checkpoint` through the layers).

  #### Examples

  ```python
  dequantizer = tfp_rbm.dequantization.VariationalDequantizer([8, 8, 1])
  pixels = tf.reshape(images, [-1, 64])            # integers in [0, 256)
  u, log_q = dequantizer.distribution(pixels).experimental_sample_and_log_prob(
      seed=(0, 1))
  bound = flow.log_prob((pixels + u) / 256.) - 64 * np.log(256.) - log_q
  ```

  `tfp_rbm.keras.FlowModel(..., dequantization='variational')` trains one
  with the flow; `tfp_rbm.evaluation.importance_weighted_log_prob` gives the
  tighter importance-weighted bound. TFP has no equivalent: its conditional
  flows (`tfb.RealNVP`, `tfb.MaskedAutoregressiveFlow`) take a
  `conditional_input` only through their own networks.

  #### References

  [1]: Jonathan Ho, Xi Chen, Aravind Srinivas, Yan Duan, Pieter Abbeel.
       Flow++: Improving Flow-Based Generative Models with Variational
       Dequantization and Architecture Design. https://arxiv.org/abs/1902.00275
  [2]: Daniel O'Connor, Walter Vinci. RBM-Flow and D-Flow: Invertible Flows
       with Discrete Energy Base Spaces, 2021, App. A.
  """

  def __init__(self, event_shape, num_bins=256, num_coupling_layers=4, hidden_units=32,
               num_hidden_layers=2, seed=0, dtype='float32', validate_args=False,
               name='variational_dequantizer'):
    """Builds the couplings and their networks.

    Args:
      event_shape: `[D]` for vectors or `[H, W, C]` for images; the data are
        flat `[..., D]` either way (C order).
      num_bins: `B`, pixel values are integers in `[0, B)`.
      num_coupling_layers: number of affine couplings, at least 1.
      hidden_units: width of each network (dense units or channels).
      num_hidden_layers: hidden layers of each `MLP` (vectors only).
      seed: int seed of the networks' initial weights.
      dtype: `'float32'` or `'float64'`.
      validate_args: passed to every bijector (finite inputs).
      name: name of the module.

    Raises:
      ValueError: naming the argument, if `event_shape` is neither `[D]` nor
        `[H, W, C]` of positive sizes, or a count is out of range.
      TypeError: if `dtype` is not float32 or float64.
    """
    super().__init__(name=name)
    owner = 'VariationalDequantizer'
    self._dtype = validation.supported_dtype(dtype, 'dtype', owner)
    shape = [int(s) for s in np.atleast_1d(event_shape)] if np.ndim(event_shape) <= 1 else None
    if shape is None or len(shape) not in (1, 3) or min(shape) < 1:
      raise ValueError(f'Argument `event_shape` of {owner} must be [D] or [H, W, C] of '
                       f'positive sizes; got {event_shape!r}.')
    self._event_shape = shape
    self._num_bins = validation.check_positive_int(num_bins, 'num_bins', owner, minimum=2)
    num_coupling_layers = validation.check_positive_int(
        num_coupling_layers, 'num_coupling_layers', owner)
    hidden_units = validation.check_positive_int(hidden_units, 'hidden_units', owner)
    num_hidden_layers = validation.check_positive_int(
        num_hidden_layers, 'num_hidden_layers', owner, minimum=0)
    self._validate_args = validate_args
    seeds = np.random.SeedSequence(seed).generate_state(num_coupling_layers) % (2**31)
    couplings = []
    for layer, layer_seed in enumerate(seeds):
      mask = self._pair_mask(layer % 2)
      if len(shape) == 1:
        net = networks.MLP(output_units=2 * int((~mask).sum()), hidden_units=hidden_units,
                           num_hidden_layers=num_hidden_layers, zero_init_output=True,
                           seed=int(layer_seed), dtype=self._dtype.name,
                           name=f'dequantization_net_{layer}')
      else:
        net = networks.ConvNet(output_channels=2 * mask.shape[-1],
                               hidden_channels=hidden_units, seed=int(layer_seed),
                               dtype=self._dtype.name, name=f'dequantization_net_{layer}')
      couplings.append(bijectors.MaskedCoupling(mask, net, _affine,
                                                validate_args=validate_args))
    # Data to noise is `inverse`, as for the flows: the chain applies the last coupling first.
    self._couplings = tfb.Chain(couplings[::-1], validate_args=validate_args,
                                name='dequantization_couplings')

  def _pair_mask(self, parity):
    """The mask over `(eps, c)`: `c` always conditions, `eps` by parity or checkerboard."""
    shape = self._event_shape
    if len(shape) == 1:
      noise_mask = np.arange(shape[0]) % 2 == parity
    else:
      rows, cols = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing='ij')
      noise_mask = np.broadcast_to(((rows + cols) % 2 == parity)[..., None], shape)
    if noise_mask.all():  # One noise element (D = 1, or a 1x1 image): transform it given c.
      noise_mask = np.zeros_like(noise_mask)
    return np.concatenate([noise_mask, np.ones(shape, bool)], axis=-1)

  @property
  def event_shape(self):
    """`[D]` or `[H, W, C]`, as given."""
    return list(self._event_shape)

  @property
  def event_size(self):
    """`D`, the number of pixel values of one example."""
    return int(np.prod(self._event_shape))

  @property
  def num_bins(self):
    return self._num_bins

  @property
  def dtype(self):
    return self._dtype

  def bijector(self, pixels):
    """The map `eps -> u` given `pixels` (`[..., D]`): a `tfb.Chain` on flat vectors.

    `u = sigmoid(1.702 g(eps; c))`; batch shapes of `eps` and `pixels`
    broadcast.
    """
    pixels = self._flat_pixels(pixels)
    condition = tf.reshape(pixels / self._num_bins - 0.5,
                           tf.concat([tf.shape(pixels)[:-1], self._event_shape], axis=0))
    return tfb.Chain([
        tfb.Sigmoid(validate_args=self._validate_args),
        tfb.Scale(tf.constant(_LOGISTIC_TO_NORMAL, self._dtype)),
        _Conditioned(self._couplings, condition, self._event_shape,
                     validate_args=self._validate_args)],
        validate_args=self._validate_args, name='dequantization_noise')

  def distribution(self, pixels):
    """`q(u | x)` for each example of `pixels` (`[..., D]`): batch `[...]`, event `[D]`."""
    pixels = self._flat_pixels(pixels)
    base = tfd.Independent(tfd.Normal(tf.zeros_like(pixels), tf.ones([], self._dtype)),
                           reinterpreted_batch_ndims=1)
    return tfd.TransformedDistribution(base, self.bijector(pixels), name='dequantization_noise')

  def _flat_pixels(self, pixels):
    pixels = tf.convert_to_tensor(pixels)
    if not (pixels.dtype.is_floating or pixels.dtype.is_integer):
      raise TypeError(f'Argument `pixels` must hold numbers; got {pixels.dtype.name}.')
    validation.check_event_shape(pixels, [self.event_size], 'pixels', 'VariationalDequantizer',
                                 source=f'(the size of `event_shape` {self._event_shape})')
    return tf.cast(pixels, self._dtype)


class _Conditioned(tfb.Bijector):
  """`Y = g([X, c])` without `c`: a bijector on pairs, made one on `X` given `c`.

  `g` acts on events `event_shape[:-1] + [2 C]` (the last axis stacks `X`,
  reshaped to `event_shape`, and `c`) and must leave `c` as it is, as a
  `MaskedCoupling` whose mask always conditions on `c` does. Then
  `dY/dX` is the `X` block of `g`'s triangular Jacobian and `log|det dY/dX|
  = log|det dg|`. `X` and `Y` are flat `[..., D]`; batch shapes of `X` and
  `c` broadcast.
  """

  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def __init__(self, bijector, condition, event_shape, validate_args=False,
               name='conditioned'):
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      self._bijector = bijector
      self._condition = condition
      self._event_shape = list(event_shape)
      super().__init__(forward_min_event_ndims=1, validate_args=validate_args,
                       parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  def _pair(self, value):
    """`[value, c]` stacked on the last axis of `event_shape`, one batch axis.

    Batch shapes broadcast and are flattened to one axis (convolutions take
    one); returns the pair and the batch shape to restore.
    """
    event_rank = len(self._event_shape)
    batch = tf.broadcast_dynamic_shape(tf.shape(value)[:-1],
                                       tf.shape(self._condition)[:-event_rank])
    shape = tf.concat([batch, self._event_shape], axis=0)
    value = tf.broadcast_to(tf.reshape(value, tf.concat(
        [tf.shape(value)[:-1], self._event_shape], axis=0)), shape)
    condition = tf.broadcast_to(tf.cast(self._condition, value.dtype), shape)
    pair = tf.concat([value, condition], axis=-1)
    return tf.reshape(pair, tf.concat([[-1], tf.shape(pair)[-event_rank:]], axis=0)), batch

  def _restore(self, value, pair, batch, log_det):
    """The `X` half of `pair` as flat `batch + [D]`, and `log_det` as `batch`.

    The static batch shape is restored where known (`value`'s and `c`'s).
    """
    event_rank = len(self._event_shape)
    size = int(np.prod(self._event_shape))
    static_batch = tf.broadcast_static_shape(value.shape[:-1],
                                             self._condition.shape[:-event_rank])
    half = tf.reshape(pair[..., :self._event_shape[-1]], tf.concat([batch, [size]], axis=0))
    log_det = tf.reshape(tf.broadcast_to(log_det, tf.shape(pair)[:1]), batch)
    return (tf.ensure_shape(half, static_batch.concatenate([size])),
            tf.ensure_shape(log_det, static_batch))

  def _augmented_forward(self, x):
    pair, batch = self._pair(x)
    event_ndims = len(self._event_shape)
    y, fldj = self._restore(x, self._bijector.forward(pair), batch,
                            self._bijector.forward_log_det_jacobian(pair, event_ndims))
    return y, {'ildj': -fldj}

  def _augmented_inverse(self, y):
    pair, batch = self._pair(y)
    event_ndims = len(self._event_shape)
    x, ildj = self._restore(y, self._bijector.inverse(pair), batch,
                            self._bijector.inverse_log_det_jacobian(pair, event_ndims))
    return x, {'ildj': ildj}

  def _forward(self, x):
    return self._augmented_forward(x)[0]

  def _inverse(self, y):
    return self._augmented_inverse(y)[0]

  def _inverse_log_det_jacobian(self, y):
    return self._augmented_inverse(y)[1]['ildj']
