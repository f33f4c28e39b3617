"""Compiled pieces of the SLOPE family: the group sorted-L1 prox, the strong-rule set size, and the cluster
coordinate-descent epoch of the hybrid SLOPE solver.

Sorted-L1 norm: J_lambda(x) = sum_i lambda_i |x|_(i), lambda non-increasing and non-negative. Group sorted-L1
norm: J_lambda(||x_g||) over the groups g (group_indices[group_ptr[g]:group_ptr[g + 1]] hold group g). Dense X
comes as its Fortran-order ravel with empty index arrays, CSC X as its three arrays (as in ``numba_kernels.cd``);
the hybrid solver picks the storage once and inlines that storage's column helpers from ``numba_kernels.cd``.
"""
import math

import numpy as np
from numba import njit

from numba_kernels.cd import REORDER, csc_column_axpy, csc_column_dot, dense_column_axpy, dense_column_dot
from numba_kernels.prox import prox_sorted_l1


@njit(cache=True)
def group_norms(v, group_indices, group_ptr):
    """||v_g||_2 for every group g."""
    n_groups = group_ptr.shape[0] - 1
    norms = np.zeros(n_groups)
    for g in range(n_groups):
        total = 0.0
        for k in range(group_ptr[g], group_ptr[g + 1]):
            total += v[group_indices[k]] ** 2
        norms[g] = math.sqrt(total)
    return norms


@njit(cache=True)
def prox_group_sorted_l1(v, step, lambdas, group_indices, group_ptr):
    """Prox of eta * J_lambda(||x_g||), the (unweighted) Group SLOPE norm (Brzyski et al. 2019).

    Each group keeps its direction: with r_g = ||v_g||, the new norms are r' = prox_{eta J_lambda}(r) and
    x_g = (r'_g / r_g) v_g (0 when r_g = 0).
    """
    norms = group_norms(v, group_indices, group_ptr)
    shrunk = prox_sorted_l1(norms, step, lambdas)
    out = np.zeros_like(v)
    for g in range(group_ptr.shape[0] - 1):
        if norms[g] > 0.0:
            scale = shrunk[g] / norms[g]
            for k in range(group_ptr[g], group_ptr[g + 1]):
                out[group_indices[k]] = scale * v[group_indices[k]]
    return out


@njit(cache=True)
def strong_set_size(shifted):
    """Size k of the strong set of Larsson, Bogdan & Wallin (2020, Algorithm 1).

    ``shifted`` holds c_i = |grad|_(i) + lambda_prev_i - 2 lambda_new_i in the order of |grad| decreasing. The
    scan keeps a running sum of c over the entries after the last accepted position; whenever that sum becomes
    non-negative, everything up to the current entry joins the set. The set is the first k entries of that order.
    """
    accepted = 0
    offset = 0
    running = 0.0
    p = shifted.shape[0]
    while accepted + offset < p:
        running += shifted[accepted + offset]
        if running >= 0.0:
            accepted += offset + 1
            offset = 0
            running = 0.0
        else:
            offset += 1
    return accepted


@njit(cache=True)
def dual_ball_violators(values, weights):
    """Positions (into ``values``, non-negative) of the top k entries, k the last prefix where
    sum_{i<=k} (values_(i) - weights_i) > 0 (values in decreasing order, ties by position): the entries that break
    the dual-ball condition J*_weights(values) <= 1."""
    order = np.argsort(-values, kind="mergesort")
    excess, count = 0.0, 0
    for i in range(values.shape[0]):
        excess += values[order[i]] - weights[i]
        if excess > 0.0:
            count = i + 1
    return order[:count]


