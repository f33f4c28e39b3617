"""Coordinate descent on a working set for least squares with a separable penalty.

Problem, in the coordinates of the working set W (the others stay fixed):

    min_w 1/(2n) ||r||^2 + sum_j p_j(w_j) [+ indicator(w >= 0)],   r = y - X w,

with p_j chosen by ``kind``: ELASTIC_NET, p_j(x) = l1_j |x| + l2_j / 2 x^2, which covers the Lasso (l1 = alpha,
l2 = 0), the weighted Lasso (l1 = alpha * weights) and the elastic net (l1 = alpha l1_ratio,
l2 = alpha (1 - l1_ratio)); MCP or SCAD with strength alpha = l1_j and shape gamma or a = ``shape``. One
coordinate step is exact: w_j <- prox_{p_j / L_j}(w_j - grad_j / L_j), L_j = ||X_j||^2 / n (for MCP this needs
gamma > 1 / L_j, for SCAD a > 1 + 1 / L_j; the shared prox kernels raise otherwise).

A CSC X may be centred implicitly: the design is then X_c = X - d m^T with column means m (X_offset) and d the
square roots of the normalised sample weights (ones without weights). The kernels keep r_s = y_c - X w and the
scalar S = d^T r_s; then X_c_j^T r = X_j^T r_s - m_j S, and a step delta on w_j changes S by delta n m_j
(Bertrand & Massias 2021 keep sparse centring implicit the same way). Dense X is centred beforehand (m = 0).

After every K + 1 epochs (K = ``anderson_every``) the last K + 1 iterates, that is K differences, are
extrapolated (Anderson acceleration, Bertrand & Massias 2021) and the extrapolated point is kept if it lowers
the objective (elastic net only).
"""
import math

import numpy as np
from numba import njit

from numba_kernels.prox import mcp_threshold, scad_threshold, soft_threshold

ELASTIC_NET, MCP, SCAD = 0, 1, 2


@njit(cache=True, inline="always")
def _coordinate_step(w_j, gradient_j, lipschitz_j, l1_j, l2_j, positive, kind, shape):
    """Exact minimiser in w_j of the quadratic model with curvature L_j plus p_j (and x >= 0)."""
    z = w_j - gradient_j / lipschitz_j
    if kind == MCP:
        new = mcp_threshold(z, 1.0 / lipschitz_j, l1_j, shape)
    elif kind == SCAD:
        new = scad_threshold(z, 1.0 / lipschitz_j, l1_j, shape)
    else:
        new = soft_threshold(z, l1_j / lipschitz_j) / (1.0 + l2_j / lipschitz_j)
    if positive and new < 0.0:
        return 0.0
    return new


@njit(cache=True)
def _derivative(x, l1_j, l2_j, kind, shape):
    """p_j'(x) at x != 0: MCP sign(x) (alpha - |x|/gamma)_+, SCAD sign(x) min(alpha, (a alpha - |x|)_+ / (a - 1)),
    elastic net l1 sign(x) + l2 x."""
    if kind == MCP:
        return math.copysign(max(l1_j - abs(x) / shape, 0.0), x)
    if kind == SCAD:
        return math.copysign(min(l1_j, max(shape * l1_j - abs(x), 0.0) / (shape - 1.0)), x)
    return math.copysign(l1_j, x) + l2_j * x


@njit(cache=True, inline="always")
def coordinate_violation(c, w_j, l1_j, l2_j, positive, kind, shape):
    """dist(c, dp_j(w_j)) for the correlation c = -grad_j: |c - p_j'(w_j)| off 0, (|c| - l1_j)_+ at 0
    ((c - l1_j)_+ with positive=True)."""
    if w_j != 0.0:
        return abs(c - _derivative(w_j, l1_j, l2_j, kind, shape))
    if positive:
        return max(c - l1_j, 0.0)
    return max(abs(c) - l1_j, 0.0)


REORDER = {"reassoc", "contract", "nsz"}  # fastmath flags that let LLVM vectorize sums (no NaN / inf assumptions)

