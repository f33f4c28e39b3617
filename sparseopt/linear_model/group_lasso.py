"""GroupLasso and MultiTaskLasso: least squares with a group-L2 penalty,

    GroupLasso:      min_{w, b} 1/(2 sum s) sum_i s_i (y_i - x_i^T w - b)^2 + alpha sum_g c_g ||w_g||_2,
    MultiTaskLasso:  min_{W, b} 1/(2n) ||Y - X W^T - 1 b^T||_F^2 + alpha sum_j ||W_:j||_2,

(Yuan & Lin 2006; Obozinski, Taskar & Jordan 2010), both solved by the working-set block coordinate descent of
``sparseopt.solvers.group_working_set``. Dense X is centred for the intercept; CSC X is centred implicitly.
"""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from sparseopt import design
from sparseopt.base import LinearModelBase
from sparseopt.linear_model.lasso import _PenalizedLeastSquares
from sparseopt.solvers.group_working_set import Groups, group_lipschitz, solve_group_least_squares
from sparseopt.solvers.working_set import prepare_least_squares
from sparseopt.validation import (check_design, check_feature_weights, check_groups, check_sample_weight,
                                  check_target_matrix, validate_fit_data, validate_predict_data)

_COMMON_CONSTRAINTS = {key: value for key, value in _PenalizedLeastSquares._parameter_constraints.items()
                       if key != "positive"}


def _fit_groups(estimator, X, Y, sample_weight, group_indices, group_ptr, group_l1, warm_coef):
    """Centre, solve, and return (coef (p,) or (p, T), intercept, result) for the group-penalized fit."""
    centered, Y_c, X_offset, y_offset = prepare_least_squares(X, Y, sample_weight, estimator.fit_intercept)
    groups = Groups(group_indices, group_ptr, group_lipschitz(centered, group_indices, group_ptr))
    result = solve_group_least_squares(centered, Y_c, groups, group_l1, coef_init=warm_coef,
                                       max_iter=estimator.max_iter, tol=estimator.tol, verbose=estimator.verbose)
    intercept = y_offset - X_offset @ result.coef if estimator.fit_intercept else 0.0 * (X_offset @ result.coef)
    return result.coef, intercept, result


class GroupLasso(RegressorMixin, LinearModelBase):
    """Group Lasso: 1/(2n) ||y - Xw - b||^2 + alpha sum_g c_g ||w_g||_2.

    Parameters
    ----------
    alpha : float >= 0, default 1.0.
    groups : list of group sizes (consecutive features) or list of index lists covering every feature once;
        default None, one group per feature (then the penalty is the Lasso's).
    group_weights : array (n_groups,) of non-negative c_g, default sqrt(group size); c_g = 0 leaves a group
        unpenalized.
    fit_intercept, max_iter (outer iterations), tol (duality gap at most tol ||y||^2 / n), warm_start, verbose:
        as ``Lasso``.

    Attributes
    ----------
    coef_, intercept_, n_iter_, dual_gap_, n_features_in_.
    """

    _parameter_constraints = {**_COMMON_CONSTRAINTS, "groups": [list, tuple, np.ndarray, None],
                              "group_weights": ["array-like", None]}

    def __init__(self, alpha=1.0, *, groups=None, group_weights=None, fit_intercept=True, max_iter=100, tol=1e-4,
                 warm_start=False, verbose=False):
        self.alpha = alpha
        self.groups = groups
        self.group_weights = group_weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or sparse, y (n,), optional non-negative sample_weight (n,)."""
        self._validate_params()
        X, y, sample_weight = validate_fit_data(self, X, y, sample_weight)
        n_features = X.shape[1]
        groups = [1] * n_features if self.groups is None else self.groups
        group_indices, group_ptr = check_groups(groups, n_features)
        sizes = np.diff(group_ptr)
        weights = (np.sqrt(sizes) if self.group_weights is None
                   else check_feature_weights(self.group_weights, sizes.size, "group_weights"))
        warm = self.warm_start and getattr(self, "coef_", np.zeros(0)).shape == (n_features,)
        coef, intercept, result = _fit_groups(self, X, y, sample_weight, group_indices, group_ptr,
                                              self.alpha * weights, self.coef_ if warm else None)
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = float(intercept)
        self.n_iter_, self.dual_gap_ = result.n_iter, result.stop_crit
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)


class MultiTaskLasso(RegressorMixin, LinearModelBase):
    """Multi-task Lasso: 1/(2n) ||Y - X W^T - 1 b^T||_F^2 + alpha sum_j ||W_:j||_2 (scikit-learn's scaling; a
    feature is selected for all tasks or for none).

    Parameters
    ----------
    alpha : float >= 0, default 1.0.
    fit_intercept, max_iter (outer iterations), tol (duality gap at most tol ||Y||_F^2 / n), warm_start, verbose:
        as ``Lasso``.

    Attributes
    ----------
    coef_ : array (n_tasks, n_features) (scikit-learn's layout); intercept_ : array (n_tasks,);
    n_iter_, dual_gap_, n_features_in_.
    """

    _parameter_constraints = dict(_COMMON_CONSTRAINTS)

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=100, tol=1e-4, warm_start=False, verbose=False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def fit(self, X, y):
        """Fit on X (n, p) dense or sparse and y (n, T)."""
        self._validate_params()
        X_checked = check_design(X)
        validate_data(self, X, reset=True, skip_check_array=True)
        X = X_checked
        Y = check_target_matrix(y, X.shape[0])
        n_features, n_tasks = X.shape[1], Y.shape[1]
        indices = np.arange(n_features, dtype=np.int64)
        warm = self.warm_start and getattr(self, "coef_", np.zeros(0)).shape == (n_tasks, n_features)
        coef, intercept, result = _fit_groups(self, X, Y, check_sample_weight(None, X.shape[0]), indices,
                                              np.arange(n_features + 1, dtype=np.int64),
                                              np.full(n_features, float(self.alpha)),
                                              self.coef_.T if warm else None)
        self.coef_ = np.ascontiguousarray(coef.T).astype(X.dtype)
        self.intercept_ = np.asarray(intercept, dtype=float)
        self.n_iter_, self.dual_gap_ = result.n_iter, result.stop_crit
        return self

    def predict(self, X):
        """Predicted targets X @ coef_.T + intercept_, shape (n, n_tasks)."""
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return np.column_stack([design.x_dot(X, w.astype(X.dtype)) for w in self.coef_]) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags
