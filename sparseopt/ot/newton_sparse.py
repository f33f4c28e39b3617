"""Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024): Sinkhorn steps, then sparse Newton steps on the dual.

The dual (Lyapunov) function of min_P <M, P> + reg sum P log P subject to P 1 = a, P^T 1 = b is, with
P_ij(f, g) = exp((f_i + g_j - M_ij) / reg),

    D(f, g) = <a, f> + <b, g> - reg sum_ij P_ij + reg sum_i a_i        (concave),
    grad D = (a - P 1, b - P^T 1),    hess D = -(1/reg) [[diag(P 1), P], [P^T, diag(P^T 1)]].

Stage 1 runs ``switch_iter`` Sinkhorn steps (stabilised scaling form, ``log_sinkhorn``; 20, the paper's N1;
fewer when the L1 marginal error falls below ``switch_tol`` first). Stage 2 repeats: keep the largest entries
of P (S: at least a ``keep_fraction`` of them, and all but a mass of ``drop_ratio`` times the marginal error,
so that S carries nearly all of P's mass; the threshold comes from a histogram of P by binary exponent, one
pass and no sort), solve

    ([[diag(P 1), S], [S^T, diag(P^T 1)]] + mu diag(P 1, P^T 1)) (dx, dy) = reg grad D,    mu = 0 first,

in the gauge dy_{m-1} = 0 (the null direction (1, -1) of the exact Hessian) by conjugate gradient on the
Schur complement in dy, preconditioned by its diagonal, to a relative residual min(0.1, sqrt(error)) (inexact
Newton; a sparse LU solve when CG has not converged after ``cg_max_iter`` iterations), and take the step
t (dx, dy) for the first t in 1, 1/2, 1/4, ... that increases D by at least 1e-4 t <grad D, (dx, dy)> (Armijo)
or lowers the marginal error (near convergence the increase of D falls below the rounding of D, while the
error still measures progress). A step length is first judged in the model where only the entries of S move
(O(nnz(S)) work); only the lengths that pass there are tried on the full plan, whose pass over M computes P,
its marginals and D together and becomes the next iterate when accepted: about one pass over M per Newton
step. Each accepted Newton step is followed by one Sinkhorn iteration on the plan in memory (rows scaled to
a, then columns to b: two passes over P without an exponential, counted as an iteration of its own, a
"sweep"): the Newton step fixes the coupling between rows and columns, the sweep the mass of each row and
column, which the linear model of exp gets wrong far from the optimum (it halves the Newton steps on point
clouds and removes the fallbacks on 1-D densities). The diagonal blocks use the full P, so the sparsified
matrix stays positive semi-definite. When no step
is accepted, the system is solved again with the damping mu = 1, 10, 100 (Levenberg-Marquardt: the direction
turns toward the scaled gradient, the simultaneous linearised Sinkhorn step, and shortens); when none of those
is accepted either, Sinkhorn steps are taken (fallback; their number doubles after each consecutive failure)
and the kept fraction doubles. Sinkhorn steps are also taken when 50 consecutive Newton steps have not halved
the error (stall: far from the optimum, in the damped phase).

Where it pays off: when P is close to a permutation (or another sparse optimal face), Newton converges in a
few steps from a rough Sinkhorn start. Where P has many entries that must shrink by orders of magnitude, each
Newton step only divides them by about e (its linear model sends them to 0 with a potential change of -reg),
so stage 2 converges linearly with rate ~1/e, still far faster than Sinkhorn at small reg.
"""
import math
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from numba_kernels.sinkhorn import (entries_at_least, histogram_bin_floor, kept_marginals_along,
                                    plan_and_marginals, plan_histogram, sinkhorn_sweep_on_plan,
                                    sparse_newton_direction)
from sparseopt.ot.log_sinkhorn import stabilized_sinkhorn_iterations