# Column helpers. X is given as (X_data, X_indices, X_indptr): for dense X its Fortran-order ravel, column j at
# [j n, (j + 1) n), and two empty index arrays; for CSC X its three arrays.
#
# The per-storage helpers are inlined (numba IR) into the loops that run one column operation per feature (an
# epoch, a full gradient), and those loops pick the storage once, outside the loop. A call that passes four
# arrays costs about 20 ns, under ``prange`` the threads contend for the shared arrays' reference counts, and a
# storage test inside the loop kept LLVM from optimising it: on a 10000 x 100000 CSC design (10 entries per
# column) the three together made a CD epoch 2.6 times and a full gradient 2 times slower. Inlined code takes
# the caller's fastmath flags, so each such loop is compiled once per storage: under REORDER for dense X
# (without it the dense dot product is not vectorized and costs 2.4 times more), without fastmath for CSC X (a
# column holds few entries, and the reassociated loop, vectorized with gathers, cost more: on the same design
# a full gradient took 2.4 against 1.7 ms and 10 CD epochs on 3375 columns 3.7 against 2.2 ms).


@njit(cache=True, inline="always")
def dense_column_dot(X_data, X_indices, X_indptr, n_samples, j, vector):
    """X_j^T vector for dense X. The loop runs over a slice indexed from 0: an index known to be non-negative lets
    LLVM vectorize the sum (with ``start + i`` it did not, and a dot product cost 6 times more)."""
    total = 0.0
    column = X_data[j * n_samples:(j + 1) * n_samples]
    for i in range(n_samples):
        total += column[i] * vector[i]
    return total


@njit(cache=True, inline="always")
def csc_column_dot(X_data, X_indices, X_indptr, n_samples, j, vector):
    """X_j^T vector for CSC X. The loop indexes the arrays directly: a column holds few entries, and slices (each a
    reference-counted array view) cost more than the products (a CD epoch was 2 times slower with them)."""
    total = 0.0
    for k in range(X_indptr[j], X_indptr[j + 1]):
        total += X_data[k] * vector[X_indices[k]]
    return total


@njit(cache=True, inline="always")
def dense_column_axpy(X_data, X_indices, X_indptr, n_samples, j, scale, vector):
    """vector += scale * X_j, in place, for dense X."""
    column = X_data[j * n_samples:(j + 1) * n_samples]
    for i in range(n_samples):
        vector[i] += scale * column[i]


@njit(cache=True, inline="always")
def csc_column_axpy(X_data, X_indices, X_indptr, n_samples, j, scale, vector):
    """vector += scale * X_j, in place, for CSC X."""
    for k in range(X_indptr[j], X_indptr[j + 1]):
        vector[X_indices[k]] += scale * X_data[k]


@njit(cache=True, fastmath=REORDER)
def _column_dot(X_data, X_indices, X_indptr, n_samples, j, vector):
    """X_j^T vector, either storage (for kernels that touch a few columns at a time)."""
    if X_indptr.shape[0] == 0:
        return dense_column_dot(X_data, X_indices, X_indptr, n_samples, j, vector)
    return csc_column_dot(X_data, X_indices, X_indptr, n_samples, j, vector)


@njit(cache=True)
def _column_axpy(X_data, X_indices, X_indptr, n_samples, j, scale, vector):
    """vector += scale * X_j, in place, either storage."""
    if X_indptr.shape[0] == 0:
        dense_column_axpy(X_data, X_indices, X_indptr, n_samples, j, scale, vector)
    else:
        csc_column_axpy(X_data, X_indices, X_indptr, n_samples, j, scale, vector)


@njit(cache=True, inline="always")
def centred_correlation(column_dot, X_data, X_indices, X_indptr, n_samples, j, residual_s, X_offset, weighted_sum):
    """X_c_j^T r / n = (X_j^T r_s - m_j S) / n with the storage's ``column_dot``; its negative is
    d/dw_j 1/(2n) ||r||^2."""
    return (column_dot(X_data, X_indices, X_indptr, n_samples, j, residual_s) - X_offset[j] * weighted_sum) \
        / n_samples


@njit(cache=True)
def _penalty_value(w, working_set, l1, l2):
    total = 0.0
    for j in working_set:
        total += l1[j] * abs(w[j]) + 0.5 * l2[j] * w[j] * w[j]
    return total


@njit(cache=True)
def _anderson_weights(iterates):
    """Weights c (summing to 1) minimising ||sum_k c_k (x_{k+1} - x_k)|| over the K + 1 iterates: solve
    (U U^T) z = 1 with U the K differences, c = z / sum z; the extrapolation is sum_k c_k x_{k+1}."""
    n_differences = iterates.shape[0] - 1
    gram = np.zeros((n_differences, n_differences))
    for a in range(n_differences):  # plain loops, no BLAS (see _loss)
        for b in range(a + 1):
            total = 0.0
            for k in range(iterates.shape[1]):
                total += (iterates[a + 1, k] - iterates[a, k]) * (iterates[b + 1, k] - iterates[b, k])
            gram[a, b] = gram[b, a] = total
    try:
        z = np.linalg.solve(gram, np.ones(gram.shape[0]))
    except Exception:  # singular: the iterates have stopped moving
        return np.zeros(0)
    if not np.all(np.isfinite(z)) or z.sum() == 0.0:
        return np.zeros(0)
    return z / z.sum()


