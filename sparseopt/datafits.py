"""Data-fitting terms F(w) = sum_i s_i l(y_i, x_i^T w) / sum_i s_i, with s the sample weights (default 1).

A datafit knows its value, its gradient and the Lipschitz constants of that gradient; solvers pair it with a
penalty from ``sparseopt.penalties``. Methods take the linear predictor Xw (n,) so that solvers keep it up to
date instead of recomputing it.
"""
import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from sparseopt import design
from sparseopt.validation import check_sample_weight


class Datafit:
    """Shared part of the datafits: sample weights, the gradient and the Lipschitz constants.

    A subclass gives ``_value``, ``_raw_gradient`` (dF/d(Xw)) and ``curvature_bound``, the largest second
    derivative of its loss l(y, .). The gradient in w is X.T @ raw_gradient; the Lipschitz constants of the
    gradient follow from the weighted curvature h_i = s_i * curvature_bound / sum_i s_i (so the partial
    derivative in an intercept has Lipschitz constant sum_i h_i = curvature_bound).
    """

    curvature_bound = 1.0

    def __init__(self, sample_weight=None):
        self.sample_weight = sample_weight

    def value(self, y, Xw):
        """F at the linear predictor Xw."""
        return float(self._value(*self._pair(y, Xw)))

    def raw_gradient(self, y, Xw):
        """dF/d(Xw), the gradient in the linear predictor."""
        return self._raw_gradient(*self._pair(y, Xw))

    @staticmethod
    def _pair(y, Xw):
        """y and Xw as arrays of one shape, else a ValueError naming them."""
        y, Xw = np.asarray(y), np.asarray(Xw)
        if y.ndim != 1 or Xw.shape != y.shape:
            raise ValueError(f"y and Xw must be 1-D of one length; got shapes {y.shape} and {Xw.shape}")
        return y, Xw

    def _shares(self, n_samples):
        """s_i / sum_i s_i."""
        weights = check_sample_weight(self.sample_weight, n_samples)
        return weights / weights.sum()

    def gradient(self, X, y, Xw):
        """Gradient X.T @ dF/d(Xw)."""
        return design.xt_dot(X, self.raw_gradient(y, Xw))

    def _scaled_design(self, X):
        """(sqrt(h) * X, 1): rows scaled by the square roots of the weighted curvatures; with no sample weights
        h is constant, and (X, h) is returned instead of a scaled copy."""
        if self.sample_weight is None:
            return X, self.curvature_bound / X.shape[0]
        root = np.sqrt(self.curvature_bound * self._shares(X.shape[0])).astype(X.dtype)
        if sp.issparse(X):
            return sp.csc_matrix(sp.diags(root) @ X), 1.0
        return np.asfortranarray(X * root[:, None]), 1.0

    def coordinate_lipschitz(self, X):
        """L_j = sum_i h_i X_ij^2, the Lipschitz constant of the j-th partial derivative."""
        scaled, factor = self._scaled_design(X)
        return factor * design.column_sq_norms(scaled)

    def lipschitz(self, X, tol=1e-10):
        """L = ||diag(sqrt(h)) X||_2^2, the Lipschitz constant of the whole gradient.

        By power iteration stopped at relative change tol: it approaches L from below, off by a small multiple of
        min(gap, tol / gap) relatively, gap being the relative distance between the two largest eigenvalues of
        X^T diag(h) X (so at most about sqrt(tol)). A solver that needs a guaranteed bound backtracks (as
        ``fista`` does).
        """
        scaled, factor = self._scaled_design(X)
        return factor * design.spectral_norm(scaled, tol=tol) ** 2


class Quadratic(Datafit):
    """Least squares: F(w) = 1/(2 sum s) sum_i s_i (y_i - x_i^T w)^2, which is 1/(2n) ||y - Xw||^2 when s = 1."""

    curvature_bound = 1.0

    def _value(self, y, Xw):
        return 0.5 * float(self._shares(y.shape[0]) @ (y - Xw) ** 2)

    def _raw_gradient(self, y, Xw):
        """dF/d(Xw) = -s (y - Xw) / sum s."""
        return self._shares(y.shape[0]) * (Xw - y)


class Logistic(Datafit):
    """Logistic loss with labels y in {-1, 1}: F(w) = 1/sum s sum_i s_i log(1 + exp(-y_i x_i^T w)).

    Its second derivative is at most 1/4, so L_j = ||X_j||^2 / (4n) when s = 1.
    """

    curvature_bound = 0.25

    def _value(self, y, Xw):
        """log(1 + e^t) computed without overflow."""
        return float(self._shares(y.shape[0]) @ np.logaddexp(0.0, -y * Xw))

    def _raw_gradient(self, y, Xw):
        """dF/d(Xw) = -s y sigmoid(-y Xw) / sum s."""
        return -self._shares(y.shape[0]) * y * expit(-y * Xw)
