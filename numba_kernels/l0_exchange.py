"""Exchange (swap) search for L0 / L0L2 least squares with every move valued in closed form, and the best-subset
path over k built on it.

Data as in ``numba_kernels.cd``: dense X as its Fortran ravel (empty index arrays) or CSC X centred implicitly,
X_c = X - d m^T; y is the centred target; L_j = ||X_c_j||^2 / n. For a support S (|S| = s) the refitted objective is

    F(S) = min_beta 1/(2n) ||y - X_S beta||^2 + lambda2 ||beta||^2 + lambda0 s
         = ||y||^2 / (2n) - t_S^T G^{-1} t_S / 2 + lambda0 s,   G = X_S^T X_S / n + 2 lambda2 I,  t = X_c^T y / n.

The state of a support (exact; an added feature borders R and V in O(p s), a removed one is cut out of R
by Givens rotations that also rotate V, in O(p s); one X_c^T B product per move for the entering columns):
    K[j, a] = X_c_j^T X_c_{S_a} / n     the Gram columns of the support (p x s)
    G = R^T R                           Cholesky; z = R^{-T} t_S, beta = R^{-1} z, loss = ||y||^2/(2n) - ||z||^2/2
    V[j] = R^{-T} K[j]                  so d_j = L_j + 2 lambda2 - ||V[j]||^2 = ||P_S^perp X_c_j||^2 / n + 2 lambda2
    c_j = t_j - K[j]^T beta             = X_c_j^T r / n, r = y - X_S beta
    H = G^{-1} = R^{-1} R^{-T};  M[:, j] = H K[j] = R^{-1} V[j]  (the regression of X_c_j on X_S), pool columns only

Move values (Schur complements of the bordered Gram matrix; lambda0 adds lambda0 (|A| - |R|)):
    add j:           loss drops by c_j^2 / (2 d_j)
    drop i:          loss rises by beta_i^2 / (2 H_ii)
    drop R, add A:   with E = (H_RR)^{-1}, u = E beta_R,
                     c'_A = c_A + M_RA^T u,  D' = D_AA + M_RA^T E M_RA,  D_ab = X_c_a^T X_c_b / n + 2 lambda2 [a = b]
                     - V[a]^T V[b],
                     loss change = beta_R^T u / 2 - c'_A^T D'^{-1} c'_A / 2
(removing i moves the residual by beta_i z_i, z_i = P_{S - i}^perp X_i, with X_j^T z_i / n = M_ij / H_ii and
||z_i||^2 / n = 1 / H_ii, which gives c' and D'; several removals are the block version.)

``exchange_search`` makes the best move among all single ones (adds over every feature, drops over the support,
swaps between the support and a pool of the ``n_candidates`` features with the largest add value), and only when
none improves, the best exchange of up to two features (pairs among the 10 cheapest removals and the 10 best
candidates); it stops when no move lowers F by more than 1e-10 F. The end point is the least-squares (ridge) fit on
its support, and no single add, drop or swap in the pool improves it: in particular a coordinate-wise minimum.
Pair moves are valued from terms computed once per removal set (``_removal_terms``, ``_addition_change``); a
removal set is skipped when even adding all 10 candidates after it (``_joint_drop``, a bound) would not beat the
best move, and at lambda0 = 0 moves that add fewer features than they remove are skipped (dominated).

Passes over X, the cost that matters at large p: one for t, and one per move whose entering features are not
cached. The Gram columns of features that leave the support are kept, and each pass also computes the column of the
best candidate not at hand (``_grow``), so that a feature re-entering, or the next add, often costs no pass.
"""
import numpy as np
from numba import njit

from numba_kernels.cd import _column_axpy, _column_dot

MOVE_TOL = 1e-10  # a move is made when it lowers F by more than MOVE_TOL * F
PIVOT_TOL = 1e-10  # a feature whose residual norm d_j is below PIVOT_TOL (L_j + 2 lambda2) counts as collinear
PAIR_REMOVALS = 10  # pair removals are drawn from this many support features (the cheapest to drop)
PAIR_ADDITIONS = 10  # pair additions are drawn from this many pool candidates (the best to add)
CACHE_ENTRIES = 2 ** 22  # cached Gram columns (of removed or prefetched features) hold at most this many numbers


