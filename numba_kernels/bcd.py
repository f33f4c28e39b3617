"""Compiled steps of greedy block coordinate descent (Nutini, Laradji & Schmidt 2022).

Two problem shapes share these kernels:

- f(x) = sum_i loss(z_i, y_i) with margins Z = A X (A CSC m x n, X n x k, Z m x k): least squares
  (1/2 (z - y)^2, k = 1), binary logistic (log(1 + exp(-y z)), y = +-1, k = 1) and softmax
  (logsumexp(z_i) - z_i . y_i, y_i one-hot, k classes). The "dual" Psi = dloss/dZ gives the gradient
  G = A^T Psi; after a block step only the rows touched by the block change Psi, and the change reaches G
  through the rows of A (CSR): G_j += sum_{i touched} A_ij (Psi_i^new - Psi_i^old).
- quadratics f(x) = 1/2 x^T Q x - c^T x with a sparse symmetric Q (CSC): g = Q x - c, and after x_b += d,
  g += Q[:, b] d.

Selection kernels compute per-coordinate scores and take the tau largest in O(n) (introselect through
np.argpartition), or sum scores over the blocks of a fixed partition. Everything is float64.
"""
import math

import numpy as np
from numba import njit

from numba_kernels.prox import soft_threshold

LEAST_SQUARES = 0
LOGISTIC = 1
SOFTMAX = 2


@njit(cache=True)
def _log1pexp(t):
    """log(1 + exp(t)) without overflow."""
    if t > 0.0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


@njit(cache=True)
def row_loss(loss, Z, Y, i, image, alpha):
    """loss(z_i + alpha v_i, y_i) for row i of Z (image holds v_i; pass alpha = 0 for the loss at Z).

    least squares 1/2 ||z - y||^2; logistic log(1 + exp(-y z)); softmax log sum_c exp(z_c) - sum_c y_c z_c.
    """
    k = Z.shape[1]
    if loss == LEAST_SQUARES:
        total = 0.0
        for c in range(k):
            r = Z[i, c] + alpha * image[c] - Y[i, c]
            total += 0.5 * r * r
        return total
    if loss == LOGISTIC:
        return _log1pexp(-Y[i, 0] * (Z[i, 0] + alpha * image[0]))
    largest = -np.inf
    for c in range(k):
        largest = max(largest, Z[i, c] + alpha * image[c])
    total = 0.0
    linear = 0.0
    for c in range(k):
        value = Z[i, c] + alpha * image[c]
        total += math.exp(value - largest)
        linear += Y[i, c] * value
    return largest + math.log(total) - linear


@njit(cache=True)
def loss_value(loss, Z, Y):
    """f = sum_i loss(z_i, y_i) over every row of the margins Z."""
    zero = np.zeros(Z.shape[1])
    total = 0.0
    for i in range(Z.shape[0]):
        total += row_loss(loss, Z, Y, i, zero, 0.0)
    return total


@njit(cache=True)
def softmax_row(Z, i, out):
    """out = softmax(z_i) = exp(z_i - max z_i) / sum_c exp(z_ic - max z_i)."""
    k = Z.shape[1]
    largest = -np.inf
    for c in range(k):
        largest = max(largest, Z[i, c])
    total = 0.0
    for c in range(k):
        out[c] = math.exp(Z[i, c] - largest)
        total += out[c]
    for c in range(k):
        out[c] /= total


@njit(cache=True)
def row_dual(loss, Z, Y, i, out):
    """out = dloss(z_i, y_i)/dz_i: z - y (least squares), -y / (1 + exp(y z)) (logistic), softmax(z) - y."""
    k = Z.shape[1]
    if loss == LEAST_SQUARES:
        for c in range(k):
            out[c] = Z[i, c] - Y[i, c]
    elif loss == LOGISTIC:
        out[0] = -Y[i, 0] / (1.0 + math.exp(min(Y[i, 0] * Z[i, 0], 700.0)))
    else:
        softmax_row(Z, i, out)
        for c in range(k):
            out[c] -= Y[i, c]


