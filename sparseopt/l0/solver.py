"""The least-squares L0 solvers behind the estimators: coordinate descent with local swaps, and normalized IHT.

    min_{w, b} 1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + lambda0 ||w||_0 + lambda1 ||w||_1 + lambda2 ||w||_2^2

(penalty "L0": lambda1 = lambda2 = 0; "L0L1": lambda2 = 0; "L0L2": lambda1 = 0), or the same least squares under
||w||_0 <= k. The data are centred for the intercept (implicitly for CSC X) and scaled by the square roots of the
sample weights (``sparseopt.solvers.working_set.prepare_least_squares``); the compiled loops are in
``numba_kernels.l0``.
"""
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from numba_kernels import l0 as kernels
from numba_kernels import l0_exchange as exchange
from sparseopt import design
from sparseopt.solvers.working_set import centered_design, prepare_least_squares

PENALTY_KINDS = {"L0": kernels.L0, "L0L1": kernels.L0L1, "L0L2": kernels.L0L2}
ALGORITHMS = ("CD", "CDPSI")
MAX_EPOCHS = 1000  # CD epochs per active-set pass
SCREEN_SIZE = 100  # coordinates added to the support in an active-set pass, at most
SWAP_CANDIDATES = 10  # inactive features a swap without refit (L0L1, classification) may bring in
EXCHANGE_POOL = 30  # inactive features an exchange with refit (L0, L0L2, subset) may bring in, ranked by add value


class LeastSquaresProblem(NamedTuple):
    """Centred (and weight-scaled) data as the kernels take them, with L_j = ||X_c_j||^2 / n."""

    centered: object  # sparseopt.solvers.working_set.CenteredDesign
    y: np.ndarray
    X_offset: np.ndarray
    y_offset: float
    lipschitz: np.ndarray

    @property
    def n_features(self):
        return self.X_offset.shape[0]

    @property
    def X(self):
        """The design as stored (for ``design.solver_threads``)."""
        return self.centered.X


class L0Result(NamedTuple):
    """Coefficients, CD passes run, swaps made, the largest single-coordinate decrease left, convergence."""

    coef: np.ndarray
    n_iter: int
    n_swaps: int
    stop_crit: float
    converged: bool


def prepare(X, y, sample_weight, fit_intercept):
    """LeastSquaresProblem from validated X (dense Fortran or CSC), y, sample weights: the data of
    ``prepare_least_squares``; a dense X is centred, scaled and its L_j computed in one pass
    (``numba_kernels.l0.centered_scaled_columns``)."""
    if sp.issparse(X):
        centered, y_c, X_offset, y_offset = prepare_least_squares(X, y, sample_weight, fit_intercept)
        n = centered.n_samples
        lipschitz = np.maximum((design.column_sq_norms(centered.X) - n * centered.X_offset ** 2) / n, 0.0)
    else:
        weights = np.asarray(sample_weight, dtype=np.float64)
        shares = weights / weights.sum()
        row_scale = np.sqrt(weights * X.shape[0] / weights.sum())
        X_c, X_offset, lipschitz = kernels.centered_scaled_columns(X, shares, row_scale, bool(fit_intercept))
        y_offset = float(shares @ y) if fit_intercept else 0.0
        y_c = row_scale * (y - y_offset)
        centered = centered_design(X_c, None, row_scale)
    return LeastSquaresProblem(centered, np.asarray(y_c, dtype=np.float64), np.asarray(X_offset, dtype=float),
                               y_offset, lipschitz.astype(np.float64))


def _kernel_data(problem):
    centered = problem.centered
    return (centered.data, centered.indices, centered.indptr, centered.n_samples, centered.X_offset,
            centered.row_scale, problem.y)


def residual_of(problem, coef):
    """(r_s, S): r_s = y_c - X w for the stored X and S = d^T r_s (the kernels' residual)."""
    data, indices, indptr, n, _, row_scale, y = _kernel_data(problem)
    residual = np.empty(n)
    weighted_sum = kernels.reset_residual(data, indices, indptr, n, y, coef, row_scale, residual)
    return residual, weighted_sum


def objective(problem, coef, lambda0, lambda1=0.0, lambda2=0.0):
    """F(w) = 1/(2n) ||y_c - X_c w||^2 + lambda0 ||w||_0 + lambda1 ||w||_1 + lambda2 ||w||^2."""
    residual, weighted_sum = residual_of(problem, coef)
    return kernels.least_squares_objective(residual, weighted_sum, problem.centered.X_offset, coef,
                                           problem.centered.n_samples, lambda0, lambda1, lambda2)


def entry_gains(problem, coef, lambda1=0.0, lambda2=0.0):
    """For each zero coordinate, (|c_j| - lambda1)_+^2 / (2 (L_j + 2 lambda2)): the value of lambda0 below which it
    can enter alone (c_j = X_c_j^T r / n); -1 on the support. Used for the lambda0 path."""
    data, indices, indptr, n, X_offset, _, _ = _kernel_data(problem)
    residual, weighted_sum = residual_of(problem, coef)
    return kernels._entry_gains(data, indices, indptr, n, X_offset, coef, residual, weighted_sum,
                                problem.lipschitz, lambda1, lambda2)


