"""Kernels of entropic optimal transport: log-domain Sinkhorn half-steps, the plan and its marginals, a
Sinkhorn sweep on a plan in memory, the plan's histogram and its kept (sparsified) entries, the kept entries
moved along a Newton direction, and the conjugate-gradient solve of the sparse Newton system.

Notation. a (n,), b (m,) positive weights of equal mass, C (n, m) ground cost, reg > 0. Potentials f (n,),
g (m,) define the plan

    P_ij = exp((f_i + g_j - C_ij) / reg),

and the concave dual (Lyapunov) function

    D(f, g) = <a, f> + <b, g> - reg sum_ij P_ij + reg sum_i a_i,

whose gradient is the marginal violation (a - P 1, b - P^T 1) and whose Hessian is
-(1/reg) [[diag(P 1), P], [P^T, diag(P^T 1)]]. Sinkhorn maximises D exactly in g, then in f. In the
log-sum-exp half-steps every exponential is taken of a number <= 0 after subtracting a maximum, so they never
overflow for any reg > 0; the plan kernels use a vectorisable exp (``_exp``) whose argument is clamped to
[-708, 709]. Float64 only. Every kernel goes over rows of a C-contiguous matrix (the column update takes M^T
stored C-contiguous), split over threads that each own their output entries.
"""
import math

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

_BLOCK = 64  # columns that one thread handles at a time in the column-wise kernels
# Terms exp(v - max) with v - max < -_NEGLIGIBLE add less than 2e-22 each to a sum that holds 1: they are
# skipped, which also avoids libm's slow path for subnormal results (below exp(-708)).
_NEGLIGIBLE = 50.0
_ROW_CHUNKS = 32  # chunks of rows, each with its own column sums or histogram, in the plan kernels
HISTOGRAM_BINS = 2048  # binary exponents of float64: bin k holds [2^(k - 1023), 2^(k - 1022)), bin 0 also 0

# exp(x) = 2^k exp(r), k = round(x / log 2), r = x - k log 2 with log 2 split in a part whose products with
# |k| <= 1024 are exact and a small remainder (Cody and Waite), |r| <= log(2) / 2; exp(r) by its Taylor
# polynomial of degree 13 (remainder below 5e-18 relative), 2^k written straight into the exponent bits.
_LOG2_E = 1.4426950408889634
_LOG_2_HIGH = 6.93147180369123816490e-01
_LOG_2_LOW = 1.90821492927058770002e-10
_EXP_TAYLOR = tuple(1.0 / math.factorial(power) for power in range(14))
# The kernels that call _exp let LLVM fuse its multiply-adds (no other fast-math licence: no reassociation,
# which would undo the Cody-Waite reduction)
_FMA = {"contract"}


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@intrinsic
def _bits_from_float(typingctx, value):
    """The IEEE-754 bit pattern of the float64 ``value``, as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@njit(cache=True, inline="always")
def _exp(x):
    """exp(x) for x in [-708, 709] (x is clamped to that range) within about 1 ulp, in plain arithmetic and
    bit operations, so that LLVM vectorises the loops that call it (libm's exp is a scalar call)."""
    x = min(max(x, -708.0), 709.0)
    k = math.floor(x * _LOG2_E + 0.5)
    r = (x - k * _LOG_2_HIGH) - k * _LOG_2_LOW
    c = _EXP_TAYLOR
    p = c[13]
    p = p * r + c[12]
    p = p * r + c[11]
    p = p * r + c[10]
    p = p * r + c[9]
    p = p * r + c[8]
    p = p * r + c[7]
    p = p * r + c[6]
    p = p * r + c[5]
    p = p * r + c[4]
    p = p * r + c[3]
    p = p * r + c[2]
    p = p * r + 1.0
    p = p * r + 1.0
    return p * _float_from_bits((np.int64(np.int32(k)) + 1023) << 52)


@njit(cache=True, inline="always")
def _row_sum(row):
    """sum(row) with four interleaved accumulators (independent additions, no reassociation flag needed)."""
    m = row.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    for j in range(0, m - 3, 4):
        s0 += row[j]
        s1 += row[j + 1]
        s2 += row[j + 2]
        s3 += row[j + 3]
    for j in range(m - m % 4, m):
        s0 += row[j]
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, fastmath=_FMA)
def exp_array(x, out):
    """out = exp(x) elementwise by the vectorisable exponential of the plan kernels (x clamped to
    [-708, 709]); for tests."""
    for index in range(x.shape[0]):
        out[index] = _exp(x[index])


