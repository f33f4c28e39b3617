"""Tests of sparseopt.penalties: value, prox, subdiff_distance and dual_norm against independent answers.

Convex penalties are checked against cvxpy (Clarabel, tight tolerances) with the penalty written from its
definition; nonconvex separable ones against formulas from their papers and a dense 1-D grid minimisation.
"""
import warnings

import cvxpy as cp
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sparseopt.penalties import (CEL0, L0, L0L1, L0L2, L1, MCP, SCAD, ElasticNet, GroupL2, SortedL1,
                                 WeightedL1)

CVXPY_SETTINGS = settings(max_examples=25, deadline=None)


def solve(problem):
    """Solve with Clarabel at tight tolerances and return the optimal value.

    Degenerate instances (alpha = 0, a zero weight, a subdifferential reduced to one point) stop short of the
    1e-12 tolerances and come back "optimal_inaccurate", still accurate to well below the tolerances the tests
    use; cvxpy's warning about it is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE), problem.status
    return problem.value


# ---------------------------------------------------------------------------------------------------------
# strategies

sizes = st.integers(1, 8)
alphas = st.floats(0.0, 2.0)
steps = st.floats(0.05, 2.0)
# entries away from the subnormal range: exactly 0 or at least 1e-2 in absolute value
entries = st.one_of(st.just(0.0), st.floats(0.01, 3.0), st.floats(-3.0, -0.01))
# entries with many ties of |w| (clusters) and zeros
clustered_entries = st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0])
grad_entries = st.floats(-3.0, 3.0, allow_subnormal=False)


def vectors(p, elements=entries):
    return hnp.arrays(np.float64, p, elements=elements)


@st.composite
def sorted_lambdas(draw, p):
    """Non-increasing non-negative lambdas with ties and (often) zeros at the tail."""
    values = draw(hnp.arrays(np.float64, p, elements=st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 3.0])))
    return np.sort(values)[::-1].copy()


@st.composite
def group_cases(draw, p=None):
    """(p, groups, group_lists, group_weights): groups as sizes or index lists; weights default or given."""
    p = draw(sizes) if p is None else p
    n_cuts = draw(st.integers(0, p - 1))
    cuts = sorted(draw(st.sets(st.integers(1, p - 1), min_size=n_cuts, max_size=n_cuts))) if p > 1 else []
    bounds = [0] + cuts + [p]
    group_sizes = [bounds[g + 1] - bounds[g] for g in range(len(bounds) - 1)]
    if draw(st.booleans()):
        groups = group_sizes
        group_lists = [list(range(bounds[g], bounds[g + 1])) for g in range(len(group_sizes))]
    else:
        perm = draw(st.permutations(range(p)))
        group_lists = [list(perm[bounds[g]:bounds[g + 1]]) for g in range(len(group_sizes))]
        groups = group_lists
    if draw(st.booleans()):
        group_weights = None
    else:
        group_weights = draw(vectors(len(group_sizes), st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    return p, groups, group_lists, group_weights


def reference_group_weights(group_lists, group_weights):
    if group_weights is None:
        return np.array([np.sqrt(len(g)) for g in group_lists])
    return np.asarray(group_weights)


# ---------------------------------------------------------------------------------------------------------
# penalty values written from their definitions, coordinate by coordinate where separable


def mcp_1d(x, alpha, gamma):
    """Zhang (2010): alpha |x| - x^2/(2 gamma) for |x| <= gamma alpha, gamma alpha^2 / 2 beyond."""
    x = np.abs(x)
    return np.where(x <= gamma * alpha, alpha * x - x ** 2 / (2 * gamma), gamma * alpha ** 2 / 2)


def scad_1d(x, alpha, a):
    """Fan & Li (2001): piecewise linear / quadratic / constant."""
    x = np.abs(x)
    return np.where(x <= alpha, alpha * x,
                    np.where(x <= a * alpha, -(x ** 2 - 2 * a * alpha * x + alpha ** 2) / (2 * (a - 1)),
                             (a + 1) * alpha ** 2 / 2))


def cel0_1d(x, lambda0, a):
    """Soubies et al. (2015): lambda0 - a^2/2 (|x| - sqrt(2 lambda0)/a)^2 1{|x| <= sqrt(2 lambda0)/a}."""
    x = np.abs(x)
    knot = np.sqrt(2 * lambda0) / a
    return lambda0 - a ** 2 / 2 * (x - knot) ** 2 * (x <= knot)


def sorted_l1_value(w, weights):
    return float(np.sort(np.abs(w))[::-1] @ weights)


def sorted_l1_cvxpy(x, weights):
    """sum_i weights_i |x|_(i) = sum_k (weights_k - weights_{k+1}) sum_largest(|x|, k), weights_{p+1} = 0."""
    p = weights.size
    diffs = weights - np.r_[weights[1:], 0.0]
    terms = [diffs[k - 1] * cp.sum_largest(cp.abs(x), k) for k in range(1, p + 1) if diffs[k - 1] > 0]
    return sum(terms) if terms else cp.Constant(0.0)


# ---------------------------------------------------------------------------------------------------------
# value


@given(data=st.data())
@settings(max_examples=50, deadline=None)
def test_value_separable_convex(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p))
    alpha = data.draw(alphas)
    weights = data.draw(vectors(p, st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    l1_ratio = data.draw(st.floats(0.0, 1.0))
    assert L1(alpha).value(w) == pytest.approx(alpha * np.sum(np.abs(w)), rel=1e-12, abs=1e-12)
    assert WeightedL1(alpha, weights).value(w) == pytest.approx(
        alpha * sum(weights[j] * abs(w[j]) for j in range(p)), rel=1e-12, abs=1e-12)
    expected = alpha * (l1_ratio * np.sum(np.abs(w)) + (1 - l1_ratio) / 2 * np.sum(w ** 2))
    assert ElasticNet(alpha, l1_ratio).value(w) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(data=st.data())
@settings(max_examples=50, deadline=None)
def test_value_l0_family(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p))
    lambda0, lambda_other = data.draw(alphas), data.draw(alphas)
    support = sum(1 for x in w if x != 0)
    assert L0(lambda0).value(w) == pytest.approx(lambda0 * support, rel=1e-12, abs=1e-12)
    assert L0L2(lambda0, lambda_other).value(w) == pytest.approx(
        lambda0 * support + lambda_other * np.sum(w ** 2), rel=1e-12, abs=1e-12)
    assert L0L1(lambda0, lambda_other).value(w) == pytest.approx(
        lambda0 * support + lambda_other * np.sum(np.abs(w)), rel=1e-12, abs=1e-12)


@given(data=st.data())
@settings(max_examples=50, deadline=None)
def test_value_mcp_scad_cel0(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p))
    alpha = data.draw(st.floats(0.05, 2.0))
    gamma = data.draw(st.floats(0.1, 5.0))
    a = data.draw(st.floats(1.1, 5.0))
    lambda0 = data.draw(st.floats(0.0, 2.0))
    column_norms = data.draw(vectors(p, st.floats(0.1, 3.0)))
    assert MCP(alpha, gamma).value(w) == pytest.approx(mcp_1d(w, alpha, gamma).sum(), rel=1e-12, abs=1e-12)
    assert SCAD(alpha, a).value(w) == pytest.approx(scad_1d(w, alpha, a).sum(), rel=1e-12, abs=1e-12)
    assert CEL0(lambda0, column_norms).value(w) == pytest.approx(cel0_1d(w, lambda0, column_norms).sum(),
                                                                rel=1e-12, abs=1e-12)


def test_value_mcp_scad_are_integrals_of_their_derivatives():
    """MCP'(t) = (alpha - t/gamma)_+ and SCAD'(t) = alpha 1{t <= alpha} + (a alpha - t)_+/(a - 1) 1{t > alpha}
    (Zhang 2010, Fan & Li 2001): the values are the integrals of these from 0 to |x|."""
    from scipy.integrate import quad

    alpha, gamma, a = 0.7, 2.5, 3.7
    for x in [0.0, 0.3, -0.7, 1.2, -1.75, 2.5, 3.0, -10.0]:
        mcp_integral = quad(lambda t: max(alpha - t / gamma, 0.0), 0, abs(x), points=[gamma * alpha])[0]
        scad_integral = quad(lambda t: alpha if t <= alpha else max(a * alpha - t, 0.0) / (a - 1), 0, abs(x),
                             points=[alpha, a * alpha])[0]
        assert MCP(alpha, gamma).value(np.array([x])) == pytest.approx(mcp_integral, rel=1e-10, abs=1e-12)
        assert SCAD(alpha, a).value(np.array([x])) == pytest.approx(scad_integral, rel=1e-10, abs=1e-12)
    # CEL0 is the MCP with alpha = a sqrt(2 lambda0), gamma = 1 / a^2
    lambda0, norms = 0.4, np.array([0.5, 1.0, 2.0])
    w = np.array([0.3, -1.0, 0.2])
    expected = sum(mcp_1d(w[j], norms[j] * np.sqrt(2 * lambda0), 1 / norms[j] ** 2) for j in range(3))
    assert CEL0(lambda0, norms).value(w) == pytest.approx(expected, rel=1e-12)


@given(case=group_cases(), data=st.data())
@settings(max_examples=50, deadline=None)
def test_value_group_l2(case, data):
    p, groups, group_lists, group_weights = case
    w = data.draw(vectors(p))
    alpha = data.draw(alphas)
    c = reference_group_weights(group_lists, group_weights)
    expected = alpha * sum(c[g] * np.sqrt(sum(w[j] ** 2 for j in members)) for g, members in enumerate(group_lists))
    assert GroupL2(alpha, groups, group_weights).value(w) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_group_l2_default_weights_are_sqrt_sizes():
    w = np.array([3.0, 4.0, 1.0, 0.0, 2.0])
    # groups {0, 1}, {2, 3, 4}: 2 * (sqrt(2) * 5 + sqrt(3) * sqrt(5))
    expected = 2.0 * (np.sqrt(2) * 5.0 + np.sqrt(3) * np.sqrt(5.0))
    assert GroupL2(2.0, [2, 3]).value(w) == pytest.approx(expected, rel=1e-14)
    assert GroupL2(2.0, [[4, 2, 3], [1, 0]]).value(w) == pytest.approx(expected, rel=1e-14)
    assert GroupL2(2.0, [2, 3], [0.0, 1.0]).value(w) == pytest.approx(2.0 * np.sqrt(5.0), rel=1e-14)


@given(data=st.data())
@settings(max_examples=50, deadline=None)
def test_value_sorted_l1(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p, clustered_entries | entries))
    lambdas = data.draw(sorted_lambdas(p))
    alpha = data.draw(alphas)
    # brute force: the largest sum over the permutations is the sorted pairing (rearrangement inequality)
    expected = alpha * sum(lam * x for lam, x in zip(lambdas, sorted(np.abs(w), reverse=True)))
    assert SortedL1(alpha, lambdas).value(w) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_value_sorted_l1_small_example():
    # |w| sorted: 3, 2, 2, 1, 0 with lambdas 4, 3, 3, 0, 0
    w = np.array([-2.0, 0.0, 3.0, 1.0, 2.0])
    assert SortedL1(0.5, [4.0, 3.0, 3.0, 0.0, 0.0]).value(w) == pytest.approx(0.5 * (12 + 6 + 6), rel=1e-14)


# ---------------------------------------------------------------------------------------------------------
# prox of the convex penalties against cvxpy


def assert_prox_matches_cvxpy(out, z, step, penalty_expression):
    """out must be the minimiser of f(x) = 1/2 ||x - z||^2 + step P(x), as computed by cvxpy, to 1e-6.

    out may not have a larger objective than cvxpy's point. Where |z_j| sits exactly on a threshold (ties are
    frequent with the round numbers drawn here) the interior point method stops up to ~1e-5 away from the
    minimiser while its objective is off by ~1e-11: as f is 1-strongly convex, ||x_cvxpy - x*|| is at most
    sqrt(2 (f(x_cvxpy) - f(x*))), and the coefficient tolerance widens by that amount (with f(out) for f(x*)).
    """
    x = cp.Variable(z.size)
    objective = 0.5 * cp.sum_squares(x - z) + step * penalty_expression(x)
    solve(cp.Problem(cp.Minimize(objective)))
    reference, reference_value = x.value.copy(), float(objective.value)
    x.value = np.asarray(out, dtype=np.float64)
    out_value = float(objective.value)
    assert out_value <= reference_value + 1e-12 * (1.0 + abs(reference_value))
    slack = np.sqrt(2.0 * max(reference_value - out_value, 0.0))
    np.testing.assert_allclose(out, reference, rtol=0, atol=1e-6 + slack)


@given(data=st.data())
@CVXPY_SETTINGS
def test_prox_l1_weighted_l1_elastic_net_against_cvxpy(data):
    p = data.draw(sizes)
    z = data.draw(vectors(p))
    step, alpha = data.draw(steps), data.draw(alphas)
    weights = data.draw(vectors(p, st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    l1_ratio = data.draw(st.floats(0.0, 1.0))
    assert_prox_matches_cvxpy(L1(alpha).prox(z, step), z, step, lambda x: alpha * cp.norm1(x))
    assert_prox_matches_cvxpy(WeightedL1(alpha, weights).prox(z, step), z, step,
                             lambda x: alpha * weights @ cp.abs(x))
    assert_prox_matches_cvxpy(ElasticNet(alpha, l1_ratio).prox(z, step), z, step,
                             lambda x: alpha * (l1_ratio * cp.norm1(x) + (1 - l1_ratio) / 2 * cp.sum_squares(x)))


def test_prox_weighted_l1_zero_weight_is_identity():
    z = np.array([0.3, -2.0, 0.05])
    out = WeightedL1(1.0, [0.0, 1.0, 0.0]).prox(z, 0.5)
    np.testing.assert_allclose(out, [0.3, -1.5, 0.05], rtol=0, atol=1e-15)


@given(case=group_cases(), data=st.data())
@CVXPY_SETTINGS
def test_prox_group_l2_against_cvxpy(case, data):
    p, groups, group_lists, group_weights = case
    z = data.draw(vectors(p))
    step, alpha = data.draw(steps), data.draw(alphas)
    c = reference_group_weights(group_lists, group_weights)

    def penalty_expression(x):
        return alpha * sum(c[g] * cp.norm(x[members], 2) for g, members in enumerate(group_lists))

    assert_prox_matches_cvxpy(GroupL2(alpha, groups, group_weights).prox(z, step), z, step, penalty_expression)


@given(data=st.data())
@CVXPY_SETTINGS
def test_prox_sorted_l1_against_cvxpy(data):
    p = data.draw(sizes)
    z = data.draw(vectors(p, clustered_entries | entries))
    step, alpha = data.draw(steps), data.draw(alphas)
    lambdas = data.draw(sorted_lambdas(p))
    assert_prox_matches_cvxpy(SortedL1(alpha, lambdas).prox(z, step), z, step,
                             lambda x: sorted_l1_cvxpy(x, alpha * lambdas))


# ---------------------------------------------------------------------------------------------------------
# prox of the nonconvex separable penalties: global minimum of the 1-D problems on a dense grid


def assert_prox_is_grid_minimum(z, step, prox, penalty_1d):
    """prox_j must be a global minimiser of 1/2 (x - z_j)^2 + step p_j(x): its objective is not above the
    minimum over a grid of spacing 1e-4 holding 0, and the grid minimum is within its resolution of it."""
    for j in range(z.size):
        half_width = int(np.ceil((abs(z[j]) + 1.0) * 1e4))
        grid = 1e-4 * np.arange(-half_width, half_width + 1)  # holds 0 exactly
        grid_objective = 0.5 * (grid - z[j]) ** 2 + step * penalty_1d(grid, j)
        prox_objective = 0.5 * (prox[j] - z[j]) ** 2 + step * penalty_1d(np.array([prox[j]]), j)[0]
        assert prox_objective <= grid_objective.min() + 1e-12, (j, z[j], prox[j], grid[grid_objective.argmin()])
        assert grid_objective.min() - prox_objective <= 1e-7


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_prox_l0_family_on_grid(data):
    p = data.draw(sizes)
    z = data.draw(vectors(p))
    step, lambda0, lambda_other = data.draw(steps), data.draw(alphas), data.draw(alphas)
    assert_prox_is_grid_minimum(z, step, L0(lambda0).prox(z, step), lambda x, j: lambda0 * (x != 0))
    assert_prox_is_grid_minimum(z, step, L0L2(lambda0, lambda_other).prox(z, step),
                       lambda x, j: lambda0 * (x != 0) + lambda_other * x ** 2)
    assert_prox_is_grid_minimum(z, step, L0L1(lambda0, lambda_other).prox(z, step),
                       lambda x, j: lambda0 * (x != 0) + lambda_other * np.abs(x))


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_prox_mcp_scad_cel0_on_grid(data):
    p = data.draw(sizes)
    z = data.draw(vectors(p))
    step, alpha = data.draw(steps), data.draw(st.floats(0.0, 2.0))
    gamma = step + data.draw(st.floats(0.01, 3.0))  # the MCP prox needs gamma > step
    a = 1.0 + step + data.draw(st.floats(0.01, 3.0))  # the SCAD prox needs a > 1 + step
    assert_prox_is_grid_minimum(z, step, MCP(alpha, gamma).prox(z, step), lambda x, j: mcp_1d(x, alpha, gamma))
    assert_prox_is_grid_minimum(z, step, SCAD(alpha, a).prox(z, step), lambda x, j: scad_1d(x, alpha, a))
    lambda0 = data.draw(alphas)
    column_norms = data.draw(vectors(p, st.floats(0.1, 3.0)))
    cel0_step = step / (1.01 * step * np.max(column_norms) ** 2 + 1.0)  # column_norm^2 * step < 1
    assert_prox_is_grid_minimum(z, cel0_step, CEL0(lambda0, column_norms).prox(z, cel0_step),
                       lambda x, j: cel0_1d(x, lambda0, column_norms[j]))


def test_prox_nonconvex_known_values():
    z = np.array([-3.0, -1.0, -0.2, 0.0, 0.5, 1.5, 4.0])
    # MCP(alpha=1, gamma=2), step 1: firm thresholding 0 | (|z| - 1) / (1 - 1/2) | z
    np.testing.assert_allclose(MCP(1.0, 2.0).prox(z, 1.0), [-3.0, 0.0, 0.0, 0.0, 0.0, 1.0, 4.0], atol=1e-15)
    # L0(lambda0=0.5), step 1: keep |z| > 1
    np.testing.assert_allclose(L0(0.5).prox(z, 1.0), [-3.0, 0.0, 0.0, 0.0, 0.0, 1.5, 4.0], atol=1e-15)
    # SCAD(alpha=1, a=3.7), step 1: soft(z, 1) for |z| <= 2, ((a-1) z - sign(z) a) / (a - 2) up to a, z beyond
    np.testing.assert_allclose(SCAD(1.0, 3.7).prox(z, 1.0),
                               [-(2.7 * 3 - 3.7) / 1.7, 0.0, 0.0, 0.0, 0.0, 0.5, 4.0], atol=1e-14)


# ---------------------------------------------------------------------------------------------------------
# subdiff_distance of the convex penalties against cvxpy


def cvxpy_distance(grad, constraints_of):
    """min ||u + grad||_2 subject to u in dP(w), the constraints being written by constraints_of(u)."""
    u = cp.Variable(grad.size)
    return solve(cp.Problem(cp.Minimize(cp.norm(u + grad, 2)), constraints_of(u)))


def l1_type_constraints(u, w, radii, shift=0.0):
    """dP(w) for P = sum_j radii_j |w_j| + smooth part with gradient shift: v = u - shift satisfies
    |v_j| <= radii_j and v_j w_j = radii_j |w_j|."""
    v = u - shift
    return [cp.abs(v) <= radii, cp.multiply(v, w) == radii * np.abs(w)]


@given(data=st.data())
@CVXPY_SETTINGS
def test_subdiff_distance_l1_type_against_cvxpy(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p, clustered_entries | entries))
    grad = data.draw(vectors(p, grad_entries))
    alpha = data.draw(alphas)
    weights = data.draw(vectors(p, st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    l1_ratio = data.draw(st.floats(0.0, 1.0))
    ones = np.ones(p)
    cases = [
        (L1(alpha), lambda u: l1_type_constraints(u, w, alpha * ones)),
        (WeightedL1(alpha, weights), lambda u: l1_type_constraints(u, w, alpha * weights)),
        (ElasticNet(alpha, l1_ratio),
         lambda u: l1_type_constraints(u, w, alpha * l1_ratio * ones, alpha * (1 - l1_ratio) * w)),
    ]
    for penalty, constraints_of in cases:
        r = penalty.subdiff_distance(w, grad)
        assert r.shape == (p,)
        assert np.linalg.norm(r) == pytest.approx(cvxpy_distance(grad, constraints_of), abs=1e-6)


@given(case=group_cases(), data=st.data())
@CVXPY_SETTINGS
def test_subdiff_distance_group_l2_against_cvxpy(case, data):
    p, groups, group_lists, group_weights = case
    # zero and non-zero groups: each group is zeroed with probability 1/2
    w = data.draw(vectors(p))
    for members in group_lists:
        if data.draw(st.booleans()):
            w[members] = 0.0
    grad = data.draw(vectors(p, grad_entries))
    alpha = data.draw(alphas)
    c = reference_group_weights(group_lists, group_weights)

    def constraints_of(u):
        """dP(w): ||u_g|| <= alpha c_g, and u_g @ w_g = alpha c_g ||w_g|| on non-zero groups. By the equality case
        of Cauchy-Schwarz the two leave the single point u_g = alpha c_g w_g / ||w_g|| on a non-zero group; it is
        written as that equality, as a ball and a tangent hyperplane have no interior and the interior point
        method then stops up to 2e-4 away."""
        out = []
        for g, members in enumerate(group_lists):
            norm = np.linalg.norm(w[members])
            if norm > 0:
                out.append(u[members] == alpha * c[g] * w[members] / norm)
            else:
                out.append(cp.norm(u[members], 2) <= alpha * c[g])
        return out

    def directional_derivative(d):
        """P'(w; d) = sum over non-zero groups of alpha c_g w_g @ d_g / ||w_g||, over zero groups alpha c_g ||d_g||."""
        terms = []
        for g, members in enumerate(group_lists):
            norm = np.linalg.norm(w[members])
            terms.append(alpha * c[g] * (w[members] / norm) @ d[members] if norm > 0
                         else alpha * c[g] * cp.norm(d[members], 2))
        return sum(terms)

    r = GroupL2(alpha, groups, group_weights).subdiff_distance(w, grad)
    assert r.shape == (p,)
    assert np.linalg.norm(r) == pytest.approx(cvxpy_distance(grad, constraints_of), abs=1e-6)
    # the dual form: dist(-grad, dP(w)) = max_{||d|| <= 1} -(grad @ d + P'(w; d))
    d = cp.Variable(p)
    dual = solve(cp.Problem(cp.Maximize(-(grad @ d + directional_derivative(d))), [cp.norm(d, 2) <= 1]))
    assert np.linalg.norm(r) == pytest.approx(dual, abs=1e-6)


