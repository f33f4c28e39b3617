"""Proximal operators and thresholding rules shared by every sparseopt solver.

Convention: for a penalty P and a step eta > 0,

    prox_{eta P}(z) = argmin_x 1/2 ||x - z||^2 + eta P(x).

Scalar rules (``*_threshold``) take one coordinate and are what coordinate descent calls inside its compiled
loops; vector operators (``prox_*``, ``project_*``) take a 1-D array and return a new one. Ties at a threshold
(where two minimizers exist) are resolved towards 0. The nonconvex rules are proximal only under a step
condition (stated in each docstring); outside it they raise ``ValueError``. Array arguments of mismatched
lengths raise ``ValueError`` (compiled code does not check bounds); values are not checked for NaN here:
``sparseopt`` validates its inputs before they reach a kernel.
"""
import math

import numpy as np
from numba import njit


@njit(cache=True)
def _check_same_length(array, reference, message):
    """Raise ValueError(message) unless the two 1-D arrays have the same length."""
    if array.shape[0] != reference.shape[0]:
        raise ValueError(message)


@njit(cache=True)
def soft_threshold(z, threshold):
    """Soft thresholding, the prox of threshold * |x|: sign(z) * max(|z| - threshold, 0)."""
    if z > threshold:
        return z - threshold
    if z < -threshold:
        return z + threshold
    return 0.0


@njit(cache=True)
def elastic_net_threshold(z, step, alpha, l1_ratio):
    """Prox of eta * alpha * (l1_ratio |x| + (1 - l1_ratio)/2 x^2) at z.

    Equals soft_threshold(z, eta alpha l1_ratio) / (1 + eta alpha (1 - l1_ratio)).
    """
    return soft_threshold(z, step * alpha * l1_ratio) / (1.0 + step * alpha * (1.0 - l1_ratio))


@njit(cache=True)
def hard_threshold(z, step, lambda0):
    """Prox of eta * lambda0 * 1[x != 0] (the L0 penalty): z if |z| > sqrt(2 eta lambda0), else 0."""
    if abs(z) > math.sqrt(2.0 * step * lambda0):
        return z
    return 0.0


@njit(cache=True)
def l0l2_threshold(z, step, lambda0, lambda2):
    """Prox of eta * (lambda0 1[x != 0] + lambda2 x^2) (Hazimeh & Mazumder 2020).

    With c = 1 + 2 eta lambda2: z / c if |z| > sqrt(2 eta lambda0 c), else 0.
    """
    shrink = 1.0 + 2.0 * step * lambda2
    if abs(z) > math.sqrt(2.0 * step * lambda0 * shrink):
        return z / shrink
    return 0.0


@njit(cache=True)
def l0l1_threshold(z, step, lambda0, lambda1):
    """Prox of eta * (lambda0 1[x != 0] + lambda1 |x|) (Hazimeh & Mazumder 2020).

    sign(z) (|z| - eta lambda1) if |z| - eta lambda1 > sqrt(2 eta lambda0), else 0.
    """
    excess = abs(z) - step * lambda1
    if excess > math.sqrt(2.0 * step * lambda0):
        return math.copysign(excess, z)
    return 0.0


@njit(cache=True)
def mcp_threshold(z, step, alpha, gamma):
    """Firm thresholding, the prox of eta * MCP(alpha, gamma) (Zhang 2010); requires gamma > eta.

    MCP(x) = alpha |x| - x^2 / (2 gamma) if |x| <= gamma alpha, else gamma alpha^2 / 2.
    prox(z) = 0 if |z| <= eta alpha; sign(z)(|z| - eta alpha) / (1 - eta/gamma) if |z| <= gamma alpha; z beyond.
    """
    if not gamma > step:
        raise ValueError("MCP prox needs gamma > step")
    if abs(z) <= step * alpha:
        return 0.0
    if abs(z) <= gamma * alpha:
        return soft_threshold(z, step * alpha) / (1.0 - step / gamma)
    return z


@njit(cache=True)
def scad_threshold(z, step, alpha, a):
    """Prox of eta * SCAD(alpha, a) (Fan & Li 2001); requires a > 1 + eta.

    SCAD(x) = alpha |x| if |x| <= alpha; (2 a alpha |x| - x^2 - alpha^2) / (2 (a - 1)) if |x| <= a alpha;
    alpha^2 (a + 1) / 2 beyond.
    prox(z) = soft(z, eta alpha) if |z| <= alpha (1 + eta); ((a - 1) z - sign(z) a eta alpha) / (a - 1 - eta)
    if |z| <= a alpha; z beyond.
    """
    if not a > 1.0 + step:
        raise ValueError("SCAD prox needs a > 1 + step")
    if abs(z) <= alpha * (1.0 + step):
        return soft_threshold(z, step * alpha)
    if abs(z) <= a * alpha:
        return ((a - 1.0) * z - math.copysign(a * step * alpha, z)) / (a - 1.0 - step)
    return z


