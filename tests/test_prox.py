"""The compiled proximal operators against independent answers.

Convex proxes: cvxpy solving argmin_x 1/2 ||x - v||^2 + step P(x) with Clarabel at tight tolerances, and the
Moreau decomposition v = prox_{step P}(v) + proj_{step * dual ball}(v) where P is a norm. Nonconvex scalar rules:
a dense grid search of the scalar objective. Hypothesis draws the sizes (p = 1 included) and the values
(ties included for the sorted-L1 prox).
"""
import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.isotonic import isotonic_regression

from numba_kernels import prox

# At an input exactly on a bound of the box, an interior-point answer is off by about sqrt(tolerance) (8e-7 at
# 1e-12; tighter tolerances make Clarabel stop "inaccurate"), so the box bounds avoid the drawn values.
CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
COEF_TOL = 1e-6

finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
sizes = st.integers(1, 12)
positive = st.floats(0.01, 3.0)


def vectors(size):
    """Random vectors, with values drawn from a small set half of the time so that ties happen."""
    ties = arrays(np.float64, size, elements=st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]))
    return st.one_of(arrays(np.float64, size, elements=finite), ties)


def solve_prox(v, step, penalty):
    """argmin_x 1/2 ||x - v||^2 + step * penalty(x), by cvxpy."""
    x = cp.Variable(v.shape[0])
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - v) + step * penalty(x))).solve(**CLARABEL)
    return x.value


def nonincreasing(values):
    return np.sort(np.abs(values))[::-1]


@settings(max_examples=25, deadline=None)
@given(data=st.data(), step=positive, alpha=positive)
def test_prox_l1_matches_cvxpy_and_moreau(data, step, alpha):
    v = data.draw(sizes.flatmap(vectors))
    expected = solve_prox(v, step, lambda x: alpha * cp.norm1(x))
    np.testing.assert_allclose(prox.prox_l1(v, step, alpha), expected, atol=COEF_TOL)
    # Moreau: the rest is the projection on the l_inf ball of radius step * alpha
    np.testing.assert_allclose(v - prox.prox_l1(v, step, alpha), np.clip(v, -step * alpha, step * alpha), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), step=positive, alpha=positive)
def test_prox_weighted_l1_matches_cvxpy(data, step, alpha):
    v = data.draw(sizes.flatmap(vectors))
    weights = data.draw(arrays(np.float64, v.shape[0], elements=st.floats(0.0, 2.0)))
    expected = solve_prox(v, step, lambda x: alpha * weights @ cp.abs(x))
    np.testing.assert_allclose(prox.prox_weighted_l1(v, step, alpha, weights), expected, atol=COEF_TOL)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), step=positive, alpha=positive, l1_ratio=st.floats(0.0, 1.0))
def test_prox_elastic_net_matches_cvxpy(data, step, alpha, l1_ratio):
    v = data.draw(sizes.flatmap(vectors))
    expected = solve_prox(v, step, lambda x: alpha * (l1_ratio * cp.norm1(x)
                                                      + 0.5 * (1 - l1_ratio) * cp.sum_squares(x)))
    np.testing.assert_allclose(prox.prox_elastic_net(v, step, alpha, l1_ratio), expected, atol=COEF_TOL)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), step=positive, alpha=positive)
def test_prox_group_l2_matches_cvxpy_and_moreau(data, step, alpha):
    sizes_of_groups = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    v = data.draw(vectors(sum(sizes_of_groups)))
    permutation = np.random.default_rng(len(v)).permutation(len(v))
    ptr = np.concatenate(([0], np.cumsum(sizes_of_groups)))
    weights = np.sqrt(sizes_of_groups).astype(float)
    groups = [permutation[ptr[g]:ptr[g + 1]] for g in range(len(sizes_of_groups))]
    expected = solve_prox(v, step, lambda x: alpha * sum(c * cp.norm2(x[g]) for c, g in zip(weights, groups)))
    result = prox.prox_group_l2(v, step, alpha, permutation.astype(np.int64), ptr.astype(np.int64), weights)
    np.testing.assert_allclose(result, expected, atol=COEF_TOL)
    # Moreau: v - prox is the projection of each block on the ball of radius step * alpha * c_g
    for c, g in zip(weights, groups):
        radius = step * alpha * c
        projection = v[g] * min(1.0, radius / max(np.linalg.norm(v[g]), 1e-300))
        np.testing.assert_allclose(v[g] - result[g], projection, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), step=positive)
def test_prox_sorted_l1_matches_cvxpy(data, step):
    v = data.draw(sizes.flatmap(vectors))
    lambdas = np.sort(data.draw(arrays(np.float64, v.shape[0], elements=st.sampled_from([0.0, 0.3, 1.0, 1.7]))))[::-1]
    lambdas = np.ascontiguousarray(lambdas)
    expected = solve_prox(v, step, lambda x: sorted_l1_cvxpy(x, lambdas))
    np.testing.assert_allclose(prox.prox_sorted_l1(v, step, lambdas), expected, atol=COEF_TOL)


