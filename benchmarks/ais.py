"""AIS and RAISE bounds on test bits/dim of Gaussian-Bernoulli RBMs inside a flow.

Trains two Gaussian-Bernoulli RBMs on real images (Fashion-MNIST or MNIST
when their files are present, else the 8x8 UCI digits shipped with tfp_rbm;
`--dataset` chooses) by PCD with `tfp_rbm.training.PersistentChains` and the
surrogate loss `mean F(z_data) + rbm.surrogate_log_normalizer(chains)`, one
with 20 hidden units (log Z enumerable) and one with 512. Each sits inside a
fixed flow, `x = sigmoid(mean + std * z)` reshaped to the image shape (the
standardizing logit pre-processing). For 1,000 and 10,000 temperatures it prints the AIS log Z
with its 3-standard-error spread (100 chains), test bits/dim from AIS and
from RAISE (one reverse chain per test image), their gap and the wall time;
EB-and-Flow's Table 1 reports the two bounds 0.0001 bits/dim apart at 1,000
steps on MNIST. ESS is the effective number of AIS chains (of 100): when it
is a handful, the annealing path is too fast for the model, AIS's log Z is
unreliable and RAISE (the annealed model's log-likelihood) need not lie
below the exact value. The path starts from independent Gaussians with the
training latents' mean and standard deviation (`rbm.proposal`);
`--base model` starts it from the model's own visible bias and scale, for
comparison. For the 20-unit model, whose `p(h)` can be enumerated, it also
prints RAISE's error against the exact log p on exact samples of the RBM
(where it must be negative on average: RAISE bounds the annealed model,
which cannot beat the RBM on the RBM's own samples) and on the test latents
(where it can be positive: the annealed model may put more mass near the
data than the RBM does, which is what inverts the bracket).

    python benchmarks/ais.py                    # Fashion-MNIST if present, else digits
    python benchmarks/ais.py --dataset digits   # about 10 minutes on 2 CPU cores
    python benchmarks/ais.py --quick            # smaller: a smoke run
    python benchmarks/ais.py --throughput       # annealing steps/s against the floor

`--throughput` measures speed only, on an untrained 784x512
Gaussian-Bernoulli RBM (W ~ N(0, 0.01^2)): AIS with 100 and 1,000 chains and
RAISE over 100 and 1,000 test points at once (one reverse chain each), as
annealing steps (temperatures) per second, against the floor of two bare
matrix products per step of the same shapes in one XLA loop (one Gibbs
sweep's: `annealing_step` computes `W^T v` once for the free energies at
both temperatures and for the sweep's hidden layer).
"""

import argparse
import os
import time

import numpy as np
import tensorflow as tf
from tensorflow_probability.python.bijectors import chain
from tensorflow_probability.python.bijectors import reshape
from tensorflow_probability.python.bijectors import scale
from tensorflow_probability.python.bijectors import shift
from tensorflow_probability.python.bijectors import sigmoid
from tensorflow_probability.python.distributions import transformed_distribution

from tfp_rbm import datasets
from tfp_rbm import evaluation
from tfp_rbm.distributions import GaussianBernoulliRBM
from tfp_rbm.training import PersistentChains

import device_option  # benchmarks/device_option.py: the --device option


def standardizing_flow(dequantized):
  """`x = sigmoid(mean + std * z)` as images, fit to dequantized train images."""
  image_shape = list(dequantized.shape[1:])
  x = dequantized.reshape(len(dequantized), -1)
  logits = np.log(x) - np.log1p(-x)
  mean, std = logits.mean(0), logits.std(0)
  bijector = chain.Chain([reshape.Reshape(image_shape, [x.shape[-1]]), sigmoid.Sigmoid(),
                          shift.Shift(mean), scale.Scale(std)])
  return bijector


def train_rbm(latents, num_hidden, num_steps, seed):
  """PCD training of a unit-scale Gaussian-Bernoulli RBM on standardized latents."""
  rng = np.random.default_rng(seed)
  num_visible = latents.shape[-1]
  rbm = GaussianBernoulliRBM(
      weights=tf.Variable(rng.normal(0., 0.01, [num_visible, num_hidden])),
      visible_bias=tf.Variable(np.zeros(num_visible)),
      hidden_bias=tf.Variable(np.zeros(num_hidden)),
      scale=np.ones(num_visible))
  chains = PersistentChains(rbm, buffer_size=1000, num_gibbs_steps=5, seed=seed)
  optimizer = tf.keras.optimizers.Adam(1e-3)
  variables = rbm.trainable_variables

  @tf.function
  def step(batch):
    negative = chains.advance(rbm, num_chains=100)
    with tf.GradientTape() as tape:
      loss = (tf.reduce_mean(rbm.free_energy(batch))
              + rbm.surrogate_log_normalizer(negative))
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

  for _ in range(num_steps):
    step(tf.constant(latents[rng.integers(len(latents), size=100)]))
  return rbm


