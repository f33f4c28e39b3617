"""Log-domain Sinkhorn iterations on a reduced ``TransportProblem``, and the trace every OT solver keeps.

One iteration is the exact maximisation of the dual D(f, g) in g, then in f (``numba_kernels.sinkhorn``):

    g_j <- reg log b_j - reg LSE_i((f_i - M_ij) / reg),    f_i <- reg log a_i - reg LSE_j((g_j - M_ij) / reg).

After it the rows of P = exp((f + g - M) / reg) sum to a, so the L1 marginal error of the iterate is its column
error, which the next g-update yields at no extra cost.
"""
import time

import numpy as np

from numba_kernels.sinkhorn import update_potential


class Trace:
    """The L1 marginal error ||P1 - a||_1 + ||P^T 1 - b||_1 after each iteration, with the wall time elapsed
    since ``start`` (seconds), and the number of iterations of each kind."""

    def __init__(self):
        self.start = time.perf_counter()
        self.errors = []
        self.elapsed = []
        self.counts = {"sinkhorn": 0, "newton": 0, "fallback_sinkhorn": 0}

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