@given(data=st.data())
@CVXPY_SETTINGS
def test_subdiff_distance_sorted_l1_against_cvxpy(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p, clustered_entries))
    grad = data.draw(vectors(p, grad_entries))
    alpha = data.draw(alphas)
    lambdas = data.draw(sorted_lambdas(p))
    weights = alpha * lambdas
    bounds = np.cumsum(weights)

    def constraints_of(u):
        out = [cp.sum_largest(cp.abs(u), k) <= bounds[k - 1] for k in range(1, p + 1)]
        out.append(u @ w == sorted_l1_value(w, weights))
        return out

    r = SortedL1(alpha, lambdas).subdiff_distance(w, grad)
    assert r.shape == (p,)
    assert np.linalg.norm(r) == pytest.approx(cvxpy_distance(grad, constraints_of), abs=1e-6)


def test_subdiff_distance_sorted_l1_small_example():
    # w = (2, -2, 0): the cluster {0, 1} gets weights (3, 1) and the zero cluster the weight 0.5.
    # dP(w) = {(u0, -u1, t) : (u0, u1) in the permutahedron of (3, 1), |t| <= 0.5}.
    penalty = SortedL1(1.0, [3.0, 1.0, 0.5])
    w = np.array([2.0, -2.0, 0.0])
    # -grad = (2, -2, 0.25) lies in dP(w): the distance is 0
    np.testing.assert_allclose(penalty.subdiff_distance(w, np.array([-2.0, 2.0, -0.25])), 0.0, atol=1e-14)
    # -grad = (4, 0, 1): the projection of (4, 0) on the segment (3, 1)-(1, 3) is (3, 1), |1| - 0.5 = 0.5 remains
    r = penalty.subdiff_distance(w, np.array([-4.0, 0.0, -1.0]))
    np.testing.assert_allclose(r, [1.0, 1.0, 0.5], atol=1e-14)