@njit(cache=True)
def cel0_threshold(z, step, lambda0, column_norm):
    """Prox of eta * CEL0(lambda0; a) (Soubies, Blanc-Feraud & Aubert 2015); requires a^2 eta < 1.

    CEL0(x) = lambda0 - a^2/2 (|x| - sqrt(2 lambda0)/a)^2 1[|x| <= sqrt(2 lambda0)/a], with a = ||A_j||.
    It is MCP with alpha = a sqrt(2 lambda0) and gamma = 1/a^2, so the prox is
    sign(z) min(|z|, (|z| - a sqrt(2 lambda0) eta)_+ / (1 - a^2 eta)).
    """
    if not column_norm * column_norm * step < 1.0:
        raise ValueError("CEL0 prox needs column_norm**2 * step < 1")
    return mcp_threshold(z, step, column_norm * math.sqrt(2.0 * lambda0), 1.0 / (column_norm * column_norm))


@njit(cache=True)
def prox_l1(v, step, alpha):
    """Prox of eta * alpha ||x||_1: entrywise soft thresholding at eta * alpha."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = soft_threshold(v[j], step * alpha)
    return out


@njit(cache=True)
def prox_weighted_l1(v, step, alpha, weights):
    """Prox of eta * alpha sum_j weights_j |x_j|: soft thresholding at eta * alpha * weights_j (weight 0: identity)."""
    _check_same_length(weights, v, "weights must have the length of v")
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = soft_threshold(v[j], step * alpha * weights[j])
    return out


@njit(cache=True)
def prox_elastic_net(v, step, alpha, l1_ratio):
    """Prox of eta * alpha (l1_ratio ||x||_1 + (1 - l1_ratio)/2 ||x||^2), entrywise."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = elastic_net_threshold(v[j], step, alpha, l1_ratio)
    return out


@njit(cache=True)
def group_soft_threshold(block, threshold):
    """Block soft thresholding, the prox of threshold * ||x||_2 on one block: max(1 - threshold / ||v||, 0) v."""
    scale = group_shrink_factor(math.sqrt(np.sum(block * block)), threshold)
    if scale == 0.0:
        return np.zeros_like(block)
    return block * block.dtype.type(scale)


@njit(cache=True, inline="always")
def group_shrink_factor(norm, threshold):
    """The factor max(1 - threshold / ||v||, 0) of block soft thresholding, from ||v|| (0 when ||v|| <= threshold),
    for kernels that apply it in place without building the block."""
    if norm <= threshold:
        return 0.0
    return 1.0 - threshold / norm


@njit(cache=True)
def prox_group_l2(v, step, alpha, group_indices, group_ptr, group_weights):
    """Prox of eta * alpha sum_g c_g ||x_g||_2: block soft thresholding of each group at eta alpha c_g.

    Group g holds the features group_indices[group_ptr[g]:group_ptr[g + 1]]; c_g = group_weights[g].
    """
    _check_same_length(group_indices, v, "group_indices must have the length of v")
    _check_same_length(group_ptr[1:], group_weights, "group_weights must have one entry per group")
    out = np.empty_like(v)
    for g in range(group_ptr.shape[0] - 1):
        members = group_indices[group_ptr[g]:group_ptr[g + 1]]
        out[members] = group_soft_threshold(v[members], step * alpha * group_weights[g])
    return out


@njit(cache=True)
def isotonic_nonincreasing(y):
    """Least-squares non-increasing fit of y: argmin_x ||x - y||^2 s.t. x_1 >= x_2 >= ... >= x_p.

    Pool-adjacent-violators with a stack of blocks, O(p): each new entry opens a block, and while the block
    below has a mean not larger than the top one the two are merged (Barlow et al. 1972; Bogdan et al. 2015, Alg. 4).
    """
    p = y.shape[0]
    block_start = np.empty(p, dtype=np.int64)
    block_sum = np.empty(p, dtype=np.float64)
    block_size = np.empty(p, dtype=np.int64)
    n_blocks = 0
    for i in range(p):
        block_start[n_blocks] = i
        block_sum[n_blocks] = y[i]
        block_size[n_blocks] = 1
        n_blocks += 1
        while (n_blocks > 1 and block_sum[n_blocks - 2] * block_size[n_blocks - 1]
               <= block_sum[n_blocks - 1] * block_size[n_blocks - 2]):
            block_sum[n_blocks - 2] += block_sum[n_blocks - 1]
            block_size[n_blocks - 2] += block_size[n_blocks - 1]
            n_blocks -= 1
    fit = np.empty_like(y)
    for b in range(n_blocks):
        mean = block_sum[b] / block_size[b]
        for i in range(block_start[b], block_start[b] + block_size[b]):
            fit[i] = mean
    return fit


