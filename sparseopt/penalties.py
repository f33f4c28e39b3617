"""Penalty terms P(w): value, proximal operator and the distance of 0 to the subdifferential of F + P.

Solvers pair a penalty with a datafit from ``sparseopt.datafits``. Every penalty offers

- ``value(w)``;
- ``prox(w, step)`` = argmin_x 1/2 ||x - w||^2 + step P(x), from the compiled kernels in ``numba_kernels.prox``;
- ``subdiff_distance(w, grad)``: the entries of r = -grad - proj_{dP(w)}(-grad), so that ||r||_2 is the distance
  of 0 to grad + dP(w) (the optimality violation at w; for nonconvex penalties dP is the Frechet subdifferential,
  so a zero distance means stationarity, not global optimality).

The norms (L1, WeightedL1, GroupL2, SortedL1) also give ``dual_norm(u)``, from which alpha_max follows.
"""
import numpy as np

from numba_kernels import prox as kernels
from sparseopt.validation import (check_feature_weights, check_groups, check_scalar_range,
                                  check_sorted_weights, check_vector)


def _weighted_max_ratio(values, weights):
    """max_j values_j / weights_j over weights_j > 0; infinite if some values_j > 0 has weights_j = 0."""
    penalized = weights > 0
    if np.any(values[~penalized] > 0):
        return np.inf
    return np.max(values[penalized] / weights[penalized], initial=0.0)


class Penalty:
    """Base of all penalties: the public methods check their arguments, then call the subclass's ``_value``,
    ``_prox``, ``_subdiff_distance`` (and ``_dual_norm`` for norms). ``is_convex`` tells solvers whether
    momentum and duality gaps apply; ``n_features`` is set by penalties with one parameter per feature.
    """

    is_convex = True
    n_features = None

    def _coefficients(self, w, name):
        """w as a finite 1-D float array (float32 kept), of length n_features when that is fixed."""
        dtype = np.float32 if np.asarray(w).dtype == np.float32 else np.float64
        return check_vector(w, name, self.n_features, dtype)

    def value(self, w):
        """P(w)."""
        return float(self._value(self._coefficients(w, "w")))

    def prox(self, w, step):
        """argmin_x 1/2 ||x - w||^2 + step P(x), for step > 0."""
        step = check_scalar_range(step, "step", low=0.0, low_open=True)
        return self._prox(self._coefficients(w, "w"), step)

    def subdiff_distance(self, w, grad):
        """Entries of r = -grad - proj_{dP(w)}(-grad); ||r||_2 is the distance of 0 to grad + dP(w)."""
        w = self._coefficients(w, "w")
        return self._subdiff_distance(w, self._coefficients(grad, "grad"))

    def dual_norm(self, u):
        """The dual norm of P at u (for the penalties that are norms)."""
        if not hasattr(self, "_dual_norm"):
            raise TypeError(f"{type(self).__name__} is not a norm: it has no dual norm")
        return float(self._dual_norm(self._coefficients(u, "u")))


class SeparablePenalty(Penalty):
    """P(w) = sum_j p(w_j). A subclass gives ``derivative(w)``, p'(w_j) where w_j != 0, and ``zero_radius``,
    the half-width of the subdifferential [-radius, radius] of p at 0 (infinite for the L0 family).
    """

    zero_radius = 0.0

    def _subdiff_distance(self, w, grad):
        """|grad_j + p'(w_j)| where w_j != 0, and max(|grad_j| - zero_radius, 0) where w_j = 0."""
        nonzero = w != 0
        at_zero = np.maximum(np.abs(grad) - self.zero_radius, 0.0)
        return np.where(nonzero, np.abs(grad + np.where(nonzero, self.derivative(w), 0.0)), at_zero)


class L1(SeparablePenalty):
    """P(w) = alpha ||w||_1, alpha >= 0."""

    def __init__(self, alpha):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.zero_radius = self.alpha

    def _value(self, w):
        return self.alpha * np.abs(w).sum()

    def _prox(self, w, step):
        return kernels.prox_l1(w, step, self.alpha)

    def derivative(self, w):
        return self.alpha * np.sign(w)

    def _dual_norm(self, u):
        """max_j |u_j|, so that the zero solution is optimal iff alpha >= ||grad F(0)||_inf."""
        return np.abs(u).max()


