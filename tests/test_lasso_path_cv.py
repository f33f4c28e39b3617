"""lasso_path / enet_path and LassoCV / ElasticNetCV against scikit-learn, and CV folds sent to a Dask cluster."""
import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from sklearn.model_selection import KFold

from sparseopt.linear_model import ElasticNetCV, LassoCV, enet_path, lasso_path


def data(seed=0, n=60, p=40, offset=3.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    return X, X[:, :4] @ np.array([2.0, -1.0, 1.5, 1.0]) + rng.standard_normal(n) + offset


def same_grid_point(ours, reference):
    """Both CV estimators chose the same alpha of their grids (which agree to rounding, not bitwise)."""
    return np.argmin(np.abs(np.ravel(ours.alphas_) - ours.alpha_)) == np.argmin(
        np.abs(np.ravel(reference.alphas_) - reference.alpha_))


def enet_objective(X, y, coef, alpha, l1_ratio):
    residual = y - X @ coef
    return 0.5 * residual @ residual / len(y) + alpha * (l1_ratio * np.abs(coef).sum()
                                                          + 0.5 * (1 - l1_ratio) * coef @ coef)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.4])
def test_paths_match_scikit_learn(l1_ratio):
    X, y = data()
    ours = enet_path(X, y, l1_ratio=l1_ratio, alphas=20, tol=1e-12, return_n_iter=True)
    reference = sk.enet_path(X, y, l1_ratio=l1_ratio, alphas=20, tol=1e-14, max_iter=10**6)
    assert len(ours) == 4
    np.testing.assert_allclose(ours[0], reference[0], rtol=1e-12)
    for k, alpha in enumerate(ours[0]):
        ours_value = enet_objective(X, y, ours[1][:, k], alpha, l1_ratio)
        assert ours_value <= enet_objective(X, y, reference[1][:, k], alpha, l1_ratio) * (1 + 1e-10)
    np.testing.assert_allclose(ours[1], reference[1], atol=1e-6)
    assert np.all(ours[2] <= 1e-12 * (y @ y) / len(y))


def test_lasso_path_takes_an_array_of_alphas_and_sparse_input():
    X, y = data(seed=1)
    alphas, coefs, _ = lasso_path(sp.csc_matrix(X), y, alphas=[0.01, 0.5, 0.1], tol=1e-12)
    np.testing.assert_array_equal(alphas, [0.5, 0.1, 0.01])
    reference = sk.lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=10**6)[1]
    np.testing.assert_allclose(coefs, reference, atol=1e-6)
    assert np.count_nonzero(lasso_path(X, y, alphas=5)[1][:, 0]) == 0  # the first grid point is alpha_max


def test_lasso_cv_matches_scikit_learn():
    X, y = data(seed=2)
    ours = LassoCV(cv=4, alphas=30, tol=1e-12).fit(X, y)
    reference = sk.LassoCV(cv=4, alphas=30, tol=1e-14, max_iter=10**6).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, reference.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, reference.mse_path_, rtol=1e-6)
    assert same_grid_point(ours, reference)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    assert ours.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)


def test_lasso_cv_with_sample_weights_matches_scikit_learn():
    X, y = data(seed=4)
    sample_weight = np.random.default_rng(4).uniform(0.1, 3.0, y.size)
    ours = LassoCV(cv=4, alphas=30, tol=1e-12).fit(X, y, sample_weight=sample_weight)
    reference = sk.LassoCV(cv=4, alphas=30, tol=1e-14, max_iter=10**6).fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(ours.alphas_, reference.alphas_, rtol=1e-10)
    np.testing.assert_allclose(ours.mse_path_, reference.mse_path_, rtol=1e-6)
    assert same_grid_point(ours, reference)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)