# ---------------------------------------------------------------------------------------------------------
# subdiff_distance of the nonconvex separable penalties: |grad_j + p'(w_j)| off 0, (|grad_j| - radius)_+ at 0


def finite_difference_derivative(penalty, w, h=1e-7):
    out = np.empty_like(w)
    for j in range(w.size):
        up, down = w.copy(), w.copy()
        up[j] += h
        down[j] -= h
        out[j] = (penalty.value(up) - penalty.value(down)) / (2 * h)
    return out


@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_subdiff_distance_nonconvex_separable(data):
    p = data.draw(sizes)
    w = data.draw(vectors(p))
    grad = data.draw(vectors(p, grad_entries))
    alpha = data.draw(st.floats(0.0, 2.0))
    lambda0, lambda_other = data.draw(alphas), data.draw(alphas)
    column_norms = data.draw(vectors(p, st.floats(0.1, 3.0)))
    ones = np.ones(p)
    cases = [
        (L0(lambda0), np.inf * ones),
        (L0L2(lambda0, lambda_other), np.inf * ones),
        (L0L1(lambda0, lambda_other), np.inf * ones),
        (MCP(alpha, data.draw(st.floats(0.1, 5.0))), alpha * ones),
        (SCAD(alpha, data.draw(st.floats(1.1, 5.0))), alpha * ones),
        (CEL0(lambda0, column_norms), column_norms * np.sqrt(2 * lambda0)),
    ]
    for penalty, radius in cases:
        derivative = finite_difference_derivative(penalty, w)
        expected = np.where(w != 0, np.abs(grad + derivative), np.maximum(np.abs(grad) - radius, 0.0))
        np.testing.assert_allclose(penalty.subdiff_distance(w, grad), expected, rtol=0, atol=1e-6,
                                   err_msg=type(penalty).__name__)