class WeightedL1(SeparablePenalty):
    """P(w) = alpha sum_j weights_j |w_j|, weights >= 0 (0 leaves feature j unpenalized)."""

    def __init__(self, alpha, weights):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.weights = check_feature_weights(weights, np.size(weights))
        self.n_features = self.weights.size
        self.zero_radius = self.alpha * self.weights

    def _value(self, w):
        return self.alpha * self.weights @ np.abs(w)

    def _prox(self, w, step):
        return kernels.prox_weighted_l1(w, step, self.alpha, self.weights)

    def derivative(self, w):
        return self.alpha * self.weights * np.sign(w)

    def _dual_norm(self, u):
        """max_j |u_j| / weights_j (infinite if u_j != 0 for an unpenalized j)."""
        return _weighted_max_ratio(np.abs(u), self.weights)


class ElasticNet(SeparablePenalty):
    """P(w) = alpha (l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||_2^2), alpha >= 0, 0 <= l1_ratio <= 1."""

    def __init__(self, alpha, l1_ratio=0.5):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.l1_ratio = check_scalar_range(l1_ratio, "l1_ratio", low=0.0, high=1.0)
        self.zero_radius = self.alpha * self.l1_ratio

    def _value(self, w):
        return self.alpha * (self.l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - self.l1_ratio) * (w @ w))

    def _prox(self, w, step):
        return kernels.prox_elastic_net(w, step, self.alpha, self.l1_ratio)

    def derivative(self, w):
        return self.alpha * (self.l1_ratio * np.sign(w) + (1.0 - self.l1_ratio) * w)


class L0(SeparablePenalty):
    """P(w) = lambda0 ||w||_0, the number of non-zeros times lambda0 >= 0 (nonconvex)."""

    is_convex = False
    zero_radius = np.inf

    def __init__(self, lambda0):
        self.lambda0 = check_scalar_range(lambda0, "lambda0", low=0.0)

    def _value(self, w):
        return self.lambda0 * np.count_nonzero(w)

    def _prox(self, w, step):
        return kernels.prox_l0(w, step, self.lambda0)

    def derivative(self, w):
        return np.zeros_like(w)


class L0L2(SeparablePenalty):
    """P(w) = lambda0 ||w||_0 + lambda2 ||w||_2^2, lambda0, lambda2 >= 0 (Hazimeh & Mazumder 2020)."""

    is_convex = False
    zero_radius = np.inf

    def __init__(self, lambda0, lambda2):
        self.lambda0 = check_scalar_range(lambda0, "lambda0", low=0.0)
        self.lambda2 = check_scalar_range(lambda2, "lambda2", low=0.0)

    def _value(self, w):
        return self.lambda0 * np.count_nonzero(w) + self.lambda2 * (w @ w)

    def _prox(self, w, step):
        return kernels.prox_l0l2(w, step, self.lambda0, self.lambda2)

    def derivative(self, w):
        return 2.0 * self.lambda2 * w


class L0L1(SeparablePenalty):
    """P(w) = lambda0 ||w||_0 + lambda1 ||w||_1, lambda0, lambda1 >= 0 (Hazimeh & Mazumder 2020)."""

    is_convex = False
    zero_radius = np.inf

    def __init__(self, lambda0, lambda1):
        self.lambda0 = check_scalar_range(lambda0, "lambda0", low=0.0)
        self.lambda1 = check_scalar_range(lambda1, "lambda1", low=0.0)

    def _value(self, w):
        return self.lambda0 * np.count_nonzero(w) + self.lambda1 * np.abs(w).sum()

    def _prox(self, w, step):
        return kernels.prox_l0l1(w, step, self.lambda0, self.lambda1)

    def derivative(self, w):
        return self.lambda1 * np.sign(w)


