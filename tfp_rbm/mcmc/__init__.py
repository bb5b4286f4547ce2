"""Block-Gibbs sampling: an XLA-compiled loop and a `tfp.mcmc` kernel."""

from tfp_rbm.mcmc.block_gibbs import BlockGibbsKernel
from tfp_rbm.mcmc.block_gibbs import BlockGibbsKernelResults
from tfp_rbm.mcmc.block_gibbs import run_gibbs

__all__ = ['BlockGibbsKernel', 'BlockGibbsKernelResults', 'run_gibbs']
