"""Compiled solvers for L0-penalized and cardinality-constrained least squares (Hazimeh & Mazumder 2020).

Problem (the design is that of ``numba_kernels.cd``: dense X as its Fortran ravel with empty index arrays, or
CSC X centred implicitly as X_c = X - d m^T, residual r_s = y_c - X w, S = d^T r_s, true residual r = r_s + d m^T w):

    F(w) = 1/(2n) ||r||^2 + sum_{j : w_j != 0} (lambda0 + lambda1 |w_j| + lambda2 w_j^2)

with ``kind`` L0 (lambda1 = lambda2 = 0), L0L1 (lambda2 = 0) or L0L2 (lambda1 = 0). With L_j = ||X_c_j||^2 / n and
c_j = X_c_j^T r / n + L_j w_j (the correlation of column j with the partial residual), F along coordinate j is,
up to a constant, phi_j(x) = (L_j + 2 lambda2)/2 x^2 - c_j x + lambda1 |x| + lambda0 1[x != 0]; its minimiser is
the shared thresholding rule of ``numba_kernels.prox`` at z = c_j / L_j, step 1 / L_j. A point is a
coordinate-wise (CW) minimum when no phi_j can be lowered: max_j phi_j(w_j) - min phi_j = 0.

- ``cd_solve``: cyclic CD over an active set (support plus the coordinates whose move lowers F most), with the
  exact refit of the support (least squares, or ridge with lambda2) after each active-set pass (not for L0L1), until
  the largest single-coordinate decrease is at most tol * F: a CW minimum.
- ``swap_search``: local combinatorial search (PSI(1), "CD + PSI"): for each i in the support, remove it, rank the
  inactive j by the decrease of adding them alone, and accept the first swap i -> j whose refitted objective is
  lower; CD then restarts from the swapped point. It stops when no single swap lowers F.
- ``normalized_iht``: normalized iterative hard thresholding (Blumensath & Davies 2010) for ||w||_0 <= k.
"""
import math

import numpy as np
from numba import njit

from numba_kernels.cd import _column_axpy, _column_dot, _objective
from numba_kernels.l0_exchange import centered_columns, exchange_search
from numba_kernels.prox import l0l1_threshold, l0l2_threshold, soft_threshold

L0, L0L1, L0L2 = 0, 1, 2
_NO_COLUMNS = np.zeros(0, dtype=np.int64)


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"})
def centered_scaled_columns(X, shares, row_scale, fit_intercept):
    """X_c = diag(d) (X - 1 m^T) as a new Fortran array, with m_j = sum_i s_i X_ij (shares s summing to 1; m = 0
    without intercept) and L_j = ||X_c_j||^2 / n, reading each column of the dense Fortran X once (while it is
    in cache). Returns (X_c, m, L)."""
    n_samples, n_features = X.shape
    out = np.empty((n_features, n_samples), dtype=X.dtype).T
    means = np.zeros(n_features)
    lipschitz = np.empty(n_features)
    for j in range(n_features):
        column = X[:, j]
        mean = 0.0
        if fit_intercept:
            for i in range(n_samples):
                mean += shares[i] * column[i]
        total = 0.0
        for i in range(n_samples):
            value = row_scale[i] * (column[i] - mean)
            out[i, j] = value
            total += value * value
        means[j] = mean
        lipschitz[j] = total / n_samples
    return out, means, lipschitz


@njit(cache=True)
def coordinate_threshold(z, step, lambda0, lambda1, lambda2, kind):
    """argmin_x 1/2 (x - z)^2 + step (lambda0 1[x != 0] + lambda1 |x| + lambda2 x^2) for the penalty ``kind``
    (L0 is L0L2 with lambda2 = 0)."""
    if kind == L0L1:
        return l0l1_threshold(z, step, lambda0, lambda1)
    return l0l2_threshold(z, step, lambda0, lambda2)


@njit(cache=True)
def penalty_value(w, lambda0, lambda1, lambda2):
    """sum over w_j != 0 of lambda0 + lambda1 |w_j| + lambda2 w_j^2."""
    total = 0.0
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            total += lambda0 + lambda1 * abs(w[j]) + lambda2 * w[j] * w[j]
    return total


@njit(cache=True)
def least_squares_objective(residual, weighted_sum, X_offset, w, n_samples, lambda0, lambda1, lambda2):
    """F(w) = 1/(2n) ||r||^2 + penalty, from r_s and S (see the module docstring)."""
    loss = _objective(residual, weighted_sum, X_offset, w, _NO_COLUMNS, X_offset, X_offset, n_samples)
    return loss + penalty_value(w, lambda0, lambda1, lambda2)


