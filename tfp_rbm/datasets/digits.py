"""The 8x8 UCI handwritten digits shipped with tfp_rbm.

`data/digits.csv.gz` holds the 1,797 images of the test part of the UCI
"Optical Recognition of Handwritten Digits" data set (Alpaydin & Kaynak,
CC BY 4.0; provenance in `data/README.md`): one row per image, 64 counts in
0..16 (on-pixels in each 4x4 block of a 32x32 bitmap, row-major), then the
digit. Images are returned as uint8 `[8, 8, 1]` with

    pixel = round(v * 255 / 16)        (halves round up; v = 8 gives 128)

so that 0 stays 0 and 16 becomes 255, like any 8-bit image. The split is
fixed by file order: the first 1,500 rows are `'train'`, the last 297
`'test'`.

#### References

[1]: E. Alpaydin, C. Kaynak. Optical Recognition of Handwritten Digits. UCI
     Machine Learning Repository, 1998. https://doi.org/10.24432/C50P49
"""

import gzip
import importlib.resources

import numpy as np

__all__ = ['DIGITS_NUM_TEST', 'read_digits']

DIGITS_NUM_TEST = 297


def read_digits(split):
  """Reads a split of the shipped 8x8 digits.

  #### Examples

  ```python
  images, labels = read_digits('test')
  images.shape, images.dtype  # (297, 8, 8, 1), uint8
  ```

  Args:
    split: `'train'` (first 1,500 images) or `'test'` (last 297).

  Returns:
    images: uint8 array `[N, 8, 8, 1]`, values in 0..255.
    labels: int64 array `[N]`, the digits 0..9.
  """
  resource = importlib.resources.files(__package__) / 'data' / 'digits.csv.gz'
  with resource.open('rb') as f, gzip.open(f) as text:
    table = np.loadtxt(text, delimiter=',', dtype=np.int64)
  rows = {'train': table[:-DIGITS_NUM_TEST],
          'test': table[-DIGITS_NUM_TEST:]}[split]
  # Integer form of round-half-up(v * 255 / 16), exact for v in 0..16.
  pixels = (rows[:, :64] * 255 + 8) // 16
  return pixels.astype(np.uint8).reshape(-1, 8, 8, 1), rows[:, 64]
