"""Seeded weight initialisers, so a flow built with a seed is reproducible."""

import keras

__all__ = ['kernel_initializer']


def kernel_initializer(seed, index, zero=False):
  """Glorot-uniform with seed `seed + index` (unseeded if `seed` is None).

  Args:
    seed: Python `int` or None, the network's seed.
    index: Python `int`, the layer's position in the network.
    zero: Python `bool`; return zeros instead (zero-initialised last layers).

  Returns:
    A `keras.initializers.Initializer`.
  """
  if zero:
    return keras.initializers.Zeros()
  return keras.initializers.GlorotUniform(
      seed=None if seed is None else seed + index)
