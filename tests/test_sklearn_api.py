"""Every Lasso-family estimator in a scikit-learn Pipeline under GridSearchCV, and check_estimator on the
CV estimators (the others run it in their own test modules)."""
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from sparseopt import linear_model as lm

REGRESSORS = [
    (lm.Lasso(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.ElasticNet(), {"alpha": [0.01, 0.1, 100.0], "l1_ratio": [0.5, 1.0]}),
    (lm.WeightedLasso(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.AdaptiveLasso(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.GroupLasso(groups=[2] * 10), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.MCPRegression(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.SCADRegression(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.SqrtLasso(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.ConcomitantLasso(), {"alpha": [0.01, 0.1, 100.0]}),
    (lm.LassoCV(alphas=10, cv=3), {"eps": [1e-2, 1e-3]}),
    (lm.ElasticNetCV(alphas=10, cv=3), {"l1_ratio": [0.5, 0.9]}),
]


@pytest.mark.parametrize("estimator, grid", REGRESSORS, ids=[type(e).__name__ for e, _ in REGRESSORS])
def test_regressor_in_a_pipeline_with_grid_search(estimator, grid):
    X, y = make_regression(n_samples=90, n_features=20, n_informative=5, noise=1.0, random_state=0)
    name = type(estimator).__name__.lower()
    search = GridSearchCV(make_pipeline(StandardScaler(), estimator), {f"{name}__{key}": values
                                                                      for key, values in grid.items()}, cv=3)
    search.fit(X, y)
    if "alpha" in grid:
        assert search.best_params_[f"{name}__alpha"] < 100.0  # alpha = 100 gives the null model
    assert search.score(X, y) > 0.95


def test_classifier_in_a_pipeline_with_grid_search():
    X, y = make_classification(n_samples=120, n_features=20, n_informative=5, random_state=0)
    search = GridSearchCV(make_pipeline(StandardScaler(), lm.SparseLogisticRegression()),
                          {"sparselogisticregression__alpha": [0.001, 0.01, 10.0]}, cv=3).fit(X, y)
    assert search.best_params_["sparselogisticregression__alpha"] < 10.0
    assert search.score(X, y) > 0.8
    assert search.predict_proba(X).shape == (120, 2)


@pytest.mark.parametrize("estimator", [lm.LassoCV(alphas=5, cv=2), lm.ElasticNetCV(alphas=5, cv=2)],
                         ids=["LassoCV", "ElasticNetCV"])
def test_check_estimator_on_cv_estimators(estimator):
    """Every check passes but the sample-weight equivalence ones: a weight of 2 and a repeated row are not split
    into the same folds, so the two fits cross-validate on different data (scikit-learn expects the same
    failure of its own LassoCV and ElasticNetCV)."""
    reason = "folds differ between weighted and repeated rows"
    failed = check_estimator(estimator, on_fail=None, expected_failed_checks={
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason})
    assert [row["check_name"] for row in failed if row["status"] == "failed"] == []