@njit(cache=True)
def slope_cluster_threshold(omega, xi, cluster_size, values, sizes, skip, lambda_cumsum, skip_start=-1):
    """Minimiser over z of xi/2 z^2 - omega z + J_lambda(beta) when one cluster (cluster_size features of common
    magnitude |z|) moves and the other clusters stay (Larsson et al. 2023, the SLOPE thresholding operator).

    values (decreasing, positive) and sizes describe the non-zero clusters; entry ``skip`` (the moving cluster,
    or -1) is ignored; lambda_cumsum is [0, cumsum(lambda)]. In magnitude a = |z|, the penalty is piecewise
    linear: between two neighbouring values the cluster holds the ranks right after the R features above it,
    with slope S(R) = sum of lambda over ranks R .. R + size - 1. Scanning from the top, a = (|omega| - S(R)) / xi
    is returned if it lies in the interval; a = d (merge with the cluster of value d) if |omega| - xi d lies in
    the subdifferential [S(R + size_d), S(R)]; below the last cluster, max(a, 0). The sign of z is that of omega.
    The scan starts at the cluster above ``skip`` and climbs only while the objective still decreases past the
    next value up (|omega| - xi d > S(R_d), i.e. the minimiser lies above d), so a move to a neighbouring rank costs
    O(1) instead of O(number of clusters); ``skip_start`` (the number of features above ``skip``, if known)
    spares a sum.
    """
    magnitude = abs(omega)
    first, above = 0, 0
    if skip > 0:  # start at the cluster above the moving one; climb while the minimiser lies above it
        if skip_start < 0:
            skip_start = np.sum(sizes[:skip])
        first, above = skip - 1, skip_start - sizes[skip - 1]
        while first > 0 and magnitude - xi * values[first] > lambda_cumsum[above + cluster_size] - lambda_cumsum[above]:
            first -= 1
            above -= sizes[first]
    for i in range(first, values.shape[0]):
        if i == skip:
            continue
        slope = lambda_cumsum[above + cluster_size] - lambda_cumsum[above]
        candidate = (magnitude - slope) / xi
        if candidate > values[i]:
            return math.copysign(candidate, omega)
        below = above + sizes[i]
        slope_below = lambda_cumsum[below + cluster_size] - lambda_cumsum[below]
        if magnitude - xi * values[i] >= slope_below:
            return math.copysign(values[i], omega)
        above = below
    slope = lambda_cumsum[above + cluster_size] - lambda_cumsum[above]
    return math.copysign(max((magnitude - slope) / xi, 0.0), omega)


@njit(cache=True)
def _clusters(coef):
    """Clusters of the non-zero magnitudes of coef: (values, decreasing and distinct; sizes; members, the
    features of cluster 0, then of cluster 1, ...)."""
    nonzero = np.empty(coef.shape[0], dtype=np.int64)  # a loop: Numba's np.flatnonzero is several times slower
    count = 0
    for j in range(coef.shape[0]):
        if coef[j] != 0.0:
            nonzero[count] = j
            count += 1
    nonzero = nonzero[:count]
    members = nonzero[np.argsort(-np.abs(coef[nonzero]))]
    values = np.empty(members.shape[0])
    sizes = np.zeros(members.shape[0], dtype=np.int64)
    n_clusters = 0
    for j in members:
        if n_clusters == 0 or abs(coef[j]) != values[n_clusters - 1]:
            values[n_clusters] = abs(coef[j])
            n_clusters += 1
        sizes[n_clusters - 1] += 1
    return values[:n_clusters], sizes[:n_clusters], members


@njit(cache=True)
def _move_cluster(values, sizes, members, k, start, new_value):
    """The cluster structure after cluster k (members[start:start + sizes[k]]) takes the magnitude new_value at
    another rank (the caller handles a move that keeps the rank): dropped at 0, merged into a cluster of equal
    value, or inserted at its rank."""
    block = members[start:start + sizes[k]]
    rest = np.concatenate((members[:start], members[start + sizes[k]:]))
    other_values = np.concatenate((values[:k], values[k + 1:]))
    other_sizes = np.concatenate((sizes[:k], sizes[k + 1:]))
    if new_value == 0.0:
        return other_values, other_sizes, rest
    position = 0
    while position < other_values.shape[0] and other_values[position] > new_value:
        position += 1
    cut = np.sum(other_sizes[:position])
    if position < other_values.shape[0] and other_values[position] == new_value:
        cut += other_sizes[position]
        other_sizes[position] += block.shape[0]
        return other_values, other_sizes, np.concatenate((rest[:cut], block, rest[cut:]))
    new_values = np.concatenate((other_values[:position], np.array([new_value]), other_values[position:]))
    new_sizes = np.concatenate((other_sizes[:position], np.array([block.shape[0]]), other_sizes[position:]))
    return new_values, new_sizes, np.concatenate((rest[:cut], block, rest[cut:]))


