"""Regularization paths of the SLOPE family with strong screening: the shared driver ``fit_path``.

For a decreasing grid alpha_1 > ... > alpha_K, each point minimises F(Xw + b) + P_alpha(w) warm-started from the
previous one. The default grid is geometric from alpha_max, the smallest alpha whose solution is 0, down to
eps alpha_max, so the first point is exactly zero. With u0 = dF/dz at the null model (w = 0, b the best
intercept) and grad0 = X^T u0, alpha_max is the dual norm of P at grad0:

- SLOPE: J*_v(grad0) = max_k sum_{i<=k} |grad0|_(i) / sum_{i<=k} v_i;
- Group SLOPE: J*_lambda(||grad0_g|| / c_g);
- Sparse-group SLOPE, which has no closed form: a bracket [lower, upper] narrowed until its relative width is
  ALPHA_MAX_RTOL. The zero solution is optimal iff 0 = prox_{alpha P}(-grad0) (the first-order condition at 0
  does not involve X); that prox problem is solved at the geometric middle of the bracket, and its primal point
  w gives lower = -<grad0, w> / P_1(w), its dual split -grad0 = t + C s gives upper = max(J*_v(t) / eta,
  J*_lambda(||s_g||) / (1 - eta)), both certified. Start: [||grad0||^2 / P_1(grad0), min(J*_v(grad0) / eta,
  J*_lambda(||grad0_g|| / c_g) / (1 - eta))].

With ``screen=True`` each point is fitted on the features kept by ``screening.screened_features`` (or, with
``strategy="previous"``, on the previous active set and one candidate); after each fit the KKT conditions are
checked on all features (``screening.kkt_flags``, one full gradient X^T u per fit), violators are added and the
fit repeated. The previous set often misses features, so at a point that follows one where it did (and at the
first fitted point), its fits first stop at the loose relative gap PREVIOUS_FIRST_TOL: only when the KKT check
finds no violator there is the fit finished to ``tol`` and checked once more (the loose fit's coefficients
warm-start the next one, so its iterations are not lost; on the Group SLOPE benchmark path at p = 5000 this cut
the features fitted x iterations by 10%, on the SLOPE paths by 25-30%). After a point without violations the
first fit goes straight to ``tol``, which spares a fit and a KKT gradient where little is missed. The restricted
FISTA and splitting fits run on the sliced design X[:, E]; the hybrid solver fits the columns E of X in place and
returns the full gradient for the KKT check. The whole path runs under the thread policy of
``design.solver_threads``.
"""
import hashlib
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sparseopt import design
from sparseopt.datafits import Quadratic
from sparseopt.slope import screening
from sparseopt.slope.penalty import null_intercept, sorted_dual_norm
from sparseopt.slope.solvers import (SlopeResult, relative_gap, solve_fista, solve_hybrid, solve_splitting,
                                     solver_threads)

SOLVERS = ("auto", "hybrid", "fista", "splitting")
ALPHA_MAX_RTOL = 1e-6  # relative width of the final alpha_max bracket (Sparse-group SLOPE)
ALPHA_MAX_ITER = 5_000  # splitting iterations at most on the prox problems of that bracket (the upper end stays certified)

RECORD_NAMES = ("n_screened_features", "n_screened_groups", "n_fitted_features", "n_active_features",
                "n_active_groups", "n_kkt_violations", "n_kkt_violation_groups", "n_refits", "feature_iterations")


class PathResult(NamedTuple):
    """alphas (K,), coefs (p, K), intercepts (K,), n_iters (K,), stop_crits (K,) (relative duality gaps), and
    screening: a dict of per-point integer arrays (see ``RECORD_NAMES``): features and groups kept by the screening
    rule, features in the last fit, active features and groups, KKT violations (features and groups added after a
    fit), the number of refits, and the work of the point's fits, sum over fits of (features fitted) x (solver
    iterations), a load-independent measure of the cost (each solver iteration costs about two products with the
    fitted columns)."""

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    n_iters: np.ndarray
    stop_crits: np.ndarray
    screening: dict


