"""SLOPE, GroupSLOPE and SparseGroupSLOPE estimators and their path functions.

    min_{w, b} F(Xw + b) + alpha (eta sum_i v_i |w|_(i) + (1 - eta) sum_i lambda_i (c_g ||w_g||_2)_(i))

F is 1/(2n) ||y - Xw - b||^2 (``loss="squared"``) or 1/n sum_i log(1 + exp(-y_i (x_i^T w + b))) with the two
classes of y coded -1, 1 (``loss="logistic"``). SLOPE is eta = 1, GroupSLOPE eta = 0, SparseGroupSLOPE any eta in
[0, 1]. The three share their parameter names: ``lambdas`` (v, a name from ``sparseopt.slope.sequences`` or an
array), ``group_lambdas`` (lambda), ``q``, ``theta1``, ``theta2``, ``groups`` (group sizes or index lists; default
one group per feature), ``group_weights`` (c_g, default sqrt(group size)), ``loss``, ``fit_intercept``, ``solver``,
``screen``, ``tol`` (relative duality gap), ``max_iter``, ``warm_start``.
"""
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._available_if import available_if

from sparseopt.base import LinearModelBase
from sparseopt.datafits import Logistic, Quadratic
from sparseopt.slope.path import SOLVERS, alpha_max, fit_path, null_gradient, solve
from sparseopt.slope.penalty import make_penalty
from sparseopt.slope.sequences import resolve_lambdas
from sparseopt.validation import (check_design, check_groups, check_scalar_range, check_target,
                                  validate_fit_data)

LOSSES = ("squared", "logistic")


def build_penalty(n_samples, n_features, *, eta, groups=None, lambdas="bh", group_lambdas="mean", q=0.1,
                  theta1=1.0, theta2=0.5, group_weights=None):
    """The SortedGroupPenalty of the estimators' parameters (see the module docstring)."""
    if groups is None:  # one group per feature
        feature_group, sizes = np.arange(n_features, dtype=np.int64), np.ones(n_features, dtype=np.int64)
    else:
        group_indices, group_ptr = check_groups(groups, n_features)
        feature_group = np.empty(n_features, dtype=np.int64)
        sizes = np.diff(group_ptr)
        feature_group[group_indices] = np.repeat(np.arange(sizes.size), sizes)
    # a sequence the model does not use (eta = 0 or 1) is not computed
    variable = (np.ones(n_features) if eta == 0 else
                resolve_lambdas(lambdas, n_features, q=q, theta1=theta1, theta2=theta2, n_samples=n_samples))
    group = (np.ones(sizes.size) if eta == 1 else
             resolve_lambdas(group_lambdas, sizes.size, q=q, theta1=theta1, theta2=theta2, group_sizes=sizes,
                             name="group_lambdas"))
    weights = np.sqrt(sizes) if group_weights is None else group_weights
    return make_penalty(eta, variable, group, feature_group, weights)


