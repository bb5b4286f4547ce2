"""The Gaussian-Bernoulli RBM with a label layer (EB-and-Flow §5.1, Larochelle & Bengio 2008)."""

import tensorflow as tf
import tensorflow_probability as tfp
# No public API: shape arithmetic that stays static when shapes are known.
from tensorflow_probability.python.internal import prefer_static as ps

from tfp_rbm.distributions import boltzmann_math
from tfp_rbm.distributions import gaussian_bernoulli_rbm
from tfp_rbm.distributions import label_interface
from tfp_rbm.internal import noise
from tfp_rbm.internal import validation

__all__ = ['LabeledGaussianBernoulliRBM']


class LabeledGaussianBernoulliRBM(gaussian_bernoulli_rbm.GaussianBernoulliRBM):
  """Gaussian-Bernoulli RBM whose hidden units also see a one-hot label `y`.

  A distribution over the visible units `v`, with the label summed out like
  the hidden units: `log_prob(v) = log sum_y p(v, y)`. The joint is
  `joint_log_prob(v, y)`, the exact classifier `label_posterior(v)`.

  #### Mathematical Details

  `K` classes, label weights `U` (`[K, H]`) and label bias `d` (`[K]`); the
  rest as `GaussianBernoulliRBM`, with its signs:

  ```none
  E(v, y, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - c.h - (v / sigma)^T W h - U_y.h - d_y
  F(v, y)    = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - d_y
               - sum_j softplus(c_j + (W^T (v / sigma))_j + U_yj)
  p(y | v)   = softmax_y(-F(v, y))                       (exact: K terms)
  log p(v, y) = -F(v, y) - log Z,    log p(v) = logsumexp_y(-F(v, y)) - log Z
  p(h_j = 1 | v, y) = sigmoid(c_j + (W^T (v / sigma))_j + U_yj)
  p(v | h)   = Normal(b + sigma * (W h), sigma^2)          (v and y independent given h)
  log Z = sum_i log(sqrt(2 pi) sigma_i)
          + logsumexp_h [c.h + logsumexp_y(d_y + U_y.h) + sum_i (b_i a_i / sigma_i + a_i^2 / 2)],
          a = W h
  ```

  The chains run over `v` alone, with the label collapsed: a sweep draws
  `y ~ p(y | v)`, then `h ~ p(h | v, y)` (together an exact draw of
  `(y, h) | v`), then `v ~ p(v | h)`. It is block Gibbs on the blocks `v` and
  `(y, h)`, so it leaves `p(v)` invariant; the chains' state is the event
  (RAISE applies) and `surrogate_log_normalizer` is the core's, with the
  marginal free energy `F(v) = -logsumexp_y(-F(v, y))`. Both draws see `v`
  only through the hidden input `c + W^T (v / sigma)`, so a chain of many
  sweeps integrates the visible layer out between them as
  `GaussianBernoulliRBM`'s does (`_gibbs_chain`). A pair `(v, y)` is
  `v` from the chains and `y ~ p(y | v)` (`sample_with_labels`); `v` given a
  label is the Gaussian-Bernoulli RBM of hidden bias `c + U_y`
  (`label_conditional(y)`, `sample(n, labels=y)`).

  Exact log Z, `mean` and `variance` enumerate the hidden states as
  `GaussianBernoulliRBM`'s do, with the label sum (closed form, `K` terms)
  added to each state's log-weight; entropy, mode and KL divergence have no
  closed form (`inexact_statistics`). The annealing path is
  `GaussianBernoulliRBM`'s with `U_beta = beta U` and `d_beta = beta d`; at
  `beta = 0` the label is uniform and adds `log K` to the proposal's log Z.

  Under a flow, start it with a hidden unit per class (`U_yj = s [j = y]`,
  `c_j = -s/2`), as the `'labeled_gaussian_bernoulli_rbm'` spec kind does:
  from small symmetric `U` (as below) `p(y | v)` is nearly flat and the
  label units barely learn while the flow moves the latents
  (docs/labels.md).

  #### Examples

  ```python
  rbm = tfp_rbm.distributions.LabeledGaussianBernoulliRBM(
      weights=tf.Variable(tf.random.normal([784, 16], stddev=0.01)),
      visible_bias=tf.Variable(tf.zeros([784])),
      hidden_bias=tf.Variable(tf.zeros([16])),
      scale=tf.Variable(tf.ones([784])),
      label_weights=tf.Variable(tf.random.normal([10, 16], stddev=0.01)),
      label_bias=tf.Variable(tf.zeros([10])))
  v, y = rbm.sample_with_labels(64, seed=(0, 1), num_steps=100)
  sevens = rbm.sample(64, seed=(0, 2), num_steps=100, labels=7)
  rbm.log_prob(v)                   # exact: 2^16 hidden states, in chunks
  rbm.joint_log_prob(v, y)
  rbm.label_posterior(v).probs_parameter()   # [64, 10]
  ```

  #### References

  [1] Grathwohl, W., Li, X., Swersky, K., Hashemi, M., Jacobsen, J.-H.,
      Norouzi, M., Hinton, G. Scaling RBMs to high dimensional data with
      invertible neural networks (EB-and-Flow), §5.1. ICML 2020 workshop on
      Invertible Neural Networks, Normalizing Flows, and Explicit Likelihood
      Models.
  [2] Larochelle, H., Bengio, Y. Classification using discriminative
      restricted Boltzmann machines. ICML 2008.
  """

  def __init__(self, weights, visible_bias, hidden_bias, scale, label_weights,
               label_bias, log_normalizer=None, max_enumeration_bits=20,
               validate_args=False, allow_nan_stats=True,
               name='LabeledGaussianBernoulliRBM'):
    """Builds a Gaussian-Bernoulli RBM with `K` classes.

    Args:
      weights: float tensor or variable, `batch_shape + [D, H]`.
      visible_bias: float tensor or variable, `batch_shape + [D]`.
      hidden_bias: float tensor or variable, `batch_shape + [H]`.
      scale: positive float tensor or variable, `batch_shape + [D]` (or
        broadcastable to it), the visible standard deviations.
      label_weights: float tensor or variable, `batch_shape + [K, H]`.
      label_bias: float tensor or variable, `batch_shape + [K]`.
      log_normalizer: optional log Z estimate (e.g. from AIS), `batch_shape`.
      max_enumeration_bits: largest `H` for which `log_prob` computes log Z
        exactly when none is supplied, in `[0, MAX_ENUMERATION_BITS]` (24).
      validate_args: check finiteness of parameters and data, `scale > 0`
        and that labels lie in `[0, K)`.
      allow_nan_stats: TFP's flag, kept for interface compatibility.
      name: name scope of the ops.
    """
    parameters = dict(locals())
    # The core's constructor: `GaussianBernoulliRBM.__init__` fixes its own arguments.
    super(gaussian_bernoulli_rbm.GaussianBernoulliRBM, self).__init__(
        parameters, max_enumeration_bits, validate_args, allow_nan_stats, name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    properties = dict(super()._parameter_properties(dtype, num_classes))
    log_normalizer = properties.pop('log_normalizer')
    return dict(properties,
                label_weights=tfp.util.ParameterProperties(event_ndims=2),
                label_bias=tfp.util.ParameterProperties(event_ndims=1),
                log_normalizer=log_normalizer)

  @property
  def label_weights(self):
    """Label-to-hidden weights `U`, shape `batch_shape + [num_classes, num_hidden]`."""
    return self._label_weights

  @property
  def label_bias(self):
    """Label bias `d`, shape `batch_shape + [num_classes]`."""
    return self._label_bias

  @property
  def num_classes(self):
    return tf.compat.dimension_value(self._label_weights.shape[-2])

  def _check_static_shapes(self):
    super()._check_static_shapes()
    u_shape = self._label_weights.shape
    if u_shape.rank is not None and u_shape.rank < 2:
      raise ValueError('Argument `label_weights` must have shape [..., num_classes, '
                       f'num_hidden]; got shape {u_shape}.')
    if u_shape.rank is None:
      return
    if u_shape[-2] == 0:
      raise ValueError('Argument `label_weights` must have at least one class; got shape '
                       f'{u_shape}.')
    if None not in (u_shape[-1], self.num_hidden) and u_shape[-1] != self.num_hidden:
      raise ValueError(
          f'Argument `label_weights` has {u_shape[-1]} hidden units but `weights` has '
          f'shape {self._weights.shape}: expected {self.num_hidden}.')
    d_shape = self._label_bias.shape
    if d_shape.rank == 0:
      raise ValueError('Argument `label_bias` must be at least a vector; got a scalar.')
    if d_shape.rank is not None and None not in (d_shape[-1], u_shape[-2]) and (
        d_shape[-1] != u_shape[-2]):
      raise ValueError(
          f'Argument `label_bias` has {d_shape[-1]} classes but `label_weights` has shape '
          f'{u_shape}: expected {u_shape[-2]}.')

  def _convert_labels(self, labels):
    """`(labels, assertions)`: integer class indices in `[0, K)` (see `label_interface`)."""
    return label_interface.convert_labels(labels, self.num_classes, ps.shape(self._label_bias)[-1],
                                          self.validate_args)

  # -- Energies and conditionals --------------------------------------------

  def _label_hidden_inputs(self, visible, params):
    """`c + W^T (v / sigma) + U_y` for every label, shape `[..., K, H]`."""
    return self._hidden_input(visible, params)[..., tf.newaxis, :] + params['label_weights']

  def _joint_log_unnormalized(self, visible, params):
    """`(-F(v, y) for every y, shape [..., K]; the hidden inputs, [..., K, H])`."""
    inputs = self._label_hidden_inputs(visible, params)
    quadratic = tf.reduce_sum(
        tf.square((visible - params['visible_bias']) / params['scale']), axis=-1) / 2.
    return (params['label_bias'] - quadratic[..., tf.newaxis]
            + tf.reduce_sum(tf.math.softplus(inputs), axis=-1)), inputs

  def _free_energy(self, value, params):
    """The marginal free energy `-logsumexp_y(-F(v, y))`."""
    return -tf.reduce_logsumexp(self._joint_log_unnormalized(value, params)[0], axis=-1)

  def _hidden_logit(self, visible, params):
    """The logit of `p(h_j = 1 | v) = sum_y p(y | v) sigmoid(a_yj)`, `a` the hidden inputs."""
    joint, inputs = self._joint_log_unnormalized(visible, params)
    log_posterior = tf.math.log_softmax(joint, axis=-1)[..., tf.newaxis]
    return (tf.reduce_logsumexp(log_posterior - tf.math.softplus(-inputs), axis=-2)
            - tf.reduce_logsumexp(log_posterior - tf.math.softplus(inputs), axis=-2))

  def _sample_hidden(self, visible, params, seed):
    """`y ~ p(y | v)`, then `h ~ p(h | v, y)`: an exact draw of `(y, h) | v`; `h` is kept."""
    return self._sample_hidden_from_input(self._hidden_input(visible, params), params, seed)

  def _sample_hidden_from_input(self, hidden_input, params, seed):
    """The draw of `_sample_hidden` from `a = c + W^T (v / sigma)`, all it needs of `v`.

    `p(y | v) = softmax_y(d_y + sum_j softplus(a_j + U_yj))` (the quadratic
    term of `-F(v, y)` is the same for every label), then
    `h ~ Bernoulli(sigmoid(a + U_y))`.
    """
    label_seed, hidden_seed = tfp.random.split_seed(seed, salt='sample_hidden')
    inputs = hidden_input[..., tf.newaxis, :] + params['label_weights']
    logits = params['label_bias'] + tf.reduce_sum(tf.math.softplus(inputs), axis=-1)
    one_hot = tf.one_hot(_sample_categorical(logits, label_seed), ps.shape(logits)[-1],
                         dtype=self.dtype)
    return noise.bernoulli_sample(
        tf.reduce_sum(one_hot[..., tf.newaxis] * inputs, axis=-2), hidden_seed)

  def _hidden_log_weight_and_projection(self, hidden, params):
    """`GaussianBernoulliRBM`'s `log p~(h)` plus the label summed out, `logsumexp_y(d_y + U_y.h)`.

    Exact log Z and the mixture's mean and variance enumerate the hidden
    states with it.
    """
    log_weight, projection = super()._hidden_log_weight_and_projection(hidden, params)
    label_logits = params['label_bias'][..., tf.newaxis, :] + tf.linalg.matmul(
        hidden, params['label_weights'], transpose_b=True)  # batch + [k, K]
    return log_weight + tf.reduce_logsumexp(label_logits, axis=-1), projection

  def _enumerated_state_width(self):
    """`GaussianBernoulliRBM`'s columns and the label's `K`."""
    if self.num_classes is None:
      return None
    return super()._enumerated_state_width() + self.num_classes

  def _hidden_log_weight_gram_form(self, params):
    """`GaussianBernoulliRBM`'s Gram form with the label summed out: `P` gains `U^T`."""
    projection, log_weight = super()._hidden_log_weight_gram_form(params)
    columns = projection.shape[-1]

    def with_label(products):  # [GaussianBernoulliRBM's | h U^T]
      return log_weight(products[..., :columns]) + tf.reduce_logsumexp(
          products[..., columns:] + params['label_bias'][..., tf.newaxis, :], axis=-1)

    return (boltzmann_math.concat_columns(
        [projection, tf.linalg.matrix_transpose(params['label_weights'])]), with_label)

  # -- The labels -------------------------------------------------------------

  def unnormalized_joint_log_prob(self, value, labels, name='unnormalized_joint_log_prob'):
    """`-F(v, y)`, shape `broadcast(sample_shape + batch_shape, labels.shape)`."""
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      return self._joint_log_prob(value, labels, self._read_parameters(), normalized=False)

  def joint_log_prob(self, value, labels, name='joint_log_prob'):
    """`log p(v, y) = -F(v, y) - log Z`; log Z as `log_prob` takes it.

    Args:
      value: visible units, `sample_shape + batch_shape + [D]`.
      labels: integer class indices in `[0, K)`, broadcasting with
        `sample_shape + batch_shape`.
      name: name scope of the ops.
    """
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      return self._joint_log_prob(value, labels, self._read_parameters(), normalized=True)

  def _joint_log_prob(self, value, labels, params, normalized):
    labels, assertions = self._convert_labels(labels)
    label_interface.check_labels_broadcast(labels, value.shape[:-1], against='value')
    with tf.control_dependencies(assertions):
      one_hot = tf.one_hot(labels, ps.shape(params['label_bias'])[-1], dtype=self.dtype)
    joint = tf.reduce_sum(one_hot * self._joint_log_unnormalized(value, params)[0], axis=-1)
    if not normalized:
      return joint
    return joint - self._log_normalizer_in_use(params)

  def label_posterior(self, value, name='label_posterior'):
    """The exact `p(y | v) = softmax_y(-F(v, y))` as a `tfd.Categorical`.

    Its batch shape is `sample_shape + batch_shape` of `value`; no log Z is
    needed.
    """
    value = validation.convert_value(value, self.dtype, 'value')
    with self._name_and_control_scope(name, value):
      joint = self._joint_log_unnormalized(value, self._read_parameters())[0]
      return tfp.distributions.Categorical(logits=joint, validate_args=self.validate_args)

  def label_conditional(self, labels, name='label_conditional'):
    """`p(v | y)`: the `GaussianBernoulliRBM` of hidden bias `c + U_y`.

    Its batch shape is `broadcast(batch_shape, labels.shape)`; its
    `log_prob` is the exact `log p(v | y)` (enumerating the hidden layer),
    its `sample` runs Gibbs chains with the label clamped.
    """
    with self._name_and_control_scope(name):
      return self._label_conditional(labels, self._read_parameters())

  def _label_conditional(self, labels, params):
    labels, assertions = self._convert_labels(labels)
    label_interface.check_labels_broadcast(labels, self.batch_shape, against='the batch')
    with tf.control_dependencies(assertions):
      one_hot = tf.one_hot(labels, ps.shape(params['label_bias'])[-1], dtype=self.dtype)
    label_input = tf.linalg.matvec(params['label_weights'], one_hot, transpose_a=True)
    return gaussian_bernoulli_rbm.GaussianBernoulliRBM(
        params['weights'], params['visible_bias'], params['hidden_bias'] + label_input,
        params['scale'], max_enumeration_bits=self.max_enumeration_bits,
        validate_args=self.validate_args, allow_nan_stats=self.allow_nan_stats,
        name='label_conditional')

  def _sample_n(self, n, seed=None, num_steps=None, initial_state=None, labels=None):
    """Chains over `v`; with `labels`, chains of `p(v | y)` with the label clamped.

    `labels` broadcast to `[n] + batch_shape` (with a scalar sample shape
    `n`; a label per machine, `batch_shape`, serves any sample shape).
    """
    if labels is None:
      return super()._sample_n(n, seed, num_steps, initial_state)
    labels = tf.convert_to_tensor(labels, name='labels')
    label_interface.check_labels_broadcast(
        labels, tf.TensorShape([tf.get_static_value(n)]).concatenate(self.batch_shape),
        against='sample_shape + batch_shape')
    labels = tf.broadcast_to(labels, ps.concat([[n], self._batch_shape_tensor()], 0))
    conditional = self._label_conditional(labels, self._read_parameters())
    return conditional.sample(seed=seed, num_steps=num_steps, initial_state=initial_state)

  def sample_with_labels(self, sample_shape=(), seed=None, num_steps=None,
                         initial_state=None, name='sample_with_labels'):
    """Pairs `(v, y)` from the joint: `v` from the chains, then `y ~ p(y | v)`.

    Args:
      sample_shape: shape of the sample.
      seed: stateless seed.
      num_steps: Gibbs sweeps (default `default_gibbs_steps`).
      initial_state: optional start of the chains over `v`.
      name: name scope of the ops.

    Returns:
      `(v, y)`: `sample_shape + batch_shape + [D]` in the distribution's
      dtype and `sample_shape + batch_shape` int32 labels.
    """
    chain_seed, label_seed = tfp.random.split_seed(seed, n=2, salt='sample_with_labels')
    visible = self.sample(sample_shape, seed=chain_seed, num_steps=num_steps,
                          initial_state=initial_state)
    with self._name_and_control_scope(name):
      joint = self._joint_log_unnormalized(visible, self._read_parameters())[0]
      return visible, _sample_categorical(joint, label_seed)

  # -- The annealing path -----------------------------------------------------

  def _annealed_parameters(self, beta, params):
    """`GaussianBernoulliRBM`'s path, with `U_beta = beta U` and `d_beta = beta d`."""
    return dict(super()._annealed_parameters(beta, params),
                label_weights=beta * params['label_weights'],
                label_bias=beta * params['label_bias'])

  def _proposal_chain_log_normalizer(self, params):
    """The Gaussian proposal's log Z, `H log 2` for the hidden units, `log K` for the label."""
    num_classes = tf.cast(ps.shape(params['label_bias'])[-1], self.dtype)
    return super()._proposal_chain_log_normalizer(params) + tf.math.log(num_classes)


def _sample_categorical(logits, seed):
  """int32 indices with `p(k) = softmax(logits)_k` on the last axis (Gumbel-max)."""
  u = noise.uniform(ps.shape(logits), seed, logits.dtype)
  return tf.argmax(logits - tf.math.log(-tf.math.log(u)), axis=-1, output_type=tf.int32)
