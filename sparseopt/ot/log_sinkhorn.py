"""Log-domain Sinkhorn iterations on a reduced ``TransportProblem``, and the trace every OT solver keeps.

One iteration is the exact maximisation of the dual D(f, g) in g, then in f (``numba_kernels.sinkhorn``):

    g_j <- reg log b_j - reg LSE_i((f_i - M_ij) / reg),    f_i <- reg log a_i - reg LSE_j((g_j - M_ij) / reg).

After it the rows of P = exp((f + g - M) / reg) sum to a, so the L1 marginal error of the iterate is its column
error, which the next g-update yields at no extra cost.
"""
import time

import numpy as np

from numba_kernels.sinkhorn import scale_columns, scale_rows, scaled_kernel, update_potential


class Trace:
    """The L1 marginal error ||P1 - a||_1 + ||P^T 1 - b||_1 after each iteration, with the wall time elapsed
    since ``start`` (seconds), and the number of iterations of each kind."""

    def __init__(self):
        self.start = time.perf_counter()
        self.errors = []
        self.elapsed = []
        self.counts = {"sinkhorn": 0, "newton": 0, "sweep": 0, "fallback_sinkhorn": 0}

    def record(self, kind, error):
        self.errors.append(float(error))
        self.elapsed.append(time.perf_counter() - self.start)
        self.counts[kind] += 1

    @property
    def n_iter(self):
        return len(self.errors)


def sinkhorn_iterations(problem, f, g, max_iter, tol, trace, kind="sinkhorn"):
    """Run at most ``max_iter`` Sinkhorn iterations from (f, g), in place, until the L1 marginal error < tol.

    Each iteration's error is recorded in ``trace`` under ``kind``. Returns the error of the final (f, g),
    whose rows are exact (the last step is an f-update); with ``max_iter`` = 0, the column error on entry.
    """
    reg, a, b = problem.reg, problem.a, problem.b
    log_a, log_b = problem.log_a, problem.log_b
    f_next, g_next = np.empty_like(f), np.empty_like(g)
    error = np.inf
    for iteration in range(max_iter + 1):
        # the column update measures the error of the current iterate, then computes the next g
        error = update_potential(f, problem.M_T, reg, log_b, b, g, g_next)
        if iteration > 0:
            trace.record(kind, error)
            if error < tol:
                break
        if iteration == max_iter:
            break
        g[:] = g_next
        update_potential(g, problem.M, reg, log_a, a, f, f_next)
        f[:] = f_next
    return error


#: Largest |log| of a scaling before it is absorbed into the potentials (stabilised Sinkhorn).
ABSORB_ABOVE = 30.0


def stabilized_sinkhorn_iterations(problem, f, g, max_iter, tol, trace, kind="sinkhorn"):
    """Same contract and, in exact arithmetic, the same iterates as ``sinkhorn_iterations``, in the stabilised
    scaling form: P_ij = u_i K_ij v_j with K_ij = exp((f_i + g_j - M_ij) / reg),

        v_j <- b_j / (K^T u)_j,    u_i <- a_i / (K v)_i,

    two matrix-vector products per iteration and no exponential. The first iteration is a log-domain one (so
    that K's rows hold mass whatever reg, and nothing underflows as exp(-M / reg) would); a scaling whose |log|
    exceeds ``ABSORB_ABOVE`` is absorbed into the potentials (f += reg log u, g += reg log v, K recomputed,
    u = v = 1). Entries of K below exp(-708) are 0: with scalings within exp(+-30) they stay below exp(-648)
    of a plan of mass 1. When a product (K v)_i or (K^T u)_j is 0 or not finite (extreme weights), the scalings
    are absorbed and the next iteration is a log-domain one. So nothing overflows for any reg > 0.
    """
    reg, a, b = problem.reg, problem.a, problem.b
    n, m = problem.M.shape
    kernel = np.empty((n, m))
    in_log_domain = True
    u, v = np.ones(n), np.ones(m)
    f_next, g_next = np.empty_like(f), np.empty_like(g)
    error = np.inf
    for iteration in range(max_iter + 1):
        # measure the column error of the current iterate while computing the next column update
        if in_log_domain:
            error = update_potential(f, problem.M_T, reg, problem.log_b, b, g, g_next)
        else:
            previous_v = v.copy()
            error, column_spread = scale_columns(kernel, u, b, v)
        if iteration > 0:
            trace.record(kind, error)
        if (iteration > 0 and error < tol) or iteration == max_iter:
            if not in_log_domain:
                v[:] = previous_v
            break
        if in_log_domain:
            g[:] = g_next
            update_potential(g, problem.M, reg, problem.log_a, a, f, f_next)
            f[:] = f_next
            scaled_kernel(f, g, problem.M, reg, kernel)
            in_log_domain = False
            continue
        spread = max(column_spread, scale_rows(kernel, v, a, u))
        if spread > ABSORB_ABOVE:
            _absorb(reg, f, g, u, v)
            if np.isfinite(spread):
                scaled_kernel(f, g, problem.M, reg, kernel)
            else:
                in_log_domain = True
    _absorb(reg, f, g, u, v)
    return error


def _absorb(reg, f, g, u, v):
    """f += reg log u, g += reg log v, then u = v = 1."""
    f += reg * np.log(u)
    g += reg * np.log(v)
    u[:], v[:] = 1.0, 1.0
