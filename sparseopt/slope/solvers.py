"""Solvers for min_{w, b} F(Xw + b) + P(w), P the SLOPE-family penalty of ``sparseopt.slope.penalty``.

- ``solve_fista`` (SLOPE, eta = 1, and Group SLOPE, eta = 0): the shared accelerated proximal gradient
  (``sparseopt.solvers.fista``) with the sorted-L1 prox, or with the unweighted Group SLOPE prox in the
  variables b_g = c_g w_g and the columns X_g / c_g (Brzyski et al. 2019), stopped on the relative duality gap.
- ``solve_hybrid`` (SLOPE, least squares): the hybrid method of Larsson et al. (2023), cluster coordinate
  descent epochs with a proximal gradient step every ``pgd_every`` iterations, which lets clusters split and
  zeros enter; stopped on the relative duality gap. The whole loop is one compiled kernel
  (``numba_kernels.slope.slope_hybrid_solve``).
- ``solve_splitting`` (any eta, Sparse-group SLOPE): the primal-dual three-operator splitting PD3O (Yan 2018)
  for f(w) + g(w) + h(Cw), f the datafit, g = alpha eta J_v and h = alpha (1 - eta) H; it takes the two proxes
  separately (prox of g, and prox of h* by Moreau's identity from the unweighted Group SLOPE prox), and handles
  the unequal c_g exactly through the diagonal operator C. With C = I it is the Davis-Yin splitting.

Every solver takes an optional ``lipschitz``, an upper bound on the Lipschitz constant L of grad F(Xw) in w
(a path passes the constant of the whole design to the fits on large column subsets, ||X_E||_2 <= ||X||_2, to
spare a power iteration per fit); without it, L comes from a power iteration on X. ``solve_splitting`` also
takes X = None for the identity design (the alpha_max prox problems), so that they never form an n x n matrix.

Every solver stops when ``relative_gap`` is at most tol: (P - D) / |P|, D the dual value at the rescaled dual
point, plus (dF/db)^2 / 2 when an intercept is fitted (the intercept's own optimality). The gap bounds the
suboptimality, and it is zero exactly when the KKT conditions hold.
"""
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from numba_kernels.prox import prox_sorted_l1
from numba_kernels.slope import prox_group_sorted_l1, slope_hybrid_solve
from sparseopt import design
from sparseopt.datafits import Quadratic
from sparseopt.penalties import SortedL1
from sparseopt.slope.penalty import GroupSortedL1, datafit_conjugate, sorted_dual_norm
from sparseopt.solvers import fista

solver_threads = design.solver_threads  # one Numba thread count per solve, BLAS on one thread for large X

STEP_FACTOR = 1.9  # PD3O step gamma = STEP_FACTOR / L; the method converges for gamma < 2 / L


class SlopeResult(NamedTuple):
    """coef, intercept, iterations, final relative gap, whether it reached tol, the dual variable s of the group
    norm (per feature; None when the solver has none), and the gradient X^T u of the datafit in all coefficients
    at the solution (the hybrid solver's; None from the others)."""

    coef: np.ndarray
    intercept: float
    n_iter: int
    stop_crit: float
    converged: bool
    group_dual: object = None
    gradient: object = None


def split_gradient(penalty, gradient, group_dual):
    """(t, s) with t + C s = -gradient: s = 0 for eta = 1, s = -gradient / c for eta = 0, else s given."""
    weights = penalty.feature_weights()
    if penalty.eta == 1 or (group_dual is None and penalty.eta > 0):
        return -gradient, np.zeros_like(gradient)
    if penalty.eta == 0 or group_dual is None:
        return np.zeros_like(gradient), -gradient / weights
    return -gradient - weights * group_dual, group_dual


def dual_scale(penalty, alpha, gradient, group_dual):
    """Largest theta <= 1 with theta (t, s) dual feasible: J*_v(t) <= alpha eta, J*_lambda(||s_g||) <= alpha (1 - eta)."""
    t, s = split_gradient(penalty, gradient, group_dual)
    scale = 1.0
    for share, norm in ((alpha * penalty.eta, sorted_dual_norm(t, penalty.variable_lambdas)),
                        (alpha * (1 - penalty.eta),
                         sorted_dual_norm(penalty.group_values(s), penalty.group_lambdas))):
        if norm > 0:
            scale = min(scale, share / norm)
    return scale


def relative_gap(X, y, datafit, penalty, alpha, coef, intercept, predictor, fit_intercept, group_dual=None,
                 gradient=None):
    """(P - D(theta u, theta s)) / |P| (+ (sum u)^2 / 2 / |P| with an intercept), u = dF/dz at z = Xw + b.

    D(u, s) = -F*(u) + b sum(u) on the dual feasible set, theta from ``dual_scale``. Returns (criterion, gradient
    X^T u, raw gradient u).
    """
    raw_gradient = datafit.raw_gradient(y, predictor)
    if gradient is None:
        gradient = design.xt_dot(X, raw_gradient)
    primal = datafit.value(y, predictor) + penalty.value(coef, alpha)
    scale = dual_scale(penalty, alpha, gradient, group_dual)
    dual = -datafit_conjugate(datafit, y, scale * raw_gradient) + intercept * scale * raw_gradient.sum()
    gap = primal - dual
    if fit_intercept:
        gap += 0.5 * raw_gradient.sum() ** 2
    return max(gap, 0.0) / max(abs(primal), np.finfo(float).tiny), gradient, raw_gradient


