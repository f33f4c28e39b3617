"""Input checks: every bad input gives a ValueError or TypeError whose message names the argument."""
import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt import design, validation


def test_check_design_returns_fortran_float_or_csc():
    X = validation.check_design(np.arange(6).reshape(2, 3))
    assert X.dtype == np.float64 and X.flags.f_contiguous
    X32 = validation.check_design(np.ones((2, 3), dtype=np.float32))
    assert X32.dtype == np.float32
    csc = validation.check_design(sp.random(5, 4, density=0.5, format="csr", random_state=0))
    assert csc.format == "csc" and csc.has_sorted_indices
    objects = validation.check_design(np.ones((2, 2), dtype=object))
    assert objects.dtype == np.float64


@pytest.mark.parametrize("X, error, message", [
    (np.array([[1.0, np.nan]]), ValueError, "X contains NaN"),
    (np.array([[1.0, np.inf]]), ValueError, "X contains infinity"),
    (sp.csc_matrix(np.array([[0.0, np.nan]])), ValueError, "X contains NaN"),
    (np.ones(3), ValueError, "X must be 2-D.*Reshape your data"),
    (np.ones((0, 3)), ValueError, "X has 0 sample"),
    (np.ones((3, 0)), ValueError, "X has 0 feature"),
    (np.array([["a", "b"]]), TypeError, "X must hold real numbers"),
    (np.ones((2, 2), dtype=complex), ValueError, "X: Complex data not supported"),
])
def test_check_design_rejects(X, error, message):
    with pytest.raises(error, match=message):
        validation.check_design(X)


def test_check_design_rejects_sparse_when_asked():
    with pytest.raises(TypeError, match="X must be a dense array"):
        validation.check_design(sp.eye(3), accept_sparse=False)


def test_design_products_refuse_csr():
    with pytest.raises(TypeError, match="X must be a dense array or a CSC matrix"):
        design.xt_dot(sp.eye(3, format="csr"), np.ones(3))


@pytest.mark.parametrize("y, message", [
    (np.ones(4), "y must have length 3"),
    (np.array([1.0, np.nan, 2.0]), "y contains NaN"),
    (np.ones((3, 2)), "y must be 1-D"),
    (None, "requires y to be passed"),
])
def test_check_target_rejects(y, message):
    with pytest.raises(ValueError, match=message):
        validation.check_target(y, 3)


def test_check_target_accepts_a_column_with_a_warning():
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning, match="column-vector y"):
        y = validation.check_target(np.ones((3, 1)), 3)
    assert y.shape == (3,)


@pytest.mark.parametrize("weights, message", [
    (np.array([1.0, -1.0, 1.0]), "sample_weight must be non-negative"),
    (np.zeros(3), "sample_weight must not be all zero"),
    (np.ones(2), "sample_weight must have length 3"),
    (np.array([1.0, np.inf, 1.0]), "sample_weight contains infinity"),
])
def test_check_sample_weight_rejects(weights, message):
    with pytest.raises(ValueError, match=message):
        validation.check_sample_weight(weights, 3)


def test_check_sample_weight_defaults_and_scalars():
    np.testing.assert_array_equal(validation.check_sample_weight(None, 3), np.ones(3))
    np.testing.assert_array_equal(validation.check_sample_weight(2.0, 3), np.full(3, 2.0))


def test_feature_weights_allow_zero_but_not_negative():
    np.testing.assert_array_equal(validation.check_feature_weights([0.0, 1.0], 2), [0.0, 1.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        validation.check_feature_weights([-1.0, 1.0], 2)


def test_check_groups_from_sizes_and_lists():
    indices, ptr = validation.check_groups([2, 1], 3)
    np.testing.assert_array_equal(indices, [0, 1, 2])
    np.testing.assert_array_equal(ptr, [0, 2, 3])
    indices, ptr = validation.check_groups([[2, 0], [1]])
    np.testing.assert_array_equal(indices, [2, 0, 1])
    np.testing.assert_array_equal(ptr, [0, 2, 3])


@pytest.mark.parametrize("groups, message", [
    ([], "groups must be a non-empty list"),
    ([2, 0, 1], "groups: every group size must be positive"),
    ([[0, 1], []], "groups: every group must hold at least one feature"),
    ([[0, 1], [1, 2]], "groups must cover each of the 3 features exactly once"),
    ([2, 2], "groups must cover each of the 3 features exactly once"),
    ([[0.5, 1], [2]], "groups: feature indices must be integers"),
])
def test_check_groups_rejects(groups, message):
    with pytest.raises((ValueError, TypeError), match=message):
        validation.check_groups(groups, 3)


@pytest.mark.parametrize("value, kwargs, error, message", [
    (-1.0, dict(low=0.0), ValueError, r"alpha must lie in \[0.0, inf\]; got -1.0"),
    (0.0, dict(low=0.0, low_open=True), ValueError, r"alpha must lie in \(0.0, inf\]"),
    (np.nan, dict(), ValueError, "alpha must lie in"),
    ("1", dict(), TypeError, "alpha must be a real number"),
    (True, dict(), TypeError, "alpha must be a real number"),
])
def test_check_scalar_range(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        validation.check_scalar_range(value, "alpha", **kwargs)


def test_check_sorted_weights():
    with pytest.raises(ValueError, match="lambdas must be non-increasing"):
        validation.check_sorted_weights([1.0, 2.0], 2)
    with pytest.raises(ValueError, match="lambdas must be non-negative"):
        validation.check_sorted_weights([1.0, -2.0], 2)


@pytest.mark.parametrize("sparse", [False, True])
def test_center_data_gives_weighted_means(sparse):
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((6, 3))
    y = rng.standard_normal(6)
    weights = rng.uniform(0.5, 2.0, 6)
    X = sp.csc_matrix(dense) if sparse else np.asfortranarray(dense)
    X_out, y_out, X_offset, y_offset = validation.center_data(X, y, weights)
    np.testing.assert_allclose(X_offset, np.average(dense, axis=0, weights=weights), rtol=1e-12)
    assert y_offset == pytest.approx(np.average(y, weights=weights))
    np.testing.assert_allclose(y_out, y - y_offset)
    expected = dense if sparse else dense - X_offset
    np.testing.assert_allclose(X_out.toarray() if sparse else X_out, expected, atol=1e-14)
