"""Products with a design matrix X that may be a dense array or a scipy CSC matrix.

Thin dispatchers to the compiled kernels of ``numba_kernels.linalg``: solvers and objective terms call these
and never branch on the storage of X themselves. Small products run on one thread: starting a parallel region
costs more than the product, and on a loaded machine a region waits for a time slice on every core.
"""
import contextlib
import functools

import numba
import numpy as np
import scipy.sparse as sp

from numba_kernels import linalg


PARALLEL_MIN_ENTRIES = 200_000  # stored entries of X from which a product is split over threads
SERIAL_BLAS_FROM = 10_000  # vector length from which OpenBLAS may split a dot product over threads


@contextlib.contextmanager
def _threads_for(X, n_columns=None):
    """Run the enclosed kernels on all Numba threads if X (or ``n_columns`` of its columns, at X's mean number of
    entries per column) is large, else on one (no call to numba when the count is already right)."""
    entries = X.nnz if sp.issparse(X) else X.size
    if n_columns is not None:
        entries = entries * n_columns // max(X.shape[1], 1)
    previous = numba.get_num_threads()
    wanted = previous if entries >= PARALLEL_MIN_ENTRIES else 1
    if wanted == previous:
        yield previous
        return
    numba.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        numba.set_num_threads(previous)


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def serial_blas():
    """A context in which BLAS runs on one thread (threadpoolctl; entering and leaving it costs 20-50 us)."""
    return _blas_controller().limit(limits=1, user_api="blas")


def solver_threads(solver):
    """Decorator for a solver whose first argument is X (or an object holding it as ``.X``): it runs with the
    Numba thread count chosen once for X (see ``_threads_for``) and, when X has a side of at least
    ``SERIAL_BLAS_FROM``, with NumPy's BLAS on one thread.

    The solvers' heavy products are Numba kernels; what they leave to BLAS are dot products of length p or n.
    OpenBLAS splits those over threads from about 10^4 entries, and on a busy machine waking its threads costs
    far more than the product: measured here with other processes on both cores, a dot product of two vectors of
    20,000 entries took 2 to 20 ms instead of 10 us, and one Lasso fit on a 1000 x 20000 design spent half of
    its time in them. Below that size the limit is not needed and is skipped (setting it costs about 50 us).
    """
    @functools.wraps(solver)
    def with_chosen_threads(first, *args, **kwargs):
        X = getattr(first, "X", first)
        shape = getattr(X, "shape", ())
        if len(shape) != 2:  # not validated yet (a list, say): the solver's own checks will speak
            return solver(first, *args, **kwargs)
        serial = serial_blas() if max(shape) >= SERIAL_BLAS_FROM else contextlib.nullcontext()
        with _threads_for(X), serial:
            return solver(first, *args, **kwargs)

    return with_chosen_threads


def _is_csc(X):
    """True for a CSC matrix, False for a dense array; other sparse formats are refused."""
    if not sp.issparse(X):
        return False
    if X.format != "csc":
        raise TypeError(f"X must be a dense array or a CSC matrix; got {X.format.upper()}: convert it with X.tocsc()")
    return True


def _vector(values, length, name):
    """values as a 1-D array of the given length, else a ValueError naming it."""
    values = np.asarray(values)
    if values.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},); got {values.shape}")
    return values


def xt_dot(X, v, columns=None):
    """X.T @ v, parallel over features; with an integer array ``columns``, only (X.T @ v)[columns]."""
    v = _vector(v, X.shape[0], "v").astype(X.dtype, copy=False)
    with _threads_for(X, None if columns is None else len(columns)):
        if columns is not None:
            columns = np.asarray(columns, dtype=np.int64)
            if columns.size and (columns.min() < 0 or columns.max() >= X.shape[1]):
                raise ValueError(f"columns must lie in [0, {X.shape[1]})")
            if _is_csc(X):
                return linalg.csc_xt_dot_columns(X.data, X.indices, X.indptr, v, columns)
            return linalg.dense_xt_dot_columns(X, v, columns)
        if _is_csc(X):
            return linalg.csc_xt_dot(X.data, X.indices, X.indptr, v)
        return linalg.dense_xt_dot(X, v)


def x_dot(X, w):
    """X @ w, parallel over rows (dense) or column chunks with per-thread buffers (CSC)."""
    w = _vector(w, X.shape[1], "w").astype(X.dtype, copy=False)
    with _threads_for(X) as n_threads:
        if _is_csc(X):
            return linalg.csc_x_dot(X.data, X.indices, X.indptr, X.shape[0], w, n_threads)
        return linalg.dense_x_dot(X, w)


def column_sq_norms(X):
    """Squared column norms ||X_j||^2."""
    with _threads_for(X):
        if _is_csc(X):
            return linalg.csc_column_sq_norms(X.data, X.indptr)
        return linalg.dense_column_sq_norms(X)


def spectral_norm(X, max_iter=1000, tol=1e-10, seed=0):
    """Largest singular value ||X||_2, by power iteration on X.T X."""
    if X.shape[0] == 0 or X.shape[1] == 0:
        return 0.0
    with _threads_for(X) as n_threads:
        if _is_csc(X):
            return linalg.csc_spectral_norm(X.data, X.indices, X.indptr, X.shape[0], max_iter, tol, seed, n_threads)
        return linalg.dense_spectral_norm(X, max_iter, tol, seed)