def sorted_l1_cvxpy(x, lambdas):
    """sum_i lambda_i |x|_(i) written with sum_largest: sum_k (lambda_k - lambda_{k+1}) sum_largest(|x|, k)."""
    differences = lambdas - np.append(lambdas[1:], 0.0)
    return sum(d * cp.sum_largest(cp.abs(x), k + 1) for k, d in enumerate(differences) if d > 0)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), step=positive)
def test_prox_sorted_l1_moreau_with_dual_norm(data, step):
    """v - prox(v) lies in the dual ball and <prox(v), v - prox(v)> = step J(prox(v)) (Fenchel-Young)."""
    v = data.draw(sizes.flatmap(vectors))
    lambdas = np.sort(data.draw(arrays(np.float64, v.shape[0], elements=st.floats(0.1, 2.0))))[::-1].copy()
    x = prox.prox_sorted_l1(v, step, lambdas)
    u = (v - x) / step
    assert np.all(np.cumsum(nonincreasing(u)) <= np.cumsum(lambdas) + 1e-10)
    assert u @ x == pytest.approx(lambdas @ nonincreasing(x), abs=1e-10)


def test_prox_sorted_l1_known_value():
    """Hand-computed: |v| sorted = (3, 2.5, 2, 1), minus lambda = (1, 1, 1, 0.5): already non-increasing."""
    result = prox.prox_sorted_l1(np.array([3.0, -1.0, 2.0, 2.5]), 1.0, np.array([2.0, 1.5, 1.0, 0.5]))
    np.testing.assert_allclose(result, [1.0, -0.5, 1.0, 1.0])


@settings(max_examples=40, deadline=None)
@given(y=sizes.flatmap(vectors))
def test_isotonic_nonincreasing_matches_scikit_learn(y):
    """scikit-learn's isotonic_regression is exact (PAVA too), so the two agree to rounding."""
    expected = isotonic_regression(y, increasing=False)
    np.testing.assert_allclose(prox.isotonic_nonincreasing(y), expected, atol=1e-12)


# ---- nonconvex scalar rules: grid search of 1/2 (x - z)^2 + step p(x) ----

GRID = np.linspace(-12.0, 12.0, 480_001)  # spacing 5e-5


def mcp_value(x, alpha, gamma):
    return np.where(np.abs(x) <= gamma * alpha, alpha * np.abs(x) - x ** 2 / (2 * gamma), gamma * alpha ** 2 / 2)


def scad_value(x, alpha, a):
    x = np.abs(x)
    middle = (2 * a * alpha * x - x ** 2 - alpha ** 2) / (2 * (a - 1))
    return np.where(x <= alpha, alpha * x, np.where(x <= a * alpha, middle, alpha ** 2 * (a + 1) / 2))


def cel0_value(x, lambda0, a):
    return lambda0 - a ** 2 / 2 * (np.abs(x) - np.sqrt(2 * lambda0) / a) ** 2 * (np.abs(x) <= np.sqrt(2 * lambda0) / a)


def assert_grid_minimum(rule, penalty, z, step):
    """The rule's output is at least as good as the best grid point, and close to it when the minimum is unique."""
    def objective(x):
        return 0.5 * (x - z) ** 2 + step * penalty(x)
    values = objective(GRID)
    best = np.argmin(values)
    result = rule(z)
    assert objective(np.array([result]))[0] <= values[best] + 1e-9
    # the grid minimum is within one spacing of a true minimizer; compare points unless two minima tie
    runner_up = np.min(values[np.abs(GRID - GRID[best]) > 1e-2])
    if runner_up - values[best] > 1e-6:
        assert result == pytest.approx(GRID[best], abs=1e-4)


