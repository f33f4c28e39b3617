"""Tests of the accelerated proximal gradient solver (sparseopt.solvers.fista) and of PenalizedRegressor:
solutions against scikit-learn and cvxpy, storage and dtype, nonconvex penalties, warnings and warm starts,
and the scikit-learn estimator contract."""
import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet as SklearnElasticNet
from sklearn.linear_model import Lasso
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.base import PenalizedRegressor
from sparseopt.datafits import Logistic, Quadratic
from sparseopt.penalties import L0, L1, MCP, ElasticNet, GroupL2, SortedL1, WeightedL1
from sparseopt.solvers import SolverResult, fista

TIGHT = dict(tol=1e-10, max_iter=100_000)


def make_regression(n=50, p=20, seed=0, intercept=2.0, sparse_design=False):
    """A Fortran-ordered design with a sparse ground truth, y = X w* + intercept + noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if sparse_design:
        X *= rng.random((n, p)) < 0.4
    w_true = np.zeros(p)
    w_true[:3] = [1.5, -2.0, 3.0]
    y = X @ w_true + intercept + 0.5 * rng.standard_normal(n)
    return np.asfortranarray(X), y


def standardized_regression(seed=17):
    X, y = make_regression(50, 20, seed=seed)
    return np.asfortranarray((X - X.mean(axis=0)) / X.std(axis=0)), y


def sample_weights(n, seed=1):
    weights = np.random.default_rng(seed).random(n) * 2.0
    weights[::7] = 0.0
    return weights


def shares(sample_weight, n):
    s = np.ones(n) if sample_weight is None else sample_weight
    return s / s.sum()


def least_squares(X, y, w, b, sample_weight=None):
    """1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2, written out."""
    return 0.5 * float(shares(sample_weight, len(y)) @ (y - X @ w - b) ** 2)


def solve(problem):
    """Solve with Clarabel at tolerances 1e-12, falling back to 1e-10 and 1e-9 when it stops short ("optimal_
    inaccurate"): on some of these problems it then returns its last iterate, worse than the solution it reaches
    at 1e-10 (e.g. coefficients off by 3e-5 with an unpenalized group)."""
    for tol in (1e-12, 1e-10, 1e-9):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
        if problem.status == cp.OPTIMAL:
            break
    assert problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE), problem.status
    return problem.value


# ---------------------------------------------------------------------------------------------------------
# Lasso and elastic net against scikit-learn


@pytest.mark.parametrize("shape", [(50, 20), (25, 30)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_lasso_matches_sklearn(fit_intercept, weighted, shape):
    X, y = make_regression(*shape)
    sample_weight = sample_weights(len(y)) if weighted else None
    alpha = 0.1
    reference = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=10**6)
    reference.fit(X, y, sample_weight=sample_weight)
    result = fista(X, y, Quadratic(sample_weight), L1(alpha), fit_intercept=fit_intercept, **TIGHT)
    assert isinstance(result, SolverResult) and result.converged and result.stop_crit <= 1e-10
    np.testing.assert_allclose(result.coef, reference.coef_, rtol=0, atol=1e-6)
    assert result.intercept == pytest.approx(reference.intercept_, abs=1e-6)

    def objective(w, b):
        return least_squares(X, y, w, b, sample_weight) + alpha * np.abs(w).sum()

    assert objective(result.coef, result.intercept) == pytest.approx(
        objective(reference.coef_, reference.intercept_), rel=1e-9)
    # the estimator runs the same solver on the same objective
    model = PenalizedRegressor(L1(alpha), fit_intercept=fit_intercept, **TIGHT)
    model.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)
    np.testing.assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_, rtol=1e-12, atol=1e-12)
    assert model.stop_crit_ <= 1e-10 and model.n_iter_ >= 1


@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_elastic_net_matches_sklearn(fit_intercept, l1_ratio):
    X, y = make_regression(40, 25, seed=3)
    alpha = 0.2
    reference = SklearnElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-12,
                                  max_iter=10**6).fit(X, y)
    model = PenalizedRegressor(ElasticNet(alpha, l1_ratio), fit_intercept=fit_intercept, **TIGHT).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)
    penalty = ElasticNet(alpha, l1_ratio)
    assert least_squares(X, y, model.coef_, model.intercept_) + penalty.value(model.coef_) == pytest.approx(
        least_squares(X, y, reference.coef_, reference.intercept_) + penalty.value(reference.coef_), rel=1e-9)


# ---------------------------------------------------------------------------------------------------------
# non-separable and weighted penalties against cvxpy


def group_l2_case(p):
    groups = [[0, 5, 9], [1, 2], [3, 4, 6, 7], [8], list(range(10, p))]
    c = np.array([np.sqrt(len(g)) for g in groups])
    return GroupL2(0.3, groups), lambda w: 0.3 * sum(c[g] * cp.norm(w[m], 2) for g, m in enumerate(groups))


def group_l2_weighted_case(p):
    sizes = [3, 3, 4, p - 10]
    c = np.array([1.0, 0.0, 2.0, 0.5])  # the second group is not penalized
    bounds = np.r_[0, np.cumsum(sizes)]
    return GroupL2(0.3, sizes, c), lambda w: 0.3 * sum(c[g] * cp.norm(w[bounds[g]:bounds[g + 1]], 2)
                                                        for g in range(len(sizes)))


def sorted_l1_case(p):
    lambdas = np.r_[np.full(3, 2.0), np.linspace(1.5, 0.5, p - 8), np.zeros(5)]  # ties, zeros at the tail
    diffs = lambdas - np.r_[lambdas[1:], 0.0]

    def expression(w):
        return 0.1 * sum(diffs[k - 1] * cp.sum_largest(cp.abs(w), k) for k in range(1, p + 1) if diffs[k - 1] > 0)

    return SortedL1(0.1, lambdas), expression


def weighted_l1_case(p):
    weights = np.linspace(0.5, 2.0, p)
    weights[[0, 4]] = 0.0  # two unpenalized features
    return WeightedL1(0.2, weights), lambda w: 0.2 * weights @ cp.abs(w)


@pytest.mark.parametrize("make_case", [group_l2_case, group_l2_weighted_case, sorted_l1_case, weighted_l1_case])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_penalties_match_cvxpy(make_case, fit_intercept):
    n, p = 50, 20
    X, y = make_regression(n, p, seed=5)
    penalty, expression = make_case(p)
    w, b = cp.Variable(p), cp.Variable()
    residual = y - X @ w - (b if fit_intercept else 0.0)
    optimum = solve(cp.Problem(cp.Minimize(cp.sum_squares(residual) / (2 * n) + expression(w))))
    result = fista(X, y, Quadratic(), penalty, fit_intercept=fit_intercept, **TIGHT)
    assert result.converged
    objective = least_squares(X, y, result.coef, result.intercept) + penalty.value(result.coef)
    assert objective == pytest.approx(optimum, rel=1e-7)
    np.testing.assert_allclose(result.coef, w.value, rtol=0, atol=1e-5)
    assert result.intercept == pytest.approx(b.value if fit_intercept else 0.0, abs=1e-5)
    model = PenalizedRegressor(penalty, fit_intercept=fit_intercept, **TIGHT).fit(X, y)
    np.testing.assert_allclose(model.coef_, w.value, rtol=0, atol=1e-5)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_logistic_l1_matches_cvxpy(fit_intercept):
    rng = np.random.default_rng(7)
    n, p = 60, 15
    X = np.asfortranarray(rng.standard_normal((n, p)))
    margin = X[:, :3] @ np.array([2.0, -1.0, 1.5]) + (0.5 if fit_intercept else 0.0)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-margin)), 1.0, -1.0)
    alpha = 0.02
    w, b = cp.Variable(p), cp.Variable()
    linear = X @ w + (b if fit_intercept else 0.0)
    optimum = solve(cp.Problem(cp.Minimize(cp.sum(cp.logistic(-cp.multiply(y, linear))) / n + alpha * cp.norm1(w))))
    result = fista(X, y, Logistic(), L1(alpha), fit_intercept=fit_intercept, **TIGHT)
    assert result.converged
    loss = np.mean(np.log1p(np.exp(-y * (X @ result.coef + result.intercept))))
    assert loss + alpha * np.abs(result.coef).sum() == pytest.approx(optimum, rel=1e-7)
    np.testing.assert_allclose(result.coef, w.value, rtol=0, atol=1e-5)
    assert result.intercept == pytest.approx(b.value if fit_intercept else 0.0, abs=1e-5)


# ---------------------------------------------------------------------------------------------------------
# storage and precision


@pytest.mark.parametrize("penalty", [L1(0.1), GroupL2(0.2, [5, 5, 10]), SortedL1(0.05, np.linspace(2, 0, 20))])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_dense_and_csc_give_the_same_coef(penalty, fit_intercept):
    X, y = make_regression(50, 20, seed=11, sparse_design=True)
    dense = PenalizedRegressor(penalty, fit_intercept=fit_intercept, **TIGHT).fit(X, y)
    sparse = PenalizedRegressor(penalty, fit_intercept=fit_intercept, **TIGHT).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-8)
    assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-8)
    np.testing.assert_allclose(sparse.predict(sp.csc_matrix(X)), dense.predict(X), rtol=0, atol=1e-7)
    result = fista(sp.csc_matrix(X), y, Quadratic(), penalty, fit_intercept=fit_intercept, **TIGHT)
    np.testing.assert_allclose(result.coef, dense.coef_, rtol=0, atol=1e-8)


@pytest.mark.parametrize("penalty", [L1(0.1), ElasticNet(0.1, 0.5), GroupL2(0.2, [5, 5, 10])])
@pytest.mark.parametrize("sparse_design", [False, True])
def test_float32_input_gives_float32_coef(penalty, sparse_design):
    X, y = make_regression(50, 20, seed=13, sparse_design=sparse_design)
    X32 = X.astype(np.float32)
    if sparse_design:
        X, X32 = sp.csc_matrix(X), sp.csc_matrix(X32)
    reference = PenalizedRegressor(penalty, tol=1e-8).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # float32 reaches tol=1e-5 without trouble
        model = PenalizedRegressor(penalty, tol=1e-5).fit(X32, y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-4)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-4)
    np.testing.assert_allclose(model.predict(X32), reference.predict(X), rtol=0, atol=1e-3)


@pytest.mark.parametrize("penalty", [L1(0.1), MCP(0.1, 3.0)], ids=["momentum", "no momentum"])
def test_float32_iterates_stay_float32(penalty):
    """A few steps only (before any question of reaching tol): the iterates keep the dtype of X."""
    X, y = standardized_regression()
    for max_iter in (1, 2, 5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = fista(X.astype(np.float32), y.astype(np.float32), Quadratic(), penalty, max_iter=max_iter)
        assert result.coef.dtype == np.float32, max_iter


# ---------------------------------------------------------------------------------------------------------
# nonconvex penalties: plain proximal gradient, monotone, ends at a stationary point


def mcp_objective_terms(alpha, gamma):
    def value(w):
        x = np.abs(w)
        return np.sum(np.where(x <= gamma * alpha, alpha * x - x ** 2 / (2 * gamma), gamma * alpha ** 2 / 2))

    def stationarity(w, grad):
        derivative = np.sign(w) * np.maximum(alpha - np.abs(w) / gamma, 0.0)
        return np.where(w != 0, np.abs(grad + derivative), np.maximum(np.abs(grad) - alpha, 0.0))

    return value, stationarity


def l0_objective_terms(lambda0):
    return (lambda w: lambda0 * np.count_nonzero(w),
            lambda w, grad: np.where(w != 0, np.abs(grad), 0.0))


@pytest.mark.parametrize("penalty, terms", [
    (MCP(0.2, gamma=3.0), mcp_objective_terms(0.2, 3.0)),
    (MCP(0.5, gamma=3.0), mcp_objective_terms(0.5, 3.0)),
    (L0(0.05), l0_objective_terms(0.05)),
])
@pytest.mark.parametrize("start", ["zero", "random"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_nonconvex_penalties_decrease_and_end_stationary(penalty, terms, start, fit_intercept):
    X, y = standardized_regression()
    n, p = X.shape
    value, stationarity = terms
    coef_init = np.zeros(p) if start == "zero" else np.random.default_rng(19).standard_normal(p)

    def objective(w, b):
        return least_squares(X, y, w, b) + value(w)

    start_objective = objective(coef_init, 0.0)
    result = fista(X, y, Quadratic(), penalty, fit_intercept=fit_intercept, tol=1e-8, max_iter=20_000,
                   coef_init=coef_init)
    assert result.converged and result.stop_crit <= 1e-8
    assert objective(result.coef, result.intercept) <= start_objective
    # stationarity computed here: |grad_j + p'(w_j)| off 0 and (|grad_j| - radius)_+ at 0, intercept gradient 0
    residual = y - X @ result.coef - result.intercept
    grad = -X.T @ residual / n
    assert np.max(stationarity(result.coef, grad)) <= 1e-8
    if fit_intercept:
        assert abs(residual.mean()) <= 1e-8
    # plain proximal gradient decreases the objective at every step: the iterates after k steps
    objectives = []
    for k in [1, 2, 3, 5, 10, 20, 40]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            partial = fista(X, y, Quadratic(), penalty, fit_intercept=fit_intercept, tol=0.0, max_iter=k,
                            coef_init=coef_init)
        objectives.append(objective(partial.coef, partial.intercept))
    assert objectives[0] <= start_objective
    assert np.all(np.diff(objectives) <= 1e-12), objectives


# ---------------------------------------------------------------------------------------------------------
# max_iter, warnings, warm starts


def test_max_iter_warns_and_reports_not_converged():
    X, y = make_regression()
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        result = fista(X, y, Quadratic(), L1(0.1), max_iter=2, tol=1e-10)
    assert result.converged is False
    assert result.n_iter == 2 and result.stop_crit > 1e-10
    with pytest.warns(ConvergenceWarning):
        model = PenalizedRegressor(L1(0.1), max_iter=2, tol=1e-10).fit(X, y)
    assert model.n_iter_ == 2 and model.stop_crit_ > 1e-10


def test_converged_fit_does_not_warn():
    X, y = make_regression()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = fista(X, y, Quadratic(), L1(0.1), tol=1e-8, max_iter=10_000)
    assert result.converged is True and result.stop_crit <= 1e-8


def test_warm_start_refits_in_fewer_iterations():
    X, y = make_regression(50, 20, seed=23)
    cold = PenalizedRegressor(L1(0.09), tol=1e-8).fit(X, y)
    warm = PenalizedRegressor(L1(0.1), tol=1e-8, warm_start=True).fit(X, y)
    warm.set_params(penalty=L1(0.09)).fit(X, y)
    assert warm.n_iter_ < cold.n_iter_
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=0, atol=1e-6)
    # refitting at the solution stops at the first check
    n_iter_at_solution = warm.fit(X, y).n_iter_
    assert n_iter_at_solution < warm.n_iter_ or n_iter_at_solution <= 10
    # without warm_start a refit starts from scratch
    assert PenalizedRegressor(L1(0.09), tol=1e-8).fit(X, y).fit(X, y).n_iter_ == cold.n_iter_


# ---------------------------------------------------------------------------------------------------------
# scikit-learn contract


def test_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(PenalizedRegressor(L1(0.01)))


def test_pipeline_and_grid_search():
    X_raw, y = make_regression(60, 10, seed=29)
    X = X_raw * np.linspace(1.0, 20.0, 10) + 5.0  # scales and offsets for the scaler to undo
    X_test, y_test = X[40:], y[40:]
    pipeline = make_pipeline(StandardScaler(), PenalizedRegressor(L1(0.1)))
    assert pipeline.fit(X[:40], y[:40]).score(X_test, y_test) > 0.8
    search = GridSearchCV(pipeline, {"penalizedregressor__penalty": [L1(0.1), L1(0.01)]}, cv=3)
    search.fit(X[:40], y[:40])
    best = search.best_params_["penalizedregressor__penalty"]
    assert isinstance(best, L1) and best.alpha in (0.1, 0.01)
    assert np.isfinite(search.best_score_) and search.best_score_ > 0.5
    assert search.score(X_test, y_test) > 0.8
    # the grid search directly on the estimator, with the penalty objects as the grid
    search = GridSearchCV(PenalizedRegressor(), {"penalty": [L1(0.1), L1(0.01)]}, cv=3).fit(X_raw[:40], y[:40])
    assert isinstance(search.best_params_["penalty"], L1)
    assert np.isfinite(search.best_score_) and search.best_score_ > 0.5


@pytest.mark.parametrize("params, name", [
    ({"penalty": "l1"}, "penalty"),
    ({"max_iter": 0}, "max_iter"),
    ({"tol": -1.0}, "tol"),
    ({"fit_intercept": "yes"}, "fit_intercept"),
])
def test_bad_estimator_parameters(params, name):
    X, y = make_regression(20, 5)
    with pytest.raises((ValueError, TypeError), match=name):
        PenalizedRegressor(**params).fit(X, y)


@pytest.mark.parametrize("penalty", [WeightedL1(0.1, np.ones(4)), GroupL2(0.1, [2, 2]), SortedL1(0.1, np.ones(4))],
                         ids=lambda pen: type(pen).__name__)
def test_penalty_of_the_wrong_size_is_refused(penalty):
    X, y = make_regression(20, 5)
    with pytest.raises(ValueError):
        fista(X, y, Quadratic(), penalty)
    with pytest.raises(ValueError):
        PenalizedRegressor(penalty).fit(X, y)


def test_backtracking_that_cannot_pass_ends_with_a_warning():
    """A datafit whose value drifts up between calls fails every decrease test: FISTA must warn and return its
    last iterate instead of doubling L until the step is 0."""
    class DriftingQuadratic(Quadratic):
        calls = 0

        def _value(self, y, linear_predictor):
            DriftingQuadratic.calls += 1
            return super()._value(y, linear_predictor) + 1e-3 * DriftingQuadratic.calls

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 5)), rng.standard_normal(20)
    with pytest.warns(ConvergenceWarning, match="stalled"):
        result = fista(X, y, DriftingQuadratic(), L1(0.1), max_iter=50)
    assert not result.converged and np.all(np.isfinite(result.coef))


def test_given_lipschitz_estimate_gives_the_same_solution():
    """A too-small first estimate is corrected by backtracking; any estimate gives the solution."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 15)), rng.standard_normal(40)
    reference = fista(X, y, Quadratic(), L1(0.05), tol=1e-12, max_iter=5000).coef
    for estimate in (1e-3, Quadratic().lipschitz(X), 100.0):
        coef = fista(X, y, Quadratic(), L1(0.05), tol=1e-12, max_iter=20000, lipschitz=estimate).coef
        np.testing.assert_allclose(coef, reference, atol=1e-9)
