"""A VAE with binary latents and an RBM prior: pretraining, VIMCO, test NLL by AIS and RAISE.

Trains `tfp_rbm.keras.RBMPriorVAE` as the paper does (an autoencoder through
the noisy code B, the RBM on its codes by PCD, then VIMCO), reports the test
NLL in nats bracketed by AIS and RAISE (and with the exact log Z, enumerable
at this size), and writes prior samples (block Gibbs, decoded) beside test
images and their reconstructions. Binarized Fashion-MNIST when installed,
else the shipped 8x8 digits.

  python examples/rbm_prior_vae.py --output results/rbm_prior_vae
  python examples/rbm_prior_vae.py --smoke --output /tmp/vae      # seconds, digits
"""

import argparse
import json
import os

import keras

import tfp_rbm


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--output', default='results/rbm_prior_vae',
                      help='metrics.json, samples.png, model.keras')
  parser.add_argument('--objective', choices=['vimco', 'rws'], default='vimco')
  parser.add_argument('--latent-size', type=int, default=32)
  parser.add_argument('--num-hidden', type=int, default=16, help="the RBM prior's hidden units")
  parser.add_argument('--autoencoder-epochs', type=int, default=5)
  parser.add_argument('--prior-epochs', type=int, default=2)
  parser.add_argument('--epochs', type=int, default=10, help='epochs of joint training')
  parser.add_argument('--num-test', type=int, default=1000, help='test images evaluated')
  parser.add_argument('--smoke', action='store_true', help='tiny sizes on the digits')
  args = parser.parse_args(argv)
  dataset = 'digits' if args.smoke else tfp_rbm.datasets.first_available(
      ['fashion_mnist', 'digits'])
  images = {split: tfp_rbm.datasets.load_numpy(dataset, split) for split in ('train', 'test')}
  image_shape = images['train'].shape[1:3]
  x = {split: tfp_rbm.datasets.binarize(pixels).numpy().reshape(len(pixels), -1)
       for split, pixels in images.items()}
  if args.smoke:
    args.latent_size, args.num_hidden = 8, 8
    args.autoencoder_epochs, args.prior_epochs, args.epochs = 1, 1, 1
    args.num_test = 50

  model = tfp_rbm.keras.RBMPriorVAE(
      x['train'].shape[1], args.latent_size,
      {'kind': 'bernoulli_rbm', 'num_hidden': args.num_hidden}, objective=args.objective,
      num_samples=5, hidden_units=[200, 100], buffer_size=1000, num_gibbs_steps=10,
      training_enumeration_bits=16)  # fit's nll_bound with the exact log Z (2^16 states)
  model.compile(optimizer=keras.optimizers.Adam(1e-3))
  model.pretrain(x['train'], autoencoder_epochs=args.autoencoder_epochs,
                 prior_epochs=args.prior_epochs, batch_size=100, verbose=2)
  model.fit(x['train'], epochs=args.epochs, batch_size=100, verbose=2)
  x['test'] = x['test'][:args.num_test]

  codes = model.posterior(x['train'][:2000]).sample(seed=(0, 1))
  result = tfp_rbm.evaluation.evaluate_latent_variable_model(
      model, x['test'], num_samples=20 if args.smoke else 500, betas=300 if args.smoke else 1000,
      proposal=model.prior.fit_proposal(codes), num_raise_points=10 if args.smoke else 100,
      seed=(0, 2), progress=not args.smoke)
  os.makedirs(args.output, exist_ok=True)
  test = x['test'][:16]
  reconstructions = model.decode(model.posterior(test).sample(seed=(0, 3)))
  tfp_rbm.image_grid.save_image_grids_side_by_side(
      {'test images': test, 'reconstructions': reconstructions,
       'prior samples (block Gibbs)': model.sample(16, seed=(0, 4), num_steps=1000)},
      os.path.join(args.output, 'samples.png'), image_shape=image_shape, num_columns=4)
  model.save(os.path.join(args.output, 'model.keras'))
  metrics = dict(dataset=dataset, objective=args.objective, num_test=result.num_points,
                 num_samples=result.num_samples, nll_ais=result.nll_ais,
                 nll_raise=result.nll_raise, nll_raise_points_ais=result.nll_raise_points_ais,
                 nll_exact_log_normalizer=result.nll_exact_log_normalizer,
                 raise_points=result.num_raise_points,
                 ais_effective_chains=float(result.log_normalizer.effective_sample_size))
  with open(os.path.join(args.output, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=1)
  return metrics


if __name__ == '__main__':
  print(json.dumps(main(), indent=1))