@njit(cache=True)
def centered_columns(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, columns):
    """The dense (n, len(columns)) block of X_c = X - d m^T."""
    block = np.zeros((n_samples, columns.shape[0]))
    for k in range(columns.shape[0]):
        j = columns[k]
        unit = np.zeros(n_samples)
        _column_axpy(X_data, X_indices, X_indptr, n_samples, j, 1.0, unit)
        for i in range(n_samples):
            block[i, k] = unit[i] - row_scale[i] * X_offset[j]
    return block


@njit(cache=True)
def centered_correlations(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, vector, out):
    """out_j = X_c_j^T v / n = (X_j^T v - m_j d^T v) / n for every column j."""
    shift = row_scale @ vector
    for j in range(out.shape[0]):
        out[j] = (_column_dot(X_data, X_indices, X_indptr, n_samples, j, vector) - X_offset[j] * shift) / n_samples


# The state passed around below: support (cap,) features by slot, size (slots used), in_support (p,) bool,
# K and V (p, cap), R (cap, cap), t, c, d (p,), beta (cap,), with cap = max_support + 2.


@njit(cache=True)
def _gram_block(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, features):
    """X_c^T X_c,features / n, shape (p, len(features)): X is read once, each column dotted with the centred
    block B of the features, minus the implicit centring m_j (d^T B). Plain loops, no BLAS: BLAS threads woken on
    a busy machine cost more than these products."""
    n_features = X_offset.shape[0]
    block = centered_columns(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, features).T.copy()
    shifts = np.empty(features.shape[0])
    for k in range(features.shape[0]):
        shifts[k] = row_scale @ block[k]
    out = np.empty((n_features, features.shape[0]))
    for j in range(n_features):
        for k in range(features.shape[0]):
            out[j, k] = (_column_dot(X_data, X_indices, X_indptr, n_samples, j, block[k])
                         - X_offset[j] * shifts[k]) / n_samples
    return out


@njit(cache=True)
def _append(feature, columns, index, K, V, R, support, size, lipschitz, lambda2, c, d, beta, z_sq):
    """Add ``feature``, whose Gram column is columns[:, index], to the support (size -> size + 1) by bordering R
    and V and updating beta, c, d in O(p s); returns the new ||z||^2, or -1 (state unchanged) if the feature is
    collinear with the support."""
    if d[feature] <= PIVOT_TOL * (lipschitz[feature] + 2.0 * lambda2):
        return -1.0
    K[:, size] = columns[:, index]
    pivot = np.sqrt(d[feature])
    for k in range(size):
        R[k, size] = V[feature, k]
    R[size, :size] = 0.0
    R[size, size] = pivot
    # the new z entry is c_f / sqrt(d_f); beta changes by (c_f / d_f) (e_new - H K[f])
    step = c[feature] / d[feature]
    direction = np.empty(size)  # H K[f] = R^{-1} V[f]
    for a in range(size - 1, -1, -1):
        total = V[feature, a]
        for k in range(a + 1, size):
            total -= R[a, k] * direction[k]
        direction[a] = total / R[a, a]
    for a in range(size):
        beta[a] -= step * direction[a]
    beta[size] = step
    for j in range(K.shape[0]):
        total = K[j, size]
        for k in range(size):
            total -= R[k, size] * V[j, k]
        V[j, size] = total / pivot
        d[j] -= V[j, size] * V[j, size]
        c[j] -= step * pivot * V[j, size]
    support[size] = feature
    return z_sq + step * step * pivot * pivot


