"""Reader for the IDX files of the MNIST family (MNIST, Fashion-MNIST).

An IDX file is two zero bytes, a type byte, a byte `ndim`, `ndim` big-endian
int32 dimensions, then the values in big-endian C order. The files are often
distributed gzipped (`train-images-idx3-ubyte.gz`); both forms are read.

#### References

[1]: Yann LeCun, Corinna Cortes, Christopher J.C. Burges. The MNIST database
     of handwritten digits. http://yann.lecun.com/exdb/mnist/ (file format
     at the bottom of the page).
"""

import gzip
import os
import zlib

import numpy as np

__all__ = ['read_idx']

_GZIP_MAGIC = b'\x1f\x8b'
_IDX_DTYPES = {
    0x08: np.dtype('u1'),
    0x09: np.dtype('i1'),
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}


def read_idx(path):
  """Reads an IDX file, plain or gzipped, into a NumPy array.

  #### Examples

  ```python
  images = read_idx('/usr/share/datasets/fashion-mnist/'
                    't10k-images-idx3-ubyte.gz')  # uint8 [10000, 28, 28]
  ```

  Args:
    path: path of the file; gzip compression is detected from its content,
      not its name.

  Returns:
    An array of the file's shape, in native byte order.

  Raises:
    ValueError: naming the file, if it is a truncated or corrupt gzip file,
      does not start with an IDX header, or its size
      disagrees with the dimensions in the header.
  """
  with open(path, 'rb') as f:
    raw = f.read()
  if raw[:2] == _GZIP_MAGIC:
    try:
      raw = gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:  # truncated or corrupt
      raise ValueError(
          f'{os.fspath(path)!r} is a truncated or corrupt gzip file '
          f'({len(raw)} bytes): {error}') from None
  if len(raw) < 4 or raw[:2] != b'\0\0' or raw[2] not in _IDX_DTYPES:
    raise ValueError(
        f'{os.fspath(path)!r} is not an IDX file: its magic number is '
        f'{raw[:4].hex()!r}, expected 0000 followed by a type byte in '
        f'{{{", ".join(f"{code:02x}" for code in _IDX_DTYPES)}}} and the '
        'number of dimensions.')
  dtype = _IDX_DTYPES[raw[2]]
  ndim = raw[3]
  header_size = 4 + 4 * ndim
  if len(raw) < header_size:
    raise ValueError(
        f'IDX file {os.fspath(path)!r} has {len(raw)} bytes (uncompressed), fewer than '
        f'its header of {ndim} dimensions needs ({header_size}).')
  shape = tuple(int(d) for d in np.frombuffer(raw, '>i4', ndim, offset=4))
  expected_size = header_size + dtype.itemsize * int(np.prod(shape))
  if len(raw) != expected_size:
    raise ValueError(
        f'IDX file {os.fspath(path)!r} has {len(raw)} bytes (uncompressed) but '
        f'its header declares shape {shape} of {dtype.name}, which needs '
        f'{expected_size}.')
  values = np.frombuffer(raw, dtype, offset=header_size).reshape(shape)
  return values.astype(dtype.newbyteorder('='))
