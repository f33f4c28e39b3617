"""scikit-learn estimators on greedy BCD: GreedyBCDRegressor, GreedyBCDClassifier, GraphLabelPropagation.

Each stores ``coef_`` (or ``transduction_``), ``n_iter_`` and ``history_`` (the objective after every
iteration, F(x^0) first), and warns with ``ConvergenceWarning`` when max_iter is reached before the optimality
violation (largest minimum-norm subgradient entry) falls below tol.
"""
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from sparseopt import design
from sparseopt.bcd.partitions import FIXED_PARTITIONS
from sparseopt.bcd.problems import MarginProblem
from sparseopt.bcd.rules import RULES
from sparseopt.bcd.solver import greedy_bcd
from sparseopt.bcd.updates import UPDATES
from sparseopt.validation import check_design, check_scalar_range, validate_fit_data, validate_predict_data

PARAMETERS = {
    "rule": [str], "block_size": [int], "partition": [str], "update": [str], "max_iter": [int], "tol": [float],
    "random_state": ["random_state"],
}


class _GreedyBCDBase(BaseEstimator):
    """Shared checks and the call to greedy_bcd."""

    def _check_options(self, allowed_updates=UPDATES):
        self._validate_params()
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}; got {self.rule!r}")
        if self.partition not in ("variable",) + FIXED_PARTITIONS:
            raise ValueError(f"partition must be 'variable' or one of {FIXED_PARTITIONS}; got {self.partition!r}")
        if self.update not in allowed_updates:
            raise ValueError(f"update must be one of {allowed_updates}; got {self.update!r}")
        check_scalar_range(self.block_size, "block_size", low=1)
        check_scalar_range(self.max_iter, "max_iter", low=1)
        check_scalar_range(self.tol, "tol", low=0.0)

    def _solve(self, problem, **options):
        result = greedy_bcd(problem, rule=self.rule, block_size=self.block_size, partition=self.partition,
                            update=self.update, max_iter=self.max_iter, tol=self.tol,
                            random_state=self.random_state, **options)
        if not result.converged:
            warnings.warn(f"{type(self).__name__} stopped after max_iter={self.max_iter} iterations with "
                          f"optimality violation {result.optimality:.3g} > tol={self.tol}", ConvergenceWarning)
        self.n_iter_ = result.n_iter
        self.history_ = np.asarray(result.history)
        return result

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class GreedyBCDRegressor(RegressorMixin, _GreedyBCDBase):
    """Least squares by greedy BCD, optionally L1-penalized and / or non-negative:

        min_w 1/2 ||y - X w - b||^2 + alpha ||w||_1   (w >= 0 when positive=True),

    the intercept b handled by centring. Parameters: alpha (>= 0), positive, rule (``rules.RULES``; a proximal
    rule such as "gs-q" when alpha > 0 or positive), block_size, partition ("variable", "sort", "order",
    "avg"), update ("gradient", "la", "matrix", "newton", "tmp"), fit_intercept, max_iter, tol, random_state.
    """

    _parameter_constraints = {**PARAMETERS, "alpha": [float, int], "positive": ["boolean"],
                              "fit_intercept": ["boolean"]}

    def __init__(self, alpha=0.0, *, positive=False, rule="gsd", block_size=5, partition="variable",
                 update="matrix", fit_intercept=True, max_iter=1000, tol=1e-6, random_state=None):
        self.alpha = alpha
        self.positive = positive
        self.rule = rule
        self.block_size = block_size
        self.partition = partition
        self.update = update
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on X (n, p), dense or sparse, and y (n,)."""
        self._check_options()
        check_scalar_range(self.alpha, "alpha", low=0.0)
        X, y, _ = validate_fit_data(self, X, y)
        X = X.astype(np.float64)
        y = y.astype(np.float64)
        x_offset = np.asarray(X.mean(axis=0)).ravel() if self.fit_intercept else np.zeros(X.shape[1])
        y_offset = y.mean() if self.fit_intercept else 0.0
        design_matrix = X - x_offset if not sp.issparse(X) else sp.csc_matrix(X - sp.csc_matrix(
            np.outer(np.ones(X.shape[0]), x_offset))) if self.fit_intercept else X
        result = self._solve(MarginProblem(design_matrix, y - y_offset), penalty=float(self.alpha),
                             nonnegative=self.positive)
        self.coef_ = result.x[:, 0].copy()
        self.intercept_ = float(y_offset - x_offset @ self.coef_)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return design.x_dot(X, self.coef_.astype(X.dtype)) + self.intercept_


class GreedyBCDClassifier(ClassifierMixin, _GreedyBCDBase):
    """Logistic regression (two classes) or softmax regression (more) by greedy BCD, without penalty:

        min_W sum_i loss(x_i^T W, y_i),   a block = features (all classes of a feature for softmax),

    plus C-free ridge-less fit; an intercept column is appended when fit_intercept. Parameters as in
    GreedyBCDRegressor (update "gradient", "la", "matrix" or "newton")."""

    _parameter_constraints = {**PARAMETERS, "fit_intercept": ["boolean"]}

    def __init__(self, *, rule="gsd", block_size=5, partition="variable", update="newton", fit_intercept=True,
                 max_iter=1000, tol=1e-6, random_state=None):
        self.rule = rule
        self.block_size = block_size
        self.partition = partition
        self.update = update
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on X (n, p), dense or sparse, and class labels y (n,)."""
        self._check_options(("gradient", "la", "matrix", "newton"))
        from sklearn.utils.validation import column_or_1d, validate_data

        X_checked = check_design(X)
        validate_data(self, X, reset=True, skip_check_array=True)
        if y is None:
            raise ValueError("y is None: this estimator requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        if y.shape[0] != X_checked.shape[0]:
            raise ValueError(f"y has {y.shape[0]} labels, X has {X_checked.shape[0]} samples")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("GreedyBCDClassifier needs at least 2 classes in y; got 1 class")
        augmented = self._augment(X_checked)
        if self.classes_.size == 2:
            problem = MarginProblem(augmented, np.where(encoded == 1, 1.0, -1.0), "logistic")
        else:
            problem = MarginProblem(augmented, encoded, "softmax", n_classes=self.classes_.size)
        result = self._solve(problem)
        weights = result.x
        self.coef_ = weights[:X_checked.shape[1]].T.copy()
        self.intercept_ = weights[X_checked.shape[1]].copy() if self.fit_intercept else np.zeros(weights.shape[1])
        return self

    def _augment(self, X):
        if not self.fit_intercept:
            return X
        ones = np.ones((X.shape[0], 1))
        return sp.hstack([X, ones], format="csc") if sp.issparse(X) else np.hstack([X, ones])

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        scores = np.column_stack([design.x_dot(X, row.astype(X.dtype)) for row in self.coef_]) + self.intercept_
        return scores[:, 0] if self.classes_.size == 2 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        if self.classes_.size == 2:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        scores = self.decision_function(X)
        if self.classes_.size == 2:
            positive = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1 - positive, positive])
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)