scalars = st.floats(-8, 8, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(z=scalars, step=positive, lambda0=positive)
def test_hard_threshold_is_l0_prox(z, step, lambda0):
    assert_grid_minimum(lambda s: prox.hard_threshold(s, step, lambda0),
                        lambda x: lambda0 * (x != 0), z, step)


@settings(max_examples=60, deadline=None)
@given(z=scalars, step=positive, lambda0=positive, lambda2=positive)
def test_l0l2_threshold_is_prox(z, step, lambda0, lambda2):
    assert_grid_minimum(lambda s: prox.l0l2_threshold(s, step, lambda0, lambda2),
                        lambda x: lambda0 * (x != 0) + lambda2 * x ** 2, z, step)


@settings(max_examples=60, deadline=None)
@given(z=scalars, step=positive, lambda0=positive, lambda1=positive)
def test_l0l1_threshold_is_prox(z, step, lambda0, lambda1):
    assert_grid_minimum(lambda s: prox.l0l1_threshold(s, step, lambda0, lambda1),
                        lambda x: lambda0 * (x != 0) + lambda1 * np.abs(x), z, step)


@settings(max_examples=60, deadline=None)
@given(z=scalars, step=st.floats(0.05, 2.0), alpha=positive, ratio=st.floats(1.05, 5.0))
def test_mcp_threshold_is_prox(z, step, alpha, ratio):
    gamma = ratio * step
    assert_grid_minimum(lambda s: prox.mcp_threshold(s, step, alpha, gamma),
                        lambda x: mcp_value(x, alpha, gamma), z, step)


@settings(max_examples=60, deadline=None)
@given(z=scalars, step=st.floats(0.05, 2.0), alpha=positive, extra=st.floats(0.05, 4.0))
def test_scad_threshold_is_prox(z, step, alpha, extra):
    a = 1.0 + step + extra
    assert_grid_minimum(lambda s: prox.scad_threshold(s, step, alpha, a),
                        lambda x: scad_value(x, alpha, a), z, step)


@settings(max_examples=60, deadline=None)
@given(z=scalars, lambda0=positive, a=st.floats(0.2, 3.0), fraction=st.floats(0.05, 0.95))
def test_cel0_threshold_is_prox(z, lambda0, a, fraction):
    step = fraction / a ** 2
    assert_grid_minimum(lambda s: prox.cel0_threshold(s, step, lambda0, a),
                        lambda x: cel0_value(x, lambda0, a), z, step)


def test_vector_rules_apply_the_scalar_rule_entrywise():
    v = np.linspace(-4, 4, 17)
    cases = [
        (prox.prox_l0(v, 0.5, 1.0), [prox.hard_threshold(z, 0.5, 1.0) for z in v]),
        (prox.prox_l0l2(v, 0.5, 1.0, 0.3), [prox.l0l2_threshold(z, 0.5, 1.0, 0.3) for z in v]),
        (prox.prox_l0l1(v, 0.5, 1.0, 0.3), [prox.l0l1_threshold(z, 0.5, 1.0, 0.3) for z in v]),
        (prox.prox_mcp(v, 0.5, 1.0, 3.0), [prox.mcp_threshold(z, 0.5, 1.0, 3.0) for z in v]),
        (prox.prox_scad(v, 0.5, 1.0, 3.7), [prox.scad_threshold(z, 0.5, 1.0, 3.7) for z in v]),
        (prox.prox_cel0(v, 0.5, 1.0, np.full(17, 1.2)), [prox.cel0_threshold(z, 0.5, 1.0, 1.2) for z in v]),
    ]
    for vector_result, scalar_results in cases:
        np.testing.assert_array_equal(vector_result, scalar_results)


@pytest.mark.parametrize("call, message", [
    (lambda: prox.mcp_threshold(1.0, 2.0, 1.0, 2.0), "gamma > step"),
    (lambda: prox.scad_threshold(1.0, 1.0, 1.0, 2.0), "a > 1 \\+ step"),
    (lambda: prox.cel0_threshold(1.0, 1.0, 1.0, 1.0), "column_norm\\*\\*2 \\* step < 1"),
    (lambda: prox.project_simplex(np.ones(3), 0.0), "radius > 0"),
])
def test_nonconvex_rules_reject_steps_outside_their_condition(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- projections ----

@settings(max_examples=25, deadline=None)
@given(v=sizes.flatmap(vectors), radius=positive)
def test_project_simplex_matches_cvxpy(v, radius):
    x = cp.Variable(v.shape[0])
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - v)), [x >= 0, cp.sum(x) == radius]).solve(**CLARABEL)
    result = prox.project_simplex(v, radius)
    np.testing.assert_allclose(result, x.value, atol=COEF_TOL)
    assert result.sum() == pytest.approx(radius)


@settings(max_examples=25, deadline=None)
@given(v=sizes.flatmap(vectors))
def test_project_box_and_nonnegative_match_cvxpy(v):
    lower, upper = -np.linspace(0.55, 1.45, v.shape[0]) - 0.01, np.full(v.shape[0], 1.1)
    x = cp.Variable(v.shape[0])
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - v)), [x >= lower, x <= upper]).solve(**CLARABEL)
    np.testing.assert_allclose(prox.project_box(v, lower, upper), x.value, atol=COEF_TOL)
    # Moreau for the indicator of the orthant: v = proj_{x >= 0}(v) + proj_{x <= 0}(v)
    np.testing.assert_allclose(prox.project_nonnegative(v) + np.minimum(v, 0.0), v, atol=0)


def test_float32_input_keeps_float32():
    v = np.array([1.5, -0.2, 3.0], dtype=np.float32)
    result = prox.prox_sorted_l1(v, 1.0, np.array([1.0, 0.5, 0.1], dtype=np.float32))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, prox.prox_sorted_l1(v.astype(float), 1.0, np.array([1.0, 0.5, 0.1])),
                               rtol=1e-6)
