"""tfp_rbm against scikit-learn's `BernoulliRBM`, side by side in one run.

Both libraries train a Bernoulli RBM with 16 hidden units on the binarized
8x8 digits that ship with tfp_rbm (1,500 training and 297 test images,
pixels above half intensity are 1) and are scored by the exact test NLL in
nats, log Z enumerated over the 2^16 hidden states: ours by
`model.distribution.log_prob`, scikit-learn's with NumPy from its
`components_`, `intercept_visible_` and `intercept_hidden_`.

The rows:

- **same settings**: batch 10, 30 epochs, 16 hidden, PCD-1 with one
  persistent chain per example of a batch, plain SGD at scikit-learn's
  learning rate 0.1 (what `BernoulliRBM` does); our `fit` with
  `steps_per_execution=150`, one execution per epoch (the 150 batches
  stacked, one call of the step: `tfp_rbm.keras.stacked_steps`), Keras'
  `jit_compile='auto'` (no XLA on a CPU);
  `fit`'s automatic schedule leaves the training `bits_per_dim` to
  `evaluate` here (one log Z over 2^16 states costs 50-100 of
  these steps; scikit-learn computes no likelihood while it trains either);
- the same with `bits_per_dim` in `fit` every 100th step and each epoch's
  first (`training_bits_per_dim_interval=100`), with `jit_compile=True`,
  and with both;
- **defaults**: each library as a user first writes it, 16 hidden units and
  30 epochs given: `BernoulliRBM(n_components=16, n_iter=30)` and
  `FlowModel(64, base={'kind': 'bernoulli_rbm', 'num_hidden': 16},
  flow=None, num_bins=None)` with `compile(optimizer='adam')` and Keras'
  batch of 32.

Both times are medians per epoch, measured interleaved: after each of our
epochs one epoch of scikit-learn (`n_iter=1` from scratch) is timed, so
that both see the same load (the machine's load average is printed). Our
first epoch (tracing and compiling the step) is left out; scikit-learn has
none to leave out. The NLLs are after all epochs (scikit-learn's from one
`n_iter=epochs` fit). Run
`python benchmarks/sklearn_rbm.py` (`--quick`: 3 epochs); `--ours KEY=VALUE
...` overrides our settings in the defaults comparison (e.g.
`buffer_size=100 num_gibbs_steps=5 learning_rate=1e-2`). Figures:
benchmarks/README.md.
"""

import argparse
import os
import time

import numpy as np
import scipy.special

import device_option  # benchmarks/device_option.py: the --device option

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
  """Fits scikit-learn's RBM for `epochs`; returns its test NLL."""
  from sklearn.neural_network import BernoulliRBM  # pylint: disable=g-import-not-at-top
  rbm = BernoulliRBM(n_components=NUM_HIDDEN, n_iter=epochs, random_state=0, **settings)
  rbm.fit(x_train)
  return sklearn_nll(rbm, x_test)


def sklearn_epoch_seconds(x_train, **settings):
  """Seconds of one scikit-learn epoch (`n_iter=1`, from scratch)."""
  from sklearn.neural_network import BernoulliRBM  # pylint: disable=g-import-not-at-top
  rbm = BernoulliRBM(n_components=NUM_HIDDEN, n_iter=1, random_state=0, **settings)
  start = time.perf_counter()
  rbm.fit(x_train)
  return time.perf_counter() - start