@njit(cache=True)
def _remove(position, K, V, R, support, size):
    """Delete slot ``position`` (later slots shift down) in O(p s): the column is cut out of R and the upper
    Hessenberg rest retriangularized by Givens rotations Q; since R^T V[j] = K[j] loses one equation, the new
    V[j] is the first s - 1 entries of Q V[j], and the last one, e, leaves the projection: d_j grows by e^2
    (the caller adds it: V[:, size - 1] holds e). Updates support, K, V, R; beta, c and z are left stale."""
    for a in range(position, size - 1):
        support[a] = support[a + 1]
        K[:, a] = K[:, a + 1]
        R[:size, a] = R[:size, a + 1]
    cosines, sines = np.empty(size), np.empty(size)
    for a in range(position, size - 1):
        top, bottom = R[a, a], R[a + 1, a]
        radius = np.hypot(top, bottom)
        cosines[a], sines[a] = top / radius, bottom / radius
        for column in range(a, size - 1):
            top, bottom = R[a, column], R[a + 1, column]
            R[a, column] = cosines[a] * top + sines[a] * bottom
            R[a + 1, column] = cosines[a] * bottom - sines[a] * top
    R[:, size - 1] = 0.0
    R[size - 1, :] = 0.0
    for j in range(V.shape[0]):
        for a in range(position, size - 1):
            top, bottom = V[j, a], V[j, a + 1]
            V[j, a] = cosines[a] * top + sines[a] * bottom
            V[j, a + 1] = cosines[a] * bottom - sines[a] * top


@njit(cache=True)
def _coefficients(K, R, support, size, t, c, beta):
    """beta = G^{-1} t_S by the factor (z = R^{-T} t_S, beta = R^{-1} z) and c = t - K beta; returns ||z||^2."""
    z = np.empty(size)
    for a in range(size):
        total = t[support[a]]
        for k in range(a):
            total -= R[k, a] * z[k]
        z[a] = total / R[a, a]
    for a in range(size - 1, -1, -1):
        total = z[a]
        for k in range(a + 1, size):
            total -= R[a, k] * beta[k]
        beta[a] = total / R[a, a]
    for j in range(K.shape[0]):
        total = t[j]
        for a in range(size):
            total -= K[j, a] * beta[a]
        c[j] = total
    return z @ z


@njit(cache=True)
def _inverse_upper(R, size):
    """R^{-1} for the upper-triangular R[:size, :size]."""
    inverse = np.zeros((size, size))
    for b in range(size):
        inverse[b, b] = 1.0 / R[b, b]
        for a in range(b - 1, -1, -1):
            total = 0.0
            for k in range(a + 1, b + 1):
                total += R[a, k] * inverse[k, b]
            inverse[a, b] = -total / R[a, a]
    return inverse


@njit(cache=True)
def _top(scores, count):
    """Indices of the ``count`` largest positive scores, best first (a partition, then a sort of those)."""
    if count < scores.shape[0]:
        cutoff = -np.partition(-scores, count - 1)[count - 1]
        chosen = np.flatnonzero(scores >= max(cutoff, 1e-300))
        order = chosen[np.argsort(-scores[chosen])]
    else:
        order = np.argsort(-scores)
    kept = 0
    while kept < min(count, order.shape[0]) and scores[order[kept]] > 0.0:
        kept += 1
    return order[:kept].astype(np.int64)


@njit(cache=True)
def _quadratic_inverse(a11, a12, a22, v1, v2, pair):
    """(x1, x2, v^T A^{-1} v) with x = A^{-1} v for A = [[a11, a12], [a12, a22]] (pair) or the scalar a11 (v2, x2
    unused); -1 as the value if A is not positive definite."""
    if not pair:
        if a11 <= 0.0:
            return 0.0, 0.0, -1.0
        return v1 / a11, 0.0, v1 * v1 / a11
    det = a11 * a22 - a12 * a12
    if a11 <= 0.0 or det <= PIVOT_TOL * a11 * a22:
        return 0.0, 0.0, -1.0
    x1 = (a22 * v1 - a12 * v2) / det
    x2 = (a11 * v2 - a12 * v1) / det
    return x1, x2, v1 * x1 + v2 * x2