class KnownLipschitz:
    """A datafit whose ``lipschitz`` returns a given bound instead of running a power iteration (every other
    attribute is the wrapped datafit's), for the shared ``fista``, which asks the datafit for L."""

    def __init__(self, datafit, lipschitz):
        self._datafit, self._lipschitz = datafit, lipschitz

    def lipschitz(self, X, tol=None):
        return self._lipschitz

    def __getattr__(self, name):
        return getattr(self._datafit, name)


def _lipschitz(datafit, X, lipschitz):
    """The given bound, else a power-iteration estimate raised by 5% (it approaches L from below)."""
    if lipschitz is not None:
        return lipschitz
    return datafit.lipschitz(X, tol=1e-3) * 1.05


def _warn(name, max_iter, crit, tol):
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"{name} stopped at max_iter={max_iter} with relative duality gap {crit:.2e} > tol={tol:.2e}; "
                  "raise max_iter or tol", ConvergenceWarning, stacklevel=4)


def _scaled_columns(X, scale):
    """X diag(scale), dense (Fortran) or CSC."""
    if sp.issparse(X):
        return sp.csc_matrix(X @ sp.diags(scale))
    return np.asfortranarray(X * scale)


@solver_threads
def solve_fista(X, y, datafit, penalty, alpha, *, fit_intercept, coef_init=None, intercept_init=0.0, tol=1e-6,
                max_iter=10_000, lipschitz=None):
    """SLOPE (eta = 1) or Group SLOPE (eta = 0) by the shared FISTA, stopped on ``relative_gap``. A given
    ``lipschitz`` (for X) becomes lipschitz / min c_g^2 for the columns X_g / c_g of Group SLOPE (an upper bound,
    exact when the c_g are equal); FISTA starts from it and backtracks if needed."""
    if penalty.eta == 1:
        weights = np.ones(X.shape[1])
        problem_X, prox_penalty = X, SortedL1(alpha, penalty.variable_lambdas)
    elif penalty.eta == 0:
        weights = penalty.feature_weights()
        problem_X = _scaled_columns(X, 1.0 / weights)
        prox_penalty = GroupSortedL1(alpha, penalty.group_lambdas, *penalty.group_layout)
    else:
        raise ValueError("FISTA solves SLOPE (eta = 1) and Group SLOPE (eta = 0); use the splitting solver")

    gap_datafit = datafit

    def criterion(scaled_coef, intercept, predictor):
        return relative_gap(X, y, gap_datafit, penalty, alpha, scaled_coef / weights, intercept, predictor,
                            fit_intercept)[0]

    coef_init = None if coef_init is None else coef_init * weights
    if lipschitz is not None:
        datafit = KnownLipschitz(datafit, lipschitz / np.min(weights) ** 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fista(problem_X, y, datafit, prox_penalty, fit_intercept=fit_intercept, max_iter=max_iter, tol=tol,
                       coef_init=coef_init, intercept_init=intercept_init, stop_criterion=criterion)
    if not result.converged:
        _warn("FISTA", max_iter, result.stop_crit, tol)
    for warning in caught:
        if "stopped at max_iter" not in str(warning.message):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return SlopeResult(result.coef / weights, result.intercept, result.n_iter, result.stop_crit, result.converged)


def _packed(X):
    """(data, indices, indptr) as ``numba_kernels.cd`` takes them: CSC arrays, or the Fortran ravel of dense X."""
    if sp.issparse(X):
        return X.data.astype(float), X.indices, X.indptr
    empty = np.zeros(0, dtype=np.int32)
    return np.asfortranarray(X, dtype=float).ravel(order="F"), empty, empty


@solver_threads
def solve_hybrid(X, y, datafit, penalty, alpha, *, fit_intercept, coef_init=None, intercept_init=0.0, tol=1e-6,
                 max_iter=10_000, pgd_every=5, lipschitz=None, columns=None):
    """SLOPE least squares by hybrid coordinate descent (Larsson et al. 2023), the whole loop in one compiled
    kernel (``numba_kernels.slope.slope_hybrid_solve``).

    Iterations alternate one proximal gradient step (step 1/L with backtracking, from which the gap is checked)
    and pgd_every - 1 cluster coordinate descent epochs; with an intercept, b <- b + mean(r) after each. L starts
    at the given bound, else at max_j ||X_j||^2 / n (a lower bound of ||X||_2^2 / n that backtracking raises).
    With ``columns`` (sorted indices E), only w_E is fitted, the other coefficients being 0 (coef_init is then
    of length p and 0 outside E): the problem of the restricted penalty, whose weights are the head v_1..v_|E|,
    on the columns of X itself (no copy of X_E). The result's coef has length p either way.
    """
    if penalty.eta != 1 or not isinstance(datafit, Quadratic):
        raise ValueError("the hybrid solver is for SLOPE with the squared loss; use solver='fista'")
    n = X.shape[0]
    columns = np.arange(X.shape[1]) if columns is None else np.asarray(columns, dtype=np.int64)
    coef = np.zeros(X.shape[1]) if coef_init is None else np.array(coef_init, dtype=float)
    intercept = float(intercept_init) if fit_intercept else 0.0
    data, indices, indptr = _packed(X)
    intercept, n_iter, crit, converged, _, gradient = slope_hybrid_solve(
        data, indices, indptr, n, np.asarray(y, dtype=float), coef, intercept, columns,
        alpha * penalty.variable_lambdas[:columns.size], bool(fit_intercept),
        0.0 if lipschitz is None else float(lipschitz), float(tol), int(max_iter), int(pgd_every))
    if not converged:
        _warn("hybrid coordinate descent", max_iter, crit, tol)
    return SlopeResult(coef, intercept, n_iter, crit, converged, gradient=gradient)


def _x_dot(X, w):
    """X @ w, with X = None the identity."""
    return w if X is None else design.x_dot(X, w)


def _xt_dot(X, v):
    """X.T @ v, with X = None the identity."""
    return v if X is None else design.xt_dot(X, v)


@solver_threads
def solve_splitting(X, y, datafit, penalty, alpha, *, fit_intercept, coef_init=None, intercept_init=0.0,
                    group_dual_init=None, tol=1e-6, max_iter=10_000, check_every=10, lipschitz=None):
    """Sparse-group SLOPE (any eta) by PD3O (Yan 2018) for f(w) + g(w) + h(Cw):

        x = prox_{gamma g}(z)
        s <- prox_{delta h*}((I - gamma delta C^2) s + delta C (2x - z - gamma grad f(x)))
        z <- x - gamma grad f(x) - gamma C s

    with gamma = STEP_FACTOR / L < 2 / L (L the Lipschitz constant of grad f, intercept included) and delta = 1 / (gamma max c^2);
    the intercept takes plain gradient steps. prox_{delta h*}(v) = v - delta prox_{h/delta}(v / delta).
    A fixed point gives -grad f(x) - C s in dg(x) and s in dh(Cx): the KKT conditions, with s the group dual.
    X = None is the identity design (then ``lipschitz`` is required).
    """
    n_features = y.size if X is None else X.shape[1]
    weights = penalty.feature_weights()
    indices, ptr = penalty.group_layout
    variable_lambdas = alpha * penalty.eta * penalty.variable_lambdas
    group_lambdas = alpha * (1 - penalty.eta) * penalty.group_lambdas
    lipschitz = _lipschitz(datafit, X, lipschitz) + (datafit.curvature_bound if fit_intercept else 0.0)
    step = STEP_FACTOR / max(lipschitz, np.finfo(float).tiny)
    dual_step = 1.0 / (step * np.max(weights) ** 2)
    coef = np.zeros(n_features) if coef_init is None else np.array(coef_init, dtype=float)
    group_dual = np.zeros(n_features) if group_dual_init is None else np.array(group_dual_init, dtype=float)
    intercept = float(intercept_init) if fit_intercept else 0.0
    predictor = _x_dot(X, coef) + intercept
    raw_gradient = datafit.raw_gradient(y, predictor)
    gradient = _xt_dot(X, raw_gradient)
    point = coef - step * (gradient + weights * group_dual)
    crit = np.inf
    for n_iter in range(1, max_iter + 1):
        coef = prox_sorted_l1(point, step, variable_lambdas) if penalty.eta > 0 else point.copy()
        if fit_intercept:
            intercept -= step * raw_gradient.sum()
        predictor = _x_dot(X, coef) + intercept
        raw_gradient = datafit.raw_gradient(y, predictor)
        gradient = _xt_dot(X, raw_gradient)
        if n_iter % check_every == 0 or n_iter == max_iter:
            crit = relative_gap(X, y, datafit, penalty, alpha, coef, intercept, predictor, fit_intercept,
                                group_dual, gradient)[0]
            if crit <= tol:
                return SlopeResult(coef, intercept, n_iter, crit, True, group_dual)
        forward = coef - step * gradient
        if penalty.eta < 1:
            shifted = (group_dual * (1 - step * dual_step * weights ** 2)
                       + dual_step * weights * (2 * coef - point - step * gradient))
            group_dual = shifted - dual_step * prox_group_sorted_l1(shifted / dual_step, 1.0 / dual_step,
                                                                    group_lambdas, indices, ptr)
        point = forward - step * weights * group_dual
    _warn("PD3O splitting", max_iter, crit, tol)
    return SlopeResult(coef, intercept, max_iter, crit, False, group_dual)
