"""Block coordinate descent on a working set of groups, for least squares with a group-L2 penalty and one or
several outputs (the group Lasso and the multi-task Lasso):

    min_W 1/(2n) ||R||_F^2 + sum_g l1_g ||W_g||_F,   R = Y - X W,  W (p, T), Y (n, T),

W_g the rows of W of the features in group g. The group Lasso has T = 1; the multi-task Lasso has one group per
feature, so that ||W_j||_2 couples the T tasks. One block step is a proximal gradient step with the block's
Lipschitz constant L_g = ||X_g||_2^2 / n (the largest eigenvalue of X_g^T X_g / n):

    W_g <- BST(W_g - G_g / L_g, l1_g / L_g),   G_g = -X_g^T R / n,   BST(V, t) = max(1 - t / ||V||_F, 0) V,

which is the exact minimiser in W_g when the group holds one feature (Qin, Scheinberg & Goldfarb 2013 use the
same block step for the group Lasso). The residual R (n, T) is C-ordered, so that one pass over a column X_j gives
X_j^T R for all tasks. Centring of a CSC X is implicit as in ``numba_kernels.cd`` (one S_t = d^T r_s,t per task), and
every K + 1 epochs the working-set coefficients are extrapolated (Anderson acceleration) when that lowers the
objective.
"""
import math

import numpy as np
from numba import njit

from numba_kernels.cd import _anderson_weights
from numba_kernels.prox import group_soft_threshold


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"})
def _column_gradient(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum, out):
    """out = -(X_j^T R_s - m_j S) / n, all tasks in one pass over the column (dense X: Fortran ravel)."""
    out[:] = 0.0
    n_tasks = residual.shape[1]
    if X_indptr.shape[0] == 0:
        column = X_data[j * n_samples:(j + 1) * n_samples]
        for i in range(n_samples):
            for t in range(n_tasks):
                out[t] += column[i] * residual[i, t]
    else:
        values, rows = X_data[X_indptr[j]:X_indptr[j + 1]], X_indices[X_indptr[j]:X_indptr[j + 1]]
        for k in range(values.shape[0]):
            for t in range(n_tasks):
                out[t] += values[k] * residual[rows[k], t]
    for t in range(n_tasks):
        out[t] = -(out[t] - X_offset[j] * weighted_sum[t]) / n_samples


@njit(cache=True)
def _block_gradient(X_data, X_indices, X_indptr, n_samples, members, residual, X_offset, weighted_sum, out):
    """out[:|g|] = G_g = -X_c_g^T R / n, shape (|g|, T)."""
    for a in range(members.shape[0]):
        _column_gradient(X_data, X_indices, X_indptr, n_samples, members[a], residual, X_offset, weighted_sum,
                         out[a])
    return out[:members.shape[0]]


@njit(cache=True)
def _move_block(X_data, X_indices, X_indptr, n_samples, members, new_block, coef, residual, X_offset, weighted_sum):
    """Set W_g to new_block and update R_s and S (in place): R_s -= X_j (new - old)^T for each member j."""
    n_tasks = residual.shape[1]
    for a in range(members.shape[0]):
        j = members[a]
        moved = False
        for t in range(n_tasks):
            if new_block[a, t] != coef[j, t]:
                moved = True
        if not moved:
            continue
        delta = new_block[a] - coef[j]
        if X_indptr.shape[0] == 0:
            column = X_data[j * n_samples:(j + 1) * n_samples]
            for i in range(n_samples):
                for t in range(n_tasks):
                    residual[i, t] -= column[i] * delta[t]
        else:
            values, rows = X_data[X_indptr[j]:X_indptr[j + 1]], X_indices[X_indptr[j]:X_indptr[j + 1]]
            for k in range(values.shape[0]):
                for t in range(n_tasks):
                    residual[rows[k], t] -= values[k] * delta[t]
        for t in range(n_tasks):
            weighted_sum[t] -= delta[t] * n_samples * X_offset[j]
            coef[j, t] = new_block[a, t]


