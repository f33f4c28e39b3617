"""Strong screening rules and KKT checks of the SLOPE family, for the step alpha_prev -> alpha_new of a path.

``grad`` is the full gradient X^T u at the solution of alpha_prev (u = dF/dz). All rules use the unit-slope
bound of the strong rule: |grad_j(alpha_new) - grad_j(alpha_prev)| <= (alpha_prev - alpha_new) times the
weight at the rank of j. With the scan of ``strong_set`` (Larsson, Bogdan & Wallin 2020, Algorithm 1) on
c_i = |g|_(i) + alpha_prev w_i - 2 alpha_new w_i, the kept set is the top k entries of |g|:

- SLOPE (Larsson et al. 2020): g = grad, w = v.
- Group SLOPE (Feser & Evangelou 2025): g_g = ||grad_g|| / c_g over the groups, w = lambda.
- Sparse-group SLOPE (Feser & Evangelou 2025), group layer then variable layer:
  g_g = ||S(grad_g, alpha_new eta v_r(j))|| / c_g (entrywise soft thresholding of each feature by the v weight
  at the rank r(j) of |grad_j|), w = (1 - eta) lambda; then inside the kept groups, g = grad, w = eta v.
  (The sgs package thresholds at alpha_prev; the KKT condition at alpha_new thresholds at alpha_new, and so does
  this rule: it keeps more groups and meets fewer violations.)

The screened set is the strong set together with the previous active set. After the fit on it, ``violations``
checks the KKT conditions on every feature; violators join the set and the fit is repeated, so that screening
never changes the solution.
"""
import numpy as np

from numba_kernels.slope import strong_set_size


def strong_set(values, weights_prev, weights_new):
    """Indices kept by the strong rule for ``values`` (non-negative) and the two weight sequences."""
    order = np.argsort(-values, kind="stable")
    shifted = values[order] + weights_prev[:values.size] - 2.0 * weights_new[:values.size]
    return np.sort(order[:strong_set_size(np.ascontiguousarray(shifted))])


def _ranked_soft_threshold(grad, thresholds):
    """S(grad_j, thresholds_r(j)), r(j) the rank of |grad_j| in decreasing order."""
    ranks = np.empty(grad.size, dtype=np.int64)
    ranks[np.argsort(-np.abs(grad), kind="stable")] = np.arange(grad.size)
    return np.sign(grad) * np.maximum(np.abs(grad) - thresholds[ranks], 0.0)


def screened_features(penalty, grad, alpha_prev, alpha_new, active):
    """The features kept for the fit at alpha_new: the strong set united with ``active`` (a boolean mask)."""
    eta = penalty.eta
    if eta == 1:
        kept = np.zeros(grad.size, dtype=bool)
        kept[strong_set(np.abs(grad), alpha_prev * penalty.variable_lambdas, alpha_new * penalty.variable_lambdas)] = 1
        return kept | active
    if eta == 0:
        scores = penalty.group_values(grad) / penalty.group_weights
    else:
        scores = penalty.group_values(_ranked_soft_threshold(grad, alpha_new * eta * penalty.variable_lambdas))
        scores /= penalty.group_weights
    group_lambdas = (1 - eta) * penalty.group_lambdas
    kept_groups = strong_set(scores, alpha_prev * group_lambdas, alpha_new * group_lambdas)
    kept = np.isin(penalty.feature_group, kept_groups)
    if eta > 0:
        candidates = np.flatnonzero(kept)
        variable_lambdas = eta * penalty.variable_lambdas
        kept[:] = False
        kept[candidates[strong_set(np.abs(grad[candidates]), alpha_prev * variable_lambdas,
                                   alpha_new * variable_lambdas)]] = True
    return kept | active


def _flagged(values, tail_weights):
    """Positions (into ``values``) of the top k entries, k the last prefix where sum(|values|_(i) - w_i) > 0:
    the entries that break the dual-ball condition J*_w(values) <= 1 of the zero block."""
    order = np.argsort(-values, kind="stable")
    excess = np.cumsum(values[order] - tail_weights[:values.size])
    positive = np.flatnonzero(excess > 0)
    return order[:positive[-1] + 1] if positive.size else order[:0]


def kkt_flags(penalty, alpha, coef, grad):
    """Features whose zero value breaks the KKT conditions at coef (a boolean mask over all features).

    The zero block of a sorted norm takes the last ranks, so it must satisfy the dual-ball condition with the tail
    weights: SLOPE, |grad| of the zero features against alpha v_{s+1..} (s non-zeros); Group SLOPE, ||grad_g|| / c_g
    of the zero groups against alpha lambda_{s_g+1..}; Sparse-group SLOPE, the soft-thresholded group scores of
    the zero groups against alpha (1 - eta) lambda_{s_g+1..}, then |grad| of the zero features in the non-zero or
    flagged groups against alpha eta v_{s+1..}.
    """
    eta = penalty.eta
    flags = np.zeros(coef.size, dtype=bool)
    zero = np.flatnonzero(coef == 0)
    if eta < 1:
        group_active = penalty.group_values(coef) > 0
        zero_groups = np.flatnonzero(~group_active)
        variable_weights = alpha * eta * penalty.variable_lambdas
        scores = grad if eta == 0 else _ranked_soft_threshold(grad, variable_weights)
        scores = penalty.group_values(scores)[zero_groups] / penalty.group_weights[zero_groups]
        tail = alpha * (1 - eta) * penalty.group_lambdas[np.count_nonzero(group_active):]
        flagged_groups = zero_groups[_flagged(scores, tail)]
        flags[np.isin(penalty.feature_group, flagged_groups)] = True
        if eta == 0:
            return flags
        considered = group_active.copy()
        considered[flagged_groups] = True
        zero = zero[considered[penalty.feature_group[zero]]]
        flags[:] = False
    tail = alpha * eta * penalty.variable_lambdas[coef.size - np.count_nonzero(coef == 0):]
    flags[zero[_flagged(np.abs(grad[zero]), tail)]] = True
    return flags