#: Armijo constant of the line search, smallest step tried (2^-SMALLEST_POWER), and the largest kept fraction
#: of P.
ARMIJO = 1e-4
SMALLEST_POWER = 10
MAX_KEEP_FRACTION = 0.5
#: Damping factors mu of the retries when the Newton step fails its line search (H + mu diag(H)).
DAMPINGS = (1.0, 10.0, 100.0)
#: Sinkhorn steps of stage 1 (the paper's N1).
SWITCH_ITER = 20
#: Stage 2 is judged stalled when STALL_WINDOW consecutive Newton steps have not divided the error by 2; a
#: fallback then follows (far from the optimum, where the potentials must move by many times reg, each damped
#: Newton step moves them by about reg, while a Sinkhorn step moves them by any amount).
STALL_WINDOW = 50
#: Sinkhorn steps of the first fallback (doubled after each consecutive failure of a Newton step).
FALLBACK_STEPS = 10


class _Iterate:
    """Potentials (f, g) with their plan P, marginals, L1 marginal error and dual value D(f, g)."""

    def __init__(self, problem, f, g, plan_buffer):
        self.problem, self.f, self.g, self.plan = problem, f, g, plan_buffer
        self._set_marginals(*plan_and_marginals(f, g, problem.M, problem.reg, plan_buffer))

    def _set_marginals(self, row_sums, col_sums):
        problem = self.problem
        self.row_sums, self.col_sums = row_sums, col_sums
        self.grad_f = problem.a - row_sums
        self.grad_g = problem.b - col_sums
        with np.errstate(over="ignore", invalid="ignore"):  # a line-search trial far out: inf, then rejected
            self.error = np.abs(self.grad_f).sum() + np.abs(self.grad_g).sum()
            self.dual = (problem.a @ self.f + problem.b @ self.g
                         - problem.reg * (row_sums.sum() - problem.a.sum()))

    def sweep(self):
        """One Sinkhorn iteration in place, on the plan in memory (no exponential)."""
        problem = self.problem
        self._set_marginals(*sinkhorn_sweep_on_plan(self.plan, self.row_sums, problem.a, problem.b, problem.reg,
                                                    self.f, self.g))


def kept_entries_threshold(plan, keep_fraction, dropped_mass):
    """A threshold t such that the entries of ``plan`` >= t are at least ceil(keep_fraction n m) and the
    entries < t sum to at most ``dropped_mass``: the largest such t among the bin ends of the plan's
    histogram by binary exponent (one pass, no sort)."""
    n_keep = math.ceil(keep_fraction * plan.size)
    bin_counts, bin_masses = plan_histogram(plan)
    count_from_bin = bin_counts[::-1].cumsum()[::-1]
    mass_below_bin = bin_masses.cumsum() - bin_masses
    eligible = np.flatnonzero((count_from_bin >= n_keep) & (mass_below_bin <= dropped_mass))
    return histogram_bin_floor(eligible[-1]) if eligible.size else 0.0


def kept_plan_entries(iterate, keep_fraction, drop_ratio):
    """The entries of P kept in the sparsified Hessian, as CSR arrays (indptr, indices, data): at least a
    ``keep_fraction`` of them, and all but a mass of drop_ratio * (marginal error)."""
    threshold = kept_entries_threshold(iterate.plan, keep_fraction, drop_ratio * iterate.error)
    return entries_at_least(iterate.plan, threshold)


def newton_direction(problem, iterate, kept, cg_rtol, cg_max_iter, damping=0.0):
    """The sparse Newton ascent direction (dx, dy) at ``iterate`` with the kept entries ``kept`` of P (CSR
    arrays) and the diagonal blocks multiplied by 1 + ``damping``, and the number of CG iterations (-1 when CG
    missed its tolerance or broke down, and a sparse direct solve, or the Jacobi step when that is singular
    too, gave the direction)."""
    tiny = np.finfo(np.float64).tiny
    scale = 1.0 + damping
    diagonals = np.maximum(iterate.row_sums, tiny) * scale, np.maximum(iterate.col_sums, tiny) * scale
    rhs = problem.reg * iterate.grad_f, problem.reg * iterate.grad_g
    dx, dy, cg_iter = sparse_newton_direction(*kept, *diagonals, *rhs, cg_rtol, cg_max_iter)
    if cg_iter >= cg_max_iter or not _finite(dx, dy):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", spla.MatrixRankWarning)
            direct = direct_newton_direction(kept, diagonals, rhs, iterate.plan.shape)
        if _finite(*direct):
            (dx, dy), cg_iter = direct, -1
        elif not _finite(dx, dy):  # numerically singular (S splits into blocks of inconsistent mass): Jacobi
            dx, dy, cg_iter = rhs[0] / diagonals[0], rhs[1] / diagonals[1], -1
    return dx, dy, cg_iter


