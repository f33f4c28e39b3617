"""Continuous relaxations of the L0 penalty: CEL0 (deterministic, exact) and hard-concrete gates (stochastic).

CEL0Regression (Soubies, Blanc-Feraud & Aubert 2015) replaces lambda0 ||w||_0 in
1/(2n) ||y - Xw - b||^2 + lambda0 ||w||_0 by sum_j CEL0(w_j; lambda0, a_j), a_j = ||X_c_j|| / sqrt(n) (``sparseopt.penalties.CEL0``):
the relaxed objective has the same global minimisers and minimum, and zeroing every |w_j| < sqrt(2 lambda0) / a_j
of a minimiser of the relaxation gives a minimiser of the L0 problem. It is solved by proximal gradient
(``sparseopt.solvers.fista``, no momentum for a nonconvex penalty) with the shared CEL0 prox.

HardConcrete* (Louizos, Welling & Kingma 2018) gate each coefficient, theta_j = w_j z_j, with z_j hard-concrete:
z = min(1, max(0, s (zeta - gamma) + gamma)), s = sigmoid((log u - log(1 - u) + log alpha) / beta), u ~ U(0, 1),
beta = 2/3, gamma = -0.1, zeta = 1.1. The expected L0 norm sum_j P(z_j != 0) = sum_j sigmoid(log alpha_j -
beta log(-gamma / zeta)) is smooth in log alpha, and (w, log alpha, b) are trained by Adam on minibatches
(``numba_kernels.l0.hard_concrete_epoch``). At prediction the gates are deterministic,
z_hat = min(1, max(0, sigmoid(log alpha) (zeta - gamma) + gamma)), exactly 0 for log alpha < -2.4.
"""
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from numba_kernels import l0 as kernels
from sparseopt.base import LinearModelBase
from sparseopt.datafits import Quadratic
from sparseopt.l0 import solver
from sparseopt.linear_model.logistic import BinaryLinearClassifier, binary_targets
from sparseopt.penalties import CEL0
from sparseopt.solvers import fista
from sparseopt.validation import validate_fit_data

BETA, GAMMA, ZETA = 2.0 / 3.0, -0.1, 1.1


class _StepSafeQuadratic(Quadratic):
    """Least squares whose Lipschitz estimate is at least max_j a_j^2 (times 1 + 1e-9), so that every
    proximal-gradient step 1/L meets the CEL0 prox condition a_j^2 / L < 1."""

    def __init__(self, sample_weight, largest_sq_norm):
        super().__init__(sample_weight)
        self.largest_sq_norm = largest_sq_norm

    def lipschitz(self, X, tol=1e-10):
        return max(super().lipschitz(X, tol), self.largest_sq_norm) * (1.0 + 1e-9)


