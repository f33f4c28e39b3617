"""L0RegressionCV: K-fold cross-validation of L0Regression over its (lambda2 or lambda1, lambda0) grid.

The grid is the warm-started path on all the data (``sparseopt.l0.path.l0_path``); each (fold, gamma) path is
refitted on the training part with the same lambda0 sequence, in parallel with joblib, and scored by the mean
squared error on the held-out part. The chosen point minimises the mean error over the folds; its coefficients
are those of the full-data path.
"""
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.base import LinearModelBase
from sparseopt.l0 import solver
from sparseopt.l0.path import l0_path
from sparseopt.l0.regression import _COMMON
from sparseopt.validation import validate_fit_data


def _fold_errors(X, y, train, test, penalty, gamma, lambda0s, options):
    """Held-out mean squared errors along one gamma's lambda0 path fitted on the training rows."""
    path = l0_path(X[train], y[train], penalty=penalty, gammas=[gamma], lambda0s=[lambda0s], **options)
    predictions = X[test] @ path.coefs[0] + path.intercepts[0]
    return ((predictions - y[test][:, None]) ** 2).mean(axis=0)


class L0RegressionCV(RegressorMixin, LinearModelBase):
    """L0Regression with (gamma, lambda0) chosen by K-fold cross-validation (gamma = lambda2 for L0L2, lambda1
    for L0L1).

    Parameters
    ----------
    penalty : {"L0", "L0L1", "L0L2"}, default "L0L2". gammas : array or None (default grid of ``l0_path``);
    n_gamma : int, default 5. n_lambda0 : int, default 100. max_support_size : int or None.
    algorithm : {"CD", "CDPSI"}, default "CDPSI". cv : int or splitter, default 5. n_jobs : int or None.
    fit_intercept, max_iter, tol, max_swaps : as L0Regression.

    Attributes
    ----------
    path_ (the full-data ``L0Path``), cv_errors_ (list per gamma of arrays (n_folds, n_lambda0_g)), gamma_,
    lambda0_, coef_, intercept_, n_features_in_.
    """

    _parameter_constraints = {
        **{key: value for key, value in _COMMON.items() if key not in ("max_swap_size", "warm_start")},
        "penalty": [StrOptions(set(solver.PENALTY_KINDS))],
        "gammas": ["array-like", None],
        "n_gamma": [Interval(Integral, 1, None, closed="left")],
        "n_lambda0": [Interval(Integral, 1, None, closed="left")],
        "max_support_size": [Interval(Integral, 0, None, closed="left"), None],
        "algorithm": [StrOptions(set(solver.ALGORITHMS))],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, *, penalty="L0L2", gammas=None, n_gamma=5, n_lambda0=100, max_support_size=None,
                 algorithm="CDPSI", cv=5, n_jobs=None, fit_intercept=True, max_iter=100, tol=1e-7, max_swaps=100):
        self.penalty = penalty
        self.gammas = gammas
        self.n_gamma = n_gamma
        self.n_lambda0 = n_lambda0
        self.max_support_size = max_support_size
        self.algorithm = algorithm
        self.cv = cv
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.max_swaps = max_swaps

    def fit(self, X, y):
        """Fit on X (n, p) dense or CSC and y (n,)."""
        self._validate_params()
        X, y, _ = validate_fit_data(self, X, y)
        options = dict(max_support_size=self.max_support_size, algorithm=self.algorithm,
                       fit_intercept=self.fit_intercept, max_iter=self.max_iter, tol=self.tol,
                       max_swaps=self.max_swaps)
        self.path_ = l0_path(X, y, penalty=self.penalty, gammas=self.gammas, n_gamma=self.n_gamma,
                             n_lambda0=self.n_lambda0, **options)
        folds = list(check_cv(self.cv).split(X, y))
        jobs = [(g, train, test) for g in range(len(self.path_.gammas)) for train, test in folds]
        errors = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_errors)(X, y, train, test, self.penalty, self.path_.gammas[g], self.path_.lambda0s[g],
                                  options) for g, train, test in jobs)
        self.cv_errors_ = [np.array(errors[g * len(folds):(g + 1) * len(folds)]) for g in range(len(self.path_.gammas))]
        means = [fold_errors.mean(axis=0) for fold_errors in self.cv_errors_]
        best_gamma = int(np.argmin([m.min() for m in means]))
        best_lambda0 = int(np.argmin(means[best_gamma]))
        self.gamma_ = float(self.path_.gammas[best_gamma])
        self.lambda0_ = float(self.path_.lambda0s[best_gamma][best_lambda0])
        self.coef_ = self.path_.coefs[best_gamma][:, best_lambda0].astype(X.dtype)
        self.intercept_ = float(self.path_.intercepts[best_gamma][best_lambda0])
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)
