"""Tests of sparseopt.datafits: values, gradients and Lipschitz constants of Quadratic and Logistic, with and
without sample weights, for dense and CSC designs."""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from sparseopt.datafits import Logistic, Quadratic

DATAFIT_SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def problems(draw, logistic=False):
    """(X dense, X CSC, y, w, sample_weight or None) with 1 <= n <= 60, 1 <= p <= 30."""
    n, p = draw(st.integers(1, 60)), draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    X = rng.standard_normal((n, p))
    if draw(st.booleans()):  # sparse-looking design: about half the entries are 0
        X *= rng.random((n, p)) < 0.5
    X = np.asfortranarray(X)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0) if logistic else rng.standard_normal(n)
    w = rng.standard_normal(p)
    sample_weight = None
    if draw(st.booleans()):
        sample_weight = rng.random(n) * 3.0
        sample_weight[rng.random(n) < 0.2] = 0.0  # some samples left out
        sample_weight[0] = 1.5  # never all zero
    return X, sp.csc_matrix(X), y, w, sample_weight


def shares(sample_weight, n):
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    return s / s.sum()


def quadratic_value(X, y, w, sample_weight):
    """1/(2 sum s) sum_i s_i (y_i - x_i^T w)^2."""
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    return sum(s[i] * (y[i] - X[i] @ w) ** 2 for i in range(len(y))) / (2 * s.sum())


def logistic_value(X, y, w, sample_weight):
    """1/sum s sum_i s_i log(1 + exp(-y_i x_i^T w))."""
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    return sum(s[i] * np.log1p(np.exp(-y[i] * (X[i] @ w))) for i in range(len(y))) / s.sum()


CASES = [
    pytest.param(Quadratic, quadratic_value, 1.0, False, id="quadratic"),
    pytest.param(Logistic, logistic_value, 0.25, True, id="logistic"),
]


def curvatures(curvature_bound, sample_weight, n):
    """h_i = s_i * (bound on l'') / sum s: 1 for least squares, 1/4 for the logistic loss."""
    return curvature_bound * shares(sample_weight, n)


@pytest.mark.parametrize("make, reference_value, curvature_bound, logistic", CASES)
@given(data=st.data())
@DATAFIT_SETTINGS
def test_value(make, reference_value, curvature_bound, logistic, data):
    X, _, y, w, sample_weight = data.draw(problems(logistic))
    value = make(sample_weight).value(y, X @ w)
    assert isinstance(value, float)
    assert value == pytest.approx(reference_value(X, y, w, sample_weight), rel=1e-10, abs=1e-14)


def test_values_small_examples():
    y = np.array([1.0, -1.0, 1.0])
    Xw = np.array([0.0, 2.0, -1.0])
    assert Quadratic().value(y, Xw) == pytest.approx((1 + 9 + 4) / 6, rel=1e-15)
    assert Quadratic(np.array([2.0, 0.0, 1.0])).value(y, Xw) == pytest.approx((2 * 1 + 4) / 6, rel=1e-15)
    expected = (np.log(2) + np.log1p(np.exp(2.0)) + np.log1p(np.exp(1.0))) / 3
    assert Logistic().value(y, Xw) == pytest.approx(expected, rel=1e-15)
    # no overflow for large margins: log(1 + e^800) = 800 + log(1 + e^-800)
    assert Logistic().value(np.array([-1.0]), np.array([800.0])) == pytest.approx(800.0, rel=1e-15)
    assert Logistic().value(np.array([1.0]), np.array([800.0])) == pytest.approx(0.0, abs=1e-300)


@pytest.mark.parametrize("make, reference_value, curvature_bound, logistic", CASES)
@given(data=st.data())
@DATAFIT_SETTINGS
def test_gradient_against_finite_differences(make, reference_value, curvature_bound, logistic, data):
    X, _, y, w, sample_weight = data.draw(problems(logistic))
    datafit = make(sample_weight)
    gradient = datafit.gradient(X, y, X @ w)
    h = 1e-6
    finite_difference = np.empty_like(w)
    for j in range(w.size):
        step = np.zeros_like(w)
        step[j] = h
        finite_difference[j] = (datafit.value(y, X @ (w + step)) - datafit.value(y, X @ (w - step))) / (2 * h)
    assert np.linalg.norm(gradient - finite_difference) <= 1e-6 * np.linalg.norm(gradient) + 1e-9


