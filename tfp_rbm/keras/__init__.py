"""Keras 3 front end: `FlowModel`, base/flow specs, callbacks."""

from tfp_rbm.keras.callbacks import SampleGrid
from tfp_rbm.keras.callbacks import SkippedUpdatesWarning
from tfp_rbm.keras.flow_model import FlowModel
from tfp_rbm.keras.specs import build_base
from tfp_rbm.keras.specs import build_flow

__all__ = ['FlowModel', 'SampleGrid', 'SkippedUpdatesWarning', 'build_base', 'build_flow']