@design.solver_threads
def solve_l0(problem, penalty, lambda0, lambda1, lambda2, *, coef_init=None, max_support_size=None,
             algorithm="CDPSI", max_iter=100, tol=1e-7, max_swaps=100, max_swap_size=2):
    """Coordinate descent (``algorithm="CD"``) or CD + local search (``"CDPSI"``) from coef_init (default 0).

    Stops at a coordinate-wise minimum: every coordinate's best single move lowers F by at most tol * F; with
    CDPSI, also no add, drop or swap of one feature (swaps with the EXCHANGE_POOL best candidates) and no exchange of
    up to ``max_swap_size`` features among the screened ones lowers F (``numba_kernels.l0_exchange``; L0L1: single
    swaps without refit). Warns ``ConvergenceWarning`` if max_iter active-set passes did not get there.
    """
    data, indices, indptr, n, X_offset, row_scale, y = _kernel_data(problem)
    coef = np.zeros(problem.n_features) if coef_init is None else np.array(coef_init, dtype=np.float64)
    residual, weighted_sum = residual_of(problem, coef)
    max_support = problem.n_features if max_support_size is None else int(max_support_size)
    kind = PENALTY_KINDS[penalty]
    common = (data, indices, indptr, n, X_offset, row_scale, y, coef, residual, weighted_sum, problem.lipschitz,
              float(lambda0), float(lambda1), float(lambda2), kind, max_support, SCREEN_SIZE, int(max_iter),
              MAX_EPOCHS, float(tol))
    if algorithm == "CDPSI":
        pool = SWAP_CANDIDATES if kind == kernels.L0L1 else EXCHANGE_POOL
        _, n_swaps, n_iter, stop_crit, converged = kernels.swap_search(*common, int(max_swaps), pool,
                                                                       int(max_swap_size))
    else:
        _, n_iter, stop_crit, converged = kernels.cd_solve(*common)
        n_swaps = 0
    if not converged:
        warn_not_converged("L0 coordinate descent", max_iter, stop_crit)
    return L0Result(coef, n_iter, n_swaps, stop_crit, converged)


@design.solver_threads
def solve_subset(problem, n_nonzero, *, algorithm="forward", coef_init=None, max_iter=100, tol=1e-7, max_swaps=100,
                 max_swap_size=2):
    """min 1/(2n) ||y_c - X_c w||^2 s.t. ||w||_0 <= k, from coef_init (default 0).

    ``algorithm="forward"``: the exchange search of ``numba_kernels.l0_exchange`` at lambda0 = 0 with at most k
    non-zeros: from the support of coef_init, best exact adds up to k features, then exchanges of up to
    ``max_swap_size`` features until none lowers the loss (k adds plus at most max_swaps exchanges).
    ``algorithm="IHT"``: normalized IHT, exact least squares on its support, then CD and the same exchange search
    (``solve_l0``'s CD + PSI)."""
    data, indices, indptr, n, X_offset, row_scale, y = _kernel_data(problem)
    coef = np.zeros(problem.n_features) if coef_init is None else np.array(coef_init, dtype=np.float64)
    n_nonzero = min(int(n_nonzero), problem.n_features)
    if n_nonzero == 0:
        return L0Result(np.zeros(problem.n_features), 0, 0, 0.0, True)
    if algorithm == "forward":
        moves, _ = exchange.exchange_search(data, indices, indptr, n, X_offset, row_scale, y, problem.lipschitz, coef,
                                            0.0, 0.0, n_nonzero, EXCHANGE_POOL, int(max_swap_size),
                                            n_nonzero + int(max_swaps))
        return L0Result(coef, 1, moves, 0.0, True)
    residual, weighted_sum = residual_of(problem, coef)
    weighted_sum, _ = kernels.normalized_iht(data, indices, indptr, n, X_offset, row_scale, y, coef, residual,
                                             weighted_sum, n_nonzero, int(max_iter), float(tol))
    _, n_swaps, n_iter, stop_crit, converged = kernels.swap_search(
        data, indices, indptr, n, X_offset, row_scale, y, coef, residual, weighted_sum, problem.lipschitz, 0.0,
        0.0, 0.0, kernels.L0, n_nonzero, SCREEN_SIZE, int(max_iter), MAX_EPOCHS, float(tol), int(max_swaps),
        EXCHANGE_POOL, int(max_swap_size))
    if not converged:
        warn_not_converged("best-subset search", max_iter, stop_crit)
    return L0Result(coef, n_iter, n_swaps, stop_crit, converged)


@design.solver_threads
def subset_coefficient_path(problem, sizes, *, max_swaps=100, max_swap_size=2):
    """Coefficients (p, len(sizes)) of best-subset least squares for each k of the increasing int64 ``sizes``,
    warm-started along k (``numba_kernels.l0_exchange.subset_path``)."""
    data, indices, indptr, n, X_offset, row_scale, y = _kernel_data(problem)
    coefs, _ = exchange.subset_path(data, indices, indptr, n, X_offset, row_scale, y, problem.lipschitz, sizes,
                                    EXCHANGE_POOL, int(max_swap_size), int(max_swaps))
    return coefs


def warn_not_converged(what, max_iter, stop_crit):
    """ConvergenceWarning naming the solver, its max_iter and the criterion left."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"{what} stopped at max_iter={max_iter} with a coordinate move still lowering the objective by "
                  f"{stop_crit:.2e}; raise max_iter or tol", ConvergenceWarning, stacklevel=3)