def resolved_solver(solver, datafit, penalty):
    """The solver that ``solve`` runs for ``solver`` (``auto`` resolved)."""
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}; got {solver!r}")
    if solver == "auto":
        solver = ("hybrid" if penalty.eta == 1 and isinstance(datafit, Quadratic)
                  else "fista" if penalty.eta in (0, 1) else "splitting")
    return solver


def solve(X, y, datafit, penalty, alpha, *, solver="auto", **options):
    """One fit with the chosen solver (``auto``: hybrid for SLOPE least squares, FISTA for SLOPE and Group SLOPE,
    the PD3O splitting for Sparse-group SLOPE)."""
    solver = resolved_solver(solver, datafit, penalty)
    if solver != "splitting":
        options.pop("group_dual_init", None)
    function = {"hybrid": solve_hybrid, "fista": solve_fista, "splitting": solve_splitting}[solver]
    return function(X, y, datafit, penalty, alpha, **options)


def null_gradient(X, y, datafit, fit_intercept):
    """(grad0 = X^T u0, b0): the gradient at w = 0 with the best intercept b0 (0 without intercept)."""
    intercept = null_intercept(datafit, y) if fit_intercept else 0.0
    raw_gradient = datafit.raw_gradient(y, np.full(y.size, intercept))
    return design.xt_dot(X, raw_gradient).astype(float), intercept


def _alpha_max_bounds(penalty, alpha, grad, start, max_iter):
    """Certified bounds on alpha_max = P*(grad) from the prox problem min_w <grad, w> + 1/2 ||w||^2 + alpha P(w),
    solved by the splitting (warm-started from ``start``, a previous result or None) as 1/(2p) ||y - w||^2 +
    alpha P(w) with y = -p grad: any w != 0 gives the lower bound -<grad, w> / P_1(w); any split -grad = t + C s
    gives the upper bound max(J*_v(t) / eta, J*_lambda(||s_g||) / (1 - eta)). Returns (lower, upper, result)."""
    p = grad.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = solve_splitting(None, -p * grad, Quadratic(), penalty, alpha, lipschitz=1.0 / p,
                                 fit_intercept=False, tol=1e-14, max_iter=max_iter, check_every=50,
                                 coef_init=None if start is None else start.coef,
                                 group_dual_init=None if start is None else start.group_dual)
    lower = -(grad @ result.coef) / penalty.value(result.coef, 1.0) if np.any(result.coef) else 0.0
    t, s = -grad - penalty.feature_weights() * result.group_dual, result.group_dual
    upper = max(sorted_dual_norm(t, penalty.variable_lambdas) / penalty.eta,
                sorted_dual_norm(penalty.group_values(s), penalty.group_lambdas) / (1 - penalty.eta))
    return lower, upper, result


def alpha_max(penalty, grad):
    """Smallest alpha with solution 0 (see the module docstring); for Sparse-group SLOPE, the upper end of a
    certified bracket, narrowed by prox problems at its geometric middle to a relative width ALPHA_MAX_RTOL
    (or until ALPHA_MAX_ITER splitting iterations are spent; a prox problem that moves neither end is continued
    with twice the iterations). The Sparse-group SLOPE bisection (seconds at p = 5000) is kept for the last
    ALPHA_MAX_CACHE_SIZE (penalty, grad) pairs, so that an estimator that builds its grid, then fits the path, or
    a screened and an unscreened path on the same data, run it once."""
    variable_bound = sorted_dual_norm(grad, penalty.variable_lambdas)
    group_bound = sorted_dual_norm(penalty.group_values(grad) / penalty.group_weights, penalty.group_lambdas)
    if penalty.eta == 1 or penalty.eta == 0:
        return variable_bound if penalty.eta == 1 else group_bound
    if not np.any(grad):
        return 0.0
    key = _alpha_max_key(penalty, grad)
    if key not in _ALPHA_MAX_CACHE:
        if len(_ALPHA_MAX_CACHE) >= ALPHA_MAX_CACHE_SIZE:
            _ALPHA_MAX_CACHE.pop(next(iter(_ALPHA_MAX_CACHE)))
        _ALPHA_MAX_CACHE[key] = _sparse_group_alpha_max(penalty, grad, variable_bound, group_bound)
    return _ALPHA_MAX_CACHE[key]


ALPHA_MAX_CACHE_SIZE = 8
_ALPHA_MAX_CACHE = {}  # key of (penalty, grad) -> Sparse-group SLOPE alpha_max, oldest first


