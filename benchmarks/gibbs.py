"""Benchmark: block-Gibbs throughput of tfp_rbm's RBMs, and exact log Z cost.

For a 784x512 BernoulliRBM and GaussianBernoulliRBM (float32, weights
~ N(0, 0.01^2), zero biases, unit scale) with 128 and 10,000 chains and 25
Gibbs steps, prints side by side:

  * tfp_rbm     -- `tfp_rbm.mcmc.run_gibbs` (XLA), median over repeats after
                   a warm-up call that compiles;
  * numpy       -- the same block-Gibbs step in plain NumPy (float32,
                   `np.random.default_rng`);
  * floor       -- just the two bare matmuls per step ([n,784]x[784,512] and
                   [n,512]x[512,784]) in an XLA-compiled TF loop of 25 steps,
                   each product feeding the next so nothing is elided;
  * tfp/floor   -- tfp_rbm time / floor time (target <= 1.2). The
                   Gaussian-Bernoulli RBM integrates its visible layer out
                   between sweeps when that saves more products than its QR
                   costs (10,000 chains, not 128): the same law with
                   [n,512]x[512,512] products, so it can beat this floor;
  * vs numpy    -- tfp_rbm speed-up over NumPy (target > 1).

Then the shared convolutional Gaussian-Bernoulli RBM of EB-and-Flow's
CIFAR-10 model (App. B: latents 16x16x6, 8x8x12, 4x4x48; filters 5x5 stride
4, 3x3 stride 2, 3x3 stride 1; 100 filters onto a 4x4x100 hidden map) against
its floor (the bare convolutions and transposed convolutions of a sweep in
the same XLA loop) and against the dense GaussianBernoulliRBM of the same
sizes (3072 visible, 1600 hidden units; its floor, the two bare matmuls).

Then the wall time and peak memory of `exact_log_normalizer()` for a
784x20 GaussianBernoulliRBM (2^20 hidden states), measured in a fresh child
process so that the RSS high-water mark is not inflated by the Gibbs runs.

Usage:
  python benchmarks/gibbs.py            # full run (a few minutes on 2 cores)
  python benchmarks/gibbs.py --quick    # small sizes, seconds
"""

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import device_option  # benchmarks/device_option.py: the --device option

NUM_VISIBLE = 784
NUM_HIDDEN = 512
WEIGHT_STDDEV = 0.01


def _parse_args(argv=None):
  parser = argparse.ArgumentParser(
      description=__doc__.split('\n\n')[0],
      formatter_class=argparse.RawDescriptionHelpFormatter,
      epilog='Timings are wall-clock medians over --repeats runs.')
  parser.add_argument('--quick', action='store_true',
                      help='small sizes (8 and 256 chains, 5 steps, 1 repeat, '
                           '2^14 hidden states for log Z) for a smoke test')
  parser.add_argument('--repeats', type=int, default=None,
                      help='timed repeats per measurement, median reported '
                           '(default 3; 1 with --quick)')
  parser.add_argument('--large-repeats', type=int, default=1,
                      help='timed repeats when chains > 1000 (default %(default)s, to '
                           'keep the full run to a few minutes on 2 cores)')
  parser.add_argument('--steps', type=int, default=None,
                      help='Gibbs steps per timed run (default 25; 5 with --quick)')
  parser.add_argument('--chains', type=int, nargs='+', default=None,
                      help='numbers of chains (default 128 10000)')
  parser.add_argument('--numpy-max-work', type=float, default=128 * 25,
                      help='NumPy is timed over all steps when chains*steps is at '
                           'most this (default %(default)s), else over '
                           '--numpy-steps-large steps and extrapolated')
  parser.add_argument('--numpy-steps-large', type=int, default=5,
                      help='Gibbs steps timed for NumPy above --numpy-max-work '
                           '(default %(default)s)')
  parser.add_argument('--logz-hidden', type=int, default=None,
                      help='hidden units of the GaussianBernoulliRBM for exact log Z '
                           '(default 20; 14 with --quick)')
  parser.add_argument('--skip-diagnosis', action='store_true',
                      help='skip the per-piece timing (matmuls, RNG, sigmoid)')
  parser.add_argument('--skip-logz', action='store_true', help='skip the log Z part')
  parser.add_argument('--skip-convolutional', action='store_true',
                      help='skip the convolutional machine (CIFAR-10 latent shapes)')
  parser.add_argument('--conv-chains', type=int, nargs='+', default=None,
                      help='chains for the convolutional comparison (default 128 1000; '
                           '8 with --quick)')
  parser.add_argument('--_logz-child', dest='logz_child', type=int, default=None,
                      help=argparse.SUPPRESS)
  device_option.add_device_argument(parser)
  args = parser.parse_args(argv)
  if args.repeats is None:
    args.repeats = 1 if args.quick else 3
  if args.steps is None:
    args.steps = 5 if args.quick else 25
  if args.chains is None:
    args.chains = [8, 256] if args.quick else [128, 10000]
  if args.logz_hidden is None:
    args.logz_hidden = 14 if args.quick else 20
  if args.conv_chains is None:
    args.conv_chains = [8] if args.quick else [128, 1000]
  return args