def report(name, flow, test_pixels, num_temperatures, schedule, proposal, seed):
  start = time.perf_counter()
  result = evaluation.evaluate_flow(
      flow, test_pixels, num_chains=100, num_chains_per_point=1,
      betas=num_temperatures, schedule=schedule, proposal=proposal,
      batch_size=len(test_pixels), seed=seed)
  wall = time.perf_counter() - start
  log_z = result.log_normalizer
  exact = ('' if result.bits_per_dim_exact is None
           else f'{result.bits_per_dim_exact:.5f}')
  print(f'{name:>10} {num_temperatures:>6} '
        f'{float(log_z.log_normalizer):10.3f} '
        f'[{float(log_z.lower):9.3f}, {float(log_z.upper):9.3f}] '
        f'{result.bits_per_dim_ais:9.5f} {result.bits_per_dim_raise:9.5f} '
        f'{result.gap:+9.5f} {exact:>9} {float(log_z.effective_sample_size):5.1f} '
        f'{wall:7.1f}', flush=True)


EXACT_SAMPLE_MAX_HIDDEN = 20


def exact_samples(rbm, num_samples, seed):
  """Exact draws `v ~ p(v)` of a unit-scale Gaussian-Bernoulli RBM with few hidden units.

  `p(h)` is enumerated (`log p*(h) = c.h + (b.a + |a|^2 / 2)`, `a = W h`) and
  drawn from; then `v ~ N(b + W h, I)`.
  """
  w, b, c = (np.asarray(t) for t in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
  num_hidden = w.shape[1]
  states = ((np.arange(2 ** num_hidden)[:, None] >> np.arange(num_hidden)) & 1).astype(w.dtype)
  log_weights = np.concatenate([
      chunk @ c + np.sum(b * (chunk @ w.T) + (chunk @ w.T) ** 2 / 2., axis=1)
      for chunk in np.array_split(states, max(1, len(states) // 65536))])
  probs = np.exp(log_weights - log_weights.max())
  probs /= probs.sum()
  rng = np.random.default_rng(seed)
  hidden = states[rng.choice(len(states), size=num_samples, p=probs)]
  return hidden @ w.T + b + rng.normal(size=[num_samples, w.shape[0]]), probs.max()


def raise_on_exact_samples(rbm, bijector, test_pixels, temperatures, schedule,
                           proposal, seed):
  """RAISE minus exact log p on exact model samples and on the test latents, in nats.

  RAISE bounds the annealed model `p_ann` from below. On points drawn from
  the RBM itself, `E[log p_ann] <= E[log p]`, so the mean must come out
  negative; on test data it need not, when `p_ann` (the unweighted end of
  the annealed chains) puts more mass near the data than the RBM does.
  """
  samples, top_mass = exact_samples(rbm, len(test_pixels), seed[0])
  dequantized = (test_pixels + np.random.default_rng(seed[1]).random(test_pixels.shape)) / 256.
  test_latents = bijector.inverse(dequantized).numpy().reshape(len(test_pixels), -1)
  log_z = rbm.exact_log_normalizer()
  print(f'RAISE - exact log p (nats, mean +- s.e.; 1 chain per point); the most probable '
        f'hidden state holds {top_mass:.3f} of p(h):')
  for num_temperatures in temperatures:
    figures = []
    for points in (samples, test_latents):
      error = (evaluation.raise_log_prob(rbm, points, num_chains_per_point=1,
                                         betas=num_temperatures, schedule=schedule,
                                         proposal=proposal, seed=seed).numpy()
               - (rbm.unnormalized_log_prob(points) - log_z).numpy())
      figures.append(f'{error.mean():+8.2f} +- {error.std() / np.sqrt(len(error)):.2f}')
    print(f'{num_temperatures:>17} temperatures: exact samples {figures[0]}, '
          f'test latents {figures[1]}', flush=True)


def _two_product_floor(weights, num_rows, num_steps):
  """Seconds of `num_steps` x ([n, D] x [D, H], [n, H] x [H, D]) in one XLA loop."""
  start_rows = tf.constant(np.random.default_rng(5).random(
      (num_rows, weights.shape[0]), np.float32))

  @tf.function(jit_compile=True, autograph=False)
  def loop(v, n):
    def body(i, v):  # `+ start_rows` keeps the values out of denormals.
      return i + 1, tf.matmul(tf.matmul(v, weights), weights, transpose_b=True) + start_rows
    return tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), v))[1]

  loop(start_rows, tf.constant(1)).numpy()
  start = time.perf_counter()
  loop(start_rows, tf.constant(num_steps)).numpy()
  return time.perf_counter() - start


def throughput(num_temperatures):
  """Prints AIS and RAISE annealing steps per second against the two-product floor."""
  rng = np.random.default_rng(0)
  visible, hidden = 784, 512
  weights = tf.constant((0.01 * rng.standard_normal((visible, hidden))).astype(np.float32))
  rbm = GaussianBernoulliRBM(weights, tf.zeros([visible]), tf.zeros([hidden]),
                             tf.ones([visible]))
  print(f'GaussianBernoulliRBM {visible}x{hidden}, float32, {num_temperatures} '
        'temperatures; steps/s = temperatures per second over all chains; floor = two '
        'bare matmuls per step of the same shapes (XLA), timed just before and just after '
        'the run and averaged; one warm-up call each first.')
  print(f'load: {" ".join(f"{x:.2f}" for x in os.getloadavg())} (1/5/15-min load average '
        'at the start)')
  print(f'{"estimator":<9} {"rows":>6} {"steps/s":>9} {"floor":>9} {"/floor":>7} {"wall s":>7}')
  for method, rows in (('AIS', 100), ('AIS', 1000), ('RAISE', 100), ('RAISE', 1000)):
    points = tf.constant(rng.standard_normal((rows, visible)).astype(np.float32))
    if method == 'AIS':
      run = lambda seed, n=rows: evaluation.log_normalizer(
          rbm, method='ais', num_chains=n, betas=num_temperatures, seed=seed).log_normalizer
    else:
      run = lambda seed, x=points: evaluation.raise_log_prob(
          rbm, x, num_chains_per_point=1, betas=num_temperatures, seed=seed)
    np.asarray(run((0, 1)))
    # The floor just before and just after the run, averaged: the machine's
    # load drifts less between adjacent measurements.
    floor_before = _two_product_floor(weights, rows, num_temperatures)
    start = time.perf_counter()
    np.asarray(run((0, 2)))
    seconds = time.perf_counter() - start
    floor = (floor_before + _two_product_floor(weights, rows, num_temperatures)) / 2.
    print(f'{method:<9} {rows:>6} {num_temperatures / seconds:>9.1f} '
          f'{num_temperatures / floor:>9.1f} {seconds / floor:>6.2f}x {seconds:>7.2f}',
          flush=True)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='fewer training steps, 100 and 1,000 temperatures')
  parser.add_argument('--dataset', default=None, choices=list(datasets.NAMES),
                      help='default: fashion_mnist, else mnist, else the shipped digits')
  parser.add_argument('--data-dir', default=None)
  parser.add_argument('--schedule', default='linear', choices=['linear', 'sigmoid'],
                      help='temperature spacing (sigmoid: denser near both ends)')
  parser.add_argument('--base', default='data', choices=['data', 'model'],
                      help="the beta = 0 machine's visible bias: fit to the training latents "
                           "(`rbm.proposal`, default) or the model's own")
  parser.add_argument('--hidden', type=int, nargs='+', default=[20, 512],
                      help='hidden units of the RBMs trained (default 20 512)')
  parser.add_argument('--throughput', action='store_true',
                      help='speed only: AIS and RAISE steps/s against the matmul floor')
  device_option.add_device_argument(parser)
  args = parser.parse_args()
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    if args.throughput:
      throughput(100 if args.quick else 1000)
      return
    train_steps, temperatures, num_test = ((300, (100, 1000), 50) if args.quick
                                           else (2000, (1000, 10000), 100))
    name = args.dataset or datasets.first_available(['fashion_mnist', 'mnist', 'digits'],
                                                    args.data_dir)
    train_pixels = datasets.load_numpy(name, split='train', data_dir=args.data_dir)
    test_pixels = datasets.load_numpy(name, split='test', data_dir=args.data_dir)[:num_test]
    rng = np.random.default_rng(0)
    dequantized = (train_pixels + rng.random(train_pixels.shape)) / 256.
    bijector = standardizing_flow(dequantized)
    latents = bijector.inverse(dequantized).numpy()

    print(f'{name} {list(train_pixels.shape[1:])}: {len(train_pixels)} train / '
          f'{len(test_pixels)} test images, {train_steps} PCD steps; AIS 100 chains, '
          f'RAISE 1 chain per test image; {args.schedule} schedule, annealing base from the '
          f"{'training latents' if args.base == 'data' else 'model'}")
    print(f'{"hidden":>10} {"betas":>6} {"AIS log Z":>10} {"[-3 SE, +3 SE]":>21} '
          f'{"b/d AIS":>9} {"b/d RAISE":>9} {"gap":>9} {"b/d exact":>9} {"ESS":>5} '
          f'{"wall s":>7}')
    for num_hidden in args.hidden:
      start = time.perf_counter()
      rbm = train_rbm(latents, num_hidden, train_steps, seed=num_hidden)
      print(f'(trained {num_hidden} hidden units in {time.perf_counter() - start:.0f} s)',
            flush=True)
      flow = transformed_distribution.TransformedDistribution(rbm, bijector)
      proposal = rbm.fit_proposal(latents) if args.base == 'data' else None
      for num_temperatures in temperatures:
        report(num_hidden, flow, test_pixels, num_temperatures, args.schedule, proposal,
               seed=(num_hidden, 1))
      if num_hidden <= EXACT_SAMPLE_MAX_HIDDEN:
        raise_on_exact_samples(rbm, bijector, test_pixels, temperatures, args.schedule,
                               proposal, seed=(num_hidden, 2))


if __name__ == '__main__':
  main()
