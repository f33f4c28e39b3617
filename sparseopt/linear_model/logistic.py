"""SparseLogisticRegression: binary logistic regression with an l1 penalty,

    min_{w, b} 1/n sum_i log(1 + exp(-y_i (x_i^T w + b))) + alpha ||w||_1,   y_i in {-1, 1},

solved by proximal Newton (``sparseopt.solvers.prox_newton``) on the Lasso family's working-set solver.
"""
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from sparseopt.base import LinearModelBase
from sparseopt.solvers.prox_newton import solve_sparse_logistic
from sparseopt.validation import validate_fit_data


def binary_targets(estimator, X, y):
    """Validated X, and y as t in {0, 1} with estimator.classes_ set (classes_[1] is the positive class)."""
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    estimator.classes_, targets = np.unique(y, return_inverse=True)
    if estimator.classes_.size != 2:
        raise ValueError(f"Only binary classification is supported: y must have exactly two classes; got "
                         f"{estimator.classes_.size} class(es). For more classes, wrap the estimator in "
                         "sklearn.multiclass.OneVsRestClassifier")
    X, targets, _ = validate_fit_data(estimator, X, targets.astype(float))
    return X, targets


class BinaryLinearClassifier(ClassifierMixin, LinearModelBase):
    """Prediction for the binary linear classifiers: margins, probabilities by the logistic link, labels."""

    def decision_function(self, X):
        """Margins X @ coef_ + intercept_ (positive: classes_[1])."""
        return self._decision_function(X)

    def predict_proba(self, X):
        """Probabilities of classes_[0] and classes_[1], shape (n, 2)."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X):
        """The more probable class of each sample."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


class SparseLogisticRegression(BinaryLinearClassifier):
    """l1-penalized binary logistic regression (mean loss, scikit-learn's ``C = 1 / (alpha n)``).

    Parameters
    ----------
    alpha : float >= 0, default 1.0.
    fit_intercept : bool, default True (the intercept is not penalized).
    max_iter : int, default 50, proximal Newton steps at most.
    tol : float, default 1e-6, bound on the optimality violation relative to alpha_max.

    Attributes
    ----------
    classes_ (the two labels; classes_[1] is the positive one), coef_, intercept_, n_iter_, kkt_violation_,
    n_features_in_.
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=50, tol=1e-6):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y):
        """Fit on X (n, p) dense or sparse and y (n,) with two classes."""
        self._validate_params()
        X, targets = binary_targets(self, X, y)
        result, intercept = solve_sparse_logistic(X, targets, self.alpha, fit_intercept=self.fit_intercept,
                                                  max_iter=self.max_iter, tol=self.tol)
        self.coef_ = result.coef.astype(X.dtype)
        self.intercept_ = float(intercept)
        self.n_iter_ = result.n_iter
        self.kkt_violation_ = result.stop_crit
        return self
