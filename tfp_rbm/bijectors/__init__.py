"""Flow bijectors: Glow and NICE layers, Flow++ couplings, pre-processing."""

from tfp_rbm.bijectors.actnorm import ActNorm
from tfp_rbm.bijectors.additive_coupling import AdditiveCoupling
from tfp_rbm.bijectors.affine_coupling import AffineCoupling
from tfp_rbm.bijectors.diagonal_scale import DiagonalScale
from tfp_rbm.bijectors.invertible_1x1_conv import Invertible1x1Conv
from tfp_rbm.bijectors.logit import dequantized_image_preprocessing
from tfp_rbm.bijectors.logit import Logit
from tfp_rbm.bijectors.mix_log_cdf_coupling import MixLogCDFCoupling
from tfp_rbm.bijectors.mixture_logistic_cdf import MixtureLogisticCDF
from tfp_rbm.bijectors.multiscale import multiscale
from tfp_rbm.bijectors.squeeze import Squeeze

__all__ = [
    'ActNorm',
    'AdditiveCoupling',
    'AffineCoupling',
    'DiagonalScale',
    'Invertible1x1Conv',
    'Logit',
    'MixLogCDFCoupling',
    'MixtureLogisticCDF',
    'Squeeze',
    'dequantized_image_preprocessing',
    'multiscale',
]
