"""tfp_rbm: energy-based base distributions and flow bijectors for TFP.

Restricted Boltzmann machines (binary, Gaussian-Bernoulli, Gaussian-smoothed)
and the discrete mixture as `tfd.Distribution`s, Glow / NICE / Flow++ layers
as `tfb.Bijector`s, and the training and evaluation machinery to use them as
the base of a normalizing flow: `tfd.TransformedDistribution(base, flow)`.
"""

__version__ = "0.1.0"
