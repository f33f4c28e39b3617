"""GroupLasso and MultiTaskLasso against cvxpy and scikit-learn, dense and CSC, and their scikit-learn API."""
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

from sparseopt.linear_model import GroupLasso, Lasso, MultiTaskLasso

CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
UNEQUAL_GROUPS = [[0, 5, 9], [1], [2, 3], [4, 6, 7, 8, 10, 11], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
                  [22, 23, 24, 25], [26, 27, 28, 29]]


def regression(seed=0, n=50, p=30, n_tasks=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 0.3 * rng.standard_normal((n, 1))
    coef = np.zeros((p, n_tasks or 1))
    coef[[0, 5, 9, 2, 3]] = rng.standard_normal((5, n_tasks or 1))
    Y = X @ coef + 0.5 * rng.standard_normal((n, n_tasks or 1)) + 1.0
    return X, (Y[:, 0] if n_tasks is None else Y)


def group_objective(X, y, coef, intercept, alpha, groups, weights, sample_weight):
    share = sample_weight / sample_weight.sum()
    penalty = sum(c * np.linalg.norm(coef[g]) for g, c in zip(groups, weights))
    return 0.5 * share @ (y - X @ coef - intercept) ** 2 + alpha * penalty


def test_group_lasso_matches_cvxpy_with_unequal_groups_and_sample_weights():
    X, y = regression()
    sample_weight = np.random.default_rng(1).uniform(0.2, 2.0, y.size)
    weights = np.sqrt([len(g) for g in UNEQUAL_GROUPS])
    weights[1] = 0.0  # an unpenalized group
    alpha = 0.1
    w, b = cp.Variable(X.shape[1]), cp.Variable()
    share = sample_weight / sample_weight.sum()
    penalty = sum(c * cp.norm(w[g]) for g, c in zip(UNEQUAL_GROUPS, weights))
    cp.Problem(cp.Minimize(0.5 * share @ cp.square(y - X @ w - b) + alpha * penalty)).solve(**CLARABEL)
    reference = group_objective(X, y, w.value, b.value, alpha, UNEQUAL_GROUPS, weights, sample_weight)
    for design in (X, sp.csc_matrix(X)):
        model = GroupLasso(alpha, groups=UNEQUAL_GROUPS, group_weights=weights, tol=1e-12).fit(
            design, y, sample_weight=sample_weight)
        ours = group_objective(X, y, model.coef_, model.intercept_, alpha, UNEQUAL_GROUPS, weights, sample_weight)
        assert ours == pytest.approx(reference, rel=1e-9)
        np.testing.assert_allclose(model.coef_, w.value, atol=1e-5)
        assert 0 < np.count_nonzero(model.coef_) < X.shape[1]


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_group_lasso_sizes_match_cvxpy_dense_and_sparse_agree(fit_intercept):
    X, y = regression(seed=2, n=40, p=24)
    sizes = [1, 2, 3, 4, 5, 9]
    groups = np.split(np.arange(24), np.cumsum(sizes)[:-1])
    alpha = 0.2
    w, b = cp.Variable(24), cp.Variable()
    intercept = b if fit_intercept else 0.0
    penalty = sum(np.sqrt(len(g)) * cp.norm(w[g]) for g in groups)
    cp.Problem(cp.Minimize(cp.sum_squares(y - X @ w - intercept) / (2 * 40) + alpha * penalty)).solve(**CLARABEL)
    dense = GroupLasso(alpha, groups=sizes, fit_intercept=fit_intercept, tol=1e-12).fit(X, y)
    sparse = GroupLasso(alpha, groups=sizes, fit_intercept=fit_intercept, tol=1e-12).fit(sp.csc_matrix(X), y)
    ones = np.ones(40)
    reference = group_objective(X, y, w.value, b.value if fit_intercept else 0.0, alpha, groups,
                                np.sqrt(sizes), ones)
    assert group_objective(X, y, dense.coef_, dense.intercept_, alpha, groups, np.sqrt(sizes), ones) == \
        pytest.approx(reference, rel=1e-9)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-8)