def _finite(dx, dy):
    return bool(np.all(np.isfinite(dx)) and np.all(np.isfinite(dy)))


def direct_newton_direction(kept, diagonals, rhs, shape):
    """The solution of [[diag(r), S], [S^T, diag(c)]] (dx, dy) = rhs with dy_{m-1} = 0, by a sparse LU
    factorisation (SuperLU): used when conjugate gradient stalls on an ill-conditioned system."""
    n, m = shape
    S = sp.csr_matrix(kept[::-1], shape=shape)[:, : m - 1]
    hessian = sp.bmat([[sp.diags(diagonals[0]), S], [S.T, sp.diags(diagonals[1][: m - 1])]], format="csc")
    solution = spla.spsolve(hessian, np.concatenate([rhs[0], rhs[1][: m - 1]]))
    return solution[:n], np.append(solution[n:], 0.0)


class _KeptModel:
    """The dual and marginal error along z + t d in the model where only the kept entries S of P move
    (P_ij exp(t (dx_i + dy_j) / reg)) and the others stay: O(nnz(S)) per step length instead of a pass over
    M. Since S holds all but a small mass of P, the model predicts which step lengths pass the line search."""

    def __init__(self, problem, iterate, kept, direction):
        self.problem, self.iterate, self.kept, self.direction = problem, iterate, kept, direction
        n, m = iterate.plan.shape
        self.rows, self.cols = np.empty(n), np.empty(m)
        kept_marginals_along(*kept, *direction, 0.0, self.rows, self.cols)
        self.rest_rows = iterate.row_sums - self.rows
        self.rest_cols = iterate.col_sums - self.cols

    def dual_and_error(self, step):
        problem, (dx, dy) = self.problem, self.direction
        kept_marginals_along(*self.kept, dx, dy, step / problem.reg, self.rows, self.cols)
        rows, cols = self.rows + self.rest_rows, self.cols + self.rest_cols
        with np.errstate(over="ignore", invalid="ignore"):
            error = np.abs(problem.a - rows).sum() + np.abs(problem.b - cols).sum()
            dual = self.iterate.dual + step * (problem.a @ dx + problem.b @ dy) \
                - problem.reg * (rows.sum() - self.iterate.row_sums.sum())
        return dual, error


def _passes(iterate, dual, error, step, slope):
    """The acceptance test of the line search: an Armijo increase of D, or a lower marginal error."""
    return dual >= iterate.dual + ARMIJO * step * slope or error < iterate.error


def line_search(problem, iterate, direction, kept, trial_buffer):
    """The first iterate z + t d, t = 1, 1/2, ..., with an Armijo increase of D or a lower marginal error;
    None when no t >= 2^-``SMALLEST_POWER`` qualifies.

    The step lengths are first judged in the kept-entries model (``_KeptModel``, O(nnz(S)) each): t = 1, then,
    when it fails there, the largest t = 2^-k with a model Armijo increase, found by bisection on k (along a
    line the concave D passes the Armijo test on an interval [0, t*]). Only that t goes to the full plan (one
    pass over M); when the full plan rejects it, the next halvings that pass in the model are tried on the full
    plan (the last one, 2^-``SMALLEST_POWER``, always)."""
    dx, dy = direction
    slope = iterate.grad_f @ dx + iterate.grad_g @ dy
    model = _KeptModel(problem, iterate, kept, direction)
    first = _first_model_step(iterate, model, slope)
    for power in range(first, SMALLEST_POWER + 1):
        step = 2.0**-power
        if power == first or power == SMALLEST_POWER or _passes(iterate, *model.dual_and_error(step), step, slope):
            trial = _Iterate(problem, iterate.f + step * dx, iterate.g + step * dy, trial_buffer)
            if _passes(iterate, trial.dual, trial.error, step, slope):
                return trial
    return None