def test_elastic_net_cv_with_several_ratios_on_sparse_input():
    """mse_path_ against scikit-learn's ElasticNet fitted fold by fold (scikit-learn's ElasticNetCV differs from
    those direct fits by about 4e-6 relatively here), and the same choice as scikit-learn's ElasticNetCV."""
    X, y = data(seed=3)
    ours = ElasticNetCV(l1_ratio=[0.3, 0.9], cv=3, alphas=15, tol=1e-14).fit(sp.csc_matrix(X), y)
    reference = sk.ElasticNetCV(l1_ratio=[0.3, 0.9], cv=3, alphas=15, tol=1e-14, max_iter=10**6).fit(X, y)
    assert ours.mse_path_.shape == (2, 15, 3)
    np.testing.assert_allclose(ours.alphas_, reference.alphas_, rtol=1e-12)
    for r, ratio in enumerate([0.3, 0.9]):
        for f, (train, test) in enumerate(KFold(3).split(X)):
            for k, alpha in enumerate(ours.alphas_[r]):
                fold_fit = sk.ElasticNet(alpha, l1_ratio=ratio, tol=1e-14, max_iter=10**6).fit(X[train], y[train])
                error = np.mean((y[test] - fold_fit.predict(X[test])) ** 2)
                assert ours.mse_path_[r, k, f] == pytest.approx(error, rel=1e-6)
    assert ours.l1_ratio_ == reference.l1_ratio_ and same_grid_point(ours, reference)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)


def test_lasso_cv_on_a_dask_cluster_gives_the_same_answer():
    distributed = pytest.importorskip("distributed")
    X, y = data(seed=4)
    local = LassoCV(cv=3, alphas=20, n_jobs=2).fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            remote = LassoCV(cv=3, alphas=20, n_jobs=2).fit(X, y)
    assert remote.alpha_ == local.alpha_  # the same code on the same data: bitwise equal
    np.testing.assert_array_equal(remote.coef_, local.coef_)


@pytest.mark.parametrize("call, message", [
    (lambda X, y: lasso_path(X, y, eps=0.0), "eps"),
    (lambda X, y: lasso_path(X, y, alphas=[0.1, -1.0]), "alphas must be non-negative"),
    (lambda X, y: enet_path(X, y, l1_ratio=0.0), "l1_ratio"),
    (lambda X, y: LassoCV(eps=2.0).fit(X, y), "eps"),
    (lambda X, y: ElasticNetCV(l1_ratio=[0.5, 1.5]).fit(X, y), "l1_ratio"),
])
def test_bad_input_names_the_argument(call, message):
    X, y = data()
    with pytest.raises(ValueError, match=message):
        call(X, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_strong_rules_do_not_change_the_path(seed, l1_ratio):
    """The sequential strong rule only chooses where each point starts; the KKT check makes the path that of the
    full problem (here on correlated features, where the rule discards features it should keep)."""
    from sparseopt.linear_model.path import fit_path
    from sparseopt.validation import check_design

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 150))
    X[:, 1::2] = X[:, ::2] + 0.3 * rng.standard_normal((60, 75))  # pairs of correlated features
    y = X[:, :6] @ rng.standard_normal(6) + rng.standard_normal(60)
    X = check_design(X)
    # tol 1e-13: each gap is then below 1e-13 ||y||^2 / n, which keeps the objectives within the 1e-10 asserted
    alphas, screened, *_ = fit_path(X, y, 40, l1_ratio=l1_ratio, tol=1e-13, strong_rules=True)
    _, plain, *_ = fit_path(X, y, alphas, l1_ratio=l1_ratio, tol=1e-13, strong_rules=False)

    def objective(coef, alpha):
        return (0.5 * np.mean((y - X @ coef) ** 2) + alpha * l1_ratio * np.abs(coef).sum()
                + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)

    for k, alpha in enumerate(alphas):
        assert objective(screened[:, k], alpha) == pytest.approx(objective(plain[:, k], alpha), rel=1e-10)
    # p > n with near-duplicate columns: coefficients move like the square root of the objective's accuracy
    np.testing.assert_allclose(screened, plain, atol=1e-4)


