"""Accelerated proximal gradient (FISTA) for min_w F(Xw) + P(w), with an optional unpenalized intercept.

Works with any datafit (gradient Lipschitz) and any penalty with a prox. Steps are 1/L with L a Lipschitz
constant of the whole gradient (power iteration). Convex penalties get Nesterov momentum (Beck & Teboulle
2009) with the gradient restart of O'Donoghue & Candes (2015); nonconvex ones get plain proximal gradient,
which decreases the objective monotonically. The solver stops when the optimality violation
max_j |r_j|, r = -grad - proj_{dP(w)}(-grad) (``penalty.subdiff_distance``), is at most tol.
"""
import warnings
from typing import NamedTuple

import numpy as np

from sparseopt import design


class SolverResult(NamedTuple):
    """What a solver returns: coefficients, intercept, iterations run, last optimality violation, and
    whether that violation reached the tolerance."""

    coef: np.ndarray
    intercept: float
    n_iter: int
    stop_crit: float
    converged: bool


def optimality_violation(X, y, datafit, penalty, coef, intercept, fit_intercept):
    """max_j dist(-grad_j F, dP(w)_j), with the intercept's partial derivative when it is fitted."""
    raw_gradient = datafit.raw_gradient(y, design.x_dot(X, coef) + intercept)
    violation = np.max(penalty.subdiff_distance(coef, design.xt_dot(X, raw_gradient)), initial=0.0)
    if fit_intercept:
        violation = max(violation, abs(raw_gradient.sum()))
    return float(violation)


def fista(X, y, datafit, penalty, *, fit_intercept=False, max_iter=1000, tol=1e-8, coef_init=None,
          intercept_init=0.0, check_every=10):
    """Minimise F(Xw + b) + P(w) by accelerated proximal gradient.

    Parameters
    ----------
    X : ndarray (n, p), Fortran order preferred, or CSC matrix, validated by the caller.
    y : ndarray (n,)
    datafit, penalty : objects from ``sparseopt.datafits`` and ``sparseopt.penalties``.
    fit_intercept : bool, fit an unpenalized b (else b = intercept_init = 0).
    max_iter : int, proximal gradient steps at most.
    tol : float, stop once the optimality violation is at most tol (checked every ``check_every`` steps).
    coef_init, intercept_init : warm start.

    Returns
    -------
    SolverResult; warns ``ConvergenceWarning`` when max_iter is reached first.
    """
    n_samples, n_features = X.shape
    coef = np.zeros(n_features, dtype=X.dtype) if coef_init is None else np.array(coef_init, dtype=X.dtype)
    intercept = float(intercept_init) if fit_intercept else 0.0
    lipschitz = datafit.lipschitz(X) + (datafit.curvature_bound if fit_intercept else 0.0)
    if lipschitz == 0.0:
        return SolverResult(penalty.prox(coef, 1.0), intercept, 0, 0.0, True)
    step = 1.0 / lipschitz
    momentum = penalty.is_convex
    point, point_intercept, t = coef.copy(), intercept, 1.0
    violation = np.inf
    for n_iter in range(1, max_iter + 1):
        raw_gradient = datafit.raw_gradient(y, design.x_dot(X, point) + point_intercept)
        new_coef = penalty.prox(point - step * design.xt_dot(X, raw_gradient), step)
        new_intercept = point_intercept - step * raw_gradient.sum() if fit_intercept else 0.0
        if momentum:
            direction = new_coef - coef
            if (point - new_coef) @ direction + (point_intercept - new_intercept) * (new_intercept - intercept) > 0:
                t = 1.0  # the step went against the momentum: restart
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            point = new_coef + (t - 1.0) / t_next * direction
            point_intercept = new_intercept + (t - 1.0) / t_next * (new_intercept - intercept)
            t = t_next
        else:
            point, point_intercept = new_coef, new_intercept
        coef, intercept = new_coef, new_intercept
        if n_iter % check_every == 0 or n_iter == max_iter:
            violation = optimality_violation(X, y, datafit, penalty, coef, intercept, fit_intercept)
            if violation <= tol:
                return SolverResult(coef, intercept, n_iter, violation, True)
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"fista stopped at max_iter={max_iter} with optimality violation {violation:.2e} > tol={tol:.2e}; "
                  "raise max_iter or tol", ConvergenceWarning, stacklevel=2)
    return SolverResult(coef, intercept, max_iter, violation, False)
