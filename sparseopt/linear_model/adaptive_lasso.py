"""AdaptiveLasso: iteratively reweighted L1 (Zou 2006; Candès, Wakin & Boyd 2008).

Each reweighting k = 1, ..., K solves the weighted Lasso

    w^(k) = argmin_w 1/(2n) ||y - Xw - b||^2 + alpha sum_j v_j^(k) |w_j|,   v_j^(k) = (|w_j^(k-1)| + eps)^(-gamma),

from v^(1) = 1 (a plain Lasso), each warm-started at the previous solution with the working-set solver. With
gamma = 1 this is the majorization-minimization algorithm for the log penalty alpha sum_j log(|w_j| + eps):
log is concave, so its tangent at w^(k-1) majorizes it and every reweighting lowers
F(w) = 1/(2n) ||y - Xw - b||^2 + alpha sum_j log(|w_j| + eps). Large coefficients are penalized less than by the
Lasso, which removes most of its shrinkage bias; features that are zero get weight eps^(-gamma) and rarely return.
"""
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from sparseopt.linear_model.lasso import _PenalizedLeastSquares
from sparseopt.solvers.working_set import solve_penalized_least_squares


class AdaptiveLasso(_PenalizedLeastSquares):
    """Adaptive (iteratively reweighted) Lasso; see the module docstring for the objective.

    Parameters
    ----------
    alpha : float >= 0, default 1.0.
    gamma : float > 0, default 1.0 (the log penalty); weights (|w_j| + eps)^(-gamma).
    eps : float > 0, default 1e-3; keeps the weights finite at w_j = 0.
    n_reweightings : int >= 1, default 5; number of weighted Lasso fits (1 is the Lasso).
    fit_intercept, max_iter (outer iterations of each fit), tol (duality gap of each fit, relative to
    ||y||^2 / n), warm_start, positive, verbose : as ``Lasso``.

    Attributes
    ----------
    coef_, intercept_, n_iter_ (outer iterations summed over the fits), dual_gap_ (of the last fit),
    weights_ (the v^(K) of the last weighted Lasso), objective_path_ (F at each w^(k) when gamma = 1),
    n_features_in_.
    """

    _parameter_constraints = {**_PenalizedLeastSquares._parameter_constraints,
                              "gamma": [Interval(Real, 0, None, closed="neither")],
                              "eps": [Interval(Real, 0, None, closed="neither")],
                              "n_reweightings": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, alpha=1.0, *, gamma=1.0, eps=1e-3, n_reweightings=5, fit_intercept=True, max_iter=100,
                 tol=1e-4, warm_start=False, positive=False, verbose=False):
        self.alpha = alpha
        self.gamma = gamma
        self.eps = eps
        self.n_reweightings = n_reweightings
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.positive = positive

    def _penalty(self, n_features):
        return np.full(n_features, float(self.alpha)), np.zeros(n_features), None

    def _solve(self, centered, y, coef_init):
        """K warm-started weighted Lasso fits; records weights_ and objective_path_."""
        n_features = centered.X_offset.shape[0]
        weights = np.ones(n_features) if coef_init is None else self._weights(coef_init)
        coef, total_iter, objective_path = coef_init, 0, []
        for _ in range(self.n_reweightings):
            result = solve_penalized_least_squares(centered, y, self.alpha * weights, np.zeros(n_features),
                                                   positive=self.positive, coef_init=coef, max_iter=self.max_iter,
                                                   tol=self.tol, verbose=self.verbose)
            coef, total_iter = result.coef, total_iter + result.n_iter
            objective_path.append(self._log_objective(centered, y, coef))
            self.weights_ = weights
            weights = self._weights(coef)
        self.objective_path_ = np.array(objective_path) if self.gamma == 1 else None
        return result._replace(n_iter=total_iter)

    def _weights(self, coef):
        return (np.abs(coef) + self.eps) ** (-self.gamma)

    def _log_objective(self, centered, y, coef):
        """F(w) = 1/(2n) ||y_c - X_c w||^2 + alpha sum_j log(|w_j| + eps), the objective the gamma = 1 iterations
        decrease."""
        from sparseopt import design

        residual = y - design.x_dot(centered.X, coef) - centered.row_scale * (centered.X_offset @ coef)
        return 0.5 * residual @ residual / centered.n_samples + self.alpha * np.sum(np.log(np.abs(coef) + self.eps))
