"""L0Classifier: binary linear classification with an L0 penalty (Dedieu, Hazimeh & Mazumder 2021),

    min_{w, b} 1/(sum s) sum_i s_i l(y_i (x_i^T w + b)) + lambda0 ||w||_0 [+ lambda1 ||w||_1 or + lambda2 ||w||^2],

l the logistic loss log(1 + e^-t) or the squared hinge max(0, 1 - t)^2, y_i in {-1, 1}. Solved by active-set
coordinate descent with thresholded gradient steps (``numba_kernels.l0.classification_cd``) and, with
``algorithm="CDPSI"``, single swaps.
"""
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from numba_kernels import l0 as kernels
from sparseopt import design
from sparseopt.datafits import Quadratic
from sparseopt.l0 import solver
from sparseopt.l0.regression import _COMMON, check_penalty_strengths
from sparseopt.linear_model.logistic import BinaryLinearClassifier, binary_targets
from sparseopt.solvers.working_set import centered_design

LOSSES = {"logistic": (kernels.LOGISTIC, 0.25), "squared_hinge": (kernels.SQUARED_HINGE, 2.0)}


class L0Classifier(BinaryLinearClassifier):
    """L0-penalized logistic regression or squared-hinge classifier (two classes; classes_[1] is y = +1).

    Parameters
    ----------
    lambda0 : float >= 0, default 0.01. loss : {"logistic", "squared_hinge"}, default "logistic".
    penalty : {"L0", "L0L1", "L0L2"}, default "L0L2"; lambda1 / lambda2 >= 0 (default lambda2 = 1e-4: with
        separable classes pure L0 logistic coefficients grow without bound).
    algorithm : {"CD", "CDPSI"}, default "CDPSI". max_support_size : int or None.
    fit_intercept : bool, default True. max_iter : int, default 100, active-set passes. tol : float, default 1e-6.
    max_swaps : int, default 100.

    Attributes
    ----------
    classes_, coef_, intercept_, n_iter_, n_swaps_, n_features_in_.
    """

    _parameter_constraints = {
        **{key: value for key, value in _COMMON.items() if key not in ("max_swap_size", "warm_start")},
        "lambda0": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "penalty": [StrOptions(set(solver.PENALTY_KINDS))],
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="left")],
        "algorithm": [StrOptions(set(solver.ALGORITHMS))],
        "max_support_size": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, lambda0=0.01, *, loss="logistic", penalty="L0L2", lambda1=0.0, lambda2=1e-4,
                 algorithm="CDPSI", max_support_size=None, fit_intercept=True, max_iter=100, tol=1e-6,
                 max_swaps=100):
        self.lambda0 = lambda0
        self.loss = loss
        self.penalty = penalty
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.algorithm = algorithm
        self.max_support_size = max_support_size
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.max_swaps = max_swaps

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or CSC, y (n,) with two classes, optional sample_weight (n,)."""
        self._validate_params()
        check_penalty_strengths(self.penalty, self.lambda1, self.lambda2)
        X, targets = binary_targets(self, X, y)
        from sparseopt.validation import check_sample_weight

        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        signs = 2.0 * targets.astype(np.float64) - 1.0
        shares = sample_weight / sample_weight.sum()
        loss, curvature = LOSSES[self.loss]
        packed = centered_design(X)
        lipschitz = curvature * Quadratic(sample_weight).coordinate_lipschitz(X).astype(np.float64)
        coef = np.zeros(X.shape[1])
        linear = np.zeros(X.shape[0])
        max_support = X.shape[1] if self.max_support_size is None else self.max_support_size
        args = (packed.data, packed.indices, packed.indptr, X.shape[0], signs, shares, coef, 0.0, linear, lipschitz,
                loss, curvature, float(self.lambda0), float(self.lambda1), float(self.lambda2),
                solver.PENALTY_KINDS[self.penalty], self.fit_intercept, max_support, solver.SCREEN_SIZE,
                self.max_iter, solver.MAX_EPOCHS, float(self.tol))
        if self.algorithm == "CDPSI":
            intercept, n_swaps, n_iter, stop_crit, converged = kernels.classification_swap_search(
                *args, self.max_swaps, solver.SWAP_CANDIDATES)
        else:
            intercept, n_iter, stop_crit, converged = kernels.classification_cd(*args)
            n_swaps = 0
        if not converged:
            solver.warn_not_converged("L0 classification CD", self.max_iter, stop_crit)
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = float(intercept)
        self.n_iter_ = n_iter
        self.n_swaps_ = n_swaps
        return self

    def objective(self, X, y):
        """The training objective at coef_, intercept_ (labels y mapped to -1 / +1 by classes_)."""
        signs = np.where(np.asarray(y) == self.classes_[1], 1.0, -1.0)
        linear = design.x_dot(X, self.coef_) + self.intercept_ if not isinstance(X, np.ndarray) else (
            X @ self.coef_ + self.intercept_)
        shares = np.full(signs.size, 1.0 / signs.size)
        return kernels.classification_objective(linear, signs, shares, LOSSES[self.loss][0],
                                                self.coef_.astype(float), self.lambda0, self.lambda1, self.lambda2)
