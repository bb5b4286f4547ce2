"""tfp_rbm against scikit-learn's `BernoulliRBM`, side by side in one run.

Both libraries train a Bernoulli RBM with 16 hidden units on the binarized
8x8 digits that ship with tfp_rbm (1,500 training and 297 test images,
pixels above half intensity are 1) and are scored by the exact test NLL in
nats, log Z enumerated over the 2^16 hidden states: ours by
`model.distribution.log_prob`, scikit-learn's with NumPy from its
`components_`, `intercept_visible_` and `intercept_hidden_`.

Three rows:

- **same settings**: batch 10, 30 epochs, 16 hidden, PCD-1 with one
  persistent chain per example of a batch, plain SGD at scikit-learn's
  learning rate 0.1 (what `BernoulliRBM` does);
- the same settings with our `train_step` run in one XLA-compiled loop per
  epoch instead of `fit` (what `fit`'s per-step machinery costs);
- **defaults**: each library as a user first writes it, 16 hidden units and
  30 epochs given: `BernoulliRBM(n_components=16, n_iter=30)` and
  `FlowModel(64, base={'kind': 'bernoulli_rbm', 'num_hidden': 16},
  flow=None, num_bins=None)` with `compile(optimizer='adam')` and Keras'
  batch of 32.

Our time per epoch leaves out the first epoch (tracing and compiling the
step); scikit-learn has none to leave out. Run
`python benchmarks/sklearn_rbm.py` (`--quick`: 3 epochs); `--ours KEY=VALUE
...` overrides our settings in the defaults comparison (e.g.
`buffer_size=100 num_gibbs_steps=5 learning_rate=1e-2`). Figures:
benchmarks/README.md.
"""

import argparse
import time

import numpy as np
import scipy.special

NUM_HIDDEN = 16


def load_digits():
  """Binarized digits as float32 `[N, 64]`: the train and test splits."""
  from tfp_rbm import datasets  # pylint: disable=g-import-not-at-top
  return [datasets.binarize(datasets.load_numpy('digits', split)).numpy().reshape(-1, 64)
          for split in ('train', 'test')]


def sklearn_nll(rbm, x):
  """Exact mean NLL of `x` under a fitted `sklearn.neural_network.BernoulliRBM`.

  `log p(v) = v.b + sum_j softplus(c_j + v.W_j) - log Z`, and `log Z` sums
  `exp(h.c + sum_i softplus(b_i + (W^T h)_i))` over the 2^16 hidden states.
  """
  weights, visible, hidden = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
  states = ((np.arange(2**NUM_HIDDEN)[:, None] >> np.arange(NUM_HIDDEN)) & 1).astype(np.float64)
  log_z = scipy.special.logsumexp(
      states @ hidden + np.logaddexp(0., states @ weights + visible).sum(axis=1))
  log_unnormalized = x @ visible + np.logaddexp(0., x @ weights.T + hidden).sum(axis=1)
  return float(np.mean(log_z - log_unnormalized))


def run_sklearn(x_train, x_test, epochs, **settings):
  """Fits scikit-learn's RBM; returns (seconds per epoch, test NLL)."""
  from sklearn.neural_network import BernoulliRBM  # pylint: disable=g-import-not-at-top
  rbm = BernoulliRBM(n_components=NUM_HIDDEN, n_iter=epochs, random_state=0, **settings)
  start = time.perf_counter()
  rbm.fit(x_train)
  seconds = time.perf_counter() - start
  return seconds / epochs, sklearn_nll(rbm, x_test)