def run_ours(x_train, x_test, epochs, batch_size, learning_rate, optimizer, model_kwargs,
             steps_per_execution, sklearn_settings, jit_compile='auto'):
  """Fits `FlowModel(flow=None)`, one scikit-learn epoch timed after each of ours.

  Returns:
    (scikit-learn's median seconds per epoch, ours after the first, our test NLL).
  """
  import keras  # pylint: disable=g-import-not-at-top
  import tfp_rbm  # pylint: disable=g-import-not-at-top
  model = tfp_rbm.keras.FlowModel(
      64, base={'kind': 'bernoulli_rbm', 'num_hidden': NUM_HIDDEN}, flow=None, num_bins=None,
      **model_kwargs)
  make = {'sgd': keras.optimizers.SGD, 'adam': keras.optimizers.Adam}[optimizer]
  model.compile(optimizer=make() if learning_rate is None else make(learning_rate),
                steps_per_execution=steps_per_execution, jit_compile=jit_compile)
  ours, theirs = [], []

  class Interleaved(keras.callbacks.Callback):

    def on_epoch_begin(self, epoch, logs=None):
      self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
      ours.append(time.perf_counter() - self.start)
      theirs.append(sklearn_epoch_seconds(x_train, **sklearn_settings))

  model.fit(x_train, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[Interleaved()])
  nll = -float(np.mean(model.distribution.log_prob(x_test)))
  later = slice(1, None) if epochs > 1 else slice(None)
  return float(np.median(theirs[later])), float(np.median(ours[later])), nll


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
  device_option.add_device_argument(parser)
  args = parser.parse_args()
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    epochs = 3 if args.quick else args.epochs
    x_train, x_test = load_digits()
    print(f'digits: {len(x_train)} train, {len(x_test)} test, {NUM_HIDDEN} hidden units, '
          f'{epochs} epochs; exact test NLL in nats (log Z over 2^{NUM_HIDDEN} hidden states)')
    print(f'load average at the start: {" ".join(f"{v:.2f}" for v in os.getloadavg())}')
    rows = []
    if args.only in (None, 'same'):
      same = dict(batch_size=10, learning_rate=0.1)
      sk_nll = run_sklearn(x_train, x_test, epochs, **same)
      chains = dict(buffer_size=10, num_gibbs_steps=1, reset_fraction=0.)
      every_100 = {'training_bits_per_dim_interval': 100}
      variants = [('same settings: batch 10, SGD 0.1, PCD-1 on 10 chains', {}, 'auto'),
                  ('  the same, bits_per_dim in fit every 100th step', every_100, 'auto'),
                  ('  the same, jit_compile=True', {}, True),
                  ('  the same, jit_compile=True, bits_per_dim every 100th step', every_100,
                   True)]
      for label, extra, jit_compile in variants:
        sk_time, our_time, our_nll = run_ours(
            x_train, x_test, epochs, batch_size=10, learning_rate=0.1, optimizer='sgd',
            model_kwargs={**chains, **extra}, steps_per_execution=len(x_train) // 10,
            sklearn_settings=same, jit_compile=jit_compile)
        rows.append((label, sk_time, sk_nll, our_time, our_nll))
    if args.only in (None, 'defaults'):
      overrides = _parse_overrides(args.ours)
      learning_rate = overrides.pop('learning_rate', None)
      batch_size = overrides.pop('batch_size', 32)
      sk_nll = run_sklearn(x_train, x_test, epochs)
      sk_time, our_time, our_nll = run_ours(
          x_train, x_test, epochs, batch_size=batch_size, learning_rate=learning_rate,
          optimizer='adam', model_kwargs=overrides,
          steps_per_execution=-(-len(x_train) // batch_size), sklearn_settings={})
      label = 'defaults: sklearn batch 10 SGD 0.1; ours batch 32 Adam'
      rows.append((label + (f' {overrides}' if overrides else ''), sk_time, sk_nll, our_time,
                   our_nll))
    print(f'load average at the end: {" ".join(f"{v:.2f}" for v in os.getloadavg())}')
    print(f'{"comparison":58s} {"sk s/epoch":>10s} {"ours s/epoch":>12s} {"ratio":>6s} '
          f'{"sk NLL":>8s} {"ours NLL":>8s}')
    for label, sk_time, sk_nll, our_time, our_nll in rows:
      print(f'{label:58s} {sk_time:10.4f} {our_time:12.4f} {our_time / sk_time:6.1f} '
            f'{sk_nll:8.2f} {our_nll:8.2f}')


if __name__ == '__main__':
  main()