# -- Machine ---------------------------------------------------------------


def _cpu_model():
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('model name'):
          return line.split(':', 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or 'unknown'


def _usable_cpus():
  try:
    return len(os.sched_getaffinity(0))
  except AttributeError:
    return os.cpu_count()


# -- Builders ---------------------------------------------------------------


def _params(seed=0, num_hidden=NUM_HIDDEN):
  rng = np.random.default_rng(seed)
  w = (WEIGHT_STDDEV * rng.standard_normal((NUM_VISIBLE, num_hidden))).astype(np.float32)
  b = np.zeros([NUM_VISIBLE], np.float32)
  c = np.zeros([num_hidden], np.float32)
  sigma = np.ones([NUM_VISIBLE], np.float32)
  return w, b, c, sigma


def _make_dist(kind, w, b, c, sigma):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfp_rbm.distributions import BernoulliRBM, GaussianBernoulliRBM  # pylint: disable=g-import-not-at-top
  w, b, c = (tf.constant(x) for x in (w, b, c))
  if kind == 'bernoulli':
    return BernoulliRBM(w, b, c)
  return GaussianBernoulliRBM(w, b, c, tf.constant(sigma))


def _median_time(fn, repeats):
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t0)
  return statistics.median(times)


# -- tfp_rbm ------------------------------------------------------------------


def time_tfp_rbm(kind, params, num_chains, num_steps, repeats):
  """Seconds per `run_gibbs` call of `num_steps` sweeps (median)."""
  from tfp_rbm.mcmc import run_gibbs  # pylint: disable=g-import-not-at-top
  dist = _make_dist(kind, *params)
  v0 = dist.initial_chain_state(num_chains, seed=(0, 1))
  # Warm-up: traces and XLA-compiles the loop. An int `num_steps` is known
  # when tracing (one trace per count: the Gaussian-Bernoulli RBM chooses
  # its chain by it), so the warm-up runs the timed count.
  run_gibbs(dist, v0, num_steps, seed=(0, 2)).numpy()
  counter = iter(range(3, 10 ** 6))
  return _median_time(
      lambda: run_gibbs(dist, v0, num_steps, seed=(0, next(counter))).numpy(), repeats)


# -- Floor: two bare matmuls per step -------------------------------------------