@njit(cache=True)
def _correlation(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum):
    """X_c_j^T r / n = (X_j^T r_s - m_j S) / n."""
    return (_column_dot(X_data, X_indices, X_indptr, n_samples, j, residual) - X_offset[j] * weighted_sum) / n_samples


@njit(cache=True)
def _phi(x, curvature, c, lambda0, lambda1):
    """phi(x) = curvature/2 x^2 - c x + lambda1 |x| + lambda0 1[x != 0] (curvature = L_j + 2 lambda2)."""
    if x == 0.0:
        return 0.0
    return 0.5 * curvature * x * x - c * x + lambda1 * abs(x) + lambda0


@njit(cache=True)
def coordinate_decreases(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual, weighted_sum, lipschitz,
                         lambda0, lambda1, lambda2, max_support):
    """phi_j(w_j) - min_x phi_j(x) for every j: how much F drops by the best move of coordinate j alone.

    A zero coordinate may not enter when the support already has ``max_support`` features (its decrease is 0).
    All zeros means a coordinate-wise minimum.
    """
    n_features = w.shape[0]
    support_size = 0
    for j in range(n_features):
        if w[j] != 0.0:
            support_size += 1
    decreases = np.zeros(n_features)
    for j in range(n_features):
        if lipschitz[j] == 0.0 or (w[j] == 0.0 and support_size >= max_support):
            continue
        curvature = lipschitz[j] + 2.0 * lambda2
        c = _correlation(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum)
        c += lipschitz[j] * w[j]
        best = soft_threshold(c, lambda1) / curvature
        lowest = min(0.0, _phi(best, curvature, c, lambda0, lambda1))
        decreases[j] = max(_phi(w[j], curvature, c, lambda0, lambda1) - lowest, 0.0)
    return decreases


@njit(cache=True)
def cd_epochs(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual, weighted_sum, working_set, lipschitz,
              lambda0, lambda1, lambda2, kind, max_support, max_epochs, tol):
    """Cyclic CD with the exact thresholding rule over ``working_set`` until an epoch lowers F by at most
    tol * F. Updates w, r_s in place; returns (S, epochs run)."""
    support_size = 0
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            support_size += 1
    objective = least_squares_objective(residual, weighted_sum, X_offset, w, n_samples, lambda0, lambda1, lambda2)
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        for j in working_set:
            if lipschitz[j] == 0.0 or (w[j] == 0.0 and support_size >= max_support):
                continue
            c = _correlation(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum)
            new = coordinate_threshold(w[j] + c / lipschitz[j], 1.0 / lipschitz[j], lambda0, lambda1, lambda2, kind)
            delta = new - w[j]
            if delta != 0.0:
                _column_axpy(X_data, X_indices, X_indptr, n_samples, j, -delta, residual)
                weighted_sum -= delta * n_samples * X_offset[j]
                support_size += int(new != 0.0) - int(w[j] != 0.0)
                w[j] = new
        new_objective = least_squares_objective(residual, weighted_sum, X_offset, w, n_samples, lambda0, lambda1,
                                                lambda2)
        if objective - new_objective <= tol * abs(new_objective):
            break
        objective = new_objective
    return weighted_sum, epoch


@njit(cache=True)
def refit_support(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, support, lambda2):
    """argmin_beta 1/(2n) ||y - X_c,S beta||^2 + lambda2 ||beta||^2 on the columns ``support``: the solution of
    (X_S^T X_S / n + 2 lambda2 I) beta = X_S^T y / n (least squares by lstsq when that matrix is singular)."""
    block = centered_columns(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, support)
    gram = block.T @ block / n_samples
    for k in range(support.shape[0]):
        gram[k, k] += 2.0 * lambda2
    target = block.T @ y / n_samples
    try:
        beta = np.linalg.solve(gram, target)
        if np.all(np.isfinite(beta)):
            return beta
    except Exception:  # singular Gram matrix (collinear columns)
        pass
    return np.linalg.lstsq(block, y)[0]


@njit(cache=True)
def reset_residual(X_data, X_indices, X_indptr, n_samples, y, w, row_scale, residual):
    """r_s = y - X w in place (non-zero columns only); returns S = d^T r_s."""
    residual[:] = y
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            _column_axpy(X_data, X_indices, X_indptr, n_samples, j, -w[j], residual)
    return row_scale @ residual


