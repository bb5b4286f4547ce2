"""`fit` with `steps_per_execution = k`: k batches stacked up front, one call of the step.

Keras 3 runs `steps_per_execution` steps as a loop that reads every batch
from the `tf.data` iterator (`get_next_as_optional`, a `tf.cond` and
`strategy.run` per step), which costs more than a small model's update.
`FlowModel.fit` instead re-batches the data into stacks of k batches, each
read from the iterator once, and runs the k updates in one call of the
(XLA-compilable) step function, a `tf.while_loop` over the stack's batches:

```none
x: [N, ...]  --shuffle, batch b, stack k-->  [k * b, ...] per execution
                                             (the last: the rest, its last batch partial)
execution:  for i in range(k): FlowModel._train_batch(x[i * b:(i + 1) * b])
```

Each batch is exactly one of Keras' steps (one optimizer iteration, fresh
chain draws and noise), the epoch holds every example once, and the
callbacks and progress bar count batches as under Keras' own
`steps_per_execution` (one `on_train_batch_end` per execution). Where the
data or the setting do not allow stacking (a `tf.distribute` strategy,
`run_eagerly`, sample or class weights, `steps_per_epoch`, a dataset of
unknown length, a Python generator) `fit` runs Keras' own loop.
"""

import inspect

import keras
import numpy as np
import tensorflow as tf

__all__ = []

# Keras' `fit` arguments, by name, in its order (positional calls bind to them).
_FIT_SIGNATURE = inspect.signature(keras.Model.fit)


def fit_arguments(model, args, kwargs):
  """Keras `fit` arguments that feed `model` stacks of batches, or None for Keras' loop.

  Args:
    model: the compiled `FlowModel`.
    args, kwargs: the arguments given to `fit` (without `callbacks`).

  Returns:
    `(arguments, odd_batches)`: a dict of keyword arguments for
    `keras.Model.fit` (the data as a repeating `tf.data.Dataset` of stacks,
    `steps_per_epoch` its number of batches), and whether a batch of
    another size than the first may come (the epoch's last, partial one;
    `make_train_function` traces the step for it only then). None when the
    stacked loop does not apply.
  """
  steps = model.steps_per_execution
  if not isinstance(steps, int) or steps <= 1 or model.run_eagerly or not _no_strategy(model):
    return None
  try:
    arguments = dict(_FIT_SIGNATURE.bind_partial(model, *args, **kwargs).arguments)
  except TypeError:
    return None  # Keras' loop raises its own error.
  arguments.pop('self')
  if any(arguments.get(name) is not None for name in
         ('sample_weight', 'class_weight', 'steps_per_epoch')):
    return None
  x, y = arguments.get('x'), arguments.get('y')
  shuffle = arguments.get('shuffle', True)
  batch_size = arguments.get('batch_size')
  if _is_array(x) and (y is None or _is_array(y)) and shuffle in (True, False):
    x, y = tf.convert_to_tensor(x), None if y is None else tf.convert_to_tensor(y)
    if (x.shape.rank is None or x.shape.rank < 1 or x.shape[0] is None
        or (y is not None and (y.shape.rank is None or y.shape.rank < 1
                               or y.shape[0] != x.shape[0]))):
      return None
    split = arguments.pop('validation_split', 0.)
    if split and arguments.get('validation_data') is None:
      split_at = int(np.floor(int(x.shape[0]) * (1. - split)))
      if split_at in (0, int(x.shape[0])):
        return None  # Keras' loop raises its own error.
      arguments['validation_data'] = ((x[split_at:],) if y is None
                                      else (x[split_at:], y[split_at:]))
      x, y = x[:split_at], None if y is None else y[:split_at]
    batch_size = batch_size or 32
    dataset, num_batches = _stacked_arrays(x, y, batch_size, steps, bool(shuffle))
    odd_batches = int(x.shape[0]) % batch_size != 0
  elif (isinstance(x, tf.data.Dataset) and y is None and batch_size is None
        and not arguments.get('validation_split')):
    cardinality = int(x.cardinality())
    if cardinality < 0 or not _is_batch_spec(x.element_spec):
      return None
    dataset, num_batches = _stacked_dataset(x, steps), cardinality
    # Batches of a static size (`drop_remainder=True`) are all alike.
    odd_batches = tf.nest.flatten(x.element_spec)[0].shape[0] is None
  else:
    return None
  if num_batches == 0:
    return None
  arguments.update(x=dataset, y=None, batch_size=None, shuffle=False, validation_split=0.,
                   steps_per_epoch=num_batches,
                   validation_batch_size=arguments.get('validation_batch_size') or batch_size)
  return arguments, odd_batches