def time_floor(params, num_chains, num_steps, repeats):
  """Seconds for `num_steps` x ([n,D]x[D,H], [n,H]x[H,D]) in one XLA loop."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  w = tf.constant(params[0])

  @tf.function(jit_compile=True, autograph=False)
  def loop(v, w, n):
    def body(i, v):
      h = tf.matmul(v, w)                        # [n, 784] x [784, 512]
      return i + 1, tf.matmul(h, w, transpose_b=True)  # [n, 512] x [512, 784]
    return tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), v))[1]

  v0 = tf.constant(np.random.default_rng(1).random((num_chains, NUM_VISIBLE), np.float32))
  n = tf.constant(num_steps)
  loop(v0, w, tf.constant(1)).numpy()  # compile (same executable: n is a tensor)
  return _median_time(lambda: loop(v0, w, n).numpy(), repeats)


# -- The shared convolutional RBM (CIFAR-10 latent shapes) -----------------------

CONV_LEVELS = [[16, 16, 6], [8, 8, 12], [4, 4, 48]]
CONV_KERNELS = [5, 3, 3]
CONV_STRIDES = [4, 2, 1]
CONV_FILTERS = 100


def _conv_machines():
  """The convolutional machine and the dense one of the same sizes (3072 x 1600)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfp_rbm.distributions import (  # pylint: disable=g-import-not-at-top
      ConvolutionalGaussianBernoulliRBM, GaussianBernoulliRBM)
  rng = np.random.default_rng(3)
  size = sum(int(np.prod(shape)) for shape in CONV_LEVELS)
  filters = [tf.constant((WEIGHT_STDDEV * rng.standard_normal([k, k, shape[-1], CONV_FILTERS]))
                         .astype(np.float32)) for k, shape in zip(CONV_KERNELS, CONV_LEVELS)]
  zeros, ones = tf.zeros([size]), tf.ones([size])
  conv = ConvolutionalGaussianBernoulliRBM(
      filters=filters, strides=CONV_STRIDES, visible_bias=zeros,
      hidden_bias=tf.zeros([CONV_FILTERS]), scale=ones, level_shapes=CONV_LEVELS)
  num_hidden = conv.num_hidden
  dense = GaussianBernoulliRBM(
      tf.constant((WEIGHT_STDDEV * rng.standard_normal([size, num_hidden])).astype(np.float32)),
      zeros, tf.zeros([num_hidden]), ones)
  return conv, dense


def time_gibbs_of(dist, num_chains, num_steps, repeats):
  """Seconds per `run_gibbs` call of `num_steps` sweeps of `dist` (median, compiled)."""
  from tfp_rbm.mcmc import run_gibbs  # pylint: disable=g-import-not-at-top
  v0 = dist.initial_chain_state(num_chains, seed=(0, 1))
  run_gibbs(dist, v0, num_steps, seed=(0, 2)).numpy()  # compiles (one trace per count)
  counter = iter(range(3, 10 ** 6))
  return _median_time(
      lambda: run_gibbs(dist, v0, num_steps, seed=(0, next(counter))).numpy(), repeats)


def time_conv_floor(conv, num_chains, num_steps, repeats):
  """Seconds for `num_steps` x (each level's conv2d, summed; each conv2d_transpose)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  filters = list(conv.filters)

  rng = np.random.default_rng(4)
  levels = [tf.constant(rng.random([num_chains] + shape, np.float32)) for shape in CONV_LEVELS]

  # `+ start`: one addition per unit keeps the values from decaying into denormals
  # (which would slow every product down) and each sweep depends on the last.
  @tf.function(jit_compile=True, autograph=False)
  def loop(levels, n):
    def body(i, *current):
      h = sum(tf.nn.conv2d(v, f, s, 'SAME')
              for v, f, s in zip(current, filters, CONV_STRIDES))
      return (i + 1,) + tuple(
          tf.nn.conv2d_transpose(h, f, [num_chains] + shape, s, 'SAME') + start
          for f, s, shape, start in zip(filters, CONV_STRIDES, CONV_LEVELS, levels))
    return tf.while_loop(lambda i, *_: i < n, body, (tf.constant(0),) + tuple(levels))[1:]

  loop(levels, tf.constant(1))[0].numpy()
  n = tf.constant(num_steps)
  return _median_time(lambda: loop(levels, n)[0].numpy(), repeats)


def time_dense_floor(weights, num_chains, num_steps, repeats):
  """Seconds for `num_steps` x the dense machine's two bare matmuls (+ one addition)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  v0 = tf.constant(np.random.default_rng(5).random((num_chains, weights.shape[0]), np.float32))

  @tf.function(jit_compile=True, autograph=False)
  def loop(v, n):
    def body(i, v):
      return i + 1, tf.matmul(tf.matmul(v, weights), weights, transpose_b=True) + v0
    return tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), v))[1]

  loop(v0, tf.constant(1)).numpy()
  n = tf.constant(num_steps)
  return _median_time(lambda: loop(v0, n).numpy(), repeats)