@njit(cache=True, inline="always")
def slope_cd_epoch(column_dot, column_axpy, X_data, X_indices, X_indptr, n_samples, columns, coef, residual,
                   lambda_cumsum, column_sq_norms):
    """One cyclic pass of cluster coordinate descent for 1/(2n) ||r||^2 + J_lambda(beta), r = y - X beta - b.

    The clusters are the groups of non-zero coefficients of equal magnitude, visited from the largest (one
    representative feature each, taken at the start of the pass). A cluster C moves along the direction
    x~ = sum_{j in C} sign(beta_j) X_j: with gamma = x~^T r / n and xi = ||x~||^2 / n, its magnitude c becomes
    T(c xi + gamma) from ``slope_cluster_threshold``; the cluster structure is then updated (moved, merged or
    dropped) in O(size of the support). Zero coefficients do not move (the proximal gradient steps of the hybrid
    solver bring them in). ``coef`` (of the features ``columns`` of X) and ``residual`` are updated in place. A
    cluster of one feature j needs no direction vector: gamma = sign(beta_j) X_j^T r / n and xi = ||X_j||^2 / n
    from ``column_sq_norms``. ``column_dot`` and ``column_axpy`` are the storage's helpers.
    """
    values, sizes, members = _clusters(coef)
    starts = np.cumsum(sizes) - sizes
    representatives = members[starts]
    direction = np.zeros(n_samples)
    k = 0
    for representative in representatives:
        value = abs(coef[representative])
        if value == 0.0:
            continue
        k = min(k, values.shape[0] - 1)  # the cluster sits near where the previous one was found
        while values[k] < value:
            k -= 1
        while values[k] > value:
            k += 1
        start = starts[k]
        cluster = members[start:start + sizes[k]]
        if cluster.shape[0] == 1:
            sign = math.copysign(1.0, coef[representative])
            xi = column_sq_norms[representative] / n_samples
            gamma = sign * column_dot(X_data, X_indices, X_indptr, n_samples, columns[representative],
                                      residual) / n_samples
        else:
            direction[:] = 0.0
            for j in cluster:
                column_axpy(X_data, X_indices, X_indptr, n_samples, columns[j], math.copysign(1.0, coef[j]), direction)
            xi, gamma = 0.0, 0.0
            for i in range(n_samples):  # loops, vectorized under the caller's REORDER: no BLAS call, no temporary
                xi += direction[i] * direction[i]
                gamma += direction[i] * residual[i]
            xi, gamma = xi / n_samples, gamma / n_samples
        if xi == 0.0:
            continue
        new = slope_cluster_threshold(value * xi + gamma, xi, cluster.shape[0], values, sizes, k, lambda_cumsum,
                                      start)
        if new == value:
            continue
        if cluster.shape[0] == 1:
            column_axpy(X_data, X_indices, X_indptr, n_samples, columns[representative], -(new - value) * sign,
                        residual)
        else:
            for i in range(n_samples):
                residual[i] -= (new - value) * direction[i]
        for j in cluster:
            coef[j] = math.copysign(1.0, coef[j]) * new
        n_clusters = values.shape[0]
        magnitude = abs(new)
        if magnitude > 0.0 and (k == 0 or magnitude < values[k - 1]) and (k == n_clusters - 1 or magnitude > values[k + 1]):
            values[k] = magnitude  # same rank: the structure is unchanged
        else:
            values, sizes, members = _move_cluster(values, sizes, members, k, start, magnitude)
            starts = np.cumsum(sizes) - sizes


