"""Bad inputs of log Z estimation (AIS), RAISE, bits/dim and `evaluate_flow`."""

import numpy as np
import tensorflow as tf

from bad_input_registry import register_bad_input
from tfp_rbm import distributions as tfrd
from tfp_rbm import evaluation


def _rbm(batch_shape=()):
  """A 4 x 3 binary RBM."""
  rng = np.random.default_rng(0)
  return tfrd.BernoulliRBM(rng.normal(size=[*batch_shape, 4, 3]),
                           rng.normal(size=[*batch_shape, 4]),
                           rng.normal(size=[*batch_shape, 3]))


def _smoothed():
  rng = np.random.default_rng(1)
  return tfrd.SmoothedRBM(rng.normal(size=[2, 3]) * 0.3, rng.normal(size=[5]), margin=0.)


def _gaussian_bernoulli():
  rng = np.random.default_rng(2)
  return tfrd.GaussianBernoulliRBM(rng.normal(size=[4, 2]) * 0.3, np.zeros(4), np.zeros(2),
                                   np.ones(4))


# -- block_size: a positive int (a negative one gave a confident wrong log Z) --

@register_bad_input('evaluation/log_normalizer_negative_block_size', ValueError,
                    r'`block_size` must be at least 1; got -1')
def _ais_negative_block_size():
  evaluation.log_normalizer(_rbm(), num_chains=4, betas=3, block_size=-1)


@register_bad_input('evaluation/log_normalizer_zero_block_size', ValueError,
                    r'`block_size` must be at least 1; got 0')
def _ais_zero_block_size():
  evaluation.log_normalizer(_smoothed(), num_chains=4, betas=3, block_size=0)


@register_bad_input('evaluation/log_normalizer_float_block_size', TypeError,
                    r'`block_size` must be an integer; got 2.5')
def _ais_float_block_size():
  evaluation.log_normalizer(_rbm(), num_chains=4, betas=3, block_size=2.5)


@register_bad_input('evaluation/raise_negative_block_size', ValueError,
                    r'`block_size` must be at least 1; got -1')
def _raise_negative_block_size():
  evaluation.raise_log_prob(_rbm(), np.zeros([2, 4]), betas=3, block_size=-1)


@register_bad_input('evaluation/run_annealing_zero_block_size', ValueError,
                    r'`block_size` must be at least 1; got 0')
def _run_annealing_zero_block_size():
  rbm = _rbm()
  evaluation.run_annealing(rbm, np.zeros([2, 4]), evaluation.annealing_schedule(3),
                           seed=(1, 2), block_size=0)


# -- betas: an int number of steps or an array ------------------------------------

@register_bad_input('evaluation/log_normalizer_betas_string', TypeError,
                    r"`betas` must be an int number of steps or a 1-D array.*'ten'")
def _ais_betas_string():
  evaluation.log_normalizer(_rbm(), num_chains=4, betas='ten')


@register_bad_input('evaluation/raise_betas_list_of_strings', TypeError,
                    r'`betas` must be an int number of steps or a 1-D array')
def _raise_betas_strings():
  evaluation.raise_log_prob(_rbm(), np.zeros([2, 4]), betas=['0', 'one'])


@register_bad_input('evaluation/annealing_schedule_bool_betas', TypeError,
                    r'`betas` must be an int number of steps')
def _bool_betas():
  evaluation.annealing_schedule(True)


@register_bad_input('evaluation/evaluate_flow_betas_string', TypeError,
                    r'`betas` must be an int number of steps')
def _evaluate_flow_betas_string():
  evaluation.evaluate_flow(_gaussian_bernoulli(), np.zeros([2, 4], np.uint8), betas='ten')


# -- Counts -----------------------------------------------------------------------

@register_bad_input('evaluation/log_normalizer_num_chains_string', TypeError,
                    r'`num_chains` must be an integer')
def _ais_num_chains_string():
  evaluation.log_normalizer(_rbm(), num_chains='100', betas=3)


@register_bad_input('evaluation/raise_float_num_chains_per_point', TypeError,
                    r'`num_chains_per_point` must be an integer; got 1.5')
def _raise_float_chains():
  evaluation.raise_log_prob(_rbm(), np.zeros([2, 4]), num_chains_per_point=1.5, betas=3)


@register_bad_input('evaluation/evaluate_flow_zero_batch_size', ValueError,
                    r'`batch_size` must be at least 1; got 0')
def _evaluate_flow_zero_batch_size():
  evaluation.evaluate_flow(_gaussian_bernoulli(), np.zeros([2, 4], np.uint8), betas=3,
                           batch_size=0)