@njit(cache=True, parallel=True)
def update_potential(other, C, reg, log_w, w, current, out):
    """out_i = reg log w_i - reg LSE_j((other_j - C_ij) / reg), the exact maximiser of D in the potential of
    the rows of C given the potential ``other`` of its columns; parallel over rows.

    LSE(v) = max(v) + log sum exp(v - max(v)). Called with (g, M, a) it is Sinkhorn's f-update, after which
    P 1 = a; with (f, M^T, b) (M^T stored C-contiguous) the g-update. Returns, for free, the L1 error of the
    marginal w of the plan before the update, whose potential was ``current``:
    sum_i |(P 1)_i - w_i| = sum_i w_i |expm1((current_i - out_i) / reg)|.
    """
    n, m = C.shape
    if other.shape[0] != m or log_w.shape[0] != n or w.shape[0] != n or current.shape[0] != n \
            or out.shape[0] != n:
        raise ValueError("update_potential: lengths of other, log_w, w, current, out must match C's shape")
    inv_reg = 1.0 / reg
    errors = np.empty(n)
    for i in prange(n):
        largest = -np.inf
        for j in range(m):
            largest = max(largest, other[j] - C[i, j])
        total = 0.0
        for j in range(m):
            exponent = (other[j] - C[i, j] - largest) * inv_reg
            if exponent > -_NEGLIGIBLE:
                total += math.exp(exponent)
        out[i] = reg * log_w[i] - largest - reg * math.log(total)
        errors[i] = w[i] * abs(math.expm1((current[i] - out[i]) * inv_reg))
    return errors.sum()


@njit(cache=True, parallel=True, fastmath=_FMA)
def plan_and_marginals(f, g, C, reg, P):
    """Write P_ij = exp((f_i + g_j - C_ij) / reg) into P (0 below exp(-708), the subnormal range; exponents
    above 709 are taken as 709) and return its row sums P 1 and column sums P^T 1, in one pass over C.

    Chunks of rows are split over threads; each row is exponentiated (vectorised), then summed and added to its
    chunk's column sums while it is in cache; the chunks' column sums are added at the end.
    """
    n, m = C.shape
    if f.shape[0] != n or g.shape[0] != m or P.shape[0] != n or P.shape[1] != m:
        raise ValueError("plan_and_marginals: shapes of f, g, P must match C's")
    inv_reg = 1.0 / reg
    row_sums = np.empty(n)
    n_chunks = min(n, _ROW_CHUNKS)
    chunk_col_sums = np.zeros((n_chunks, m))
    for chunk in prange(n_chunks):
        col_sums = chunk_col_sums[chunk]
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            row, f_i = P[i], f[i]
            for j in range(m):
                exponent = (f_i + g[j] - C[i, j]) * inv_reg
                row[j] = _exp(exponent) if exponent > -708.0 else 0.0
            for j in range(m):
                col_sums[j] += row[j]
            row_sums[i] = _row_sum(row)
    return row_sums, chunk_col_sums.sum(axis=0)