@njit(cache=True)
def prox_sorted_l1(v, step, lambdas):
    """Prox of eta * J_lambda, the sorted-L1 (SLOPE / OWL) norm J_lambda(x) = sum_i lambda_i |x|_(i).

    lambda is non-increasing and non-negative, |x|_(1) >= |x|_(2) >= ... . The prox sorts |v| decreasingly,
    takes the non-increasing isotonic fit of |v|_sorted - eta lambda, clips it at 0, and undoes the sort and
    the signs (Bogdan et al. 2015, Alg. 3-4): O(p log p).
    """
    _check_same_length(lambdas, v, "lambdas must have the length of v")
    order = np.argsort(-np.abs(v))
    shifted = np.abs(v)[order] - step * lambdas
    fit = isotonic_nonincreasing(shifted)
    out = np.empty_like(v)
    for rank in range(v.shape[0]):
        j = order[rank]
        out[j] = math.copysign(max(fit[rank], 0.0), v[j])
    return out


@njit(cache=True)
def prox_l0(v, step, lambda0):
    """Prox of eta * lambda0 ||x||_0: entrywise hard thresholding at sqrt(2 eta lambda0)."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = hard_threshold(v[j], step, lambda0)
    return out


@njit(cache=True)
def prox_l0l2(v, step, lambda0, lambda2):
    """Prox of eta * (lambda0 ||x||_0 + lambda2 ||x||_2^2), entrywise (see l0l2_threshold)."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = l0l2_threshold(v[j], step, lambda0, lambda2)
    return out


@njit(cache=True)
def prox_l0l1(v, step, lambda0, lambda1):
    """Prox of eta * (lambda0 ||x||_0 + lambda1 ||x||_1), entrywise (see l0l1_threshold)."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = l0l1_threshold(v[j], step, lambda0, lambda1)
    return out


@njit(cache=True)
def prox_mcp(v, step, alpha, gamma):
    """Prox of eta * sum_j MCP(x_j; alpha, gamma), entrywise firm thresholding; requires gamma > eta."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = mcp_threshold(v[j], step, alpha, gamma)
    return out


@njit(cache=True)
def prox_scad(v, step, alpha, a):
    """Prox of eta * sum_j SCAD(x_j; alpha, a), entrywise; requires a > 1 + eta."""
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = scad_threshold(v[j], step, alpha, a)
    return out


@njit(cache=True)
def prox_cel0(v, step, lambda0, column_norms):
    """Prox of eta * sum_j CEL0(x_j; lambda0, a_j) with a_j = column_norms[j]; requires a_j^2 eta < 1."""
    _check_same_length(column_norms, v, "column_norms must have the length of v")
    out = np.empty_like(v)
    for j in range(v.shape[0]):
        out[j] = cel0_threshold(v[j], step, lambda0, column_norms[j])
    return out


@njit(cache=True)
def project_box(v, lower, upper):
    """Euclidean projection on the box {x : lower <= x <= upper} (entrywise clipping; lower may be 0, -inf)."""
    return np.minimum(np.maximum(v, lower), upper)


@njit(cache=True)
def project_nonnegative(v):
    """Euclidean projection on the non-negative orthant: max(v, 0)."""
    return np.maximum(v, 0.0)


@njit(cache=True)
def project_simplex(v, radius):
    """Euclidean projection on the simplex {x >= 0, sum_j x_j = radius}, radius > 0.

    Sort v decreasingly into u, find the largest k with u_k - (sum_{i<=k} u_i - radius)/k > 0, set
    theta = (sum_{i<=k} u_i - radius)/k and return max(v - theta, 0) (Held et al. 1974; Duchi et al. 2008).
    """
    if not radius > 0.0:
        raise ValueError("simplex projection needs radius > 0")
    sorted_desc = np.sort(v)[::-1]
    cumulative = 0.0
    theta = 0.0
    for k in range(v.shape[0]):
        cumulative += sorted_desc[k]
        candidate = (cumulative - radius) / (k + 1)
        if sorted_desc[k] - candidate > 0.0:
            theta = candidate
    return np.maximum(v - theta, 0.0)
