"""Energy-based base distributions: `tfd.Distribution` subclasses."""

from tfp_rbm.distributions.bernoulli_rbm import BernoulliRBM
from tfp_rbm.distributions.discrete_mixture import DiscreteMixture
from tfp_rbm.distributions.gaussian_bernoulli_rbm import GaussianBernoulliRBM
from tfp_rbm.distributions.restricted_boltzmann_machine import RestrictedBoltzmannMachine
from tfp_rbm.distributions.smoothed_rbm import SmoothedRBM

__all__ = [
    'BernoulliRBM',
    'DiscreteMixture',
    'GaussianBernoulliRBM',
    'RestrictedBoltzmannMachine',
    'SmoothedRBM',
]
