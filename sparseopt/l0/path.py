"""Regularization paths of the L0 estimators, warm-started: over lambda0 for a grid of lambda2 (L0L2) or lambda1
(L0L1), and over the number of non-zeros k for best-subset regression.

The lambda0 grid follows the data (Hazimeh & Mazumder 2020, section 3.2): at w = 0 every feature j can enter
alone exactly when lambda0 < g_j = (|X_j^T r / n| - lambda1)_+^2 / (2 (L_j + 2 lambda2)), so the path starts at
lambda0_max = max_j g_j (solution 0) and each next lambda0 is 0.99 max_{j inactive} g_j at the current solution,
the largest value that lets one more feature in (0.97 lambda0 if that is not smaller).
"""
from typing import NamedTuple

import numpy as np

from sparseopt.l0 import solver
from sparseopt.validation import check_design, check_sample_weight, check_scalar_range, check_target, check_vector

ENTRY_FRACTION = 0.99  # next lambda0 = ENTRY_FRACTION * the largest entry threshold
MIN_DECREASE = 0.97  # ... unless that is not below MIN_DECREASE * lambda0


class L0Path(NamedTuple):
    """One lambda0 path per value of the second strength (``gammas``: lambda2 for L0L2, lambda1 for L0L1, [0]
    for L0): ``lambda0s[g]`` (decreasing), ``coefs[g]`` of shape (p, len(lambda0s[g])), ``intercepts[g]``."""

    penalty: str
    gammas: np.ndarray
    lambda0s: list
    coefs: list
    intercepts: list


def default_gammas(problem, penalty, n_gamma):
    """The second-strength grid: [0] for L0; for L0L2, n_gamma values of lambda2 log-spaced from 10 to 1e-4
    times the median L_j = ||X_j||^2 / n (L0Learn's grid on standardized columns); for L0L1, lambda1 from
    lambda1_max = max_j |X_j^T y| / n (every feature out) down to 1e-4 lambda1_max."""
    if penalty == "L0":
        return np.zeros(1)
    if penalty == "L0L2":
        return np.geomspace(10.0, 1e-4, n_gamma) * float(np.median(problem.lipschitz[problem.lipschitz > 0]))
    lambda1_max = float(np.max(np.abs(_correlations_at_zero(problem))))
    return np.geomspace(lambda1_max, 1e-4 * lambda1_max, n_gamma)


def _correlations_at_zero(problem):
    from sparseopt import design

    residual, weighted_sum = solver.residual_of(problem, np.zeros(problem.n_features))
    return (design.xt_dot(problem.centered.X, residual) - problem.centered.X_offset * weighted_sum) / problem.y.size


def _strengths(penalty, gamma):
    """(lambda1, lambda2) for the penalty and its second strength."""
    return (gamma, 0.0) if penalty == "L0L1" else (0.0, gamma if penalty == "L0L2" else 0.0)


def lambda0_path_on(problem, penalty, gamma, *, lambda0s=None, n_lambda0=100, max_support_size=None,
                    algorithm="CDPSI", **options):
    """The lambda0 path for one (lambda1 or lambda2) value on a prepared problem; returns (lambda0s, coefs (p, k))."""
    lambda1, lambda2 = _strengths(penalty, gamma)
    max_support = problem.n_features if max_support_size is None else max_support_size
    coef = np.zeros(problem.n_features)
    given = lambda0s is not None
    grid, columns = [], []
    lambda0 = np.inf
    for point in range(len(lambda0s) if given else n_lambda0):
        if given:
            lambda0 = float(lambda0s[point])
        else:
            gains = solver.entry_gains(problem, coef, lambda1, lambda2)
            entry = ENTRY_FRACTION * float(np.max(gains, initial=0.0))
            if point > 0 and entry <= 0.0:
                break  # nothing more can enter
            lambda0 = entry / ENTRY_FRACTION if point == 0 else (entry if entry < MIN_DECREASE * lambda0
                                                                  else MIN_DECREASE * lambda0)
        coef = solver.solve_l0(problem, penalty, lambda0, lambda1, lambda2, coef_init=coef,
                               max_support_size=max_support, algorithm=algorithm, **options).coef
        grid.append(lambda0)
        columns.append(coef.copy())
        if not given and np.count_nonzero(coef) >= max_support:
            break
    return np.array(grid), np.column_stack(columns)


