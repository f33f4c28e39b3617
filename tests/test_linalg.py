"""Design-matrix kernels against NumPy / SciPy, for dense C and Fortran order and CSC input, in both precisions."""
import numba
import numpy as np
import pytest
import scipy.sparse as sp

from numba_kernels import linalg
from sparseopt import design

RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def sample(dtype, shape=(67, 141), density=0.2, seed=0):
    """A random sparse-looking matrix (dense copy and CSC) and vectors of matching sizes."""
    rng = np.random.default_rng(seed)
    X = sp.random(*shape, density=density, format="csc", random_state=seed, dtype=dtype)
    X.data -= np.asarray(0.5, dtype=dtype)
    v = rng.standard_normal(shape[0]).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype)
    w[::3] = 0.0
    return X, X.toarray(), v, w


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_products_match_numpy(dtype, order):
    _, X, v, w = sample(dtype)
    X = np.asarray(X, order=order)
    reference = X.astype(np.float64)
    np.testing.assert_allclose(linalg.dense_xt_dot(X, v), reference.T @ v, rtol=RTOL[dtype], atol=RTOL[dtype])
    np.testing.assert_allclose(linalg.dense_x_dot(X, w), reference @ w, rtol=RTOL[dtype], atol=RTOL[dtype])
    np.testing.assert_allclose(linalg.dense_column_sq_norms(X), (reference ** 2).sum(axis=0), rtol=RTOL[dtype])
    assert linalg.dense_xt_dot(X, v).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_csc_products_match_scipy(dtype):
    X, _, v, w = sample(dtype)
    reference = X.astype(np.float64)
    np.testing.assert_allclose(linalg.csc_xt_dot(X.data, X.indices, X.indptr, v), reference.T @ v,
                               rtol=RTOL[dtype], atol=RTOL[dtype])
    for n_threads in (1, 2, 7):
        np.testing.assert_allclose(linalg.csc_x_dot(X.data, X.indices, X.indptr, X.shape[0], w, n_threads),
                                   reference @ w, rtol=RTOL[dtype], atol=RTOL[dtype])
    np.testing.assert_allclose(linalg.csc_column_sq_norms(X.data, X.indptr),
                               np.asarray(reference.multiply(reference).sum(axis=0)).ravel(), rtol=RTOL[dtype])


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (130, 3), (3, 130)])
def test_shapes_at_block_edges(shape):
    X, dense, v, w = sample(np.float64, shape, density=0.5, seed=3)
    for matrix in (dense, np.asfortranarray(dense), X):
        np.testing.assert_allclose(design.xt_dot(matrix, v), dense.T @ v, atol=1e-12)
        np.testing.assert_allclose(design.x_dot(matrix, w), dense @ w, atol=1e-12)


def test_spectral_norm_matches_svd():
    X, dense, _, _ = sample(np.float64, (80, 40), density=0.5)
    expected = np.linalg.norm(dense, 2)
    assert design.spectral_norm(np.asfortranarray(dense)) == pytest.approx(expected, rel=1e-8)
    assert design.spectral_norm(X) == pytest.approx(expected, rel=1e-8)
    assert design.spectral_norm(np.zeros((4, 3))) == 0.0


def test_parallel_results_do_not_depend_on_thread_count():
    X, dense, v, w = sample(np.float64, (300, 500), density=0.3)
    dense = np.asfortranarray(dense)
    previous = numba.get_num_threads()
    results = []
    try:
        for n_threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(n_threads)
            results.append((linalg.csc_x_dot(X.data, X.indices, X.indptr, X.shape[0], w, n_threads),
                            linalg.dense_xt_dot(dense, v), linalg.dense_x_dot(dense, w)))
    finally:
        numba.set_num_threads(previous)
    for single, multi in zip(*results):
        np.testing.assert_allclose(single, multi, rtol=1e-12, atol=1e-12)


def test_small_products_run_on_one_thread_and_restore_the_setting():
    previous = numba.get_num_threads()
    with design._threads_for(np.ones((10, 10))) as n_threads:
        assert n_threads == 1
    with design._threads_for(np.ones((1, design.PARALLEL_MIN_ENTRIES))) as n_threads:
        assert n_threads == previous
    assert numba.get_num_threads() == previous


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_products_on_a_subset_of_columns(dtype):
    X, dense, v, _ = sample(dtype)
    columns = np.array([5, 0, 140, 7, 7])
    expected = (dense.astype(np.float64).T @ v)[columns]
    for matrix in (X, np.asfortranarray(dense)):
        np.testing.assert_allclose(design.xt_dot(matrix, v, columns), expected, rtol=RTOL[dtype], atol=RTOL[dtype])
    with pytest.raises(ValueError, match="columns must lie in"):
        design.xt_dot(X, v, np.array([141]))
