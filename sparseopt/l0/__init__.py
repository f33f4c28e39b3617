"""The L0 family: L0-penalized and best-subset regression, L0 classifiers, and continuous relaxations (CEL0,
hard-concrete gates), on the compiled kernels of ``numba_kernels.l0``."""
from sparseopt.l0.classification import L0Classifier
from sparseopt.l0.cross_validation import L0RegressionCV
from sparseopt.l0.path import L0Path, l0_path, subset_path
from sparseopt.l0.regression import L0Regression, SubsetRegression
from sparseopt.l0.relaxations import (CEL0Regression, HardConcreteClassifier, HardConcreteRegression,
                                      expected_l0, hard_concrete_cdf, hard_concrete_sample)
from sparseopt.l0.selection import SubsetRegressionIC, information_criterion

__all__ = [
    "CEL0Regression", "HardConcreteClassifier", "HardConcreteRegression", "L0Classifier", "L0Path", "L0Regression",
    "L0RegressionCV", "SubsetRegression", "SubsetRegressionIC", "expected_l0", "hard_concrete_cdf",
    "hard_concrete_sample", "information_criterion", "l0_path", "subset_path",
]