@njit(cache=True)
def _support_of(w):
    return np.flatnonzero(w != 0.0).astype(np.int64)


@njit(cache=True)
def _refit_in_place(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual, lambda2):
    """Replace w on its support by the exact (ridge) least-squares fit; update r_s; return S."""
    support = _support_of(w)
    if support.shape[0] > 0:
        beta = refit_support(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, support, lambda2)
        for k in range(support.shape[0]):
            w[support[k]] = beta[k]
    return reset_residual(X_data, X_indices, X_indptr, n_samples, y, w, row_scale, residual)


@njit(cache=True)
def cd_solve(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual, weighted_sum, lipschitz,
             lambda0, lambda1, lambda2, kind, max_support, screen_size, max_iter, max_epochs, tol):
    """Active-set CD to a coordinate-wise minimum (see the module docstring).

    The starting point is first refitted on its support (L0, L0L2). Each pass: compute every coordinate's best
    decrease; stop if the largest is at most tol * F; else run CD
    epochs over the support plus the ``screen_size`` coordinates with the largest decreases, then refit the
    support exactly (L0, L0L2). Returns (S, passes run, largest decrease at the end, converged).
    """
    largest = np.inf
    if kind != L0L1:  # a warm start is refitted first: this never raises F
        weighted_sum = _refit_in_place(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual,
                                       lambda2)
    for iteration in range(1, max_iter + 1):
        decreases = coordinate_decreases(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual,
                                         weighted_sum, lipschitz, lambda0, lambda1, lambda2, max_support)
        largest = decreases.max() if decreases.shape[0] > 0 else 0.0
        objective = least_squares_objective(residual, weighted_sum, X_offset, w, n_samples, lambda0, lambda1,
                                            lambda2)
        if largest <= tol * max(objective, 1e-300):
            return weighted_sum, iteration, largest, True
        order = np.argsort(-decreases)
        chosen = np.zeros(w.shape[0], dtype=np.bool_)
        for k in range(min(screen_size, w.shape[0])):
            if decreases[order[k]] > 0.0:
                chosen[order[k]] = True
        for j in range(w.shape[0]):
            if w[j] != 0.0:
                chosen[j] = True
        working_set = np.flatnonzero(chosen).astype(np.int64)
        weighted_sum, _ = cd_epochs(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual, weighted_sum,
                                    working_set, lipschitz, lambda0, lambda1, lambda2, kind, max_support,
                                    max_epochs, tol)
        if kind != L0L1:
            weighted_sum = _refit_in_place(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w,
                                           residual, lambda2)
    return weighted_sum, max_iter, largest, False


@njit(cache=True)
def _entry_gains(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual, weighted_sum, lipschitz, lambda1,
                 lambda2):
    """For every zero coordinate j, (|c_j| - lambda1)_+^2 / (2 (L_j + 2 lambda2)), the drop of the loss and its
    lambda1, lambda2 terms when j enters alone at its best value (-1 on the support and for empty columns)."""
    gains = np.full(w.shape[0], -1.0)
    for j in range(w.shape[0]):
        if w[j] == 0.0 and lipschitz[j] > 0.0:
            excess = max(abs(_correlation(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset,
                                          weighted_sum)) - lambda1, 0.0)
            gains[j] = excess * excess / (2.0 * (lipschitz[j] + 2.0 * lambda2))
    return gains


@njit(cache=True)
def _best_l0l1_swap(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual, weighted_sum, lipschitz,
                    lambda0, lambda1, n_candidates):
    """L0L1 swaps without refit (Hazimeh & Mazumder 2020): for each i of the support (smallest |w_i| first),
    remove it and give the ``n_candidates`` inactive j with the largest entry gains their 1-D optimal value; the
    first swap that lowers F by more than 1e-10 F is made. Returns (S, whether a swap was made)."""
    objective = least_squares_objective(residual, weighted_sum, X_offset, w, n_samples, lambda0, lambda1, 0.0)
    margin = 1e-10 * max(abs(objective), 1e-300)
    support = _support_of(w)
    for position in np.argsort(np.abs(w[support])):
        i = support[position]
        removed = w[i]
        trial_residual = residual.copy()
        _column_axpy(X_data, X_indices, X_indptr, n_samples, i, removed, trial_residual)
        trial_sum = weighted_sum + removed * n_samples * X_offset[i]
        w[i] = 0.0
        gains = _entry_gains(X_data, X_indices, X_indptr, n_samples, X_offset, w, trial_residual, trial_sum,
                             lipschitz, lambda1, 0.0)
        gains[i] = -1.0
        ranked = np.argsort(-gains)
        for k in range(min(n_candidates, ranked.shape[0])):
            j = ranked[k]
            if gains[j] <= 0.0:
                break
            c = _correlation(X_data, X_indices, X_indptr, n_samples, j, trial_residual, X_offset, trial_sum)
            w[j] = soft_threshold(c, lambda1) / lipschitz[j]
            new_residual = trial_residual.copy()
            _column_axpy(X_data, X_indices, X_indptr, n_samples, j, -w[j], new_residual)
            new_sum = trial_sum - w[j] * n_samples * X_offset[j]
            value = least_squares_objective(new_residual, new_sum, X_offset, w, n_samples, lambda0, lambda1, 0.0)
            if value < objective - margin:
                residual[:] = new_residual
                return new_sum, True
            w[j] = 0.0
        w[i] = removed
    return weighted_sum, False


