"""AdaptiveLasso: its last weighted Lasso against cvxpy, the monotone decrease of the log-penalty objective,
dense and CSC input, and the scikit-learn API."""
import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.linear_model import AdaptiveLasso, Lasso

CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)


def regression(seed=0, n=80, p=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[:5] = [3.0, -2.0, 1.5, 1.0, -1.0]
    return X, X @ coef + 0.5 * rng.standard_normal(n) + 2.0, coef


@pytest.mark.parametrize("gamma", [1.0, 0.5])
def test_last_weighted_lasso_matches_cvxpy(gamma):
    X, y, _ = regression()
    model = AdaptiveLasso(0.05, gamma=gamma, eps=1e-2, n_reweightings=4, tol=1e-12).fit(X, y)
    w, b = cp.Variable(X.shape[1]), cp.Variable()
    l1 = 0.05 * model.weights_
    problem = cp.Problem(cp.Minimize(cp.sum_squares(y - X @ w - b) / (2 * 80) + l1 @ cp.abs(w)))
    problem.solve(**CLARABEL)

    def objective(coef, intercept):
        return 0.5 * np.mean((y - X @ coef - intercept) ** 2) + l1 @ np.abs(coef)

    assert objective(model.coef_, model.intercept_) == pytest.approx(objective(w.value, b.value), rel=1e-9)
    np.testing.assert_allclose(model.weights_, (np.abs(_previous_fit(X, y, gamma)) + 1e-2) ** -gamma, rtol=1e-6)


def _previous_fit(X, y, gamma):
    """w^(K-1): the same model with one reweighting fewer."""
    return AdaptiveLasso(0.05, gamma=gamma, eps=1e-2, n_reweightings=3, tol=1e-12).fit(X, y).coef_


def test_one_reweighting_is_the_lasso():
    X, y, _ = regression(seed=1)
    np.testing.assert_allclose(AdaptiveLasso(0.1, n_reweightings=1, tol=1e-12).fit(X, y).coef_,
                               Lasso(0.1, tol=1e-12).fit(X, y).coef_, atol=1e-10)


def test_log_penalty_objective_decreases_and_bias_drops():
    """With gamma = 1 each reweighting is a majorization-minimization step: the log objective never increases.
    The large coefficients are shrunk less than by the Lasso, measured from the least-squares fit on the true
    support."""
    X, y, _ = regression(seed=2, n=200, p=60)
    model = AdaptiveLasso(0.05, n_reweightings=6, tol=1e-12).fit(X, y)
    assert np.all(np.diff(model.objective_path_) <= 1e-12)
    lasso = Lasso(0.05, tol=1e-12).fit(X, y)
    design = np.column_stack([X[:, :5], np.ones(200)])
    oracle = np.linalg.lstsq(design, y, rcond=None)[0][:5]  # least squares on the true support
    # the weight of w_j is about 1 / |w_j|: the two largest (|w| = 3, 2) are shrunk about half as much
    assert np.abs(model.coef_[:2] - oracle[:2]).sum() < 0.6 * np.abs(lasso.coef_[:2] - oracle[:2]).sum()
    assert np.count_nonzero(model.coef_) <= np.count_nonzero(lasso.coef_)


def test_dense_and_sparse_agree():
    X, y, _ = regression(seed=3)
    X[np.abs(X) < 0.8] = 0.0
    dense = AdaptiveLasso(0.05, tol=1e-12).fit(X, y)
    sparse = AdaptiveLasso(0.05, tol=1e-12).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-8)


def test_check_estimator_and_bad_parameters():
    check_estimator(AdaptiveLasso(0.1, tol=1e-8))
    X, y, _ = regression(seed=4, n=20, p=5)
    for params, name in [({"eps": 0.0}, "eps"), ({"gamma": -1.0}, "gamma"), ({"n_reweightings": 0}, "n_reweightings")]:
        with pytest.raises(ValueError, match=name):
            AdaptiveLasso(**params).fit(X, y)


def test_pipeline_and_grid_search():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = regression(seed=5, n=120, p=30)
    search = GridSearchCV(make_pipeline(StandardScaler(), AdaptiveLasso()),
                          {"adaptivelasso__alpha": [0.01, 0.1, 10.0], "adaptivelasso__gamma": [0.5, 1.0]},
                          cv=3).fit(X, y)
    assert search.best_params_["adaptivelasso__alpha"] in (0.01, 0.1)
    assert search.score(X, y) > 0.9