def make_train_function(model, odd_batches=True):
  """The function `fit` calls once per execution: reads a stack, runs its batches.

  Keras calls it with the iterator of `fit_arguments`' dataset and passes
  what it returns (the metrics' results) to the callbacks. The batches of
  the stack's full part run in one `tf.while_loop` (XLA-compiled with
  `model.jit_compile`); with `odd_batches`, a batch of another size (the
  epoch's last, partial one) runs by itself, a second trace and compile of
  the step; without, such a batch stops the step with an error.
  """
  jit_compile = bool(model.jit_compile)

  def train_batches(x, y):
    def body(i):
      labels = None if y is None else model._labels((x[i], y[i]))  # pylint: disable=protected-access
      model._train_batch(model._examples(x[i]), labels)  # pylint: disable=protected-access
      return i + 1

    tf.while_loop(lambda i: i < tf.shape(x)[0], body, [tf.constant(0)])
    return tf.constant(True)

  def train_batch(x, y):
    labels = None if y is None else model._labels((x, y))  # pylint: disable=protected-access
    model._train_batch(model._examples(x), labels)  # pylint: disable=protected-access
    return tf.constant(True)

  # No autograph, as in Keras' step functions: the step's Python stays Python.
  train_batches = tf.function(train_batches, jit_compile=jit_compile, reduce_retracing=True,
                              autograph=False)
  train_batch = tf.function(train_batch, jit_compile=jit_compile, reduce_retracing=True,
                            autograph=False)

  @tf.function(reduce_retracing=True, autograph=False)
  def run_stack(iterator):
    sizes, x, *rest = iterator.get_next()
    y = rest[0] if rest else None
    batch = sizes[0]
    # The leading batches of the first batch's size run in one loop.
    full = tf.reduce_sum(tf.math.cumprod(tf.cast(tf.equal(sizes, batch), tf.int32)))
    stacked = lambda t: tf.reshape(t[:full * batch], _shape_with_leading(t, [full, batch]))
    tf.cond(full > 0,
            lambda: train_batches(stacked(x), None if y is None else stacked(y)),
            lambda: tf.constant(True))
    if not odd_batches:
      tf.debugging.assert_equal(full, tf.size(sizes), message=(
          'a batch of another size than the first in a stack of batches all alike'))
      return model._train_results()  # pylint: disable=protected-access
    # The rest one by one: at most the epoch's last, partial batch for data
    # batched by `fit` or by `Dataset.batch`.
    starts = tf.cumsum(sizes, exclusive=True)

    def one(j):
      part = lambda t: t[starts[j]:starts[j] + sizes[j]]
      train_batch(part(x), None if y is None else part(y))
      return j + 1

    tf.while_loop(lambda j: j < tf.size(sizes), one, [full])
    return model._train_results()  # pylint: disable=protected-access

  def function(iterator):
    return run_stack(iterator)

  function.stacks_batches = True
  function.odd_batches = odd_batches
  return function


def _stacked_arrays(x, y, batch_size, steps, shuffle):
  """A repeating dataset of `(sizes, x[, y])` stacks of `steps` batches; its batches per epoch.

  Each epoch is a permutation (with `shuffle`, a new one per epoch, as
  Keras' own array adapter draws it) cut into batches of `batch_size`, the
  last partial; `steps` consecutive batches make a stack: their examples
  concatenated, with `sizes` the batches' sizes.
  """
  num_examples = int(x.shape[0])
  per_stack = steps * batch_size
  num_full_stacks, rest = divmod(num_examples, per_stack)
  rest_sizes = [batch_size] * (rest // batch_size) + ([rest % batch_size] if rest % batch_size
                                                      else [])
  full_sizes = tf.constant([batch_size] * steps, tf.int32)

  def permutation(_):
    indices = tf.range(num_examples, dtype=tf.int64)
    return tf.random.shuffle(indices) if shuffle else indices

  def stacks(indices):
    full = tf.data.Dataset.from_tensor_slices(
        tf.reshape(indices[:num_full_stacks * per_stack], [num_full_stacks, per_stack]))
    full = full.map(lambda chunk: (full_sizes, chunk))
    if rest:
      last = tf.data.Dataset.from_tensors(
          (tf.constant(rest_sizes, tf.int32), indices[num_full_stacks * per_stack:]))
      full = full.concatenate(last)
    return full

  data = (x,) if y is None else (x, y)
  indices = tf.data.Dataset.range(1).repeat().map(permutation).flat_map(stacks)
  dataset = tf.data.Dataset.zip((indices, tf.data.Dataset.from_tensors(data).repeat()))
  dataset = dataset.map(
      lambda chunk, data: (chunk[0],) + tuple(tf.gather(t, chunk[1]) for t in data))
  options = tf.data.Options()
  options.experimental_optimization.apply_default_optimizations = False
  if shuffle:
    options.experimental_external_state_policy = (
        tf.data.experimental.ExternalStatePolicy.IGNORE)
  num_batches = -(-num_examples // batch_size)
  return dataset.with_options(options).prefetch(1), num_batches


def _stacked_dataset(dataset, steps):
  """A repeating dataset of `(sizes, x[, y])` stacks of `steps` of `dataset`'s batches."""
  def sized(*batch):
    x = batch[0]
    return (tf.shape(x)[0],) + batch

  def flat(sizes, *stack):
    # Padded to the largest batch of the stack: keep each batch's own rows.
    rows = tf.range(tf.shape(stack[0])[1]) < sizes[:, None]
    return (sizes,) + tuple(tf.boolean_mask(t, rows) for t in stack)

  spec = dataset.element_spec
  if not isinstance(spec, tuple):
    dataset = dataset.map(lambda x: (x,))
  stacks = dataset.map(sized).padded_batch(steps).map(flat)
  return stacks.repeat().prefetch(1)


def _shape_with_leading(t, leading):
  """`leading + t.shape[1:]`, static where known."""
  return leading + [d if d is not None else tf.shape(t)[i + 1]
                    for i, d in enumerate(t.shape.as_list()[1:])]


def _is_array(value):
  return isinstance(value, (np.ndarray, tf.Tensor)) and not isinstance(value, tf.RaggedTensor)


def _is_batch_spec(spec):
  """A dataset of batches `x`, `(x,)` or `(x, y)` of dense tensors."""
  parts = spec if isinstance(spec, tuple) else (spec,)
  return (1 <= len(parts) <= 2 and all(isinstance(p, tf.TensorSpec) and p.shape.rank
                                       for p in parts))


def _no_strategy(model):
  """Whether `model` trains outside any `tf.distribute` strategy or Keras distribution."""
  return (not tf.distribute.has_strategy()
          and model.distribute_strategy is tf.distribute.get_strategy()
          and keras.distribution.distribution() is None)
