"""Benchmark: the Gaussian-smoothed RBM against a full-covariance Gaussian base.

For SmoothedRBMs with N = 784 and N = 3072 spins in two equal groups
(float32, W ~ N(0, 0.01^2), field ~ N(0, 0.1^2), delta = ||W||_2 + 1), prints
side by side with a `tfd.MultivariateNormalTriL` of the same size and the
same covariance as the smoothing (the MultiCov-Flow ablation base):

  * log_prob, batch of 128, with a supplied log Z (the cost per flow step
    once log Z is known) -- target: within 2x of MultivariateNormalTriL;
  * log_prob plus log det (J + delta I), i.e. recomputing the normalizing
    terms as training does when the parameters change;
  * both again with `margin` instead of `delta` (delta = B(W) +
    softplus(margin), the parameterization training uses): the certified
    spectral-norm bound B(W) >= ||W||_2 on top, seven products of
    N/2 x N/2 matrices per call;
  * sampling 1,000 points: block-Gibbs sweeps over the spins then the
    smoothing, and the smoothing alone from given spins (`smooth`);
  * the Cholesky: the smaller group's Schur complement (what SmoothedRBM
    factors) against a dense Cholesky of the N x N precision.

Every timed function is a `tf.function` graph: on CPU, XLA expands the
triangular solves of both log_probs into slow loops (2.5 s for the
MultivariateNormalTriL's batch of 128 at N = 784), so `--xla` is opt-in.
The Gibbs sweeps inside `sample` are XLA-compiled either way (`run_gibbs`).
Times are the median of --repeats calls after one warm-up call.

Usage:
  python benchmarks/smoothed.py            # N = 784 and 3072
  python benchmarks/smoothed.py --quick    # N = 64 and 256, 1 repeat, seconds
"""

import argparse
import os
import statistics
import time

import numpy as np

import device_option  # benchmarks/device_option.py: the --device option

LOG_PROB_BATCH = 128
NUM_SAMPLES = 1000


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--quick', action='store_true',
                      help='N = 64 and 256, 1 repeat, 10 Gibbs sweeps: a smoke test')
  parser.add_argument('--sizes', type=int, nargs='+', default=None,
                      help='numbers of spins N, each even (default 784 3072)')
  parser.add_argument('--repeats', type=int, default=None,
                      help='timed calls per measurement, median reported (default 3)')
  parser.add_argument('--xla', action='store_true',
                      help='XLA-compile the timed functions (jit_compile=True)')
  parser.add_argument('--gibbs-steps', type=int, default=None,
                      help='block-Gibbs sweeps per sampling call (default 25)')
  device_option.add_device_argument(parser)
  args = parser.parse_args(argv)
  if args.sizes is None:
    args.sizes = [64, 256] if args.quick else [784, 3072]
  if args.repeats is None:
    args.repeats = 1 if args.quick else 3
  if args.gibbs_steps is None:
    args.gibbs_steps = 10 if args.quick else 25
  if any(n % 2 for n in args.sizes):
    parser.error('--sizes must be even (two equal groups).')
  return args


