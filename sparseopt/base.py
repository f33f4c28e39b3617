"""What every sparseopt linear estimator shares: validated input, prediction, scikit-learn tags, and the
generic penalized regressor that pairs any penalty with the least-squares datafit.
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from sparseopt import design
from sparseopt.datafits import Quadratic
from sparseopt.penalties import L1, Penalty
from sparseopt.solvers import fista
from sparseopt.validation import check_scalar_range, validate_fit_data, validate_predict_data


class LinearModelBase(BaseEstimator):
    """Base of the linear estimators: the linear predictor X @ coef_ + intercept_, dense or CSC X."""

    def _decision_function(self, X):
        """Linear predictor X @ coef_ + intercept_."""
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return design.x_dot(X, self.coef_.astype(X.dtype)) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class PenalizedRegressor(RegressorMixin, LinearModelBase):
    """Least squares with any penalty, solved by accelerated proximal gradient (``sparseopt.solvers.fista``):

        min_{w, b} 1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + P(w).

    Parameters
    ----------
    penalty : a ``sparseopt.penalties`` object, default L1(alpha=1.0).
    fit_intercept : bool, default True; fit the unpenalized b.
    max_iter : int, default 1000, proximal gradient steps at most.
    tol : float, default 1e-4, bound on the optimality violation max_j dist(-grad_j F, dP(w)_j) (absolute, as in
        skglm; scale y and X to make it meaningful).
    warm_start : bool, default False; start from the previous coef_ and intercept_.

    Attributes
    ----------
    coef_, intercept_, n_iter_, stop_crit_ (the final optimality violation), n_features_in_.
    """

    _parameter_constraints = {
        "penalty": [Penalty, None],
        "fit_intercept": ["boolean"],
        "max_iter": [int],
        "tol": [float],
        "warm_start": ["boolean"],
    }

    def __init__(self, penalty=None, *, fit_intercept=True, max_iter=1000, tol=1e-4, warm_start=False):
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or sparse, y (n,), optional non-negative sample_weight (n,)."""
        self._validate_params()
        check_scalar_range(self.max_iter, "max_iter", low=1)
        check_scalar_range(self.tol, "tol", low=0.0)
        X, y, sample_weight = validate_fit_data(self, X, y, sample_weight)
        penalty = L1(1.0) if self.penalty is None else self.penalty
        warm = self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (X.shape[1],)
        result = fista(X, y, Quadratic(sample_weight), penalty, fit_intercept=self.fit_intercept,
                       max_iter=self.max_iter, tol=self.tol, coef_init=self.coef_ if warm else None,
                       intercept_init=self.intercept_ if warm else 0.0)
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.n_iter_ = result.n_iter
        self.stop_crit_ = result.stop_crit
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)
