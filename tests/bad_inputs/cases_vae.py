"""Bad inputs of the RBM-prior VAE: its prior, its data, its samples, its objectives."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from bad_input_registry import register_bad_input
from tfp_rbm import distributions as tfrd
from tfp_rbm import evaluation
from tfp_rbm import training
from tfp_rbm.keras import RBMPriorVAE

RBM = {'kind': 'bernoulli_rbm', 'num_hidden': 2}


def _model(**kwargs):
  return RBMPriorVAE(4, 3, kwargs.pop('prior', RBM), hidden_units=[4], buffer_size=4,
                     num_gibbs_steps=1, **kwargs)


def _posterior():
  return tfp.distributions.Independent(tfp.distributions.Bernoulli(logits=tf.zeros([2, 3])), 1)


# -- The prior: binary, given as a spec ------------------------------------------------


@register_bad_input('keras/rbm_prior_vae/prior_not_binary', ValueError,
                    r"`prior` must be a binary prior over z in \{0, 1\}\^M.*got kind "
                    r"'gaussian_bernoulli_rbm', whose values are not binary")
def _():
  _model(prior={'kind': 'gaussian_bernoulli_rbm', 'num_hidden': 2})


@register_bad_input('keras/rbm_prior_vae/prior_distribution_not_binary', TypeError,
                    r'`prior` must be a spec dict.*got a GaussianBernoulliRBM, which is not a '
                    r'binary prior')
def _():
  _model(prior=tfrd.GaussianBernoulliRBM(np.zeros([3, 2]), np.zeros(3), np.zeros(2),
                                          np.ones(3)))


@register_bad_input('keras/rbm_prior_vae/prior_unknown_kind', ValueError,
                    r"`prior` must be a binary prior.*got kind 'boltzmann', an unknown kind")
def _():
  _model(prior={'kind': 'boltzmann'})


@register_bad_input('keras/rbm_prior_vae/prior_without_num_hidden', ValueError,
                    r"`prior`: kind 'bernoulli_rbm' needs `num_hidden`")
def _():
  _model(prior={'kind': 'bernoulli_rbm'})


@register_bad_input('keras/rbm_prior_vae/prior_unknown_option', ValueError,
                    r"`prior`: kind 'factorial_bernoulli' takes \[\]; got unknown "
                    r"\['num_hidden'\]")
def _():
  _model(prior={'kind': 'factorial_bernoulli', 'num_hidden': 2})


# -- The objective and K ----------------------------------------------------------------


@register_bad_input('keras/rbm_prior_vae/vimco_one_sample', ValueError,
                    r"`num_samples` must be at least 2 for objective='vimco'.*got 1")
def _():
  _model(objective='vimco', num_samples=1)


@register_bad_input('keras/rbm_prior_vae/unknown_objective', ValueError,
                    r"`objective` must be one of \('vimco', 'rws'\); got 'elbo'")
def _():
  _model(objective='elbo')


@register_bad_input('training/vae_vimco_loss_one_sample', ValueError,
                    r'`num_samples` must be at least 2 for VIMCO.*got 1')
def _():
  training.vimco_loss(lambda z: tf.reduce_sum(z, -1), _posterior(), num_samples=1)


@register_bad_input('training/vae_reweighted_wake_sleep_zero_samples', ValueError,
                    r'`num_samples` must be at least 1; got 0')
def _():
  training.reweighted_wake_sleep_loss(lambda z: tf.reduce_sum(z, -1), _posterior(), 0)


# -- The data: binary pixels of the Bernoulli decoder -----------------------------------


@register_bad_input('keras/rbm_prior_vae/non_binary_data', ValueError,
                    r'`x` must be binary \(0 or 1\).*holds the value 0.5')
def _():
  _model().log_prob(np.array([[0., 1., 0.5, 1.]]))


@register_bad_input('keras/rbm_prior_vae/non_binary_data_in_fit', ValueError,
                    r'`x` must be binary \(0 or 1\).*batch 0 of fit .*holds the value 255')
def _():
  model = _model(prior={'kind': 'factorial_bernoulli'})
  model.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=True)
  model.fit(np.full([4, 4], 255.), epochs=1, batch_size=4, verbose=0)


@register_bad_input('keras/rbm_prior_vae/data_of_another_size', ValueError,
                    r'`x` must have shape \[N, 4\] .*got shape \[2, 5\]')
def _():
  _model().posterior(np.zeros([2, 5]))


@register_bad_input('evaluation/vae_likelihood_zero_samples', ValueError,
                    r'`num_samples` must be at least 1; got 0')
def _():
  evaluation.evaluate_latent_variable_model(_model(), np.zeros([2, 4]), num_samples=0)


@register_bad_input('evaluation/vae_likelihood_no_data', ValueError,
                    r'`x` holds no examples')
def _():
  evaluation.evaluate_latent_variable_model(_model(), np.zeros([0, 4]))