class CEL0Regression(RegressorMixin, LinearModelBase):
    """Least squares with the CEL0 relaxation of lambda0 ||w||_0, by proximal gradient, then thresholding.

    Parameters
    ----------
    lambda0 : float >= 0, default 0.01. fit_intercept : bool, default True.
    max_iter : int, default 5000, proximal gradient steps. tol : float, default 1e-8, on the optimality violation.
    refit : bool, default True; after thresholding, refit least squares on the support (never raises the L0
        objective).

    Attributes
    ----------
    coef_ (thresholded, refitted), intercept_, relaxed_coef_ (the CEL0 stationary point), n_iter_, n_features_in_.
    """

    _parameter_constraints = {
        "lambda0": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "refit": ["boolean"],
    }

    def __init__(self, lambda0=0.01, *, fit_intercept=True, max_iter=5000, tol=1e-8, refit=True):
        self.lambda0 = lambda0
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.refit = refit

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n, p) dense or CSC, y (n,), optional sample_weight (n,)."""
        self._validate_params()
        X, y, sample_weight = validate_fit_data(self, X, y, sample_weight)
        problem = solver.prepare(X, y, sample_weight, self.fit_intercept)
        norms = np.sqrt(problem.lipschitz)
        norms = np.maximum(norms, max(1e-12 * norms.max(), 1e-150))  # a constant column never moves from 0
        datafit = _StepSafeQuadratic(sample_weight, float(norms.max() ** 2))
        result = fista(X, y, datafit, CEL0(self.lambda0, norms), fit_intercept=self.fit_intercept,
                       max_iter=self.max_iter, tol=self.tol)
        self.relaxed_coef_ = result.coef.astype(X.dtype)
        coef = np.where(np.abs(result.coef) >= np.sqrt(2.0 * self.lambda0) / norms, result.coef, 0.0)
        if self.refit:
            coef = _refit(problem, coef)
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = float(problem.y_offset - problem.X_offset @ coef) if self.fit_intercept else 0.0
        self.n_iter_ = result.n_iter
        return self

    def predict(self, X):
        """Predicted targets X @ coef_ + intercept_."""
        return self._decision_function(X)


def _refit(problem, coef):
    """Least squares on the support of coef (the kernels' exact refit)."""
    support = np.flatnonzero(coef).astype(np.int64)
    out = np.zeros_like(coef, dtype=np.float64)
    if support.size:
        centered = problem.centered
        out[support] = kernels.refit_support(centered.data, centered.indices, centered.indptr, centered.n_samples,
                                             centered.X_offset, centered.row_scale, problem.y, support, 0.0)
    return out


def hard_concrete_sample(log_alpha, size, random_state=None):
    """``size`` draws of the hard-concrete gates with parameters log_alpha (p,): array (size, p)."""
    rng = check_random_state(random_state)
    log_alpha = np.asarray(log_alpha, dtype=np.float64)
    uniforms = rng.uniform(1e-12, 1.0 - 1e-12, (size, log_alpha.size))
    return np.array([kernels.hard_concrete_gates(log_alpha, row, BETA, GAMMA, ZETA) for row in uniforms])


def hard_concrete_cdf(t, log_alpha):
    """P(z <= t) for the hard-concrete gate: 0 for t < 0, 1 for t >= 1, and on [0, 1)
    sigmoid(beta logit((t - gamma) / (zeta - gamma)) - log alpha) (the binary-concrete CDF, stretched)."""
    t = np.asarray(t, dtype=float)
    inside = np.clip((t - GAMMA) / (ZETA - GAMMA), 1e-300, 1 - 1e-16)
    cdf = expit(BETA * logit(inside) - log_alpha)
    return np.where(t < 0, 0.0, np.where(t >= 1, 1.0, cdf))


def expected_l0(log_alpha):
    """E ||z||_0 = sum_j P(z_j != 0) = sum_j sigmoid(log alpha_j - beta log(-gamma / zeta))."""
    return float(kernels.gate_nonzero_probability(np.asarray(log_alpha, dtype=float), BETA, GAMMA, ZETA).sum())


def deterministic_gates(log_alpha):
    """Test-time gates min(1, max(0, sigmoid(log alpha) (zeta - gamma) + gamma))."""
    return np.clip(expit(log_alpha) * (ZETA - GAMMA) + GAMMA, 0.0, 1.0)


class _HardConcreteMixin:
    """Shared training: standardize X, run Adam epochs until the deterministic support and the epoch objective
    settle (or max_epochs, with a ConvergenceWarning), store the gated coefficients on the user's scale. The
    parameters (and so ``__init__``) are the same for the regressor and the classifier."""

    def __init__(self, lambda0=0.01, *, lambda2=0.0, learning_rate=0.01, batch_size=64, max_epochs=300, tol=1e-4,
                 n_iter_no_change=10, fit_intercept=True, random_state=None):
        self.lambda0 = lambda0
        self.lambda2 = lambda2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.fit_intercept = fit_intercept
        self.random_state = random_state

    _parameter_constraints = {
        "lambda0": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state"],
    }

    def _train(self, X, targets, loss):
        X = X.toarray() if sp.issparse(X) else np.asarray(X)
        mean = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])
        scale = X.std(axis=0) if self.fit_intercept else np.sqrt((X ** 2).mean(axis=0))
        scale = np.where(scale > 0, scale, 1.0)
        standardized = np.ascontiguousarray((X - mean) / scale, dtype=np.float64)
        rng = check_random_state(self.random_state)
        n_features = X.shape[1]
        weights = np.zeros(n_features)
        log_alpha = np.zeros(n_features)  # P(gate open) = 1/2 at the start, as in Louizos et al.
        intercept = np.array([targets.mean() if loss < 0 and self.fit_intercept else 0.0])
        moments = np.zeros((6, max(n_features, 1)))
        step, best, stable = 0, np.inf, 0
        support = deterministic_gates(log_alpha) > 0
        for epoch in range(1, self.max_epochs + 1):
            order = rng.permutation(X.shape[0]).astype(np.int64)
            step, value = kernels.hard_concrete_epoch(
                standardized, targets, loss, weights, log_alpha, intercept, moments, step, order, self.batch_size,
                float(self.lambda0), float(self.lambda2), float(self.learning_rate), self.fit_intercept, BETA,
                GAMMA, ZETA, int(rng.randint(2**31 - 1)))
            new_support = deterministic_gates(log_alpha) > 0
            settled = np.array_equal(new_support, support) and value >= best - self.tol * abs(best)
            stable = stable + 1 if settled else 0
            support, best = new_support, min(best, value)
            if stable >= self.n_iter_no_change:
                break
        else:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(f"hard-concrete Adam stopped at max_epochs={self.max_epochs} while its support or its "
                          "objective still changed; raise max_epochs or tol", ConvergenceWarning, stacklevel=3)
        self.log_alpha_ = log_alpha
        self.gates_ = deterministic_gates(log_alpha)
        gated = weights * self.gates_ / scale
        self.coef_ = gated
        self.intercept_ = float(intercept[0] - mean @ gated)
        self.n_iter_ = epoch


