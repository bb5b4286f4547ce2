"""Benchmark: test NLL of the RBM-prior VAE (VIMCO, contrastive RWS, no pretraining) and IWAE.

Issue 21's check of three claims of the paper
(../shared/papers/rbm-prior-vae_vimco_iclr2018.md) at our budget: VIMCO
trains the model better than contrastive reweighted wake-sleep, the
two-stage pretraining is necessary, and the RBM prior beats a factorial
Bernoulli prior. Rows, each a `tfp_rbm.keras.RBMPriorVAE` with the same
networks (MLP, ELU), latents and training K, trained for the same wall-clock
time (pretraining included; the time to trace and compile each stage's
step is not counted):

  vimco                 RBM prior, pretrained (autoencoder, then PCD), then VIMCO
  rws                   RBM prior, pretrained, then contrastive RWS
  vimco-no-pretraining  RBM prior, VIMCO from the random initialisation
  iwae-factorial        factorial Bernoulli prior, VIMCO (the IWAE bound), no pretraining

Test NLL in nats per image, importance sampling with `--eval-samples`
samples from q (eq. 6): with AIS's log Z of the prior, with RAISE's
estimate of each `p(z_k)` on the first `--raise-points` test images (and
AIS's figure on the same images beside it), and with the exact log Z (the
RBM's hidden layer is enumerable at the default size). The pixels are
binarized at 127.5. Data: Fashion-MNIST when it is installed locally
(`tfp_rbm.datasets`, nothing is downloaded), else the shipped 8x8 digits.

  python benchmarks/rbm_prior_vae.py                # about 5 minutes on 2 cores
  python benchmarks/rbm_prior_vae.py --seconds 120 --rows vimco rws
  python benchmarks/rbm_prior_vae.py --steps 3000   # equal updates, not equal time
  python benchmarks/rbm_prior_vae.py --quick        # smoke run, about a minute
"""

import argparse
import json
import time

import keras
import tensorflow as tf

import tfp_rbm

import device_option  # benchmarks/device_option.py: the --device option

ROWS = {
    'vimco': dict(prior='rbm', objective='vimco', pretrain=True),
    'rws': dict(prior='rbm', objective='rws', pretrain=True),
    'vimco-no-pretraining': dict(prior='rbm', objective='vimco', pretrain=False),
    'iwae-factorial': dict(prior='factorial', objective='vimco', pretrain=False),
}
# Shares of a pretrained row's time: autoencoder, prior (PCD); the rest is joint.
PRETRAIN_SHARES = (0.3, 0.15)


class Budget(keras.callbacks.Callback):
  """Stops `fit` after `seconds` since its first step ended, or after `steps` steps.

  The clock starts after the first step, so that tracing and compiling the
  step (a few seconds, once per stage) is not charged to the row.
  """

  def __init__(self, seconds=None, steps=None):
    super().__init__()
    self.seconds, self.steps = seconds, steps
    self.started, self.count = None, 0

  def on_train_batch_end(self, batch, logs=None):
    now = time.monotonic()
    self.count += 1
    if self.started is None:
      self.started = now
    if ((self.seconds is not None and now - self.started > self.seconds)
        or (self.steps is not None and self.count >= self.steps)):
      self.model.stop_training = True

  @property
  def elapsed(self):
    return 0. if self.started is None else time.monotonic() - self.started


def load_data(max_train, max_test):
  """Binarized images, flat: Fashion-MNIST when installed, else the shipped digits."""
  name = tfp_rbm.datasets.first_available(['fashion_mnist', 'digits'])
  def binary(split, limit):
    images = tfp_rbm.datasets.load_numpy(name, split)[:limit]
    return tfp_rbm.datasets.binarize(images).numpy().reshape(len(images), -1)
  return name, binary('train', max_train), binary('test', max_test)


