"""Multi-sample objectives for models with binary latents `z`: VIMCO and reweighted wake-sleep.

Both train a latent-variable model `p(x, z)` with a factorial Bernoulli
posterior `q(z | x)` on the importance-weighted bound (docs/math.md §13)

```none
w_k = p*(x, z_k) / q(z_k | x),   z_1..z_K ~ q(. | x),   w~_k = w_k / sum_j w_j
L_K = E[log (1/K) sum_k w_k]  (- log Z when p* is an unnormalized joint)
```

The generative parameters get `sum_k w~_k grad log p*(x, z_k)` from both;
they differ in the posterior's gradient. A prior with an intractable log Z
(an RBM, `p* = exp(-F(z)) p(x | z)`) adds its negative phase
`prior.surrogate_log_normalizer(z_minus)`, `z_minus` from persistent chains
(eq. 5 of the paper), to the loss; its weights cancel the unknown `Z`.
`soft_binarize` is the noisy code of the autoencoder pretraining (eq. 3).

#### References

[1] Mnih, A., Rezende, D. J. Variational inference for Monte Carlo
    objectives. ICML 2016. https://arxiv.org/abs/1602.06725
[2] Bornschein, J., Bengio, Y. Reweighted wake-sleep. ICLR 2015.
    https://arxiv.org/abs/1406.2751
[3] Learning deep generative models with discrete latent variables
    (RBM prior, VIMCO and contrastive RWS). ICLR 2018 submission,
    ../shared/papers/rbm-prior-vae_vimco_iclr2018.md.
"""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_rbm.internal import validation

__all__ = ['reweighted_wake_sleep_loss', 'soft_binarize', 'vimco_loss']


def soft_binarize(codes, seed):
  """`B(z) = clip(z + U(-1/2, 1/2), 0, 1)`: the noisy near-binary code of pretraining (eq. 3).

  The gradient passes where `0 < z + u < 1`; the encoder learns to push each
  code below `-1/2` or above `3/2`, where the noise can no longer move it.

  #### Examples

  ```python
  b = soft_binarize(tf.constant([-2., 0.5, 2.]), seed=(1, 2))   # [0, in (0, 1), 1]
  ```

  Args:
    codes: float tensor, the encoder's output.
    seed: stateless seed.

  Returns:
    A tensor of the shape of `codes`, values in `[0, 1]`.
  """
  codes = tf.convert_to_tensor(codes)
  noise = tf.random.stateless_uniform(tf.shape(codes), seed, minval=-0.5, maxval=0.5,
                                      dtype=codes.dtype)
  return tf.clip_by_value(codes + noise, 0., 1.)


def vimco_loss(log_joint_fn, posterior, num_samples, seed=None):
  """`-log (1/K) sum_k w_k` per example, whose gradient is VIMCO's estimator.

  #### Mathematical Details

  With `L^ = log (1/K) sum_j w_j` and the leave-one-out baseline that
  replaces `w_k` by the geometric mean of the others,
  `L^_{-k} = log (1/K) (sum_{j != k} w_j + exp(mean_{j != k} log w_j))`:

  ```none
  grad_theta  L_K ~= sum_k w~_k grad_theta log p*(x, z_k)
  grad_phi    L_K ~= sum_k [(L^ - L^_{-k}) - w~_k] grad_phi log q(z_k | x)
  ```

  This is TFP's VIMCO (`tfp.vi.monte_carlo_variational_loss` with
  `gradient_estimator=tfp.vi.GradientEstimators.VIMCO`, which runs
  `tfp.vi.csiszar_vimco`) with the Csiszar function `f(log u) = -log u`
  (`tfp.vi.kl_reverse`): its "swap-one-out" average is `L^_{-k}`, its score
  term `sum_k log q(z_k) stop(f(L^) - f(L^_{-k}))` gives the first part of
  the `phi` gradient and the path through `log u_k = log p*(x, z_k) - log
  q(z_k | x)` the `- w~_k` part (the samples are held fixed). The value is
  `-L^`. The baseline does not depend on `z_k`, so the estimator is
  unbiased for `grad L_K` (checked against enumeration in the tests); it
  needs `K >= 2`.

  #### Examples

  ```python
  q = tfd.Independent(tfd.Bernoulli(logits=encoder(x), dtype=tf.float32), 1)
  log_joint = lambda z: -rbm.free_energy(z) + log_likelihood(x, z)
  negative = chains.advance(rbm, 128)                       # outside the tape
  with tf.GradientTape() as tape:
    loss = (tf.reduce_mean(vimco_loss(log_joint, q, 5, seed=(1, 2)))
            + rbm.surrogate_log_normalizer(negative))
  ```

  Args:
    log_joint_fn: `z -> log p*(x, z)` for samples `z` of shape
      `[K, 1] + batch_shape + [M]`, returning `[K, 1] + batch_shape`; the
      joint may be unnormalized in `z` (a constant cancels in the gradient).
    posterior: `q(z | x)`, a distribution with batch shape `batch_shape`
      (one per example) and event `[M]`, e.g. `tfd.Independent(tfd.Bernoulli)`.
    num_samples: `K >= 2`, samples per example.
    seed: stateless seed.

  Returns:
    The per-example loss `-L^`, shape `batch_shape`.

  Raises:
    ValueError: naming `num_samples` when it is below 2 (the baseline of
      each sample needs the others).
  """
  num_samples = validation.check_integer(num_samples, 'num_samples')
  if num_samples < 2:
    raise ValueError(
        f'Argument `num_samples` must be at least 2 for VIMCO: the baseline of each sample '
        f'is built from the other K - 1; got {num_samples}.')
  return tfp.vi.monte_carlo_variational_loss(
      log_joint_fn, posterior, sample_size=1, importance_sample_size=num_samples,
      discrepancy_fn=tfp.vi.kl_reverse, gradient_estimator=tfp.vi.GradientEstimators.VIMCO,
      seed=seed)


