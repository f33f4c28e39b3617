"""SparseLogisticRegressionCV: alpha of the l1-penalized logistic regression chosen by cross-validation.

The grid is geometric from alpha_max = ||X^T (t - mean t)||_inf / n (all data) down to eps * alpha_max. Each fold
(stratified by default) fits a warm-started path on its training part and records the mean log-loss of every
path point on its held-out part; folds run in parallel with joblib. alpha_ minimises the log-loss averaged over
folds, and the model is refitted on all the data.
"""
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval

from sparseopt import design
from sparseopt.linear_model.logistic import BinaryLinearClassifier, binary_targets
from sparseopt.solvers.prox_newton import logistic_alpha_max, solve_sparse_logistic
from sparseopt.validation import check_design


def _fold_log_loss(X, targets, train, test, alphas, fit_intercept, tol, max_iter):
    """Mean held-out log-loss of every point of a warm-started path fitted on the training rows."""
    X_train, X_test = check_design(X[train]), check_design(X[test])
    signs = 2.0 * targets[test] - 1.0
    coef, intercept, losses = None, None, []
    for alpha in alphas:
        result, intercept = solve_sparse_logistic(X_train, targets[train], alpha, fit_intercept=fit_intercept,
                                                  max_iter=max_iter, tol=tol, coef_init=coef,
                                                  intercept_init=intercept)
        coef = result.coef
        losses.append(np.mean(np.logaddexp(0.0, -signs * (design.x_dot(X_test, coef) + intercept))))
    return losses


class SparseLogisticRegressionCV(BinaryLinearClassifier):
    """l1-penalized logistic regression with alpha chosen by cross-validated log-loss.

    Parameters
    ----------
    alphas : int (grid size, default 30) or array of alphas. eps : float, default 1e-2, alpha_min / alpha_max.
    cv : int, splitter or iterable (stratified K-fold for an int, default 5). n_jobs : joblib workers over folds.
    fit_intercept, max_iter, tol : as ``SparseLogisticRegression``. verbose : joblib verbosity.

    Attributes
    ----------
    classes_, alpha_, alphas_, log_loss_path_ (n_alphas, n_folds), coef_, intercept_, n_iter_, kkt_violation_.
    """

    _parameter_constraints = {
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, *, alphas=30, eps=1e-2, cv=None, n_jobs=None, fit_intercept=True, max_iter=50, tol=1e-6,
                 verbose=False):
        self.alphas = alphas
        self.eps = eps
        self.cv = cv
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def fit(self, X, y):
        """Cross-validate on X (n, p) dense or sparse and y (n,) with two classes, then refit at alpha_."""
        self._validate_params()
        X, targets = binary_targets(self, X, y)
        if np.ndim(self.alphas) == 0:
            alphas = logistic_alpha_max(X, targets) * np.geomspace(1.0, self.eps, self.alphas)
        else:
            alphas = np.sort(np.asarray(self.alphas, dtype=float))[::-1]
        folds = check_cv(self.cv, targets, classifier=True).split(X, targets)
        losses = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fold_log_loss)(X, targets, train, test, alphas, self.fit_intercept, self.tol, self.max_iter)
            for train, test in folds)
        self.log_loss_path_ = np.array(losses).T
        self.alphas_ = alphas
        self.alpha_ = alphas[np.argmin(self.log_loss_path_.mean(axis=1))]
        result, intercept = solve_sparse_logistic(X, targets, self.alpha_, fit_intercept=self.fit_intercept,
                                                  max_iter=self.max_iter, tol=self.tol)
        self.coef_ = result.coef.astype(X.dtype)
        self.intercept_ = float(intercept)
        self.n_iter_, self.kkt_violation_ = result.n_iter, result.stop_crit
        return self