def _median_seconds(fn, repeats):
  fn()  # warm-up: trace and compile
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def _models(num_spins):
  """SmoothedRBMs from `delta` and from `margin` (`delta` equal within 1e-3), and the Gaussian.

  The Gaussian is the MultivariateNormalTriL with the smoothing's covariance.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  from tfp_rbm.distributions import SmoothedRBM  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(num_spins)
  half = num_spins // 2
  w = rng.normal(size=[half, half]) * 0.01
  delta = np.linalg.norm(w, ord=2) + 1.
  precision = np.block([[delta * np.eye(half), w], [w.T, delta * np.eye(half)]])
  scale_tril = np.linalg.cholesky(np.linalg.inv(precision))
  smoothed = SmoothedRBM(
      tf.constant(w, tf.float32), tf.constant(rng.normal(size=[num_spins]) * 0.1, tf.float32),
      tf.constant(delta, tf.float32), log_normalizer=tf.constant(0., tf.float32))
  with_margin = smoothed.copy(delta=None, margin=tf.constant(np.log(np.expm1(1.)), tf.float32))
  gaussian = tfp.distributions.MultivariateNormalTriL(
      loc=tf.zeros([num_spins]), scale_tril=tf.constant(scale_tril, tf.float32))
  return smoothed, with_margin, gaussian, tf.constant(precision, tf.float32)


def benchmark_size(num_spins, repeats, gibbs_steps, xla):
  """Rows `(quantity, unit, tfp_rbm value, baseline value, tfp_rbm/baseline time)`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  smoothed, with_margin, gaussian, precision = _models(num_spins)
  z = tf.constant(np.random.default_rng(1).normal(size=[LOG_PROB_BATCH, num_spins]),
                  tf.float32)
  spins = smoothed.initial_chain_state(NUM_SAMPLES, seed=(0, 1))
  compiled = lambda f: tf.function(f, jit_compile=xla, autograph=False)

  smoothed_log_prob = compiled(lambda d, x: d.log_prob(x))
  smoothed_log_prob_and_log_det = compiled(
      lambda d, x: d.unnormalized_log_prob(x) - d.log_normalizer_from_chain(0.))
  gaussian_log_prob = compiled(lambda d, x: d.log_prob(x))
  smoothed_sample = compiled(
      lambda d: d.sample(NUM_SAMPLES, seed=(1, 2), num_steps=gibbs_steps))
  smoothed_smooth = compiled(lambda d, s: d.smooth(s, seed=(1, 3)))
  gaussian_sample = compiled(lambda d: d.sample(NUM_SAMPLES, seed=(1, 4)))
  schur_cholesky = compiled(lambda d: d.log_det_precision())
  dense_cholesky = compiled(tf.linalg.cholesky)

  def seconds(fn, *args):
    return _median_seconds(lambda: fn(*args).numpy(), repeats)

  t_gaussian_lp = seconds(gaussian_log_prob, gaussian, z)
  t_gaussian_sample = seconds(gaussian_sample, gaussian)
  rows = []
  for quantity, t_tfp, t_base, count in (
      (f'log_prob, batch {LOG_PROB_BATCH}', seconds(smoothed_log_prob, smoothed, z),
       t_gaussian_lp, LOG_PROB_BATCH),
      (f'log_prob + log det, batch {LOG_PROB_BATCH}',
       seconds(smoothed_log_prob_and_log_det, smoothed, z), t_gaussian_lp, LOG_PROB_BATCH),
      (f'margin: log_prob, batch {LOG_PROB_BATCH}',
       seconds(smoothed_log_prob, with_margin, z), t_gaussian_lp, LOG_PROB_BATCH),
      (f'margin: log_prob + log det, batch {LOG_PROB_BATCH}',
       seconds(smoothed_log_prob_and_log_det, with_margin, z), t_gaussian_lp, LOG_PROB_BATCH),
      (f'sample {NUM_SAMPLES} ({gibbs_steps} Gibbs sweeps)', seconds(smoothed_sample, smoothed),
       t_gaussian_sample, NUM_SAMPLES),
      (f'smooth {NUM_SAMPLES} given spins', seconds(smoothed_smooth, smoothed, spins),
       t_gaussian_sample, NUM_SAMPLES)):
    rows.append((quantity, 'points/s', count / t_tfp, count / t_base, t_tfp / t_base))
  t_schur = seconds(schur_cholesky, smoothed)
  t_dense = seconds(dense_cholesky, precision)
  rows.append((f'Cholesky: Schur {num_spins // 2}^2 vs dense {num_spins}^2', 'ms',
               1e3 * t_schur, 1e3 * t_dense, t_schur / t_dense))
  return rows


def main(argv=None):
  args = _parse_args(argv)
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
    tf.get_logger().setLevel('ERROR')
    print('SmoothedRBM vs MultivariateNormalTriL' + (' (--quick)' if args.quick else ''))
    print(f'software: TF {tf.__version__}, TFP {tfp.__version__}; '
          f'{len(os.sched_getaffinity(0))} usable CPUs; load {os.getloadavg()[0]:.2f}; '
          f'devices {[d.device_type for d in tf.config.list_physical_devices()]}')
    print(f'float32, {"XLA" if args.xla else "tf.function graphs"}; median of {args.repeats} '
          'call(s) after a warm-up. '
          'ratio = tfp_rbm time / baseline time (log_prob target <= 2).')
    print('baseline: MultivariateNormalTriL log_prob / sample; for the Cholesky row, a dense '
          'tf.linalg.cholesky of J + delta I.')
    print()
    header = (f'{"N":>5}  {"quantity":<38} {"unit":<8} {"tfp_rbm":>11} {"baseline":>11} '
              f'{"ratio":>6}')
    print(header)
    print('-' * len(header))
    for num_spins in args.sizes:
      for quantity, unit, ours, baseline, ratio in benchmark_size(
          num_spins, args.repeats, args.gibbs_steps, args.xla):
        print(f'{num_spins:>5}  {quantity:<38} {unit:<8} {ours:>11.4g} {baseline:>11.4g} '
              f'{ratio:>6.2f}')


if __name__ == '__main__':
  main()
