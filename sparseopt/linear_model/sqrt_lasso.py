"""SqrtLasso and ConcomitantLasso: the Lasso whose penalty level does not depend on the noise level.

Square-root Lasso (Belloni, Chernozhukov & Wang 2011):

    min_{w, b} ||y - Xw - b||_2 / sqrt(n) + alpha ||w||_1.

Concomitant (scaled) Lasso (Owen 2007; Sun & Zhang 2012), jointly in the noise level sigma >= sigma_min:

    min_{w, b, sigma >= sigma_min} ||y - Xw - b||^2 / (2 n sigma) + sigma / 2 + alpha ||w||_1.

For sigma_min = 0 the two have the same w (the best sigma is ||r|| / sqrt(n), and substituting it gives the
first objective). Both are solved by alternating the exact minimisations: given sigma, w solves the Lasso with
penalty alpha * sigma (the objective times sigma), warm-started; given w, sigma = max(||r|| / sqrt(n), sigma_min).
The objective is jointly convex and each step exact, so the alternation converges; it stops when sigma moves by
at most tol relatively and the last Lasso reached its duality-gap tolerance.
"""
import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval

from sparseopt import design
from sparseopt.base import LinearModelBase
from sparseopt.solvers.working_set import prepare_least_squares, solve_penalized_least_squares
from sparseopt.validation import validate_fit_data


class ConcomitantLasso(RegressorMixin, LinearModelBase):
    """Lasso with the noise level sigma estimated jointly (scaled Lasso); see the module docstring.

    Parameters
    ----------
    alpha : float >= 0, default 1.0. A theory-driven choice is alpha ~ sqrt(2 log(p) / n), free of sigma.
    sigma_min : float >= 0, default 1e-3 (relative to the standard deviation of y), the smallest sigma.
    fit_intercept : bool, default True. max_iter : int, default 100, alternations at most.
    tol : float, default 1e-6, on the relative change of sigma (each Lasso stops at gap tol ||y||^2 / n).

    Attributes
    ----------
    coef_, intercept_, sigma_ (the estimated noise level), n_iter_ (alternations), n_features_in_.
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "sigma_min": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, alpha=1.0, *, sigma_min=1e-3, fit_intercept=True, max_iter=100, tol=1e-6):
        self.alpha = alpha
        self.sigma_min = sigma_min
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y):
        """Fit on X (n, p) dense or sparse and y (n,)."""
        self._validate_params()
        X, y, sample_weight = validate_fit_data(self, X, y)
        n_samples, n_features = X.shape
        centered, y_c, X_offset, y_offset = prepare_least_squares(X, y, sample_weight, self.fit_intercept)
        sigma_floor = max(self.sigma_min * np.std(y), np.finfo(float).tiny)
        sigma, coef = max(np.linalg.norm(y_c) / math.sqrt(n_samples), sigma_floor), None
        for n_iter in range(1, self.max_iter + 1):
            with warnings.catch_warnings():  # the last alternation decides whether to warn
                warnings.simplefilter("ignore")
                result = solve_penalized_least_squares(centered, y_c, np.full(n_features, self.alpha * sigma),
                                                       np.zeros(n_features), coef_init=coef, tol=self.tol)
            coef = result.coef
            residual = y_c - design.x_dot(centered.X, coef) + centered.row_scale * (centered.X_offset @ coef)
            new_sigma = max(np.linalg.norm(residual) / math.sqrt(n_samples), sigma_floor)
            converged = abs(new_sigma - sigma) <= self.tol * sigma and result.converged
            sigma = new_sigma
            if converged:
                break
        else:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(f"{type(self).__name__} stopped at max_iter={self.max_iter} alternations before sigma "
                          f"settled to tol={self.tol:.1e}", ConvergenceWarning, stacklevel=2)
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = float(y_offset - X_offset @ coef) if self.fit_intercept else 0.0
        self.sigma_ = sigma
        self.n_iter_ = n_iter
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)


class SqrtLasso(ConcomitantLasso):
    """Square-root Lasso: ||y - Xw - b||_2 / sqrt(n) + alpha ||w||_1 (the concomitant Lasso without a floor on
    sigma, up to a floor of 1e-10 std(y) that keeps the alternation defined at an exact fit).

    Parameters and attributes as ``ConcomitantLasso`` without sigma_min; sigma_ = ||y - X coef_ - b|| / sqrt(n).
    """

    _parameter_constraints = {key: value for key, value in ConcomitantLasso._parameter_constraints.items()
                              if key != "sigma_min"}

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=100, tol=1e-6):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    @property
    def sigma_min(self):
        return 1e-10