@njit(cache=True)
def swap_search(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual, weighted_sum,
                lipschitz, lambda0, lambda1, lambda2, kind, max_support, screen_size, max_iter, max_epochs, tol,
                max_swaps, n_candidates, max_exchange):
    """CD + PSI: ``cd_solve``, then local moves, until none lowers F or ``max_swaps`` were made.

    L0, L0L2: ``numba_kernels.l0_exchange.exchange_search`` (exact refits, every move valued in closed form) from
    the CD point, then ``cd_solve`` again as a certificate; if CD changes the support, the search resumes.
    L0L1: single swaps without refit (``_best_l0l1_swap``), each followed by ``cd_solve``.
    Returns (S, swaps made, CD passes in all, largest decrease, converged)."""
    weighted_sum, passes, largest, converged = cd_solve(
        X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual, weighted_sum, lipschitz,
        lambda0, lambda1, lambda2, kind, max_support, screen_size, max_iter, max_epochs, tol)
    swaps = 0
    while swaps < max_swaps:
        if kind == L0L1:
            weighted_sum, swapped = _best_l0l1_swap(X_data, X_indices, X_indptr, n_samples, X_offset, w, residual,
                                                    weighted_sum, lipschitz, lambda0, lambda1, n_candidates)
            moves = int(swapped)
        else:
            moves, _ = exchange_search(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, lipschitz, w,
                                       lambda0, lambda2, max_support, n_candidates, max_exchange, max_swaps - swaps)
            weighted_sum = reset_residual(X_data, X_indices, X_indptr, n_samples, y, w, row_scale, residual)
        if moves == 0:
            break
        swaps += moves
        before = w != 0.0
        weighted_sum, more, largest, converged = cd_solve(
            X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual, weighted_sum, lipschitz,
            lambda0, lambda1, lambda2, kind, max_support, screen_size, max_iter, max_epochs, tol)
        passes += more
        if kind != L0L1 and np.array_equal(before, w != 0.0):
            break  # CD certified the exchange search's end point
    return weighted_sum, swaps, passes, largest, converged


@njit(cache=True)
def _keep_largest(v, k):
    """H_k(v): v with all but its k largest |entries| set to 0 (ties: lower index first)."""
    out = np.zeros_like(v)
    order = np.argsort(-np.abs(v), kind="mergesort")
    for position in range(min(k, v.shape[0])):
        out[order[position]] = v[order[position]]
    return out


@njit(cache=True)
def _correlations(X_data, X_indices, X_indptr, n_samples, X_offset, residual, weighted_sum, n_features):
    """X_c^T r / n for every column."""
    out = np.empty(n_features)
    for j in range(n_features):
        out[j] = _correlation(X_data, X_indices, X_indptr, n_samples, j, residual, X_offset, weighted_sum)
    return out


@njit(cache=True)
def _image_norm_sq(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, v):
    """||X_c v||^2 / n."""
    image = np.zeros(n_samples)
    offset_dot = 0.0
    for j in range(v.shape[0]):
        if v[j] != 0.0:
            _column_axpy(X_data, X_indices, X_indptr, n_samples, j, v[j], image)
            offset_dot += X_offset[j] * v[j]
    image -= row_scale * offset_dot
    return image @ image / n_samples