def run_convolutional(args):
  """Prints sweeps/s of the convolutional and the dense machine against their floors."""
  conv, dense = _conv_machines()
  print(f'Shared convolutional RBM, CIFAR-10 latents {CONV_LEVELS}, filters {CONV_KERNELS} '
        f'strides {CONV_STRIDES}, {CONV_FILTERS} filters -> hidden map '
        f'{list(conv.hidden_map_shape)} ({conv.num_hidden} units); dense: '
        f'{conv.num_visible}x{conv.num_hidden}. {args.steps} sweeps per run, median of '
        f'{args.repeats}.')
  header = (f'{"chains":>6} | {"conv":>8} {"floor":>8} {"/floor":>7} | {"dense":>8} '
            f'{"floor":>8} {"/floor":>7} | {"conv vs dense":>13}')
  print(header)
  print('-' * len(header))
  for n in args.conv_chains:
    t_conv = time_gibbs_of(conv, n, args.steps, args.repeats) / args.steps
    f_conv = time_conv_floor(conv, n, args.steps, args.repeats) / args.steps
    t_dense = time_gibbs_of(dense, n, args.steps, args.repeats) / args.steps
    f_dense = time_dense_floor(dense.weights, n, args.steps, args.repeats) / args.steps
    print(f'{n:>6} | {1 / t_conv:>8.1f} {1 / f_conv:>8.1f} {t_conv / f_conv:>6.2f}x | '
          f'{1 / t_dense:>8.1f} {1 / f_dense:>8.1f} {t_dense / f_dense:>6.2f}x | '
          f'{t_dense / t_conv:>12.2f}x', flush=True)
  print('(sweeps per second; /floor: time over the bare products\' time, target <= 1.5; '
        'conv vs dense: the dense sweep\'s time over the convolutional one\'s, target > 1)')


# -- NumPy reference --------------------------------------------------------------


def numpy_gibbs(kind, params, v, num_steps, rng):
  """The same block-Gibbs sweep in plain NumPy, float32 throughout."""
  w, b, c, sigma = params
  one = np.float32(1.)
  for _ in range(num_steps):
    x = v / sigma if kind == 'gaussian' else v
    logits = c + x @ w
    p_h = one / (one + np.exp(-logits))
    h = (rng.random(p_h.shape, dtype=np.float32) < p_h).astype(np.float32)
    a = h @ w.T
    if kind == 'bernoulli':
      p_v = one / (one + np.exp(-(b + a)))
      v = (rng.random(p_v.shape, dtype=np.float32) < p_v).astype(np.float32)
    else:
      v = b + sigma * a + sigma * rng.standard_normal(a.shape, dtype=np.float32)
  return v


def time_numpy(kind, params, num_chains, num_steps, repeats, max_work, steps_large):
  """(seconds per step, steps actually timed)."""
  rng = np.random.default_rng(2)
  if kind == 'bernoulli':
    v0 = (rng.random((num_chains, NUM_VISIBLE), dtype=np.float32) < 0.5).astype(np.float32)
  else:
    v0 = rng.standard_normal((num_chains, NUM_VISIBLE), dtype=np.float32)
  timed_steps = num_steps if num_chains * num_steps <= max_work else min(steps_large, num_steps)
  numpy_gibbs(kind, params, v0, 1, rng)  # warm-up (BLAS threads, page faults)
  t = _median_time(lambda: numpy_gibbs(kind, params, v0, timed_steps, rng), repeats)
  return t / timed_steps, timed_steps


