"""Lasso, ElasticNet and WeightedLasso against scikit-learn and cvxpy, on dense and CSC input."""
import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.linear_model import ElasticNet, Lasso, WeightedLasso

CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)


def problem(sparse, seed=0, n=60, p=30):
    """A regression problem with 3 true features, an offset of 5, and positive sample weights."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.3, format="csc", random_state=seed) if sparse else rng.standard_normal((n, p))
    dense = X.toarray() if sparse else X
    y = dense[:, :3] @ np.array([1.0, -2.0, 3.0]) + 0.5 * rng.standard_normal(n) + 5.0
    return X, y, rng.uniform(0.2, 3.0, n)


def objective(X, y, coef, intercept, sample_weight, l1, l2):
    """1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + sum_j l1_j |w_j| + l2_j / 2 w_j^2."""
    residual = y - X @ coef - intercept
    return 0.5 * sample_weight @ residual ** 2 / sample_weight.sum() + l1 @ np.abs(coef) + 0.5 * l2 @ coef ** 2


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("positive", [False, True])
def test_lasso_and_elastic_net_match_scikit_learn(sparse, fit_intercept, weighted, positive):
    X, y, weights = problem(sparse)
    sample_weight = weights if weighted else None
    s = weights if weighted else np.ones(len(y))
    dense = X.toarray() if sparse else X
    p = X.shape[1]
    pairs = [
        (Lasso(0.05, fit_intercept=fit_intercept, positive=positive, tol=1e-12),
         sk.Lasso(0.05, fit_intercept=fit_intercept, positive=positive, tol=1e-14, max_iter=10**6),
         np.full(p, 0.05), np.zeros(p)),
        (ElasticNet(0.05, l1_ratio=0.3, fit_intercept=fit_intercept, positive=positive, tol=1e-12),
         sk.ElasticNet(0.05, l1_ratio=0.3, fit_intercept=fit_intercept, positive=positive, tol=1e-14,
                       max_iter=10**6),
         np.full(p, 0.015), np.full(p, 0.035)),
    ]
    for ours, reference, l1, l2 in pairs:
        ours.fit(X, y, sample_weight=sample_weight)
        reference.fit(X, y, sample_weight=sample_weight)
        ours_value = objective(dense, y, ours.coef_, ours.intercept_, s, l1, l2)
        reference_value = objective(dense, y, reference.coef_, reference.intercept_, s, l1, l2)
        assert ours_value <= reference_value * (1 + 1e-10)
        np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
        assert ours.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_weighted_lasso_matches_cvxpy(sparse):
    X, y, weights = problem(sparse, seed=1)
    dense = X.toarray() if sparse else X
    penalty_weights = np.linspace(0.0, 2.0, X.shape[1])  # feature 0 unpenalized
    model = WeightedLasso(0.05, weights=penalty_weights, tol=1e-12).fit(X, y, sample_weight=weights)
    coef, intercept = cp.Variable(X.shape[1]), cp.Variable()
    loss = 0.5 * cp.sum(cp.multiply(weights, cp.square(y - dense @ coef - intercept))) / weights.sum()
    cp.Problem(cp.Minimize(loss + 0.05 * penalty_weights @ cp.abs(coef))).solve(**CLARABEL)
    np.testing.assert_allclose(model.coef_, coef.value, atol=1e-6)
    assert model.intercept_ == pytest.approx(intercept.value, abs=1e-6)


def test_dense_and_sparse_agree_and_float32_works():
    X, y, _ = problem(True, seed=2)
    sparse_fit = Lasso(0.02, tol=1e-12).fit(X, y)
    dense_fit = Lasso(0.02, tol=1e-12).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, atol=1e-8)
    single = Lasso(0.02, tol=1e-8).fit(X.astype(np.float32), y.astype(np.float32))
    assert single.coef_.dtype == np.float32
    np.testing.assert_allclose(single.coef_, dense_fit.coef_, atol=1e-4)


def test_duality_gap_certifies_the_kkt_conditions():
    X, y, _ = problem(False, seed=3, n=50, p=200)
    alpha = 0.02
    model = Lasso(alpha, fit_intercept=False, tol=1e-10).fit(X, y)
    assert model.dual_gap_ <= 1e-10 * (y @ y) / len(y)
    gradient = -X.T @ (y - X @ model.coef_) / len(y)
    support = model.coef_ != 0
    np.testing.assert_allclose(gradient[support], -alpha * np.sign(model.coef_[support]), atol=1e-6)
    assert np.all(np.abs(gradient[~support]) <= alpha + 1e-6)


def test_warm_start_and_convergence_warning():
    X, y, _ = problem(False, seed=4, n=50, p=200)
    model = Lasso(0.01, fit_intercept=False, tol=1e-10, warm_start=True).fit(X, y)
    cold_iterations = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ < cold_iterations
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        Lasso(0.001, max_iter=1, tol=1e-14).fit(X, y)


@pytest.mark.parametrize("estimator", [Lasso(0.01), ElasticNet(0.01), WeightedLasso(0.01)])
def test_check_estimator(estimator):
    check_estimator(estimator)


def test_pipeline_and_grid_search():
    X, y, _ = problem(False, seed=5)
    search = GridSearchCV(make_pipeline(StandardScaler(), Lasso()), {"lasso__alpha": [0.01, 0.1, 10.0]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["lasso__alpha"] in (0.01, 0.1)
    assert search.best_score_ > 0.8


@pytest.mark.parametrize("estimator, message", [
    (Lasso(alpha=-1.0), "alpha"),
    (ElasticNet(l1_ratio=1.5), "l1_ratio"),
    (Lasso(max_iter=0), "max_iter"),
    (WeightedLasso(weights=[1.0, -1.0, 1.0]), "weights must be non-negative"),
    (WeightedLasso(weights=[1.0, 1.0]), "weights must have length 3"),
])
def test_bad_parameters_name_the_parameter(estimator, message):
    with pytest.raises(ValueError, match=message):
        estimator.fit(np.eye(3), np.ones(3))


@pytest.mark.parametrize("positive", [False, True])
def test_gap_safe_screening_keeps_the_solution(positive):
    """With screening, features leave the problem only if they are 0 at the optimum: same solution as without."""
    from sparseopt.solvers import working_set

    X, y, _ = problem(False, seed=6, n=40, p=300)
    X = np.asfortranarray(X)
    alpha = 0.2 * np.max(np.abs(X.T @ y)) / len(y)
    l1, l2 = np.full(300, alpha), np.zeros(300)
    screened = working_set.solve_penalized_least_squares(working_set.centered_design(X), y, l1, l2,
                                                         positive=positive, tol=1e-12)
    plain = working_set.solve_penalized_least_squares(working_set.centered_design(X), y, l1, l2, positive=positive,
                                                   tol=1e-12, screening=False)
    assert np.isinf(screened.correlation_bounds).sum() > 100  # inf: removed by the gap-safe rule
    np.testing.assert_allclose(screened.coef, plain.coef, atol=1e-8)


def test_unpenalized_feature_is_optimal_at_the_default_tolerance():
    """A zero weight leaves the gap blind to that feature away from the optimum; the solver also checks its
    gradient, so even at tol=1e-4 the unpenalized coefficient is a least-squares optimum (gradient ~ 0)."""
    X, y, _ = problem(False, seed=7)
    weights = np.ones(X.shape[1])
    weights[5] = 0.0
    model = WeightedLasso(0.1, weights=weights, fit_intercept=False).fit(X, y)
    gradient = X.T @ (y - X @ model.coef_) / len(y)
    assert abs(gradient[5]) <= 1e-4 * np.max(np.abs(X.T @ y)) / len(y)


def test_no_penalty_at_all_gives_least_squares():
    """alpha = 0, or many zero weights: the gap alone cannot certify; the solver still reaches the optimum."""
    X, y, _ = problem(False, seed=8, n=80, p=30)
    least_squares = np.linalg.lstsq(np.column_stack([X, np.ones(80)]), y, rcond=None)[0]
    model = Lasso(alpha=0.0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, least_squares[:-1], atol=1e-6)
    weights = np.where(np.arange(30) % 3 == 0, 0.0, 1.0)
    ours = WeightedLasso(0.05, weights=weights, fit_intercept=False, tol=1e-10).fit(X, y)
    coef = cp.Variable(30)
    objective = 0.5 * cp.sum_squares(y - X @ coef) / 80 + 0.05 * weights @ cp.abs(coef)
    cp.Problem(cp.Minimize(objective)).solve(**CLARABEL)
    np.testing.assert_allclose(ours.coef_, coef.value, atol=1e-6)


def test_verbose_prints_the_gap_of_each_outer_iteration(capsys):
    X, y = problem(False)[:2]
    model = Lasso(0.01, tol=1e-10, verbose=True).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("outer iteration")]
    assert len(lines) == model.n_iter_
    gaps = [float(line.split("duality gap ")[1].split()[0]) for line in lines]
    assert gaps[-1] == pytest.approx(model.dual_gap_, rel=1e-2) and gaps[-1] < gaps[0]