@pytest.mark.parametrize("make, reference_value, curvature_bound, logistic", CASES)
@given(data=st.data())
@DATAFIT_SETTINGS
def test_gradient_closed_form(make, reference_value, curvature_bound, logistic, data):
    """X.T s (Xw - y) / sum s for least squares, -X.T s y sigmoid(-y Xw) / sum s for the logistic loss."""
    X, _, y, w, sample_weight = data.draw(problems(logistic))
    share = shares(sample_weight, len(y))
    Xw = X @ w
    expected = X.T @ (share * (-y / (1 + np.exp(y * Xw)) if logistic else Xw - y))
    np.testing.assert_allclose(make(sample_weight).gradient(X, y, Xw), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make, reference_value, curvature_bound, logistic", CASES)
@given(data=st.data())
@DATAFIT_SETTINGS
def test_lipschitz_constants(make, reference_value, curvature_bound, logistic, data):
    X, _, y, _, sample_weight = data.draw(problems(logistic))
    h = curvatures(curvature_bound, sample_weight, len(y))
    datafit = make(sample_weight)
    coordinate_expected = np.array([sum(h[i] * X[i, j] ** 2 for i in range(len(y))) for j in range(X.shape[1])])
    np.testing.assert_allclose(datafit.coordinate_lipschitz(X), coordinate_expected, rtol=1e-10, atol=1e-14)
    largest_eigenvalue = np.linalg.eigvalsh(X.T @ np.diag(h) @ X).max()
    assert datafit.lipschitz(X) == pytest.approx(largest_eigenvalue, rel=1e-6, abs=1e-14)


@pytest.mark.parametrize("make, reference_value, curvature_bound, logistic", CASES)
@given(data=st.data())
@DATAFIT_SETTINGS
def test_gradient_is_lipschitz(make, reference_value, curvature_bound, logistic, data):
    """||grad F(w) - grad F(v)|| <= L ||w - v|| along random directions, with equality for least squares along
    the top eigenvector of X.T diag(h) X; and the partial derivatives are L_j-Lipschitz along e_j."""
    X, _, y, w, sample_weight = data.draw(problems(logistic))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    datafit = make(sample_weight)
    lipschitz = datafit.lipschitz(X)
    coordinate_lipschitz = datafit.coordinate_lipschitz(X)
    for _ in range(5):
        v = w + rng.standard_normal(w.size) * rng.choice([1e-3, 1.0, 10.0])
        change = np.linalg.norm(datafit.gradient(X, y, X @ w) - datafit.gradient(X, y, X @ v))
        assert change <= lipschitz * np.linalg.norm(w - v) * (1 + 1e-8) + 1e-14
        j = rng.integers(w.size)
        moved = w.copy()
        moved[j] += rng.standard_normal()
        partial_change = abs(datafit.gradient(X, y, X @ w)[j] - datafit.gradient(X, y, X @ moved)[j])
        assert partial_change <= coordinate_lipschitz[j] * abs(moved[j] - w[j]) * (1 + 1e-8) + 1e-14
    if not logistic:
        h = curvatures(1.0, sample_weight, len(y))
        top = np.linalg.eigh(X.T @ np.diag(h) @ X)[1][:, -1]
        change = np.linalg.norm(datafit.gradient(X, y, X @ w) - datafit.gradient(X, y, X @ (w + top)))
        assert change == pytest.approx(lipschitz, rel=1e-6, abs=1e-14)


@pytest.mark.parametrize("gap", [1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
def test_lipschitz_near_degenerate_top_eigenvalues(gap):
    """X with singular values sqrt(n) (1, 1 - gap, ...), so L = 1. Power iteration approaches L from below; stopped
    on a relative change tol = 1e-10 it is off by a small multiple of min(gap, tol / gap) <= sqrt(tol) (the documented
    accuracy), and to 1e-9 when the top eigenvalue is well separated."""
    rng = np.random.default_rng(0)
    n, p = 40, 10
    left = np.linalg.qr(rng.standard_normal((n, p)))[0]
    right = np.linalg.qr(rng.standard_normal((p, p)))[0]
    singular_values = np.linspace(1.0, 0.1, p)
    singular_values[1] = 1.0 - gap
    X = np.asfortranarray(left * singular_values @ right.T * np.sqrt(n))
    lipschitz = Quadratic().lipschitz(X)
    assert lipschitz <= 1.0 + 1e-12
    assert lipschitz >= 1.0 - 10 * min(gap, 1e-10 / gap)


def test_logistic_lipschitz_is_attained_at_zero_margin():
    """l''(0) = 1/4 is the largest curvature of the logistic loss: at w = 0 the gradient's change along the top
    eigenvector of X.T X / (4n) over a small step is L times the step."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 5)), np.where(rng.random(40) < 0.5, -1.0, 1.0)
    datafit = Logistic()
    top = np.linalg.eigh(X.T @ X)[1][:, -1]
    t = 1e-5
    change = np.linalg.norm(datafit.gradient(X, y, X @ (t * top)) - datafit.gradient(X, y, np.zeros(40)))
    assert change / t == pytest.approx(datafit.lipschitz(X), rel=1e-4)


@pytest.mark.parametrize("make, reference_value, curvature_bound, logistic", CASES)
@given(data=st.data())
@DATAFIT_SETTINGS
def test_dense_and_csc_agree(make, reference_value, curvature_bound, logistic, data):
    X, X_csc, y, w, sample_weight = data.draw(problems(logistic))
    datafit = make(sample_weight)
    Xw = X @ w
    np.testing.assert_allclose(datafit.gradient(X_csc, y, Xw), datafit.gradient(X, y, Xw), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(datafit.coordinate_lipschitz(X_csc), datafit.coordinate_lipschitz(X),
                               rtol=1e-12, atol=1e-14)
    assert datafit.lipschitz(X_csc) == pytest.approx(datafit.lipschitz(X), rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("make", [Quadratic, Logistic])
def test_unit_sample_weights_change_nothing(make):
    rng = np.random.default_rng(1)
    X, w = rng.standard_normal((30, 4)), rng.standard_normal(4)
    y = np.where(rng.random(30) < 0.5, -1.0, 1.0)
    plain, weighted, scaled = make(), make(np.ones(30)), make(np.full(30, 7.0))
    for datafit in (weighted, scaled):
        assert datafit.value(y, X @ w) == pytest.approx(plain.value(y, X @ w), rel=1e-14)
        np.testing.assert_allclose(datafit.gradient(X, y, X @ w), plain.gradient(X, y, X @ w), rtol=1e-13)
        assert datafit.lipschitz(X) == pytest.approx(plain.lipschitz(X), rel=1e-12)


@pytest.mark.parametrize("make", [Quadratic, Logistic])
def test_integer_sample_weights_repeat_samples(make):
    """Weight 2 on a sample is the same as that sample twice."""
    rng = np.random.default_rng(2)
    X, w = rng.standard_normal((10, 3)), rng.standard_normal(3)
    y = np.where(rng.random(10) < 0.5, -1.0, 1.0)
    weights = np.array([2, 1, 1, 0, 1, 3, 1, 1, 1, 1])
    X_rep, y_rep = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    weighted, repeated = make(weights.astype(float)), make()
    assert weighted.value(y, X @ w) == pytest.approx(repeated.value(y_rep, X_rep @ w), rel=1e-13)
    np.testing.assert_allclose(weighted.gradient(X, y, X @ w), repeated.gradient(X_rep, y_rep, X_rep @ w),
                               rtol=1e-12)
    np.testing.assert_allclose(weighted.coordinate_lipschitz(X), repeated.coordinate_lipschitz(X_rep), rtol=1e-12)
    assert weighted.lipschitz(X) == pytest.approx(repeated.lipschitz(X_rep), rel=1e-8)


@pytest.mark.parametrize("sample_weight, match", [
    (np.array([1.0, -1.0, 1.0]), "sample_weight"),
    (np.array([0.0, 0.0, 0.0]), "sample_weight"),
    (np.array([1.0, np.nan, 1.0]), "sample_weight"),
    (np.array([1.0, 1.0]), "sample_weight"),
])
@pytest.mark.parametrize("make", [Quadratic, Logistic])
def test_bad_sample_weight(make, sample_weight, match):
    with pytest.raises(ValueError, match=match):
        make(sample_weight).value(np.ones(3), np.zeros(3))
