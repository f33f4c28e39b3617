"""Proximal Newton for l1-penalized binary logistic regression (glmnet's iteratively reweighted Lasso).

    min_{w, b} 1/n sum_i log(1 + exp(-s_i (x_i^T w + b))) + alpha ||w||_1,   s_i = 2 t_i - 1, t_i in {0, 1}.

At (w, b) with margins z = Xw + b and p_i = sigmoid(z_i), the quadratic model of the loss is the weighted least
squares 1/(2n) sum_i h_i (u_i - x_i^T w - b)^2 with h_i = p_i (1 - p_i) and working response
u_i = z_i - (p_i - t_i) / h_i (Friedman, Hastie & Tibshirani 2010; Lee, Sun & Saunders 2014). Its Lasso is
solved by the working-set coordinate descent (a weighted Lasso with alpha n / sum h), to a tolerance that shrinks
with the outer violation; the step to it is damped by backtracking (Armijo, with the l1 term's change). The
loop stops when the optimality violation is at most tol * alpha_max, alpha_max = ||X^T (t - mean t)||_inf / n.
"""
import warnings

import numpy as np
from scipy.special import expit

from sparseopt import design
from sparseopt.datafits import Logistic
from sparseopt.penalties import L1
from sparseopt.solvers.working_set import WorkingSetResult, prepare_least_squares, solve_penalized_least_squares

ARMIJO = 1e-4  # fraction of the predicted decrease that a damped step must achieve
MIN_CURVATURE = 1e-10  # floor on p (1 - p), which vanishes where the fit is certain


def logistic_alpha_max(X, targets):
    """||X^T (t - mean t)||_inf / n: the smallest alpha whose solution (with intercept) has w = 0."""
    return max(np.max(np.abs(design.xt_dot(X, targets - targets.mean()))) / X.shape[0], np.finfo(float).tiny)


@design.solver_threads
def solve_sparse_logistic(X, targets, alpha, *, fit_intercept=True, max_iter=50, tol=1e-6, coef_init=None,
                          intercept_init=None):
    """Proximal Newton on validated X (dense Fortran or CSC) and targets t in {0, 1}.

    Starts from coef_init (default 0) and intercept_init (default: the log-odds of the positive class). Returns
    (WorkingSetResult(coef, n_iter, stop_crit = violation, converged), intercept); warns ConvergenceWarning
    after max_iter Newton steps.
    """
    n_samples, n_features = X.shape
    datafit, penalty = Logistic(), L1(alpha)
    signs = 2.0 * targets - 1.0

    def objective(coef, intercept):
        return datafit.value(signs, design.x_dot(X, coef) + intercept) + penalty.value(coef)

    coef = np.zeros(n_features) if coef_init is None else np.array(coef_init, dtype=float)
    share = np.clip(targets.mean(), 1e-12, 1 - 1e-12)
    intercept = 0.0 if not fit_intercept else (
        float(np.log(share / (1 - share))) if intercept_init is None else float(intercept_init))
    scale = logistic_alpha_max(X, targets)
    violation = np.inf
    for n_iter in range(1, max_iter + 1):
        margins = design.x_dot(X, coef) + intercept
        probabilities = expit(margins)
        gradient = design.xt_dot(X, probabilities - targets) / n_samples
        intercept_gradient = np.mean(probabilities - targets) if fit_intercept else 0.0
        violation = max(np.max(penalty.subdiff_distance(coef, gradient)), abs(intercept_gradient))
        if violation <= tol * scale:
            return WorkingSetResult(coef, n_iter, violation, True), intercept
        curvature = np.maximum(probabilities * (1 - probabilities), MIN_CURVATURE)
        response = margins - (probabilities - targets) / curvature
        # the model's Lasso is solved more accurately as the outer violation shrinks (its gap ~ violation^2)
        inner_tol = max(min(1e-4, 1e-2 * (violation / scale) ** 2), 1e-13)
        new_coef, new_intercept = _newton_target(X, response, curvature, coef, alpha, fit_intercept, inner_tol)
        coef, intercept = _damped_step(objective, alpha, coef, intercept, new_coef, new_intercept, gradient,
                                       intercept_gradient)
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"proximal Newton stopped at max_iter={max_iter} Newton steps with optimality violation "
                  f"{violation:.2e} > {tol * scale:.2e}", ConvergenceWarning, stacklevel=3)
    return WorkingSetResult(coef, max_iter, violation, False), intercept


def _newton_target(X, response, curvature, coef, alpha, fit_intercept, inner_tol):
    """Minimiser of the quadratic model: the weighted Lasso of the working response, warm-started at coef."""
    centered, response_c, X_offset, response_offset = prepare_least_squares(X, response, curvature, fit_intercept)
    n_samples, n_features = X.shape
    weighted_alpha = alpha * n_samples / curvature.sum()
    with warnings.catch_warnings():  # an inexact Newton direction is fine: the outer loop decides
        warnings.simplefilter("ignore")
        result = solve_penalized_least_squares(centered, response_c, np.full(n_features, weighted_alpha),
                                               np.zeros(n_features), coef_init=coef, tol=inner_tol)
    intercept = float(response_offset - X_offset @ result.coef) if fit_intercept else 0.0
    return result.coef, intercept


def _damped_step(objective, alpha, coef, intercept, new_coef, new_intercept, gradient, intercept_gradient):
    """Backtrack t = 1, 1/2, ... until F(x + t d) <= F(x) + ARMIJO t delta, with
    delta = grad^T d + alpha (||w + d||_1 - ||w||_1) < 0 the decrease the model predicts; when that is below
    the rounding of F, the full step is taken (near the optimum the Newton step is the right one)."""
    direction, intercept_direction = new_coef - coef, new_intercept - intercept
    delta = (gradient @ direction + intercept_gradient * intercept_direction
             + alpha * (np.abs(new_coef).sum() - np.abs(coef).sum()))
    current = objective(coef, intercept)
    if -delta <= 10 * np.finfo(float).eps * abs(current):
        return new_coef, new_intercept  # a decrease below rounding cannot be checked: take the Newton step
    step = 1.0
    for _ in range(30):
        trial_coef, trial_intercept = coef + step * direction, intercept + step * intercept_direction
        if objective(trial_coef, trial_intercept) <= current + ARMIJO * step * delta:
            return trial_coef, trial_intercept
        step /= 2
    return coef, intercept