@njit(cache=True)
def _removal_terms(r1, r2, beta, H, M, c_pool, D_pool, count):
    """The part of an exchange fixed by its removals R = the support slots {r1, r2} (-1: none; r2 only with r1):
    the loss rise beta_R^T u / 2 with E = (H_RR)^{-1}, u = E beta_R, and for the first ``count`` pool positions a,
    c'_a = c_a + M_Ra^T u, g_a = E M_Ra (rows of ``g``) and D'_aa = D_aa + M_Ra^T g_a. Returns (rise, c', g, D'
    diagonal); rise = +inf if H_RR is singular."""
    shifted_c, shifted_d = c_pool[:count].copy(), np.empty(count)
    g = np.zeros((2, count))
    for a in range(count):
        shifted_d[a] = D_pool[a, a]
    if r1 < 0:
        return 0.0, shifted_c, g, shifted_d
    e11, e12, e22, u1, u2 = 1.0 / H[r1, r1], 0.0, 0.0, 0.0, 0.0
    if r2 >= 0:
        det = H[r1, r1] * H[r2, r2] - H[r1, r2] * H[r1, r2]
        if det <= PIVOT_TOL * H[r1, r1] * H[r2, r2]:
            return np.inf, shifted_c, g, shifted_d
        e11, e12, e22 = H[r2, r2] / det, -H[r1, r2] / det, H[r1, r1] / det
        u2 = e12 * beta[r1] + e22 * beta[r2]
    u1 = e11 * beta[r1] + (e12 * beta[r2] if r2 >= 0 else 0.0)
    rise = 0.5 * (beta[r1] * u1 + (beta[r2] * u2 if r2 >= 0 else 0.0))
    for a in range(count):
        m1, m2 = M[r1, a], (M[r2, a] if r2 >= 0 else 0.0)
        shifted_c[a] += m1 * u1 + m2 * u2
        g[0, a] = e11 * m1 + e12 * m2
        g[1, a] = e12 * m1 + e22 * m2
        shifted_d[a] += m1 * g[0, a] + m2 * g[1, a]
    return rise, shifted_c, g, shifted_d


@njit(cache=True)
def _addition_change(a1, a2, r1, r2, M, D_pool, rise, shifted_c, g, shifted_d):
    """Loss change of removing R (its ``_removal_terms``) and adding the pool positions {a1, a2} (-1: none; a2
    only with a1): rise - c'_A^T D'^{-1} c'_A / 2 with D'_ab = D_ab + M_Ra^T g_b. +inf if D' is singular."""
    if a1 < 0:
        return rise
    d12 = 0.0
    if a2 >= 0:
        d12 = D_pool[a1, a2]
        if r1 >= 0:
            d12 += M[r1, a1] * g[0, a2]
        if r2 >= 0:
            d12 += M[r2, a1] * g[1, a2]
    _, _, twice_drop = _quadratic_inverse(shifted_d[a1], d12, shifted_d[a2] if a2 >= 0 else 0.0, shifted_c[a1],
                                          shifted_c[a2] if a2 >= 0 else 0.0, a2 >= 0)
    if twice_drop < 0.0:
        return np.inf
    return rise - 0.5 * twice_drop


@njit(cache=True)
def _joint_drop(r1, r2, M, D_pool, shifted_c, g, count):
    """c'^T D'^{-1} c' for the first ``count`` pool positions together (D'_ab = D_ab + M_Ra^T g_b, the terms of
    ``_removal_terms``), by Cholesky: twice the loss drop of adding them all after removing R, so no subset of
    them drops the loss more (a larger support never fits worse). +inf if D' is not numerically positive
    definite (no bound)."""
    lower = np.zeros((count, count))
    for a in range(count):
        for b in range(a + 1):
            value = D_pool[a, b]
            if r1 >= 0:
                value += M[r1, a] * g[0, b]
            if r2 >= 0:
                value += M[r2, a] * g[1, b]
            for k in range(b):
                value -= lower[a, k] * lower[b, k]
            if a == b:
                if value <= PIVOT_TOL * D_pool[a, a]:
                    return np.inf
                lower[a, a] = np.sqrt(value)
            else:
                lower[a, b] = value / lower[b, b]
    total = 0.0
    solved = np.empty(count)
    for a in range(count):
        value = shifted_c[a]
        for k in range(a):
            value -= lower[a, k] * solved[k]
        solved[a] = value / lower[a, a]
        total += solved[a] * solved[a]
    return total