def train_row(row, train, args):
  """Builds and trains one row for `args.seconds`; returns the model and its training record."""
  config = ROWS[row]
  prior = ({'kind': 'bernoulli_rbm', 'num_hidden': args.num_hidden} if config['prior'] == 'rbm'
           else {'kind': 'factorial_bernoulli'})
  model = tfp_rbm.keras.RBMPriorVAE(
      train.shape[1], args.latent_size, prior, objective=config['objective'],
      num_samples=args.num_samples, hidden_units=args.hidden_units,
      buffer_size=args.buffer_size, num_gibbs_steps=args.gibbs_steps, seed=args.seed)
  model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
  data = tf.data.Dataset.from_tensor_slices(train).shuffle(
      len(train), seed=args.seed).batch(args.batch_size, drop_remainder=True).repeat()
  fit_options = dict(steps_per_epoch=args.steps_per_line, verbose=2)
  stage_steps, seconds = {}, 0.
  share_budget = lambda share: (Budget(steps=max(1, round(share * args.steps))) if args.steps
                                else Budget(seconds=share * args.seconds))
  if config['pretrain']:
    for stage, share in zip(('autoencoder', 'prior'), PRETRAIN_SHARES):
      print(f'[{row}] pretraining: {stage}', flush=True)
      budget = share_budget(share)
      epochs = dict(autoencoder_epochs=10**6 if stage == 'autoencoder' else 0,
                    prior_epochs=10**6 if stage == 'prior' else 0)
      model.pretrain(data, callbacks=[budget], **epochs, **fit_options)
      stage_steps[stage] = int(model.optimizer.iterations.numpy()) - sum(stage_steps.values())
      seconds += budget.elapsed
  print(f'[{row}] joint training ({config["objective"]})', flush=True)
  budget = (Budget(steps=args.steps - sum(stage_steps.values())) if args.steps
            else Budget(seconds=args.seconds - seconds))
  model.fit(data, epochs=10**6, callbacks=[budget], **fit_options)
  stage_steps['joint'] = int(model.optimizer.iterations.numpy()) - sum(stage_steps.values())
  seconds += budget.elapsed
  return model, dict(seconds=round(seconds, 1), steps=stage_steps,
                     skipped_updates=int(model.skipped_updates.numpy()))


def evaluate_row(model, train, test, args):
  proposal = None
  if model.chains is not None:
    codes = model.posterior(train[:2000]).sample(seed=(args.seed, 7))
    proposal = model.prior.fit_proposal(codes)
  start = time.monotonic()
  result = tfp_rbm.evaluation.evaluate_latent_variable_model(
      model, test, num_samples=args.eval_samples, num_chains=args.ais_chains,
      num_chains_per_point=1, betas=args.betas, proposal=proposal,
      num_raise_points=args.raise_points, seed=(args.seed, 11), progress=True)
  rounded = lambda v: None if v is None else round(v, 3)
  return dict(nll_ais=rounded(result.nll_ais), nll_raise=rounded(result.nll_raise),
              nll_raise_points_ais=rounded(result.nll_raise_points_ais),
              nll_exact_log_normalizer=rounded(result.nll_exact_log_normalizer),
              raise_points=result.num_raise_points,
              ais_effective_chains=(None if result.log_normalizer is None else round(float(
                  result.log_normalizer.effective_sample_size), 1)),
              eval_seconds=round(time.monotonic() - start, 1))


def claims(results):
  """The paper's three claims, each as (text, held, difference in nats)."""
  nll = {row: (r['nll_ais'] if r['nll_ais'] is not None else r['nll_exact_log_normalizer'])
         for row, r in results.items()}
  checks = [('VIMCO better than contrastive RWS', 'vimco', 'rws'),
            ('pretraining necessary (VIMCO with vs without)', 'vimco', 'vimco-no-pretraining'),
            ('RBM prior better than factorial prior (IWAE)', 'vimco', 'iwae-factorial')]
  return [(text, nll[a] < nll[b], round(nll[b] - nll[a], 3)) for text, a, b in checks
          if a in nll and b in nll]


