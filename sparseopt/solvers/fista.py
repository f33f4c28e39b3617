"""Accelerated proximal gradient (FISTA) for min_w F(Xw + b) + P(w), with an optional unpenalized intercept.

Works with any datafit (smooth, gradient Lipschitz) and any penalty with a prox. The step is 1/L with L found by
backtracking (Beck & Teboulle 2009): it starts from a power-iteration estimate of the Lipschitz constant and
doubles until the quadratic upper bound holds at the new point. Convex penalties get Nesterov momentum with the
gradient restart of O'Donoghue & Candes (2015); nonconvex ones get plain proximal gradient, which decreases the
objective monotonically. The solver stops when the optimality violation max_j |r_j|,
r = -grad - proj_{dP(w)}(-grad) (``penalty.subdiff_distance``), is at most tol.
"""
import math
import warnings
from typing import NamedTuple

import numpy as np

from sparseopt import design
from sparseopt.validation import check_design, check_scalar_range, check_target, check_vector


class SolverResult(NamedTuple):
    """What a solver returns: coefficients, intercept, iterations run, last optimality violation, and
    whether that violation reached the tolerance."""

    coef: np.ndarray
    intercept: float
    n_iter: int
    stop_crit: float
    converged: bool


def optimality_violation(X, y, datafit, penalty, coef, linear_predictor, fit_intercept):
    """max_j dist(-grad_j F, dP(w)_j) at coef (X @ coef + intercept = linear_predictor), with the intercept's
    partial derivative when it is fitted."""
    raw_gradient = datafit.raw_gradient(y, linear_predictor)
    violation = np.max(penalty.subdiff_distance(coef, design.xt_dot(X, raw_gradient)), initial=0.0)
    if fit_intercept:
        violation = max(violation, abs(raw_gradient.sum()))
    return float(violation)


@design.solver_threads
def fista(X, y, datafit, penalty, *, fit_intercept=False, max_iter=1000, tol=1e-8, coef_init=None,
          intercept_init=0.0, check_every=10, stop_criterion=None, lipschitz=None):
    """Minimise F(Xw + b) + P(w) by accelerated proximal gradient with backtracking.

    Parameters
    ----------
    X : ndarray (n, p), Fortran order preferred, or CSC matrix.
    y : ndarray (n,)
    datafit, penalty : objects from ``sparseopt.datafits`` and ``sparseopt.penalties``.
    fit_intercept : bool, fit an unpenalized b (else b = 0).
    max_iter : int >= 1, proximal gradient steps at most.
    tol : float >= 0, stop once the optimality violation is at most tol (checked every ``check_every`` steps).
    coef_init, intercept_init : warm start.
    stop_criterion : callable (coef, intercept, linear_predictor) -> float, optional; replaces the optimality
        violation as the quantity compared with tol (e.g. a relative duality gap).
    lipschitz : float > 0, optional; the first estimate of the Lipschitz constant of the datafit's gradient in
        (w, b) (default: a power-iteration estimate, which costs tens of products with X; pass it when solving a
        sequence of problems on one X). Backtracking raises it whenever it is too small.

    Returns
    -------
    SolverResult; warns ``ConvergenceWarning`` when max_iter is reached first.
    """
    X = check_design(X)
    y = check_target(y, X.shape[0], dtype=X.dtype)
    max_iter = int(check_scalar_range(max_iter, "max_iter", low=1))
    tol = check_scalar_range(tol, "tol", low=0.0)
    coef = (np.zeros(X.shape[1], dtype=X.dtype) if coef_init is None
            else check_vector(coef_init, "coef_init", X.shape[1], X.dtype))
    intercept = check_scalar_range(intercept_init, "intercept_init") if fit_intercept else 0.0
    linear_predictor = design.x_dot(X, coef) + intercept

    if lipschitz is None:
        lipschitz = datafit.lipschitz(X, tol=1e-3) + (datafit.curvature_bound if fit_intercept else 0.0)
    lipschitz = max(check_scalar_range(lipschitz, "lipschitz", low=0.0), np.finfo(float).tiny)
    largest_lipschitz = 1e12 * lipschitz  # beyond, the decrease test fails by rounding only: no step helps
    rounding = 100 * np.finfo(X.dtype).eps  # slack of the backtracking test: the objective's rounding error
    momentum = penalty.is_convex
    point, point_intercept, point_predictor, t = coef, intercept, linear_predictor, 1.0
    violation = np.inf
    for n_iter in range(1, max_iter + 1):
        raw_gradient = datafit.raw_gradient(y, point_predictor)
        gradient, intercept_gradient = design.xt_dot(X, raw_gradient), raw_gradient.sum()
        point_value = datafit.value(y, point_predictor)
        while True:  # backtracking: double L until F(new) <= F(point) + <grad, d> + L/2 ||d||^2
            new_coef = penalty.prox(point - gradient / lipschitz, 1.0 / lipschitz)
            new_intercept = point_intercept - intercept_gradient / lipschitz if fit_intercept else 0.0
            new_predictor = design.x_dot(X, new_coef) + new_intercept
            step, intercept_step = new_coef - point, new_intercept - point_intercept
            upper_bound = (point_value + gradient @ step + intercept_gradient * intercept_step
                           + 0.5 * lipschitz * (step @ step + intercept_step ** 2))
            if datafit.value(y, new_predictor) <= upper_bound + rounding * abs(point_value):
                break
            lipschitz *= 2.0
            if lipschitz > largest_lipschitz:
                return _stalled(coef, intercept, n_iter, violation)
        if momentum:
            if -(step @ (new_coef - coef) + intercept_step * (new_intercept - intercept)) > 0:
                t = 1.0  # the step went against the momentum: restart
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            weight = (t - 1.0) / t_next
            point = new_coef + weight * (new_coef - coef)
            point_intercept = new_intercept + weight * (new_intercept - intercept)
            point_predictor = new_predictor + weight * (new_predictor - linear_predictor)
            t = t_next
        else:
            point, point_intercept, point_predictor = new_coef, new_intercept, new_predictor
        coef, intercept, linear_predictor = new_coef, new_intercept, new_predictor
        if n_iter % check_every == 0 or n_iter == max_iter:
            violation = (optimality_violation(X, y, datafit, penalty, coef, linear_predictor, fit_intercept)
                         if stop_criterion is None else stop_criterion(coef, intercept, linear_predictor))
            if violation <= tol:
                return SolverResult(coef, intercept, n_iter, violation, True)
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"fista stopped at max_iter={max_iter} with optimality violation {violation:.2e} > tol={tol:.2e}; "
                  "raise max_iter or tol", ConvergenceWarning, stacklevel=2)
    return SolverResult(coef, intercept, max_iter, violation, False)


def _stalled(coef, intercept, n_iter, violation):
    """End a run whose backtracking cannot pass the decrease test any more (rounding in the extrapolated
    predictor after many steps): warn and return the last iterate."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"FISTA stalled after {n_iter} steps: the sufficient-decrease test fails at rounding level "
                  f"(last optimality violation {violation:.2e}); returning the last iterate", ConvergenceWarning,
                  stacklevel=3)
    return SolverResult(coef, intercept, n_iter, violation, False)