def test_one_feature_groups_give_the_lasso():
    X, y = regression(seed=3)
    alpha = 0.05
    group = GroupLasso(alpha, tol=1e-12).fit(X, y)
    lasso = Lasso(alpha, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(group.coef_, lasso.coef_, atol=1e-9)


def test_group_lasso_kkt_conditions_at_the_solution():
    """-X_g^T r / n = alpha c_g w_g / ||w_g|| on non-zero groups, ||X_g^T r / n|| <= alpha c_g on zero ones."""
    X, y = regression(seed=4, n=60, p=30)
    model = GroupLasso(0.08, groups=UNEQUAL_GROUPS, tol=1e-12).fit(X, y)
    gradient = -X.T @ (y - X @ model.coef_ - model.intercept_) / 60
    for group in UNEQUAL_GROUPS:
        bound = 0.08 * np.sqrt(len(group))
        norm = np.linalg.norm(model.coef_[group])
        if norm > 0:
            np.testing.assert_allclose(-gradient[group], bound * model.coef_[group] / norm, atol=1e-7)
        else:
            assert np.linalg.norm(gradient[group]) <= bound + 1e-9


def multitask_objective(X, Y, coef, intercept, alpha):
    residual = Y - X @ coef.T - intercept
    return 0.5 * np.sum(residual ** 2) / X.shape[0] + alpha * np.sum(np.linalg.norm(coef, axis=0))


@pytest.mark.parametrize("ratio", [5, 50])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multitask_lasso_matches_scikit_learn(ratio, fit_intercept):
    X, Y = regression(seed=5, n=60, p=80, n_tasks=4)
    centered = (X - X.mean(0), Y - Y.mean(0)) if fit_intercept else (X, Y)
    alpha = np.max(np.linalg.norm(centered[0].T @ centered[1], axis=1)) / 60 / ratio
    reference = sk.MultiTaskLasso(alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000).fit(X, Y)
    expected = multitask_objective(X, Y, reference.coef_, reference.intercept_, alpha)
    for design in (X, sp.csc_matrix(X)):
        model = MultiTaskLasso(alpha, fit_intercept=fit_intercept, tol=1e-10).fit(design, Y)
        assert model.coef_.shape == (4, 80) and model.intercept_.shape == (4,)
        assert multitask_objective(X, Y, model.coef_, model.intercept_, alpha) == pytest.approx(expected, rel=1e-8)
        np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-5)
        np.testing.assert_allclose(model.predict(design), reference.predict(X), atol=1e-5)


def test_multitask_lasso_matches_cvxpy():
    X, Y = regression(seed=6, n=30, p=12, n_tasks=3)
    alpha = 0.1
    W, b = cp.Variable((12, 3)), cp.Variable(3)
    residual = Y - X @ W - np.ones((30, 1)) @ cp.reshape(b, (1, 3), order="C")
    cp.Problem(cp.Minimize(cp.sum_squares(residual) / 60 + alpha * cp.sum(cp.norm(W, 2, axis=1)))).solve(**CLARABEL)
    model = MultiTaskLasso(alpha, tol=1e-12).fit(X, Y)
    assert multitask_objective(X, Y, model.coef_, model.intercept_, alpha) == pytest.approx(
        multitask_objective(X, Y, W.value.T, b.value, alpha), rel=1e-9)


def test_float32_input_works():
    X, Y = regression(seed=7, n=40, p=20, n_tasks=2)
    model64 = MultiTaskLasso(0.05, tol=1e-10).fit(X, Y)
    model32 = MultiTaskLasso(0.05, tol=1e-6).fit(X.astype(np.float32), Y.astype(np.float32))
    assert model32.coef_.dtype == np.float32
    np.testing.assert_allclose(model32.coef_, model64.coef_, atol=1e-4)
    group32 = GroupLasso(0.05, groups=[5, 5, 10], tol=1e-6).fit(X.astype(np.float32), Y[:, 0].astype(np.float32))
    group64 = GroupLasso(0.05, groups=[5, 5, 10], tol=1e-10).fit(X, Y[:, 0])
    np.testing.assert_allclose(group32.coef_, group64.coef_, atol=1e-4)


def test_warm_start_and_convergence_warning():
    X, y = regression(seed=8)
    model = GroupLasso(0.02, groups=UNEQUAL_GROUPS, tol=1e-10, warm_start=True).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ <= first and model.n_iter_ == 1
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        MultiTaskLasso(0.001, max_iter=1, tol=1e-14).fit(*regression(seed=8, n_tasks=3))


@pytest.mark.parametrize("estimator", [GroupLasso(0.1, tol=1e-8), MultiTaskLasso(0.1, tol=1e-8)],
                         ids=["GroupLasso", "MultiTaskLasso"])