# ---------------------------------------------------------------------------------------------------------
# optimality of the prox: 0 is in x - z + step dP(x) at x = prox(z, step)


@given(data=st.data())
@settings(max_examples=50, deadline=None)
def test_prox_point_satisfies_optimality_condition(data):
    p = data.draw(sizes)
    z = data.draw(vectors(p, clustered_entries | entries))
    step, alpha = data.draw(steps), data.draw(alphas)
    weights = data.draw(vectors(p, st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    lambdas = data.draw(sorted_lambdas(p))
    _, groups, _, group_weights = data.draw(group_cases(p))
    penalties = [L1(alpha), WeightedL1(alpha, weights), ElasticNet(alpha, data.draw(st.floats(0.0, 1.0))),
                 GroupL2(alpha, groups, group_weights), SortedL1(alpha, lambdas)]
    for penalty in penalties:
        x = penalty.prox(z, step)
        violation = np.linalg.norm(penalty.subdiff_distance(x, (x - z) / step))
        assert violation <= 1e-8, (type(penalty).__name__, violation)


@given(data=st.data())
@settings(max_examples=50, deadline=None)
def test_prox_point_is_stationary_for_nonconvex_separable(data):
    """Also for the nonconvex separable penalties the prox output is a stationary point of the 1-D problems."""
    p = data.draw(sizes)
    z = data.draw(vectors(p))
    step = data.draw(st.floats(0.05, 1.0))
    alpha, lambda0, lambda_other = data.draw(alphas), data.draw(alphas), data.draw(alphas)
    penalties = [L0(lambda0), L0L2(lambda0, lambda_other), L0L1(lambda0, lambda_other),
                 MCP(alpha, step + 0.5), SCAD(alpha, 1.5 + step)]
    for penalty in penalties:
        x = penalty.prox(z, step)
        violation = np.linalg.norm(penalty.subdiff_distance(x, (x - z) / step))
        assert violation <= 1e-8, (type(penalty).__name__, violation)


# ---------------------------------------------------------------------------------------------------------
# dual norms: max u @ w subject to P(w) <= 1 (alpha = 1)


def cvxpy_dual_norm(u, penalty_expression):
    w = cp.Variable(u.size)
    return solve(cp.Problem(cp.Maximize(u @ w), [penalty_expression(w) <= 1]))


@given(data=st.data())
@CVXPY_SETTINGS
def test_dual_norm_l1_and_weighted_l1_against_cvxpy(data):
    p = data.draw(sizes)
    u = data.draw(vectors(p, grad_entries))
    weights = data.draw(vectors(p, st.sampled_from([0.5, 1.0, 2.0])))
    if p > 1 and data.draw(st.booleans()):  # an unpenalized feature where u is 0: still finite
        j = data.draw(st.integers(0, p - 1))
        weights[j], u[j] = 0.0, 0.0
    alpha = data.draw(st.floats(0.1, 2.0))  # the dual norm is that of the norm without alpha
    assert L1(alpha).dual_norm(u) == pytest.approx(cvxpy_dual_norm(u, cp.norm1), rel=1e-6, abs=1e-7)
    assert WeightedL1(alpha, weights).dual_norm(u) == pytest.approx(
        cvxpy_dual_norm(u, lambda w: weights @ cp.abs(w)), rel=1e-6, abs=1e-7)


@given(case=group_cases(), data=st.data())
@CVXPY_SETTINGS
def test_dual_norm_group_l2_against_cvxpy(case, data):
    p, groups, group_lists, _ = case
    group_weights = data.draw(vectors(len(group_lists), st.sampled_from([0.5, 1.0, 2.0])))
    if data.draw(st.booleans()):
        group_weights = None
    u = data.draw(vectors(p, grad_entries))
    c = reference_group_weights(group_lists, group_weights)
    expected = cvxpy_dual_norm(u, lambda w: sum(c[g] * cp.norm(w[members], 2) for g, members in enumerate(group_lists)))
    assert GroupL2(1.0, groups, group_weights).dual_norm(u) == pytest.approx(expected, rel=1e-6, abs=1e-7)


@given(data=st.data())
@CVXPY_SETTINGS
def test_dual_norm_sorted_l1_against_cvxpy(data):
    p = data.draw(sizes)
    u = data.draw(vectors(p, clustered_entries | grad_entries))
    lambdas = data.draw(sorted_lambdas(p).filter(lambda lam: lam[0] > 0))
    expected = cvxpy_dual_norm(u, lambda w: sorted_l1_cvxpy(w, lambdas))
    assert SortedL1(1.0, lambdas).dual_norm(u) == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_dual_norm_infinite_on_unpenalized_features():
    u = np.array([0.5, -1e-3, 2.0])
    assert WeightedL1(1.0, [1.0, 0.0, 1.0]).dual_norm(u) == np.inf
    assert WeightedL1(1.0, [1.0, 0.0, 1.0]).dual_norm(np.array([0.5, 0.0, 2.0])) == pytest.approx(2.0)
    assert GroupL2(1.0, [[0, 2], [1]], [1.0, 0.0]).dual_norm(u) == np.inf
    assert GroupL2(1.0, [[0, 2], [1]], [2.0, 0.0]).dual_norm(np.array([0.0, 0.0, 3.0])) == pytest.approx(1.5)
    assert SortedL1(1.0, [0.0, 0.0, 0.0]).dual_norm(u) == np.inf
    assert SortedL1(1.0, [0.0, 0.0, 0.0]).dual_norm(np.zeros(3)) == 0.0


def test_dual_norm_gives_alpha_max_for_l1():
    """The zero solution of 1/(2n) ||y - Xw||^2 + alpha ||w||_1 is optimal iff alpha >= ||X.T y / n||_inf:
    at alpha = dual_norm, subdiff_distance(0, -X.T y / n) is 0, and just below it is not."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 6)), rng.standard_normal(20)
    grad_at_zero = -X.T @ y / 20
    alpha_max = L1(1.0).dual_norm(grad_at_zero)
    assert alpha_max == pytest.approx(np.max(np.abs(X.T @ y)) / 20, rel=1e-14)
    assert np.linalg.norm(L1(alpha_max).subdiff_distance(np.zeros(6), grad_at_zero)) == 0.0
    assert np.linalg.norm(L1(0.99 * alpha_max).subdiff_distance(np.zeros(6), grad_at_zero)) > 0.0


# ---------------------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("make, name", [
    (lambda: L1(-0.1), "alpha"),
    (lambda: L1(float("nan")), "alpha"),
    (lambda: L1("1"), "alpha"),
    (lambda: WeightedL1(-1.0, [1.0]), "alpha"),
    (lambda: ElasticNet(-1.0), "alpha"),
    (lambda: MCP(-1.0), "alpha"),
    (lambda: SCAD(-1.0), "alpha"),
    (lambda: GroupL2(-1.0, [2]), "alpha"),
    (lambda: SortedL1(-1.0, [1.0]), "alpha"),
    (lambda: L0(-1.0), "lambda0"),
    (lambda: L0L2(-1.0, 1.0), "lambda0"),
    (lambda: L0L2(1.0, -1.0), "lambda2"),
    (lambda: L0L1(-1.0, 1.0), "lambda0"),
    (lambda: L0L1(1.0, -1.0), "lambda1"),
    (lambda: CEL0(-1.0, [1.0]), "lambda0"),
    (lambda: MCP(1.0, gamma=0.0), "gamma"),
    (lambda: MCP(1.0, gamma=-2.0), "gamma"),
    (lambda: SCAD(1.0, a=1.0), "^a "),
    (lambda: SCAD(1.0, a=0.5), "^a "),
    (lambda: ElasticNet(1.0, l1_ratio=-0.1), "l1_ratio"),
    (lambda: ElasticNet(1.0, l1_ratio=1.5), "l1_ratio"),
    (lambda: WeightedL1(1.0, [1.0, -0.5]), "weights"),
    (lambda: WeightedL1(1.0, [1.0, float("nan")]), "weights"),
    (lambda: WeightedL1(1.0, [1.0, float("inf")]), "weights"),
    (lambda: SortedL1(1.0, [1.0, 2.0]), "lambdas"),
    (lambda: SortedL1(1.0, [2.0, 1.0, 1.5]), "lambdas"),
    (lambda: SortedL1(1.0, [1.0, -1.0]), "lambdas"),
    (lambda: SortedL1(1.0, [1.0, float("nan")]), "lambdas"),
    (lambda: GroupL2(1.0, []), "groups"),
    (lambda: GroupL2(1.0, [2, 0]), "groups"),
    (lambda: GroupL2(1.0, [2, -1]), "groups"),
    (lambda: GroupL2(1.0, [[0, 1], []]), "groups"),
    (lambda: GroupL2(1.0, [[0], [2]]), "groups"),  # feature 1 is in no group
    (lambda: GroupL2(1.0, [[0, 1], [1, 2]]), "groups"),  # feature 1 twice
    (lambda: GroupL2(1.0, [[0, 0, 1]]), "groups"),
    (lambda: GroupL2(1.0, [[0.0, 1.0]]), "groups"),
    (lambda: GroupL2(1.0, [2, 1], [1.0, -1.0]), "group_weights"),
    (lambda: GroupL2(1.0, [2, 1], [1.0, float("nan")]), "group_weights"),
    (lambda: GroupL2(1.0, [2, 1], [1.0, 1.0, 1.0]), "group_weights"),
    (lambda: CEL0(1.0, [1.0, 0.0]), "column_norms"),
    (lambda: CEL0(1.0, [1.0, -1.0]), "column_norms"),
    (lambda: CEL0(1.0, [1.0, float("nan")]), "column_norms"),
])
def test_bad_input_raises_naming_the_argument(make, name):
    with pytest.raises((ValueError, TypeError), match=name):
        make()


@pytest.mark.parametrize("penalty, bad_step, good_step", [
    (MCP(1.0, gamma=2.0), 2.0, 1.99),  # needs gamma > step
    (MCP(1.0, gamma=2.0), 3.0, 1.99),
    (SCAD(1.0, a=3.0), 2.0, 1.99),  # needs a > 1 + step
    (SCAD(1.0, a=3.0), 2.5, 1.99),
    (CEL0(1.0, [1.0, 2.0]), 0.25, 0.249),  # needs column_norm^2 * step < 1: 2^2 * 0.25 = 1
    (CEL0(1.0, [1.0, 2.0]), 0.5, 0.249),
])
def test_nonconvex_prox_step_conditions(penalty, bad_step, good_step):
    z = np.array([0.5, -3.0])
    with pytest.raises(ValueError):
        penalty.prox(z, bad_step)
    # just inside the condition the prox runs and returns a finite point
    assert np.all(np.isfinite(penalty.prox(z, good_step)))


# ---------------------------------------------------------------------------------------------------------
# input storage: dtype of the vector, its length


def all_penalties(p=4):
    return [L1(0.7), WeightedL1(0.7, [1.0, 0.0, 2.0, 0.5][:p]), ElasticNet(0.7, 0.4), L0(0.3), L0L2(0.3, 0.2),
            L0L1(0.3, 0.2), MCP(0.7, 3.0), SCAD(0.7, 3.7), CEL0(0.3, [1.0, 0.5, 1.5, 0.8][:p]),
            GroupL2(0.7, [[0, 3], [1, 2]]), GroupL2(0.7, [2, 2], [1.0, 0.0]), SortedL1(0.7, [2.0, 1.0, 1.0, 0.0])]


@pytest.mark.parametrize("penalty", all_penalties(), ids=lambda pen: type(pen).__name__)
def test_prox_of_float32_input(penalty):
    """float32 in, float32 out (what the solvers pass for float32 designs), equal to the float64 prox."""
    z = np.array([1.5, -0.25, 0.8, -2.0])
    expected = penalty.prox(z, 0.4)
    out = penalty.prox(z.astype(np.float32), 0.4)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("penalty", all_penalties(), ids=lambda pen: type(pen).__name__)
def test_prox_of_integer_input_is_not_truncated(penalty):
    """An integer vector is a vector of reals: its prox is that of the same float vector."""
    z = np.array([3, -2, 1, 0])
    np.testing.assert_allclose(penalty.prox(z, 0.4), penalty.prox(z.astype(np.float64), 0.4), rtol=0, atol=1e-15)


@pytest.mark.parametrize("penalty", [WeightedL1(1.0, [1.0, 2.0]), GroupL2(1.0, [2]), SortedL1(1.0, [2.0, 1.0]),
                                     CEL0(1.0, [1.0, 2.0])], ids=lambda pen: type(pen).__name__)
def test_vector_of_the_wrong_length_is_refused(penalty):
    """A penalty built for 2 features must not silently read past its weights (or leave entries unset) when
    given 3 features."""
    w = np.array([3.0, -2.0, 5.0])
    with pytest.raises(ValueError):
        penalty.prox(w, 0.1)
    with pytest.raises(ValueError):
        penalty.value(w)
