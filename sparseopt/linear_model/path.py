"""Regularization paths of the elastic net / Lasso: ``enet_path``, ``lasso_path`` (scikit-learn's signatures).

For l1_ratio rho and a decreasing grid alpha_1 > ... > alpha_K, each point minimises

    1/(2n) ||y - Xw||^2 + alpha (rho ||w||_1 + (1 - rho)/2 ||w||^2),

warm-started from the previous point. The default grid is geometric from alpha_max = ||X^T y||_inf / (n rho),
the smallest alpha whose solution is 0, down to eps * alpha_max. As in scikit-learn, the path functions fit no
intercept; ``fit_path`` (used by the CV estimators) centres the data first when asked.
"""
import numpy as np

from sparseopt import design
from sparseopt.solvers.working_set import (centered_residual, feature_correlations, feature_lipschitz,
                                          prepare_least_squares, solve_penalized_least_squares)
from sparseopt.validation import check_design, check_scalar_range, check_target, check_vector


def alpha_grid(centered, y, l1_ratio, eps, n_alphas):
    """Geometric grid of n_alphas values from alpha_max = ||X_c^T y_c||_inf / (n l1_ratio) down to eps alpha_max."""
    correlations = design.xt_dot(centered.X, y) - centered.X_offset * (centered.row_scale @ y)
    alpha_max = np.max(np.abs(correlations)) / (centered.n_samples * l1_ratio)
    if alpha_max == 0:
        alpha_max = np.finfo(float).resolution
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


@design.solver_threads
def fit_path(X, y, alphas, *, l1_ratio=1.0, eps=1e-3, fit_intercept=False, sample_weight=None, positive=False,
             coef_init=None, tol=1e-4, max_iter=100, verbose=False, strong_rules=True):
    """Solve the elastic net along ``alphas`` (an int: that many grid points; or a decreasing array) on
    validated X, y; with ``strong_rules``, each point starts from the features kept by the sequential strong
    rule and the solver adds KKT violators until none is left (the solution does not change). Returns (alphas,
    coefs (n_features, K), intercepts (K,), dual_gaps (K,), n_iters (K,))."""
    n_features = X.shape[1]
    sample_weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    centered, y_c, X_offset, y_offset = prepare_least_squares(X, y, sample_weight, fit_intercept)
    if np.ndim(alphas) == 0:
        alphas = alpha_grid(centered, y_c, max(l1_ratio, 1e-3), eps, int(alphas))
    else:
        alphas = np.sort(check_vector(alphas, "alphas"))[::-1]
        if np.any(alphas < 0):
            raise ValueError("alphas must be non-negative")
    coefs = np.zeros((alphas.size, n_features))  # one row per point (contiguous); returned as (n_features, K)
    dual_gaps, n_iters = np.zeros(alphas.size), np.zeros(alphas.size, dtype=int)
    coef = np.zeros(n_features) if coef_init is None else check_vector(coef_init, "coef_init", n_features)
    residual_s = y_c - design.x_dot(centered.X, coef)  # r_s = y - X coef, kept along the path
    # |X_c^T r| / n at the previous point's solution, or upper bounds on it: what the strong rule needs
    correlation_bounds = np.abs(feature_correlations(centered, residual_s))
    gradient_scale = np.max(correlation_bounds if not np.any(coef) else np.abs(feature_correlations(centered, y_c)))
    previous_alpha = max(alphas[0], 0.0 if np.any(coef) else gradient_scale / max(l1_ratio, 1e-3))
    lipschitz = feature_lipschitz(centered)
    for k, alpha in enumerate(alphas):
        strong_set = None
        if strong_rules:
            threshold = (2 * alpha - previous_alpha) * l1_ratio
            unsure = np.flatnonzero(np.isfinite(correlation_bounds) & (correlation_bounds >= threshold))
            correlation_bounds[unsure] = np.abs(feature_correlations(centered, residual_s, unsure))  # bounds made exact
            strong_set = _strong_set(correlation_bounds, threshold)
        # the bounds hold at the previous solution's residual: the solver moves them by its distance to the new one
        bounds_residual = centered_residual(centered, residual_s, coef)
        if k >= 2:  # start from the secant prediction
            start = _extrapolate(coefs[k - 2], coefs[k - 1], alphas[k - 2], alphas[k - 1], alpha)
            coef, residual_s = start, residual_s - design.x_dot(centered.X, start - coef)
        result = solve_penalized_least_squares(
            centered, y_c, np.full(n_features, alpha * l1_ratio), np.full(n_features, alpha * (1 - l1_ratio)),
            positive=positive, coef_init=coef, max_iter=max_iter, tol=tol, strong_set=strong_set,
            correlation_bounds=correlation_bounds if strong_rules else None, bounds_residual=bounds_residual,
            gradient_scale=gradient_scale, lipschitz=lipschitz, residual_init=residual_s)
        coef, residual_s, previous_alpha = result.coef, result.residual, alpha
        if strong_rules:
            correlation_bounds = (result.correlation_bounds if result.converged
                                  else np.abs(feature_correlations(centered, residual_s)))
        coefs[k], dual_gaps[k], n_iters[k] = coef, result.stop_crit, result.n_iter
        if verbose:
            kept = "all" if strong_set is None else strong_set.size
            print(f"path point {k + 1}/{alphas.size}: alpha {alpha:.3e}, {np.count_nonzero(coef)} non-zeros, "
                  f"strong set {kept}, KKT violations {result.kkt_violations}, gap {result.stop_crit:.1e}",
                  flush=True)
    intercepts = y_offset - coefs @ X_offset if fit_intercept else np.zeros(alphas.size)
    return alphas, np.ascontiguousarray(coefs.T), intercepts, dual_gaps, n_iters


