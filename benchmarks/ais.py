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
below the exact value. `--base model` starts the path from the model's own
visible bias instead of the training latents' mean, for comparison.

    python benchmarks/ais.py                    # Fashion-MNIST if present, else digits
    python benchmarks/ais.py --dataset digits   # about 10 minutes on 2 CPU cores
    python benchmarks/ais.py --quick            # smaller: a smoke run
"""

import argparse
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


def report(name, flow, test_pixels, num_temperatures, schedule, base_bias, seed):
  start = time.perf_counter()
  result = evaluation.evaluate_flow(
      flow, test_pixels, num_chains=100, num_chains_per_point=1,
      betas=num_temperatures, schedule=schedule, base_bias=base_bias,
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
                           "(`rbm.annealing_base_bias`, default) or the model's own")
  parser.add_argument('--hidden', type=int, nargs='+', default=[20, 512],
                      help='hidden units of the RBMs trained (default 20 512)')
  args = parser.parse_args()
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
        f'RAISE 1 chain per test image; {args.schedule} schedule, base bias from the '
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
    base_bias = rbm.annealing_base_bias(latents) if args.base == 'data' else None
    for num_temperatures in temperatures:
      report(num_hidden, flow, test_pixels, num_temperatures, args.schedule, base_bias,
             seed=(num_hidden, 1))


if __name__ == '__main__':
  main()
