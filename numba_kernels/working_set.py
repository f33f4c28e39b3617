"""The outer loop of working-set coordinate descent for penalized least squares, compiled whole.

    min_w P(w) = 1/(2n) ||r||^2 + sum_j p_j(w_j),   r = y_c - X_c w,

over the features of a candidate set (the others stay 0), with p_j as in ``numba_kernels.cd`` (elastic net,
MCP or SCAD) and the same storage of X (dense Fortran ravel, or CSC with implicit centring X_c = X - d m^T:
the kernels keep r_s = y_c - X w and S = d^T r_s, and r = r_s + d (m^T w)).

One outer iteration (Massias et al. 2018; Bertrand & Massias 2021):

1. correlations c_j = X_c_j^T r / n over the features still in the problem (in parallel);
2. the stopping criterion: for the elastic net the duality gap P(w) - D(theta u) at the dual point u = r / n
   rescaled by theta = min(1, min_{l2_j = 0 < l1_j} l1_j / |c_j|) (only c_j > 0 counts with positive=True), where
   D(u) = u^T y - n/2 ||u||^2 - sum_{l2_j > 0} (|X_j^T u| - l1_j)_+^2 / (2 l2_j) and unpenalized features take
   X_j^T u = 0; for MCP / SCAD the largest violation dist(c_j, dp_j(w_j));
3. the Gap Safe rule (Ndiaye et al. 2017, elastic net without unpenalized features): a feature with l2_j = 0
   and |theta c_j| + ||X_c_j|| sqrt(2 gap / n) < l1_j is 0 at the optimum and leaves the problem for good;
4. the working set: the support plus the largest violations, max(initial_size, 2 |support|, size_fraction
   |candidates|) features (fewer if fewer features violate). The last term keeps the subproblems from being
   tiny: an epoch on the working set then costs about size_fraction of the full pass of step 1, and an inner
   solve of 10 to 30 epochs about as much as that pass, instead of spending a full pass on each of many
   doublings of a few features (on a 10000 x 100000 CSC Lasso, 14 outer iterations became 7);
5. coordinate descent with Anderson extrapolation on it (``cd_working_set``; for CSC X on a contiguous copy of
   its columns; for dense X by covariance updates, ``numba_kernels.gram_cd``, when the Gram products it needs
   are cheap enough) until its violation is at most ``inner_fraction`` times the largest outer violation, or
   ``complete_fraction`` times it when every violating feature is in the working set and the working set
   holds less than half of the features: the next full pass, which costs over two epochs, could then add
   nothing to the subproblem (on the same CSC Lasso, 9 outer iterations became 7; where the working set is
   most of the problem, as on the 442 x 175 diabetes design, an outer iteration costs about one epoch and the
   tighter solve only added epochs).

Doing this in one compiled call removes about 0.4 ms of Python per outer iteration, which dominated fits of a
few milliseconds.
"""
import math

import numpy as np
from numba import njit, prange

from numba_kernels.cd import (ELASTIC_NET, REORDER, _column_axpy, cd_working_set, centred_correlation,
                              coordinate_violation, csc_column_dot, dense_column_dot)
from numba_kernels.gram_cd import gram_cd_working_set, gram_extend

TRACE_COLUMNS = 5  # per outer iteration: criterion, features in the problem, non-zeros, working set, CD epochs


@njit(cache=True)
def _correlations(X_data, X_indices, X_indptr, n_samples, residual_s, X_offset, weighted_sum, features):
    """c_k = (X_j^T r_s - m_j S) / n for j = features[k], in parallel over the features (compiled once per
    storage, see ``numba_kernels.cd``)."""
    if X_indptr.shape[0] == 0:
        return _dense_correlations(X_data, X_indices, X_indptr, n_samples, residual_s, X_offset, weighted_sum,
                                   features)
    return _csc_correlations(X_data, X_indices, X_indptr, n_samples, residual_s, X_offset, weighted_sum, features)


@njit(cache=True, parallel=True, fastmath=REORDER)
def _dense_correlations(X_data, X_indices, X_indptr, n_samples, residual_s, X_offset, weighted_sum, features):
    """_correlations for dense X."""
    out = np.empty(features.shape[0])
    for k in prange(features.shape[0]):
        out[k] = centred_correlation(dense_column_dot, X_data, X_indices, X_indptr, n_samples, features[k],
                                     residual_s, X_offset, weighted_sum)
    return out


