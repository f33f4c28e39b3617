"""Choosing the support size along a best-subset (or L0) path: information criteria and cross-validation.

For the least-squares fit with s non-zeros and residual sum of squares RSS_s on n rows of p features:

    EBIC(s) = n log(RSS_s / n) + s (log n + 2 log p)
    GIC(s)  = n log(RSS_s / n) + s log(p) log(log n)

EBIC is the extended BIC of Chen & Chen (2008, Biometrika 95(3):759-771), n log(RSS/n) + s log n + 2 g log C(p, s),
with g = 1 and the number of supports of size s, C(p, s), bounded by p^s; it is the criterion abess uses by default
to pick the support size of its linear regression (``ic_type="ebic"``, ``ic_coef=1``: ``abess.linear``'s
docstring, formula in abess's ``src/Metric.h``, ``Metric::ic``). GIC is the generalized information criterion of
Fan & Tang (2013, JRSS-B 75(3):531-552) for p growing with n (abess's "gic", the SIC of Zhu et al. 2020).

EBIC selects consistently as n grows (Chen & Chen 2008), but with few rows per true feature it under-selects: its
price of log n + 2 log p per feature outweighs a weak feature's fall in n log RSS. Held-out error guards against
that. With e_ik the squared error of path point k on held-out row i (m rows), E_k = mean_i e_ik and k0 = argmin_k
E_k, the one-standard-error set

    A = {k : E_k - E_k0 <= SE_k},   SE_k = sd_i(e_ik - e_ik0) / sqrt(m),

holds the path points whose held-out error the data cannot tell from the best one's: the one-standard-error rule
(Breiman, Friedman, Olshen & Stone 1984, *Classification and Regression Trees*, p. 80; Hastie, Tibshirani &
Friedman, *The Elements of Statistical Learning*, 2nd ed., section 7.10) with SE_k the standard error of the
quantity it thresholds, the difference E_k - E_k0 of two means over the same rows (a paired comparison, as in
Dietterich 1998, Neural Computation 10(7):1895-1923). The textbook form uses sd_i(e_ik0) / sqrt(m) for every k; the
errors of neighbouring path points are strongly correlated, so that bound is much wider than the uncertainty of the
differences and cannot rule out a spurious feature. The one-standard-error rule takes the smallest support in A; it
screens out noise features but loses prediction accuracy (Chen & Yang 2021, *Stats* 4(4):868-892). The rule
"ebic_1se" takes instead the support of smallest EBIC in A: EBIC keeps out spurious features, and A rules out the
supports that the held-out rows show to predict worse than the best one (by more than one standard error of the
difference).
"""
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.base import LinearModelBase
from sparseopt.l0.path import subset_path
from sparseopt.validation import validate_fit_data

CRITERIA = ("ebic", "gic", "cv", "ebic_1se")


def information_criterion(rss, support_sizes, n_samples, n_features, criterion="ebic"):
    """EBIC or GIC (module docstring) of fits with residual sums of squares ``rss`` and the given support sizes:
    n log(RSS_s / n) + s (log n + 2 log p) for "ebic", n log(RSS_s / n) + s log(p) log(log n) for "gic".
    A zero RSS counts as the smallest positive float (an exact fit)."""
    if criterion not in ("ebic", "gic"):
        raise ValueError(f"criterion must be 'ebic' or 'gic'; got {criterion!r}")
    if n_samples < 3:
        raise ValueError(f"an information criterion needs at least 3 samples; got n_samples = {n_samples}")
    rss = np.asarray(rss, dtype=float)
    sizes = np.asarray(support_sizes, dtype=float)
    fit_term = n_samples * np.log(np.maximum(rss / n_samples, np.finfo(float).tiny))
    if criterion == "ebic":
        price = np.log(n_samples) + 2.0 * np.log(n_features)
    else:
        price = np.log(n_features) * np.log(np.log(n_samples))
    return fit_term + sizes * price


def residual_sums(X, y, coefs, intercepts):
    """||y - X w_k - b_k||^2 for every column w_k of coefs (p, K) and b_k of intercepts (K,)."""
    return ((np.asarray(X @ coefs) + intercepts - y[:, None]) ** 2).sum(axis=0)


def squared_errors(X, y, coefs, intercepts):
    """(y_i - x_i^T w_k - b_k)^2 for every row i and every column w_k of coefs (p, K): an array (n, K)."""
    return (np.asarray(X @ coefs) + intercepts - y[:, None]) ** 2


def one_standard_error_set(heldout_squared_errors):
    """The one-standard-error set (module docstring) of path points from their squared errors e_ik on m held-out
    rows (an array (m, K)): the mask E_k - E_k0 <= SE_k, with E_k = mean_i e_ik, k0 = argmin_k E_k and
    SE_k = sd_i(e_ik - e_ik0) / sqrt(m) (sample standard deviation, ddof = 1; SE_k0 = 0)."""
    errors = np.asarray(heldout_squared_errors, dtype=float)
    if errors.ndim != 2 or errors.shape[0] < 2 or errors.shape[1] < 1:
        raise ValueError(f"need squared errors of shape (m >= 2 rows, K >= 1 points); got {errors.shape}")
    means = errors.mean(axis=0)
    best = int(np.argmin(means))
    differences = errors - errors[:, [best]]
    standard_errors = differences.std(axis=0, ddof=1) / np.sqrt(errors.shape[0])
    return differences.mean(axis=0) <= standard_errors