class MCP(SeparablePenalty):
    """Minimax concave penalty (Zhang 2010), alpha >= 0, gamma > 0:

    p(x) = alpha |x| - x^2 / (2 gamma) if |x| <= gamma alpha, else gamma alpha^2 / 2.
    Its prox with step eta exists (is single-valued) only for gamma > eta.
    """

    is_convex = False

    def __init__(self, alpha, gamma=3.0):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.gamma = check_scalar_range(gamma, "gamma", low=0.0, low_open=True)
        self.zero_radius = self.alpha

    def _value(self, w):
        inside = np.abs(w) <= self.gamma * self.alpha
        return np.sum(np.where(inside, self.alpha * np.abs(w) - w ** 2 / (2 * self.gamma),
                               0.5 * self.gamma * self.alpha ** 2))

    def _prox(self, w, step):
        return kernels.prox_mcp(w, step, self.alpha, self.gamma)

    def derivative(self, w):
        return np.sign(w) * np.maximum(self.alpha - np.abs(w) / self.gamma, 0.0)


class SCAD(SeparablePenalty):
    """Smoothly clipped absolute deviation (Fan & Li 2001), alpha >= 0, a > 1:

    p(x) = alpha |x| if |x| <= alpha; (2 a alpha |x| - x^2 - alpha^2) / (2 (a - 1)) if |x| <= a alpha;
    alpha^2 (a + 1) / 2 beyond. Its prox with step eta needs a > 1 + eta.
    """

    is_convex = False

    def __init__(self, alpha, a=3.7):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.a = check_scalar_range(a, "a", low=1.0, low_open=True)
        self.zero_radius = self.alpha

    def _value(self, w):
        x, alpha, a = np.abs(w), self.alpha, self.a
        middle = (2 * a * alpha * x - x ** 2 - alpha ** 2) / (2 * (a - 1))
        return np.sum(np.where(x <= alpha, alpha * x, np.where(x <= a * alpha, middle, alpha ** 2 * (a + 1) / 2)))

    def _prox(self, w, step):
        return kernels.prox_scad(w, step, self.alpha, self.a)

    def derivative(self, w):
        return np.sign(w) * np.minimum(self.alpha, np.maximum(self.a * self.alpha - np.abs(w), 0.0) / (self.a - 1))


class CEL0(SeparablePenalty):
    """Continuous exact L0 penalty (Soubies, Blanc-Feraud & Aubert 2015) for 1/2 ||y - Aw||^2 + lambda0 ||w||_0:

    p_j(x) = lambda0 - a_j^2/2 (|x| - sqrt(2 lambda0)/a_j)^2 1[|x| <= sqrt(2 lambda0)/a_j], a_j = ||A_j|| > 0.
    It is MCP with alpha_j = a_j sqrt(2 lambda0), gamma_j = 1/a_j^2; its prox needs a_j^2 step < 1.
    """

    is_convex = False

    def __init__(self, lambda0, column_norms):
        self.lambda0 = check_scalar_range(lambda0, "lambda0", low=0.0)
        self.column_norms = check_vector(column_norms, "column_norms")
        if np.any(self.column_norms <= 0):
            raise ValueError("column_norms must be positive")
        self.n_features = self.column_norms.size
        self.zero_radius = self.column_norms * np.sqrt(2 * self.lambda0)

    def _value(self, w):
        a = self.column_norms
        gap = np.maximum(np.sqrt(2 * self.lambda0) / a - np.abs(w), 0.0)
        return np.sum(self.lambda0 - 0.5 * a ** 2 * gap ** 2)

    def _prox(self, w, step):
        return kernels.prox_cel0(w, step, self.lambda0, self.column_norms)

    def derivative(self, w):
        return np.sign(w) * np.maximum(self.zero_radius - self.column_norms ** 2 * np.abs(w), 0.0)


