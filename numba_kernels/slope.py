"""Compiled pieces of the SLOPE family: the group sorted-L1 prox, the strong-rule set size, and the cluster
coordinate-descent epoch of the hybrid SLOPE solver.

Sorted-L1 norm: J_lambda(x) = sum_i lambda_i |x|_(i), lambda non-increasing and non-negative. Group sorted-L1
norm: J_lambda(||x_g||) over the groups g (group_indices[group_ptr[g]:group_ptr[g + 1]] hold group g). Dense X
comes as its Fortran-order ravel with empty index arrays, CSC X as its three arrays (as in ``numba_kernels.cd``).
"""
import math

import numpy as np
from numba import njit

from numba_kernels.cd import _column_axpy
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
def slope_cluster_threshold(omega, xi, cluster_size, other_values, other_sizes, lambda_cumsum):
    """Minimiser over z of xi/2 z^2 - omega z + J_lambda(beta) when the cluster (cluster_size features of
    common magnitude |z|) moves and the other clusters stay (Larsson et al. 2023, the SLOPE thresholding operator).

    other_values (decreasing, positive) and other_sizes describe the other non-zero clusters; lambda_cumsum is
    [0, cumsum(lambda)]. In magnitude a = |z|, the penalty is piecewise linear: between two neighbouring values
    the cluster holds the ranks right after the R features above it, with slope S(R) = sum of lambda over ranks
    R .. R + size - 1. Scanning from the top, a = (|omega| - S(R)) / xi is returned if it lies in the interval;
    a = d (merge with the cluster of value d) if |omega| - xi d lies in the subdifferential [S(R + size_d), S(R)];
    below the last cluster, max(a, 0). The sign of z is that of omega.
    """
    magnitude = abs(omega)
    above = 0
    for i in range(other_values.shape[0]):
        slope = lambda_cumsum[above + cluster_size] - lambda_cumsum[above]
        candidate = (magnitude - slope) / xi
        if candidate > other_values[i]:
            return math.copysign(candidate, omega)
        below = above + other_sizes[i]
        slope_below = lambda_cumsum[below + cluster_size] - lambda_cumsum[below]
        if magnitude - xi * other_values[i] >= slope_below:
            return math.copysign(other_values[i], omega)
        above = below
    slope = lambda_cumsum[above + cluster_size] - lambda_cumsum[above]
    return math.copysign(max((magnitude - slope) / xi, 0.0), omega)


@njit(cache=True)
def slope_cd_epoch(X_data, X_indices, X_indptr, n_samples, coef, residual, lambda_cumsum):
    """One cyclic pass of cluster coordinate descent for 1/(2n) ||r||^2 + J_lambda(beta), r = y - X beta - b.

    The clusters are the groups of non-zero coefficients of equal magnitude, visited from the largest (one
    representative feature each, taken at the start of the pass). A cluster C moves along the direction
    x~ = sum_{j in C} sign(beta_j) X_j: with gamma = x~^T r / n and xi = ||x~||^2 / n, its magnitude c becomes
    T(c xi + gamma) from ``slope_cluster_threshold``. Zero coefficients do not move (the proximal gradient
    steps of the hybrid solver bring them in). ``coef`` and ``residual`` are updated in place.
    """
    nonzero = np.flatnonzero(coef)
    if nonzero.shape[0] == 0:
        return
    order = nonzero[np.argsort(-np.abs(coef[nonzero]))]
    representatives = [order[0]]
    for rank in range(1, order.shape[0]):
        if abs(coef[order[rank]]) != abs(coef[order[rank - 1]]):
            representatives.append(order[rank])
    direction = np.zeros(n_samples)
    for representative in representatives:
        value = abs(coef[representative])
        if value == 0.0:
            continue
        current = np.flatnonzero(coef)
        magnitudes = np.abs(coef[current])
        members = current[magnitudes == value]
        others = np.sort(magnitudes[magnitudes != value])[::-1]
        other_values = np.empty(others.shape[0])
        other_sizes = np.zeros(others.shape[0], dtype=np.int64)
        n_others = 0
        for k in range(others.shape[0]):
            if n_others == 0 or others[k] != other_values[n_others - 1]:
                other_values[n_others] = others[k]
                n_others += 1
            other_sizes[n_others - 1] += 1
        direction[:] = 0.0
        for j in members:
            _column_axpy(X_data, X_indices, X_indptr, n_samples, j, math.copysign(1.0, coef[j]), direction)
        xi = np.dot(direction, direction) / n_samples
        if xi == 0.0:
            continue
        gamma = np.dot(direction, residual) / n_samples
        new = slope_cluster_threshold(value * xi + gamma, xi, members.shape[0], other_values[:n_others],
                                      other_sizes[:n_others], lambda_cumsum)
        if new == value:
            continue
        residual -= (new - value) * direction
        for j in members:
            coef[j] = math.copysign(1.0, coef[j]) * new

