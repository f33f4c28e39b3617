"""SparseLogisticRegression: binary logistic regression with an l1 penalty,

    min_{w, b} 1/n sum_i log(1 + exp(-y_i (x_i^T w + b))) + alpha ||w||_1,   y_i in {-1, 1},

by proximal Newton (the iteratively reweighted Lasso of glmnet, Friedman, Hastie & Tibshirani 2010; Lee, Sun &
Saunders 2014). At (w, b) with margins z = Xw + b, p_i = sigmoid(z_i) and labels t_i in {0, 1}, the quadratic
model of the loss is the weighted least squares 1/(2n) sum_i h_i (u_i - x_i^T w - b)^2 with weights
h_i = p_i (1 - p_i) and working response u_i = z_i - (p_i - t_i) / h_i. Its Lasso is solved by the working-set
coordinate descent of the Lasso family (as a weighted Lasso with alpha n / sum h), the step to it is damped by
backtracking until the objective decreases enough (Armijo, with the l1 term's change), and the loop stops when
the optimality violation is at most tol * ||X^T (t - mean t)||_inf / n (tol times alpha_max).
"""
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from sparseopt import design
from sparseopt.base import LinearModelBase
from sparseopt.datafits import Logistic
from sparseopt.penalties import L1
from sparseopt.solvers.working_set import prepare_least_squares, solve_penalized_least_squares
from sparseopt.validation import validate_fit_data

ARMIJO = 1e-4  # fraction of the predicted decrease that a damped step must achieve
MIN_CURVATURE = 1e-10  # floor on p (1 - p), which vanishes where the fit is certain


class SparseLogisticRegression(ClassifierMixin, LinearModelBase):
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
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, targets = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError(f"Only binary classification is supported: y must have exactly two classes; got "
                             f"{self.classes_.size} class(es). For more classes, wrap the estimator in "
                             "sklearn.multiclass.OneVsRestClassifier")
        X, targets, _ = validate_fit_data(self, X, targets.astype(float))
        n_samples, n_features = X.shape
        signs = 2.0 * targets - 1.0
        datafit, penalty = Logistic(), L1(self.alpha)

        def objective(coef, intercept):
            return datafit.value(signs, design.x_dot(X, coef) + intercept) + penalty.value(coef)

        coef, intercept = np.zeros(n_features), 0.0
        if self.fit_intercept:  # the best intercept at w = 0: the log-odds of the positive class
            share = np.clip(targets.mean(), 1e-12, 1 - 1e-12)
            intercept = float(np.log(share / (1 - share)))
        scale = max(np.max(np.abs(design.xt_dot(X, targets - targets.mean()))) / n_samples, np.finfo(float).tiny)
        violation = np.inf
        for n_iter in range(1, self.max_iter + 1):
            margins = design.x_dot(X, coef) + intercept
            probabilities = expit(margins)
            gradient = design.xt_dot(X, probabilities - targets) / n_samples
            violation = max(np.max(penalty.subdiff_distance(coef, gradient)),
                            abs(np.mean(probabilities - targets)) if self.fit_intercept else 0.0)
            if violation <= self.tol * scale:
                break
            curvature = np.maximum(probabilities * (1 - probabilities), MIN_CURVATURE)
            response = margins - (probabilities - targets) / curvature
            # the model's Lasso is solved more accurately as the outer violation shrinks (its gap ~ violation^2)
            inner_tol = max(min(1e-4, 1e-2 * (violation / scale) ** 2), 1e-15)
            new_coef, new_intercept = self._newton_target(X, response, curvature, coef, inner_tol)
            coef, intercept = self._damped_step(objective, coef, intercept, new_coef, new_intercept, gradient,
                                                np.mean(probabilities - targets))
        else:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(f"SparseLogisticRegression stopped at max_iter={self.max_iter} Newton steps with "
                          f"optimality violation {violation:.2e} > {self.tol * scale:.2e}", ConvergenceWarning,
                          stacklevel=2)
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = float(intercept)
        self.n_iter_ = n_iter
        self.kkt_violation_ = violation
        return self

    def _newton_target(self, X, response, curvature, coef, inner_tol):
        """Minimiser of the quadratic model: the weighted Lasso of the working response, warm-started at coef."""
        centered, response_c, X_offset, response_offset = prepare_least_squares(
            X, response, curvature, self.fit_intercept)
        n_samples, n_features = X.shape
        weighted_alpha = self.alpha * n_samples / curvature.sum()
        with warnings.catch_warnings():  # an inexact Newton direction is fine: the outer loop decides
            warnings.simplefilter("ignore")
            result = solve_penalized_least_squares(centered, response_c, np.full(n_features, weighted_alpha),
                                                   np.zeros(n_features), coef_init=coef, tol=inner_tol)
        intercept = float(response_offset - X_offset @ result.coef) if self.fit_intercept else 0.0
        return result.coef, intercept

    def _damped_step(self, objective, coef, intercept, new_coef, new_intercept, gradient, intercept_gradient):
        """Backtrack t = 1, 1/2, ... until F(x + t d) <= F(x) + ARMIJO t delta, with
        delta = grad^T d + alpha (||w + d||_1 - ||w||_1) < 0 the decrease the model predicts; when that is
        below the rounding of F, the full step is taken (near the optimum the Newton step is the right one)."""
        direction, intercept_direction = new_coef - coef, new_intercept - intercept
        delta = (gradient @ direction + intercept_gradient * intercept_direction
                 + self.alpha * (np.abs(new_coef).sum() - np.abs(coef).sum()))
        current = objective(coef, intercept)
        if -delta <= 10 * np.finfo(float).eps * abs(current):
            return new_coef, new_intercept  # a decrease below rounding cannot be checked: take the Newton step
        step = 1.0
        for _ in range(30):
            trial_coef, trial_intercept = coef + step * direction, intercept + step * intercept_direction
            if objective(trial_coef, trial_intercept) <= current + ARMIJO * step * min(delta, 0.0):
                return trial_coef, trial_intercept
            step /= 2
        return coef, intercept

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