@njit(cache=True, parallel=True)
def _csc_correlations(X_data, X_indices, X_indptr, n_samples, residual_s, X_offset, weighted_sum, features):
    """_correlations for CSC X."""
    out = np.empty(features.shape[0])
    for k in prange(features.shape[0]):
        out[k] = centred_correlation(csc_column_dot, X_data, X_indices, X_indptr, n_samples, features[k],
                                     residual_s, X_offset, weighted_sum)
    return out


@njit(cache=True)
def _duality_gap(y, residual_s, row_scale, offset_dot, w, features, correlations, l1, l2, positive, n_samples):
    """(gap, theta) of the elastic net over ``features`` (see the module docstring); w is 0 elsewhere."""
    theta = 1.0
    penalty = 0.0
    for k in range(features.shape[0]):
        j = features[k]
        penalty += l1[j] * abs(w[j]) + 0.5 * l2[j] * w[j] * w[j]
        c = max(correlations[k], 0.0) if positive else correlations[k]
        if l2[j] == 0.0 and l1[j] > 0.0 and abs(c) * theta > l1[j]:
            theta = l1[j] / abs(c)
    squared_norm, dot_y = 0.0, 0.0
    for i in range(n_samples):
        r_i = residual_s[i] + row_scale[i] * offset_dot
        squared_norm += r_i * r_i
        dot_y += r_i * y[i]
    conjugate = 0.0
    for k in range(features.shape[0]):
        j = features[k]
        if l2[j] > 0.0:
            c = max(correlations[k], 0.0) if positive else correlations[k]
            excess = max(theta * abs(c) - l1[j], 0.0)
            conjugate += excess * excess / (2.0 * l2[j])
    primal = 0.5 * squared_norm / n_samples + penalty
    dual = theta * dot_y / n_samples - 0.5 * theta * theta * squared_norm / n_samples - conjugate
    return primal - dual, theta


@njit(cache=True)
def _largest_positive(scores, size):
    """Indices (ascending) of the ``size`` largest positive scores (all of them if fewer), ties broken by
    position. Most scores are 0 (features that satisfy their optimality condition), so the selection runs over
    the positive ones only, with plain loops and a quickselect: NumPy's functions compiled by Numba
    (flatnonzero, partition) took 0.9 ms on 100000 scores, 25000 of them positive."""
    count = 0
    for k in range(scores.shape[0]):
        count += scores[k] > 0.0
    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    positive = np.empty(count, dtype=np.int64)
    values = np.empty(count)
    count = 0
    for k in range(scores.shape[0]):
        if scores[k] > 0.0:
            positive[count], values[count] = k, scores[k]
            count += 1
    if size >= count:
        return positive
    threshold = _kth_smallest(values, count - size)
    ties = size
    for k in range(count):
        ties -= scores[positive[k]] > threshold
    chosen = np.empty(size, dtype=np.int64)
    size = 0
    for k in range(count):
        score = scores[positive[k]]
        if score > threshold or (score == threshold and ties > 0):
            ties -= score == threshold
            chosen[size] = positive[k]
            size += 1
    return chosen


