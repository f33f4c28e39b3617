"""The one penalty that covers SLOPE, Group SLOPE and Sparse-group SLOPE, its dual norms, and the datafit
conjugates that the duality gaps need.

    P(w) = alpha (eta J_v(w) + (1 - eta) J_lambda(c_g ||w_g||)),

J_v(w) = sum_i v_i |w|_(i) the sorted-L1 norm and J_lambda(c_g ||w_g||) = sum_i lambda_i (c_g ||w_g||)_(i) the
weighted Group SLOPE norm: eta = 1 is SLOPE, eta = 0 Group SLOPE. The group norm is H(Cw), where C multiplies
the features of group g by c_g and H(q) = J_lambda(||q_g||) is the unweighted group norm; its dual variable s
(for q = Cw) has the dual ball {s : J*_lambda(||s_g||) <= 1}, J*_lambda(u) = max_k sum_{i<=k} u_(i) /
sum_{i<=k} lambda_i.
"""
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import xlogy

from numba_kernels.slope import group_norms, prox_group_sorted_l1
from sparseopt.datafits import Logistic, Quadratic
from sparseopt.penalties import Penalty
from sparseopt.validation import check_scalar_range, check_sorted_weights


def sorted_dual_norm(values, lambdas):
    """J*_lambda(values) = max_k sum_{i<=k} |values|_(i) / sum_{i<=k} lambda_i (inf if some values are outside a
    zero-weight ball; 0 for empty input)."""
    if values.size == 0:
        return 0.0
    sums = np.cumsum(np.sort(np.abs(values))[::-1])
    weights = np.cumsum(lambdas[:values.size])
    if np.any((weights == 0) & (sums > 0)):
        return np.inf
    return float(np.max(np.divide(sums, weights, out=np.zeros_like(sums), where=weights > 0)))


def sorted_norm(values, lambdas):
    """J_lambda(values) = sum_i lambda_i |values|_(i)."""
    return float(lambdas[:values.size] @ np.sort(np.abs(values))[::-1])


@dataclass(frozen=True)
class SortedGroupPenalty:
    """The weights of P (without alpha): eta in [0, 1], variable_lambdas v (p,), group_lambdas lambda (m,),
    feature_group (p,) the group of each feature (0..m-1, every group non-empty), group_weights c (m,) > 0."""

    eta: float
    variable_lambdas: np.ndarray
    group_lambdas: np.ndarray
    feature_group: np.ndarray
    group_weights: np.ndarray

    @property
    def n_groups(self):
        return self.group_weights.size

    @cached_property
    def group_layout(self):
        """(group_indices, group_ptr): group g holds group_indices[group_ptr[g]:group_ptr[g + 1]]."""
        indices = np.argsort(self.feature_group, kind="stable").astype(np.int64)
        counts = np.bincount(self.feature_group, minlength=self.n_groups)
        return indices, np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def feature_weights(self):
        """c_g spread over the features of each group."""
        return self.group_weights[self.feature_group]

    def group_values(self, values):
        """||values_g||_2 for every group."""
        return group_norms(np.ascontiguousarray(values, dtype=float), *self.group_layout)

    def value(self, coef, alpha):
        """P(coef) at level alpha."""
        total = 0.0
        if self.eta > 0:
            total += self.eta * sorted_norm(coef, self.variable_lambdas)
        if self.eta < 1:
            total += (1 - self.eta) * sorted_norm(self.group_weights * self.group_values(coef), self.group_lambdas)
        return alpha * total

    def restrict(self, features):
        """The penalty seen by the features ``features`` (sorted) when the others are 0: the head v_1..v_|E| and
        lambda_1..lambda_m' of the weights (zeros take the last ranks), groups renumbered, c_g kept."""
        present, feature_group = np.unique(self.feature_group[features], return_inverse=True)
        return SortedGroupPenalty(self.eta, self.variable_lambdas[:features.size],
                                  self.group_lambdas[:present.size], feature_group.astype(np.int64),
                                  self.group_weights[present])


def make_penalty(eta, variable_lambdas, group_lambdas, feature_group, group_weights):
    """A checked SortedGroupPenalty."""
    eta = check_scalar_range(eta, "eta", low=0.0, high=1.0)
    n_groups = int(feature_group.max()) + 1
    group_weights = np.asarray(group_weights, dtype=float)
    if group_weights.shape != (n_groups,) or not np.all(np.isfinite(group_weights)):
        raise ValueError(f"group_weights must hold {n_groups} finite numbers")
    if np.any(group_weights <= 0):
        raise ValueError("group_weights must be positive")
    return SortedGroupPenalty(eta, check_sorted_weights(variable_lambdas, feature_group.size, "lambdas"),
                              check_sorted_weights(group_lambdas, n_groups, "group_lambdas"),
                              np.asarray(feature_group, dtype=np.int64), group_weights)


class GroupSortedL1(Penalty):
    """Unweighted Group SLOPE P(w) = alpha sum_i lambda_i ||w_g||_(i) (all c_g = 1), for the shared FISTA.

    A weighted Group SLOPE is solved in b_g = c_g w_g with the columns X_g / c_g (Brzyski et al. 2019).
    """

    def __init__(self, alpha, lambdas, group_indices, group_ptr):
        self.alpha = check_scalar_range(alpha, "alpha", low=0.0)
        self.lambdas = check_sorted_weights(lambdas, group_ptr.size - 1)
        self.group_indices, self.group_ptr = group_indices, group_ptr
        self.n_features = group_indices.size

    def _norms(self, w):
        return group_norms(np.asarray(w, dtype=float), self.group_indices, self.group_ptr)

    def _value(self, w):
        return self.alpha * sorted_norm(self._norms(w), self.lambdas)

    def _prox(self, w, step):
        return prox_group_sorted_l1(w, step, self.alpha * self.lambdas, self.group_indices, self.group_ptr)

    def _dual_norm(self, u):
        return sorted_dual_norm(self._norms(u), self.lambdas)


def datafit_conjugate(datafit, y, dual):
    """F*(u) for the unweighted datafits (F*(u) = sup_z u^T z - F(z)):

    Quadratic F(z) = 1/(2n) ||y - z||^2: F*(u) = sum_i n/2 u_i^2 + u_i y_i.
    Logistic F(z) = 1/n sum_i log(1 + exp(-y_i z_i)), y in {-1, 1}: with t_i = -n u_i y_i in [0, 1],
    F*(u) = 1/n sum_i t_i log t_i + (1 - t_i) log(1 - t_i) (+inf outside [0, 1]).
    """
    n = y.size
    if isinstance(datafit, Quadratic):
        return float(0.5 * n * dual @ dual + dual @ y)
    if isinstance(datafit, Logistic):
        t = -n * dual * y
        if np.any(t < -1e-12) or np.any(t > 1 + 1e-12):
            return np.inf
        t = np.clip(t, 0.0, 1.0)
        return float(np.sum(xlogy(t, t) + xlogy(1 - t, 1 - t)) / n)
    raise TypeError(f"no conjugate for {type(datafit).__name__}")


def null_intercept(datafit, y):
    """The intercept b minimising F(b 1): mean(y) (quadratic), log-odds of the positive labels (logistic)."""
    if isinstance(datafit, Logistic):
        share = np.clip(np.mean(y > 0), 1e-12, 1 - 1e-12)
        return float(np.log(share / (1 - share)))
    return float(np.mean(y))