def _datafit_and_targets(loss, y):
    """(datafit, targets, classes): logistic targets are -1 / 1 for the two classes of y."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if loss == "squared":
        return Quadratic(), y, None
    classes, targets = np.unique(y, return_inverse=True)
    if classes.size != 2:
        raise ValueError(f"loss='logistic' needs exactly two classes in y; got {classes.size}")
    return Logistic(), 2.0 * targets - 1.0, classes


def _path(X, y, eta, *, loss, alphas, n_alphas, eps, fit_intercept, screen, solver, tol, max_iter, verbose,
          strategy="auto", **penalty_options):
    X = check_design(X)
    y = np.asarray(y)
    datafit, targets, _ = _datafit_and_targets(loss, y if loss == "logistic" else check_target(y, X.shape[0]))
    penalty = build_penalty(X.shape[0], X.shape[1], eta=eta, **penalty_options)
    if alphas is not None:
        alphas = np.asarray(alphas, dtype=float)
        if alphas.ndim != 1 or np.any(alphas < 0) or np.any(np.diff(alphas) > 0):
            raise ValueError("alphas must be a non-negative, non-increasing 1-D array")
    return fit_path(X, targets.astype(float), datafit, penalty, alphas, n_alphas=n_alphas, eps=eps,
                    fit_intercept=fit_intercept, screen=screen, strategy=strategy, solver=solver, tol=tol,
                    max_iter=max_iter, verbose=verbose)


def slope_path(X, y, *, lambdas="bh", q=0.1, theta1=1.0, theta2=0.5, loss="squared", alphas=None, n_alphas=20,
               eps=1e-2, fit_intercept=True, screen=True, strategy="auto", solver="auto", tol=1e-6, max_iter=10_000,
               verbose=False):
    """SLOPE path: F(Xw + b) + alpha sum_i v_i |w|_(i) over a decreasing alpha grid (default: n_alphas values
    from alpha_max = J*_v(X^T u0) down to eps alpha_max), with the strong rule of Larsson et al. (2020) when
    ``screen``. Returns a ``PathResult`` (alphas, coefs (p, K), intercepts, n_iters, stop_crits, screening).
    ``strategy`` (with ``screen``): the features fitted first at each point, ``"strong"`` (strong set and active
    set), ``"previous"`` (active set and the best candidate) or ``"auto"`` (previous); see ``sparseopt.slope.path.fit_path``. The KKT checks make the path the same for all three."""
    return _path(X, y, 1.0, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps, fit_intercept=fit_intercept,
                 screen=screen, strategy=strategy, solver=solver, tol=tol, max_iter=max_iter, verbose=verbose, lambdas=lambdas, q=q,
                 theta1=theta1, theta2=theta2)


def group_slope_path(X, y, groups=None, *, group_lambdas="mean", group_weights=None, q=0.1, theta1=1.0,
                     theta2=0.5, loss="squared", alphas=None, n_alphas=20, eps=1e-2, fit_intercept=True,
                     screen=True, strategy="auto", solver="auto", tol=1e-6, max_iter=10_000, verbose=False):
    """Group SLOPE path: F(Xw + b) + alpha sum_i lambda_i (c_g ||w_g||)_(i), alpha_max = J*_lambda(||X_g^T u0|| /
    c_g), with the group strong rule of Feser & Evangelou (2025) when ``screen`` (``strategy`` as in
    ``slope_path``). Returns a ``PathResult``."""
    return _path(X, y, 0.0, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps, fit_intercept=fit_intercept,
                 screen=screen, strategy=strategy, solver=solver, tol=tol, max_iter=max_iter, verbose=verbose, groups=groups,
                 group_lambdas=group_lambdas, group_weights=group_weights, q=q, theta1=theta1, theta2=theta2)


def sparse_group_slope_path(X, y, groups=None, *, eta=0.95, lambdas="bh", group_lambdas="mean", group_weights=None,
                            q=0.1, theta1=1.0, theta2=0.5, loss="squared", alphas=None, n_alphas=20, eps=1e-2,
                            fit_intercept=True, screen=True, strategy="auto", solver="auto", tol=1e-6,
                            max_iter=10_000, verbose=False):
    """Sparse-group SLOPE path: F(Xw + b) + alpha (eta J_v(w) + (1 - eta) J_lambda(c_g ||w_g||)); alpha_max by
    certified bisection; group then variable strong rules of Feser & Evangelou (2025) when ``screen``
    (``strategy`` as in ``slope_path``). Returns a ``PathResult``."""
    return _path(X, y, eta, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps, fit_intercept=fit_intercept,
                 screen=screen, strategy=strategy, solver=solver, tol=tol, max_iter=max_iter, verbose=verbose, groups=groups,
                 lambdas=lambdas, group_lambdas=group_lambdas, group_weights=group_weights, q=q, theta1=theta1,
                 theta2=theta2)


def _is_logistic(estimator):
    return estimator.loss == "logistic"


class _SortedPenaltyModel(RegressorMixin, LinearModelBase):
    """Shared fit and prediction; a subclass says which eta it uses (``_eta``)."""

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "lambdas": [StrOptions({"bh", "gaussian", "oscar", "lasso"}), "array-like"],
        "group_lambdas": [StrOptions({"mean", "max", "bh", "oscar", "lasso"}), "array-like"],
        "q": [Interval(Real, 0, 1, closed="neither")],
        "theta1": [Interval(Real, 0, None, closed="left")],
        "theta2": [Interval(Real, 0, None, closed="left")],
        "groups": ["array-like", list, None],
        "group_weights": ["array-like", None],
        "loss": [StrOptions(set(LOSSES))],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(SOLVERS))],
        "screen": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
    }

    def fit(self, X, y):
        """Fit on X (n, p) dense or CSC and y (n,) (two classes with loss='logistic')."""
        self._validate_params()
        if self.loss == "logistic":
            from sparseopt.linear_model.logistic import binary_targets

            X, targets = binary_targets(self, X, y)
            targets = 2.0 * targets - 1.0
            datafit = Logistic()
        else:
            X, targets, _ = validate_fit_data(self, X, y)
            datafit = Quadratic()
        eta = check_scalar_range(self._eta(), "eta", low=0.0, high=1.0)
        penalty = build_penalty(X.shape[0], X.shape[1], eta=eta, groups=self.groups, lambdas=self.lambdas,
                                group_lambdas=self.group_lambdas, q=self.q, theta1=self.theta1, theta2=self.theta2,
                                group_weights=self.group_weights)
        targets = np.asarray(targets, dtype=float)
        options = dict(fit_intercept=self.fit_intercept, solver=self._solver(), tol=self.tol, max_iter=self.max_iter)
        warm = self.warm_start and getattr(self, "coef_", np.zeros(0)).shape == (X.shape[1],)
        if self.screen and not warm:
            grad, _ = null_gradient(X, targets, datafit, self.fit_intercept)
            largest = alpha_max(penalty, grad)
            alphas = [largest, self.alpha] if self.alpha < largest else [self.alpha]
            path = fit_path(X, targets, datafit, penalty, np.array(alphas), screen=True, **options)
            coef, intercept, self.n_iter_, self.dual_gap_ = (path.coefs[:, -1], path.intercepts[-1],
                                                            int(path.n_iters[-1]), float(path.stop_crits[-1]))
            self.screening_ = {name: int(values[-1]) for name, values in path.screening.items()}
        else:
            result = solve(X, targets, datafit, penalty, float(self.alpha), coef_init=self.coef_ if warm else None,
                           intercept_init=self.intercept_ if warm else 0.0, **options)
            coef, intercept, self.n_iter_, self.dual_gap_ = result.coef, result.intercept, result.n_iter, result.stop_crit
            self.screening_ = None
        self.coef_ = np.asarray(coef, dtype=X.dtype)
        self.intercept_ = float(intercept) if self.fit_intercept else 0.0
        self.lambdas_ = penalty.variable_lambdas if eta > 0 else None
        self.group_lambdas_ = penalty.group_lambdas if eta < 1 else None
        return self

    @available_if(_is_logistic)
    def decision_function(self, X):
        """Linear predictor X @ coef_ + intercept_ (with loss='logistic', positive means classes_[1])."""
        return self._decision_function(X)

    def predict(self, X):
        """X @ coef_ + intercept_ for the squared loss; the more probable class for the logistic loss."""
        scores = self._decision_function(X)
        if self.loss == "logistic":
            return self.classes_[(scores > 0).astype(int)]
        return scores

    @available_if(_is_logistic)
    def predict_proba(self, X):
        """Class probabilities (loss='logistic' only), shape (n, 2)."""
        positive = expit(self._decision_function(X))
        return np.column_stack([1 - positive, positive])

    def score(self, X, y, sample_weight=None):
        """R^2 for the squared loss, accuracy for the logistic loss."""
        if self.loss == "logistic":
            return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))
        return super().score(X, y, sample_weight)


class SLOPE(_SortedPenaltyModel):
    """SLOPE (Bogdan et al. 2015): F(Xw + b) + alpha sum_i v_i |w|_(i), v = ``lambdas`` non-increasing.

    Parameters
    ----------
    alpha : float >= 0, default 1.0; lambdas : "bh" (default), "gaussian", "oscar", "lasso" or an array (p,);
    q : FDR level of "bh" / "gaussian", default 0.1; theta1, theta2 : OSCAR weights theta1 + theta2 (p - i);
    loss : "squared" (default) or "logistic"; fit_intercept : bool, default True;
    solver : "auto" (hybrid coordinate descent for the squared loss, else FISTA), "hybrid", "fista", "splitting";
    screen : bool, default False; fit along [alpha_max, alpha] with the strong rule and KKT checks;
    tol : relative duality gap, default 1e-6; max_iter : default 10000; warm_start : bool, default False.
    ``groups``, ``group_lambdas`` and ``group_weights`` are accepted for a common signature and unused.

    Attributes
    ----------
    coef_, intercept_, n_iter_, dual_gap_ (final relative gap), lambdas_, screening_ (with screen=True: features
    and groups kept, active, KKT violations), classes_ (logistic), n_features_in_.
    """

    def __init__(self, alpha=1.0, *, lambdas="bh", q=0.1, theta1=1.0, theta2=0.5, groups=None, group_lambdas="mean",
                 group_weights=None, loss="squared", fit_intercept=True, solver="auto", screen=False, tol=1e-6,
                 max_iter=10_000, warm_start=False):
        self.alpha = alpha
        self.lambdas = lambdas
        self.q = q
        self.theta1 = theta1
        self.theta2 = theta2
        self.groups = groups
        self.group_lambdas = group_lambdas
        self.group_weights = group_weights
        self.loss = loss
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.screen = screen
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start

    def _eta(self):
        return 1.0

    def _solver(self):
        return self.solver


class GroupSLOPE(SLOPE):
    """Group SLOPE (Brzyski et al. 2019): F(Xw + b) + alpha sum_i lambda_i (c_g ||w_g||_2)_(i), lambda =
    ``group_lambdas`` ("mean" (default), "max", "bh", "oscar", "lasso" or an array (m,)), c_g = ``group_weights``
    (default sqrt(|g|)), ``groups`` group sizes or index lists (default: one group per feature). Solved by FISTA in
    b_g = c_g w_g (exact for unequal c_g). Other parameters and attributes as ``SLOPE``; ``lambdas`` is unused.
    """

    def _eta(self):
        return 0.0


class SparseGroupSLOPE(SLOPE):
    """Sparse-group SLOPE (Feser & Evangelou 2023): F(Xw + b) + alpha (eta sum_i v_i |w|_(i) + (1 - eta)
    sum_i lambda_i (c_g ||w_g||)_(i)), eta in [0, 1] (default 0.95): eta = 1 is SLOPE, eta = 0 Group SLOPE.

    Solved by the PD3O three-operator splitting (``solver="splitting"``, the default through "auto"), which takes
    the sorted-L1 and Group SLOPE proxes separately. Parameters and attributes as ``SLOPE`` and ``GroupSLOPE``.
    """

    _parameter_constraints = {**SLOPE._parameter_constraints, "eta": [Interval(Real, 0, 1, closed="both")]}

    def __init__(self, alpha=1.0, *, eta=0.95, lambdas="bh", q=0.1, theta1=1.0, theta2=0.5, groups=None,
                 group_lambdas="mean", group_weights=None, loss="squared", fit_intercept=True, solver="auto",
                 screen=False, tol=1e-6, max_iter=10_000, warm_start=False):
        super().__init__(alpha, lambdas=lambdas, q=q, theta1=theta1, theta2=theta2, groups=groups,
                         group_lambdas=group_lambdas, group_weights=group_weights, loss=loss,
                         fit_intercept=fit_intercept, solver=solver, screen=screen, tol=tol, max_iter=max_iter,
                         warm_start=warm_start)
        self.eta = eta

    def _eta(self):
        return self.eta

    def _solver(self):
        """"auto" means the splitting for every eta (so that eta = 0 and 1 are solved by the same method)."""
        return "splitting" if self.solver == "auto" else self.solver