def print_table(dataset, results, args):
  print(f'\nDataset {dataset}: {args.num_train} train / {args.num_test} test binarized images, '
        f'{args.latent_size} latents, RBM hidden {args.num_hidden}, MLP {args.hidden_units}, '
        f'K = {args.num_samples} (train) / {args.eval_samples} (test), '
        + (f'{args.steps} updates each.' if args.steps else f'{args.seconds} s each.'))
  print(f'{"row":22s} {"steps ae/prior/joint":>21s} {"seconds":>7s} {"NLL AIS":>8s} '
        f'{"NLL exact":>9s} {"RAISE":>8s} {"AIS same":>8s} {"ESS":>6s}')
  show = lambda v, width: f'{"-":>{width}s}' if v is None else f'{v:{width}.2f}'
  for row, r in results.items():
    steps = r['steps']
    stage = '/'.join(str(steps.get(s, 0)) for s in ('autoencoder', 'prior', 'joint'))
    ess = r['ais_effective_chains']
    print(f'{row:22s} {stage:>21s} {r["seconds"]:7.1f} {show(r["nll_ais"], 8)} '
          f'{show(r["nll_exact_log_normalizer"], 9)} {show(r["nll_raise"], 8)} '
          f'{show(r["nll_raise_points_ais"], 8)} '
          f'{("-" if ess is None else f"{ess:.0f}/{args.ais_chains}"):>6s}')
  print(f'(NLL in nats per image, lower is better. RAISE and "AIS same" on the first '
        f'{args.raise_points} test images.)')
  for text, held, difference in claims(results):
    print(f'{text}: {"holds" if held else "does not hold"} ({difference:+.2f} nats)')


def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog=__doc__.split('\n\n', 1)[1])
  parser.add_argument('--rows', nargs='+', choices=sorted(ROWS), default=list(ROWS))
  parser.add_argument('--seconds', type=float, default=45., help='training time per row')
  parser.add_argument('--steps', type=int,
                      help='train each row for this many updates instead of --seconds '
                      '(a control for a machine shared with other jobs)')
  parser.add_argument('--latent-size', type=int, default=32)
  parser.add_argument('--num-hidden', type=int, default=16, help="the RBM prior's hidden units")
  parser.add_argument('--hidden-units', type=int, nargs='+', default=[200, 100])
  parser.add_argument('--num-samples', type=int, default=5, help='K in training')
  parser.add_argument('--batch-size', type=int, default=100)
  parser.add_argument('--learning-rate', type=float, default=1e-3)
  parser.add_argument('--buffer-size', type=int, default=1000)
  parser.add_argument('--gibbs-steps', type=int, default=10)
  parser.add_argument('--steps-per-line', type=int, default=200, help='steps per progress line')
  parser.add_argument('--eval-samples', type=int, default=200, help='K in evaluation')
  parser.add_argument('--ais-chains', type=int, default=100)
  parser.add_argument('--betas', type=int, default=1000)
  parser.add_argument('--raise-points', type=int, default=40)
  parser.add_argument('--num-train', type=int, default=10000)
  parser.add_argument('--num-test', type=int, default=500)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--results', help='append the results as one JSON line to this file')
  parser.add_argument('--quick', action='store_true', help='a smoke run (seconds, tiny sizes)')
  device_option.add_device_argument(parser)
  args = parser.parse_args(argv)
  if args.quick:
    args.seconds, args.eval_samples, args.betas, args.raise_points = 4., 20, 50, 5
    args.num_train, args.num_test, args.steps_per_line = 500, 50, 20
  return args


def main(argv=None):
  args = parse_args(argv)
  with device_option.placed(args.device):
    print(device_option.describe(args.device))
    dataset, train, test = load_data(args.num_train, args.num_test)
    args.num_train, args.num_test = len(train), len(test)
    results = {}
    for row in args.rows:
      model, record = train_row(row, train, args)
      results[row] = dict(record, **evaluate_row(model, train, test, args))
      del model
      keras.backend.clear_session()  # Else the rows' graphs stay alive until exit.
      print(f'[{row}] {results[row]}', flush=True)
    print_table(dataset, results, args)
    if args.results:
      with open(args.results, 'a') as f:
        f.write(json.dumps(dict(dataset=dataset, args=vars(args), results=results)) + '\n')
    return results


if __name__ == '__main__':
  main()