@njit(cache=True)
def normalized_iht(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, w, residual, weighted_sum,
                   n_nonzero, max_iter, tol):
    """Normalized IHT for min 1/(2n) ||y - X_c w||^2 s.t. ||w||_0 <= k (Blumensath & Davies 2010):

    g = X_c^T r / n, Gamma = supp(w) (the k largest |g| at w = 0), mu = ||g_Gamma||^2 / (||X_c g_Gamma||^2 / n),
    w+ = H_k(w + mu g); if the support changes and mu > omega = (1 - c) ||w+ - w||^2 / (||X_c (w+ - w)||^2 / n),
    mu is divided by kappa (1 - c) and the step redone (c = 0.01, kappa = 2). Stops when the support is stable
    and ||w+ - w|| <= tol ||w+||. Returns (S, iterations run).
    """
    n_features = w.shape[0]
    iteration = 0
    for iteration in range(1, max_iter + 1):
        gradient = _correlations(X_data, X_indices, X_indptr, n_samples, X_offset, residual, weighted_sum,
                                 n_features)
        support = w != 0.0
        if not support.any():
            support = _keep_largest(gradient, n_nonzero) != 0.0
        restricted = np.where(support, gradient, 0.0)
        curvature = _image_norm_sq(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, restricted)
        if curvature == 0.0:
            break
        mu = (restricted @ restricted) / curvature
        while True:
            new = _keep_largest(w + mu * gradient, n_nonzero)
            step = new - w
            if np.array_equal(new != 0.0, w != 0.0):
                break
            step_curvature = _image_norm_sq(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, step)
            if step_curvature == 0.0 or mu <= 0.99 * (step @ step) / step_curvature:
                break
            mu /= 2.0 * 0.99
        same_support = np.array_equal(new != 0.0, w != 0.0)
        w[:] = new
        weighted_sum = reset_residual(X_data, X_indices, X_indptr, n_samples, y, w, row_scale, residual)
        if same_support and math.sqrt(step @ step) <= tol * math.sqrt(new @ new):
            break
    return weighted_sum, iteration


# ---- classification: mean loss sum_i s_i l(y_i, x_i^T w + b), y_i in {-1, 1}, s the normalised sample weights ----

LOGISTIC, SQUARED_HINGE = 0, 1


@njit(cache=True)
def loss_value(margin, loss):
    """l at the margin t = y (x^T w + b): logistic log(1 + e^-t), squared hinge max(0, 1 - t)^2."""
    if loss == LOGISTIC:
        return max(-margin, 0.0) + math.log1p(math.exp(-abs(margin)))
    return max(1.0 - margin, 0.0) ** 2


@njit(cache=True)
def loss_slope(margin, loss):
    """dl/dt at the margin t: logistic -1 / (1 + e^t), squared hinge -2 max(0, 1 - t)."""
    if loss == LOGISTIC:
        if margin >= 0.0:
            decay = math.exp(-margin)
            return -decay / (1.0 + decay)
        return -1.0 / (1.0 + math.exp(margin))
    return -2.0 * max(1.0 - margin, 0.0)


@njit(cache=True)
def classification_objective(linear, y, shares, loss, w, lambda0, lambda1, lambda2):
    """sum_i s_i l(y_i eta_i) + penalty, eta = X w + b."""
    total = 0.0
    for i in range(y.shape[0]):
        total += shares[i] * loss_value(y[i] * linear[i], loss)
    return total + penalty_value(w, lambda0, lambda1, lambda2)


@njit(cache=True)
def _slopes(linear, y, shares, loss):
    """d/d eta_i of the datafit: s_i y_i l'(y_i eta_i)."""
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        out[i] = shares[i] * y[i] * loss_slope(y[i] * linear[i], loss)
    return out


@njit(cache=True)
def _column_gradient(X_data, X_indices, X_indptr, n_samples, j, linear, y, shares, loss):
    """d/dw_j of the datafit: sum_i s_i y_i l'(y_i eta_i) X_ij, over the stored entries of column j."""
    total = 0.0
    if X_indptr.shape[0] == 0:
        start = j * n_samples
        for i in range(n_samples):
            value = X_data[start + i]
            if value != 0.0:
                total += value * shares[i] * y[i] * loss_slope(y[i] * linear[i], loss)
    else:
        for k in range(X_indptr[j], X_indptr[j + 1]):
            i = X_indices[k]
            total += X_data[k] * shares[i] * y[i] * loss_slope(y[i] * linear[i], loss)
    return total


