"""Keras 3 conditioner networks for the coupling bijectors."""

from tfp_rbm.networks.conv import ConvNet
from tfp_rbm.networks.conv import GatedResidualConvNet
from tfp_rbm.networks.mlp import MLP

__all__ = ['ConvNet', 'GatedResidualConvNet', 'MLP']
