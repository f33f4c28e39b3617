"""SparseLogisticRegression against scikit-learn (saga, l1_ratio=1, C = 1 / (alpha n)) and cvxpy."""
import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.linear_model import SparseLogisticRegression, SparseLogisticRegressionCV


def data(n=120, p=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    margins = X[:, :4] @ np.array([2.0, -1.0, 1.5, 1.0]) + 0.5
    return X, np.where(rng.random(n) < 1 / (1 + np.exp(-margins)), "yes", "no")


def objective(X, signs, coef, intercept, alpha):
    """Mean logistic loss + alpha ||w||_1."""
    return np.mean(np.logaddexp(0.0, -signs * (X @ coef + intercept))) + alpha * np.abs(coef).sum()


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_matches_scikit_learn_saga(fit_intercept, sparse):
    X, y = data()
    n, alpha = len(y), 0.02
    ours = SparseLogisticRegression(alpha, fit_intercept=fit_intercept, tol=1e-10)
    ours.fit(sp.csc_matrix(X) if sparse else X, y)
    reference = LogisticRegression(l1_ratio=1.0, solver="saga", C=1 / (alpha * n), fit_intercept=fit_intercept,
                                   tol=1e-12, max_iter=10**6).fit(X, y)
    signs = np.where(y == ours.classes_[1], 1.0, -1.0)
    ours_value = objective(X, signs, ours.coef_, ours.intercept_, alpha)
    reference_value = objective(X, signs, reference.coef_[0], reference.intercept_[0], alpha)
    assert ours_value == pytest.approx(reference_value, rel=1e-9)
    assert ours_value <= reference_value + 1e-12
    np.testing.assert_allclose(ours.coef_, reference.coef_[0], atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.classes_, reference.classes_)


def test_matches_cvxpy():
    X, y = data(seed=1)
    n, p = X.shape
    alpha = 0.05
    ours = SparseLogisticRegression(alpha, tol=1e-12).fit(X, y)
    signs = np.where(y == ours.classes_[1], 1.0, -1.0)
    coef, intercept = cp.Variable(p), cp.Variable()
    loss = cp.sum(cp.logistic(-cp.multiply(signs, X @ coef + intercept))) / n
    problem = cp.Problem(cp.Minimize(loss + alpha * cp.norm1(coef)))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert objective(X, signs, ours.coef_, ours.intercept_, alpha) <= problem.value + 1e-9
    np.testing.assert_allclose(ours.coef_, coef.value, atol=1e-4)


def test_alpha_max_gives_the_null_model():
    """At alpha >= ||X^T (t - mean t)||_inf / n every coefficient is 0 and the intercept is the log-odds."""
    X, y = data(seed=2)
    targets = (y == "yes").astype(float)
    alpha_max = np.max(np.abs(X.T @ (targets - targets.mean()))) / len(y)
    model = SparseLogisticRegression(alpha_max * 1.001).fit(X, y)
    assert np.count_nonzero(model.coef_) == 0
    assert model.intercept_ == pytest.approx(np.log(targets.mean() / (1 - targets.mean())), abs=1e-8)
    assert np.count_nonzero(SparseLogisticRegression(alpha_max * 0.9).fit(X, y).coef_) > 0


def test_errors_and_warnings():
    X, y = data(seed=3)
    with pytest.raises(ValueError, match="Only binary classification"):
        SparseLogisticRegression().fit(X, np.arange(len(y)) % 3)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        SparseLogisticRegression(0.001, max_iter=1, tol=1e-14).fit(X, y)


def test_check_estimator():
    check_estimator(SparseLogisticRegression(0.01))


def test_cv_log_loss_path_matches_fold_by_fold_fits():
    """Every entry of log_loss_path_ (warm-started paths) against a cold-started fit on that fold at that alpha,
    whose training objective is not above scikit-learn's saga (which stops early on the null model: its
    intercept is then off by up to 1e-6 in objective), and the refit at alpha_."""
    X, y = data(n=90, p=20, seed=4)
    model = SparseLogisticRegressionCV(alphas=4, cv=3, tol=1e-10).fit(X, y)
    assert model.log_loss_path_.shape == (4, 3)
    for k, alpha in enumerate(model.alphas_):
        for f, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
            cold = SparseLogisticRegression(alpha, tol=1e-12).fit(X[train], y[train])
            saga = LogisticRegression(l1_ratio=1.0, solver="saga", C=1 / (alpha * len(train)), tol=1e-9,
                                      max_iter=10**6).fit(X[train], y[train])
            signs = np.where(y[train] == cold.classes_[1], 1.0, -1.0)
            assert (objective(X[train], signs, cold.coef_, cold.intercept_, alpha)
                    <= objective(X[train], signs, saga.coef_[0], saga.intercept_[0], alpha) + 1e-12)
            expected = log_loss(y[test], cold.predict_proba(X[test]))
            assert model.log_loss_path_[k, f] == pytest.approx(expected, rel=1e-8)
    assert model.alpha_ == model.alphas_[np.argmin(model.log_loss_path_.mean(axis=1))]
    single = SparseLogisticRegression(model.alpha_, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, single.coef_, atol=1e-8)
    check_estimator(SparseLogisticRegressionCV(alphas=4, cv=2))
