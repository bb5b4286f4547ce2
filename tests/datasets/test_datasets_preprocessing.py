"""Tests of `dequantize` and `binarize`."""

import numpy as np
import pytest
import tensorflow as tf

from tfp_rbm.datasets import binarize
from tfp_rbm.datasets import dequantize
from tfp_rbm.datasets import dequantized_batches

ALL_PIXELS = np.arange(256, dtype=np.uint8)


@pytest.mark.parametrize('dtype', [tf.float32, tf.float64])
def test_dequantize_puts_pixel_k_in_its_bin(dtype):
  pixels = np.tile(ALL_PIXELS, 40)
  x = dequantize(pixels, seed=[3, 4], dtype=dtype).numpy()
  assert x.dtype == dtype.as_numpy_dtype
  assert x.min() >= 0. and x.max() < 1.
  np.testing.assert_array_equal(np.floor(x * 256.), pixels)
  # The noise fills each bin rather than sitting at one point.
  assert np.ptp(x * 256. - pixels) > 0.9


def test_dequantize_float32_never_reaches_one():
  # About 2^-17 of the draws round (255 + u) / 256 up to 1 in float32.
  pixels = np.full([1_000_000], 255, np.uint8)
  assert dequantize(pixels, seed=[0, 7]).numpy().max() < 1.


def test_dequantize_is_a_function_of_the_seed():
  images = np.random.default_rng(0).integers(0, 256, [4, 8, 8, 1], np.uint8)
  first = dequantize(images, seed=[1, 2])
  np.testing.assert_array_equal(first, dequantize(images, seed=[1, 2]))
  compiled = tf.function(dequantize)(tf.constant(images), tf.constant([1, 2]))
  np.testing.assert_array_equal(first, compiled)
  assert not np.array_equal(first, dequantize(images, seed=[1, 3]))


def test_dequantized_batches_for_evaluation_keep_order_and_noise():
  images = np.random.default_rng(1).integers(0, 256, [10, 3, 2, 1], np.uint8)
  ds = dequantized_batches(images, 4, seed=5)
  first = [b.numpy() for b in ds]
  assert [b.shape for b in first] == [(4, 6), (4, 6), (2, 6)]  # partial last batch kept
  x = np.concatenate(first)
  assert x.dtype == np.float32 and x.min() >= 0. and x.max() < 1.
  np.testing.assert_array_equal(np.floor(x * 256.), images.reshape(10, 6))
  np.testing.assert_array_equal(x, np.concatenate([b.numpy() for b in ds]))  # every pass
  assert not np.array_equal(x, np.concatenate(list(dequantized_batches(images, 4, seed=6))))


def test_dequantized_batches_for_training_reshuffle_and_redraw():
  images = np.arange(40, dtype=np.uint8).reshape(10, 2, 2) * 6
  ds = dequantized_batches(images, 4, seed=3, shuffle=True, dtype=tf.float64)
  passes = [np.concatenate([b.numpy() for b in ds]) for _ in range(2)]
  for x in passes:
    assert x.shape == (8, 4) and x.dtype == np.float64  # partial batch dropped
    pixels = np.floor(x * 256.)
    assert {tuple(p) for p in pixels} <= {tuple(p) for p in images.reshape(10, 4)}
  # New order and new noise on the second pass.
  assert not np.array_equal(np.floor(passes[0] * 256.), np.floor(passes[1] * 256.))
  assert not np.array_equal(passes[0] % (1. / 256.), passes[1] % (1. / 256.))


@pytest.mark.parametrize('function', [dequantize, binarize])
def test_non_uint8_images_are_rejected(function):
  with pytest.raises(TypeError, match='`images` must be uint8'):
    function(np.zeros([2, 2], np.float32), seed=[0, 0])


def test_dequantize_rejects_integer_dtype():
  with pytest.raises(TypeError, match='`dtype` must be float32 or float64'):
    dequantize(ALL_PIXELS, seed=[0, 0], dtype=tf.int32)


def test_stochastic_binarize_draws_bernoulli_of_intensity():
  pixels = np.repeat(np.array([0, 51, 128, 255], np.uint8), 20_000)
  bits = binarize(pixels, seed=[5, 6]).numpy().reshape(4, -1)
  assert set(np.unique(bits)) <= {0., 1.}
  np.testing.assert_allclose(bits.mean(axis=1), [0., 0.2, 128 / 255, 1.],
                             atol=0.015)
  np.testing.assert_array_equal(bits.ravel(),
                                binarize(pixels, seed=[5, 6]).numpy())


def test_threshold_binarize_is_deterministic():
  bits = binarize(ALL_PIXELS, dtype=tf.int32).numpy()
  np.testing.assert_array_equal(bits, (ALL_PIXELS > 127).astype(np.int32))
  high = binarize(ALL_PIXELS, threshold=0.9).numpy()
  assert high.sum() == np.sum(ALL_PIXELS / 255. > 0.9)


def test_binarize_argument_errors_are_named():
  with pytest.raises(ValueError, match='either `seed`.*or `threshold`'):
    binarize(ALL_PIXELS, seed=[0, 0], threshold=0.5)
  with pytest.raises(ValueError, match='`threshold` must lie in'):
    binarize(ALL_PIXELS, threshold=128)


def test_dequantized_batches_with_fewer_images_than_a_batch_yield_them_all():
  images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1) * 20
  for shuffle in (True, False):
    batches = [b.numpy() for b in dequantized_batches(images, 32, seed=0, shuffle=shuffle)]
    assert [b.shape for b in batches] == [(10, 1)], shuffle
    np.testing.assert_array_equal(np.sort(np.floor(batches[0][:, 0] * 256.)),
                                  images.ravel())


@pytest.mark.parametrize('batch_size, error, match', [
    (0, ValueError, '`batch_size` must be positive; got 0'),
    (2.5, TypeError, '`batch_size` must be an int; got 2.5'),
])
def test_dequantized_batches_refuse_a_bad_batch_size(batch_size, error, match):
  with pytest.raises(error, match=match):
    dequantized_batches(np.zeros([4, 2, 2], np.uint8), batch_size, seed=0)


def test_dequantized_batches_refuse_no_images():
  with pytest.raises(ValueError, match=r'`images` must hold at least one image.*\[0, 2, 2\]'):
    dequantized_batches(np.zeros([0, 2, 2], np.uint8), 4, seed=0)