def l0_path(X, y, *, penalty="L0", gammas=None, n_gamma=5, lambda0s=None, n_lambda0=100, max_support_size=None,
            algorithm="CDPSI", fit_intercept=True, sample_weight=None, **options):
    """Warm-started paths of ``L0Regression`` over lambda0, one for each lambda2 (L0L2) or lambda1 (L0L1) in
    ``gammas`` (default: ``default_gammas`` with n_gamma values; [0] for L0).

    lambda0s: optional list (one decreasing sequence per gamma) to use instead of the data-driven grid. A path
    stops after n_lambda0 points, or once the support reaches max_support_size. ``options`` go to
    ``solver.solve_l0`` (max_iter, tol, max_swaps, max_swap_size). Returns an ``L0Path``.
    """
    from sparseopt.l0.regression import check_penalty_strengths

    if penalty not in solver.PENALTY_KINDS:
        raise ValueError(f"penalty must be one of {sorted(solver.PENALTY_KINDS)}; got {penalty!r}")
    if algorithm not in solver.ALGORITHMS:
        raise ValueError(f"algorithm must be one of {solver.ALGORITHMS}; got {algorithm!r}")
    X, y, sample_weight = _validated(X, y, sample_weight)
    problem = solver.prepare(X, y, sample_weight, fit_intercept)
    gammas = default_gammas(problem, penalty, n_gamma) if gammas is None else check_vector(gammas, "gammas")
    for gamma in gammas:
        check_scalar_range(gamma, "gammas", low=0.0)
        check_penalty_strengths(penalty, *_strengths(penalty, gamma))
    if lambda0s is not None and len(lambda0s) != len(gammas):
        raise ValueError(f"lambda0s must hold one sequence per gamma ({len(gammas)}); got {len(lambda0s)}")
    grids, coefs, intercepts = [], [], []
    for g, gamma in enumerate(gammas):
        grid, coef = lambda0_path_on(problem, penalty, gamma, lambda0s=None if lambda0s is None else lambda0s[g],
                                     n_lambda0=n_lambda0, max_support_size=max_support_size, algorithm=algorithm,
                                     **options)
        grids.append(grid)
        coefs.append(coef)
        intercepts.append(problem.y_offset - problem.X_offset @ coef if fit_intercept else np.zeros(grid.size))
    return L0Path(penalty, np.asarray(gammas, dtype=float), grids, coefs, intercepts)


def subset_path(X, y, n_nonzeros=range(1, 31), *, fit_intercept=True, sample_weight=None, max_swaps=100,
                max_swap_size=2):
    """Best-subset fits for each k in ``n_nonzeros`` (increasing) in one compiled pass
    (``numba_kernels.l0_exchange.subset_path``): the support of the previous k grows by the best exact adds and is
    polished by exchanges of one feature, then two when single ones stall, each valued in closed form (at most
    ``max_swaps`` moves per k; ``max_swap_size=1``: single exchanges only).

    Returns (coefs of shape (p, len(n_nonzeros)), intercepts).
    """
    n_nonzeros = [int(k) for k in n_nonzeros]
    if any(k < 0 for k in n_nonzeros) or any(b < a for a, b in zip(n_nonzeros, n_nonzeros[1:])):
        raise ValueError("n_nonzeros must be non-negative and increasing")
    X, y, sample_weight = _validated(X, y, sample_weight)
    problem = solver.prepare(X, y, sample_weight, fit_intercept)
    coefs = solver.subset_coefficient_path(problem, np.array(n_nonzeros, dtype=np.int64), max_swaps=max_swaps,
                                           max_swap_size=max_swap_size)
    intercepts = problem.y_offset - problem.X_offset @ coefs if fit_intercept else np.zeros(len(n_nonzeros))
    return coefs, intercepts


def _validated(X, y, sample_weight):
    """X (dense Fortran or CSC), y and sample weights checked as in the estimators' fit."""
    X = check_design(X)
    return X, check_target(y, X.shape[0], dtype=X.dtype), check_sample_weight(sample_weight, X.shape[0], X.dtype)
