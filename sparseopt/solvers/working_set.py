"""Working-set coordinate descent for penalized least squares (the Lasso family).

    min_w 1/(2n) ||y - X w||^2 + sum_j p_j(w_j),   p_j(x) = l1_j |x| + l2_j / 2 x^2  [w >= 0 with positive=True]
                                                   or the MCP / SCAD penalty

Outer loop (Massias et al. 2018, Bertrand & Massias 2021 / skglm): compute the full gradient and each feature's
optimality violation, stop on the duality gap (elastic net) or the violation (MCP, SCAD), else grow a working
set (the support plus the worst violators, at least twice the support) and solve the problem restricted to it
by cyclic coordinate descent with Anderson extrapolation (``numba_kernels.cd``) to a fraction of the outer
violation. For the elastic net, the Gap Safe rule (Ndiaye et al. 2017) removes features proved to be 0.
The whole loop runs in one compiled call (``numba_kernels.working_set``); this module prepares the data and,
along a path, checks the KKT conditions outside a strong set.

The duality gap uses the dual point u = r / n rescaled into the feasible set {|X_j^T u| <= l1_j where l2_j = 0}:
D(u) = u^T y - n/2 ||u||^2 - sum_j h_j*(X_j^T u), h_j*(s) = (|s| - l1_j)_+^2 / (2 l2_j) (only the positive part
of s counts with positive=True). A feature with l1_j = l2_j = 0 (unpenalized) has no such rescaling: the gap is
then taken with its X_j^T u set to 0, which is exact at the optimum only, so the solver also requires the
gradient of those features to be at most tol * ||X^T y||_inf / n before it stops.
"""
import contextlib
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from numba_kernels.cd import ELASTIC_NET, MCP, SCAD
from numba_kernels.working_set import working_set_solve
from sparseopt import design

INNER_TOL_FRACTION = 0.3  # the subproblem is solved to this fraction of the outer violation
ANDERSON_EVERY = 5
CHECK_EVERY = 10
SIZE_FRACTION = 0.03  # the working set holds at least this fraction of the candidate features
COMPLETE_TOL_FRACTION = 0.03  # inner fraction when every violating feature is in the working set
GRAM_MAX_FEATURES = 2000  # features in the Gram cache of the covariance-update inner solves (32 MB), for dense X
GRAM_MAX_ENTRIES = 1 << 22  # entries of the cached features' columns (32 MB)
GRAM_PAYBACK = 50  # a working set's missing Gram products may number this many times its size