def _alpha_max_key(penalty, grad):
    """A digest of everything alpha_max depends on: grad and the penalty's weights and groups."""
    digest = hashlib.blake2b(digest_size=16)
    for array in (grad, penalty.variable_lambdas, penalty.group_lambdas, penalty.feature_group, penalty.group_weights):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr(float(penalty.eta)).encode())
    return digest.hexdigest()


def _sparse_group_alpha_max(penalty, grad, variable_bound, group_bound):
    """The bisection of ``alpha_max`` for 0 < eta < 1."""
    upper = min(variable_bound / penalty.eta, group_bound / (1 - penalty.eta))
    lower = float(grad @ grad) / penalty.value(grad, 1.0)
    start, budget, spent = None, 200, 0
    while upper > lower * (1 + ALPHA_MAX_RTOL) and spent < ALPHA_MAX_ITER:
        middle = np.sqrt(lower * upper)
        new_lower, new_upper, result = _alpha_max_bounds(penalty, middle, grad, start, budget)
        spent += result.n_iter
        if new_lower < middle and new_upper > middle:  # not decided yet: continue this prox problem longer
            start, budget = result, 2 * budget
        else:
            start, budget = None, 200
        lower, upper = max(lower, new_lower), min(upper, new_upper)
    return upper


def alpha_grid(alpha_maximum, n_alphas, eps):
    """n_alphas values from alpha_max down to eps alpha_max, geometrically."""
    if alpha_maximum == 0:
        alpha_maximum = np.finfo(float).resolution
    return np.geomspace(alpha_maximum, alpha_maximum * eps, n_alphas)


def _count_groups(penalty, mask):
    """Number of groups holding at least one feature of ``mask``."""
    if penalty.n_groups == mask.size:  # one group per feature
        return int(np.count_nonzero(mask))
    present = np.zeros(penalty.n_groups, dtype=bool)
    present[penalty.feature_group[mask]] = True
    return int(np.count_nonzero(present))


STRATEGIES = ("auto", "strong", "previous")
PREVIOUS_FIRST_TOL = 1e-3  # first gap of the "previous" fits at a point after one with KKT violations
FULL_LIPSCHITZ_SHARE = 0.5  # fits on more than this share of the features use the Lipschitz bound of the whole X


def _previous_set(penalty, grad, active):
    """The "previous set" of Larsson, Bogdan & Wallin (2020, Algorithm 2): the active features and the one
    candidate most likely to enter, the feature with the largest |grad_j| among the inactive ones (SLOPE and
    Sparse-group SLOPE, whose groups are fitted feature by feature), or for Group SLOPE whole active groups and the
    group with the largest ||grad_g|| / c_g among the inactive ones."""
    kept = active.copy()
    if penalty.eta > 0:
        scores = np.where(active, -1.0, np.abs(grad))
        kept[np.argmax(scores)] = True
        return kept
    group_active = np.zeros(penalty.n_groups, dtype=bool)
    group_active[penalty.feature_group[active]] = True
    scores = np.where(group_active, -1.0, penalty.group_values(grad) / penalty.group_weights)
    return kept | group_active[penalty.feature_group] | (penalty.feature_group == np.argmax(scores))


CERTIFICATE_MIN_TOL_SHARE = 1e-3  # a Sparse-group fit tightened below tol times this share is redone on all features


def _sparse_group_certificate(X, y, datafit, penalty, alpha, coef, intercept, predictor, grad, result, features,
                              fit_intercept):
    """(relative gap of the whole Sparse-group SLOPE problem at coef, flags): the smaller of the gaps of two dual
    splits, the fit's own s (0 outside the fitted features) and ``screening.sparse_group_split``, each a certified
    bound (``relative_gap`` rescales the split into the dual ball); the flags are those of the second split.
    The heuristic KKT check of Feser & Evangelou (``screening.kkt_flags``) is not a certificate, hence this one."""
    fitted_dual = np.zeros(coef.size)
    if result.group_dual is not None:
        fitted_dual[features] = result.group_dual
    built_dual, flags = screening.sparse_group_split(penalty, alpha, coef, grad, fitted_dual)
    gaps = [relative_gap(X, y, datafit, penalty, alpha, coef, intercept, predictor, fit_intercept, dual, grad)[0]
            for dual in (fitted_dual, built_dual)]
    return min(gaps), flags


