"""L0Classifier: the fit on its support is the ridge-penalized fit of scikit-learn, support recovery, dense = CSC."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.l0.classification import L0Classifier


def classification_data(seed=0, n=300, p=50):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[[1, 5, 9]] = [2.0, -2.0, 1.5]
    y = (X @ coef + 0.5 + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("loss", ["logistic", "squared_hinge"])
@pytest.mark.parametrize("algorithm", ["CD", "CDPSI"])
def test_support_recovery_and_dense_equals_csc(loss, algorithm):
    X, y = classification_data()
    dense = L0Classifier(0.01, loss=loss, algorithm=algorithm).fit(X, y)
    np.testing.assert_array_equal(np.flatnonzero(dense.coef_), [1, 5, 9])
    sparse = L0Classifier(0.01, loss=loss, algorithm=algorithm).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-12)
    assert dense.score(X, y) > 0.9


def test_logistic_coefficients_on_the_support_match_scikit_learn():
    """At a fixed point of the thresholded steps the non-zeros minimise mean log-loss + lambda2 ||w||^2 on the
    support: scikit-learn's LogisticRegression with C = 1 / (2 lambda2 n) on those columns."""
    X, y = classification_data(1)
    lambda2 = 0.01
    model = L0Classifier(0.01, penalty="L0L2", lambda2=lambda2, tol=1e-12, max_iter=1000).fit(X, y)
    support = np.flatnonzero(model.coef_)
    reference = LogisticRegression(C=1 / (2 * lambda2 * len(y)), tol=1e-12, max_iter=10_000).fit(X[:, support], y)
    np.testing.assert_allclose(model.coef_[support], reference.coef_[0], atol=1e-5)
    assert model.intercept_ == pytest.approx(reference.intercept_[0], abs=1e-5)


def test_swaps_never_do_worse():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((100, 30)) + 0.8 * rng.standard_normal((100, 1))
        y = (X[:, :4] @ np.ones(4) + rng.standard_normal(100) > 0).astype(int)
        cd = L0Classifier(0.02, algorithm="CD").fit(X, y)
        swaps = L0Classifier(0.02, algorithm="CDPSI").fit(X, y)
        assert swaps.objective(X, y) <= cd.objective(X, y) + 1e-10


def test_bad_input_and_max_iter():
    X, y = classification_data()
    with pytest.raises(ValueError, match="Only binary classification"):
        L0Classifier().fit(X, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="lambda1=0.1 is only used"):
        L0Classifier(lambda1=0.1).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        L0Classifier(1e-4, max_iter=1, algorithm="CD").fit(X, y)


@pytest.mark.parametrize("loss", ["logistic", "squared_hinge"])
def test_check_estimator(loss):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(L0Classifier(0.001, loss=loss))
