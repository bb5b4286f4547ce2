"""Throughput of tfp_rbm's flows, side by side with TFP's `tfb.Glow`.

Prints three tables:
  1. `tfp_rbm.flows.glow` against `tfb.Glow` with the same levels, steps and
     hidden channels (no exit networks in either): log_prob and sampling
     throughput, images per second.
  2. The mixture-of-logistics CDF (elementwise, and inside a coupling): the
     analytic data -> latent direction against the root-search direction,
     their time ratio, and the largest round-trip errors.
  3. Milliseconds per image of the default NICE, Glow and Flow++ flows.

Run `python benchmarks/bijectors.py --quick` for small sizes.
"""

import argparse
import functools
import os
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# pylint: disable=g-import-not-at-top  (after quieting TensorFlow's logs)
import numpy as np
import tensorflow as tf
from tensorflow_probability.python import bijectors as tfb
from tensorflow_probability.python import distributions as tfd

from tfp_rbm import bijectors
from tfp_rbm import flows
from tfp_rbm import networks

import device_option  # benchmarks/device_option.py: the --device option


def _seconds(fns, repeats):
  """Fastest wall time of each `fn()`, after one warm-up (tracing) call.

  The functions take turns, so a machine shared with other jobs slows them
  alike, and the minimum over `repeats` is the least disturbed run.
  """
  for fn in fns:
    fn()
  times = [[] for _ in fns]
  for _ in range(repeats):
    for fn, fn_times in zip(fns, times):
      start = time.perf_counter()
      tf.nest.map_structure(lambda t: t.numpy(), fn())
      fn_times.append(time.perf_counter() - start)
  return [min(fn_times) for fn_times in times]


def _model(flow, image_shape):
  size = int(np.prod(image_shape))
  return tfd.TransformedDistribution(
      tfd.MultivariateNormalDiag(tf.zeros([size])), flow)


def _pixels(batch, image_shape):
  return tf.random.stateless_uniform([batch] + list(image_shape), seed=[1, 2])


def _throughputs(models, data, repeats):
  """Images/s of `log_prob(data)` and of as many samples, for each model."""
  batch = data.shape[0]
  fns = []
  for model in models:
    log_prob = tf.function(model.log_prob)
    sample = tf.function(lambda model=model: model.sample(batch, seed=[3, 4]))
    log_prob(data)  # ActNorm layers initialise on this first batch.
    fns += [lambda log_prob=log_prob: log_prob(data), sample]
  seconds = _seconds(fns, repeats)
  return [(batch / seconds[i], batch / seconds[i + 1])
          for i in range(0, len(seconds), 2)]


def glow_against_tfp(args):
  image_shape = [args.image_size, args.image_size, 1]
  sizes = dict(num_levels=args.levels, num_steps=args.steps,
               hidden_channels=args.hidden)
  ours = flows.glow(image_shape=image_shape, seed=0, **sizes)
  theirs = tfb.Glow(
      output_shape=image_shape, num_glow_blocks=args.levels,
      num_steps_per_block=args.steps,
      coupling_bijector_fn=lambda shape: tfb.GlowDefaultNetwork(
          shape, num_hidden=args.hidden),
      # An exit "network" returning the identity: no learned prior in either.
      exit_bijector_fn=lambda shape, output_chan: lambda x: tfb.Identity(),
      seed=0)
  data = _pixels(args.batch, image_shape)
  rows = [(name,) + figures for name, figures in zip(
      ('tfp_rbm glow', 'tfb.Glow'),
      _throughputs([_model(ours, image_shape), _model(theirs, image_shape)],
                   data, args.repeats))]
  print(f'\n1. Glow, {image_shape}, {args.levels} levels x {args.steps} '
        f'steps, {args.hidden} hidden, batch {args.batch} (images/s)')
  print(f'{"flow":<16}{"log_prob":>12}{"sample":>12}')
  for name, log_prob, sample in rows:
    print(f'{name:<16}{log_prob:>12.1f}{sample:>12.1f}')
  print(f'{"ratio ours/tfp":<16}{rows[0][1] / rows[1][1]:>12.2f}'
        f'{rows[0][2] / rows[1][2]:>12.2f}')


def _directions(bijector, data, repeats):
  """(analytic s, root-search s, max |y - f(f^-1(y))|, max |x - f^-1(f(x))|).

  Times `inverse` against `forward` alone (no log-det), so a coupling's
  network runs once in each.
  """
  analytic = tf.function(bijector.inverse)
  search = tf.function(bijector.forward)
  latent = analytic(data)
  data_again = search(latent + 0)
  latent_again = analytic(data_again + 0)
  analytic_seconds, search_seconds = _seconds(
      [lambda: analytic(data), lambda: search(latent)], repeats)
  return (analytic_seconds, search_seconds,
          float(tf.reduce_max(tf.abs(data_again - data))),
          float(tf.reduce_max(tf.abs(latent_again - latent))))