@solver_threads
def fit_path(X, y, datafit, penalty, alphas=None, *, n_alphas=20, eps=1e-2, fit_intercept=True, screen=True,
             strategy="auto", solver="auto", tol=1e-6, max_iter=10_000, verbose=False):
    """Solve along ``alphas`` (decreasing; default: the geometric grid from alpha_max) with warm starts and,
    with ``screen``, the strong rules and KKT checks. X, y validated; returns a PathResult.

    ``strategy`` picks the features fitted first at each point (Larsson, Bogdan & Wallin 2020): ``"strong"``, the
    strong set of the rule united with the active set (the rule of Feser & Evangelou 2025 as stated); ``"previous"``,
    the active set and the best candidate (``_previous_set``), fitted first to the gap PREVIOUS_FIRST_TOL after
    a point with violations;
    ``"auto"`` is previous (as libslope and sortedl1 do for SLOPE; for the group models the strong set keeps most
    features once many groups are active, and fitting it cost 2-5 times the features x iterations of the previous
    set on the benchmark paths). Either way the strong set is recorded and the KKT check on all features adds
    violators until there are none, so the path does not depend on the strategy. For Sparse-group SLOPE the KKT
    check of Feser & Evangelou (``screening.kkt_flags``) is not a certificate (with the previous set it let
    features be missed: relative objective excess 1.4e-3 at tol 1e-5 on the p = 2000 benchmark path), so once it
    passes, the duality gap of the whole problem is certified with ``_sparse_group_certificate``; the features
    that break its dual split are added, and if there are none the fit is tightened (tol / 10 at a time, down to
    tol CERTIFICATE_MIN_TOL_SHARE, then all features are fitted). The recorded stop criterion is that gap.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}")
    if strategy == "auto":
        strategy = "previous"
    n_features = X.shape[1]
    null_grad, null_b = null_gradient(X, y, datafit, fit_intercept)
    grad, largest = null_grad, alpha_max(penalty, null_grad)
    alphas = alpha_grid(largest, n_alphas, eps) if alphas is None else np.asarray(alphas, dtype=float)
    n_points = alphas.size
    coefs, intercepts = np.zeros((n_features, n_points)), np.zeros(n_points)
    n_iters, stop_crits = np.zeros(n_points, dtype=int), np.zeros(n_points)
    records = {name: np.zeros(n_points, dtype=int) for name in RECORD_NAMES}
    coef, intercept, group_dual = np.zeros(n_features), null_b, np.zeros(n_features)
    previous_alpha = max(largest, alphas[0])
    full_lipschitz = None  # Lipschitz bound of the whole X, computed once when first needed
    # FISTA and the splitting need a Lipschitz bound (the hybrid solver backtracks from the column norms): it is
    # estimated here for the smaller fits (as the solvers would), and reused while the fitted set stays the same
    # (a fit to the loose gap, then to tol; a tightened Sparse-group SLOPE fit)
    hybrid = resolved_solver(solver, datafit, penalty) == "hybrid"
    margin = 1.05 if resolved_solver(solver, datafit, penalty) == "splitting" else 1.0  # FISTA backtracks, PD3O not
    last_set, last_lipschitz = None, None
    for k, alpha in enumerate(alphas):
        if alpha >= largest:  # the zero solution, known exactly
            coef, intercept, grad = np.zeros(n_features), null_b, null_grad
            intercepts[k] = intercept
            continue
        if screen:
            strong = screening.screened_features(penalty, grad, previous_alpha, alpha, coef != 0)
            kept = strong if strategy == "strong" else _previous_set(penalty, grad, coef != 0)
        else:
            strong = kept = np.ones(n_features, dtype=bool)
        records["n_screened_features"][k] = strong.sum()
        records["n_screened_groups"][k] = _count_groups(penalty, strong)
        # the previous set misses features: while it did at the last point, its fits stop at a loose gap until
        # the KKT check passes, then at tol
        expect_violations = k == 0 or alphas[k - 1] >= largest or records["n_kkt_violations"][k - 1] > 0
        fit_tol = max(tol, PREVIOUS_FIRST_TOL) if screen and strategy == "previous" and expect_violations else tol
        while True:
            features = np.flatnonzero(kept)
            whole = features.size == n_features
            sub_X = X if whole or hybrid else X[:, features]
            lipschitz = None
            if features.size > FULL_LIPSCHITZ_SHARE * n_features:
                if full_lipschitz is None:
                    full_lipschitz = datafit.lipschitz(X, tol=1e-3) * 1.05
                lipschitz = full_lipschitz
            elif not hybrid and features.size:
                if last_set is None or not np.array_equal(features, last_set):
                    last_set, last_lipschitz = features, datafit.lipschitz(sub_X, tol=1e-3) * margin
                lipschitz = last_lipschitz
            if hybrid and features.size:  # on the columns of X, returning the full gradient: no copy, no product
                result = solve_hybrid.__wrapped__(  # the path already runs under solver_threads (17 us a call)
                    X, y, datafit, penalty, alpha, columns=features, fit_intercept=fit_intercept, coef_init=coef,
                    intercept_init=intercept, tol=fit_tol, max_iter=max_iter, lipschitz=lipschitz)
                coef, intercept, grad = result.coef, result.intercept, result.gradient
            else:
                if features.size == 0:  # nothing kept: w = 0 with the best intercept, then the KKT check
                    result = SlopeResult(np.zeros(0), null_b, 0, 0.0, True, np.zeros(0))
                else:
                    result = solve(sub_X, y, datafit, penalty if whole else penalty.restrict(features), alpha,
                                   solver=solver, fit_intercept=fit_intercept, coef_init=coef[features],
                                   intercept_init=intercept, group_dual_init=group_dual[features], tol=fit_tol,
                                   max_iter=max_iter, lipschitz=lipschitz)
                coef = np.zeros(n_features)
                coef[features], intercept = result.coef, result.intercept
                if result.group_dual is not None:
                    group_dual[features] = result.group_dual
                predictor = (design.x_dot(sub_X, result.coef) if features.size else np.zeros(y.size)) + intercept
                raw_gradient = datafit.raw_gradient(y, predictor)  # X w = X_E w_E: the product costs |E|, not p
                grad = design.xt_dot(X, raw_gradient).astype(float)
            n_iters[k] += result.n_iter
            records["feature_iterations"][k] += features.size * result.n_iter
            crit = result.stop_crit
            loose = fit_tol > tol
            if whole and not loose:
                break
            violators = screening.kkt_flags(penalty, alpha, coef, grad) & ~kept
            if not violators.any() and loose:
                fit_tol = tol  # no violator at the loose gap: finish the fit, then check once more
                continue
            if not violators.any() and 0 < penalty.eta < 1:
                crit, violators = _sparse_group_certificate(X, y, datafit, penalty, alpha, coef, intercept,
                                                            predictor, grad, result, features, fit_intercept)
                violators &= ~kept
                if crit <= tol or (not result.converged and not violators.any()):  # (max_iter: the solver warned)
                    break
                if not violators.any():  # the split misses by the fit's own inaccuracy: fit tighter, at last all
                    fit_tol /= 10
                    if fit_tol < tol * CERTIFICATE_MIN_TOL_SHARE:
                        kept[:] = True
                    records["n_refits"][k] += 1
                    continue
            if not violators.any():
                break
            records["n_kkt_violations"][k] += violators.sum()
            records["n_kkt_violation_groups"][k] += _count_groups(penalty, violators)
            records["n_refits"][k] += 1
            kept |= violators
        records["n_fitted_features"][k] = kept.sum()
        records["n_active_features"][k] = np.count_nonzero(coef)
        records["n_active_groups"][k] = _count_groups(penalty, coef != 0)
        coefs[:, k], intercepts[k], stop_crits[k] = coef, intercept, crit
        previous_alpha = alpha
        if verbose:
            print(f"path point {k + 1}/{n_points}: alpha {alpha:.3e}, {records['n_active_features'][k]} non-zeros, "
                  f"{kept.sum()} features fitted, gap {result.stop_crit:.1e}", flush=True)
    return PathResult(alphas, coefs, intercepts, n_iters, stop_crits, records)