def _first_model_step(iterate, model, slope):
    """The power k of the first step length 2^-k to try on the full plan: 0 when t = 1 passes in the model,
    else the smallest k in 1 ... ``SMALLEST_POWER`` whose step passes the Armijo test in the model (bisection),
    or ``SMALLEST_POWER``."""
    if _passes(iterate, *model.dual_and_error(1.0), 1.0, slope):
        return 0
    failing, passing = 0, SMALLEST_POWER  # invariant: 2^-failing fails; 2^-passing passes or is the last
    while passing - failing > 1:
        middle = (failing + passing) // 2
        step = 2.0**-middle
        dual = model.dual_and_error(step)[0]
        if dual >= iterate.dual + ARMIJO * step * slope:
            passing = middle
        else:
            failing = middle
    return passing


def newton_sparse(problem, f, g, max_iter, tol, trace, switch_tol=0.0, switch_iter=SWITCH_ITER,
                  keep_fraction=None, drop_ratio=1e-4, cg_max_iter=None):
    """Sinkhorn-Newton-Sparse from (f, g) on a reduced ``TransportProblem``.

    Parameters
    ----------
    max_iter : total iterations (Sinkhorn, Newton and fallback Sinkhorn steps together).
    tol : stop when the L1 marginal error ||P1 - a||_1 + ||P^T 1 - b||_1 < tol.
    trace : ``log_sinkhorn.Trace`` receiving each iteration's error, time and kind.
    switch_tol, switch_iter : stage 1 stops at error < switch_tol (default 0: never), or after switch_iter
        steps (default 20, the paper's N1; None: max_iter).
    keep_fraction : fraction of the entries of P kept at least in the Hessian; default min(5 / min(n, m), 0.5).
    drop_ratio : the entries left out of the Hessian sum to at most drop_ratio * (current marginal error).
    cg_max_iter : cap on the conjugate-gradient iterations per Newton step; default max(n + m, 100).

    Returns (f, g, plan, error).
    """
    n, m = problem.M.shape
    keep_fraction = min(5.0 / min(n, m), MAX_KEEP_FRACTION) if keep_fraction is None else keep_fraction
    cg_max_iter = max(n + m, 100) if cg_max_iter is None else cg_max_iter
    switch_iter = max_iter if switch_iter is None else min(switch_iter, max_iter)

    stabilized_sinkhorn_iterations(problem, f, g, switch_iter, max(tol, switch_tol), trace)
    buffers = [np.empty((n, m)), np.empty((n, m))]
    iterate = _Iterate(problem, f, g, buffers[0])
    fallback_steps = FALLBACK_STEPS
    window = [iterate.error]
    while iterate.error >= tol and trace.n_iter < max_iter:
        kept = kept_plan_entries(iterate, keep_fraction, drop_ratio)
        spare_buffer = buffers[1] if iterate.plan is buffers[0] else buffers[0]
        trial = None
        for damping in (0.0, *DAMPINGS):
            direction = newton_direction(problem, iterate, kept, min(0.1, math.sqrt(iterate.error)), cg_max_iter,
                                         damping)[:2]
            trial = line_search(problem, iterate, direction, kept, spare_buffer)
            if trial is not None:
                break
        stalled = False
        if trial is not None:
            iterate = trial
            trace.record("newton", iterate.error)
            if iterate.error >= tol and trace.n_iter < max_iter:
                iterate.sweep()
                trace.record("sweep", iterate.error)
            window.append(iterate.error)
            if iterate.error < 0.5 * window[0]:
                window = [iterate.error]
                fallback_steps = FALLBACK_STEPS
            stalled = len(window) > STALL_WINDOW
            if not stalled:
                continue
        f, g = iterate.f.copy(), iterate.g.copy()
        steps = min(fallback_steps, max_iter - trace.n_iter)
        stabilized_sinkhorn_iterations(problem, f, g, steps, tol, trace, kind="fallback_sinkhorn")
        iterate = _Iterate(problem, f, g, iterate.plan)
        fallback_steps *= 2
        window = [iterate.error]
        if not stalled:
            keep_fraction = min(2.0 * keep_fraction, MAX_KEEP_FRACTION)
    return iterate.f, iterate.g, iterate.plan, iterate.error