# -- Diagnosis: where the time goes beyond the floor --------------------------------


def diagnose(params, num_chains, num_steps, repeats):
  """ms/step of the Gibbs sweep's pieces, each in the same XLA loop as the floor."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow_probability.python.internal import samplers  # pylint: disable=g-import-not-at-top
  w, b, c, sigma = (tf.constant(x) for x in params)

  def uniform(shape, seed, alg):
    if alg is None:  # what tfp_rbm uses: TFP samplers, TF's default algorithm
      return samplers.uniform(shape, seed=seed)
    return tf.random.stateless_uniform(shape, seed, alg=alg)

  def normal(shape, seed, alg):
    if alg is None:
      return samplers.normal(shape, seed=seed)
    return tf.random.stateless_normal(shape, seed, alg=alg)

  def bern_step(alg, noise=True):
    def step(v, seed):
      s1, s2 = samplers.split_seed(seed)
      logits = c + tf.matmul(v, w)
      h = tf.cast(uniform(tf.shape(logits), s1, alg) < tf.sigmoid(logits), tf.float32)
      logits = b + tf.matmul(h, w, transpose_b=True)
      return tf.cast(uniform(tf.shape(logits), s2, alg) < tf.sigmoid(logits), tf.float32)
    return step

  def gauss_step(alg):
    def step(v, seed):
      s1, s2 = samplers.split_seed(seed)
      logits = c + tf.matmul(v / sigma, w)
      h = tf.cast(uniform(tf.shape(logits), s1, alg) < tf.sigmoid(logits), tf.float32)
      loc = b + sigma * tf.matmul(h, w, transpose_b=True)
      return loc + sigma * normal(tf.shape(loc), s2, alg)
    return step

  def matmuls_plus_uniforms(v, seed):
    s1, s2 = samplers.split_seed(seed)
    h = tf.matmul(v, w)
    h = h + samplers.uniform(tf.shape(h), seed=s1)
    v = tf.matmul(h, w, transpose_b=True)
    return v + samplers.uniform(tf.shape(v), seed=s2)

  def uniforms_only(v, seed):
    s1, s2 = samplers.split_seed(seed)
    h = samplers.uniform([num_chains, NUM_HIDDEN], seed=s1) + v[:, :1]
    return samplers.uniform(tf.shape(v), seed=s2) + h[:, :1]

  cases = [
      ('2 matmuls (floor)', lambda v, s: tf.matmul(tf.matmul(v, w), w, transpose_b=True)),
      ('uniform draws only (TFP samplers default)', uniforms_only),
      ('2 matmuls + uniform draws (default)', matmuls_plus_uniforms),
      ('Bernoulli step, default alg (= tfp_rbm math)', bern_step(None)),
      ("Bernoulli step, alg='philox'", bern_step('philox')),
      ("Bernoulli step, alg='threefry'", bern_step('threefry')),
      ('Gaussian-Bernoulli step, default alg', gauss_step(None)),
      ("Gaussian-Bernoulli step, alg='threefry'", gauss_step('threefry')),
  ]
  v0 = tf.cast(tf.constant(np.random.default_rng(4).random(
      (num_chains, NUM_VISIBLE), np.float32)) < 0.5, tf.float32)
  n = tf.constant(num_steps)
  rows = []
  for name, step in cases:
    def loop(v, seed, n, step=step):
      def body(i, v, seed):
        s, seed = samplers.split_seed(seed)
        return i + 1, step(v, s), seed
      return tf.while_loop(lambda i, *_: i < n, body, (tf.constant(0), v, seed))[1]
    loop = tf.function(loop, jit_compile=True, autograph=False)
    seed = tf.constant([0, 5])
    loop(v0, seed, tf.constant(1)).numpy()
    rows.append((name, _median_time(lambda: loop(v0, seed, n).numpy(), repeats) / num_steps))
  return rows


# -- Exact log Z ----------------------------------------------------------------


def _max_rss_mb():
  # ru_maxrss is in KiB on Linux (bytes on macOS).
  scale = 1. / (1024 * 1024) if sys.platform == 'darwin' else 1. / 1024
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _current_rss_mb():
  try:
    with open('/proc/self/statm') as f:
      return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20
  except (OSError, ValueError):
    return float('nan')


def _reset_and_read_hwm_mb(reset):
  """VmHWM (peak RSS) from /proc/self/status; `reset` first resets it (Linux >= 4.0)."""
  try:
    if reset:
      with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    with open('/proc/self/status') as f:
      for line in f:
        if line.startswith('VmHWM:'):
          return int(line.split()[1]) / 1024
  except (OSError, ValueError):
    pass
  return float('nan')


def logz_child(num_hidden):
  """Runs in a fresh process: prints 'first second rss0 rss1 rss2 cur0 logz'."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.get_logger().setLevel('ERROR')
  dist = _make_dist('gaussian', *_params(seed=3, num_hidden=num_hidden))
  # Touch the runtime once so that TF's own start-up is in the baseline.
  tf.reduce_sum(dist.weights).numpy()
  rss0, cur0 = _max_rss_mb(), _current_rss_mb()
  hwm0 = _reset_and_read_hwm_mb(reset=True)
  t0 = time.perf_counter()
  logz1 = float(dist.exact_log_normalizer().numpy())
  first = time.perf_counter() - t0
  rss1 = _max_rss_mb()
  t0 = time.perf_counter()
  logz2 = float(dist.exact_log_normalizer().numpy())
  second = time.perf_counter() - t0
  rss2 = _max_rss_mb()
  hwm2 = _reset_and_read_hwm_mb(reset=False)
  assert logz1 == logz2 or abs(logz1 - logz2) < 1e-3 * abs(logz1), (logz1, logz2)
  print(f'{first} {second} {rss0} {rss1} {rss2} {cur0} {logz1} {hwm0} {hwm2}')