def run_ours(x_train, x_test, epochs, batch_size, learning_rate, optimizer, model_kwargs,
             steps_per_execution, one_compiled_loop=False):
  """Fits `FlowModel(flow=None)`; returns (seconds per epoch after the first, test NLL).

  With `one_compiled_loop`, each epoch is not `fit` but the model's
  `train_step` in one XLA-compiled `tf.while_loop` over the epoch's batches
  stacked up front: what `fit` could cost without its per-step machinery.
  """
  import keras  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tfp_rbm  # pylint: disable=g-import-not-at-top
  model = tfp_rbm.keras.FlowModel(
      64, base={'kind': 'bernoulli_rbm', 'num_hidden': NUM_HIDDEN}, flow=None, num_bins=None,
      **model_kwargs)
  make = {'sgd': keras.optimizers.SGD, 'adam': keras.optimizers.Adam}[optimizer]
  model.compile(optimizer=make() if learning_rate is None else make(learning_rate),
                steps_per_execution=steps_per_execution)
  if one_compiled_loop:
    num_batches = len(x_train) // batch_size
    batches = tf.constant(x_train[:num_batches * batch_size].reshape(num_batches, batch_size, -1))
    model.optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=True)
    def train_epoch():
      step = lambda i: (model.train_step(batches[i]), i + 1)[1]
      return tf.while_loop(lambda i: i < num_batches, step, [tf.constant(0)])

    run_epochs = lambda count: [train_epoch() for _ in range(count)]
  else:
    run_epochs = lambda count: model.fit(x_train, batch_size=batch_size, epochs=count, verbose=0)
  run_epochs(1)
  start = time.perf_counter()
  if epochs > 1:
    run_epochs(epochs - 1)
  seconds = (time.perf_counter() - start) / max(epochs - 1, 1)
  nll = -float(np.mean(model.distribution.log_prob(x_test)))
  return seconds, nll


def _parse_overrides(pairs):
  overrides = {}
  for pair in pairs:
    key, value = pair.split('=')
    overrides[key] = float(value) if ('.' in value or 'e' in value) else int(value)
  return overrides


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--quick', action='store_true', help='3 epochs instead of 30')
  parser.add_argument('--epochs', type=int, default=30, help='epochs of every run')
  parser.add_argument('--only', choices=['same', 'defaults'], default=None,
                      help='run one comparison only')
  parser.add_argument('--ours', nargs='*', default=[],
                      help='KEY=VALUE overrides of our defaults run (FlowModel arguments, '
                           'learning_rate, batch_size)')
  args = parser.parse_args()
  epochs = 3 if args.quick else args.epochs
  x_train, x_test = load_digits()
  print(f'digits: {len(x_train)} train, {len(x_test)} test, {NUM_HIDDEN} hidden units, '
        f'{epochs} epochs; exact test NLL in nats (log Z over 2^{NUM_HIDDEN} hidden states)')
  rows = []
  if args.only in (None, 'same'):
    steps = len(x_train) // 10
    sk = run_sklearn(x_train, x_test, epochs, batch_size=10, learning_rate=0.1)
    ours = run_ours(x_train, x_test, epochs, batch_size=10, learning_rate=0.1, optimizer='sgd',
                    model_kwargs=dict(buffer_size=10, num_gibbs_steps=1, reset_fraction=0.),
                    steps_per_execution=steps)
    rows.append(('same settings: batch 10, SGD 0.1, PCD-1 on 10 chains', sk, ours))
    fused = run_ours(x_train, x_test, epochs, batch_size=10, learning_rate=0.1, optimizer='sgd',
                     model_kwargs=dict(buffer_size=10, num_gibbs_steps=1, reset_fraction=0.),
                     steps_per_execution=1, one_compiled_loop=True)
    rows.append(('  the same, train_step in one XLA loop per epoch (no fit)', sk, fused))
  if args.only in (None, 'defaults'):
    overrides = _parse_overrides(args.ours)
    learning_rate = overrides.pop('learning_rate', None)
    batch_size = overrides.pop('batch_size', 32)
    sk = run_sklearn(x_train, x_test, epochs)
    ours = run_ours(x_train, x_test, epochs, batch_size=batch_size, learning_rate=learning_rate,
                    optimizer='adam', model_kwargs=overrides,
                    steps_per_execution=-(-len(x_train) // batch_size))
    label = 'defaults: sklearn batch 10 SGD 0.1; ours batch 32 Adam'
    rows.append((label + (f' {overrides}' if overrides else ''), sk, ours))
  print(f'{"comparison":58s} {"sk s/epoch":>10s} {"ours s/epoch":>12s} {"ratio":>6s} '
        f'{"sk NLL":>8s} {"ours NLL":>8s}')
  for label, (sk_time, sk_nll), (our_time, our_nll) in rows:
    print(f'{label:58s} {sk_time:10.4f} {our_time:12.4f} {our_time / sk_time:6.1f} '
          f'{sk_nll:8.2f} {our_nll:8.2f}')


if __name__ == '__main__':
  main()
