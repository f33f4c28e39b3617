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

The screened set is the strong set together with the previous active set. After the fit on it, ``kkt_flags``
checks the KKT conditions on every feature; violators join the set and the fit is repeated, so that screening
never changes the solution. For SLOPE and Group SLOPE that check is exact (the zero block's dual-ball condition
with the tail weights). For Sparse-group SLOPE it is the heuristic of Feser & Evangelou (soft thresholding by the
variable weights, then the group condition) and can pass while features are missing, so the path ends each point
on the duality gap of the whole problem, with the dual split of ``sparse_group_split``.
"""
import numpy as np

from numba_kernels.slope import dual_ball_violators, strong_set_size


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
        flagged_groups = zero_groups[dual_ball_violators(scores, tail)]
        flags[np.isin(penalty.feature_group, flagged_groups)] = True
        if eta == 0:
            return flags
        considered = group_active.copy()
        considered[flagged_groups] = True
        zero = zero[considered[penalty.feature_group[zero]]]
        flags[:] = False
    tail = alpha * eta * penalty.variable_lambdas[coef.size - np.count_nonzero(coef == 0):]
    flags[zero[dual_ball_violators(np.abs(grad[zero]), tail)]] = True
    return flags


def sparse_group_split(penalty, alpha, coef, grad, fitted_dual):
    """A dual split -grad = t + C s of the whole Sparse-group SLOPE problem at coef (zero outside the fitted
    features), for the duality-gap certificate of a screened fit, and the features that break it.

    The fit gives s on its features (``fitted_dual``, 0 elsewhere). Zero features of non-zero groups keep
    s_j = 0 (the group subgradient w_g / ||w_g|| vanishes there), so t_j = -grad_j. In the zero groups, each
    feature gives t as much as the zero block of the sorted-L1 subdifferential allows at its rank:
    t_j = sign(z_j) min(|z_j|, alpha eta v_{s + r(j)}), z = -grad, s the number of non-zeros and r(j) the rank of j
    among the zero features (by |z_j|, or |t_j| in non-zero groups); the rest goes to the group,
    s_g = (z_g - t_g) / c_g. The split is dual feasible (so the gap of ``solvers.relative_gap`` is a certificate)
    when the zero block satisfies the two tail conditions: sum_{i<=k} |t|_(i) <= alpha eta sum_{i<=k} v_{s+i} over
    the zero features, and sum_{i<=k} ||s||_(i) <= alpha (1 - eta) sum_{i<=k} lambda_{s_g+i} over the zero groups
    (s_g non-zero groups). Features in a violating prefix (zero features of the first condition; features with
    s_j != 0 of the flagged zero groups) are returned as flags. Returns (s, flags)."""
    eta = penalty.eta
    weights = penalty.feature_weights()
    z = -grad
    group_active = penalty.group_values(coef) > 0
    in_zero_group = ~group_active[penalty.feature_group]
    dual = np.where(in_zero_group, 0.0, fitted_dual)
    t = z - weights * dual
    zero = np.flatnonzero(coef == 0)
    n_nonzero = coef.size - zero.size
    tail = alpha * eta * penalty.variable_lambdas[n_nonzero:]
    free = in_zero_group[zero]
    key = np.where(free, np.abs(z[zero]), np.abs(t[zero]))
    thresholds = np.empty(zero.size)
    thresholds[np.argsort(-key, kind="stable")] = tail
    features = zero[free]
    t[features] = np.sign(z[features]) * np.minimum(np.abs(z[features]), thresholds[free])
    dual[features] = (z[features] - t[features]) / weights[features]
    flags = np.zeros(coef.size, dtype=bool)
    flags[zero[dual_ball_violators(np.abs(t[zero]), tail)]] = True
    zero_groups = np.flatnonzero(~group_active)
    group_tail = alpha * (1 - eta) * penalty.group_lambdas[np.count_nonzero(group_active):]
    flagged_groups = zero_groups[dual_ball_violators(penalty.group_values(dual)[zero_groups], group_tail)]
    flags |= np.isin(penalty.feature_group, flagged_groups) & (dual != 0)
    return dual, flags
