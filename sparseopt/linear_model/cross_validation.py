"""LassoCV and ElasticNetCV: choose alpha (and l1_ratio) by K-fold cross-validation along warm-started paths.

The alpha grid comes from the whole data (alpha_max of the centred problem, geometric down to eps alpha_max).
Each (fold, l1_ratio) pair fits a path on the training part (centred on it when fit_intercept) and records the
mean squared error of every path point on the held-out part; the pairs run in parallel with joblib, so
``joblib.parallel_config(backend=...)`` sends them to a Dask or Ray cluster. The chosen (l1_ratio, alpha)
minimises the error averaged over folds, and the model is refitted on all the data.
"""
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval

from sparseopt import design
from sparseopt.base import LinearModelBase
from sparseopt.linear_model.path import alpha_grid, fit_path
from sparseopt.solvers.working_set import prepare_least_squares
from sparseopt.validation import check_design, validate_fit_data


def _fold_errors(X, y, sample_weight, train, test, alphas, l1_ratio, fit_intercept, positive, tol, max_iter):
    """Held-out mean squared error (weighted by sample_weight) of every point of a path fitted on the training
    rows (with their weights)."""
    _, coefs, intercepts, _, _ = fit_path(check_design(X[train]), y[train], alphas, l1_ratio=l1_ratio,
                                          fit_intercept=fit_intercept, sample_weight=sample_weight[train],
                                          positive=positive, tol=tol, max_iter=max_iter)
    X_test = check_design(X[test])
    predictions = np.column_stack([design.x_dot(X_test, coefs[:, k]) for k in range(alphas.size)]) + intercepts
    return np.average((y[test][:, None] - predictions) ** 2, axis=0, weights=sample_weight[test])


class _ElasticNetCVModel(RegressorMixin, LinearModelBase):
    """Shared fit of LassoCV and ElasticNetCV; ``_l1_ratios()`` lists the l1_ratio values tried."""

    _parameter_constraints = {
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "positive": ["boolean"],
        "verbose": ["verbose"],
    }

    def fit(self, X, y, sample_weight=None):
        """Cross-validate on X (n, p) dense or sparse, y (n,) and optional non-negative sample_weight (n,) (used
        in the fits and in the held-out errors), then refit with the best parameters."""
        self._validate_params()
        X, y, sample_weight = validate_fit_data(self, X, y, sample_weight)
        l1_ratios = self._l1_ratios()
        if np.ndim(self.alphas) == 0:
            centered, y_c, _, _ = prepare_least_squares(X, y, sample_weight, self.fit_intercept)
            grids = [alpha_grid(centered, y_c, max(ratio, 1e-3), self.eps, self.alphas) for ratio in l1_ratios]
        else:
            grids = [np.sort(np.asarray(self.alphas, dtype=float))[::-1]] * len(l1_ratios)
        folds = list(check_cv(self.cv).split(X, y))
        jobs = [(r, f) for r in range(len(l1_ratios)) for f in range(len(folds))]
        errors = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fold_errors)(X, y, sample_weight, folds[f][0], folds[f][1], grids[r], l1_ratios[r],
                                  self.fit_intercept, self.positive, self.tol, self.max_iter) for r, f in jobs)
        mse_path = np.array(errors).reshape(len(l1_ratios), len(folds), -1).transpose(0, 2, 1)
        best_ratio, best_alpha = np.unravel_index(np.argmin(mse_path.mean(axis=2)), mse_path.shape[:2])
        self.l1_ratio_ = l1_ratios[best_ratio]
        self.alpha_ = grids[best_ratio][best_alpha]
        self.alphas_ = np.array(grids) if len(l1_ratios) > 1 else grids[0]
        self.mse_path_ = mse_path if len(l1_ratios) > 1 else mse_path[0]
        _, coefs, intercepts, dual_gaps, n_iters = fit_path(
            X, y, np.array([self.alpha_]), l1_ratio=self.l1_ratio_, fit_intercept=self.fit_intercept,
            sample_weight=sample_weight, positive=self.positive, tol=self.tol, max_iter=self.max_iter)
        self.coef_ = coefs[:, 0].astype(X.dtype)
        self.intercept_ = float(intercepts[0])
        self.dual_gap_, self.n_iter_ = dual_gaps[0], int(n_iters[0])
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)


class LassoCV(_ElasticNetCVModel):
    """Lasso with alpha chosen by cross-validation.

    Parameters
    ----------
    eps : float, default 1e-3, alpha_min / alpha_max of the grid.
    alphas : int (grid size, default 100) or array of alphas.
    fit_intercept, max_iter, tol, positive : as ``Lasso``.
    cv : int, splitter or iterable (scikit-learn's ``check_cv``), default 5-fold.
    n_jobs : int, joblib workers over folds. verbose : joblib verbosity.

    Attributes
    ----------
    alpha_, alphas_, mse_path_ (n_alphas, n_folds), coef_, intercept_, dual_gap_, n_iter_.
    """

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, max_iter=100, tol=1e-4, cv=None, n_jobs=None,
                 positive=False, verbose=False):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.positive = positive
        self.verbose = verbose

    def _l1_ratios(self):
        return [1.0]


class ElasticNetCV(_ElasticNetCVModel):
    """Elastic net with alpha and l1_ratio chosen by cross-validation.

    Parameters as ``LassoCV``, plus l1_ratio: a float in (0, 1] or a list of them (default 0.5).
    Attributes as ``LassoCV``, plus l1_ratio_; with several l1_ratio values, alphas_ is (n_l1_ratio, n_alphas)
    and mse_path_ (n_l1_ratio, n_alphas, n_folds).
    """

    _parameter_constraints = {**_ElasticNetCVModel._parameter_constraints,
                              "l1_ratio": [Interval(Real, 0, 1, closed="right"), "array-like"]}

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True, max_iter=100, tol=1e-4, cv=None,
                 n_jobs=None, positive=False, verbose=False):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.positive = positive
        self.verbose = verbose

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=float))
        if np.any((ratios <= 0) | (ratios > 1)):
            raise ValueError("l1_ratio values must lie in (0, 1]")
        return list(ratios)