def mixture_directions(args):
  k = args.components
  image_shape = [args.image_size, args.image_size, 1]
  shape = [args.batch] + image_shape
  rng = np.random.default_rng(0)
  elementwise = bijectors.MixtureLogisticCDF(
      mixture_logits=rng.normal(size=shape + [k]).astype(np.float32),
      locs=(2. * rng.normal(size=shape + [k])).astype(np.float32),
      log_scales=rng.normal(size=shape + [k]).astype(np.float32),
      log_scale=(0.5 * rng.normal(size=shape)).astype(np.float32),
      shift=rng.normal(size=shape).astype(np.float32))
  rows, cols = np.meshgrid(np.arange(args.image_size),
                           np.arange(args.image_size), indexing='ij')
  coupling = bijectors.MaskedCoupling(
      ((rows + cols) % 2 == 0)[..., np.newaxis],
      networks.GatedResidualConvNet(
          output_channels=3 * k + 2, hidden_channels=args.flowpp_hidden,
          num_blocks=args.flowpp_blocks, zero_init_output=False, seed=0),
      functools.partial(bijectors.MixtureLogisticCDF.from_conditioner_output,
                        num_components=k))
  data = 3. * tf.random.stateless_normal(shape, seed=[5, 6])
  print(f'\n2. Mixture of {k} logistics on {shape}, float32: analytic '
        '`inverse` (data -> latent, used by log_prob) vs root-search '
        '`forward` (sampling)')
  print(f'{"transform":<26}{"analytic ms":>12}{"search ms":>11}'
        f'{"ratio":>8}{"max|dy|":>10}{"max|dx|":>10}')
  for name, bijector in (('elementwise', elementwise),
                         (f'coupling ({args.flowpp_blocks} blocks)',
                          coupling)):
    analytic, search, data_error, latent_error = _directions(
        bijector, data, args.repeats)
    print(f'{name:<26}{1e3 * analytic:>12.2f}{1e3 * search:>11.2f}'
          f'{search / analytic:>8.1f}{data_error:>10.1e}{latent_error:>10.1e}')


def default_flows(args):
  image_shape = [28, 28, 1]
  sizes = {} if not args.quick else dict(
      nice=dict(hidden_units=100, num_hidden_layers=2),
      glow=dict(num_steps=2, hidden_channels=64),
      flowpp=dict(num_components=4, hidden_channels=16, num_blocks=2))
  builders = (
      ('NICE', lambda: flows.nice(**sizes.get('nice', {})), [784]),
      ('Glow', lambda: flows.glow(**sizes.get('glow', {})), image_shape),
      ('Flow++', lambda: flows.flowpp(**sizes.get('flowpp', {})),
       image_shape))
  print(f'\n3. {"Small" if args.quick else "Default"} flows on 28x28x1, '
        f'batch {args.batch_defaults} (ms per image)')
  print(f'{"flow":<10}{"log_prob":>12}{"sample":>12}')
  for name, build, data_shape in builders:
    data = _pixels(args.batch_defaults, data_shape)
    (log_prob, sample), = _throughputs([_model(build(), data_shape)], data,
                                       args.repeats)
    print(f'{name:<10}{1e3 / log_prob:>12.3f}{1e3 / sample:>12.3f}')


TABLES = {'glow': glow_against_tfp, 'mixture': mixture_directions,
          'defaults': default_flows}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--quick', action='store_true',
                      help='small sizes (a minute or two on a laptop CPU)')
  parser.add_argument('--repeats', type=int, default=None,
                      help='timed calls per figure (fastest reported)')
  parser.add_argument('--tables', nargs='+', default=list(TABLES),
                      choices=list(TABLES), help='which tables to print')
  device_option.add_device_argument(parser)
  args = parser.parse_args()
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    quick = args.quick
    args.repeats = args.repeats or (2 if quick else 3)
    args.image_size = 16 if quick else 28
    args.levels = 2
    args.steps = 2 if quick else 8
    args.hidden = 64 if quick else 512
    args.batch = 32 if quick else 128
    args.batch_defaults = 32 if quick else 128
    args.components = 8 if quick else 32
    args.flowpp_hidden = 16 if quick else 96
    args.flowpp_blocks = 2 if quick else 10
    tf.get_logger().setLevel('ERROR')  # each flow's functions trace once
    print(f'TensorFlow {tf.__version__}')
    for table in args.tables:
      TABLES[table](args)


if __name__ == '__main__':
  main()
