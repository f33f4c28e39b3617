"""The outer loop of working-set block coordinate descent (group Lasso, multi-task Lasso), compiled whole.

    min_W P(W) = 1/(2n) ||R||_F^2 + sum_g l1_g ||W_g||_F,   R = Y_c - X_c W,  W (p, T),

over the groups still in the problem (the others are 0), with X stored as in ``numba_kernels.cd`` and the residual
kept task by task as in ``numba_kernels.group_cd`` (R_s^T (T, n) with R_s = Y_c - X W, S_t = d^T r_s,t, and
r_t = r_s,t + d (m^T w_t) for the implicit centring of a CSC X). One outer iteration is that of
``numba_kernels.working_set`` with groups in place of features:

1. the gradients G = -X_c^T R / n of the features of the groups in the problem (in parallel over features);
2. the duality gap P(W) - D(theta R / n), D(U) = <U, Y_c> - n/2 ||U||_F^2, with
   theta = min(1, min_{l1_g > 0} l1_g / ||G_g||_F) so that ||X_c_g^T U||_F <= l1_g; a group with l1_g = 0 is
   taken at X_c_g^T U = 0, exact at the optimum only, so its gradient must also be at most tol g;
3. the Gap Safe rule (Ndiaye et al. 2017): a zero group with theta ||G_g||_F + ||X_c_g||_2 sqrt(2 gap / n) < l1_g
   is zero at the optimum and leaves the problem for good;
4. the working set: the non-zero groups plus the largest violations dist(-G_g, l1_g d||W_g||_F),
   max(initial_size, 2 |support|, size_fraction |groups|) groups (fewer if fewer groups violate);
5. block coordinate descent with Anderson extrapolation on it (``group_cd_working_set``) until its violation is
   at most ``inner_fraction`` times the largest one of step 4.

In Python, one outer iteration cost about 4 ms (NumPy on arrays of p x T entries, one product per task) on a
300 x 3000 multi-task Lasso with 5 tasks, more than its inner solve.
"""
import math

import numpy as np
from numba import njit, prange

from numba_kernels.cd import REORDER
from numba_kernels.group_cd import csc_column_gradient, dense_column_gradient, group_cd_working_set
from numba_kernels.working_set import TRACE_COLUMNS, _largest_positive


@njit(cache=True)
def _gradients(X_data, X_indices, X_indptr, n_samples, residual, X_offset, weighted_sum, features):
    """G[k, t] = -(X_j^T r_s,t - m_j S_t) / n for j = features[k] (compiled once per storage, as in
    ``numba_kernels.working_set``)."""
    if X_indptr.shape[0] == 0:
        return _dense_gradients(X_data, X_indices, X_indptr, n_samples, residual, X_offset, weighted_sum, features)
    return _csc_gradients(X_data, X_indices, X_indptr, n_samples, residual, X_offset, weighted_sum, features)


@njit(cache=True, parallel=True, fastmath=REORDER)
def _dense_gradients(X_data, X_indices, X_indptr, n_samples, residual, X_offset, weighted_sum, features):
    """_gradients for dense X."""
    out = np.empty((features.shape[0], residual.shape[0]))
    for k in prange(features.shape[0]):
        dense_column_gradient(X_data, X_indices, X_indptr, n_samples, features[k], residual, X_offset, weighted_sum,
                              out, k)
    return out


@njit(cache=True, parallel=True)
def _csc_gradients(X_data, X_indices, X_indptr, n_samples, residual, X_offset, weighted_sum, features):
    """_gradients for CSC X."""
    out = np.empty((features.shape[0], residual.shape[0]))
    for k in prange(features.shape[0]):
        csc_column_gradient(X_data, X_indices, X_indptr, n_samples, features[k], residual, X_offset, weighted_sum,
                            out, k)
    return out


@njit(cache=True)
def _group_scores(gradient, first_row, coef, active, group_indices, group_ptr, group_l1):
    """Per group in the problem: ||G_g||_F, ||W_g||_F and the violation dist(-G_g, l1_g d||W_g||_F), that is
    ||G_g + l1_g W_g / ||W_g|| ||_F for a non-zero group and (||G_g||_F - l1_g)_+ for a zero one. The rows of
    ``gradient`` hold the groups' features group after group, group k's from first_row[k]."""
    gradient_norms, coef_norms, violations = np.empty(active.shape[0]), np.empty(active.shape[0]), \
        np.empty(active.shape[0])
    for k in range(active.shape[0]):
        g = active[k]
        coef_squared, gradient_squared = 0.0, 0.0
        for a in range(group_ptr[g + 1] - group_ptr[g]):
            j, row = group_indices[group_ptr[g] + a], first_row[k] + a
            for t in range(coef.shape[1]):
                coef_squared += coef[j, t] * coef[j, t]
                gradient_squared += gradient[row, t] * gradient[row, t]
        gradient_norms[k], coef_norms[k] = math.sqrt(gradient_squared), math.sqrt(coef_squared)
        if coef_squared == 0.0:
            violations[k] = max(gradient_norms[k] - group_l1[g], 0.0)
            continue
        ratio, squared = group_l1[g] / coef_norms[k], 0.0
        for a in range(group_ptr[g + 1] - group_ptr[g]):
            j, row = group_indices[group_ptr[g] + a], first_row[k] + a
            for t in range(coef.shape[1]):
                difference = gradient[row, t] + ratio * coef[j, t]
                squared += difference * difference
        violations[k] = math.sqrt(squared)
    return gradient_norms, coef_norms, violations