@njit(cache=True)
def exchange_value(r1, r2, a1, a2, beta, H, M, c_pool, D_pool, lambda0):
    """F(S - R + A) - F(S) in closed form (module docstring) for R = the support slots {r1, r2} and A = the pool
    positions {a1, a2} (-1: none; r2 only with r1, a2 only with a1): M (s, q) = H K_pool^T, c_pool (q,),
    D_pool (q, q) the pool's Schur complements d_a on the diagonal. +inf if a matrix involved is singular."""
    n_removed = int(r1 >= 0) + int(r2 >= 0)
    n_added = int(a1 >= 0) + int(a2 >= 0)
    rise, shifted_c, g, shifted_d = _removal_terms(r1, r2, beta, H, M, c_pool, D_pool, c_pool.shape[0])
    return _addition_change(a1, a2, r1, r2, M, D_pool, rise, shifted_c, g, shifted_d) + lambda0 * (n_added
                                                                                                   - n_removed)


@njit(cache=True)
def _pool_state(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, V, R, size, c, d, pool, n_pairs):
    """For the pool: M = H K_pool^T = R^{-1} V_pool^T (s, q), and D (q, q) with d on the diagonal and, among the
    first n_pairs candidates, X_c_a^T X_c_b / n - V[a]^T V[b] off it; also H = R^{-1} R^{-T}."""
    inverse = _inverse_upper(R, size)
    H = np.zeros((size, size))
    for a in range(size):
        for b in range(size):
            for k in range(max(a, b), size):
                H[a, b] += inverse[a, k] * inverse[b, k]
    q = pool.shape[0]
    M = np.zeros((size, q))
    for b in range(q):
        for a in range(size):
            total = 0.0
            for k in range(a, size):
                total += inverse[a, k] * V[pool[b], k]
            M[a, b] = total
    D = np.zeros((q, q))
    for b in range(q):
        D[b, b] = d[pool[b]]
    paired = min(n_pairs, q)
    if paired > 1:
        block = centered_columns(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, pool[:paired]).T.copy()
        for a in range(paired):
            for b in range(a + 1, paired):
                cross = block[a] @ block[b] / n_samples
                for k in range(size):
                    cross -= V[pool[a], k] * V[pool[b], k]
                D[a, b] = D[b, a] = cross
    return H, M, D


