"""Block coordinate descent on a working set of groups, for least squares with a group-L2 penalty and one or
several outputs (the group Lasso and the multi-task Lasso):

    min_W 1/(2n) ||R||_F^2 + sum_g l1_g ||W_g||_F,   R = Y - X W,  W (p, T), Y (n, T),

W_g the rows of W of the features in group g. The group Lasso has T = 1; the multi-task Lasso has one group per
feature, so that ||W_j||_2 couples the T tasks. One block step is a proximal gradient step with the block's
Lipschitz constant L_g = ||X_g||_2^2 / n (the largest eigenvalue of X_g^T X_g / n):

    W_g <- BST(W_g - G_g / L_g, l1_g / L_g),   G_g = -X_g^T R / n,   BST(V, t) = max(1 - t / ||V||_F, 0) V,

which is the exact minimiser in W_g when the group holds one feature (Qin, Scheinberg & Goldfarb 2013 use the
same block step for the group Lasso). The residual is stored task by task, R^T (T, n) C-ordered, so that each
task's X_j^T r_t is a contiguous dot product (with R (n, T) the strided sums were not vectorised: on a 300 x 3000
multi-task Lasso with 5 tasks an epoch cost 5 times more). Centring of a CSC X is implicit as in
``numba_kernels.cd`` (one S_t = d^T r_s,t per task), and every K + 1 epochs the working-set coefficients are
extrapolated (Anderson acceleration) when that lowers the objective. The outer loop that calls this kernel is
``numba_kernels.group_working_set``.
"""
import math

import numpy as np
from numba import njit

from numba_kernels.cd import REORDER, _anderson_weights
from numba_kernels.prox import group_shrink_factor


@njit(cache=True, inline="always")
def dense_column_gradient(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum, out, row):
    """out[row, t] = -(X_j^T r_s,t - m_j S_t) / n for every task t, dense X (one contiguous dot product per task)."""
    column = X_data[j * n_samples:(j + 1) * n_samples]
    for t in range(residual.shape[0]):
        total = 0.0
        for i in range(n_samples):
            total += column[i] * residual[t, i]
        out[row, t] = -(total - X_offset[j] * weighted_sum[t]) / n_samples


@njit(cache=True, inline="always")
def csc_column_gradient(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum, out, row):
    """out[row, t] = -(X_j^T r_s,t - m_j S_t) / n for every task t, CSC X."""
    for t in range(residual.shape[0]):
        total = 0.0
        for k in range(X_indptr[j], X_indptr[j + 1]):
            total += X_data[k] * residual[t, X_indices[k]]
        out[row, t] = -(total - X_offset[j] * weighted_sum[t]) / n_samples


@njit(cache=True, inline="always")
def dense_column_update(X_data, X_indices, X_indptr, n_samples, j, delta, residual):
    """r_s,t -= delta_t X_j for every task t, in place, dense X."""
    column = X_data[j * n_samples:(j + 1) * n_samples]
    for t in range(residual.shape[0]):
        if delta[t] != 0.0:
            for i in range(n_samples):
                residual[t, i] -= column[i] * delta[t]


@njit(cache=True, inline="always")
def csc_column_update(X_data, X_indices, X_indptr, n_samples, j, delta, residual):
    """r_s,t -= delta_t X_j for every task t, in place, CSC X."""
    for t in range(residual.shape[0]):
        if delta[t] != 0.0:
            for k in range(X_indptr[j], X_indptr[j + 1]):
                residual[t, X_indices[k]] -= X_data[k] * delta[t]


@njit(cache=True, inline="always")
def _block_epoch(column_gradient, column_update, X_data, X_indices, X_indptr, coef, residual, weighted_sum,
                 working_groups, group_indices, group_ptr, group_lipschitz, group_l1, X_offset, n_samples, gradient,
                 step, delta):
    """One cyclic pass of block steps W_g <- BST(W_g - G_g / L_g, l1_g / L_g) over the working groups, with the
    storage's column helpers and the buffers ``gradient``, ``step`` (largest group x T) and ``delta`` (T): no
    allocation per block (allocating the blocks had made an epoch of one-feature groups several times slower)."""
    n_tasks = residual.shape[0]
    for g in working_groups:
        lipschitz = group_lipschitz[g]
        if lipschitz == 0.0:
            continue
        start, size = group_ptr[g], group_ptr[g + 1] - group_ptr[g]
        squared = 0.0
        for a in range(size):
            j = group_indices[start + a]
            column_gradient(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum, gradient, a)
            for t in range(n_tasks):
                step[a, t] = coef[j, t] - gradient[a, t] / lipschitz
                squared += step[a, t] * step[a, t]
        factor = group_shrink_factor(math.sqrt(squared), group_l1[g] / lipschitz)
        for a in range(size):
            j = group_indices[start + a]
            moved = False
            for t in range(n_tasks):
                delta[t] = factor * step[a, t] - coef[j, t]
                moved = moved or delta[t] != 0.0
            if moved:
                column_update(X_data, X_indices, X_indptr, n_samples, j, delta, residual)
                for t in range(n_tasks):
                    weighted_sum[t] -= delta[t] * n_samples * X_offset[j]
                    coef[j, t] = factor * step[a, t]