@njit(cache=True)
def _block_violation(gradient, block, l1_g):
    """Distance of -G_g to the subdifferential of l1_g ||.||_F at W_g: ||G_g + l1_g W_g / ||W_g|| ||_F when
    W_g != 0, else (||G_g||_F - l1_g)_+."""
    norm = math.sqrt(np.sum(block * block))
    if norm > 0.0:
        difference = gradient + (l1_g / norm) * block
        return math.sqrt(np.sum(difference * difference))
    return max(math.sqrt(np.sum(gradient * gradient)) - l1_g, 0.0)


@njit(cache=True)
def group_cd_working_set(X_data, X_indices, X_indptr, coef, residual, weighted_sum, working_groups, group_indices,
                         group_ptr, group_lipschitz, group_l1, X_offset, n_samples, max_epochs, tol, anderson_every,
                         check_every):
    """Cyclic block coordinate descent over ``working_groups`` until their largest violation is at most tol.

    X as in ``numba_kernels.cd.cd_working_set`` (dense: Fortran ravel and empty index arrays; CSC: its three
    arrays). ``coef`` W (p, T), ``residual`` R_s^T (T, n) and ``weighted_sum`` S (T,) are updated in place.
    Group g holds group_indices[group_ptr[g]:group_ptr[g + 1]]; groups with L_g = 0 are skipped. Returns the
    number of epochs run and the last violation max_g dist(-G_g, l1_g d||W_g||) over the working groups.
    """
    n_tasks = residual.shape[1]
    n_coords = 0
    largest = 0
    for g in working_groups:
        n_coords += group_ptr[g + 1] - group_ptr[g]
        largest = max(largest, group_ptr[g + 1] - group_ptr[g])
    gradient_buffer = np.empty((largest, n_tasks))
    history = np.zeros((anderson_every + 1, n_coords * n_tasks))
    violation = np.inf
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        for g in working_groups:
            if group_lipschitz[g] == 0.0:
                continue
            members = group_indices[group_ptr[g]:group_ptr[g + 1]]
            gradient = _block_gradient(X_data, X_indices, X_indptr, n_samples, members, residual, X_offset,
                                       weighted_sum, gradient_buffer)
            step_point = np.empty_like(gradient)
            for a in range(members.shape[0]):
                for t in range(n_tasks):
                    step_point[a, t] = coef[members[a], t] - gradient[a, t] / group_lipschitz[g]
            new_block = group_soft_threshold(step_point, group_l1[g] / group_lipschitz[g])
            _move_block(X_data, X_indices, X_indptr, n_samples, members, new_block, coef, residual, X_offset,
                        weighted_sum)
        if anderson_every > 0:
            slot = (epoch - 1) % (anderson_every + 1)
            _store_working_coef(coef, working_groups, group_indices, group_ptr, history[slot])
            if slot == anderson_every:
                _try_extrapolation(X_data, X_indices, X_indptr, coef, residual, weighted_sum, working_groups,
                                   group_indices, group_ptr, group_l1, history, X_offset, n_samples)
        if epoch % check_every == 0 or epoch == max_epochs:
            violation = 0.0
            for g in working_groups:
                members = group_indices[group_ptr[g]:group_ptr[g + 1]]
                gradient = _block_gradient(X_data, X_indices, X_indptr, n_samples, members, residual, X_offset,
                                           weighted_sum, gradient_buffer)
                violation = max(violation, _block_violation(gradient, _rows(coef, members), group_l1[g]))
            if violation <= tol:
                break
    return epoch, violation


@njit(cache=True)
def _rows(coef, members):
    block = np.empty((members.shape[0], coef.shape[1]))
    for a in range(members.shape[0]):
        block[a] = coef[members[a]]
    return block


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
    ||r_t||^2 = ||r_s,t||^2 + 2 c_t S_t + n c_t^2, c_t = m^T w_t."""
    offset_dots = X_offset @ coef
    total = np.sum(residual * residual)
    for t in range(residual.shape[1]):
        offset_dot = offset_dots[t]
        total += 2.0 * offset_dot * weighted_sum[t] + n_samples * offset_dot ** 2
    total *= 0.5 / n_samples
    for g in working_groups:
        total += group_l1[g] * math.sqrt(np.sum(_rows(coef, group_indices[group_ptr[g]:group_ptr[g + 1]]) ** 2))
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