def ebic_within_one_standard_error(criterion_values, heldout_squared_errors):
    """Index of the path point of smallest criterion (EBIC) among the one-standard-error set of the held-out
    squared errors (m, K): argmin_{k in A} EBIC(k), the rule "ebic_1se" (module docstring)."""
    admissible = np.flatnonzero(one_standard_error_set(heldout_squared_errors))
    return int(admissible[np.argmin(np.asarray(criterion_values)[admissible])])


def _held_out_squared_errors(X, y, train, test, sizes, options):
    """Squared errors (len(test), len(sizes)) on the rows ``test`` of the subset path fitted on the rows ``train``."""
    coefs, intercepts = subset_path(X[train], y[train], sizes, **options)
    return squared_errors(X[test], y[test], coefs, intercepts)


class SubsetRegressionIC(RegressorMixin, LinearModelBase):
    """Best-subset least squares with the support size chosen along the path k = 0..max_nonzero
    (``subset_path``: exact adds and exchanges, each valued in closed form), by an information criterion on the
    training fit, by K-fold cross-validation, or by EBIC within the one-standard-error set of the cross-validated
    error:

        k* = argmin_k EBIC(k) = n log(RSS_k / n) + k (log n + 2 log p)        (criterion="ebic", the default)
        k* = argmin_k GIC(k)  = n log(RSS_k / n) + k log(p) log(log n)         (criterion="gic")
        k* = argmin_k mean over folds of the held-out mean squared error       (criterion="cv")
        k* = argmin_{k in A} EBIC(k), A = {k : E_k - E_k0 <= SE_k}             (criterion="ebic_1se")

    For "ebic_1se" every row is held out once (K folds): e_ik is its squared error under the path fitted without
    its fold, E_k = mean_i e_ik, k0 = argmin E_k, SE_k = sd_i(e_ik - e_ik0) / sqrt(n) (``one_standard_error_set``).

    EBIC is abess's default rule for the same choice (``sparseopt.l0.selection``), so the two pick their size the
    same way. The path stops at min(max_nonzero, p, n - 1 - fit_intercept) non-zeros (beyond, the fit can be exact
    and log RSS meaningless).

    Parameters
    ----------
    max_nonzero : int >= 0, default 30. criterion : {"ebic", "gic", "cv", "ebic_1se"}, default "ebic".
    cv : int or splitter, default 5 (criteria "cv" and "ebic_1se"; for "ebic_1se" its test folds must not overlap).
    n_jobs : int or None, folds in parallel (joblib).
    fit_intercept : bool, default True. max_swaps, max_swap_size : as ``subset_path``.

    Attributes
    ----------
    n_nonzeros_ (the path's sizes), path_coefs_ (p, len(n_nonzeros_)), path_intercepts_, criterion_values_
    (the criterion, or the mean held-out error, along the path; EBIC for "ebic_1se"), cv_errors_ ((n_folds, len):
    the mean held-out error of each fold, or None), one_standard_error_set_ (the mask A for "ebic_1se", else None),
    n_nonzero_ (the chosen size), coef_, intercept_, n_features_in_.
    """

    _parameter_constraints = {
        "max_nonzero": [Interval(Integral, 0, None, closed="left")],
        "criterion": [StrOptions(set(CRITERIA))],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "fit_intercept": ["boolean"],
        "max_swaps": [Interval(Integral, 0, None, closed="left")],
        "max_swap_size": [Interval(Integral, 1, 2, closed="both")],
    }

    def __init__(self, max_nonzero=30, *, criterion="ebic", cv=5, n_jobs=None, fit_intercept=True, max_swaps=100,
                 max_swap_size=2):
        self.max_nonzero = max_nonzero
        self.criterion = criterion
        self.cv = cv
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.max_swaps = max_swaps
        self.max_swap_size = max_swap_size

    def fit(self, X, y):
        """Fit on X (n, p) dense or CSC and y (n,)."""
        self._validate_params()
        X, y, _ = validate_fit_data(self, X, y)
        n_samples, n_features = X.shape
        largest = max(min(self.max_nonzero, n_features, n_samples - 1 - int(self.fit_intercept)), 0)
        sizes = np.arange(largest + 1)
        options = dict(fit_intercept=self.fit_intercept, max_swaps=self.max_swaps, max_swap_size=self.max_swap_size)
        coefs, intercepts = subset_path(X, y, sizes, **options)
        self.cv_errors_ = self.one_standard_error_set_ = None
        if self.criterion in ("cv", "ebic_1se"):
            folds = list(check_cv(self.cv).split(X, y))
            fold_errors = Parallel(n_jobs=self.n_jobs)(
                delayed(_held_out_squared_errors)(X, y, train, test, sizes, options) for train, test in folds)
            self.cv_errors_ = np.array([errors.mean(axis=0) for errors in fold_errors])
        if self.criterion == "cv":
            self.criterion_values_ = self.cv_errors_.mean(axis=0)
        else:
            self.criterion_values_ = information_criterion(residual_sums(X, y, coefs, intercepts),
                                                           np.count_nonzero(coefs, axis=0), n_samples,
                                                           n_features, "gic" if self.criterion == "gic" else "ebic")
        if self.criterion == "ebic_1se":
            heldout = np.concatenate(fold_errors)
            self.one_standard_error_set_ = one_standard_error_set(heldout)
            best = ebic_within_one_standard_error(self.criterion_values_, heldout)
        else:
            best = int(np.argmin(self.criterion_values_))
        self.n_nonzeros_, self.path_coefs_, self.path_intercepts_ = sizes, coefs, intercepts
        self.n_nonzero_ = int(sizes[best])
        self.coef_ = coefs[:, best].astype(X.dtype)
        self.intercept_ = float(intercepts[best]) if self.fit_intercept else 0.0
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)