# -- The proposal: a dict of the machine's keys, each of its shape --------------------

@register_bad_input('evaluation/log_normalizer_proposal_wrong_size', ValueError,
                    r"`proposal\['visible_bias'\]` of BernoulliRBM has shape \(3,\)")
def _ais_proposal_wrong_size():
  evaluation.log_normalizer(_rbm(), num_chains=4, betas=3,
                            proposal={'visible_bias': np.zeros(3)})


@register_bad_input('evaluation/raise_proposal_wrong_size', ValueError,
                    r"`proposal\['scale'\]` of GaussianBernoulliRBM has shape \(2,\)")
def _raise_proposal_wrong_size():
  evaluation.raise_log_prob(_gaussian_bernoulli(), np.zeros([2, 4]), betas=3,
                            proposal={'visible_bias': np.zeros(4), 'scale': np.ones(2)})


@register_bad_input('evaluation/run_annealing_proposal_wrong_batch', ValueError,
                    r"`proposal\['visible_bias'\]` of BernoulliRBM has shape \(3, 4\)")
def _run_annealing_proposal_wrong_batch():
  rbm = _rbm(batch_shape=(2,))
  evaluation.run_annealing(rbm, np.zeros([5, 2, 4]), evaluation.annealing_schedule(3),
                           seed=(1, 2), proposal={'visible_bias': np.zeros([3, 4])})


@register_bad_input('evaluation/log_normalizer_proposal_not_a_dict', TypeError,
                    r'`proposal` must be a dict')
def _ais_proposal_not_a_dict():
  evaluation.log_normalizer(_smoothed(), num_chains=4, betas=3, proposal=np.zeros(5))


# -- RAISE's points -------------------------------------------------------------------

@register_bad_input('evaluation/raise_x_wrong_event_size', ValueError,
                    r'`x` must have shape \[\.\.\., 4\]')
def _raise_x_wrong_event_size():
  evaluation.raise_log_prob(_rbm(), np.zeros([2, 5]), betas=3)


@register_bad_input('evaluation/raise_x_batch_mismatch', ValueError,
                    r'`x` has shape \(3, 4\).*batch shape \(2,\)')
def _raise_x_batch_mismatch():
  evaluation.raise_log_prob(_rbm(batch_shape=(2,)), np.zeros([3, 4]), betas=3)


@register_bad_input('evaluation/raise_x_wrong_dtype', TypeError,
                    r'`x` has dtype float32, but the distribution has dtype float64')
def _raise_x_wrong_dtype():
  evaluation.raise_log_prob(_rbm(), tf.zeros([2, 4]), betas=3)


# -- bits_per_dim ---------------------------------------------------------------------

@register_bad_input('evaluation/bits_per_dim_zero_dims', ValueError,
                    r'`num_dims` must be at least 1; got 0')
def _bits_zero_dims():
  evaluation.bits_per_dim(-10., num_dims=0)


@register_bad_input('evaluation/bits_per_dim_negative_dims', ValueError,
                    r'`num_dims` must be at least 1; got -784')
def _bits_negative_dims():
  evaluation.bits_per_dim(-10., num_dims=-784)


@register_bad_input('evaluation/bits_per_dim_float_dims', TypeError,
                    r'`num_dims` must be an integer; got 784.5')
def _bits_float_dims():
  evaluation.bits_per_dim(-10., num_dims=784.5)


@register_bad_input('evaluation/bits_per_dim_zero_bins', ValueError,
                    r'`num_bins` must be at least 2; got 0')
def _bits_zero_bins():
  evaluation.bits_per_dim(-10., num_dims=4, num_bins=0)


@register_bad_input('evaluation/bits_per_dim_one_bin', ValueError,
                    r'`num_bins` must be at least 2; got 1')
def _bits_one_bin():
  evaluation.bits_per_dim(-10., num_dims=4, num_bins=1)


# -- evaluate_flow's data -------------------------------------------------------------

@register_bad_input('evaluation/evaluate_flow_empty_array', ValueError,
                    r'`dataset` holds no images')
def _evaluate_flow_empty():
  evaluation.evaluate_flow(_gaussian_bernoulli(), np.zeros([0, 4], np.uint8), betas=3)


@register_bad_input('evaluation/evaluate_flow_negative_pixels', ValueError,
                    r'`dataset` must hold 8-bit images')
def _evaluate_flow_negative_pixels():
  evaluation.evaluate_flow(_gaussian_bernoulli(), -np.ones([2, 4], np.int32), betas=3)
