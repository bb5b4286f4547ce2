"""Energy-based base distributions: `tfd.Distribution` subclasses.

`BoltzmannMachine` is the energy-based core every base here builds on;
`RestrictedBoltzmannMachine` (chains over the visible units) and
`SmoothedSpinMachine` (spins smoothed by a Gaussian) are its two families.
"""

from tfp_rbm.distributions.bernoulli_rbm import BernoulliRBM
from tfp_rbm.distributions.boltzmann_machine import BoltzmannMachine
from tfp_rbm.distributions.boltzmann_machine import is_energy_based
from tfp_rbm.distributions.class_conditional_gaussian_mixture import (
    ClassConditionalGaussianMixture)
from tfp_rbm.distributions.convolutional_gaussian_bernoulli_rbm import (
    ConvolutionalGaussianBernoulliRBM)
from tfp_rbm.distributions.discrete_mixture import DiscreteMixture
from tfp_rbm.distributions.gaussian_bernoulli_rbm import GaussianBernoulliRBM
from tfp_rbm.distributions.label_interface import has_labels
from tfp_rbm.distributions.labeled_gaussian_bernoulli_rbm import LabeledGaussianBernoulliRBM
from tfp_rbm.distributions.restricted_boltzmann_machine import RestrictedBoltzmannMachine
from tfp_rbm.distributions.smoothed_rbm import SmoothedRBM
from tfp_rbm.distributions.smoothed_spin_machine import SmoothedSpinMachine
from tfp_rbm.distributions.spin_rbm import SpinRBM

__all__ = [
    'BernoulliRBM',
    'BoltzmannMachine',
    'ClassConditionalGaussianMixture',
    'ConvolutionalGaussianBernoulliRBM',
    'DiscreteMixture',
    'GaussianBernoulliRBM',
    'LabeledGaussianBernoulliRBM',
    'RestrictedBoltzmannMachine',
    'SmoothedRBM',
    'SmoothedSpinMachine',
    'SpinRBM',
    'has_labels',
    'is_energy_based',
]