def test_check_estimator(estimator):
    """All checks pass; tol=1e-8 because the sample-weight equivalence checks compare predictions to rtol 1e-7,
    finer than the default duality-gap tolerance gives. Explicit groups fix the number of features, which the
    generic checks vary, so those are run with one group per feature."""
    check_estimator(estimator)
    with pytest.raises(ValueError, match="groups must cover"):
        GroupLasso(groups=[2, 3]).fit(np.ones((4, 3)), np.arange(4.0))


def test_pipeline_and_grid_search():
    X, Y = regression(seed=9, n=80, p=20, n_tasks=2)
    search = GridSearchCV(make_pipeline(StandardScaler(), MultiTaskLasso()),
                          {"multitasklasso__alpha": [0.01, 0.1, 1.0]}, cv=3).fit(X, Y)
    assert search.best_params_["multitasklasso__alpha"] in (0.01, 0.1)
    assert search.score(X, Y) > 0.5
    search = GridSearchCV(make_pipeline(StandardScaler(), GroupLasso(groups=[5] * 4)),
                          {"grouplasso__alpha": [0.01, 0.1, 1.0]}, cv=3).fit(X, Y[:, 0])
    assert search.score(X, Y[:, 0]) > 0.5


@pytest.mark.parametrize("estimator, args, message", [
    (GroupLasso(groups=[2, 0, 3]), (), "group size must be positive"),
    (GroupLasso(groups=[[0, 1], []]), (), "at least one feature"),
    (GroupLasso(groups=[2, 2]), (), "cover each of the 5 features"),
    (GroupLasso(groups=[2, 3], group_weights=[1.0, -1.0]), (), "group_weights"),
    (GroupLasso(alpha=-1.0), (), "alpha"),
    (MultiTaskLasso(), ("1d",), "2-D array"),
    (MultiTaskLasso(), ("nan",), "NaN"),
])
def test_bad_input_gets_a_clear_error(estimator, args, message):
    X = np.random.default_rng(0).standard_normal((10, 5))
    y = np.arange(10.0) if args == ("1d",) else np.ones((10, 2))
    if args == ("nan",):
        y[3, 1] = np.nan
    if isinstance(estimator, GroupLasso):
        y = np.arange(10.0)
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, y)


def test_gap_safe_screening_keeps_the_solution():
    from sparseopt.solvers import group_working_set as gws
    from sparseopt.solvers.working_set import prepare_least_squares
    from sparseopt.validation import check_groups

    X, y = regression(seed=10, n=40, p=30)
    centered, y_c, _, _ = prepare_least_squares(np.asfortranarray(X), y, np.ones(40), True)
    indices, ptr = check_groups(UNEQUAL_GROUPS, 30)
    groups = gws.Groups(indices, ptr, gws.group_lipschitz(centered, indices, ptr))
    l1 = 0.1 * np.sqrt(np.diff(ptr))
    screened = gws.solve_group_least_squares(centered, y_c, groups, l1, tol=1e-12, screening=True)
    plain = gws.solve_group_least_squares(centered, y_c, groups, l1, tol=1e-12, screening=False)
    np.testing.assert_allclose(screened.coef, plain.coef, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
def test_group_lipschitz_is_the_squared_spectral_norm_of_each_centred_block(sparse, monkeypatch):
    from sparseopt.solvers import group_working_set as gws
    from sparseopt.solvers.working_set import prepare_least_squares

    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 14)) * (rng.random((40, 14)) < 0.6) + 0.3
    members = [[5], [0, 7], [2, 9, 11], [1, 3], [4, 6, 8, 10, 12], [13]]  # sizes 1, 2 and 3 and 5, interleaved
    indices, ptr = np.concatenate(members), np.cumsum([0] + [len(g) for g in members])
    monkeypatch.setattr(gws, "BLOCK_ENTRIES", 40 * 2)  # one group per chunk for the size-2 groups
    design = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    centered, _, _, _ = prepare_least_squares(design, rng.standard_normal(40), np.ones(40), True)
    centred = X - X.mean(axis=0)
    expected = [np.linalg.norm(centred[:, g], 2) ** 2 / 40 for g in members]
    np.testing.assert_allclose(gws.group_lipschitz(centered, indices, ptr), expected, rtol=1e-12)