@njit(cache=True)
def _surrogate_move(w_j, gradient_j, lipschitz_j, lambda0, lambda1, lambda2, kind):
    """The thresholded gradient step on coordinate j and the drop of the quadratic upper bound
    g (x - w_j) + L_j/2 (x - w_j)^2 + penalty(x) it achieves (0 at a fixed point)."""
    new = coordinate_threshold(w_j - gradient_j / lipschitz_j, 1.0 / lipschitz_j, lambda0, lambda1, lambda2, kind)
    before = 0.0 if w_j == 0.0 else lambda0 + lambda1 * abs(w_j) + lambda2 * w_j * w_j
    step = new - w_j
    after = gradient_j * step + 0.5 * lipschitz_j * step * step
    if new != 0.0:
        after += lambda0 + lambda1 * abs(new) + lambda2 * new * new
    return new, max(before - after, 0.0)


@njit(cache=True)
def _intercept_step(linear, y, shares, loss, curvature):
    """Gradient step 1 / curvature on b (curvature bounds l''); eta is updated in place. Returns the step."""
    step = -_slopes(linear, y, shares, loss).sum() / curvature
    linear += step
    return step


@njit(cache=True)
def classification_cd(X_data, X_indices, X_indptr, n_samples, y, shares, w, intercept, linear, lipschitz, loss,
                      curvature, lambda0, lambda1, lambda2, kind, fit_intercept, max_support, screen_size, max_iter,
                      max_epochs, tol):
    """Active-set CD for the classification objective: each coordinate takes the thresholded gradient step with
    its curvature bound L_j = curvature sum_i s_i X_ij^2 (exact minimiser of the quadratic upper bound plus
    penalty), the intercept a gradient step 1 / curvature. Stops when no coordinate's (or the intercept's) step
    lowers the bound by more than tol * F (a fixed point of the thresholded steps, up to tol).
    w, linear (= X w + b) are updated in place; returns (b, passes, largest drop, converged)."""
    n_features = w.shape[0]
    largest = np.inf
    for iteration in range(1, max_iter + 1):
        support_size = 0
        for j in range(n_features):
            support_size += int(w[j] != 0.0)
        drops = np.zeros(n_features)
        for j in range(n_features):
            if lipschitz[j] == 0.0 or (w[j] == 0.0 and support_size >= max_support):
                continue
            gradient_j = _column_gradient(X_data, X_indices, X_indptr, n_samples, j, linear, y, shares, loss)
            drops[j] = _surrogate_move(w[j], gradient_j, lipschitz[j], lambda0, lambda1, lambda2, kind)[1]
        largest = drops.max() if n_features > 0 else 0.0
        if fit_intercept:  # the drop of the intercept's gradient step on its quadratic bound
            largest = max(largest, _slopes(linear, y, shares, loss).sum() ** 2 / (2.0 * curvature))
        objective = classification_objective(linear, y, shares, loss, w, lambda0, lambda1, lambda2)
        if largest <= tol * max(objective, 1e-300):
            return intercept, iteration, largest, True
        order = np.argsort(-drops)
        chosen = w != 0.0
        for k in range(min(screen_size, n_features)):
            if drops[order[k]] > 0.0:
                chosen[order[k]] = True
        working_set = np.flatnonzero(chosen)
        for epoch in range(max_epochs):
            for j in working_set:
                if w[j] == 0.0 and support_size >= max_support:
                    continue
                gradient_j = _column_gradient(X_data, X_indices, X_indptr, n_samples, j, linear, y, shares, loss)
                new = _surrogate_move(w[j], gradient_j, lipschitz[j], lambda0, lambda1, lambda2, kind)[0]
                if new != w[j]:
                    _column_axpy(X_data, X_indices, X_indptr, n_samples, j, new - w[j], linear)
                    support_size += int(new != 0.0) - int(w[j] != 0.0)
                    w[j] = new
            if fit_intercept:
                intercept += _intercept_step(linear, y, shares, loss, curvature)
            new_objective = classification_objective(linear, y, shares, loss, w, lambda0, lambda1, lambda2)
            if objective - new_objective <= tol * abs(new_objective):
                break
            objective = new_objective
    return intercept, max_iter, largest, False