@njit(cache=True)
def sorted_dual_norm_kernel(values, lambdas):
    """J*_lambda(values) = max_k sum_{i<=k} |values|_(i) / sum_{i<=k} lambda_i (inf when a prefix with zero
    weight has a positive sum; 0 for empty input)."""
    magnitudes = np.sort(np.abs(values))[::-1]
    best, top, weight = 0.0, 0.0, 0.0
    for k in range(magnitudes.shape[0]):
        top += magnitudes[k]
        weight += lambdas[k]
        if weight > 0.0:
            best = max(best, top / weight)
        elif top > 0.0:
            return np.inf
    return best


@njit(cache=True, inline="always")
def _residual(column_axpy, X_data, X_indices, X_indptr, n_samples, columns, y, coef, intercept):
    """r = y - X_E coef - intercept, X_E the columns ``columns`` of X (loops over the non-zero coefficients only)."""
    residual = y - intercept
    for k in range(coef.shape[0]):
        if coef[k] != 0.0:
            column_axpy(X_data, X_indices, X_indptr, n_samples, columns[k], -coef[k], residual)
    return residual


@njit(cache=True, inline="always")
def _scaled_correlations(column_dot, X_data, X_indices, X_indptr, n_samples, columns, residual):
    """X_E^T r / n for the columns ``columns`` of X: the negative gradient of 1/(2n) ||r||^2 in their coefficients."""
    out = np.empty(columns.shape[0])
    for k in range(columns.shape[0]):
        out[k] = column_dot(X_data, X_indices, X_indptr, n_samples, columns[k], residual) / n_samples
    return out


@njit(cache=True)
def slope_relative_gap(residual, y, coef, intercept, correlations, lambdas, fit_intercept):
    """Relative duality gap of 1/(2n) ||r||^2 + J_lambda(coef) at r = y - X coef - b, correlations = X^T r / n.

    Dual point theta r with theta = min(1, 1 / J*_lambda(X^T r / n)); D = -theta^2 ||r||^2 / (2n) +
    theta r^T (y - b) / n; with an intercept, (sum r / n)^2 / 2 is added (its own optimality). Returns (P - D) / |P|.
    """
    n = residual.shape[0]
    squared = residual @ residual
    primal = 0.5 * squared / n + sorted_norm_kernel(coef, lambdas)
    norm = sorted_dual_norm_kernel(correlations, lambdas)
    theta = 1.0 if norm <= 1.0 else 1.0 / norm
    dual = -0.5 * theta * theta * squared / n + theta * (residual @ (y - intercept)) / n
    gap = primal - dual
    if fit_intercept:
        gap += 0.5 * (np.sum(residual) / n) ** 2
    return max(gap, 0.0) / max(abs(primal), 1e-300)


@njit(cache=True)
def sorted_norm_kernel(values, lambdas):
    """J_lambda(values) = sum_i lambda_i |values|_(i) (non-zero entries only are sorted)."""
    magnitudes = np.abs(values[values != 0.0])
    magnitudes = np.sort(magnitudes)[::-1]
    total = 0.0
    for k in range(magnitudes.shape[0]):
        total += lambdas[k] * magnitudes[k]
    return total