@njit(cache=True)
def dual_matrix(loss, Z, Y):
    """Psi = dloss/dZ for every row (m x k); the gradient is A^T Psi."""
    Psi = np.empty_like(Z)
    for i in range(Z.shape[0]):
        row_dual(loss, Z, Y, i, Psi[i])
    return Psi


@njit(cache=True)
def block_image(data, indices, indptr, block, delta, marks, rows, image):
    """V = A[:, block] delta restricted to the rows it touches (A CSC; delta |b| x k).

    Fills rows[:r] with the touched rows and image[:r] with their entries of V; marks (length m, all -1 on
    entry) maps a row to its slot and is reset to -1 before returning. Returns r. Cost: nnz(A[:, block]) k.
    """
    k = delta.shape[1]
    n_rows = 0
    for position in range(block.shape[0]):
        j = block[position]
        for entry in range(indptr[j], indptr[j + 1]):
            i = indices[entry]
            slot = marks[i]
            if slot < 0:
                slot = n_rows
                marks[i] = slot
                rows[slot] = i
                for c in range(k):
                    image[slot, c] = 0.0
                n_rows += 1
            for c in range(k):
                image[slot, c] += data[entry] * delta[position, c]
    for slot in range(n_rows):
        marks[rows[slot]] = -1
    return n_rows


@njit(cache=True)
def row_loss_change(loss, Z, Y, i, image, alpha):
    """loss(z_i + alpha v_i) - loss(z_i), written without cancellation (a difference of two losses loses all
    digits of a small change, which breaks line searches near the optimum):

    least squares sum_c alpha v_c (z_c - y_c + alpha v_c / 2); logistic, with u = -y z and w = -y alpha v,
    log1p(sigmoid(u) expm1(w)); softmax log1p(sum_c p_c expm1(alpha v_c)) - alpha y . v, p = softmax(z).
    """
    k = Z.shape[1]
    if loss == LEAST_SQUARES:
        total = 0.0
        for c in range(k):
            move = alpha * image[c]
            total += move * (Z[i, c] - Y[i, c] + 0.5 * move)
        return total
    if loss == LOGISTIC:
        u = -Y[i, 0] * Z[i, 0]
        w = -Y[i, 0] * alpha * image[0]
        if w > 30.0:
            return _log1pexp(u + w) - _log1pexp(u)
        sigmoid = 1.0 / (1.0 + math.exp(-u)) if u > -700.0 else 0.0
        return math.log1p(sigmoid * math.expm1(w))
    probabilities = np.empty(k)
    softmax_row(Z, i, probabilities)
    total = 0.0
    linear = 0.0
    for c in range(k):
        move = alpha * image[c]
        if move > 30.0:
            return row_loss(loss, Z, Y, i, image, alpha) - row_loss(loss, Z, Y, i, np.zeros(k), 0.0)
        total += probabilities[c] * math.expm1(move)
        linear += Y[i, c] * move
    return math.log1p(total) - linear


@njit(cache=True)
def loss_change(loss, Z, Y, rows, image, n_rows, alpha):
    """f(Z + alpha V) - f(Z), summed over the n_rows touched rows only (V from ``block_image``)."""
    total = 0.0
    for slot in range(n_rows):
        total += row_loss_change(loss, Z, Y, rows[slot], image[slot], alpha)
    return total


