"""``sinkhorn`` and ``sinkhorn2``: entropic optimal transport with POT's arguments, by log-domain Sinkhorn or by
Sinkhorn-Newton-Sparse.

The problem (POT's convention, reg = 1/eta of Tang et al.):

    min_P <M, P> + reg sum_ij P_ij log P_ij    subject to P 1 = a, P^T 1 = b, P >= 0,

whose solution is P_ij = exp((f_i + g_j - M_ij) / reg) for the maximisers (f, g) of the concave dual

    D(f, g) = <a, f> + <b, g> - reg sum_ij exp((f_i + g_j - M_ij) / reg) + reg sum_i a_i,

unique up to (f + t, g - t). At the optimum the primal and dual values agree.
"""
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from numba_kernels.sinkhorn import plan_and_marginals
from sparseopt.ot.log_sinkhorn import Trace, sinkhorn_iterations, stabilized_sinkhorn_iterations
from sparseopt.ot.newton_sparse import newton_sparse
from sparseopt.ot.problem import check_transport_problem
from sparseopt.validation import check_scalar_range

METHODS = ("log", "stabilized", "newton-sparse")


def sinkhorn(a, b, M, reg, method="log", max_iter=1000, tol=1e-9, log=False, warn=True, sparse=False,
             **newton_options):
    r"""Entropic optimal transport plan, argmin_P <M, P> + reg sum_ij P_ij log P_ij with P 1 = a, P^T 1 = b.

    Parameters
    ----------
    a : array-like of shape (n,)
        Source weights, non-negative (zeros allowed: their rows of the plan are 0). Empty: uniform 1/n.
    b : array-like of shape (m,)
        Target weights, non-negative, with the same total mass as a. Empty: uniform 1/m.
    M : array-like of shape (n, m)
        Finite ground cost M_ij.
    reg : float > 0
        Entropic regularization (POT's ``reg``; eta = 1/reg in Tang et al.). Only M / reg matters.
    method : {"log", "stabilized", "newton-sparse"}
        "log": log-domain Sinkhorn, g_j <- reg log b_j - reg LSE_i((f_i - M_ij)/reg), then the same for f;
        never overflows. "stabilized": the same iterates (up to rounding) in the scaling form
        P = diag(u) K diag(v), K = exp((f + g - M)/reg), v <- b / K^T u, u <- a / K v (two matrix-vector
        products, no exponential, per iteration), scalings beyond exp(+-30) absorbed into f, g; never
        overflows either, 2-4x faster per iteration. "newton-sparse": Sinkhorn-Newton-Sparse (Tang et al. 2024): 20 Sinkhorn steps (the
        paper's N1), then Newton steps on D with a sparsified Hessian (see
        ``sparseopt.ot.newton_sparse``); pays off at small reg, where Sinkhorn needs thousands of iterations.
    max_iter : int
        Maximum number of iterations (for "newton-sparse", Sinkhorn, Newton and sweep iterations together).
    tol : float
        Stop when the L1 marginal error ||P 1 - a||_1 + ||P^T 1 - b||_1 < tol.
    log : bool
        Also return a dict: ``f``, ``g`` (potentials, -inf at zero weights), ``log_u`` = f/reg, ``log_v`` =
        g/reg (POT's names), ``err`` (L1 marginal error after each iteration), ``elapsed`` (seconds since the
        start, per iteration), ``n_iter``, ``n_iter_sinkhorn`` (stage 1), ``n_iter_newton``,
        ``n_iter_sweep`` (Sinkhorn iterations on the plan after each Newton step), ``n_iter_fallback``
        (Sinkhorn steps taken when a Newton step failed), ``time_sinkhorn``,
        ``time_newton`` (wall time of each stage), ``marginal_error`` (of the returned plan), ``converged``,
        ``primal`` (<M, P> + reg sum P log P), ``dual`` (D(f, g)) and ``cost`` (<M, P>).
    warn : bool
        Emit ``sklearn.exceptions.ConvergenceWarning`` when max_iter is reached before tol.
    sparse : bool
        Return the plan as a scipy CSR matrix without the entries below tol / (2 n m) (dropped mass < tol/2).
    **newton_options
        ``switch_iter`` (20), ``switch_tol`` (0), ``keep_fraction`` (5 / min(n, m)), ``drop_ratio`` (1e-4),
        ``cg_max_iter``: see
        ``sparseopt.ot.newton_sparse.newton_sparse``.

    Returns
    -------
    plan : ndarray of shape (n, m), or scipy.sparse.csr_matrix when ``sparse``
    log : dict, only when ``log`` is True
    """
    problem = check_transport_problem(a, b, M, reg)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if newton_options and method != "newton-sparse":
        raise TypeError(f"options {sorted(newton_options)} apply only to method='newton-sparse'")
    tol = check_scalar_range(tol, "tol", low=0.0)
    max_iter = int(check_scalar_range(max_iter, "max_iter", low=0))

    n, m = problem.M.shape
    f, g = np.zeros(n), np.zeros(m)
    trace = Trace()
    if method in ("log", "stabilized"):
        iterations = sinkhorn_iterations if method == "log" else stabilized_sinkhorn_iterations
        error = iterations(problem, f, g, max_iter, tol, trace)
        plan = np.empty((n, m))
        row_sums, col_sums = plan_and_marginals(f, g, problem.M, problem.reg, plan)
        error = np.abs(row_sums - problem.a).sum() + np.abs(col_sums - problem.b).sum()
    else:
        f, g, plan, error = newton_sparse(problem, f, g, max_iter, tol, trace, **newton_options)
    stage_times = _stage_times(trace)
    converged = bool(error < tol)
    if warn and not converged:
        warnings.warn(f"sinkhorn ({method}) did not converge: L1 marginal error {error:.3e} >= tol = {tol:.3e} "
                      f"after max_iter = {max_iter} iterations; increase max_iter or reg", ConvergenceWarning,
                      stacklevel=2)
    full_plan = problem.full_plan(plan, sparse=sparse, drop_below=tol / (2.0 * n * m))
    if not log:
        return full_plan
    return full_plan, _log_dict(problem, f, g, plan, trace, stage_times, error, converged)


