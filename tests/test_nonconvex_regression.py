"""MCPRegression and SCADRegression: stationarity, skglm, the unique minimiser when the problem is convex."""
import numpy as np
import pytest
import scipy.sparse as sp
import skglm
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.datafits import Quadratic
from sparseopt.linear_model import MCPRegression, SCADRegression
from sparseopt.penalties import MCP, SCAD
from sparseopt.solvers import fista


def standardized(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(StandardScaler().fit_transform(rng.standard_normal((n, p))))
    return X, X[:, :3] @ np.array([1.0, -2.0, 3.0]) + rng.standard_normal(n)


@pytest.mark.parametrize("alpha", [0.05, 0.3])
def test_mcp_matches_skglm(alpha):
    X, y = standardized(100, 60)
    ours = MCPRegression(alpha, gamma=3.0, fit_intercept=False, tol=1e-12).fit(X, y)
    reference = skglm.MCPRegression(alpha=alpha, gamma=3.0, fit_intercept=False, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-8)


@pytest.mark.parametrize("estimator, penalty", [
    (MCPRegression(0.2, gamma=3.0, tol=1e-12), MCP(0.2, 3.0)),
    (SCADRegression(0.2, a=3.7, tol=1e-12), SCAD(0.2, 3.7)),
])
@pytest.mark.parametrize("sparse", [False, True])
def test_stationary_and_equal_to_the_unique_minimiser(estimator, penalty, sparse):
    """With n >> p the smallest eigenvalue of X^T X / n exceeds 1/gamma (1/(a-1)): the objective is strictly
    convex, so the stationary point is the minimiser that proximal gradient reaches too."""
    X, y = standardized(300, 8, seed=1)
    y = y + 4.0
    assert np.linalg.eigvalsh(X.T @ X / len(y))[0] > 1 / 2.7
    model = estimator.fit(sp.csc_matrix(X) if sparse else X, y)
    residual = y - X @ model.coef_ - model.intercept_
    assert abs(residual.mean()) < 1e-10
    assert np.max(penalty.subdiff_distance(model.coef_, -X.T @ residual / len(y))) < 1e-9
    reference = fista(X, y, Quadratic(), penalty, fit_intercept=True, max_iter=100_000, tol=1e-12)
    np.testing.assert_allclose(model.coef_, reference.coef, atol=1e-8)
    assert model.intercept_ == pytest.approx(reference.intercept, abs=1e-8)


def test_shape_below_the_step_condition_is_refused():
    X, y = standardized(50, 5)
    with pytest.raises(ValueError, match="gamma=0.5 must exceed"):
        MCPRegression(0.1, gamma=0.5).fit(X, y)
    with pytest.raises(ValueError, match="a=1.5 must exceed"):
        SCADRegression(0.1, a=1.5).fit(X, y)


@pytest.mark.parametrize("estimator", [MCPRegression(0.01, gamma=1e3), SCADRegression(0.01, a=1e3)])
def test_check_estimator(estimator):
    check_estimator(estimator)