def test_kkt_check_adds_the_features_a_strong_set_misses():
    """Start from a strong set that misses every feature of the solution: the solver must find them all."""
    from sparseopt.solvers.working_set import centered_design, solve_penalized_least_squares

    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.standard_normal((50, 40)))
    y = X[:, :5] @ np.ones(5) + 0.1 * rng.standard_normal(50)
    l1 = np.full(40, 0.05)
    full = solve_penalized_least_squares(centered_design(X), y, l1, np.zeros(40), tol=1e-12)
    wrong_set = np.arange(20, 40)
    restricted = solve_penalized_least_squares(centered_design(X), y, l1, np.zeros(40), tol=1e-12,
                                               strong_set=wrong_set)
    assert restricted.kkt_violations >= 5
    np.testing.assert_allclose(restricted.coef, full.coef, atol=1e-8)


def test_kkt_check_skips_only_features_whose_bound_certifies_them():
    """Given upper bounds on |X_j^T r| / n at the warm start, the solver computes X_j^T r at the end only where
    the bound moved by ||X_j|| ||r - r_init|| / n can reach alpha; what it returns still bounds the exact values,
    and the solution is that of the full problem."""
    from sparseopt.solvers.working_set import centered_design, solve_penalized_least_squares

    rng = np.random.default_rng(4)
    X = np.asfortranarray(rng.standard_normal((80, 300)))
    y = X[:, :8] @ rng.standard_normal(8) + 0.5 * rng.standard_normal(80)
    alpha_max = np.max(np.abs(X.T @ y)) / 80
    previous = solve_penalized_least_squares(centered_design(X), y, np.full(300, 0.3 * alpha_max), np.zeros(300),
                                             tol=1e-12)
    exact_before = np.abs(X.T @ (y - X @ previous.coef)) / 80
    np.testing.assert_array_less(exact_before[np.isfinite(previous.correlation_bounds)] - 1e-12,
                                 previous.correlation_bounds[np.isfinite(previous.correlation_bounds)])
    l1 = np.full(300, 0.25 * alpha_max)
    strong_set = np.flatnonzero(exact_before >= 2 * 0.25 * alpha_max - 0.3 * alpha_max)
    result = solve_penalized_least_squares(centered_design(X), y, l1, np.zeros(300), coef_init=previous.coef,
                                           tol=1e-12, strong_set=strong_set, correlation_bounds=exact_before)
    full = solve_penalized_least_squares(centered_design(X), y, l1, np.zeros(300), tol=1e-12)
    np.testing.assert_allclose(result.coef, full.coef, atol=1e-8)
    exact_after = np.abs(X.T @ (y - X @ result.coef)) / 80
    finite = np.isfinite(result.correlation_bounds)
    assert finite.sum() > 250
    assert np.sum(result.correlation_bounds[finite] > exact_after[finite] + 1e-9) > 100  # skipped: bounds only
    np.testing.assert_array_less(exact_after[finite] - 1e-12, result.correlation_bounds[finite])
    assert np.all(exact_after[result.coef == 0] <= l1[0] * (1 + 1e-9))


def test_secant_start_is_exact_where_the_path_is_linear():
    """Between kinks the Lasso path is linear in alpha: with an orthogonal design (w_j = soft(z_j, alpha)) the
    prediction from two points equals the solution at the third, and a feature about to leave is cut to 0."""
    from sparseopt.linear_model.path import _extrapolate

    z = np.array([3.0, -2.0, 1.5, 0.55, 0.1])
    solution = [np.sign(z) * np.maximum(np.abs(z) - alpha, 0.0) for alpha in (1.0, 0.8, 0.6)]
    predicted = _extrapolate(solution[0], solution[1], 1.0, 0.8, 0.6)
    np.testing.assert_allclose(predicted[:3], solution[2][:3], rtol=1e-12)
    assert predicted[3] == 0.0 and predicted[4] == 0.0  # not non-zero at both earlier points: kept as it was
    shrinking = [np.array([0.3]), np.array([0.1])]
    assert _extrapolate(shrinking[0], shrinking[1], 1.0, 0.8, 0.4)[0] == 0.0  # would change sign: cut to 0
