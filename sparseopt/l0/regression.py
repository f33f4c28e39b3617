"""L0Regression and SubsetRegression: least squares with an L0 penalty, or with at most k non-zeros.

    L0Regression:     min_{w, b} 1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + lambda0 ||w||_0 [+ lambda1 ||w||_1
                      or + lambda2 ||w||_2^2]
    SubsetRegression: the same least squares s.t. ||w||_0 <= k

on the user's scale (no internal normalisation of X): with standardized columns, a feature enters alone when
its squared correlation with the residual, (X_j^T r / n)^2 / (2 (1 + 2 lambda2)), exceeds lambda0.
"""
from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.base import LinearModelBase
from sparseopt.l0 import solver
from sparseopt.validation import validate_fit_data

_COMMON = {
    "fit_intercept": ["boolean"],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_swaps": [Interval(Integral, 0, None, closed="left")],
    "max_swap_size": [Interval(Integral, 1, 2, closed="both")],
    "warm_start": ["boolean"],
}


def check_penalty_strengths(penalty, lambda1, lambda2):
    """The penalty name fixes which of lambda1, lambda2 may be non-zero: "L0" neither, "L0L1" lambda1, "L0L2"
    lambda2; a ValueError says which one was given to the wrong penalty."""
    if penalty != "L0L1" and lambda1 != 0:
        raise ValueError(f"lambda1={lambda1} is only used with penalty='L0L1'; got penalty={penalty!r}")
    if penalty != "L0L2" and lambda2 != 0:
        raise ValueError(f"lambda2={lambda2} is only used with penalty='L0L2'; got penalty={penalty!r}")