@njit(cache=True, parallel=True)
def sinkhorn_sweep_on_plan(P, row_sums, a, b, reg, f, g):
    """One Sinkhorn iteration on a plan P = exp((f + g - C) / reg) held in memory, in place and without an
    exponential: u = a / row_sums, P <- diag(u) P, v = b / (P^T 1), P <- P diag(v), f += reg log u,
    g += reg log v (exact maximisations of the dual in f, then in g). A row or column with a zero or non-finite
    sum is left unscaled. Returns the row and column sums of the new P. Two passes over P, chunks of rows in
    parallel, each with its own column sums."""
    n, m = P.shape
    if row_sums.shape[0] != n or a.shape[0] != n or f.shape[0] != n or b.shape[0] != m or g.shape[0] != m:
        raise ValueError("sinkhorn_sweep_on_plan: lengths of row_sums, a, f, b, g must match P's shape")
    u = np.ones(n)
    for i in range(n):
        if row_sums[i] > 0.0 and row_sums[i] < np.inf:
            u[i] = a[i] / row_sums[i]
    n_chunks = min(n, _ROW_CHUNKS)
    chunk_col_sums = np.zeros((n_chunks, m))
    for chunk in prange(n_chunks):
        col_sums = chunk_col_sums[chunk]
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            row, scale = P[i], u[i]
            for j in range(m):
                row[j] *= scale
                col_sums[j] += row[j]
    scaled_col_sums = chunk_col_sums.sum(axis=0)
    v = np.ones(m)
    for j in range(m):
        if scaled_col_sums[j] > 0.0 and scaled_col_sums[j] < np.inf:
            v[j] = b[j] / scaled_col_sums[j]
    new_row_sums = np.empty(n)
    chunk_col_sums[:] = 0.0
    for chunk in prange(n_chunks):
        col_sums = chunk_col_sums[chunk]
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            row = P[i]
            for j in range(m):
                row[j] *= v[j]
                col_sums[j] += row[j]
            new_row_sums[i] = _row_sum(row)
    for i in range(n):
        f[i] += reg * math.log(u[i])
    for j in range(m):
        g[j] += reg * math.log(v[j])
    return new_row_sums, chunk_col_sums.sum(axis=0)


@njit(cache=True, parallel=True)
def plan_histogram(P):
    """Count and mass of the entries of P >= 0 by binary exponent: bin k (0 <= k < ``HISTOGRAM_BINS``) holds
    the entries in [2^(k - 1023), 2^(k - 1022)), bin 0 also the zeros and subnormals. Chunks of rows in
    parallel, each with its own histogram."""
    n, m = P.shape
    n_chunks = min(n, _ROW_CHUNKS)
    chunk_counts = np.zeros((n_chunks, HISTOGRAM_BINS), dtype=np.int64)
    chunk_masses = np.zeros((n_chunks, HISTOGRAM_BINS))
    for chunk in prange(n_chunks):
        counts, masses = chunk_counts[chunk], chunk_masses[chunk]
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            for j in range(m):
                position = (_bits_from_float(P[i, j]) >> 52) & 2047
                counts[position] += 1
                masses[position] += P[i, j]
    return chunk_counts.sum(axis=0), chunk_masses.sum(axis=0)


def histogram_bin_floor(position):
    """The lower end of bin ``position`` of ``plan_histogram`` (0 for bin 0, which holds the zeros)."""
    return math.ldexp(1.0, int(position) - 1023) if position > 0 else 0.0


@njit(cache=True, parallel=True)
def entries_at_least(P, threshold):
    """The entries P_ij >= threshold as a CSR matrix (indptr, indices, data); parallel over rows."""
    n, m = P.shape
    counts = np.zeros(n + 1, dtype=np.int64)
    for i in prange(n):
        count = 0
        for j in range(m):
            if P[i, j] >= threshold:
                count += 1
        counts[i + 1] = count
    indptr = np.cumsum(counts)
    indices = np.empty(indptr[n], dtype=np.int64)
    data = np.empty(indptr[n])
    for i in prange(n):
        position = indptr[i]
        for j in range(m):
            if P[i, j] >= threshold:
                indices[position] = j
                data[position] = P[i, j]
                position += 1
    return indptr, indices, data


