"""AIS and RAISE inside a saved flow with a Gaussian-Bernoulli RBM base, from several bases.

Loads a `tfp_rbm.keras.FlowModel` saved by `fashion_mnist.py --save-dir`
(its persistent chains are saved with it) and brackets its test bits/dim on
Fashion-MNIST with `evaluation.evaluate_flow` (100 AIS chains, 10 RAISE
chains per image) for each `beta = 0` machine (`--bases`), each used by both
AIS and RAISE:

  data        `base.fit_proposal(z)`: mean and standard deviation of the
              latents `z` of 2,000 training images (the default of
              `fashion_mnist.py` and `ais.py`)
  data-mean   their mean with the RBM's own scale
  chains      mean and standard deviation of the persistent chains
  chains-mean their mean with the RBM's own scale
  model       the RBM's own visible bias and scale

ESS is the effective number of AIS chains. RAISE bounds the annealed model,
not the RBM: where the annealed chains reach the RBM's mass unevenly (a
small ESS) the annealed model can score the test images better than the RBM
and RAISE then lies below AIS in bits/dim (`evaluate_flow` warns). Last, it
anneals in reverse from `--reverse-chains` persistent chains as if they
were exact samples of the RBM, the bidirectional (upper) estimate of log Z,
and prints it beside AIS's: far below AIS, it says that the chains do not
sample the RBM.

    python benchmarks/fashion_mnist.py --minutes 10 --configs glow-rbm --save-dir models
    python benchmarks/proposals.py models/glow-rbm.keras
    python benchmarks/proposals.py models/glow-rbm.keras --bases data --betas 1000 3000
"""

import argparse
import os
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

import tfp_rbm
import tfp_rbm.keras  # pylint: disable=unused-import (registers FlowModel for loading)
from tfp_rbm import evaluation

import device_option  # benchmarks/device_option.py: the --device option

BASES = ('data', 'data-mean', 'chains', 'chains-mean', 'model')


def proposals(rbm, latents, chains):
  """The `beta = 0` machines named in `BASES`, as `proposal` dicts (None: the model's)."""
  data, from_chains = rbm.fit_proposal(latents), rbm.fit_proposal(chains)
  return {'data': data, 'data-mean': {'visible_bias': data['visible_bias']},
          'chains': from_chains, 'chains-mean': {'visible_bias': from_chains['visible_bias']},
          'model': None}


def reverse_log_normalizer(rbm, states, betas, proposal, seed):
  """`log Z_0 - log mean(w)` of reverse annealing from `states`: log Z's upper estimate.

  With exact samples of the RBM, `E[w] = Z_0 / Z`, so this is a stochastic
  upper bound on log Z (Grosse et al. 2015's bidirectional Monte Carlo).
  """
  _, log_weights = evaluation.run_annealing(
      rbm, states, evaluation.annealing_schedule(betas), seed,
      proposal=proposal, reverse=True)
  num = tf.cast(tf.shape(log_weights)[0], tf.float64)
  return float(tf.cast(rbm.proposal_log_normalizer(proposal), tf.float64)
               - (tf.reduce_logsumexp(log_weights) - tf.math.log(num)))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('model', help='a FlowModel saved by fashion_mnist.py --save-dir')
  parser.add_argument('--bases', nargs='+', default=list(BASES), choices=BASES)
  parser.add_argument('--betas', type=int, nargs='+', default=[1000])
  parser.add_argument('--test-images', type=int, default=200)
  parser.add_argument('--reverse-chains', type=int, default=100)
  parser.add_argument('--data-dir', default=None)
  device_option.add_device_argument(parser)
  args = parser.parse_args()
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    model = keras.models.load_model(args.model)
    rbm = model.base
    if not isinstance(rbm, tfp_rbm.distributions.GaussianBernoulliRBM) or model.chains is None:
      raise ValueError(f'{args.model} must hold a FlowModel with a Gaussian-Bernoulli RBM base; '
                       f'its base is {type(rbm).__name__}.')
    train = tfp_rbm.datasets.load_numpy('fashion_mnist', 'train', data_dir=args.data_dir)
    test = tfp_rbm.datasets.load_numpy('fashion_mnist', 'test', data_dir=args.data_dir)
    test = test[:args.test_images]
    batches = tfp_rbm.datasets.dequantized_batches(train[:2000], 500, 3)
    latents = tf.concat([model.flow.inverse(x) for x in batches], axis=0)
    chains = model.chains.states
    scale = tf.broadcast_to(tf.convert_to_tensor(rbm.scale), [rbm.num_visible])
    print(f'{args.model}: RBM scale {float(tf.reduce_min(scale)):.2f}..'
          f'{float(tf.reduce_max(scale)):.2f} (mean {float(tf.reduce_mean(scale)):.2f}); '
          f'standard deviation of the latents {float(tf.reduce_mean(tf.math.reduce_std(latents, 0))):.2f}, '
          f'of the {chains.shape[0]} persistent chains '
          f'{float(tf.reduce_mean(tf.math.reduce_std(chains, 0))):.2f}; {len(test)} test images')
    print(f'{"base":>12} {"betas":>6} {"b/d AIS":>9} {"b/d RAISE":>9} {"gap":>9} {"ESS":>5} '
          f'{"wall s":>7}')
    bases = proposals(rbm, latents, chains)
    for name in args.bases:
      for betas in args.betas:
        start = time.perf_counter()
        result = evaluation.evaluate_flow(model, test, num_chains=100, num_chains_per_point=10,
                                          betas=betas, proposal=bases[name], seed=(0, 1))
        print(f'{name:>12} {betas:>6} {result.bits_per_dim_ais:9.5f} '
              f'{result.bits_per_dim_raise:9.5f} {result.gap:+9.5f} '
              f'{float(result.log_normalizer.effective_sample_size):5.1f} '
              f'{time.perf_counter() - start:7.1f}', flush=True)
    betas = args.betas[0]
    ais = evaluation.log_normalizer(rbm, num_chains=100, betas=betas, seed=(0, 2),
                                    proposal=bases['data'])
    picked = np.random.default_rng(0).choice(chains.shape[0], args.reverse_chains, replace=False)
    reverse = reverse_log_normalizer(rbm, tf.gather(chains, picked), betas, bases['data'],
                                     seed=(0, 3))
    print(f'log Z at {betas} temperatures from the data base: AIS {float(ais.log_normalizer):.1f}; '
          f'reverse from {args.reverse_chains} persistent chains {reverse:.1f}')


if __name__ == '__main__':
  main()