class _L0LeastSquares(RegressorMixin, LinearModelBase):
    """Shared fit: validate, centre (for the intercept) and weight the data, solve, store coef_ and intercept_."""

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or CSC, y (n,), optional non-negative sample_weight (n,)."""
        self._validate_params()
        self._check_strengths()
        X, y, sample_weight = validate_fit_data(self, X, y, sample_weight)
        problem = solver.prepare(X, y, sample_weight, self.fit_intercept)
        warm = self.warm_start and getattr(self, "coef_", np.zeros(0)).shape == (X.shape[1],)
        result = self._solve(problem, self.coef_ if warm else None)
        self.coef_ = result.coef.astype(X.dtype)
        self.intercept_ = float(problem.y_offset - problem.X_offset @ result.coef) if self.fit_intercept else 0.0
        self.n_iter_ = result.n_iter
        self.n_swaps_ = result.n_swaps
        return self

    def _check_strengths(self):
        pass

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)


class L0Regression(_L0LeastSquares):
    """L0-penalized least squares by coordinate descent with local swaps ("CD + PSI", Hazimeh & Mazumder 2020):

        min_{w, b} 1/(2n) ||y - Xw - b||^2 + lambda0 ||w||_0 + lambda1 ||w||_1 + lambda2 ||w||_2^2.

    Coordinate descent uses the exact thresholding rule of each penalty (``numba_kernels.prox``) over an active
    set, and refits the support exactly (least squares, or ridge for L0L2) after each pass; it stops at a
    coordinate-wise minimum (no single coordinate move lowers the objective by more than tol times it). With
    ``algorithm="CDPSI"`` it then makes the best add, drop or swap of one feature, or when none improves the best
    exchange of up to ``max_swap_size`` features, each valued exactly in closed form from the support's Cholesky
    factor (``numba_kernels.l0_exchange``), until none improves; CD then certifies the end point.

    Parameters
    ----------
    lambda0 : float >= 0, default 0.01, the price of one non-zero.
    penalty : {"L0", "L0L1", "L0L2"}, default "L0"; lambda1 (L0L1) or lambda2 (L0L2) >= 0, default 0.
    algorithm : {"CD", "CDPSI"}, default "CDPSI".
    max_support_size : int or None; at most this many non-zeros (a zero coordinate may not enter a full support).
    fit_intercept : bool, default True. max_iter : int, default 100, CD active-set passes per CD run.
    tol : float, default 1e-7. max_swaps : int, default 100, local moves at most. max_swap_size : 1 or 2.
    warm_start : bool, default False.

    Attributes
    ----------
    coef_, intercept_, n_iter_ (CD passes), n_swaps_ (local moves made), n_features_in_.
    """

    _parameter_constraints = {
        **_COMMON,
        "lambda0": [Interval(Real, 0, None, closed="left")],
        "penalty": [StrOptions(set(solver.PENALTY_KINDS))],
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="left")],
        "algorithm": [StrOptions(set(solver.ALGORITHMS))],
        "max_support_size": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, lambda0=0.01, *, penalty="L0", lambda1=0.0, lambda2=0.0, algorithm="CDPSI",
                 max_support_size=None, fit_intercept=True, max_iter=100, tol=1e-7, max_swaps=100, max_swap_size=2,
                 warm_start=False):
        self.lambda0 = lambda0
        self.penalty = penalty
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.algorithm = algorithm
        self.max_support_size = max_support_size
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.max_swaps = max_swaps
        self.max_swap_size = max_swap_size
        self.warm_start = warm_start

    def _check_strengths(self):
        check_penalty_strengths(self.penalty, self.lambda1, self.lambda2)

    def _solve(self, problem, coef_init):
        return solver.solve_l0(problem, self.penalty, self.lambda0, self.lambda1, self.lambda2, coef_init=coef_init,
                               max_support_size=self.max_support_size, algorithm=self.algorithm,
                               max_iter=self.max_iter, tol=self.tol, max_swaps=self.max_swaps,
                               max_swap_size=self.max_swap_size)


class SubsetRegression(_L0LeastSquares):
    """Best-subset least squares, min_{w, b} 1/(2n) ||y - Xw - b||^2 s.t. ||w||_0 <= k (= n_nonzero).

    ``algorithm="forward"`` (default): from 0 (or the previous fit with warm_start), the best exact add until k
    features, then exchanges of up to ``max_swap_size`` features, every move valued in closed form
    (``numba_kernels.l0_exchange``), until none lowers the loss. ``algorithm="IHT"``: normalized iterative hard
    thresholding (Blumensath & Davies 2010), then coordinate descent and the same exchanges. The result has
    exactly min(k, p) non-zeros unless the least-squares fit on the chosen support has exact zeros (or, forward,
    a feature is collinear with the support).

    Parameters
    ----------
    n_nonzero : int >= 0, default 10. algorithm : {"forward", "IHT"}, default "forward".
    fit_intercept, max_iter (IHT and CD only), tol (IHT and CD only), max_swaps, max_swap_size, warm_start : as
    ``L0Regression``.

    Attributes
    ----------
    coef_, intercept_, n_iter_ (CD passes; forward: 1, its one search), n_swaps_ (moves made, forward: adds included),
    n_features_in_.
    """

    _parameter_constraints = {**_COMMON, "n_nonzero": [Interval(Integral, 0, None, closed="left")],
                              "algorithm": [StrOptions({"forward", "IHT"})]}

    def __init__(self, n_nonzero=10, *, algorithm="forward", fit_intercept=True, max_iter=100, tol=1e-7,
                 max_swaps=100, max_swap_size=2, warm_start=False):
        self.n_nonzero = n_nonzero
        self.algorithm = algorithm
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.max_swaps = max_swaps
        self.max_swap_size = max_swap_size
        self.warm_start = warm_start

    def _solve(self, problem, coef_init):
        return solver.solve_subset(problem, self.n_nonzero, algorithm=self.algorithm, coef_init=coef_init,
                                   max_iter=self.max_iter, tol=self.tol, max_swaps=self.max_swaps,
                                   max_swap_size=self.max_swap_size)