@njit(cache=True, inline="always")
def _largest_block_violation(column_gradient, X_data, X_indices, X_indptr, coef, residual, weighted_sum,
                             working_groups, group_indices, group_ptr, group_l1, X_offset, n_samples, gradient):
    """max over the working groups of dist(-G_g, l1_g d||W_g||_F): ||G_g + l1_g W_g / ||W_g|| ||_F when W_g != 0,
    else (||G_g||_F - l1_g)_+."""
    n_tasks = residual.shape[0]
    worst = 0.0
    for g in working_groups:
        start, size = group_ptr[g], group_ptr[g + 1] - group_ptr[g]
        coef_squared, gradient_squared = 0.0, 0.0
        for a in range(size):
            j = group_indices[start + a]
            column_gradient(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum, gradient, a)
            for t in range(n_tasks):
                coef_squared += coef[j, t] * coef[j, t]
                gradient_squared += gradient[a, t] * gradient[a, t]
        if coef_squared > 0.0:
            ratio = group_l1[g] / math.sqrt(coef_squared)
            squared = 0.0
            for a in range(size):
                j = group_indices[start + a]
                for t in range(n_tasks):
                    difference = gradient[a, t] + ratio * coef[j, t]
                    squared += difference * difference
            worst = max(worst, math.sqrt(squared))
        else:
            worst = max(worst, math.sqrt(gradient_squared) - group_l1[g])
    return worst


@njit(cache=True)
def _move_block(X_data, X_indices, X_indptr, n_samples, members, new_block, coef, residual, X_offset, weighted_sum):
    """Set W_g to new_block and update R_s and S (in place): R_s -= X_j (new - old)^T for each member j."""
    delta = np.empty(residual.shape[0])
    for a in range(members.shape[0]):
        j = members[a]
        moved = False
        for t in range(delta.shape[0]):
            delta[t] = new_block[a, t] - coef[j, t]
            moved = moved or delta[t] != 0.0
        if not moved:
            continue
        if X_indptr.shape[0] == 0:
            dense_column_update(X_data, X_indices, X_indptr, n_samples, j, delta, residual)
        else:
            csc_column_update(X_data, X_indices, X_indptr, n_samples, j, delta, residual)
        for t in range(delta.shape[0]):
            weighted_sum[t] -= delta[t] * n_samples * X_offset[j]
            coef[j, t] = new_block[a, t]


@njit(cache=True, fastmath=REORDER)
def group_cd_working_set(X_data, X_indices, X_indptr, coef, residual, weighted_sum, working_groups, group_indices,
                         group_ptr, group_lipschitz, group_l1, X_offset, n_samples, max_epochs, tol, anderson_every,
                         check_every):
    """Cyclic block coordinate descent over ``working_groups`` until their largest violation is at most tol.

    X as in ``numba_kernels.cd.cd_working_set`` (dense: Fortran ravel and empty index arrays; CSC: its three
    arrays). ``coef`` W (p, T), ``residual`` R_s^T (T, n) and ``weighted_sum`` S (T,) are updated in place.
    Group g holds group_indices[group_ptr[g]:group_ptr[g + 1]]; groups with L_g = 0 are skipped. Returns the
    number of epochs run and the last violation max_g dist(-G_g, l1_g d||W_g||) over the working groups.
    """
    n_tasks = residual.shape[0]
    n_coords = 0
    largest = 0
    for g in working_groups:
        n_coords += group_ptr[g + 1] - group_ptr[g]
        largest = max(largest, group_ptr[g + 1] - group_ptr[g])
    gradient, step, delta = np.empty((largest, n_tasks)), np.empty((largest, n_tasks)), np.empty(n_tasks)
    history = np.zeros((anderson_every + 1, n_coords * n_tasks))
    violation = np.inf
    epoch = 0
    dense = X_indptr.shape[0] == 0
    for epoch in range(1, max_epochs + 1):
        if dense:
            _block_epoch(dense_column_gradient, dense_column_update, X_data, X_indices, X_indptr, coef, residual,
                         weighted_sum, working_groups, group_indices, group_ptr, group_lipschitz, group_l1, X_offset,
                         n_samples, gradient, step, delta)
        else:
            _block_epoch(csc_column_gradient, csc_column_update, X_data, X_indices, X_indptr, coef, residual,
                         weighted_sum, working_groups, group_indices, group_ptr, group_lipschitz, group_l1, X_offset,
                         n_samples, gradient, step, delta)
        if anderson_every > 0:
            slot = (epoch - 1) % (anderson_every + 1)
            _store_working_coef(coef, working_groups, group_indices, group_ptr, history[slot])
            if slot == anderson_every:
                _try_extrapolation(X_data, X_indices, X_indptr, coef, residual, weighted_sum, working_groups,
                                   group_indices, group_ptr, group_l1, history, X_offset, n_samples)
        if epoch % check_every == 0 or epoch == max_epochs:
            if dense:
                violation = _largest_block_violation(dense_column_gradient, X_data, X_indices, X_indptr, coef,
                                                     residual, weighted_sum, working_groups, group_indices, group_ptr,
                                                     group_l1, X_offset, n_samples, gradient)
            else:
                violation = _largest_block_violation(csc_column_gradient, X_data, X_indices, X_indptr, coef,
                                                     residual, weighted_sum, working_groups, group_indices, group_ptr,
                                                     group_l1, X_offset, n_samples, gradient)
            if violation <= tol:
                break
    return epoch, violation


