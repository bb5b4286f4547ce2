"""Bad inputs of the Boltzmann-machine bases and their persistent chains."""

import numpy as np
import tensorflow as tf

from bad_input_registry import register_bad_input
from tfp_rbm import distributions as tfrd
from tfp_rbm import mcmc
from tfp_rbm import training

DTYPE_MESSAGE = r'must be float32 or float64 \(the supported dtypes\); got {}'


def _rbm(batch_shape=(), dtype=np.float64, **kwargs):
  """A 4 x 3 binary RBM with the given batch shape."""
  rng = np.random.default_rng(0)
  return tfrd.BernoulliRBM(rng.normal(size=[*batch_shape, 4, 3]).astype(dtype),
                           rng.normal(size=[*batch_shape, 4]).astype(dtype),
                           rng.normal(size=[*batch_shape, 3]).astype(dtype), **kwargs)


def _smoothed(batch_shape=(), **kwargs):
  rng = np.random.default_rng(1)
  return tfrd.SmoothedRBM(rng.normal(size=[*batch_shape, 2, 3]) * 0.3,
                          rng.normal(size=[*batch_shape, 5]), margin=0., **kwargs)


# -- Dtypes: float32 and float64 only, named at construction -----------------

@register_bad_input('distributions/float16_weights', TypeError,
                    r'`weights` ' + DTYPE_MESSAGE.format('float16'))
def _float16_weights():
  _rbm(dtype=np.float16)


@register_bad_input('distributions/bfloat16_field', TypeError,
                    r'`field` ' + DTYPE_MESSAGE.format('bfloat16'))
def _bfloat16_field():
  tfrd.DiscreteMixture(tf.zeros([3], tf.bfloat16), 1.)


@register_bad_input('distributions/float16_delta', TypeError,
                    r'`delta` ' + DTYPE_MESSAGE.format('float16'))
def _float16_delta():
  tfrd.DiscreteMixture(tf.zeros([3]), tf.constant(1., tf.float16))


@register_bad_input('distributions/float16_scale', TypeError,
                    r'`scale` ' + DTYPE_MESSAGE.format('float16'))
def _float16_scale():
  tfrd.GaussianBernoulliRBM(tf.zeros([4, 3]), tf.zeros([4]), tf.zeros([3]),
                            tf.ones([4], tf.float16))


@register_bad_input('distributions/integer_weights', TypeError,
                    r'`weights` ' + DTYPE_MESSAGE.format('int32'))
def _integer_weights():
  tfrd.SpinRBM(tf.zeros([4, 3], tf.int32), tf.zeros([4]), tf.zeros([3]))


@register_bad_input('distributions/mixed_dtypes', TypeError,
                    r'`visible_bias` has dtype float64 but other parameters have float32')
def _mixed_dtypes():
  tfrd.BernoulliRBM(tf.zeros([4, 3]), tf.zeros([4], tf.float64), tf.zeros([3]))


# -- `sample(num_steps=...)`: a count >= 0, whatever its type -----------------

@register_bad_input('distributions/sample_negative_num_steps', ValueError,
                    r'`num_steps` must be at least 0; got -1')
def _negative_num_steps():
  _rbm().sample(2, seed=(1, 2), num_steps=-1)


@register_bad_input('distributions/sample_numpy_negative_num_steps', ValueError,
                    r'`num_steps` must be at least 0; got -3')
def _numpy_negative_num_steps():
  _smoothed().sample(2, seed=(1, 2), num_steps=np.int64(-3))


@register_bad_input('distributions/sample_tensor_negative_num_steps', ValueError,
                    r'`num_steps` must be at least 0; got -1')
def _tensor_negative_num_steps():
  _rbm().sample(2, seed=(1, 2), num_steps=tf.constant(-1))


@register_bad_input('distributions/sample_float_num_steps', TypeError,
                    r'`num_steps` must be an integer; got 2.5')
def _float_num_steps():
  _rbm().sample(2, seed=(1, 2), num_steps=2.5)


@register_bad_input('distributions/sample_float_tensor_num_steps', TypeError,
                    r'`num_steps` must be an integer; got a float32 tensor')
def _float_tensor_num_steps():
  _rbm().sample(2, seed=(1, 2), num_steps=tf.constant(3.))


# -- Values whose batch dimensions do not broadcast ---------------------------

@register_bad_input('distributions/log_prob_value_batch_mismatch', ValueError,
                    r'`value` has shape \(3, 4\).*batch shape \(2,\)')
def _log_prob_value_batch_mismatch():
  _rbm(batch_shape=(2,)).log_prob(np.zeros([3, 4]))


@register_bad_input('distributions/spin_posterior_value_batch_mismatch', ValueError,
                    r'`value` has shape \(3, 5\).*batch shape \(2,\)')
def _spin_posterior_batch_mismatch():
  _smoothed(batch_shape=(2,)).spin_posterior(np.zeros([3, 5]))


@register_bad_input('distributions/smooth_spins_batch_mismatch', ValueError,
                    r'`spins` has shape \(4, 3, 5\).*batch shape \(2,\)')
def _smooth_spins_batch_mismatch():
  _smoothed(batch_shape=(2,)).smooth(np.ones([4, 3, 5]), seed=(1, 2))


@register_bad_input('distributions/visible_distribution_hidden_batch_mismatch', ValueError,
                    r'`hidden` has shape \(3, 3\).*batch shape \(2,\)')
def _hidden_batch_mismatch():
  _rbm(batch_shape=(2,)).visible_distribution(np.zeros([3, 3]))


@register_bad_input('distributions/initial_state_batch_mismatch', ValueError,
                    r'`initial_state` has shape \(3, 4\).*batch shape \(2,\)')