class HardConcreteRegression(_HardConcreteMixin, RegressorMixin, LinearModelBase):
    """Least squares with hard-concrete gates: min over (w, log alpha, b) of
    E_z [1/(2n) ||y - X (w * z) - b||^2] + lambda0 E ||z||_0 + lambda2 / 2 sum_j P(z_j != 0) w_j^2 (X standardized).

    Parameters
    ----------
    lambda0 : float >= 0, default 0.01. lambda2 : float >= 0, default 0. learning_rate : float, default 0.01.
    batch_size : int, default 64. max_epochs : int, default 300. tol : float, default 1e-4 and n_iter_no_change :
    int, default 10: stop once, for that many epochs in a row, the deterministic support has not changed and the
    mean minibatch objective of the epoch has not gone below its best value by more than tol times it.
    fit_intercept : bool, default True. random_state : int or None.

    Attributes
    ----------
    coef_ (w * z_hat on the user's scale), intercept_, log_alpha_, gates_ (z_hat), n_iter_ (epochs).
    """

    def fit(self, X, y):
        """Fit on X (n, p) (a sparse X is densified) and y (n,)."""
        self._validate_params()
        X, y, _ = validate_fit_data(self, X, y)
        self._train(X, y.astype(np.float64), -1)
        return self

    def predict(self, X):
        """X @ coef_ + intercept_ with the deterministic gates."""
        return self._decision_function(X)


class HardConcreteClassifier(_HardConcreteMixin, BinaryLinearClassifier):
    """Logistic regression with hard-concrete gates (two classes): E_z [mean_i log(1 + exp(-y_i (x_i^T (w * z)
    + b)))] + lambda0 E ||z||_0 + lambda2 / 2 sum_j P(z_j != 0) w_j^2. Parameters and attributes as
    ``HardConcreteRegression``, plus classes_."""

    def fit(self, X, y):
        """Fit on X (n, p) (a sparse X is densified) and y (n,) with two classes."""
        self._validate_params()
        X, targets = binary_targets(self, X, y)
        self._train(X, 2.0 * targets - 1.0, kernels.LOGISTIC)
        return self
