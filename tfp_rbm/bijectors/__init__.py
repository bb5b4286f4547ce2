"""Flow bijectors: Glow and NICE layers, Flow++ couplings, pre-processing."""

from tfp_rbm.bijectors.actnorm import ActNorm
from tfp_rbm.bijectors.invertible_1x1_conv import Invertible1x1Conv
from tfp_rbm.bijectors.masked_coupling import MaskedCoupling
from tfp_rbm.bijectors.mixture_logistic_cdf import MixtureLogisticCDF
from tfp_rbm.bijectors.multiscale import multiscale
from tfp_rbm.bijectors.preprocessing import dequantized_image_preprocessing
from tfp_rbm.bijectors.preprocessing import logit_preprocessing
from tfp_rbm.bijectors.squeeze import Squeeze

__all__ = [
    'ActNorm',
    'Invertible1x1Conv',
    'MaskedCoupling',
    'MixtureLogisticCDF',
    'Squeeze',
    'dequantized_image_preprocessing',
    'logit_preprocessing',
    'multiscale',
]
