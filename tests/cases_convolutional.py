"""Registry cases for the shared convolutional Gaussian-Bernoulli RBM.

Each reference unrolls the convolutions into the dense weights `W` in NumPy,
independently of `tf.nn.conv2d`: with TF's `'SAME'` padding (`pad_before =
max((out - 1) s + k - n, 0) // 2`), visible unit `(y, x, c)` of a level
meets hidden unit `(i, j, o)` with weight `Omega[y - i s + pad_y,
x - j s + pad_x, c, o]` (zero outside the filter). The log-density is then a
sum over every hidden state with log Z the Gaussian integral of each state
in closed form, and the moments are those of the Gaussian mixture
`p(v) = sum_h p(h) Normal(b + s * (W h), s^2)`. The tests in
`tests/distributions/test_convolutional_gaussian_bernoulli_rbm.py` use the
same references.
"""

import itertools

import numpy as np
import tensorflow as tf

import registry
from tfp_rbm import distributions as tfrd

# `(level_shapes, kernel sizes, strides, hidden channels)`: two levels onto a 2x2x2 map,
# and the registry's smaller two levels onto a 1x1x3 map (its moments check runs
# 1000 sweeps of 10,000 chains).
TWO_BY_TWO = ([[4, 4, 1], [2, 2, 2]], [3, 2], [2, 1], 2)
ONE_BY_ONE = ([[2, 2, 1], [1, 1, 2]], [2, 1], [2, 1], 3)


def all_binary_states(n):
  return np.array(list(itertools.product([0., 1.], repeat=n)))


def _pad_before(size, kernel, stride, padding):
  if padding == 'VALID':
    return 0
  out = -(-size // stride)
  return max((out - 1) * stride + kernel - size, 0) // 2


def unrolled_weights(dist):
  """The dense `W`, `[D, h w K]`, of the machine's convolutions (NumPy loops)."""
  height, width, channels = dist.hidden_map_shape
  blocks = []
  for f, (rows, cols, depth), stride in zip(dist.filters, dist.level_shapes, dist.strides):
    f = np.asarray(f)
    pad_y = _pad_before(rows, f.shape[0], stride, dist.padding)
    pad_x = _pad_before(cols, f.shape[1], stride, dist.padding)
    w = np.zeros([rows, cols, depth, height, width, channels])
    for y, x, i, j in itertools.product(range(rows), range(cols), range(height), range(width)):
      a, b = y - i * stride + pad_y, x - j * stride + pad_x
      if 0 <= a < f.shape[0] and 0 <= b < f.shape[1]:
        w[y, x, :, i, j, :] = f[a, b]
    blocks.append(w.reshape([rows * cols * depth, height * width * channels]))
  return np.concatenate(blocks, axis=0)


def machine_parameters(dist):
  """`[(W, b, c, s)]` per machine of a rank-1 batch, `c` the bias of every hidden unit."""
  batch = dist.batch_shape.as_list()
  num_visible, num_hidden = dist.num_visible, dist.num_hidden
  positions = num_hidden // dist.hidden_map_shape[-1]
  w = unrolled_weights(dist)
  b = np.broadcast_to(np.asarray(dist.visible_bias), batch + [num_visible])
  c = np.tile(np.broadcast_to(np.asarray(dist.hidden_bias), batch + [dist.hidden_map_shape[-1]]),
              [1, positions])
  s = np.broadcast_to(np.asarray(dist.scale), batch + [num_visible])
  return [(w, b[k], c[k], s[k]) for k in range(batch[0])]


def _hidden_log_weights(w, b, c, s):
  """`log p~(h)` of every hidden state (the Gaussian integral over `v` in closed form)."""
  hs = all_binary_states(len(c))
  a = hs @ w.T
  return hs, a, hs @ c + np.sum(b * a / s + a ** 2 / 2, axis=-1)


def log_normalizer(w, b, c, s):
  return (np.sum(np.log(np.sqrt(2 * np.pi) * s))
          + np.logaddexp.reduce(_hidden_log_weights(w, b, c, s)[2]))


def log_prob_exact(dist, x):
  """`log p(v)` of every machine, summing `exp(-E(v, h))` over every hidden state."""
  x = np.asarray(x)
  out = np.zeros(x.shape[:-1])
  for k, (w, b, c, s) in enumerate(machine_parameters(dist)):
    v = x[..., k, :]
    hs = all_binary_states(len(c))
    per_h = hs @ c + np.einsum('...i,ij,kj->...k', v / s, w, hs)
    out[..., k] = (np.logaddexp.reduce(per_h, axis=-1)
                   - np.sum((v - b) ** 2 / (2 * s ** 2), axis=-1) - log_normalizer(w, b, c, s))
  return out


def moments_exact(dist):
  """Mean and covariance of the Gaussian mixture over every hidden state."""
  means, covs = [], []
  for w, b, c, s in machine_parameters(dist):
    _, a, log_weight = _hidden_log_weights(w, b, c, s)
    p = np.exp(log_weight - np.logaddexp.reduce(log_weight))
    component_means = b + s * a
    mean = p @ component_means
    centred = component_means - mean
    means.append(mean)
    covs.append(np.diag(s ** 2) + np.einsum('k,ki,kj->ij', p, centred, centred))
  return np.stack(means), np.stack(covs)


def make_convolutional(dtype, seed=0, config=TWO_BY_TWO, batch=(2,), filter_scale=0.4,
                       variables=True, **kwargs):
  """By default levels 4x4x1 (3x3, stride 2) and 2x2x2 (2x2, stride 1) onto a 2x2x2 map."""
  level_shapes, kernels, strides, num_channels = config
  rng = np.random.default_rng(seed)
  wrap = ((lambda value, name: tf.Variable(value, dtype=dtype, name=name)) if variables
          else (lambda value, name: tf.constant(value, dtype=dtype, name=name)))
  num_visible = sum(int(np.prod(shape)) for shape in level_shapes)
  return tfrd.ConvolutionalGaussianBernoulliRBM(
      filters=[wrap(rng.normal(size=[k, k, shape[-1], num_channels]) * filter_scale,
                    f'filters_{level}')
               for level, (k, shape) in enumerate(zip(kernels, level_shapes))],
      strides=strides,
      visible_bias=wrap(rng.normal(size=[*batch, num_visible]) * 0.5, 'visible_bias'),
      hidden_bias=wrap(rng.normal(size=[*batch, num_channels]) * 0.5, 'hidden_bias'),
      scale=wrap(rng.uniform(0.5, 1.5, size=[*batch, num_visible]), 'scale'),
      level_shapes=level_shapes, **kwargs)


@registry.register_distribution('ConvolutionalGaussianBernoulliRBM',
                                log_prob_exact=log_prob_exact, moments_exact=moments_exact)
def make_convolutional_gaussian_bernoulli_rbm(dtype):
  return make_convolutional(dtype, seed=3, config=ONE_BY_ONE, filter_scale=0.5,
                            validate_args=True)
