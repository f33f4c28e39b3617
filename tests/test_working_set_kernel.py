"""The compiled outer loop of working-set CD (numba_kernels.working_set): its pieces against NumPy."""
import numpy as np
import pytest

from numba_kernels.working_set import _duality_gap, _kth_smallest, _largest_positive


@pytest.mark.parametrize("size", [0, 1, 5, 9, 12])
def test_largest_positive_picks_the_top_scores_in_index_order(size):
    rng = np.random.default_rng(size)
    scores = rng.integers(0, 4, 12).astype(float)  # many ties, and zeros that are never picked
    scores[[2, 7]] = np.inf
    chosen = _largest_positive(scores, size)
    expected = np.sort(np.argsort(-scores, kind="stable")[:min(size, np.count_nonzero(scores))])
    assert chosen.size == expected.size and np.all(np.diff(chosen) > 0) and np.all(scores[chosen] > 0)
    np.testing.assert_array_equal(np.sort(scores[chosen]), np.sort(scores[expected]))


def test_largest_positive_matches_a_stable_sort_on_random_scores():
    """Against NumPy on 200 random score vectors (Gaussian, or integers with many ties, some infinite): the chosen
    indices are exactly the first ``size`` of a stable sort by decreasing score, in ascending order."""
    rng = np.random.default_rng(0)
    for trial in range(200):
        m = int(rng.integers(1, 50))
        scores = rng.integers(-2, 5, m).astype(float) if trial % 2 else rng.standard_normal(m)
        scores[rng.random(m) < 0.1] = np.inf
        positive = np.flatnonzero(scores > 0)
        for size in range(m + 2):
            expected = np.sort(positive[np.argsort(-scores[positive], kind="stable")[:size]])
            np.testing.assert_array_equal(_largest_positive(scores, size), expected)


def test_kth_smallest_is_the_sorted_value():
    rng = np.random.default_rng(1)
    for m in (1, 2, 3, 10, 101):
        values = np.concatenate([rng.standard_normal(m), rng.integers(0, 3, m).astype(float)])  # with ties
        for k in range(values.size):
            assert _kth_smallest(values.copy(), k) == np.sort(values)[k]


@pytest.mark.parametrize("positive", [False, True])
def test_duality_gap_matches_the_formula(positive):
    """gap = P(w) - D(theta r / n), D(u) = u^T y - n/2 ||u||^2 - sum_{l2 > 0} (theta |c_j| - l1_j)_+^2 / (2 l2_j),
    theta = min(1, min over l2_j = 0 < l1_j of l1_j / |c_j|), c = X^T r / n (its positive part with positive)."""
    rng = np.random.default_rng(3)
    n, p = 30, 8
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    w = np.where(rng.random(p) < 0.5, rng.standard_normal(p), 0.0)
    l1, l2 = np.full(p, 0.3), np.where(np.arange(p) < 3, 0.2, 0.0)
    residual = y - X @ w
    correlations = X.T @ residual / n
    features = np.arange(p)
    gap, theta = _duality_gap(y, residual, np.ones(n), 0.0, w, features, correlations, l1, l2, positive, n)
    c = np.maximum(correlations, 0.0) if positive else correlations
    strict = l2 == 0
    with np.errstate(divide="ignore"):  # c_j = 0 (its positive part) puts no limit on theta
        expected_theta = min(1.0, np.min(l1[strict] / np.abs(c[strict])))
    u = expected_theta * residual / n
    dual = u @ y - n / 2 * u @ u - np.sum(np.maximum(expected_theta * np.abs(c[~strict]) - l1[~strict], 0) ** 2
                                           / (2 * l2[~strict]))
    primal = residual @ residual / (2 * n) + l1 @ np.abs(w) + 0.5 * l2 @ w ** 2
    assert theta == pytest.approx(expected_theta, rel=1e-12)
    assert gap == pytest.approx(primal - dual, rel=1e-12)


def test_gram_extend_fills_the_products_of_the_features_given_slots():
    from numba_kernels.gram_cd import gram_extend

    rng = np.random.default_rng(2)
    X = np.asfortranarray(rng.standard_normal((30, 12)))
    slots, members, gram = np.full(12, -1), np.empty(8, dtype=np.int64), np.full((8, 8), np.nan)
    rows = np.empty((8, 30))
    n_cached = gram_extend(X.ravel(order="F"), 30, np.array([3, 7, 1]), slots, members, rows, gram, 0)
    n_cached = gram_extend(X.ravel(order="F"), 30, np.array([1, 5, 7, 10]), slots, members, rows, gram, n_cached)
    assert n_cached == 5 and list(members[:5]) == [3, 7, 1, 5, 10] and slots[5] == 3 and slots[0] == -1
    np.testing.assert_allclose(gram[:5, :5], X[:, members[:5]].T @ X[:, members[:5]], rtol=1e-13)


@pytest.mark.parametrize("kind, positive, l2", [(0, False, 0.0), (0, True, 0.0), (0, False, 0.3), (1, False, 0.0),
                                                (2, False, 0.0)])
def test_covariance_updates_give_the_column_wise_iterates(kind, positive, l2):
    """gram_cd_working_set against cd_working_set (dense X) from the same non-zero start: the same epochs, the same
    coefficients and residual to rounding, for the elastic net (with Anderson steps), w >= 0, MCP and SCAD."""
    from numba_kernels.cd import cd_working_set
    from numba_kernels.gram_cd import gram_cd_working_set, gram_extend

    rng = np.random.default_rng(4)
    n, p = 60, 15
    X = np.asfortranarray(rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1)))  # correlated columns
    y = X[:, :4] @ np.array([2.0, -1.5, 1.0, 0.5]) + 0.3 * rng.standard_normal(n)
    lipschitz = (X ** 2).sum(axis=0) / n
    l1, l2s = np.full(p, 0.05), np.full(p, l2)
    working_set = np.array([0, 1, 2, 3, 5, 8, 9, 13])
    w = np.zeros(p)
    w[[0, 5]] = [1.0, 0.2]
    residual = y - X @ w
    shape = 3.0 if kind else 0.0
    w_columns, r_columns = w.copy(), residual.copy()
    _, epochs, violation = cd_working_set(X.ravel(order="F"), np.zeros(0, np.int32), np.zeros(0, np.int32), w_columns,
                                          r_columns, 0.0, working_set, lipschitz, l1, l2s, positive, kind, shape,
                                          np.zeros(p), n, 500, 1e-10, 5, 10)
    slots, members, gram = np.full(p, -1), np.empty(p, dtype=np.int64), np.empty((p, p))
    gram_extend(X.ravel(order="F"), n, working_set, slots, members, np.empty((p, n)), gram, 0)
    w_gram, r_gram = w.copy(), residual.copy()
    gram_epochs, gram_violation = gram_cd_working_set(X.ravel(order="F"), n, w_gram, r_gram, working_set, lipschitz,
                                                      l1, l2s, positive, kind, shape, 500, 1e-10, 5, 10, slots, gram)
    assert gram_epochs == epochs and violation <= 1e-10 and gram_violation <= 1e-10
    np.testing.assert_allclose(w_gram, w_columns, atol=1e-12)
    np.testing.assert_allclose(r_gram, y - X @ w_gram, atol=1e-12)