@njit(cache=True, fastmath=_FMA)
def kept_marginals_along(indptr, indices, data, dx, dy, scale, row_out, col_out):
    """Row and column sums of the kept entries S (CSR) moved along a direction:
    row_out_i = sum_j S_ij exp(scale (dx_i + dy_j)), col_out_j = sum_i S_ij exp(scale (dx_i + dy_j)), the
    kept part of the plan at the potentials (f, g) + t (dx, dy) for scale = t / reg (exponents clamped to
    [-708, 709])."""
    n = row_out.shape[0]
    col_out[:] = 0.0
    moved = np.empty(data.shape[0])
    for i in range(n):  # exponents, then all the exponentials in one long loop (vectorised), then the sums
        shift = scale * dx[i]
        for k in range(indptr[i], indptr[i + 1]):
            moved[k] = shift + scale * dy[indices[k]]
    for k in range(data.shape[0]):
        moved[k] = data[k] * _exp(moved[k])
    for i in range(n):
        start, stop = indptr[i], indptr[i + 1]
        row_out[i] = _row_sum(moved[start:stop])
        for k in range(start, stop):
            col_out[indices[k]] += moved[k]


@njit(cache=True)
def _schur_product(indptr, indices, data, row_sums, col_sums, y, row_buffer, out):
    """out = (diag(col_sums) - S^T diag(row_sums)^-1 S) y with S = (indptr, indices, data) (CSR), restricted to
    y_{m-1} = 0 (the last entry of y is ignored and out_{m-1} set to 0)."""
    n = row_sums.shape[0]
    m = col_sums.shape[0]
    last = m - 1
    for i in range(n):
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            if indices[k] != last:
                total += data[k] * y[indices[k]]
        row_buffer[i] = total / row_sums[i]
    for j in range(m):
        out[j] = col_sums[j] * y[j]
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            out[indices[k]] -= data[k] * row_buffer[i]
    out[last] = 0.0


@njit(cache=True)
def sparse_newton_direction(indptr, indices, data, row_sums, col_sums, rhs_x, rhs_y, rtol, max_iter):
    """Solve H (dx, dy) = (rhs_x, rhs_y) with H = [[diag(row_sums), S], [S^T, diag(col_sums)]], S sparse (CSR).

    H is positive semi-definite; with S = P (no entry dropped) its null direction is (1, -1). The solve is
    restricted to dy_{m-1} = 0, where H is positive definite, which picks the solution of that gauge (the
    right-hand side's last y entry is then implied when 1^T rhs_x = 1^T rhs_y). dx is eliminated: conjugate
    gradient on the Schur complement

        (diag(col_sums) - S^T diag(row_sums)^-1 S) dy = rhs_y - S^T diag(row_sums)^-1 rhs_x,

    (diagonally dominant, since S's column sums are at most col_sums and its row sums at most row_sums),
    preconditioned by its diagonal col_sums_j - sum_i S_ij^2 / row_sums_i, then
    dx = diag(row_sums)^-1 (rhs_x - S dy). The residual of the Schur system is that of the full system (whose
    x part is then 0), so CG stops when its norm is <= rtol ||(rhs_x, rhs_y)|| or after max_iter iterations.
    Returns (dx, dy, iterations).
    """
    n = row_sums.shape[0]
    m = col_sums.shape[0]
    last = m - 1
    row_buffer = rhs_x / row_sums
    residual = rhs_y.copy()
    diagonal = col_sums.copy()
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            residual[indices[k]] -= data[k] * row_buffer[i]
            diagonal[indices[k]] -= data[k] * data[k] / row_sums[i]
    residual[last] = 0.0
    for j in range(m):  # rounding can leave a column's diagonal at or below 0: fall back to col_sums
        if not diagonal[j] > 1e-3 * col_sums[j]:
            diagonal[j] = col_sums[j]
    stop_norm = rtol * math.sqrt(np.dot(rhs_x, rhs_x) + np.dot(rhs_y, rhs_y) - rhs_y[last] ** 2)
    dy = np.zeros(m)
    z = residual / diagonal
    direction = z.copy()
    product = np.empty(m)
    rz = np.dot(residual, z)
    iteration = 0
    while iteration < max_iter and math.sqrt(np.dot(residual, residual)) > stop_norm:
        _schur_product(indptr, indices, data, row_sums, col_sums, direction, row_buffer, product)
        curvature = np.dot(direction, product)
        if not curvature > 0.0:
            break
        step = rz / curvature
        dy += step * direction
        residual -= step * product
        z = residual / diagonal
        rz_next = np.dot(residual, z)
        direction = z + (rz_next / rz) * direction
        rz = rz_next
        iteration += 1
    dy[last] = 0.0
    dx = rhs_x.copy()
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            dx[i] -= data[k] * dy[indices[k]]
        dx[i] /= row_sums[i]
    return dx, dy, iteration