@njit(cache=True)
def _store_working_coef(coef, working_groups, group_indices, group_ptr, out):
    """Flatten the working groups' rows of W into ``out`` (group by group, feature by feature, task by task)."""
    k = 0
    for g in working_groups:
        for j in group_indices[group_ptr[g]:group_ptr[g + 1]]:
            for t in range(coef.shape[1]):
                out[k] = coef[j, t]
                k += 1


@njit(cache=True)
def _objective(residual, weighted_sum, X_offset, coef, working_groups, group_indices, group_ptr, group_l1,
               n_samples):
    """1/(2n) ||R||_F^2 + sum over the working groups of l1_g ||W_g||_F, with the implicit centring
    ||r_t||^2 = ||r_s,t||^2 + 2 c_t S_t + n c_t^2, c_t = m^T w_t (plain loops: no temporaries, no BLAS)."""
    n_tasks = residual.shape[0]
    total = 0.0
    for t in range(n_tasks):
        for i in range(residual.shape[1]):
            total += residual[t, i] * residual[t, i]
    for t in range(n_tasks):
        offset_dot = 0.0
        for j in range(coef.shape[0]):
            offset_dot += X_offset[j] * coef[j, t]
        total += 2.0 * offset_dot * weighted_sum[t] + n_samples * offset_dot * offset_dot
    total *= 0.5 / n_samples
    for g in working_groups:
        squared = 0.0
        for j in group_indices[group_ptr[g]:group_ptr[g + 1]]:
            for t in range(n_tasks):
                squared += coef[j, t] * coef[j, t]
        total += group_l1[g] * math.sqrt(squared)
    return total


@njit(cache=True)
def _try_extrapolation(X_data, X_indices, X_indptr, coef, residual, weighted_sum, working_groups, group_indices,
                       group_ptr, group_l1, history, X_offset, n_samples):
    """Replace the working rows of W by the Anderson extrapolation of ``history`` if it lowers the objective."""
    weights = _anderson_weights(history)
    if weights.shape[0] == 0:
        return
    candidate = weights @ history[1:]
    trial_coef = coef.copy()
    trial_residual = residual.copy()
    trial_sum = weighted_sum.copy()
    n_tasks = coef.shape[1]
    k = 0
    for g in working_groups:
        members = group_indices[group_ptr[g]:group_ptr[g + 1]]
        block = candidate[k:k + members.shape[0] * n_tasks].reshape((members.shape[0], n_tasks))
        _move_block(X_data, X_indices, X_indptr, n_samples, members, block, trial_coef, trial_residual, X_offset,
                    trial_sum)
        k += members.shape[0] * n_tasks
    current = _objective(residual, weighted_sum, X_offset, coef, working_groups, group_indices, group_ptr, group_l1,
                         n_samples)
    if _objective(trial_residual, trial_sum, X_offset, trial_coef, working_groups, group_indices, group_ptr,
                  group_l1, n_samples) < current:
        coef[:] = trial_coef
        residual[:] = trial_residual
        weighted_sum[:] = trial_sum
