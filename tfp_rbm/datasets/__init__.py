"""Image data sets as uint8 `tf.data` pipelines, and their pre-processing.

`load(name, split)` gives Fashion-MNIST, MNIST or CIFAR-10 from a prepared
TensorFlow Datasets copy or the original local files, and the 8x8 UCI digits
shipped with the package; `dequantize` and `binarize` turn the uint8 pixels
into model inputs, and `dequantized_batches` gives flat dequantized batches
for training or evaluation. Nothing is downloaded unless `download=True`.

#### Examples

```python
import tensorflow as tf
import tfp_rbm

ds = tfp_rbm.datasets.load('digits', split='train').batch(100)
x = tfp_rbm.datasets.dequantize(next(iter(ds)), seed=[0, 1])  # [100, 8, 8, 1]
x = tf.reshape(x, [-1, 64])                                   # flat
train = tfp_rbm.datasets.dequantized_batches(
    tfp_rbm.datasets.load_numpy('digits', 'train'), 128, seed=0, shuffle=True)
```
"""

from tfp_rbm.datasets.cifar import read_cifar10_batch
from tfp_rbm.datasets.idx import read_idx
from tfp_rbm.datasets.loading import DATA_DIR_ENV_VAR
from tfp_rbm.datasets.loading import first_available
from tfp_rbm.datasets.loading import load
from tfp_rbm.datasets.loading import load_numpy
from tfp_rbm.datasets.loading import NAMES
from tfp_rbm.datasets.loading import search_directories
from tfp_rbm.datasets.loading import SOURCES
from tfp_rbm.datasets.loading import SPLITS
from tfp_rbm.datasets.loading import SYSTEM_DIRECTORIES
from tfp_rbm.datasets.preprocessing import binarize
from tfp_rbm.datasets.preprocessing import dequantize
from tfp_rbm.datasets.preprocessing import dequantized_batches

__all__ = [
    'DATA_DIR_ENV_VAR',
    'NAMES',
    'SOURCES',
    'SPLITS',
    'SYSTEM_DIRECTORIES',
    'binarize',
    'dequantize',
    'dequantized_batches',
    'first_available',
    'load',
    'load_numpy',
    'read_cifar10_batch',
    'read_idx',
    'search_directories',
]
