"""Lasso, ElasticNet and WeightedLasso: least squares with a (weighted) elastic-net penalty,

    min_{w, b} 1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + sum_j (l1_j |w_j| + l2_j / 2 w_j^2),

with sample weights s (default 1), and the shared fit that MCPRegression, SCADRegression and AdaptiveLasso also
use. Each estimator only says what its penalty is; fitting (centring for the intercept, implicit for CSC X;
sample weights as row scalings) is shared, and the solver is the working-set coordinate descent of
``sparseopt.solvers.working_set``.
"""
from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval

from sparseopt.base import LinearModelBase
from sparseopt.solvers.working_set import prepare_least_squares, solve_penalized_least_squares
from sparseopt.validation import check_feature_weights, validate_fit_data


class _PenalizedLeastSquares(RegressorMixin, LinearModelBase):
    """Shared fit of the least-squares estimators; a subclass defines ``_penalty(n_features)``, which returns
    (l1, l2, nonconvex) for ``solve_penalized_least_squares``."""

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "verbose": ["verbose"],
    }

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or sparse, y (n,), optional non-negative sample_weight (n,)."""
        self._validate_params()
        X, y, sample_weight = validate_fit_data(self, X, y, sample_weight)
        n_features = X.shape[1]
        centered, y, X_offset, y_offset = prepare_least_squares(X, y, sample_weight, self.fit_intercept)
        warm = self.warm_start and getattr(self, "coef_", np.zeros(0)).shape == (n_features,)
        result = self._solve(centered, y, self.coef_ if warm else None)
        self.coef_ = result.coef.astype(X.dtype)
        self.intercept_ = float(y_offset - X_offset @ result.coef) if self.fit_intercept else 0.0
        self.n_iter_ = result.n_iter
        if self._penalty(n_features)[2] is None:
            self.dual_gap_ = result.stop_crit
        else:
            self.kkt_violation_ = result.stop_crit
        return self

    def _solve(self, centered, y, coef_init):
        """One call of the working-set solver with this estimator's penalty; returns its WorkingSetResult."""
        l1, l2, nonconvex = self._penalty(centered.X_offset.shape[0])
        return solve_penalized_least_squares(centered, y, l1, l2, nonconvex=nonconvex,
                                             positive=getattr(self, "positive", False), coef_init=coef_init,
                                             max_iter=self.max_iter, tol=self.tol, verbose=self.verbose)

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)


class Lasso(_PenalizedLeastSquares):
    """Lasso: 1/(2n) ||y - Xw - b||^2 + alpha ||w||_1 (scikit-learn's scaling).

    Parameters
    ----------
    alpha : float >= 0, default 1.0.
    fit_intercept : bool, default True (dense X is centred; CSC X is centred implicitly and stays sparse).
    max_iter : int, default 100, outer working-set iterations at most.
    tol : float, default 1e-4; stop when the duality gap is at most tol * ||y||^2 / n.
    warm_start : bool, default False; start from the previous coef_.
    positive : bool, default False; constrain w >= 0.
    verbose : bool, default False; print the duality gap and the problem size at each outer iteration.

    Attributes
    ----------
    coef_, intercept_, n_iter_ (outer iterations), dual_gap_, n_features_in_.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=100, tol=1e-4, warm_start=False, positive=False,
                 verbose=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.positive = positive

    def _penalty(self, n_features):
        return np.full(n_features, float(self.alpha)), np.zeros(n_features), None


class ElasticNet(_PenalizedLeastSquares):
    """Elastic net: 1/(2n) ||y - Xw - b||^2 + alpha (l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2).

    Parameters as ``Lasso``, plus l1_ratio in [0, 1] (default 0.5; 1 is the Lasso).
    """

    _parameter_constraints = {**_PenalizedLeastSquares._parameter_constraints,
                              "l1_ratio": [Interval(Real, 0, 1, closed="both")]}

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, max_iter=100, tol=1e-4, warm_start=False,
                 positive=False, verbose=False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.positive = positive

    def _penalty(self, n_features):
        return (np.full(n_features, self.alpha * self.l1_ratio),
                np.full(n_features, self.alpha * (1.0 - self.l1_ratio)), None)


class WeightedLasso(_PenalizedLeastSquares):
    """Weighted Lasso: 1/(2n) ||y - Xw - b||^2 + alpha sum_j weights_j |w_j|; weight 0 leaves a feature
    unpenalized.

    Parameters as ``Lasso``, plus weights: array (n_features,) of non-negative numbers, default all ones.
    """

    _parameter_constraints = {**_PenalizedLeastSquares._parameter_constraints, "weights": ["array-like", None]}

    def __init__(self, alpha=1.0, *, weights=None, fit_intercept=True, max_iter=100, tol=1e-4, warm_start=False,
                 positive=False, verbose=False):
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.positive = positive

    def _penalty(self, n_features):
        weights = np.ones(n_features) if self.weights is None else check_feature_weights(self.weights, n_features)
        return self.alpha * weights, np.zeros(n_features), None
