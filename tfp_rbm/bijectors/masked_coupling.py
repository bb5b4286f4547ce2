"""The coupling of NICE, Glow and Flow++: mask, network, inner bijector."""

import keras
import numpy as np
import tensorflow as tf
from tensorflow_probability import bijectors as tfb
# No public API: the bijector cache that keeps attributes of the inverse.
from tensorflow_probability.python.internal import cache_util

from tfp_rbm.bijectors import identity_hashed
from tfp_rbm.bijectors import validation

__all__ = ['MaskedCoupling']


class MaskedCoupling(identity_hashed.IdentityHashed, tfb.Bijector):
  """Keeps the masked elements and transforms the others given them.

  #### Mathematical Details

  `mask` marks the conditioning elements `A` of an event; the others, `B`,
  go through the elementwise bijector `f = bijector_fn(conditioner(X_A))`:

  ```none
  Y = g(X):        Y_A = X_A,   Y_B = f(X_B)
  X = g^{-1}(Y):   X_A = Y_A,   X_B = f^{-1}(Y_B)
  log|det dY/dX| = sum_B log|f'(X_B)|
  ```

  `f` depends on `A` only, which both sides share, so the inverse is exact.
  What the conditioner reads depends on the mask. A mask that is the same at
  every position of its leading axes splits the last axis into features
  (NICE's parities, Glow's channel halves): the conditioner reads the
  conditioning features `X_A` alone, and `f` acts on `X_B` alone, as in
  `tfb.RealNVP`. Any other mask (Flow++'s checkerboard) keeps the event
  whole, as distrax's `MaskedCoupling`: the conditioner reads `X * mask`, `f`
  acts on every element, and the log-det sums over `B` only.

  In this library data maps to latent by `inverse` (`log_prob` runs it).
  Each direction computes its log-det from the same conditioner output, and
  TFP's greedy cache keeps it, so `log_prob` runs the network once (and so
  does sampling with the log-det).

  The conditioner is built at construction, from the mask's shape, and its
  weights are among the bijector's `trainable_variables` (a Keras 3 layer is
  not a `tf.Module`, whose tracking would miss them). `tf.train.Checkpoint`
  saves them through the layer, which must hold its sub-layers as
  attributes or in tuples, as `tfp_rbm.networks` and Keras models do: it
  does not see into a Python list.

  #### Examples

  Glow's affine coupling: the first half of the channels sets a shift and a
  scale `sigmoid(h + 2)` of the second half, data to latent.

  ```python
  mask = np.broadcast_to(np.arange(4) < 2, [8, 8, 4])
  net = tfp_rbm.networks.ConvNet(output_channels=4, hidden_channels=64)

  def glow_affine(output):
    shift, h = tf.split(output, 2, axis=-1)
    return tfb.Invert(tfb.Chain([
        tfb.Scale(log_scale=tf.math.log_sigmoid(h + 2.)), tfb.Shift(shift)]))

  coupling = tfp_rbm.bijectors.MaskedCoupling(mask, net, glow_affine)
  z = coupling.inverse(images)  # images: [batch, 8, 8, 4]
  ```

  Flow++'s checkerboard coupling with `K` logistics per element:

  ```python
  K = 4
  rows, cols = np.meshgrid(np.arange(8), np.arange(8), indexing='ij')
  mask = np.broadcast_to(((rows + cols) % 2 == 0)[..., None], [8, 8, 3])
  net = tfp_rbm.networks.GatedResidualConvNet(output_channels=3 * (3 * K + 2))
  coupling = tfp_rbm.bijectors.MaskedCoupling(
      mask, net, functools.partial(
          tfp_rbm.bijectors.MixtureLogisticCDF.from_conditioner_output,
          num_components=K))
  ```

  #### References

  [1]: Laurent Dinh, David Krueger, Yoshua Bengio. NICE: Non-linear
       Independent Components Estimation. https://arxiv.org/abs/1410.8516
  [2]: Laurent Dinh, Jascha Sohl-Dickstein, Samy Bengio. Density estimation
       using Real NVP. https://arxiv.org/abs/1605.08803
  [3]: Diederik P. Kingma, Prafulla Dhariwal. Glow: Generative Flow with
       Invertible 1x1 Convolutions. https://arxiv.org/abs/1807.03039
  [4]: Jonathan Ho, Xi Chen, Aravind Srinivas, Yan Duan, Pieter Abbeel.
       Flow++: Improving Flow-Based Generative Models with Variational
       Dequantization and Architecture Design. https://arxiv.org/abs/1902.00275
  """

  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name='_augmented_forward', inverse_name='_augmented_inverse')

  def __init__(self, mask, conditioner, bijector_fn, validate_args=False,
               name='masked_coupling'):
    """Builds the coupling and its conditioner.

    Args:
      mask: boolean array of the event shape, `True` at the conditioning
        elements; at least one element of each kind.
      conditioner: a Keras 3 layer (e.g. `tfp_rbm.networks.ConvNet`) reading
        the conditioning part (see above), with a leading batch axis.
      bijector_fn: callable taking the conditioner's output (cast to the
        input's dtype) to an elementwise `tfb.Bijector` for the transformed
        part, whose parameters have that part's shape.
      validate_args: Python `bool`; check that inputs are finite.
      name: Python `str` name prefixed to ops.

    Raises:
      ValueError: if `mask` has no axis or lacks either kind of element, or
        if `bijector_fn` cannot build a bijector for the transformed part
        from the conditioner's output.
    """
    parameters = dict(locals())
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim < 1 or mask.all() or not mask.any():
      raise ValueError('Argument `mask` must have at least one axis and both '
                       'conditioning (True) and transformed (False) elements, '
                       f'got {mask.tolist()}.')
    with tf.name_scope(name) as name:
      self._mask = mask
      self._conditioner = conditioner
      self._bijector_fn = bijector_fn
      features = mask.reshape([-1, mask.shape[-1]])
      self._splits_features = bool((features == features[0]).all())
      if self._splits_features:
        # Features in the order (A, B), and back; None where already so.
        order = np.concatenate([np.flatnonzero(features[0]),
                                np.flatnonzero(~features[0])])
        in_order = (order == np.arange(order.size)).all()
        self._feature_order = None if in_order else order
        self._inverse_feature_order = None if in_order else np.argsort(order)
        self._split_sizes = [int(features[0].sum()),
                             int((~features[0]).sum())]
        conditioning_shape = mask.shape[:-1] + (self._split_sizes[0],)
        transformed_shape = mask.shape[:-1] + (self._split_sizes[1],)
      else:
        conditioning_shape = transformed_shape = mask.shape
      self._check_conditioner(conditioning_shape, transformed_shape)
      self._expose_conditioner_variables()
      super().__init__(forward_min_event_ndims=mask.ndim,
                       validate_args=validate_args, parameters=parameters,
                       name=name)

  @classmethod
  def _parameter_properties(cls, dtype):
    return dict()

  @property
  def mask(self):
    return self._mask

  @property
  def conditioner(self):
    return self._conditioner

  @property
  def bijector_fn(self):
    return self._bijector_fn

  def _check_conditioner(self, conditioning_shape, transformed_shape):
    """Builds the conditioner, and checks what `bijector_fn` makes of it."""
    output_shape = tuple(
        self._conditioner(keras.Input(shape=conditioning_shape)).shape)
    message = (f'The `conditioner` of MaskedCoupling maps the conditioning '
               f'part {list(conditioning_shape)} to {list(output_shape[1:])}, '
               'from which `bijector_fn` must build a bijector with '
               f'parameters of the transformed part\'s shape '
               f'{list(transformed_shape)}')
    # In a graph of its own nothing runs, and a shape error is a ValueError.
    with tf.Graph().as_default():
      try:
        inner = self._bijector_fn(tf.zeros((1,) + output_shape[1:]))
        batch_shape = inner.experimental_batch_shape(x_event_ndims=0)
      except ValueError as cause:
        raise ValueError(f'{message}.') from cause
    if batch_shape[1:] != transformed_shape:
      raise ValueError(f'{message}, got {batch_shape[1:].as_list()}.')

  @tf.__internal__.tracking.no_automatic_dependency_tracking
  def _expose_conditioner_variables(self):
    # `tf.Module` finds these for `trainable_variables`; kept out of
    # checkpoints, which save each weight once, through the layer.
    self._conditioner_variables = [w.value for w in self._conditioner.weights]

  def _split(self, z, arg_name):
    """`(conditioning part, transformed part)` of `z`, after checks."""
    validation.check_event_shape(z, self._mask.shape, arg_name,
                                 'MaskedCoupling', source='of `mask`')
    z = validation.checked_finite(self, z, arg_name)
    if self._splits_features:
      if self._feature_order is not None:
        z = tf.gather(z, self._feature_order, axis=-1)
      return tuple(tf.split(z, self._split_sizes, axis=-1))
    return z * tf.constant(self._mask, z.dtype), z

  def _merge(self, conditioning, transformed):
    """The event holding `conditioning` in `A` and `transformed` in `B`."""
    if self._splits_features:
      z = tf.concat([conditioning, transformed], axis=-1)
      if self._inverse_feature_order is None:
        return z
      return tf.gather(z, self._inverse_feature_order, axis=-1)
    # `tf.where`, not a product: whatever the inner bijector makes of the
    # conditioning elements (an overflow far in a tail) cannot leak as 0 * inf.
    return tf.where(self._mask, conditioning, transformed)

  def _log_det(self, log_det_jacobian, transformed):
    """The inner bijector's log-det, `log_det_jacobian`, summed over `B`."""
    if self._splits_features:
      return log_det_jacobian(transformed, event_ndims=self._mask.ndim)
    elementwise = log_det_jacobian(transformed, event_ndims=0)
    return tf.reduce_sum(
        tf.where(self._mask, tf.zeros([], elementwise.dtype), elementwise),
        axis=list(range(-self._mask.ndim, 0)))

  def _inner(self, conditioning):
    output = self._conditioner(conditioning)
    return self._bijector_fn(tf.cast(output, conditioning.dtype))

  def _augmented_forward(self, x):
    conditioning, transformed = self._split(x, 'x')
    inner = self._inner(conditioning)
    y = self._merge(conditioning, inner.forward(transformed))
    return y, {'ildj': -self._log_det(inner.forward_log_det_jacobian,
                                      transformed)}

  def _augmented_inverse(self, y):
    conditioning, transformed = self._split(y, 'y')
    inner = self._inner(conditioning)
    x = self._merge(conditioning, inner.inverse(transformed))
    return x, {'ildj': self._log_det(inner.inverse_log_det_jacobian,
                                     transformed)}

  def _forward(self, x):
    return self._augmented_forward(x)[0]

  def _inverse(self, y):
    return self._augmented_inverse(y)[0]

  def _inverse_log_det_jacobian(self, y):
    return self._augmented_inverse(y)[1]['ildj']