@njit(cache=True)
def _best_move(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, V, R, support, size, in_support, c, d,
               beta, lipschitz, lambda0, lambda2, max_support, n_candidates, max_exchange, threshold):
    """The best move below ``threshold`` (a negative change of F): singles first, pairs only if no single is below
    it. Returns (change, removed slots, added features, the pool of candidates best first)."""
    n_features = c.shape[0]
    scores = np.full(n_features, -1.0)
    for j in range(n_features):
        if not in_support[j] and d[j] > PIVOT_TOL * (lipschitz[j] + 2.0 * lambda2):
            scores[j] = c[j] * c[j] / d[j]
    pool = _top(scores, n_candidates)
    H, M, D = _pool_state(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, V, R, size, c, d, pool,
                          PAIR_ADDITIONS if max_exchange >= 2 else 0)
    c_pool = c[pool]
    best, best_removed, best_added = threshold, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    no_slot = np.zeros(0, dtype=np.int64)
    # singles: the best add over every feature (the pool's first), each drop, each swap with the pool
    if pool.shape[0] > 0 and size < max_support:
        change = -0.5 * scores[pool[0]] + lambda0
        if change < best:
            best, best_removed, best_added = change, no_slot, pool[:1].copy()
    for a in range(size):
        drop = 0.5 * beta[a] * beta[a] / H[a, a]
        if drop - lambda0 < best:
            best, best_removed, best_added = drop - lambda0, np.array([a]), np.zeros(0, dtype=np.int64)
        for b in range(pool.shape[0]):
            shifted = c_pool[b] + M[a, b] * beta[a] / H[a, a]
            schur = D[b, b] + M[a, b] * M[a, b] / H[a, a]
            change = drop - 0.5 * shifted * shifted / schur
            if change < best:
                best, best_removed, best_added = change, np.array([a]), pool[b:b + 1].copy()
    if best < threshold or max_exchange < 2:
        return best, best_removed, best_added, pool
    # pairs: removals among the PAIR_REMOVALS cheapest to drop, additions among the PAIR_ADDITIONS best candidates
    costs = np.empty(size)
    for a in range(size):
        costs[a] = beta[a] * beta[a] / H[a, a]
    removable = np.argsort(costs)[:PAIR_REMOVALS]
    addable = min(PAIR_ADDITIONS, pool.shape[0])
    n_removable = removable.shape[0]
    for x in range(-1, n_removable):  # removals: none, a single one, or a pair (x < x2)
        for x2 in range(x + 1 if x >= 0 else n_removable, n_removable + 1):
            r1 = removable[x] if x >= 0 else -1
            r2 = removable[x2] if x2 < n_removable else -1
            n_removed = int(r1 >= 0) + int(r2 >= 0)
            # at lambda0 = 0, adding fewer than removed is never better than keeping one removed feature (a
            # superset of the support), a move with one removal fewer, valued before
            fewest_added = max(n_removed if lambda0 == 0.0 else 0, 2 if n_removed < 2 else 0)
            if size - n_removed + fewest_added > max_support:
                continue
            rise, shifted_c, g, shifted_d = _removal_terms(r1, r2, beta, H, M, c_pool, D, addable)
            if rise == np.inf or rise - 0.5 * _joint_drop(r1, r2, M, D, shifted_c, g, addable) + lambda0 * (
                    fewest_added - n_removed) >= best:
                continue  # not even all the candidates together would beat the best move
            for a1 in range(-1, addable):
                for a2 in range(a1 + 1 if a1 >= 0 else addable, addable + 1):
                    n_added = int(a1 >= 0) + int(a2 < addable)
                    if n_added < fewest_added or size - n_removed + n_added > max_support:
                        continue  # singles were valued above
                    change = _addition_change(a1, a2 if a2 < addable else -1, r1, r2, M, D, rise, shifted_c, g,
                                              shifted_d) + lambda0 * (n_added - n_removed)
                    if change < best:
                        best = change
                        best_removed = np.array([r1, r2])[:n_removed]
                        best_added = np.array([pool[a1] if a1 >= 0 else -1, pool[a2] if a2 < addable else -1])[:n_added]
    return best, best_removed, best_added, pool


@njit(cache=True)
def _keep_column(feature, column, cache, cache_slot):
    """Store the Gram column X_c^T X_c,feature / n (of a feature leaving the support, or prefetched) in the next
    free column of ``cache`` (cache_slot[j]: the cache column of feature j, -1 if none), so that its entry costs no
    pass over X; once the cache is full, nothing more is kept."""
    if cache_slot[feature] >= 0:
        return
    free = cache_slot.max() + 1
    if free < cache.shape[1]:
        cache[:, free] = column
        cache_slot[feature] = free


@njit(cache=True)
def _grow(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, features, K, V, R, support, size, in_support,
          lipschitz, lambda2, c, d, beta, z_sq, cache, cache_slot, prefetch):
    """Append ``features`` in turn, skipping those collinear with the support; their Gram columns come from the
    cache (``_keep_column``) or from one Gram block for the others. When that block is computed (a pass over X),
    it also takes the first feature of ``prefetch`` (candidates, best first) that is neither at hand nor entering,
    and caches its column: the pass costs little more, and the next add is often that candidate.
    Returns (size, ||z||^2, whether every one was appended)."""
    if features.shape[0] == 0:
        return size, z_sq, True
    uncached = features[cache_slot[features] < 0]
    extra = -1
    if uncached.shape[0] > 0:
        for candidate in prefetch:
            if cache_slot[candidate] < 0 and not in_support[candidate] and not np.any(features == candidate):
                extra = candidate
                break
    if extra >= 0:
        uncached = np.append(uncached, extra)
    computed = _gram_block(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, uncached)
    if extra >= 0:
        _keep_column(extra, computed[:, uncached.shape[0] - 1], cache, cache_slot)
    columns = np.empty((K.shape[0], features.shape[0]))
    next_computed = 0
    for index in range(features.shape[0]):
        if cache_slot[features[index]] >= 0:
            columns[:, index] = cache[:, cache_slot[features[index]]]
        else:
            columns[:, index] = computed[:, next_computed]
            next_computed += 1
    complete = True
    for index in range(features.shape[0]):
        grown = _append(features[index], columns, index, K, V, R, support, size, lipschitz, lambda2, c, d, beta,
                        z_sq)
        if grown < 0.0:
            complete = False
            continue
        z_sq, size = grown, size + 1
        in_support[features[index]] = True
    return size, z_sq, complete


