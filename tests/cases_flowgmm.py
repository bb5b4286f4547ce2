"""Registry case for the class-conditional Gaussian mixture (FlowGMM's base).

The references are NumPy in closed form: the joint
`log p(z, y) = log softmax(label_logits)_y + sum_d log N(z_d; mu_yd, sigma_yd^2)`,
its logsumexp over `y`, and the mixture's mean and covariance
`sum_y pi_y (diag(sigma_y^2) + mu_y mu_y^T) - E[z] E[z]^T`. The tests in
`tests/distributions/test_class_conditional_gaussian_mixture.py` use the
same references.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import registry
from tfp_rbm import distributions as tfrd


def mixture_parameters(dist):
  """NumPy `(mu [B, K, D], sigma [B, K, D], log pi [B, K])` of a batch of rank 1."""
  batch, num_classes = dist.batch_shape.as_list(), dist.num_classes
  shape = batch + [num_classes, dist.event_shape[0]]
  loc = np.broadcast_to(np.asarray(dist.loc), shape)
  scale = np.broadcast_to(np.asarray(tf.convert_to_tensor(dist.scale)), shape)
  logits = (np.zeros(batch + [num_classes]) if dist.label_logits is None
            else np.broadcast_to(np.asarray(dist.label_logits), batch + [num_classes]))
  return loc, scale, logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


def joint_log_prob_exact(dist, x):
  """`log p(z, y)` for every class, `x [..., B, D] -> [..., B, K]`."""
  loc, scale, log_prior = mixture_parameters(dist)
  x = np.asarray(x)[..., None, :]
  return log_prior + np.sum(-0.5 * ((x - loc) / scale) ** 2 - np.log(scale)
                            - 0.5 * np.log(2 * np.pi), axis=-1)


def log_prob_exact(dist, x):
  return np.logaddexp.reduce(joint_log_prob_exact(dist, x), axis=-1)


def moments_exact(dist):
  loc, scale, log_prior = mixture_parameters(dist)
  prior = np.exp(log_prior)
  mean = np.einsum('bk,bkd->bd', prior, loc)
  second = np.einsum('bk,bkd,bke->bde', prior, loc, loc) + np.einsum(
      'bk,bkd,de->bde', prior, scale ** 2, np.eye(loc.shape[-1]))
  return mean, second - mean[..., :, None] * mean[..., None, :]


def make_mixture(dtype, seed=0, batch=(2,), num_classes=3, num_dims=2, logits=True,
                 **kwargs):
  rng = np.random.default_rng(seed)
  return tfrd.ClassConditionalGaussianMixture(
      loc=tf.Variable(rng.normal(size=[*batch, num_classes, num_dims]) * 1.5, dtype=dtype,
                      name='loc'),
      scale=tfp.util.TransformedVariable(
          rng.uniform(0.5, 1.5, size=[num_classes, num_dims]), tfp.bijectors.Softplus(),
          dtype=dtype, name='scale'),
      label_logits=(tf.Variable(rng.normal(size=[*batch, num_classes]), dtype=dtype,
                                name='label_logits') if logits else None),
      **kwargs)


@registry.register_distribution('ClassConditionalGaussianMixture',
                                log_prob_exact=log_prob_exact, moments_exact=moments_exact)
def make_class_conditional_gaussian_mixture(dtype):
  """Two mixtures of three classes in 2-D; the scales shared by the batch."""
  return make_mixture(dtype, seed=11, validate_args=True)