@njit(cache=True)
def _kth_smallest(values, k):
    """The value of rank k (0-based, ascending) of ``values``, which is reordered in place: quickselect (Hoare
    1961) with Hoare's partition around the median of the first, middle and last values."""
    low, high = 0, values.shape[0] - 1
    while low < high:
        first, middle, last = values[low], values[(low + high) // 2], values[high]
        pivot = max(min(first, middle), min(max(first, middle), last))
        i, j = low, high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            high = j
        elif k >= i:
            low = i
        else:
            break
    return values[k]


@njit(cache=True)
def _cd_on_gathered_columns(X_data, X_indices, X_indptr, w, residual_s, weighted_sum, working_set, lipschitz, l1, l2,
                            positive, kind, shape, X_offset, n_samples, max_epochs, tol, anderson_every, check_every):
    """``cd_working_set`` for CSC X on a contiguous copy of the working set's columns (and of its coefficients and
    constants), the coefficients then written back; returns (S, epochs). The columns of a working set lie
    scattered through X's arrays, a few cache lines each, fetched from memory at every epoch (10000 x 100000 CSC
    design, 3375 columns: 10 epochs took 3.4 ms on them and 2.6 ms on the copy, the copy included). The copy
    leaves out the features outside the working set; they are 0 (the working set holds the support), so the
    objective that the Anderson step compares is the same on the copy."""
    size = working_set.shape[0]
    indptr = np.empty(size + 1, dtype=X_indptr.dtype)
    indptr[0] = 0
    for k in range(size):
        j = working_set[k]
        indptr[k + 1] = indptr[k] + X_indptr[j + 1] - X_indptr[j]
    data = np.empty(indptr[size], dtype=X_data.dtype)
    indices = np.empty(indptr[size], dtype=X_indices.dtype)
    for k in range(size):
        start = X_indptr[working_set[k]]
        for t in range(indptr[k + 1] - indptr[k]):
            data[indptr[k] + t] = X_data[start + t]
            indices[indptr[k] + t] = X_indices[start + t]
    local_w = w[working_set]
    weighted_sum, epochs, _ = cd_working_set(
        data, indices, indptr, local_w, residual_s, weighted_sum, np.arange(size), lipschitz[working_set],
        l1[working_set], l2[working_set], positive, kind, shape, X_offset[working_set], n_samples, max_epochs, tol,
        anderson_every, check_every)
    w[working_set] = local_w
    return weighted_sum, epochs


@njit(cache=True)
def _gram_pays(working_set, slots, n_cached, capacity, payback):
    """Whether the inner solve should run by covariance updates: the working set's features not yet in the Gram
    cache fit in it, and their products, (new features) x (cached + new) dot products of columns, number at most
    ``payback`` x |W|, about payback / 2 column-wise epochs on the working set (a dot product and an update per
    feature). The products stay cached for the later working sets."""
    new = 0
    for j in working_set:
        new += slots[j] < 0
    return n_cached + new <= capacity and new * (n_cached + new) <= payback * working_set.shape[0]


@njit(cache=True)
def working_set_solve(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual_s, weighted_sum,
                      candidates, lipschitz, l1, l2, positive, kind, shape, tol, gradient_scale, screening,
                      max_iter, max_epochs, initial_size, size_fraction, inner_fraction, complete_fraction,
                      anderson_every, check_every, gram_capacity, gram_payback):
    """Outer iterations of working-set CD on the features ``candidates`` (sorted; w is 0 elsewhere) until the
    stopping criterion is at most its target and every unpenalized feature (l1_j = l2_j = 0) has
    |c_j| <= tol g, or max_iter iterations. The criterion is the duality gap, with target tol ||y_c||^2 / n
    (scikit-learn's), or for MCP / SCAD the largest violation, with target tol g; g = ||X_c^T y_c||_inf / n is
    ``gradient_scale``, or with gradient_scale < 0 the largest |c_j| of the first iteration (the caller passes
    that only when w = 0 and every feature is a candidate, so that it is g, and no pass over X is spent on it).
    The subproblems stop at max(f times the largest violation, 1e-13 g), f = inner_fraction or complete_fraction
    (module docstring, step 5): below 1e-13 g is rounding. For dense X, a subproblem runs by covariance updates
    (``numba_kernels.gram_cd``) when the Gram cache, of ``gram_capacity`` features (0: never), can take the
    working set's new features and their products cost at most ``gram_payback`` column-wise epochs (``_gram_pays``).

    ``w`` and ``residual_s`` are updated in place. Returns (weighted_sum S, iterations, stopping criterion, its
    target, converged, the features left in the problem (candidates minus those removed by the Gap Safe rule),
    their correlations c_j at the returned w, and the trace: one row per iteration with the criterion, the
    features in the problem, the non-zeros among them, the working-set size and the CD epochs run on it).
    """
    active = candidates.copy()
    trace = np.zeros((max_iter, TRACE_COLUMNS))
    criterion, stop_tol = np.inf, np.inf
    squared_y = 0.0
    for i in range(n_samples):
        squared_y += y[i] * y[i]
    correlations = np.zeros(0)
    column_norms = np.sqrt(n_samples * lipschitz)
    gram_slots = np.full(w.shape[0], -1, dtype=np.int64)  # the Gram cache of step 5 (numba_kernels.gram_cd)
    gram_members = np.empty(gram_capacity, dtype=np.int64)
    gram_rows = np.empty((gram_capacity, n_samples))
    gram = np.empty((gram_capacity, gram_capacity))
    n_cached = 0
    for iteration in range(max_iter):
        correlations = _correlations(X_data, X_indices, X_indptr, n_samples, residual_s, X_offset, weighted_sum,
                                     active)
        if iteration == 0:
            if gradient_scale < 0.0:
                gradient_scale = np.max(np.abs(correlations)) if active.shape[0] > 0 else 0.0
            stop_tol = tol * squared_y / n_samples if kind == ELASTIC_NET else tol * gradient_scale
        scores = np.empty(active.shape[0])
        unpenalized_violation, support = 0.0, 0
        for k in range(active.shape[0]):
            j = active[k]
            scores[k] = coordinate_violation(correlations[k], w[j], l1[j], l2[j], positive, kind, shape)
            if l1[j] == 0.0 and l2[j] == 0.0:
                unpenalized_violation = max(unpenalized_violation, scores[k])
            support += w[j] != 0.0
        theta = 1.0
        if kind == ELASTIC_NET:
            offset_dot = 0.0
            for k in range(active.shape[0]):
                offset_dot += X_offset[active[k]] * w[active[k]]
            criterion, theta = _duality_gap(y, residual_s, row_scale, offset_dot, w, active, correlations, l1, l2,
                                            positive, n_samples)
        else:
            criterion = np.max(scores) if scores.shape[0] > 0 else 0.0
        trace[iteration, 0], trace[iteration, 1] = criterion, active.shape[0]
        trace[iteration, 2] = support
        if criterion <= stop_tol and unpenalized_violation <= tol * gradient_scale:
            return weighted_sum, iteration + 1, criterion, stop_tol, True, active, correlations, trace[:iteration + 1]
        # one pass: the Gap Safe rule removes features for good (compacting active and scores in place), and the
        # support gets an infinite score, so that the working set always holds it
        radius = math.sqrt(2.0 * max(criterion, 0.0) / n_samples)
        kept, violators, largest_violation = 0, 0, 0.0
        for k in range(active.shape[0]):
            j = active[k]
            if screening and l2[j] == 0.0:
                c = theta * correlations[k]
                if (c if positive else abs(c)) + column_norms[j] * radius < l1[j]:
                    if w[j] != 0.0:  # back to 0: r_s gains w_j X_j, S gains n m_j w_j
                        _column_axpy(X_data, X_indices, X_indptr, n_samples, j, w[j], residual_s)
                        weighted_sum += n_samples * X_offset[j] * w[j]
                        support -= 1
                        w[j] = 0.0
                    continue
            largest_violation = max(largest_violation, scores[k])
            active[kept] = j
            scores[kept] = np.inf if w[j] != 0.0 else scores[k]
            violators += scores[kept] > 0.0
            kept += 1
        active, scores = active[:kept], scores[:kept]
        size = min(active.shape[0], max(initial_size, 2 * support, int(size_fraction * candidates.shape[0])))
        if size == 0:
            continue
        working_set = active[_largest_positive(scores, size)]
        trace[iteration, 3] = working_set.shape[0]
        # every violator in the working set and the next full pass costly (over twice the working set): solve
        # the subproblem further, the pass could add nothing to it
        every_violator = working_set.shape[0] == violators
        fraction = complete_fraction if every_violator and 2 * working_set.shape[0] < active.shape[0] \
            else inner_fraction
        inner_tol = max(fraction * largest_violation, 1e-13 * gradient_scale)
        if X_indptr.shape[0] != 0:
            weighted_sum, trace[iteration, 4] = _cd_on_gathered_columns(
                X_data, X_indices, X_indptr, w, residual_s, weighted_sum, working_set, lipschitz, l1, l2, positive,
                kind, shape, X_offset, n_samples, max_epochs, inner_tol, anderson_every, check_every)
        elif _gram_pays(working_set, gram_slots, n_cached, gram.shape[0], gram_payback):
            n_cached = gram_extend(X_data, n_samples, working_set, gram_slots, gram_members, gram_rows, gram, n_cached)
            trace[iteration, 4], _ = gram_cd_working_set(
                X_data, n_samples, w, residual_s, working_set, lipschitz, l1, l2, positive, kind, shape, max_epochs,
                inner_tol, anderson_every, check_every, gram_slots, gram)
        else:
            weighted_sum, trace[iteration, 4], _ = cd_working_set(
                X_data, X_indices, X_indptr, w, residual_s, weighted_sum, working_set, lipschitz, l1, l2, positive,
                kind, shape, X_offset, n_samples, max_epochs, inner_tol, anderson_every, check_every)
    return weighted_sum, max_iter, criterion, stop_tol, False, active, correlations, trace