@njit(cache=True, inline="always")
def _epoch(column_dot, column_axpy, X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, lipschitz,
           l1, l2, positive, kind, shape, X_offset, n_samples):
    """One cyclic pass of exact coordinate steps over ``working_set`` with the storage's column helpers; the
    gradient is -centred_correlation. Returns the updated S."""
    for j in working_set:
        if lipschitz[j] == 0.0:
            continue
        gradient_j = -centred_correlation(column_dot, X_data, X_indices, X_indptr, n_samples, j, residual, X_offset,
                                          weighted_sum)
        new = _coordinate_step(w[j], gradient_j, lipschitz[j], l1[j], l2[j], positive, kind, shape)
        delta = new - w[j]
        if delta != 0.0:
            column_axpy(X_data, X_indices, X_indptr, n_samples, j, -delta, residual)
            weighted_sum -= delta * n_samples * X_offset[j]
            w[j] = new
    return weighted_sum


@njit(cache=True, fastmath=REORDER)
def _dense_epoch(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, lipschitz, l1, l2, positive,
                 kind, shape, X_offset, n_samples):
    """_epoch for dense X (vectorized dot products)."""
    return _epoch(dense_column_dot, dense_column_axpy, X_data, X_indices, X_indptr, w, residual, weighted_sum,
                  working_set, lipschitz, l1, l2, positive, kind, shape, X_offset, n_samples)


@njit(cache=True)
def _csc_epoch(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, lipschitz, l1, l2, positive,
               kind, shape, X_offset, n_samples):
    """_epoch for CSC X (no fastmath, see the column helpers)."""
    return _epoch(csc_column_dot, csc_column_axpy, X_data, X_indices, X_indptr, w, residual, weighted_sum,
                  working_set, lipschitz, l1, l2, positive, kind, shape, X_offset, n_samples)


@njit(cache=True)
def cd_working_set(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, lipschitz, l1, l2,
                   positive, kind, shape, X_offset, n_samples, max_epochs, tol, anderson_every, check_every):
    """Cyclic coordinate descent over ``working_set`` until its optimality violation is at most tol.

    X is given as (X_data, X_indices, X_indptr): for dense X, its Fortran-order ravel and two empty index
    arrays; for CSC X, its three arrays. ``w`` (p,), ``residual`` (= r_s, n) are updated in place; ``weighted_sum``
    is S = d^T r_s (0 for dense X) and is returned updated, with the number of epochs run and the last
    violation max_j |r_j| (r = -grad - proj_{dP(w)}(-grad)) over the working set. Coordinates with L_j = 0 are
    skipped (an empty column cannot move).
    """
    size = working_set.shape[0]
    history = np.zeros((anderson_every + 1, size))
    offset_outside = 0.0  # m^T w over the features outside the working set (fixed here)
    if anderson_every > 0 and kind == ELASTIC_NET:
        for j in range(w.shape[0]):
            offset_outside += X_offset[j] * w[j]
        for j in working_set:
            offset_outside -= X_offset[j] * w[j]
    violation = np.inf
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        if X_indptr.shape[0] == 0:
            weighted_sum = _dense_epoch(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set,
                                        lipschitz, l1, l2, positive, kind, shape, X_offset, n_samples)
        else:
            weighted_sum = _csc_epoch(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set,
                                      lipschitz, l1, l2, positive, kind, shape, X_offset, n_samples)
        if anderson_every > 0 and kind == ELASTIC_NET:
            slot = (epoch - 1) % (anderson_every + 1)
            for k in range(size):
                history[slot, k] = w[working_set[k]]
            if slot == anderson_every:
                weighted_sum = _try_extrapolation(X_data, X_indices, X_indptr, w, residual, weighted_sum,
                                                  offset_outside, working_set, history, l1, l2, positive, X_offset,
                                                  n_samples)
        if epoch % check_every == 0 or epoch == max_epochs:
            violation = _working_set_violation(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set,
                                               l1, l2, positive, kind, shape, X_offset, n_samples)
            if violation <= tol:
                break
    return weighted_sum, epoch, violation


