"""Writes batches of images as one PNG grid (matplotlib is imported on use)."""

import math

import numpy as np

__all__ = ['save_image_grid']


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
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top

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
  figure = plt.figure(figsize=(num_columns * 0.6 + 0.5, num_rows * 0.6 + 0.8))
  plt.imshow(grid, cmap='gray', vmin=0., vmax=1., interpolation='nearest')
  plt.axis('off')
  if title:
    plt.title(title, fontsize=9)
  figure.savefig(path, dpi=100, bbox_inches='tight')
  plt.close(figure)
