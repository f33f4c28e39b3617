"""Penalty sequences of the SLOPE family: non-increasing weights lambda_1 >= lambda_2 >= ... >= 0.

Variable level (SLOPE, the sorted-L1 part of Sparse-group SLOPE), for p features and an FDR level q:

- ``bh``: lambda_i = Phi^{-1}(1 - i q / (2p)) (Benjamini-Hochberg critical values; Bogdan et al. 2015);
- ``gaussian``: lambda_1 = lambda^BH_1, lambda_i = lambda^BH_i sqrt(1 + sum_{j<i} lambda_j^2 / max(1, n - i)),
  stopped (kept flat) where it would increase (Bogdan et al. 2015, Section 3.2);
- ``oscar``: lambda_i = theta1 + theta2 (p - i) (Bondell & Reich 2008);
- ``lasso``: lambda_i = 1.

Group level (Group SLOPE and the group part of Sparse-group SLOPE), for m groups of sizes p_g (Brzyski et al.
2019, with group weights c_g = sqrt(p_g)):

- ``max``: lambda_i = max_g sqrt(F^{-1}_{chi2(p_g)}(1 - q i / m)) / sqrt(p_g);
- ``mean``: lambda_i = Fbar^{-1}(1 - q i / m), Fbar(x) = 1/m sum_g F_{chi2(p_g)}(p_g x^2);
- ``bh``, ``oscar``, ``lasso`` as above with m in place of p.

A user-given array is checked (length, non-negative, non-increasing) and used as it is.
"""
import numpy as np
from scipy import optimize, special, stats

from sparseopt.validation import check_scalar_range, check_sorted_weights

VARIABLE_KINDS = ("bh", "gaussian", "oscar", "lasso")
GROUP_KINDS = ("mean", "max", "bh", "oscar", "lasso")


def bh_lambdas(n_features, q=0.1):
    """lambda_i = Phi^{-1}(1 - i q / (2p)) = -Phi^{-1}(i q / (2p)), i = 1..p (``special.ndtri`` is Phi^{-1}; the
    value of ``stats.norm.isf`` without its argument handling, which cost 0.3 ms per call)."""
    ranks = np.arange(1, n_features + 1)
    return -special.ndtri(ranks * q / (2 * n_features))


def gaussian_lambdas(n_features, n_samples, q=0.1):
    """BH sequence corrected for the Gaussian design: lambda_i = lambda^BH_i sqrt(1 + sum_{j<i} lambda_j^2 /
    max(1, n - i)) with the corrected lambda_j, kept constant from the first index where it would increase."""
    bh = bh_lambdas(n_features, q)
    lambdas = bh.copy()
    squares = bh[0] ** 2
    for i in range(1, n_features):  # 0-based i is the 1-based rank i + 1
        candidate = bh[i] * np.sqrt(1.0 + squares / max(1, n_samples - (i + 1)))
        if candidate > lambdas[i - 1]:
            lambdas[i:] = lambdas[i - 1]
            break
        lambdas[i] = candidate
        squares += candidate ** 2
    return lambdas


def oscar_lambdas(n_features, theta1=1.0, theta2=0.5):
    """lambda_i = theta1 + theta2 (p - i), the OSCAR penalty written as a sorted-L1 norm."""
    return theta1 + theta2 * (n_features - np.arange(1, n_features + 1))


def group_max_lambdas(group_sizes, q=0.1):
    """gMax: lambda_i = max_g sqrt(F^{-1}_{chi2(p_g)}(1 - q i / m)) / sqrt(p_g)."""
    sizes = np.asarray(group_sizes, dtype=float)
    levels = 1.0 - q * np.arange(1, sizes.size + 1) / sizes.size
    return np.max(np.sqrt(stats.chi2.ppf(levels[:, None], sizes[None, :])) / np.sqrt(sizes), axis=1)


def group_mean_lambdas(group_sizes, q=0.1):
    """gMean: lambda_i = Fbar^{-1}(1 - q i / m) with Fbar(x) = 1/m sum_g F_{chi2(p_g)}(p_g x^2), by root finding
    (Fbar increases from 0 to 1). The last value may be 0 (level 0)."""
    sizes = np.asarray(group_sizes, dtype=float)
    levels = 1.0 - q * np.arange(1, sizes.size + 1) / sizes.size
    lambdas = np.zeros(sizes.size)
    upper = 1.0
    for i, level in enumerate(levels):
        if level <= 0.0:
            break

        def excess(x, level=level):  # chi2(k) cdf at t is the regularized gamma P(k/2, t/2)
            return np.mean(special.gammainc(sizes / 2, sizes * x * x / 2)) - level

        while excess(upper) < 0:
            upper *= 2.0
        lambdas[i] = optimize.brentq(excess, 0.0, upper, xtol=1e-14, rtol=1e-13)
    return np.minimum.accumulate(lambdas)


def resolve_lambdas(spec, length, *, q=0.1, theta1=1.0, theta2=0.5, n_samples=None, group_sizes=None,
                    name="lambdas"):
    """A weight vector of the given length from a sequence name (see the module docstring) or an array.

    ``group_sizes`` is given for a group sequence (then ``mean`` and ``max`` are allowed); ``n_samples`` for
    ``gaussian``.
    """
    if not isinstance(spec, str):
        return check_sorted_weights(spec, length, name)
    kinds = GROUP_KINDS if group_sizes is not None else VARIABLE_KINDS
    if spec not in kinds:
        raise ValueError(f"{name} must be one of {kinds} or an array; got {spec!r}")
    if spec in ("bh", "gaussian", "mean", "max"):
        check_scalar_range(q, "q", low=0.0, high=1.0, low_open=True, high_open=True)
    if spec == "bh":
        return bh_lambdas(length, q)
    if spec == "gaussian":
        return gaussian_lambdas(length, n_samples, q)
    if spec == "oscar":
        check_scalar_range(theta1, "theta1", low=0.0)
        check_scalar_range(theta2, "theta2", low=0.0)
        return oscar_lambdas(length, theta1, theta2)
    if spec == "lasso":
        return np.ones(length)
    return (group_mean_lambdas if spec == "mean" else group_max_lambdas)(group_sizes, q)