@njit(cache=True)
def _classification_swap(X_data, X_indices, X_indptr, n_samples, y, shares, w, intercept, linear, lipschitz, loss,
                         curvature, lambda0, lambda1, lambda2, kind, fit_intercept, n_candidates):
    """First improving single swap (Dedieu, Hazimeh & Mazumder 2021): for each i of the support (smallest |w_i|
    first), remove it, take the ``n_candidates`` inactive j with the largest |gradient|, give w_j 10 thresholded
    gradient steps without the lambda0 term (the support size does not change), and keep the swap if F drops
    by more than 1e-10 F. Returns (b, whether a swap was made)."""
    objective = classification_objective(linear, y, shares, loss, w, lambda0, lambda1, lambda2)
    support = _support_of(w)
    for position in np.argsort(np.abs(w[support])):
        i = support[position]
        trial = w.copy()
        trial_linear = linear.copy()
        _column_axpy(X_data, X_indices, X_indptr, n_samples, i, -w[i], trial_linear)
        trial[i] = 0.0
        scores = np.full(w.shape[0], -1.0)
        for j in range(w.shape[0]):
            if trial[j] == 0.0 and j != i and lipschitz[j] > 0.0:
                scores[j] = abs(_column_gradient(X_data, X_indices, X_indptr, n_samples, j, trial_linear, y, shares,
                                                 loss)) - lambda1
        ranked = np.argsort(-scores)
        for k in range(min(n_candidates, ranked.shape[0])):
            j = ranked[k]
            if scores[j] <= 0.0:
                break
            candidate_linear = trial_linear.copy()
            value = 0.0
            for _ in range(10):
                gradient_j = _column_gradient(X_data, X_indices, X_indptr, n_samples, j, candidate_linear, y, shares,
                                              loss)
                new = coordinate_threshold(value - gradient_j / lipschitz[j], 1.0 / lipschitz[j], 0.0, lambda1,
                                           lambda2, kind)
                _column_axpy(X_data, X_indices, X_indptr, n_samples, j, new - value, candidate_linear)
                value = new
            if value == 0.0:
                continue
            trial[j] = value
            if classification_objective(candidate_linear, y, shares, loss, trial, lambda0, lambda1,
                                        lambda2) < objective - 1e-10 * abs(objective):
                w[:] = trial
                linear[:] = candidate_linear
                return intercept, True
            trial[j] = 0.0
    return intercept, False


@njit(cache=True)
def classification_swap_search(X_data, X_indices, X_indptr, n_samples, y, shares, w, intercept, linear, lipschitz,
                               loss, curvature, lambda0, lambda1, lambda2, kind, fit_intercept, max_support,
                               screen_size, max_iter, max_epochs, tol, max_swaps, n_candidates):
    """``classification_cd``, then single swaps each followed by CD, until no swap lowers F or max_swaps were
    made. Returns (b, swaps, passes, largest drop, converged)."""
    intercept, passes, largest, converged = classification_cd(
        X_data, X_indices, X_indptr, n_samples, y, shares, w, intercept, linear, lipschitz, loss, curvature,
        lambda0, lambda1, lambda2, kind, fit_intercept, max_support, screen_size, max_iter, max_epochs, tol)
    swaps = 0
    while swaps < max_swaps:
        intercept, swapped = _classification_swap(X_data, X_indices, X_indptr, n_samples, y, shares, w, intercept,
                                                   linear, lipschitz, loss, curvature, lambda0, lambda1, lambda2,
                                                   kind, fit_intercept, n_candidates)
        if not swapped:
            break
        swaps += 1
        intercept, more, largest, converged = classification_cd(
            X_data, X_indices, X_indptr, n_samples, y, shares, w, intercept, linear, lipschitz, loss, curvature,
            lambda0, lambda1, lambda2, kind, fit_intercept, max_support, screen_size, max_iter, max_epochs, tol)
        passes += more
    return intercept, swaps, passes, largest, converged


# ---- hard-concrete gates (Louizos, Welling & Kingma 2018) ----

@njit(cache=True)
def _sigmoid(t):
    if t >= 0.0:
        return 1.0 / (1.0 + math.exp(-t))
    decay = math.exp(t)
    return decay / (1.0 + decay)


@njit(cache=True)
def hard_concrete_gates(log_alpha, uniforms, beta, gamma, zeta):
    """z_j = min(1, max(0, s_j (zeta - gamma) + gamma)), s_j = sigmoid((log u_j - log(1 - u_j) + log alpha_j) / beta):
    one hard-concrete draw per gate from the uniforms u in (0, 1)."""
    gates = np.empty_like(log_alpha)
    for j in range(log_alpha.shape[0]):
        u = uniforms[j]
        s = _sigmoid((math.log(u) - math.log(1.0 - u) + log_alpha[j]) / beta)
        gates[j] = min(1.0, max(0.0, s * (zeta - gamma) + gamma))
    return gates


@njit(cache=True)
def gate_nonzero_probability(log_alpha, beta, gamma, zeta):
    """P(z_j != 0) = sigmoid(log alpha_j - beta log(-gamma / zeta)), whose sum is the expected L0 norm."""
    out = np.empty_like(log_alpha)
    shift = beta * math.log(-gamma / zeta)
    for j in range(log_alpha.shape[0]):
        out[j] = _sigmoid(log_alpha[j] - shift)
    return out