@njit(cache=True)
def apply_margin_step(loss, Y, rows, image, n_rows, alpha, csr_data, csr_indices, csr_indptr, Z, Psi, G):
    """Z += alpha V on the touched rows, then refresh Psi there and add the change to G = A^T Psi.

    G_j += sum_{i touched} A_ij (Psi_i^new - Psi_i^old), through the rows of A in CSR form; the cost is the
    number of nonzeros in the touched rows times k.
    """
    k = Z.shape[1]
    new_dual = np.empty(k)
    for slot in range(n_rows):
        i = rows[slot]
        for c in range(k):
            Z[i, c] += alpha * image[slot, c]
        row_dual(loss, Z, Y, i, new_dual)
        for c in range(k):
            change = new_dual[c] - Psi[i, c]
            Psi[i, c] = new_dual[c]
            if change != 0.0:
                for entry in range(csr_indptr[i], csr_indptr[i + 1]):
                    G[csr_indices[entry], c] += csr_data[entry] * change


@njit(cache=True)
def block_gram(data, indices, indptr, block, row_weights, scratch):
    """H = A_b^T diag(w) A_b (|b| x |b|) for a CSC A; scratch is a zero vector of length m, left zero."""
    size = block.shape[0]
    H = np.zeros((size, size))
    for p in range(size):
        j = block[p]
        for entry in range(indptr[j], indptr[j + 1]):
            scratch[indices[entry]] = data[entry] * row_weights[indices[entry]]
        for q in range(p + 1):
            other = block[q]
            total = 0.0
            for entry in range(indptr[other], indptr[other + 1]):
                total += data[entry] * scratch[indices[entry]]
            H[p, q] = total
            H[q, p] = total
        for entry in range(indptr[j], indptr[j + 1]):
            scratch[indices[entry]] = 0.0
    return H


@njit(cache=True)
def softmax_row_curvatures(Z, rows):
    """Per touched row i, the softmax Hessian diag(p_i) - p_i p_i^T (k x k), p_i = softmax(z_i)."""
    k = Z.shape[1]
    out = np.empty((rows.shape[0], k, k))
    p = np.empty(k)
    for slot in range(rows.shape[0]):
        softmax_row(Z, rows[slot], p)
        for c in range(k):
            for e in range(k):
                out[slot, c, e] = -p[c] * p[e]
            out[slot, c, c] += p[c]
    return out


@njit(cache=True)
def quadratic_block_step(data, indices, indptr, block, delta, g):
    """g += Q[:, b] delta for the gradient g = Q x - c of a quadratic with CSC Q, after x_b += delta."""
    for position in range(block.shape[0]):
        j = block[position]
        step = delta[position]
        if step != 0.0:
            for entry in range(indptr[j], indptr[j + 1]):
                g[indices[entry]] += data[entry] * step


@njit(cache=True)
def quadratic_block_matrix(data, indices, indptr, block, marks):
    """Q_bb (|b| x |b|) from a CSC Q; marks (length n, all -1) maps a node to its block position, reset after."""
    size = block.shape[0]
    for p in range(size):
        marks[block[p]] = p
    H = np.zeros((size, size))
    for q in range(size):
        j = block[q]
        for entry in range(indptr[j], indptr[j + 1]):
            p = marks[indices[entry]]
            if p >= 0:
                H[p, q] = data[entry]
    for p in range(size):
        marks[block[p]] = -1
    return H


@njit(cache=True)
def top_tau(scores, tau):
    """Indices of the tau largest scores (any order), in O(n) by introselect."""
    n = scores.shape[0]
    if tau >= n:
        return np.arange(n)
    order = np.argpartition(-scores, tau - 1)
    return order[:tau].copy()


@njit(cache=True)
def squared_gradient_scores(G, weights):
    """s_i = w_i sum_c G_ic^2: GS (w = 1), GSL / GSD (w_i = 1 / d_i)."""
    n, k = G.shape
    out = np.empty(n)
    for i in range(n):
        total = 0.0
        for c in range(k):
            total += G[i, c] * G[i, c]
        out[i] = weights[i] * total
    return out