@njit(cache=True, parallel=True, fastmath=_FMA)
def scaled_kernel(f, g, C, reg, K):
    """Write K_ij = exp((f_i + g_j - C_ij) / reg) into K (0 below exp(-708), exponents above 709 taken as 709),
    parallel over rows: the kernel of the stabilised (absorbed) scaling form, in which the plan is
    P_ij = u_i K_ij v_j."""
    n, m = C.shape
    if f.shape[0] != n or g.shape[0] != m or K.shape[0] != n or K.shape[1] != m:
        raise ValueError("scaled_kernel: shapes of f, g, K must match C's")
    inv_reg = 1.0 / reg
    for i in prange(n):
        f_i = f[i]
        for j in range(m):
            exponent = (f_i + g[j] - C[i, j]) * inv_reg
            K[i, j] = _exp(exponent) if exponent > -708.0 else 0.0


@njit(cache=True, parallel=True)
def scale_rows(K, v, w, u):
    """Sinkhorn's update of the row scaling in the stabilised form: u_i = w_i / (K v)_i, parallel over rows.

    Returns the largest |log u_i| (infinite when a (K v)_i is 0 or not finite: the caller then returns to the
    log domain)."""
    n, m = K.shape
    if v.shape[0] != m or w.shape[0] != n or u.shape[0] != n:
        raise ValueError("scale_rows: lengths of v, w, u must match K's shape")
    spread = np.empty(n)
    for i in prange(n):
        total = 0.0
        for j in range(m):
            total += K[i, j] * v[j]
        if total > 0.0 and total < np.inf:
            u[i] = w[i] / total
            spread[i] = abs(math.log(u[i]))
        else:
            u[i] = 1.0
            spread[i] = np.inf
    return spread.max()


@njit(cache=True, parallel=True)
def scale_columns(K, u, w, v):
    """Sinkhorn's update of the column scaling in the stabilised form: v_j = w_j / (K^T u)_j, over blocks of
    columns in parallel (each thread owns its v_j).

    Returns the L1 error of the column marginal of the plan before the update, sum_j |v_j (K^T u)_j - w_j|,
    and the largest |log v_j| (infinite when a (K^T u)_j is 0 or not finite)."""
    n, m = K.shape
    if u.shape[0] != n or w.shape[0] != m or v.shape[0] != m:
        raise ValueError("scale_columns: lengths of u, w, v must match K's shape")
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    errors = np.zeros(n_blocks)
    spreads = np.zeros(n_blocks)
    for block in prange(n_blocks):
        start = block * _BLOCK
        stop = min(start + _BLOCK, m)
        totals = np.zeros(stop - start)
        for i in range(n):
            for j in range(start, stop):
                totals[j - start] += K[i, j] * u[i]
        for j in range(start, stop):
            total = totals[j - start]
            errors[block] += abs(v[j] * total - w[j])
            if total > 0.0 and total < np.inf:
                v[j] = w[j] / total
                spreads[block] = max(spreads[block], abs(math.log(v[j])))
            else:
                v[j] = 1.0
                spreads[block] = np.inf
    return errors.sum(), spreads.max()