def reweighted_wake_sleep_loss(log_joint_fn, posterior, num_samples, seed=None,
                               sleep_log_prob=None):
  """The loss of (contrastive) reweighted wake-sleep, and `log (1/K) sum_k w_k`.

  #### Mathematical Details

  With `z_k ~ q(. | x)` and the weights held fixed,

  ```none
  wake, p and q:  loss(x) = -sum_k w~_k [log p*(x, z_k) + log q(z_k | x)]
  sleep, q:       - mean_j log q(z_j^- | x_j^-),   z^- ~ p(z),  x^- ~ p(x | z^-)
  ```

  The `p` part is the gradient of `L_K`; the `q` part moves `q` towards
  the posterior in `KL(p(z | x) || q(z | x))`, at the data (wake) and at
  the model's own samples (sleep). In the contrastive version (App. A.1)
  `z^-` come from the RBM's persistent chains. `sleep_log_prob`, the
  caller's `log q(z^- | x^-)` (with `x^-` held fixed), is averaged and
  added to every example's loss, so that their mean is the paper's total.

  #### Examples

  ```python
  z_minus = chains.advance(rbm, 128)
  x_minus = tf.stop_gradient(decoder_distribution(z_minus).sample(seed=s1))
  with tf.GradientTape() as tape:
    sleep = posterior_of(x_minus).log_prob(z_minus)
    loss, log_weight = reweighted_wake_sleep_loss(log_joint, q, 5, s2, sleep)
    loss = tf.reduce_mean(loss) + rbm.surrogate_log_normalizer(z_minus)
  ```

  Args:
    log_joint_fn: `z -> log p*(x, z)` for `z` of shape `[K] + batch_shape +
      [M]`, returning `[K] + batch_shape`.
    posterior: `q(z | x)`, batch shape `batch_shape`, event `[M]`.
    num_samples: `K >= 1`.
    seed: stateless seed.
    sleep_log_prob: optional `log q(z^- | x^-)` of the sleep samples, `[S]`.

  Returns:
    `(loss, log_average_weight)`, each of shape `batch_shape`: the loss
    above and `L^ = log (1/K) sum_k w_k` (no gradient), the bound's sample.
  """
  num_samples = validation.check_integer(num_samples, 'num_samples', minimum=1)
  z = tf.stop_gradient(posterior.sample(num_samples, seed=seed))
  log_joint = log_joint_fn(z)
  log_q = posterior.log_prob(z)
  log_weights = log_joint - log_q
  normalized = tf.stop_gradient(tf.nn.softmax(log_weights, axis=0))
  loss = -tf.reduce_sum(normalized * (log_joint + log_q), axis=0)
  if sleep_log_prob is not None:
    loss += -tf.reduce_mean(sleep_log_prob)
  log_average_weight = tf.stop_gradient(
      tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(tf.cast(num_samples, loss.dtype)))
  return loss, log_average_weight
