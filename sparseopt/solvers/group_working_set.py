"""Working-set block coordinate descent for the group Lasso and the multi-task Lasso:

    min_W 1/(2n) ||Y - X_c W||_F^2 + sum_g l1_g ||W_g||_F,   W (p, T), Y (n, T),

W_g the rows of W of the features in group g (GroupLasso: T = 1; MultiTaskLasso: one group per feature).

The outer loop is that of ``sparseopt.solvers.working_set``, with groups in place of features: it computes the
full gradient G = -X_c^T R / n, stops when the duality gap is at most tol * ||Y||_F^2 / n, else grows a working set
of groups (the non-zero ones plus the worst violators, at least twice as many as are non-zero and
``SIZE_FRACTION`` of the groups, as in ``working_set``) and solves the problem restricted to it with
``numba_kernels.group_cd``. Dual point: U = scale R / n with
scale = min(1, min_g l1_g / ||X_g^T R / n||_F) so that ||X_g^T U||_F <= l1_g for every group;
D(U) = <U, Y> - n/2 ||U||_F^2. Gap Safe rule (Ndiaye et al. 2017): a group with
||X_g^T U||_F + ||X_g||_2 sqrt(2 gap / n) < l1_g is zero at the optimum and leaves the problem.
Unpenalized groups (l1_g = 0) are handled as unpenalized features are in ``working_set``.
"""
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from numba_kernels.group_cd import group_cd_working_set
from sparseopt import design
from sparseopt.solvers.working_set import (ANDERSON_EVERY, CHECK_EVERY, INNER_TOL_FRACTION, SIZE_FRACTION,
                                           WorkingSetResult)


class Groups(NamedTuple):
    """Group g holds the features indices[ptr[g]:ptr[g + 1]]; ``lipschitz`` holds L_g = ||X_c_g||_2^2 / n."""

    indices: np.ndarray
    ptr: np.ndarray
    lipschitz: np.ndarray


def group_lipschitz(centered, group_indices, group_ptr):
    """L_g = ||X_c_g||_2^2 / n for every group: the squared column norm for one-feature groups, else the largest
    eigenvalue of the group's Gram matrix X_g^T X_g - n m_g m_g^T (the implicit centring of a CSC X)."""
    n = centered.n_samples
    column_norms = (design.column_sq_norms(centered.X) - n * centered.X_offset ** 2) / n
    sizes = np.diff(group_ptr)
    lipschitz = np.maximum(column_norms[group_indices[group_ptr[:-1]]], 0.0)
    for g in np.flatnonzero(sizes > 1):
        members = group_indices[group_ptr[g]:group_ptr[g + 1]]
        block = centered.X[:, members]
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        gram = block.T @ block - n * np.outer(centered.X_offset[members], centered.X_offset[members])
        lipschitz[g] = max(np.linalg.eigvalsh(gram)[-1], 0.0) / n
    return lipschitz


def _correlations(centered, residual_s, weighted_sum, columns):
    """(X_c^T R)[columns] as a (len(columns), T) array, from R_s^T (T, n) and S (T,)."""
    return np.column_stack([design.xt_dot(centered.X, residual_s[t], columns) - centered.X_offset[columns] * s_t
                            for t, s_t in enumerate(weighted_sum)])


def _group_norms(values, sizes):
    """||values_g||_F per group, for the rows of values (m, T) stored group after group with the given sizes."""
    return np.sqrt(np.add.reduceat(np.sum(values ** 2, axis=1), np.concatenate(([0], np.cumsum(sizes)[:-1]))))


def _violations(gradient, coef, coef_norms, l1, sizes):
    """dist(-G_g, l1_g d||W_g||_F) per group, rows stored group after group: ||G_g + l1_g W_g / ||W_g|| ||_F for a
    non-zero group, (||G_g||_F - l1_g)_+ for a zero one."""
    zero = coef_norms == 0
    direction = coef / np.repeat(np.where(zero, 1.0, coef_norms), sizes)[:, None]
    active = _group_norms(gradient + np.repeat(l1, sizes)[:, None] * direction, sizes)
    return np.where(zero, np.maximum(_group_norms(gradient, sizes) - l1, 0.0), active)