class CenteredDesign(NamedTuple):
    """X as the kernels take it, with its implicit centring: X_c = X - d m^T (m = 0 for dense X)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    X: object
    X_offset: np.ndarray
    row_scale: np.ndarray
    n_samples: int


class WorkingSetResult(NamedTuple):
    """Coefficients, outer iterations, last stopping criterion (duality gap, or optimality violation for the
    nonconvex penalties), whether it reached the tolerance, the features outside a strong set that the final
    KKT check found violating (and added), and upper bounds on |X_c^T r| / n at the returned coef: the exact
    values where the solver computed them, the given bounds moved by the residual's change elsewhere, inf for
    the features the gap-safe rule removed (None if not converged), and the residual r_s = y - X coef that the
    kernels keep (None from solvers that do not keep one)."""

    coef: np.ndarray
    n_iter: int
    stop_crit: float
    converged: bool
    kkt_violations: int = 0
    correlation_bounds: np.ndarray | None = None
    residual: np.ndarray | None = None


def centered_design(X, X_offset=None, row_scale=None):
    """Pack a validated X (dense Fortran or CSC) for the kernels; X_offset / row_scale give the implicit
    centring of a CSC X (None: no centring)."""
    n_samples, n_features = X.shape
    X_offset = np.zeros(n_features) if X_offset is None else np.asarray(X_offset, dtype=float)
    row_scale = np.ones(n_samples) if row_scale is None else np.asarray(row_scale, dtype=float)
    if sp.issparse(X):
        return CenteredDesign(X.data, X.indices, X.indptr, X, X_offset, row_scale, n_samples)
    empty = np.zeros(0, dtype=np.int32)
    return CenteredDesign(X.ravel(order="F"), empty, empty, X, X_offset, row_scale, n_samples)


def prepare_least_squares(X, y, sample_weight, fit_intercept):
    """The weighted, centred problem the solver sees, from validated X (dense Fortran or CSC), y (n,) or (n, T),
    weights.

    With normalised weights s' = s n / sum(s) and d = sqrt(s'), the data become X_c = diag(d) (X - 1 m^T) and
    y_c = d (y - y_offset), m and y_offset the weighted means (zero without intercept), so that
    1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 = 1/(2n) ||y_c - X_c w||^2 at the best b = y_offset - m^T w.
    A dense X is centred explicitly; a CSC X stays sparse and is centred implicitly by the kernels.
    Returns (CenteredDesign, y_c, X_offset, y_offset).
    """
    from sparseopt.validation import center_data

    n_samples, n_features = X.shape
    if fit_intercept:
        X, y, X_offset, y_offset = center_data(X, y, sample_weight)
    else:
        X_offset, y_offset = np.zeros(n_features, dtype=X.dtype), 0.0
    row_scale = np.sqrt(sample_weight * n_samples / sample_weight.sum()).astype(X.dtype)
    if np.any(row_scale != 1):
        X = sp.csc_matrix(sp.diags(row_scale) @ X) if sp.issparse(X) else np.asfortranarray(X * row_scale[:, None])
        y = y * row_scale.reshape(-1, *([1] * (np.ndim(y) - 1)))
    implicit_offset = X_offset if sp.issparse(X) else None
    return centered_design(X, implicit_offset, row_scale), y, X_offset, y_offset


def feature_lipschitz(centered):
    """Coordinate-wise Lipschitz constants L_j = ||X_c_j||^2 / n = (||X_j||^2 - n m_j^2) / n (one pass over X;
    a caller solving several problems on one design computes them once and passes them to the solver)."""
    n = centered.n_samples
    return np.maximum((design.column_sq_norms(centered.X) - n * centered.X_offset ** 2) / n, 0.0)


def feature_correlations(centered, residual_s, columns=None):
    """(X_c^T r / n)[columns] from the kernels' residual r_s = y - X w (all columns by default): with
    r = r_s + d m^T w and X^T d = n m, X_c^T r = X^T r_s - m d^T r_s."""
    offset = centered.X_offset if columns is None else centered.X_offset[columns]
    return (design.xt_dot(centered.X, residual_s, columns) - offset * (centered.row_scale @ residual_s)) \
        / centered.n_samples


def _violations(gradient, coef, l1, l2, positive):
    """Per-feature distance of -grad_j to the subdifferential of h_j at w_j."""
    gradient = gradient + l2 * coef
    at_zero = np.maximum(-gradient - l1, 0.0) if positive else np.maximum(np.abs(gradient) - l1, 0.0)
    return np.where(coef != 0, np.abs(gradient + l1 * np.sign(coef)), at_zero)


@design.solver_threads
def solve_penalized_least_squares(centered, y, l1, l2, *, nonconvex=None, positive=False, coef_init=None,
                                  max_iter=100, max_epochs=50_000, tol=1e-4, initial_size=10, screening=True,
                                  strong_set=None, correlation_bounds=None, bounds_residual=None, gradient_scale=None,
                                  lipschitz=None, residual_init=None, verbose=False):
    """Minimise 1/(2n) ||y - X_c w||^2 + sum_j p_j(w_j) by working-set coordinate descent.

    Without ``nonconvex``, p_j(x) = l1_j |x| + l2_j / 2 x^2 (the weighted elastic net): the solver stops when the
    duality gap is at most tol * ||y||^2 / n (scikit-learn's criterion), and features that the gap-safe rule
    proves to be 0 at the optimum leave the problem for good (``screening``; the gap is then that of the reduced
    problem, which has the same solution). With ``nonconvex`` a ``sparseopt.penalties.MCP`` or ``SCAD`` object,
    p_j is that penalty (l1, l2 are ignored): the solver stops at a stationary point, when the optimality
    violation max_j dist(-grad_j, dp_j(w_j)) is at most tol * ||X_c^T y||_inf / n.
    With ``strong_set`` (feature indices, e.g. from the sequential strong rule of Tibshirani et al. 2012 along a
    path), the problem is first solved on those features only; then the KKT conditions are checked on all the
    others, the violators are added and the solve goes on, until none is left, so the result is that of the full
    problem. ``correlation_bounds`` (upper bounds on |X_c_j^T r| / n at the centred residual ``bounds_residual``,
    by default at coef_init, inf where unknown; a path passes those its previous point returned, with that
    point's residual) spare most of that check: |X_c_j^T r| / n moves by at most ||X_c_j|| ||r - r_ref|| / n
    (Cauchy-Schwarz), so X_c_j^T r is computed only for the features whose bound so moved can reach l1_j.
    ``gradient_scale``, ||X_c^T y||_inf / n, scales the tolerances on gradients, ``lipschitz`` holds the constants
    L_j = ||X_c_j||^2 / n of ``feature_lipschitz`` and ``residual_init`` is y - X coef_init (the kernels' r_s): a
    path passes all three, else they are computed. With ``verbose``, one line per outer iteration: the stopping
    criterion against its target, the features in the problem, the non-zeros, the working-set size and its CD
    epochs. Warns ``ConvergenceWarning`` after max_iter outer iterations. Returns WorkingSetResult(coef, n_iter,
    stop_crit (the gap, or the violation), converged, kkt_violations, correlation_bounds, residual), coef in
    float64 whatever the dtype of X.
    """
    n, n_features = centered.n_samples, centered.X_offset.shape[0]
    # float32 X stays float32; coefficients and residuals are kept in float64
    coef = np.zeros(n_features) if coef_init is None else np.array(coef_init, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if residual_init is not None:
        residual_s = np.array(residual_init, dtype=np.float64)
    else:
        residual_s = y - design.x_dot(centered.X, coef) if np.any(coef) else y.copy()
    weighted_sum = float(centered.row_scale @ residual_s)
    if bounds_residual is None:
        bounds_residual = centered_residual(centered, residual_s, coef)
    lipschitz = feature_lipschitz(centered) if lipschitz is None else lipschitz
    kind, shape = ELASTIC_NET, 0.0
    if nonconvex is not None:
        kind, shape = (MCP, nonconvex.gamma) if hasattr(nonconvex, "gamma") else (SCAD, nonconvex.a)
        l1, l2 = np.full(n_features, float(nonconvex.alpha)), np.zeros(n_features)
        _check_nonconvex_steps(kind, shape, lipschitz)
    l1, l2 = np.asarray(l1, dtype=float), np.asarray(l2, dtype=float)
    unpenalized = (l1 == 0) & (l2 == 0)
    # an unpenalized feature makes the dual point infeasible away from the optimum: no safe test then
    screening = screening and kind == ELASTIC_NET and not np.any(unpenalized)
    in_problem = np.ones(n_features, dtype=bool)  # the candidate features, as a mask (cheaper than set operations)
    if strong_set is not None:
        in_problem = (coef != 0) | unpenalized
        in_problem[strong_set] = True
    candidates = np.flatnonzero(in_problem)
    if gradient_scale is None and (strong_set is not None or np.any(coef)):
        gradient_scale = np.max(np.abs(feature_correlations(centered, y)))
    # inner solves by covariance updates (numba_kernels.gram_cd) on dense X, while the Gram cache holds at most
    # n / 2 features: then an epoch costs at most |W|^2 against n |W| column-wise
    dense_as_given = not sp.issparse(centered.X) and not np.any(centered.X_offset)  # what gram_cd takes
    gram_capacity = min(n_features, n // 2, GRAM_MAX_FEATURES, GRAM_MAX_ENTRIES // n) if dense_as_given else 0
    kkt_violations, n_iter = 0, 0
    while True:
        # the Gram products are a BLAS matrix product called from the kernel: on one thread, since with both
        # cores busy OpenBLAS's threads waited for a core (diabetes, alpha_max / 100: median fit 5.3 ms, 1.5 ms
        # on one thread)
        with design.serial_blas() if gram_capacity else contextlib.nullcontext():
            weighted_sum, iterations, stop_crit, stop_tol, converged, active, correlations, trace = \
                working_set_solve(
                    centered.data, centered.indices, centered.indptr, n, centered.X_offset, centered.row_scale, y,
                    coef, residual_s, weighted_sum, candidates, lipschitz, l1, l2, positive, kind, shape, tol,
                    -1.0 if gradient_scale is None else gradient_scale, screening, max_iter - n_iter, max_epochs,
                    initial_size, SIZE_FRACTION, INNER_TOL_FRACTION, COMPLETE_TOL_FRACTION, ANDERSON_EVERY,
                    CHECK_EVERY, gram_capacity, GRAM_PAYBACK)
        if verbose:
            _print_trace(trace, n_iter, stop_tol, kind)
        n_iter += iterations
        if not converged:
            break
        outside = np.flatnonzero(~in_problem)
        outside_bounds = np.full(outside.size, np.inf)
        if correlation_bounds is not None:
            drift = np.linalg.norm(centered_residual(centered, residual_s, coef) - bounds_residual) / n
            outside_bounds = correlation_bounds[outside] + np.sqrt(n * lipschitz[outside]) * drift
        outside_bounds, violators = _kkt_check(centered, coef, residual_s, outside, outside_bounds,
                                               l1, l2, positive)
        if violators.size == 0:
            bounds = np.full(n_features, np.inf)
            bounds[active], bounds[outside] = np.abs(correlations), outside_bounds
            return WorkingSetResult(coef, n_iter, stop_crit, True, kkt_violations, bounds, residual_s)
        kkt_violations += violators.size
        # the restricted problem grows: features screened for the smaller one may now be non-zero
        in_problem[violators] = True
        candidates = np.flatnonzero(in_problem)
        if n_iter >= max_iter:
            break
    from sklearn.exceptions import ConvergenceWarning

    criterion = "duality gap" if kind == ELASTIC_NET else "optimality violation"
    warnings.warn(f"working-set coordinate descent stopped at max_iter={max_iter} with {criterion} {stop_crit:.2e} > "
                  f"{stop_tol:.2e}; raise max_iter or tol", ConvergenceWarning, stacklevel=3)
    return WorkingSetResult(coef, max_iter, stop_crit, False, kkt_violations, None, residual_s)


def _print_trace(trace, first_iteration, stop_tol, kind):
    """One line per outer iteration of a ``working_set_solve`` call (its trace rows)."""
    criterion = "duality gap" if kind == ELASTIC_NET else "violation"
    for k, (stop_crit, n_active, n_nonzero, size, epochs) in enumerate(trace, start=first_iteration + 1):
        print(f"outer iteration {k}: {criterion} {stop_crit:.2e} (target {stop_tol:.2e}), {int(n_active)} features "
              f"in the problem, {int(n_nonzero)} non-zero, working set {int(size)} ({int(epochs)} CD epochs)",
              flush=True)


def _kkt_check(centered, coef, residual_s, outside, bounds, l1, l2, positive):
    """KKT check of the features ``outside`` the problem solved (all zero), given upper bounds on their
    |X_c_j^T r| / n: X_c_j^T r is computed where the bound reaches l1_j, and a feature violates when
    |X_c_j^T r| / n > l1_j (only X_c_j^T r > n l1_j counts with positive=True). Returns the bounds, exact where
    computed, and the violators."""
    if outside.size == 0:  # every feature was in the problem (no strong set): nothing to check, 50 us spared
        return bounds, outside
    unsure = np.flatnonzero(~(bounds <= l1[outside]))
    correlations = feature_correlations(centered, residual_s, outside[unsure])
    bounds = bounds.copy()
    bounds[unsure] = np.abs(correlations)
    scores = _violations(-correlations, coef[outside[unsure]], l1[outside[unsure]], l2[outside[unsure]], positive)
    return bounds, outside[unsure[scores > 0]]


def centered_residual(centered, residual_s, coef):
    """The residual r = y_c - X_c w of the centred problem, from r_s = y_c - X w (r = r_s + d m^T w)."""
    return residual_s + centered.row_scale * (centered.X_offset @ coef)


def _check_nonconvex_steps(kind, shape, lipschitz):
    """A coordinate step of MCP (SCAD) is a prox only if gamma > 1 / L_j (a > 1 + 1 / L_j) for every feature."""
    smallest = np.min(lipschitz[lipschitz > 0], initial=np.inf)
    if kind == MCP and not shape > 1.0 / smallest:
        raise ValueError(f"gamma={shape} must exceed 1 / min_j ||X_j||^2 / n = {1 / smallest:.3g}: standardize X "
                         "(then gamma > 1 suffices) or raise gamma")
    if kind == SCAD and not shape > 1.0 + 1.0 / smallest:
        raise ValueError(f"a={shape} must exceed 1 + 1 / min_j ||X_j||^2 / n = {1 + 1 / smallest:.3g}: standardize X "
                         "(then a > 2 suffices) or raise a")