@njit(cache=True)
def block_sums(scores, block_ptr, members):
    """S_b = sum_{i in b} s_i over the blocks of a fixed partition (block b = members[ptr[b]:ptr[b+1]])."""
    n_blocks = block_ptr.shape[0] - 1
    out = np.empty(n_blocks)
    for b in range(n_blocks):
        total = 0.0
        for p in range(block_ptr[b], block_ptr[b + 1]):
            total += scores[members[p]]
        out[b] = total
    return out


@njit(cache=True)
def block_quadratic_forms(G, block_ptr, members, inverses):
    """GSQ scores of a fixed partition: S_b = trace(G_b^T H_b^-1 G_b), inverses[b] = H_b^-1 (equal block sizes)."""
    n_blocks = block_ptr.shape[0] - 1
    k = G.shape[1]
    out = np.empty(n_blocks)
    for b in range(n_blocks):
        start = block_ptr[b]
        size = block_ptr[b + 1] - start
        total = 0.0
        for p in range(size):
            for q in range(size):
                weight = inverses[b, p, q]
                for c in range(k):
                    total += G[members[start + p], c] * weight * G[members[start + q], c]
        out[b] = total
    return out


@njit(cache=True)
def prox_coordinate_step(x, g, lipschitz, penalty, nonnegative):
    """d = prox_{g_i / L}(x - g / L) - x for g_i(x) = penalty |x| (plus the constraint x >= 0 when nonnegative)."""
    target = x - g / lipschitz
    if nonnegative:
        return max(target - penalty / lipschitz, 0.0) - x
    return soft_threshold(target, penalty / lipschitz) - x


@njit(cache=True)
def proximal_scores(x, g, lipschitz, penalty, nonnegative, kind):
    """Per-coordinate scores (larger is better) of the proximal Gauss-Southwell rules for F = f + sum_i g_i,
    g_i(x) = penalty |x_i| (and x_i >= 0 when nonnegative); d_i = prox step with constant L_i:

    kind 0, GS-s: the minimum-norm subgradient, min_{s in dg_i(x_i)} |grad_i f + s|;
    kind 1, GS-r: |d_i|;
    kind 2, GS-q: -(grad_i f d_i + L_i/2 d_i^2 + g_i(x_i + d_i) - g_i(x_i)), the guaranteed decrease.
    """
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        if kind == 0:
            if x[i] > 0.0:
                out[i] = abs(g[i] + penalty)
            elif x[i] < 0.0:
                out[i] = abs(g[i] - penalty)
            elif nonnegative:
                out[i] = max(-(g[i] + penalty), 0.0)
            else:
                out[i] = max(abs(g[i]) - penalty, 0.0)
        else:
            step = prox_coordinate_step(x[i], g[i], lipschitz[i], penalty, nonnegative)
            if kind == 1:
                out[i] = abs(step)
            else:
                out[i] = -(g[i] * step + 0.5 * lipschitz[i] * step * step
                           + penalty * (abs(x[i] + step) - abs(x[i])))
    return out


@njit(cache=True)
def box_l1_qp(H, linear, penalty, nonnegative, start, tol, max_sweeps):
    """Exact block subproblem of proximal Newton: argmin_u 1/2 u^T H u + linear^T u + penalty ||u||_1
    (with u >= 0 when nonnegative), by cyclic coordinate descent from ``start`` until the largest coordinate
    change is below tol. H must have a positive diagonal. Returns (u, sweeps)."""
    size = H.shape[0]
    u = start.copy()
    gradient = linear + H @ u
    for sweep in range(max_sweeps):
        largest = 0.0
        for p in range(size):
            target = u[p] - gradient[p] / H[p, p]
            if nonnegative:
                new = max(target - penalty / H[p, p], 0.0)
            else:
                new = soft_threshold(target, penalty / H[p, p])
            change = new - u[p]
            if change != 0.0:
                u[p] = new
                for q in range(size):
                    gradient[q] += H[q, p] * change
                largest = max(largest, abs(change))
        if largest <= tol:
            return u, sweep + 1
    return u, max_sweeps