@design.solver_threads
def solve_group_least_squares(centered, Y, groups, group_l1, *, coef_init=None, max_iter=100, max_epochs=50_000,
                              tol=1e-4, initial_size=10, screening=True, verbose=False):
    """Minimise 1/(2n) ||Y - X_c W||_F^2 + sum_g l1_g ||W_g||_F by working-set block coordinate descent.

    ``centered`` comes from ``working_set.prepare_least_squares``; Y is (n,) or (n, T); ``groups`` a ``Groups``.
    Stops when the duality gap is at most tol * ||Y||_F^2 / n (and unpenalized groups have gradient at most
    tol ||X_c^T Y / n||_max). ``verbose`` prints one line per outer iteration.
    Warns ``ConvergenceWarning`` after max_iter outer iterations. Returns
    WorkingSetResult(coef (p,) or (p, T) like Y, n_iter, duality gap, converged).
    """
    Y = np.asarray(Y, dtype=np.float64)
    Y2 = Y.reshape(Y.shape[0], -1)
    n, n_tasks = Y2.shape
    n_features, n_groups = centered.X_offset.shape[0], groups.ptr.shape[0] - 1
    coef = np.zeros((n_features, n_tasks)) if coef_init is None else \
        np.array(coef_init, dtype=np.float64).reshape(n_features, n_tasks)
    Y_tasks = np.ascontiguousarray(Y2.T)  # (T, n): the kernel keeps the residual task by task
    residual_s = Y_tasks - np.vstack([design.x_dot(centered.X, coef[:, t]) for t in range(n_tasks)])
    weighted_sum = residual_s @ centered.row_scale
    gradient_scale = np.max(np.abs(_correlations(centered, Y_tasks, Y_tasks @ centered.row_scale,
                                                 np.arange(n_features)))) / n
    stop_tol = tol * np.sum(Y2 ** 2) / n
    group_l1 = np.asarray(group_l1, dtype=np.float64)
    unpenalized = group_l1 == 0
    screening = screening and not np.any(unpenalized)
    sizes = np.diff(groups.ptr)
    feature_group = np.repeat(np.arange(n_groups), sizes)  # group of groups.indices[k]
    block_norms = np.sqrt(n * groups.lipschitz)
    active = np.arange(n_groups)  # groups not discarded by the gap-safe rule
    gap = np.inf
    for n_iter in range(1, max_iter + 1):
        features = groups.indices[np.isin(feature_group, active, assume_unique=False)] if active.size < n_groups \
            else groups.indices
        active_sizes = sizes[active]
        correlations = _correlations(centered, residual_s, weighted_sum, features) / n
        correlation_norms = _group_norms(correlations, active_sizes)
        coef_norms = _group_norms(coef[features], active_sizes)
        l1 = group_l1[active]
        strict = l1 > 0
        scale = min(1.0, np.min(l1[strict] / np.maximum(correlation_norms[strict], 1e-300), initial=np.inf))
        residual = residual_s + np.outer(centered.X_offset @ coef, centered.row_scale)
        primal = 0.5 * np.sum(residual ** 2) / n + l1 @ coef_norms
        dual_point = scale * residual / n
        gap = primal - (np.sum(dual_point * Y_tasks) - 0.5 * n * np.sum(dual_point ** 2))
        scores = _violations(-correlations, coef[features], coef_norms, l1, active_sizes)
        zero = coef_norms == 0
        unpenalized_ok = np.max(correlation_norms[~strict], initial=0.0) <= tol * gradient_scale
        if verbose:
            print(f"outer iteration {n_iter}: duality gap {gap:.2e} (target {stop_tol:.2e}), {active.size} groups "
                  f"in the problem, {np.count_nonzero(coef_norms)} non-zero", flush=True)
        if gap <= stop_tol and unpenalized_ok:
            return WorkingSetResult(_shaped(coef, Y), n_iter, gap, True)
        if screening:
            discard = zero & (scale * correlation_norms + block_norms[active] * np.sqrt(2 * max(gap, 0.0) / n) < l1)
            active, scores, coef_norms = active[~discard], scores[~discard], coef_norms[~discard]
        inner_tol = max(INNER_TOL_FRACTION * np.max(scores, initial=0.0), 1e-13 * gradient_scale)
        support = coef_norms != 0
        size = min(active.size, max(initial_size, 2 * int(support.sum()), int(SIZE_FRACTION * n_groups)))
        if size == 0:
            continue
        scores[support] = np.inf
        working_groups = np.sort(active[np.argpartition(-scores, size - 1)[:size]]).astype(np.int64)
        group_cd_working_set(centered.data, centered.indices, centered.indptr, coef, residual_s, weighted_sum,
                             working_groups, groups.indices, groups.ptr, groups.lipschitz, group_l1,
                             centered.X_offset, n, max_epochs, inner_tol, ANDERSON_EVERY, CHECK_EVERY)
    from sklearn.exceptions import ConvergenceWarning

    warnings.warn(f"working-set block coordinate descent stopped at max_iter={max_iter} with duality gap "
                  f"{gap:.2e} > {stop_tol:.2e}; raise max_iter or tol", ConvergenceWarning, stacklevel=3)
    return WorkingSetResult(_shaped(coef, Y), max_iter, gap, False)


def _shaped(coef, Y):
    """W (p, T) as (p,) when Y was one-dimensional."""
    return coef[:, 0].copy() if Y.ndim == 1 else coef
