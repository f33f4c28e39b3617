"""Products with the design matrix, column norms and the spectral norm, for dense and CSC input.

Dense X may be C- or Fortran-ordered; a CSC matrix is passed as its three arrays (data, indices, indptr).
Vector lengths are checked where that costs O(1) (compiled code does not check bounds): a CSC kernel trusts
that its row indices are below the length of v, which ``sparseopt.design`` checks. Every parallel loop owns
its output entries: X.T @ v splits over features, X @ w over rows (dense) or over
column chunks that write into per-thread buffers summed afterwards (CSC).
"""
import math

import numpy as np
from numba import njit, prange

_BLOCK = 64  # columns (or rows) that one thread handles at a time in the dense kernels
_ROW_BLOCK = 256  # rows of X @ w per thread: long enough for the vectorized column updates to pay
# Sums may be reordered (SIMD); NaN and infinity keep their IEEE meaning (no 'nnan' / 'ninf' flags).
_REORDER = {"reassoc", "contract", "nsz"}


@njit(cache=True, parallel=True, fastmath=_REORDER)
def dense_xt_dot(X, v):
    """X.T @ v for a dense (n, p) X, parallel over blocks of features.

    Fortran order reads each column contiguously; C order sweeps the rows of a block of columns.
    """
    n_samples, n_features = X.shape
    if v.shape[0] != n_samples:
        raise ValueError("v must have one entry per row of X")
    out = np.zeros(n_features, dtype=X.dtype)
    n_blocks = (n_features + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):
        stop = min((b + 1) * _BLOCK, n_features)
        if X.flags.f_contiguous:
            for j in range(b * _BLOCK, stop):
                total = 0.0
                for i in range(n_samples):
                    total += X[i, j] * v[i]
                out[j] = total
        else:
            for i in range(n_samples):
                for j in range(b * _BLOCK, stop):
                    out[j] += X[i, j] * v[i]
    return out


@njit(cache=True, parallel=True, fastmath=_REORDER)
def dense_x_dot(X, w):
    """X @ w for a dense (n, p) X, parallel over blocks of rows.

    C order takes each row's dot product; Fortran order sweeps the columns of a block of rows, skipping the
    columns where w_j = 0 (sparse iterates).
    """
    n_samples, n_features = X.shape
    if w.shape[0] != n_features:
        raise ValueError("w must have one entry per column of X")
    out = np.zeros(n_samples, dtype=X.dtype)
    n_blocks = (n_samples + _ROW_BLOCK - 1) // _ROW_BLOCK
    for b in prange(n_blocks):
        start, stop = b * _ROW_BLOCK, min((b + 1) * _ROW_BLOCK, n_samples)
        if X.flags.f_contiguous:
            block = out[start:stop]  # loops over slices from 0 vectorize (see numba_kernels.cd._column_dot)
            for j in range(n_features):
                weight = w[j]
                if weight != 0.0:
                    column = X[start:stop, j]
                    for i in range(stop - start):
                        block[i] += column[i] * weight
        else:
            for i in range(start, stop):
                total = 0.0
                for j in range(n_features):
                    total += X[i, j] * w[j]
                out[i] = total
    return out


@njit(cache=True, parallel=True, fastmath=_REORDER)
def csc_xt_dot(data, indices, indptr, v):
    """X.T @ v for a CSC X given by (data, indices, indptr): out_j = sum_k data[k] v[indices[k]], parallel over j."""
    n_features = indptr.shape[0] - 1
    out = np.zeros(n_features, dtype=data.dtype)
    for j in prange(n_features):
        total = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            total += data[k] * v[indices[k]]
        out[j] = total
    return out


