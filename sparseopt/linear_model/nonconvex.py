"""MCPRegression and SCADRegression: least squares with the nonconvex MCP or SCAD penalty,

    min_{w, b} 1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + sum_j p(w_j),

p the minimax concave penalty (Zhang 2010) or SCAD (Fan & Li 2001), ``sparseopt.penalties.MCP`` / ``SCAD``.
Solved by the working-set coordinate descent of the Lasso (exact coordinate steps with the shared MCP / SCAD
prox kernels), started from 0 (or the previous fit with warm_start); it stops at a stationary point, where the
distance of 0 to the subdifferential is at most tol * ||X^T y||_inf / n. A coordinate step is a prox only when
gamma > n / ||X_j||^2 (MCP) or a > 1 + n / ||X_j||^2 (SCAD): with standardized columns, gamma > 1 or a > 2.
"""
from numbers import Real

from sklearn.utils._param_validation import Interval

from sparseopt.linear_model.lasso import _PenalizedLeastSquares
from sparseopt.penalties import MCP, SCAD

_COMMON = {key: value for key, value in _PenalizedLeastSquares._parameter_constraints.items() if key != "positive"}


class MCPRegression(_PenalizedLeastSquares):
    """Least squares with the MCP penalty alpha |x| - x^2 / (2 gamma) (|x| <= gamma alpha), gamma alpha^2 / 2 beyond.

    Parameters
    ----------
    alpha : float >= 0, default 1.0. gamma : float > 0, default 3.0 (ncvreg's default).
    fit_intercept, max_iter, tol, warm_start, verbose : as ``Lasso`` (tol bounds the optimality violation relative to
    ||X^T y||_inf / n).

    Attributes
    ----------
    coef_, intercept_, n_iter_, kkt_violation_, n_features_in_.
    """

    _parameter_constraints = {**_COMMON, "gamma": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, alpha=1.0, *, gamma=3.0, fit_intercept=True, max_iter=100, tol=1e-6, warm_start=False,
                 verbose=False):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def _penalty(self, n_features):
        return None, None, MCP(self.alpha, self.gamma)


class SCADRegression(_PenalizedLeastSquares):
    """Least squares with the SCAD penalty (Fan & Li 2001): alpha |x| (|x| <= alpha),
    (2 a alpha |x| - x^2 - alpha^2) / (2 (a - 1)) (|x| <= a alpha), alpha^2 (a + 1) / 2 beyond.

    Parameters as ``MCPRegression`` with a > 1 (default 3.7) instead of gamma; attributes the same.
    """

    _parameter_constraints = {**_COMMON, "a": [Interval(Real, 1, None, closed="neither")]}

    def __init__(self, alpha=1.0, *, a=3.7, fit_intercept=True, max_iter=100, tol=1e-6, warm_start=False,
                 verbose=False):
        self.alpha = alpha
        self.a = a
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def _penalty(self, n_features):
        return None, None, SCAD(self.alpha, self.a)