def _initial_state_batch_mismatch():
  _rbm(batch_shape=(2,)).sample(1, seed=(1, 2), num_steps=1, initial_state=np.zeros([3, 4]))


# -- A supplied log Z of the wrong batch shape --------------------------------

@register_bad_input('distributions/log_normalizer_wider_than_batch', ValueError,
                    r'`log_normalizer` has batch shape \(5,\), wider than the batch shape \(\)')
def _log_normalizer_wider():
  _rbm(log_normalizer=np.zeros([5]))


@register_bad_input('distributions/with_log_normalizer_wrong_batch', ValueError,
                    r'`log_normalizer` \(batch shape \(3,\)\) must have batch shapes that '
                    r'broadcast')
def _with_log_normalizer_wrong_batch():
  _rbm(batch_shape=(2,)).with_log_normalizer(np.zeros([3]))


@register_bad_input('distributions/smoothed_log_normalizer_wider_than_batch', ValueError,
                    r'`log_normalizer` has batch shape \(2, 1\)')
def _smoothed_log_normalizer_wider():
  _smoothed(batch_shape=(1,), log_normalizer=np.zeros([2, 1]))


# -- Annealing proposals ------------------------------------------------------

@register_bad_input('distributions/annealed_proposal_wrong_size', ValueError,
                    r"`proposal\['visible_bias'\]` of BernoulliRBM has shape \(5,\)")
def _annealed_proposal_wrong_size():
  _rbm().annealed(0.5, {'visible_bias': np.zeros(5)})


@register_bad_input('distributions/proposal_log_normalizer_wrong_size', ValueError,
                    r"`proposal\['field'\]` of SmoothedRBM has shape \(2, 5\)")
def _proposal_wrong_batch():
  _smoothed(batch_shape=(3,)).proposal_log_normalizer({'field': np.zeros([2, 5])})


@register_bad_input('distributions/annealed_proposal_not_numbers', TypeError,
                    r"`proposal\['visible_bias'\]` of BernoulliRBM must be a float array")
def _annealed_proposal_not_numbers():
  _rbm().annealed(0.5, {'visible_bias': 'zeros'})


# -- Values checked under `validate_args` -------------------------------------

@register_bad_input('distributions/smoothed_delta_below_spectral_norm',
                    tf.errors.InvalidArgumentError,
                    r'`delta` must exceed the largest singular value of `weights`')
def _delta_below_norm():
  tfrd.SmoothedRBM(np.array([[3., 4.]]), np.zeros(3), delta=4.9, validate_args=True)


@register_bad_input('distributions/gaussian_bernoulli_negative_scale',
                    tf.errors.InvalidArgumentError, r'`scale` must be positive')
def _negative_scale():
  tfrd.GaussianBernoulliRBM(np.zeros([2, 2]), np.zeros(2), np.zeros(2),
                            np.array([1., -1.]), validate_args=True)


@register_bad_input('distributions/spin_rbm_value_not_spins', tf.errors.InvalidArgumentError,
                    r'`value` must hold spins, -1 or \+1')
def _value_not_spins():
  tfrd.SpinRBM(np.zeros([3, 2]), np.zeros(3), np.zeros(2),
               validate_args=True).log_prob([1., 0., -1.])


@register_bad_input('distributions/max_enumeration_bits_float', ValueError,
                    r'`max_enumeration_bits` must be an integer in \[0, 24\]')
def _enumeration_bits_float():
  _rbm(max_enumeration_bits=10.)


# -- Persistent chains --------------------------------------------------------

@register_bad_input('training/flow_loss_without_chains_past_enumeration', ValueError,
                    r'`chain_samples` is required: BernoulliRBM has an intractable log Z '
                    r'\(2\^3 states, more than its `max_enumeration_bits`=2\)')
def _no_chains_past_enumeration():
  training.flow_loss(_rbm(max_enumeration_bits=2), tf.zeros([2, 4], tf.float64))


@register_bad_input('training/persistent_chains_numpy_num_chains_above_buffer', ValueError,
                    r'`num_chains`=11 exceeds the buffer size 10')
def _numpy_num_chains_above_buffer():
  rbm = _rbm()
  training.PersistentChains(rbm, buffer_size=10).advance(rbm, np.int32(11))


@register_bad_input('training/persistent_chains_tensor_num_chains_above_buffer', ValueError,
                    r'`num_chains`=12 exceeds the buffer size 10')
def _tensor_num_chains_above_buffer():
  rbm = _rbm()
  training.PersistentChains(rbm, buffer_size=10).advance(rbm, tf.constant(12))


@register_bad_input('training/persistent_chains_zero_num_chains', ValueError,
                    r'`num_chains` must be at least 1; got 0')
def _zero_num_chains():
  rbm = _rbm()
  training.PersistentChains(rbm, buffer_size=10).advance(rbm, 0)


@register_bad_input('training/persistent_chains_float_buffer_size', TypeError,
                    r'`buffer_size` must be an integer; got 10.5')
def _float_buffer_size():
  training.PersistentChains(_rbm(), buffer_size=10.5)


@register_bad_input('training/persistent_chains_string_reset_fraction', TypeError,
                    r'`reset_fraction` must be a number in \[0, 1\]')
def _string_reset_fraction():
  training.PersistentChains(_rbm(), buffer_size=10, reset_fraction='half')


# -- The compile choice of an eager Gibbs loop ---------------------------------

@register_bad_input('distributions/run_gibbs_jit_compile_word', ValueError,
                    r"`jit_compile` must be True, False or 'auto'; got 'always'")
def _run_gibbs_jit_compile_word():
  rbm = _rbm()
  mcmc.run_gibbs(rbm, rbm.sample(2, seed=(1, 2), num_steps=1), 3, seed=(1, 3),
                 jit_compile='always')