@njit(cache=True, parallel=True)
def csc_x_dot(data, indices, indptr, n_samples, w, n_threads):
    """X @ w for a CSC X: each of n_threads chunks of columns is summed into its own buffer, then the buffers are added.

    out = sum_j w_j X[:, j]; no two threads write one entry (the reduction is parallel over rows). Pass
    numba.get_num_threads() as n_threads; the buffers take n_threads * n_samples entries.
    """
    n_features = indptr.shape[0] - 1
    if w.shape[0] != n_features:
        raise ValueError("w must have one entry per column of X")
    dtype = data.dtype
    n_chunks = max(1, min(n_threads, n_features))
    buffers = np.zeros((n_chunks, n_samples), dtype=dtype)
    chunk = (n_features + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        for j in range(c * chunk, min((c + 1) * chunk, n_features)):
            if w[j] != 0.0:
                for k in range(indptr[j], indptr[j + 1]):
                    buffers[c, indices[k]] += data[k] * w[j]
    out = np.zeros(n_samples, dtype=dtype)
    for i in prange(n_samples):
        total = 0.0
        for c in range(n_chunks):
            total += buffers[c, i]
        out[i] = total
    return out


@njit(cache=True, parallel=True, fastmath=_REORDER)
def dense_column_sq_norms(X):
    """Squared Euclidean norms of the columns of a dense X: sum_i X_ij^2, parallel over features."""
    n_samples, n_features = X.shape
    out = np.zeros(n_features, dtype=X.dtype)
    for j in prange(n_features):
        for i in range(n_samples):
            out[j] += X[i, j] * X[i, j]
    return out


@njit(cache=True, parallel=True)
def csc_column_sq_norms(data, indptr):
    """Squared Euclidean norms of the columns of a CSC X: sum_k data[k]^2 over each column's entries."""
    n_features = indptr.shape[0] - 1
    out = np.zeros(n_features, dtype=data.dtype)
    for j in prange(n_features):
        for k in range(indptr[j], indptr[j + 1]):
            out[j] += data[k] * data[k]
    return out


@njit(cache=True)
def _start_vector(n_features, seed):
    """A fixed random unit vector to start the power iteration from."""
    np.random.seed(seed)
    start = np.random.standard_normal(n_features)
    return start / math.sqrt(np.sum(start * start))


@njit(cache=True)
def _power_step(image, previous, tol):
    """One power-iteration update from image = X.T X u (u a unit vector).

    Returns the next unit vector image / ||image||, the estimate ||image|| of ||X||_2^2, and whether it moved
    by at most tol relatively.
    """
    value = math.sqrt(np.sum(image * image))
    if value == 0.0:
        return image, 0.0, True
    return image / value, value, abs(value - previous) <= tol * value


@njit(cache=True)
def dense_spectral_norm(X, max_iter, tol, seed):
    """Largest singular value ||X||_2 of a dense X by power iteration on X.T X.

    Iterates u <- X.T X u / ||X.T X u|| from a seeded random start; ||X.T X u|| tends to sigma_max^2. Stops
    when it changes by at most tol relatively, or after max_iter products.
    """
    direction = _start_vector(X.shape[1], seed).astype(X.dtype)
    sigma_sq = 0.0
    for _ in range(max_iter):
        direction, sigma_sq, converged = _power_step(dense_xt_dot(X, dense_x_dot(X, direction)), sigma_sq, tol)
        if converged:
            break
    return math.sqrt(sigma_sq)


@njit(cache=True)
def csc_spectral_norm(data, indices, indptr, n_samples, max_iter, tol, seed, n_threads):
    """Largest singular value ||X||_2 of a CSC X by power iteration on X.T X (as dense_spectral_norm)."""
    direction = _start_vector(indptr.shape[0] - 1, seed).astype(data.dtype)
    sigma_sq = 0.0
    for _ in range(max_iter):
        image = csc_xt_dot(data, indices, indptr, csc_x_dot(data, indices, indptr, n_samples, direction, n_threads))
        direction, sigma_sq, converged = _power_step(image, sigma_sq, tol)
        if converged:
            break
    return math.sqrt(sigma_sq)


@njit(cache=True, parallel=True, fastmath=_REORDER)
def dense_xt_dot_columns(X, v, columns):
    """(X.T @ v)[columns] for a dense X, computing only those entries (parallel over them)."""
    if v.shape[0] != X.shape[0]:
        raise ValueError("v must have one entry per row of X")
    out = np.zeros(columns.shape[0], dtype=X.dtype)
    for k in prange(columns.shape[0]):
        j = columns[k]
        total = 0.0
        for i in range(X.shape[0]):
            total += X[i, j] * v[i]
        out[k] = total
    return out


@njit(cache=True, parallel=True, fastmath=_REORDER)
def csc_xt_dot_columns(data, indices, indptr, v, columns):
    """(X.T @ v)[columns] for a CSC X, computing only those entries (parallel over them)."""
    out = np.zeros(columns.shape[0], dtype=data.dtype)
    for k in prange(columns.shape[0]):
        j = columns[k]
        total = 0.0
        for position in range(indptr[j], indptr[j + 1]):
            total += data[position] * v[indices[position]]
        out[k] = total
    return out