def sinkhorn2(a, b, M, reg, method="log", max_iter=1000, tol=1e-9, log=False, warn=False, **newton_options):
    r"""Transport cost <M, P> of the entropic plan P of ``sinkhorn`` (without the entropy term, as POT's).

    Same parameters as ``sinkhorn``. With ``log=True`` returns (cost, log), where ``log["reg_value"]`` is the
    regularized value <M, P> + reg sum P log P and the other keys are those of ``sinkhorn``.
    """
    plan, info = sinkhorn(a, b, M, reg, method=method, max_iter=max_iter, tol=tol, log=True, warn=warn,
                          **newton_options)
    info["reg_value"] = info["primal"]
    return (info["cost"], info) if log else info["cost"]


def _stage_times(trace):
    """Wall time of stage 1 (Sinkhorn) and stage 2 (Newton and fallback steps), in seconds."""
    total = time.perf_counter() - trace.start
    n_stage1 = trace.counts["sinkhorn"]
    if n_stage1 == trace.n_iter:
        return total, 0.0
    stage1 = trace.elapsed[n_stage1 - 1] if n_stage1 else 0.0
    return stage1, total - stage1


def _log_dict(problem, f, g, plan, trace, stage_times, error, converged):
    """The ``log`` of ``sinkhorn`` (see its docstring), values computed on the reduced problem."""
    reg, M = problem.reg, problem.M
    positive = plan > 0
    entropy_term = reg * np.sum(plan[positive] * np.log(plan[positive]))
    cost = float(np.sum(plan * M))
    dual = problem.a @ f + problem.b @ g - reg * (plan.sum() - problem.a.sum())
    full_f, full_g = problem.full_potentials(f, g)
    return {
        "f": full_f,
        "g": full_g,
        "log_u": full_f / reg,
        "log_v": full_g / reg,
        "err": np.array(trace.errors),
        "elapsed": np.array(trace.elapsed),
        "n_iter": trace.n_iter,
        "n_iter_sinkhorn": trace.counts["sinkhorn"],
        "n_iter_newton": trace.counts["newton"],
        "n_iter_sweep": trace.counts["sweep"],
        "n_iter_fallback": trace.counts["fallback_sinkhorn"],
        "time_sinkhorn": stage_times[0],
        "time_newton": stage_times[1],
        "marginal_error": float(error),
        "converged": converged,
        "cost": cost,
        "primal": cost + float(entropy_term),
        "dual": float(dual),
    }