@njit(cache=True)
def _exchange(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, K, V, R, support, size, in_support, t,
              lipschitz, lambda2, c, d, beta, z_sq, removed, added, cache, cache_slot, prefetch):
    """Apply a move: delete the removed slots (``_remove``, their Gram columns kept by ``_keep_column``), refresh
    beta and c, append the added features (``_grow``, with the candidates ``prefetch``).
    If one of them turns out numerically collinear, the previous support is rebuilt from the empty one and the
    move reported as not made. Returns (size, ||z||^2, made)."""
    previous = support[:size].copy()
    for position in np.sort(removed)[::-1]:
        in_support[support[position]] = False
        _keep_column(support[position], K[:, position], cache, cache_slot)
        _remove(position, K, V, R, support, size)
        size -= 1
        for j in range(d.shape[0]):
            d[j] += V[j, size] * V[j, size]
            V[j, size] = 0.0
    z_sq = _coefficients(K, R, support, size, t, c, beta)
    size, z_sq, complete = _grow(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, added, K, V, R,
                                 support, size, in_support, lipschitz, lambda2, c, d, beta, z_sq, cache, cache_slot,
                                 prefetch)
    if complete:
        return size, z_sq, True
    in_support[:] = False
    c[:] = t
    d[:] = lipschitz + 2.0 * lambda2
    V[:, :] = 0.0
    size, z_sq, _ = _grow(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, previous, K, V, R, support,
                          0, in_support, lipschitz, lambda2, c, d, beta, 0.0, cache, cache_slot, prefetch[:0])
    return size, z_sq, False


@njit(cache=True)
def _with_capacity(K, V, R, support, beta, needed):
    """The state arrays, reallocated with twice the slots when fewer than ``needed`` are left."""
    if needed <= support.shape[0]:
        return K, V, R, support, beta
    capacity = max(needed, 2 * support.shape[0])
    n_features, used = K.shape[0], support.shape[0]
    grown_K, grown_V = np.zeros((n_features, capacity)), np.zeros((n_features, capacity))
    grown_K[:, :used] = K
    grown_V[:, :used] = V
    grown_R = np.zeros((capacity, capacity))
    grown_R[:used, :used] = R
    grown_support = np.zeros(capacity, dtype=np.int64)
    grown_support[:used] = support
    grown_beta = np.zeros(capacity)
    grown_beta[:used] = beta
    return grown_K, grown_V, grown_R, grown_support, grown_beta


@njit(cache=True)
def _search(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, lipschitz, K, V, R, support, size,
            in_support, t, c, d, beta, z_sq, baseline, lambda0, lambda2, max_support, n_candidates, max_exchange,
            max_moves, cache, cache_slot):
    """Make best moves (``_best_move``) until none lowers F by more than MOVE_TOL F or max_moves were made.
    Returns the state (K, V, R, support, beta: reallocated if the support outgrew them), size, ||z||^2, moves."""
    moves = 0
    objective = baseline - 0.5 * z_sq + lambda0 * size
    while moves < max_moves:
        K, V, R, support, beta = _with_capacity(K, V, R, support, beta, min(size + 2, max_support))
        threshold = -MOVE_TOL * max(abs(objective), 1e-300)
        change, removed, added, pool = _best_move(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, V, R,
                                            support, size, in_support, c, d, beta, lipschitz, lambda0, lambda2,
                                            max_support, n_candidates, max_exchange, threshold)
        if change >= threshold:
            break
        size, z_sq, made = _exchange(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, K, V, R, support,
                                     size, in_support, t, lipschitz, lambda2, c, d, beta, z_sq, removed, added,
                                     cache, cache_slot, pool)
        if not made:
            break
        moves += 1
        objective = baseline - 0.5 * z_sq + lambda0 * size
    return K, V, R, support, beta, size, z_sq, moves


