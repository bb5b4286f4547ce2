"""Training energy-based flows: persistent chains, the surrogate PCD losses, finite updates."""

from tfp_rbm.training.finite_updates import apply_finite_update
from tfp_rbm.training.finite_updates import report_skipped_updates
from tfp_rbm.training.finite_updates import validate_parameters
from tfp_rbm.training.labeled_surrogate_loss import semi_supervised_flow_loss
from tfp_rbm.training.persistent_chains import PersistentChains
from tfp_rbm.training.surrogate_loss import flow_loss
from tfp_rbm.training.surrogate_loss import flow_loss_and_log_prob_parts

__all__ = [
    'PersistentChains',
    'apply_finite_update',
    'flow_loss',
    'flow_loss_and_log_prob_parts',
    'report_skipped_updates',
    'semi_supervised_flow_loss',
    'validate_parameters',
]
