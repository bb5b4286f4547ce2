"""tfp_rbm: energy-based base distributions and flow bijectors for TFP.

Restricted Boltzmann machines (binary, Gaussian-Bernoulli, Gaussian-smoothed)
and the discrete mixture as `tfd.Distribution`s, Glow / NICE / Flow++ layers
as `tfb.Bijector`s, and the training and evaluation machinery to use them as
the base of a normalizing flow: `tfd.TransformedDistribution(base, flow)`.

Subpackages load on first use (`tfp_rbm.distributions`, ...): importing the
distributions or bijectors does not import the Keras layers and models.
"""

import importlib

__version__ = "0.1.0"

__all__ = [
    'bijectors',
    'datasets',
    'dequantization',
    'distributions',
    'evaluation',
    'flow_density',
    'flows',
    'image_grid',
    'keras',
    'mcmc',
    'networks',
    'training',
]


def __getattr__(name):
  if name in __all__:
    return importlib.import_module(f'{__name__}.{name}')
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
  return sorted(list(globals()) + __all__)
