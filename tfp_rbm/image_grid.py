"""Writes batches of images as PNG grids (matplotlib is imported on use)."""

import math
import os

import numpy as np

__all__ = ['save_image_grid', 'save_image_grids_side_by_side', 'tile_images']


def tile_images(images, image_shape=None, num_columns=None):
  """One array holding `images` (values in [0, 1]) in a grid, one pixel of white between.

  Args:
    images: array `[n, H, W]`, `[n, H, W, C]` or `[n, D]` with `image_shape`.
    image_shape: `[H, W]` or `[H, W, C]` to reshape flat vectors.
    num_columns: images per row (default: about sqrt(n)).

  Returns:
    The grid, `[rows * (H + 1) + 1, columns * (W + 1) + 1]` (`+ [C]` for C > 1).
  """
  images = np.clip(np.asarray(images, np.float64), 0., 1.)
  if image_shape is not None:
    images = images.reshape([-1] + list(image_shape))
  if images.ndim == 4 and images.shape[-1] == 1:
    images = images[..., 0]
  n = images.shape[0]
  num_columns = num_columns or int(math.ceil(math.sqrt(n)))
  num_rows = int(math.ceil(n / num_columns))
  height, width = images.shape[1:3]
  grid = np.ones([num_rows * (height + 1) + 1, num_columns * (width + 1) + 1]
                 + list(images.shape[3:]))
  for k in range(n):
    row, col = divmod(k, num_columns)
    grid[1 + row * (height + 1):1 + row * (height + 1) + height,
         1 + col * (width + 1):1 + col * (width + 1) + width] = images[k]
  return grid


def _pyplot():
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def save_image_grid(images, path, image_shape=None, num_columns=None, title=None):
  """Saves `images` (values in [0, 1]) as a grid in a PNG file.

  Args:
    images: array `[n, H, W]`, `[n, H, W, C]` or `[n, D]` with `image_shape`.
    path: output file name.
    image_shape: `[H, W]` or `[H, W, C]` to reshape flat vectors.
    num_columns: images per row (default: about sqrt(n)).
    title: optional figure title.

  #### Examples

  ```python
  save_image_grid(model.sample(64, seed=1), 'samples.png', image_shape=[8, 8])
  ```
  """
  save_image_grids_side_by_side({title or '': images}, path, image_shape, num_columns)


def save_image_grids_side_by_side(titled_images, path, image_shape=None, num_columns=None):
  """Saves one grid per entry of `{title: images}`, side by side, in a PNG file.

  #### Examples

  ```python
  save_image_grids_side_by_side({'Gaussian base': x_normal, 'RBM base': x_rbm},
                                'samples.png', image_shape=[8, 8], num_columns=10)
  ```
  """
  plt = _pyplot()
  grids = [tile_images(images, image_shape, num_columns) for images in titled_images.values()]
  height, width = grids[0].shape[:2]
  figure, axes = plt.subplots(1, len(grids), squeeze=False, figsize=(
      len(grids) * (width / 15. + 0.3), height / 15. + 0.8))
  for axis, title, grid in zip(axes[0], titled_images, grids):
    axis.imshow(grid, cmap='gray', vmin=0., vmax=1., interpolation='nearest')
    axis.axis('off')
    if title:
      axis.set_title(title, fontsize=9)
  directory = os.path.dirname(path)
  if directory:
    os.makedirs(directory, exist_ok=True)
  figure.savefig(path, dpi=100, bbox_inches='tight')
  plt.close(figure)