@njit(cache=True, fastmath=REORDER)
def _try_extrapolation(X_data, X_indices, X_indptr, w, residual, weighted_sum, offset_outside, working_set, history,
                       l1, l2, positive, X_offset, n_samples):
    """Replace w on the working set by the Anderson extrapolation of ``history`` if it lowers the objective.
    ``offset_outside`` is the sum of m_j w_j over the features outside the working set, which the inner solve
    does not move: the comparison then costs O(n + |working set|), not O(p)."""
    weights = _anderson_weights(history)
    if weights.shape[0] == 0:
        return weighted_sum
    candidate = np.zeros(history.shape[1])
    for k in range(weights.shape[0]):
        candidate += weights[k] * history[k + 1]
    if positive:
        candidate = np.maximum(candidate, 0.0)
    new_residual = residual.copy()
    new_sum = weighted_sum
    current_offset, trial_offset, current_penalty, trial_penalty = offset_outside, offset_outside, 0.0, 0.0
    for k in range(working_set.shape[0]):
        j = working_set[k]
        delta = candidate[k] - w[j]
        if delta != 0.0:
            _column_axpy(X_data, X_indices, X_indptr, n_samples, j, -delta, new_residual)
            new_sum -= delta * n_samples * X_offset[j]
        current_offset += X_offset[j] * w[j]
        trial_offset += X_offset[j] * candidate[k]
        current_penalty += l1[j] * abs(w[j]) + 0.5 * l2[j] * w[j] * w[j]
        trial_penalty += l1[j] * abs(candidate[k]) + 0.5 * l2[j] * candidate[k] * candidate[k]
    if _loss(new_residual, new_sum, trial_offset, n_samples) + trial_penalty \
            < _loss(residual, weighted_sum, current_offset, n_samples) + current_penalty:
        residual[:] = new_residual
        for k in range(working_set.shape[0]):
            w[working_set[k]] = candidate[k]
        return new_sum
    return weighted_sum


@njit(cache=True)
def _loss(residual_s, weighted_sum, offset_dot, n_samples):
    """1/(2n) ||r||^2 with ||r||^2 = ||r_s||^2 + 2 c S + n c^2 for c = m^T w = ``offset_dot`` (r = r_s + d c,
    d^T d = n)."""
    squared = 0.0
    for i in range(residual_s.shape[0]):  # plain loops: a BLAS call from compiled code cost up to 20 ms on busy cores
        squared += residual_s[i] * residual_s[i]
    return 0.5 * (squared + 2.0 * offset_dot * weighted_sum + n_samples * offset_dot * offset_dot) / n_samples


@njit(cache=True)
def _objective(residual_s, weighted_sum, X_offset, w, working_set, l1, l2, n_samples):
    """1/(2n) ||r||^2 + penalty on the working set."""
    offset_dot = 0.0
    for j in range(w.shape[0]):
        offset_dot += X_offset[j] * w[j]
    return _loss(residual_s, weighted_sum, offset_dot, n_samples) + _penalty_value(w, working_set, l1, l2)


@njit(cache=True)
def _working_set_violation(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, l1, l2, positive,
                           kind, shape, X_offset, n_samples):
    """max over the working set of the distance of -grad_j to the (Frechet) subdifferential of p_j at w_j; at 0
    it is [-l1_j, l1_j] for every kind."""
    if X_indptr.shape[0] == 0:
        return _dense_largest_violation(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, l1, l2,
                                        positive, kind, shape, X_offset, n_samples)
    return _csc_largest_violation(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, l1, l2,
                                  positive, kind, shape, X_offset, n_samples)


@njit(cache=True, fastmath=REORDER)
def _dense_largest_violation(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, l1, l2, positive,
                             kind, shape, X_offset, n_samples):
    """_largest_violation for dense X."""
    return _largest_violation(dense_column_dot, X_data, X_indices, X_indptr, w, residual, weighted_sum,
                              working_set, l1, l2, positive, kind, shape, X_offset, n_samples)


@njit(cache=True)
def _csc_largest_violation(X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, l1, l2, positive,
                           kind, shape, X_offset, n_samples):
    """_largest_violation for CSC X."""
    return _largest_violation(csc_column_dot, X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set,
                              l1, l2, positive, kind, shape, X_offset, n_samples)


@njit(cache=True, inline="always")
def _largest_violation(column_dot, X_data, X_indices, X_indptr, w, residual, weighted_sum, working_set, l1, l2,
                       positive, kind, shape, X_offset, n_samples):
    """The loop of _working_set_violation with the storage's ``column_dot``."""
    worst = 0.0
    for j in working_set:
        c = centred_correlation(column_dot, X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum)
        worst = max(worst, coordinate_violation(c, w[j], l1[j], l2[j], positive, kind, shape))
    return worst
