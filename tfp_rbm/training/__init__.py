"""Training energy-based flows: persistent chains and the surrogate PCD loss."""

from tfp_rbm.training.persistent_chains import PersistentChains
from tfp_rbm.training.surrogate_loss import flow_loss
from tfp_rbm.training.surrogate_loss import flow_loss_and_log_prob

__all__ = [
    'PersistentChains',
    'flow_loss',
    'flow_loss_and_log_prob',
]
