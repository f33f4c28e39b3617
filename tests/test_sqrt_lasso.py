"""SqrtLasso and ConcomitantLasso against cvxpy and skglm."""
import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from skglm.experimental import SqrtLasso as SkglmSqrtLasso
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.linear_model import ConcomitantLasso, SqrtLasso

CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)


def data(n=60, p=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    return X, X[:, :3] @ np.array([1.0, -2.0, 3.0]) + 0.5 * rng.standard_normal(n) + 2.0


@pytest.mark.parametrize("sparse", [False, True])
def test_sqrt_lasso_matches_cvxpy(sparse):
    X, y = data()
    n, p = X.shape
    alpha = 0.8 * np.sqrt(2 * np.log(p) / n)
    model = SqrtLasso(alpha, tol=1e-12).fit(sp.csc_matrix(X) if sparse else X, y)
    coef, intercept = cp.Variable(p), cp.Variable()
    problem = cp.Problem(cp.Minimize(cp.norm2(y - X @ coef - intercept) / np.sqrt(n) + alpha * cp.norm1(coef)))
    problem.solve(**CLARABEL)
    ours = np.linalg.norm(y - X @ model.coef_ - model.intercept_) / np.sqrt(n) + alpha * np.abs(model.coef_).sum()
    assert ours == pytest.approx(problem.value, rel=1e-9)
    np.testing.assert_allclose(model.coef_, coef.value, atol=1e-5)
    assert model.sigma_ == pytest.approx(np.linalg.norm(y - X @ model.coef_ - model.intercept_) / np.sqrt(n))


def test_sqrt_lasso_matches_skglm_with_its_scaling():
    """skglm 0.5 minimises ||y - Xw|| + alpha ||w||_1 (no 1/sqrt(n)): its alpha is sqrt(n) times ours. The data
    are centred, as skglm's estimator handles the intercept differently."""
    X, y = data(seed=1)
    X, y = X - X.mean(axis=0), y - y.mean()
    n = len(y)
    alpha = 0.1
    ours = SqrtLasso(alpha, fit_intercept=False, tol=1e-12).fit(X, y)
    reference = SkglmSqrtLasso(alpha=alpha * np.sqrt(n), tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)


def test_concomitant_lasso_with_an_active_floor_matches_cvxpy():
    X, y = data(n=40, p=150, seed=2)
    n, p = X.shape
    alpha, sigma_min = 0.05, 0.2
    model = ConcomitantLasso(alpha, sigma_min=sigma_min, tol=1e-12).fit(X, y)
    coef, intercept, sigma = cp.Variable(p), cp.Variable(), cp.Variable()
    objective = (cp.quad_over_lin(y - X @ coef - intercept, sigma) / (2 * n) + sigma / 2
                 + alpha * cp.norm1(coef))
    cp.Problem(cp.Minimize(objective), [sigma >= sigma_min * np.std(y)]).solve(**CLARABEL)
    assert model.sigma_ == pytest.approx(sigma.value, rel=1e-6)
    assert model.sigma_ == pytest.approx(sigma_min * np.std(y))  # the floor is active here
    np.testing.assert_allclose(model.coef_, coef.value, atol=1e-5)


@pytest.mark.parametrize("estimator", [SqrtLasso(0.05), ConcomitantLasso(0.05)])
def test_check_estimator(estimator):
    check_estimator(estimator)
