"""Coordinate descent on a working set by covariance updates, for dense X with many more rows than working-set
features (Friedman, Hastie & Tibshirani 2010, "covariance updates"; scikit-learn's ``precompute=True``).

Same problem and same coordinate steps as ``numba_kernels.cd.cd_working_set`` (dense X, centred beforehand), but
the kernel keeps the correlations h = X_W^T r of the working set W instead of the residual r: a step delta on
w_j changes h by -delta G_Wj, G = X^T X, so an epoch costs O(|W|^2) instead of O(n |W|), and r is updated once,
at the end. The objective that the Anderson step compares is known from h too: with Delta = w - w_0 on W and
h_0 = X_W^T r_0 at the start, ||r||^2 = ||r_0||^2 - Delta^T (h_0 + h).

The entries of G come from a cache that lives through a whole outer loop: ``gram`` holds G between the features
that have been in a working set, feature j in row and column ``slots[j]`` (-1 while it has none), so that a
feature's products are computed once however often it comes back; ``rows`` holds their columns, contiguous, for
the matrix product that computes those of new features.
"""
import numpy as np
from numba import njit

from numba_kernels.cd import (ELASTIC_NET, REORDER, _anderson_weights, _coordinate_step, coordinate_violation,
                              dense_column_axpy, dense_column_dot)


@njit(cache=True)
def gram_extend(X_data, n_samples, working_set, slots, members, rows, gram, n_cached):
    """Give a slot to every feature of ``working_set`` that has none, copy its column to ``rows`` (float64, one
    row per slot) and fill the new rows and columns of ``gram`` with the products of the new columns and all
    the cached ones, by one matrix product (BLAS: on 5000 x 500, the products of 500 features added in 7 steps
    took 29-58 ms, against 148-168 ms by dot products of columns); ``members`` lists the features by slot.
    Returns the number of slots in use (the caller checks that they fit)."""
    first_new = n_cached
    for j in working_set:
        if slots[j] < 0:
            slots[j] = n_cached
            members[n_cached] = j
            for i in range(n_samples):
                rows[n_cached, i] = X_data[j * n_samples + i]
            n_cached += 1
    if n_cached > first_new:
        block = np.dot(rows[first_new:n_cached], rows[:n_cached].T)
        for a in range(n_cached - first_new):
            for b in range(n_cached):
                gram[first_new + a, b] = block[a, b]
                gram[b, first_new + a] = block[a, b]
    return n_cached


@njit(cache=True, fastmath=REORDER)
def gram_cd_working_set(X_data, n_samples, w, residual, working_set, lipschitz, l1, l2, positive, kind, shape,
                        max_epochs, tol, anderson_every, check_every, slots, gram):
    """``cd_working_set`` for dense X by covariance updates: the same epochs, Anderson extrapolation (elastic
    net) and stopping rule, with h = X_W^T r in place of r. Every feature of ``working_set`` must have a slot
    in ``gram`` (``gram_extend``). ``w`` and ``residual`` (r, n) are updated in place; returns the epochs run
    and the last violation. At each check h is recomputed as h_0 - G Delta, which drops the rounding that the
    per-step updates accumulate (else the violation may stall above a tolerance near rounding level)."""
    size = working_set.shape[0]
    no_index = np.zeros(0, dtype=np.int64)  # the dense column helpers do not read X's index arrays
    local_gram = np.empty((size, size))
    start, correlations, initial = np.empty(size), np.empty(size), np.empty(size)
    for a in range(size):
        j = working_set[a]
        for b in range(size):
            local_gram[a, b] = gram[slots[j], slots[working_set[b]]]
        start[a] = w[j]
        initial[a] = dense_column_dot(X_data, no_index, no_index, n_samples, j, residual)
        correlations[a] = initial[a]
    local_w = start.copy()
    history = np.zeros((anderson_every + 1, size))
    violation = np.inf
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        for a in range(size):
            j = working_set[a]
            if lipschitz[j] == 0.0:
                continue
            new = _coordinate_step(local_w[a], -correlations[a] / n_samples, lipschitz[j], l1[j], l2[j], positive,
                                   kind, shape)
            delta = new - local_w[a]
            if delta != 0.0:
                for b in range(size):
                    correlations[b] -= delta * local_gram[a, b]
                local_w[a] = new
        if anderson_every > 0 and kind == ELASTIC_NET:
            slot = (epoch - 1) % (anderson_every + 1)
            history[slot] = local_w
            if slot == anderson_every:
                _try_extrapolation(local_w, correlations, start, initial, local_gram, history, working_set, l1, l2,
                                   positive, n_samples)
        if epoch % check_every == 0 or epoch == max_epochs:
            _refresh(correlations, initial, local_gram, local_w, start)
            violation = 0.0
            for a in range(size):
                j = working_set[a]
                violation = max(violation, coordinate_violation(correlations[a] / n_samples, local_w[a], l1[j],
                                                                l2[j], positive, kind, shape))
            if violation <= tol:
                break
    for a in range(size):
        j = working_set[a]
        if local_w[a] != start[a]:
            dense_column_axpy(X_data, no_index, no_index, n_samples, j, start[a] - local_w[a], residual)
        w[j] = local_w[a]
    return epoch, violation


@njit(cache=True, fastmath=REORDER)
def _refresh(correlations, initial, local_gram, local_w, start):
    """h = h_0 - G_WW (w - w_0), in place."""
    for a in range(correlations.shape[0]):
        total = initial[a]
        for b in range(correlations.shape[0]):
            total -= local_gram[a, b] * (local_w[b] - start[b])
        correlations[a] = total


@njit(cache=True, fastmath=REORDER)
def _try_extrapolation(local_w, correlations, start, initial, local_gram, history, working_set, l1, l2, positive,
                       n_samples):
    """Replace the working-set coefficients by the Anderson extrapolation of ``history`` if that lowers the
    objective, 1/(2n) (||r_0||^2 - Delta^T (h_0 + h)) + penalty, updating h with them."""
    weights = _anderson_weights(history)
    if weights.shape[0] == 0:
        return
    candidate = np.zeros(local_w.shape[0])
    for k in range(weights.shape[0]):
        candidate += weights[k] * history[k + 1]
    if positive:
        candidate = np.maximum(candidate, 0.0)
    trial = np.empty(local_w.shape[0])
    _refresh(trial, initial, local_gram, candidate, start)
    current_value, trial_value = 0.0, 0.0
    for a in range(local_w.shape[0]):
        j = working_set[a]
        current_value += -(local_w[a] - start[a]) * (initial[a] + correlations[a]) / (2.0 * n_samples) \
            + l1[j] * abs(local_w[a]) + 0.5 * l2[j] * local_w[a] * local_w[a]
        trial_value += -(candidate[a] - start[a]) * (initial[a] + trial[a]) / (2.0 * n_samples) \
            + l1[j] * abs(candidate[a]) + 0.5 * l2[j] * candidate[a] * candidate[a]
    if trial_value < current_value:
        local_w[:] = candidate
        correlations[:] = trial