def _extrapolate(older, old, older_alpha, old_alpha, alpha):
    """Secant prediction of the solution at alpha from the two previous points of the path: the Lasso path is
    linear in alpha between the points where the support or a sign changes (for the elastic net it is smooth
    there), so w(alpha) ~ old + (old - older) (alpha - old_alpha) / (old_alpha - older_alpha) on the features
    non-zero at both points with one sign (a predicted sign change is cut to 0), and old elsewhere."""
    both = (older != 0) & (old != 0) & (np.sign(older) == np.sign(old))
    start = old.copy()
    predicted = old[both] + (old[both] - older[both]) * (alpha - old_alpha) / (old_alpha - older_alpha)
    start[both] = np.where(np.sign(predicted) == np.sign(old[both]), predicted, 0.0)
    return start


def _strong_set(correlations, threshold):
    """Sequential strong rule (Tibshirani et al. 2012): keep feature j when |X_c_j^T r| / n >= 2 l1 - l1_prev
    (the threshold) at the previous solution. Features the solver had removed by the gap-safe rule (their
    correlations unknown: inf) stay out. Not safe: the solver checks the KKT conditions on every feature left out
    and adds any violator."""
    return np.flatnonzero(np.isfinite(correlations) & (correlations >= threshold))


def enet_path(X, y, *, l1_ratio=0.5, eps=1e-3, alphas=100, coef_init=None, verbose=False, return_n_iter=False,
              positive=False, tol=1e-4, max_iter=100):
    """Elastic-net path without intercept, as scikit-learn's ``enet_path``.

    Parameters
    ----------
    X : array (n, p) or CSC matrix; y : array (n,).
    l1_ratio : float in (0, 1]; eps : float, grid length alpha_min / alpha_max.
    alphas : int (number of grid points, default 100) or array of alphas (sorted decreasingly).
    coef_init : warm start of the first point; positive : bool, constrain w >= 0.
    tol, max_iter : stopping rule of each point (duality gap <= tol ||y||^2 / n; outer iterations).

    Returns
    -------
    alphas (K,), coefs (p, K), dual_gaps (K,), and n_iters (K,) when return_n_iter.
    """
    X = check_design(X)
    y = check_target(y, X.shape[0])
    l1_ratio = check_scalar_range(l1_ratio, "l1_ratio", low=0.0, high=1.0, low_open=True)
    eps = check_scalar_range(eps, "eps", low=0.0, high=1.0, low_open=True)
    alphas, coefs, _, dual_gaps, n_iters = fit_path(
        X, y, alphas, l1_ratio=l1_ratio, eps=eps, positive=positive, coef_init=coef_init, tol=tol,
        max_iter=max_iter, verbose=verbose)
    return (alphas, coefs, dual_gaps, n_iters) if return_n_iter else (alphas, coefs, dual_gaps)


def lasso_path(X, y, *, eps=1e-3, alphas=100, coef_init=None, verbose=False, return_n_iter=False, positive=False,
               tol=1e-4, max_iter=100):
    """Lasso path without intercept, as scikit-learn's ``lasso_path``: ``enet_path`` with l1_ratio = 1."""
    return enet_path(X, y, l1_ratio=1.0, eps=eps, alphas=alphas, coef_init=coef_init, verbose=verbose,
                     return_n_iter=return_n_iter, positive=positive, tol=tol, max_iter=max_iter)