@njit(cache=True)
def _empty_state(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, lipschitz, lambda2, capacity):
    """The state of the empty support: (K, V, R, support, in_support, beta, t, c, d, ||y||^2 / (2n)), and an empty
    cache of Gram columns (``_keep_column``): (cache (p, m), cache_slot (p,)) with m = min(128, CACHE_ENTRIES / p)."""
    n_features = lipschitz.shape[0]
    t = np.empty(n_features)
    centered_correlations(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, t)
    cache = np.empty((n_features, max(min(128, CACHE_ENTRIES // max(n_features, 1)), 1)))
    return (np.zeros((n_features, capacity)), np.zeros((n_features, capacity)), np.zeros((capacity, capacity)),
            np.zeros(capacity, dtype=np.int64), np.zeros(n_features, dtype=np.bool_), np.zeros(capacity), t,
            t.copy(), lipschitz + 2.0 * lambda2, 0.5 * (y @ y) / n_samples, cache,
            np.full(n_features, -1, dtype=np.int64))


@njit(cache=True)
def exchange_search(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, lipschitz, w, lambda0, lambda2,
                    max_support, n_candidates, max_exchange, max_moves):
    """Local search from the support of w (see the module docstring); w is overwritten by the (ridge) least-squares
    fit on the final support. Returns (moves made, F at the end)."""
    start = np.flatnonzero(w)
    start = start[np.argsort(-np.abs(w[start]))][:max_support]
    K, V, R, support, in_support, beta, t, c, d, baseline, cache, cache_slot = _empty_state(
        X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, lipschitz, lambda2,
        min(start.shape[0] + 8, max_support + 2))
    size, z_sq, _ = _grow(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, start, K, V, R, support, 0,
                          in_support, lipschitz, lambda2, c, d, beta, 0.0, cache, cache_slot, start[:0])
    K, V, R, support, beta, size, z_sq, moves = _search(
        X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, lipschitz, K, V, R, support, size, in_support,
        t, c, d, beta, z_sq, baseline, lambda0, lambda2, max_support, n_candidates, max_exchange, max_moves, cache,
        cache_slot)
    w[:] = 0.0
    for a in range(size):
        w[support[a]] = beta[a]
    return moves, baseline - 0.5 * z_sq + lambda0 * size


@njit(cache=True)
def subset_path(X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, lipschitz, sizes, n_candidates,
                max_exchange, max_moves):
    """Best-subset least squares for each k in ``sizes`` (increasing): the support of the previous k is grown by the
    best adds and polished by ``_search`` at ||w||_0 <= k (lambda0 = 0). Returns (coefs (p, len(sizes)), moves)."""
    n_features = lipschitz.shape[0]
    largest = sizes[-1] if sizes.shape[0] > 0 else 0
    K, V, R, support, in_support, beta, t, c, d, baseline, cache, cache_slot = _empty_state(
        X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, y, lipschitz, 0.0, min(largest, n_features) + 2)
    coefs = np.zeros((n_features, sizes.shape[0]))
    size, z_sq, total_moves = 0, 0.0, 0
    for point in range(sizes.shape[0]):
        K, V, R, support, beta, size, z_sq, moves = _search(
            X_data, X_indices, X_indptr, n_samples, X_offset, row_scale, lipschitz, K, V, R, support, size,
            in_support, t, c, d, beta, z_sq, baseline, 0.0, 0.0, min(sizes[point], n_features), n_candidates,
            max_exchange, max_moves, cache, cache_slot)
        total_moves += moves
        for a in range(size):
            coefs[support[a], point] = beta[a]
    return coefs, total_moves
