"""Training energy-based flows: persistent chains, the surrogate PCD losses, finite updates."""

from tfp_rbm.training.discrete_latent_objectives import reweighted_wake_sleep_loss
from tfp_rbm.training.discrete_latent_objectives import soft_binarize
from tfp_rbm.training.discrete_latent_objectives import vimco_loss
from tfp_rbm.training.finite_updates import apply_finite_update
from tfp_rbm.training.finite_updates import report_skipped_updates
from tfp_rbm.training.finite_updates import validate_parameters
from tfp_rbm.training.labeled_surrogate_loss import semi_supervised_flow_loss
from tfp_rbm.training.labeled_surrogate_loss import semi_supervised_flow_loss_and_log_prob_parts
from tfp_rbm.training.persistent_chains import PersistentChains
from tfp_rbm.training.surrogate_loss import flow_loss
from tfp_rbm.training.surrogate_loss import flow_loss_and_log_prob_parts

__all__ = [
    'PersistentChains',
    'apply_finite_update',
    'flow_loss',
    'flow_loss_and_log_prob_parts',
    'report_skipped_updates',
    'reweighted_wake_sleep_loss',
    'semi_supervised_flow_loss',
    'semi_supervised_flow_loss_and_log_prob_parts',
    'soft_binarize',
    'validate_parameters',
    'vimco_loss',
]
