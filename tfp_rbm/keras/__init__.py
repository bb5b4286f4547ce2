"""Keras 3 front end: `FlowModel`, base/flow specs, callbacks, the base's log Z."""

from tfp_rbm.keras.base_log_normalizer import BaseLogNormalizer
from tfp_rbm.keras.callbacks import SampleGrid
from tfp_rbm.keras.callbacks import SampleQuality
from tfp_rbm.keras.callbacks import SkippedUpdatesWarning
from tfp_rbm.keras.flow_model import FlowModel
from tfp_rbm.keras.rbm_prior_vae import RBMPriorVAE
from tfp_rbm.keras.specs import build_base
from tfp_rbm.keras.specs import build_flow

__all__ = ['BaseLogNormalizer', 'FlowModel', 'RBMPriorVAE', 'SampleGrid', 'SampleQuality',
           'SkippedUpdatesWarning', 'build_base', 'build_flow']