def run_logz(num_hidden):
  out = subprocess.run(
      [sys.executable, os.path.abspath(__file__), f'--_logz-child={num_hidden}'],
      check=True, capture_output=True, text=True,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  fields = out.stdout.strip().splitlines()[-1].split()
  return [float(x) for x in fields]


# -- Main ---------------------------------------------------------------------


def main(argv=None):
  args = _parse_args(argv)
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    if args.logz_child is not None:
      logz_child(args.logz_child)
      return

    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
    tf.get_logger().setLevel('ERROR')

    print('tfp_rbm block-Gibbs benchmark' + (' (--quick)' if args.quick else ''))
    print(f'machine : {_usable_cpus()} usable CPUs (os.cpu_count()={os.cpu_count()}), '
          f'{_cpu_model()!r}, platform.processor()={platform.processor()!r}')
    print(f'software: Python {platform.python_version()}, TF {tf.__version__}, '
          f'TFP {tfp.__version__}, NumPy {np.__version__}; '
          f'devices {[d.device_type for d in tf.config.list_physical_devices()]}')
    print(f'load    : {" ".join(f"{x:.2f}" for x in os.getloadavg())} (1/5/15-min load average at start)')
    print(f'RBM {NUM_VISIBLE}x{NUM_HIDDEN}, float32, W ~ N(0, {WEIGHT_STDDEV}^2), zero biases, '
          f'scale 1; {args.steps} Gibbs steps per run; median of {args.repeats} timed '
          'repeat(s) after one warm-up/compile call.')
    print('columns: steps/s = Gibbs sweeps (over all chains) per second; floor = two bare '
          'matmuls/step in an XLA loop;')
    print('         tfp/floor = tfp_rbm time / floor time (target <= 1.2); '
          'vs numpy = numpy time / tfp_rbm time (target > 1).')
    print()

    params = _params(seed=0)
    header = (f'{"model":<22} {"chains":>6} | {"tfp_rbm":>9} {"numpy":>9} {"floor":>9} | '
              f'{"tfp/floor":>9} {"vs numpy":>8} | {"tfp ms/step":>11}')
    print(header)
    print('-' * len(header))
    notes = []
    floors = {}
    for kind, name in (('bernoulli', 'BernoulliRBM'), ('gaussian', 'GaussianBernoulliRBM')):
      for n in args.chains:
        repeats = args.repeats if n <= 1000 else args.large_repeats
        if repeats != args.repeats:
          note = (f'{n} chains: {repeats} timed repeat(s) per column (--large-repeats), '
                  f'not the median of {args.repeats}.')
          if note not in notes:
            notes.append(note)
        if n not in floors:
          floors[n] = time_floor(params, n, args.steps, repeats) / args.steps
        t_floor = floors[n]
        t_tfp = time_tfp_rbm(kind, params, n, args.steps, repeats) / args.steps
        t_np, np_steps = time_numpy(kind, params, n, args.steps, repeats,
                                    args.numpy_max_work, args.numpy_steps_large)
        mark = ''
        if np_steps != args.steps:
          mark = '*'
          note = (f'* numpy timed over {np_steps} steps (not {args.steps}) for {n} chains; '
                  f'steps/s extrapolated as steps/time (the step cost is constant).')
          if note not in notes:
            notes.append(note)
        print(f'{name:<22} {n:>6} | {1 / t_tfp:>9.1f} {1 / t_np:>8.1f}{mark:1} '
              f'{1 / t_floor:>9.1f} | {t_tfp / t_floor:>8.2f}x {t_np / t_tfp:>7.2f}x | '
              f'{1e3 * t_tfp:>11.2f}', flush=True)
    for note in notes:
      print(note)
    print('(the floor loop is shared by both models: same shapes, same two products)')

    if not args.skip_diagnosis:
      n = min(args.chains)
      print()
      print(f'Where the time goes ({n} chains, XLA loop of {args.steps} steps, median of '
            f'{args.repeats}; stateless RNG via TFP `samplers` = TF default alg vs explicit alg):')
      rows = diagnose(params, n, args.steps, args.repeats)
      base = rows[0][1]
      for name, t in rows:
        print(f'  {name:<46} {1e3 * t:8.2f} ms/step  {t / base:6.2f}x floor')

    if not args.skip_convolutional:
      print()
      run_convolutional(args)

    if args.skip_logz:
      return
    print()
    h = args.logz_hidden
    first, second, rss0, rss1, rss2, cur0, logz, hwm0, hwm2 = run_logz(h)
    print(f'Exact log Z, GaussianBernoulliRBM {NUM_VISIBLE}x{h} (2^{h} = {2 ** h:,} hidden '
          f'states), float32, default chunk_bits=12, eager call:')
    print(f'  log Z = {logz:.4f}')
    print(f'  wall time, 1st call (includes tracing) : {first:8.2f} s   (target < 10 s)')
    print(f'  wall time, 2nd call                    : {second:8.2f} s')
    print(f'  peak memory: max-RSS delta = {max(rss1, rss2) - rss0:.1f} MB   (target < 2 GB)')
    print(f'    measured in a fresh child process: resource.getrusage(RUSAGE_SELF).ru_maxrss '
          f'(high-water mark) after TF start-up and building the RBM = {rss0:.1f} MB '
          f'(current RSS {cur0:.1f} MB),')
    print(f'    after the 1st call = {rss1:.1f} MB, after the 2nd = {rss2:.1f} MB; '
          'delta = max(after) - before. Process peak RSS overall = '
          f'{max(rss1, rss2):.1f} MB.')
    print(f'  peak memory of the calls alone: VmHWM delta = {hwm2 - hwm0:.1f} MB   (target < 2 GB)')
    print(f'    ru_maxrss cannot be reset, and TF start-up already set it above what log Z '
          f'needs (delta 0 above); so the kernel\'s VmHWM (/proc/self/status) was reset '
          f'(echo 5 > /proc/self/clear_refs) just before the 1st call, to the current RSS '
          f'{hwm0:.1f} MB, and read after the 2nd: {hwm2:.1f} MB.')


if __name__ == '__main__':
  main()
