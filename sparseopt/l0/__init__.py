"""The L0 family: L0-penalized and best-subset regression, L0 classifiers, and continuous relaxations (CEL0,
hard-concrete gates), on the compiled kernels of ``numba_kernels.l0``."""
from sparseopt.l0.path import L0Path, l0_path, subset_path
from sparseopt.l0.regression import L0Regression, SubsetRegression

__all__ = ["L0Path", "L0Regression", "SubsetRegression", "l0_path", "subset_path"]