class GroupL2(Penalty):
    """Group Lasso penalty P(w) = alpha sum_g c_g ||w_g||_2, alpha >= 0, c_g >= 0 (default sqrt(|g|)).

    groups: a list of group sizes (consecutive features) or a list of index lists covering every feature once.
    """

    def __init__(self, alpha, groups, group_weights=None):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.group_indices, self.group_ptr = check_groups(groups)
        self.n_features = self.group_indices.size
        sizes = np.diff(self.group_ptr)
        self.group_weights = (np.sqrt(sizes).astype(float) if group_weights is None
                              else check_feature_weights(group_weights, sizes.size, "group_weights"))

    def _group_norms(self, w):
        return np.sqrt(np.add.reduceat(w[self.group_indices] ** 2, self.group_ptr[:-1]))

    def _spread(self, per_group):
        """A per-feature vector holding each group's value on its features."""
        out = np.empty(self.group_indices.size)
        out[self.group_indices] = np.repeat(per_group, np.diff(self.group_ptr))
        return out

    def _value(self, w):
        return self.alpha * self.group_weights @ self._group_norms(w)

    def _prox(self, w, step):
        return kernels.prox_group_l2(w, step, self.alpha, self.group_indices, self.group_ptr, self.group_weights)

    def _subdiff_distance(self, w, grad):
        """Per-feature entries of r: -grad_g - alpha c_g w_g/||w_g|| on non-zero groups, and on zero groups
        -grad_g minus its projection on the ball of radius alpha c_g."""
        norms = self._spread(self._group_norms(w))
        radius = self.alpha * self._spread(self.group_weights)
        grad_norms = self._spread(self._group_norms(grad))
        shrink = np.maximum(1.0 - radius / np.where(grad_norms > 0, grad_norms, 1.0), 0.0)
        active = np.abs(grad + radius * w / np.where(norms > 0, norms, 1.0))
        return np.where(norms > 0, active, np.abs(grad) * shrink)

    def _dual_norm(self, u):
        """max_g ||u_g||_2 / c_g (infinite if u_g != 0 for an unpenalized group)."""
        return _weighted_max_ratio(self._group_norms(u), self.group_weights)


class SortedL1(Penalty):
    """SLOPE / OWL penalty P(w) = alpha sum_i lambdas_i |w|_(i), lambdas non-negative and non-increasing,
    |w|_(1) >= |w|_(2) >= ... (Bogdan et al. 2015).
    """

    def __init__(self, alpha, lambdas):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.lambdas = check_sorted_weights(lambdas, np.size(lambdas))
        self.n_features = self.lambdas.size

    def _value(self, w):
        return self.alpha * self.lambdas @ np.sort(np.abs(w))[::-1]

    def _prox(self, w, step):
        return kernels.prox_sorted_l1(w, step, self.alpha * self.lambdas)

    def _subdiff_distance(self, w, grad):
        """Entries of r = -grad - proj_{dP(w)}(-grad), cluster by cluster.

        Sort |w| decreasingly and cut it into clusters of equal |w|; cluster C gets the weights of its ranks.
        On a non-zero cluster, dP restricted to C is sign(w_C) times the permutahedron of those weights, and
        t - proj(t) is the non-increasing isotonic fit of t_sorted - weights (t = -sign(w_C) grad_C). On the
        zero cluster dP is the dual ball of the remaining weights, and by Moreau t - proj(t) = prox(t).
        """
        weights = self.alpha * self.lambdas
        order = np.argsort(-np.abs(w), kind="stable")
        sorted_abs = np.abs(w)[order]
        cuts = np.flatnonzero(np.diff(sorted_abs)) + 1
        residual = np.empty_like(w, dtype=float)
        for start, stop in zip(np.r_[0, cuts], np.r_[cuts, w.size]):
            members = order[start:stop]
            if sorted_abs[start] == 0:
                residual[members] = kernels.prox_sorted_l1(-grad[members], 1.0, weights[start:stop])
                continue
            signs = np.sign(w[members])
            target = -signs * grad[members]
            within = np.argsort(-target, kind="stable")
            fit = kernels.isotonic_nonincreasing(target[within] - weights[start:stop])
            residual[members[within]] = signs[within] * fit
        return np.abs(residual)

    def _dual_norm(self, u):
        """max_k (sum_{i<=k} |u|_(i)) / (sum_{i<=k} lambdas_i)."""
        if self.lambdas[0] == 0:
            return np.inf if np.any(u != 0) else 0.0
        return np.max(np.cumsum(np.sort(np.abs(u))[::-1]) / np.cumsum(self.lambdas))