@njit(cache=True)
def _adam_update(parameter, gradient, first, second, learning_rate, step):
    """One Adam step (Kingma & Ba 2015; beta1 0.9, beta2 0.999, eps 1e-8) on the 1-D arrays, in place."""
    for j in range(parameter.shape[0]):
        first[j] = 0.9 * first[j] + 0.1 * gradient[j]
        second[j] = 0.999 * second[j] + 0.001 * gradient[j] * gradient[j]
        unbiased_first = first[j] / (1.0 - 0.9 ** step)
        unbiased_second = second[j] / (1.0 - 0.999 ** step)
        parameter[j] -= learning_rate * unbiased_first / (math.sqrt(unbiased_second) + 1e-8)


@njit(cache=True)
def hard_concrete_epoch(X, y, loss, weights, log_alpha, intercept, moments, step, order, batch_size, lambda0,
                        lambda2, learning_rate, fit_intercept, beta, gamma, zeta, seed):
    """One epoch of Adam on minibatches (rows ``order`` cut into batches) for

        E_z [ mean_i l_i(x_i^T (w * z) + b) ] + lambda0 sum_j P(z_j != 0) + lambda2 / 2 sum_j P(z_j != 0) w_j^2,

    with one hard-concrete draw of z per minibatch (reparametrized: dz/dlog alpha = 1[0 < s_bar < 1]
    (zeta - gamma) s (1 - s) / beta). l is 1/2 (y - eta)^2 (``loss`` < 0) or ``LOGISTIC`` with y in {-1, 1}.
    ``intercept`` is a length-1 array; ``moments`` (6, p + 1) holds Adam's first and second moments of w, log
    alpha and b. Updates in place; returns (the Adam step count, the mean minibatch objective)."""
    n_samples, n_features = X.shape
    np.random.seed(seed)
    shift = beta * math.log(-gamma / zeta)
    total = 0.0
    n_batches = 0
    for start in range(0, n_samples, batch_size):
        rows = order[start:start + batch_size]
        size = rows.shape[0]
        uniforms = np.random.uniform(1e-6, 1.0 - 1e-6, n_features)
        stretched = np.empty(n_features)
        slope = np.empty(n_features)
        gates = np.empty(n_features)
        for j in range(n_features):
            u = uniforms[j]
            s = _sigmoid((math.log(u) - math.log(1.0 - u) + log_alpha[j]) / beta)
            stretched[j] = s * (zeta - gamma) + gamma
            gates[j] = min(1.0, max(0.0, stretched[j]))
            slope[j] = (zeta - gamma) * s * (1.0 - s) / beta if 0.0 < stretched[j] < 1.0 else 0.0
        effective = weights * gates
        theta_gradient = np.zeros(n_features)
        intercept_gradient = 0.0
        for i in rows:
            eta = intercept[0]
            for j in range(n_features):
                eta += X[i, j] * effective[j]
            if loss == LOGISTIC:
                total += loss_value(y[i] * eta, LOGISTIC) / size
                derivative = y[i] * loss_slope(y[i] * eta, LOGISTIC) / size
            else:
                total += 0.5 * (eta - y[i]) ** 2 / size
                derivative = (eta - y[i]) / size
            intercept_gradient += derivative
            for j in range(n_features):
                theta_gradient[j] += X[i, j] * derivative
        probability = np.empty(n_features)
        for j in range(n_features):
            probability[j] = _sigmoid(log_alpha[j] - shift)
        weight_gradient = theta_gradient * gates + lambda2 * probability * weights
        spread = probability * (1.0 - probability)
        alpha_gradient = theta_gradient * weights * slope + (lambda0 + 0.5 * lambda2 * weights * weights) * spread
        total += lambda0 * probability.sum() + 0.5 * lambda2 * (probability * weights * weights).sum()
        step += 1
        _adam_update(weights, weight_gradient, moments[0], moments[1], learning_rate, step)
        _adam_update(log_alpha, alpha_gradient, moments[2], moments[3], learning_rate, step)
        for j in range(n_features):
            log_alpha[j] = min(10.0, max(-10.0, log_alpha[j]))
        if fit_intercept:
            _adam_update(intercept, np.array([intercept_gradient]), moments[4], moments[5], learning_rate, step)
        n_batches += 1
    return step, total / max(n_batches, 1)