@njit(cache=True, fastmath=REORDER)
def slope_hybrid_solve(X_data, X_indices, X_indptr, n_samples, y, coef, intercept, columns, lambdas, fit_intercept,
                       lipschitz, tol, max_iter, pgd_every):
    """Hybrid coordinate descent (Larsson et al. 2023) for 1/(2n) ||y - X_E w - b||^2 + J_lambda(w), w = coef[E]
    for the columns E = ``columns`` of X (the other entries of ``coef`` are 0 and stay 0).

    Iteration k = 1, 1 + pgd_every, ... computes c = X_E^T r / n, stops if ``slope_relative_gap`` <= tol, else takes
    a proximal gradient step w <- prox_{J / L}(w + c / L) with backtracking (L doubles until
    f(w+) <= f(w) - c^T d + L / 2 ||d||^2, d = w+ - w; it lets clusters split and zeros enter); the other iterations
    are cluster CD epochs (``slope_cd_epoch``). With an intercept, b <- b + mean(r) after each. ``coef`` is updated
    in place; ``lipschitz`` is the first L tried (a lower bound is fine; 0 means max_j ||X_j||^2 / n over E, a lower
    bound of ||X_E||_2^2 / n). Returns (intercept, n_iter, relative gap, converged, L, X^T u) with
    u = -r / n, the gradient of the loss in all coefficients (for a path's KKT check).
    """
    if X_indptr.shape[0] == 0:
        return _hybrid_solve(dense_column_dot, dense_column_axpy, X_data, X_indices, X_indptr, n_samples, y, coef,
                             intercept, columns, lambdas, fit_intercept, lipschitz, tol, max_iter, pgd_every)
    return _hybrid_solve(csc_column_dot, csc_column_axpy, X_data, X_indices, X_indptr, n_samples, y, coef, intercept,
                         columns, lambdas, fit_intercept, lipschitz, tol, max_iter, pgd_every)


@njit(cache=True, inline="always")
def _hybrid_solve(column_dot, column_axpy, X_data, X_indices, X_indptr, n_samples, y, coef, intercept, columns,
                  lambdas, fit_intercept, lipschitz, tol, max_iter, pgd_every):
    n = n_samples
    lambda_cumsum = np.zeros(lambdas.shape[0] + 1)
    lambda_cumsum[1:] = np.cumsum(lambdas)
    n_features = columns.shape[0]
    w = coef[columns]
    column_sq_norms = np.empty(n_features)
    for k in range(n_features):
        column_sq_norms[k] = _column_sq_norm(X_data, X_indices, X_indptr, n_samples, columns[k])
    if lipschitz <= 0.0:
        lipschitz = max(np.max(column_sq_norms) / n if n_features > 0 else 0.0, 1e-300)
    residual = _residual(column_axpy, X_data, X_indices, X_indptr, n_samples, columns, y, w, intercept)
    crit = np.inf
    converged = False
    n_iter = max_iter
    for iteration in range(1, max_iter + 1):
        if (iteration - 1) % pgd_every == 0:
            correlations = _scaled_correlations(column_dot, X_data, X_indices, X_indptr, n_samples, columns, residual)
            crit = slope_relative_gap(residual, y, w, intercept, correlations, lambdas, fit_intercept)
            if crit <= tol:
                converged, n_iter = True, iteration
                break
            loss = 0.5 * (residual @ residual) / n
            while True:
                candidate = prox_sorted_l1(w + correlations / lipschitz, 1.0 / lipschitz, lambdas)
                step = candidate - w
                new_residual = _residual(column_axpy, X_data, X_indices, X_indptr, n_samples, columns, y, candidate,
                                         intercept)
                bound = loss - correlations @ step + 0.5 * lipschitz * (step @ step)
                if 0.5 * (new_residual @ new_residual) / n <= bound * (1 + 1e-12) + 1e-300:
                    break
                lipschitz *= 2.0
            w[:] = candidate
            residual = new_residual
        else:
            slope_cd_epoch(column_dot, column_axpy, X_data, X_indices, X_indptr, n_samples, columns, w, residual,
                           lambda_cumsum, column_sq_norms)
        if fit_intercept:
            shift = np.mean(residual)
            intercept += shift
            residual -= shift
    coef[columns] = w
    gradient = np.empty(coef.shape[0])
    for j in range(coef.shape[0]):
        gradient[j] = -column_dot(X_data, X_indices, X_indptr, n_samples, j, residual) / n_samples
    return intercept, n_iter, crit, converged, lipschitz, gradient


@njit(cache=True)
def _column_sq_norm(X_data, X_indices, X_indptr, n_samples, j):
    """||X_j||^2, either storage."""
    if X_indptr.shape[0] == 0:
        column = X_data[j * n_samples:(j + 1) * n_samples]
        return column @ column
    values = X_data[X_indptr[j]:X_indptr[j + 1]]
    return values @ values
