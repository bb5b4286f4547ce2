"""tfp_rbm: energy-based base distributions and flow bijectors for TFP.

Restricted Boltzmann machines (binary, Gaussian-Bernoulli, Gaussian-smoothed)
and the discrete mixture as `tfd.Distribution`s, Glow / NICE / Flow++ layers
as `tfb.Bijector`s, and the training and evaluation machinery to use them as
the base of a normalizing flow: `tfd.TransformedDistribution(base, flow)`.
"""

__version__ = "0.1.0"

from tfp_rbm import bijectors
from tfp_rbm import datasets
from tfp_rbm import distributions
from tfp_rbm import evaluation
from tfp_rbm import flow_density
from tfp_rbm import flows
from tfp_rbm import keras
from tfp_rbm import mcmc
from tfp_rbm import networks
from tfp_rbm import training

__all__ = [
    'bijectors',
    'datasets',
    'distributions',
    'evaluation',
    'flow_density',
    'flows',
    'keras',
    'mcmc',
    'networks',
    'training',
]