@njit(cache=True)
def _duality_gap(Y, residual, row_scale, X_offset, coef, active, group_l1, gradient_norms, coef_norms):
    """(gap, theta) of step 2 of the module docstring; W is 0 outside the groups in the problem."""
    n_tasks, n_samples = Y.shape
    theta, penalty = 1.0, 0.0
    for k in range(active.shape[0]):
        l1 = group_l1[active[k]]
        penalty += l1 * coef_norms[k]
        if l1 > 0.0 and gradient_norms[k] * theta > l1:
            theta = l1 / gradient_norms[k]
    squared_norm, dot_y = 0.0, 0.0
    for t in range(n_tasks):
        offset_dot = 0.0
        for j in range(coef.shape[0]):
            offset_dot += X_offset[j] * coef[j, t]
        for i in range(n_samples):
            r = residual[t, i] + row_scale[i] * offset_dot
            squared_norm += r * r
            dot_y += r * Y[t, i]
    primal = 0.5 * squared_norm / n_samples + penalty
    dual = theta * dot_y / n_samples - 0.5 * theta * theta * squared_norm / n_samples
    return primal - dual, theta


@njit(cache=True)
def group_working_set_solve(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, Y, coef, residual,
                            weighted_sum, group_indices, group_ptr, group_lipschitz, group_l1, tol, gradient_scale,
                            screening, max_iter, max_epochs, initial_size, size_fraction, inner_fraction,
                            anderson_every, check_every):
    """Outer iterations until the duality gap is at most tol ||Y_c||_F^2 / n (scikit-learn's criterion) and every
    unpenalized group has ||G_g||_F <= tol g, or max_iter iterations; g = ``gradient_scale`` = max |X_c^T Y_c| / n,
    or with gradient_scale < 0 the largest |G| of the first iteration (pass that only when W = 0).

    Y is Y_c^T (T, n); ``coef`` W (p, T), ``residual`` R_s^T (T, n) and ``weighted_sum`` S (T,) are updated in
    place. Groups as in ``group_cd_working_set``; ``group_lipschitz`` holds L_g = ||X_c_g||_2^2 / n. Returns
    (iterations, gap, its target, converged, trace): one trace row per iteration with the gap, the groups in the
    problem, the non-zero groups, the working-set size and the CD epochs run on it.
    """
    n_groups, n_tasks = group_ptr.shape[0] - 1, Y.shape[0]
    active = np.arange(n_groups)
    trace = np.zeros((max_iter, TRACE_COLUMNS))
    squared_y = 0.0
    for t in range(n_tasks):
        for i in range(n_samples):
            squared_y += Y[t, i] * Y[t, i]
    stop_tol = tol * squared_y / n_samples
    gap = np.inf
    for iteration in range(max_iter):
        first_row = np.empty(active.shape[0] + 1, dtype=np.int64)
        first_row[0] = 0
        for k in range(active.shape[0]):
            first_row[k + 1] = first_row[k] + group_ptr[active[k] + 1] - group_ptr[active[k]]
        features = np.empty(first_row[-1], dtype=np.int64)
        for k in range(active.shape[0]):
            features[first_row[k]:first_row[k + 1]] = group_indices[group_ptr[active[k]]:group_ptr[active[k] + 1]]
        gradient = _gradients(X_data, X_indices, X_indptr, n_samples, residual, X_offset, weighted_sum, features)
        if gradient_scale < 0.0:
            gradient_scale = np.max(np.abs(gradient)) if gradient.size > 0 else 0.0
        gradient_norms, coef_norms, scores = _group_scores(gradient, first_row, coef, active, group_indices,
                                                           group_ptr, group_l1)
        gap, theta = _duality_gap(Y, residual, row_scale, X_offset, coef, active, group_l1, gradient_norms,
                                  coef_norms)
        unpenalized_violation, support = 0.0, 0
        for k in range(active.shape[0]):
            if group_l1[active[k]] == 0.0:
                unpenalized_violation = max(unpenalized_violation, gradient_norms[k])
            support += coef_norms[k] != 0.0
        trace[iteration, 0], trace[iteration, 1], trace[iteration, 2] = gap, active.shape[0], support
        if gap <= stop_tol and unpenalized_violation <= tol * gradient_scale:
            return iteration + 1, gap, stop_tol, True, trace[:iteration + 1]
        # the Gap Safe rule removes zero groups (compacting active and scores in place); the support gets an
        # infinite score, so that the working set always holds it
        radius = math.sqrt(2.0 * max(gap, 0.0) / n_samples)
        kept, largest_violation = 0, 0.0
        for k in range(active.shape[0]):
            g = active[k]
            if screening and coef_norms[k] == 0.0 and \
                    theta * gradient_norms[k] + math.sqrt(n_samples * group_lipschitz[g]) * radius < group_l1[g]:
                continue
            largest_violation = max(largest_violation, scores[k])
            active[kept] = g
            scores[kept] = np.inf if coef_norms[k] != 0.0 else scores[k]
            kept += 1
        active, scores = active[:kept], scores[:kept]
        size = min(kept, max(initial_size, 2 * support, int(size_fraction * n_groups)))
        working_groups = active[_largest_positive(scores, size)]
        trace[iteration, 3] = working_groups.shape[0]
        if working_groups.shape[0] == 0:
            continue
        inner_tol = max(inner_fraction * largest_violation, 1e-13 * gradient_scale)
        trace[iteration, 4], _ = group_cd_working_set(
            X_data, X_indices, X_indptr, coef, residual, weighted_sum, working_groups, group_indices, group_ptr,
            group_lipschitz, group_l1, X_offset, n_samples, max_epochs, inner_tol, anderson_every, check_every)
    return max_iter, gap, stop_tol, False, trace
