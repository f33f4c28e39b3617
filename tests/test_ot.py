"""Entropic OT: log-domain Sinkhorn and Sinkhorn-Newton-Sparse against POT, ot.emd and the optimality conditions."""
import csv
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from numba_kernels.sinkhorn import (HISTOGRAM_BINS, exp_array, histogram_bin_floor, kept_marginals_along,
                                    plan_and_marginals, sinkhorn_sweep_on_plan,
                                    plan_histogram, scale_columns, scale_rows, scaled_kernel,
                                    sparse_newton_direction, update_potential)
from sparseopt.ot import sinkhorn, sinkhorn2

ot = pytest.importorskip("ot")
METHODS = ["log", "stabilized", "newton-sparse"]


def clouds(n, m, seed=0):
    """Random weights and the squared Euclidean cost between two Gaussian clouds in the plane."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + 1.0
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, m)
    return a / a.sum(), b / b.sum(), ot.dist(X, Y)


def marginal_error(plan, a, b):
    plan = plan.toarray() if sp.issparse(plan) else plan
    return np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum()


def test_kernels_against_numpy():
    a, b, M = clouds(7, 5)
    reg = 0.3
    rng = np.random.default_rng(1)
    f, g = rng.normal(size=7), rng.normal(size=5)
    g_out = np.empty(5)
    column_error = update_potential(f, np.ascontiguousarray(M.T), reg, np.log(b), b, g, g_out)
    plan = np.exp((f[:, None] + g[None, :] - M) / reg)
    expected_g = reg * np.log(b) - reg * np.log(np.exp((f[:, None] - M) / reg).sum(axis=0))
    np.testing.assert_allclose(g_out, expected_g, rtol=1e-13)
    assert column_error == pytest.approx(np.abs(plan.sum(axis=0) - b).sum(), rel=1e-12)
    kernel_plan = np.empty_like(M)
    row_sums, col_sums = plan_and_marginals(f, g, M, reg, kernel_plan)
    np.testing.assert_allclose(kernel_plan, plan, rtol=1e-14)
    np.testing.assert_allclose(row_sums, plan.sum(axis=1), rtol=1e-13)
    np.testing.assert_allclose(col_sums, plan.sum(axis=0), rtol=1e-13)


def test_vectorised_exponential_against_numpy():
    """Within 2 ulp of NumPy's exp on [-708, 709] (uniform grid and random points near 0); clamped outside."""
    x = np.concatenate([np.linspace(-708.0, 709.0, 200001), np.random.default_rng(4).uniform(-3, 3, 100000)])
    values = np.empty_like(x)
    exp_array(x, values)
    np.testing.assert_allclose(values, np.exp(x), rtol=4.5e-16, atol=0)
    exp_array(np.array([-800.0, 800.0]), values[:2])
    np.testing.assert_allclose(values[:2], np.exp([-708.0, 709.0]), rtol=4.5e-16)


@pytest.mark.parametrize("shape", [(3, 5), (70, 45)])
def test_plan_kernels_against_numpy(shape):
    """Plan and marginals with rows and columns of every length modulo 4 (the unrolled sums), entries below
    exp(-708) set to 0; the histogram by binary exponent against NumPy's frexp."""
    rng = np.random.default_rng(5)
    M = rng.uniform(0.0, 1.0, shape)
    f, g = rng.normal(size=shape[0]) * 0.1, rng.normal(size=shape[1]) * 0.1
    M[0, 0] = 10.0  # exponent below -708 at reg = 0.01: an exact zero
    plan = np.empty(shape)
    row_sums, col_sums = plan_and_marginals(f, g, M, 0.01, plan)
    exponents = (f[:, None] + g[None, :] - M) / 0.01
    expected = np.where(exponents > -708.0, np.exp(exponents), 0.0)
    # exponents down to -110 (times 1/reg rather than divided by reg): rounding of 110 x 2^-53 relative
    np.testing.assert_allclose(plan, expected, rtol=3e-14, atol=0)
    np.testing.assert_allclose(row_sums, expected.sum(axis=1), rtol=1e-13)
    np.testing.assert_allclose(col_sums, expected.sum(axis=0), rtol=1e-13)
    counts, masses = plan_histogram(plan)
    positions = np.where(plan > 0, np.frexp(plan)[1] + 1022, 0)
    np.testing.assert_array_equal(counts, np.bincount(positions.ravel(), minlength=HISTOGRAM_BINS))
    np.testing.assert_allclose(masses, np.bincount(positions.ravel(), plan.ravel(), minlength=HISTOGRAM_BINS),
                               rtol=1e-13)
    nonzero = plan > 0
    floors = np.array([histogram_bin_floor(position) for position in positions[nonzero]])
    assert np.all(floors <= plan[nonzero]) and np.all(plan[nonzero] < 2 * floors)


def test_kept_marginals_along_a_direction():
    """Row and column sums of S_ij exp(scale (dx_i + dy_j)) over the kept entries, against dense NumPy."""
    rng = np.random.default_rng(6)
    dense = rng.uniform(size=(9, 7)) * (rng.uniform(size=(9, 7)) < 0.4)
    csr = sp.csr_matrix(dense)
    dx, dy = rng.normal(size=9), rng.normal(size=7)
    rows, cols = np.empty(9), np.empty(7)
    kept_marginals_along(csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data, dx, dy, 0.7, rows,
                         cols)
    moved = dense * np.exp(0.7 * (dx[:, None] + dy[None, :]))
    np.testing.assert_allclose(rows, moved.sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(cols, moved.sum(axis=0), rtol=1e-14)


def test_sinkhorn_sweep_on_plan_against_numpy():
    """The in-place sweep equals a Sinkhorn iteration (f-update, then g-update) recomputed from the potentials."""
    a, b, M = clouds(13, 9, seed=9)
    reg = 0.2
    rng = np.random.default_rng(10)
    f, g = rng.normal(size=13), rng.normal(size=9)
    plan = np.empty_like(M)
    row_sums = plan_and_marginals(f, g, M, reg, plan)[0]
    expected_f = reg * np.log(a) - reg * np.log(np.exp((g[None, :] - M) / reg).sum(axis=1))
    expected_g = reg * np.log(b) - reg * np.log(np.exp((expected_f[:, None] - M) / reg).sum(axis=0))
    new_rows, new_cols = sinkhorn_sweep_on_plan(plan, row_sums, a, b, reg, f, g)
    expected_plan = np.exp((expected_f[:, None] + expected_g[None, :] - M) / reg)
    np.testing.assert_allclose(f, expected_f, rtol=1e-12)
    np.testing.assert_allclose(g, expected_g, rtol=1e-12)
    np.testing.assert_allclose(plan, expected_plan, rtol=1e-12)
    np.testing.assert_allclose(new_rows, expected_plan.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(new_cols, b, rtol=1e-12)


def test_newton_direction_solves_the_system():
    a, b, M = clouds(6, 4)
    plan = np.exp(-M / 0.5)
    csr = sp.csr_matrix(plan)
    rhs_x, rhs_y = plan.sum(axis=1) - a, plan.sum(axis=0) - b
    rhs_y -= (rhs_y.sum() - rhs_x.sum()) / 4  # consistent right-hand side (1^T rhs_x = 1^T rhs_y)
    dx, dy, _ = sparse_newton_direction(csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data,
                                        plan.sum(axis=1), plan.sum(axis=0), rhs_x, rhs_y, 1e-14, 100)
    hessian = np.block([[np.diag(plan.sum(axis=1)), plan], [plan.T, np.diag(plan.sum(axis=0))]])
    np.testing.assert_allclose(hessian @ np.concatenate([dx, dy]), np.concatenate([rhs_x, rhs_y]), atol=1e-12)
    assert dy[-1] == 0.0


def test_newton_direction_with_dropped_entries():
    """With the small entries of P left out of S (diagonals kept from the full P), the CG solve on the Schur
    complement matches a dense solve of the sparsified system in the gauge dy_{m-1} = 0."""
    a, b, M = clouds(30, 20, seed=8)
    plan = np.exp(-M / 0.3)
    kept = np.where(plan >= np.quantile(plan, 0.7), plan, 0.0)
    csr = sp.csr_matrix(kept)
    rows, cols = plan.sum(axis=1), plan.sum(axis=0)
    rhs_x, rhs_y = a - rows, b - cols
    dx, dy, iterations = sparse_newton_direction(csr.indptr.astype(np.int64), csr.indices.astype(np.int64),
                                                 csr.data, rows, cols, rhs_x, rhs_y, 1e-13, 500)
    hessian = np.block([[np.diag(rows), kept], [kept.T, np.diag(cols)]])[:-1, :-1]
    expected = np.linalg.solve(hessian, np.concatenate([rhs_x, rhs_y[:-1]]))
    np.testing.assert_allclose(np.concatenate([dx, dy[:-1]]), expected, rtol=1e-8, atol=1e-10)
    assert dy[-1] == 0.0 and 0 < iterations < 500


@pytest.mark.parametrize("shape", [(5, 5), (40, 30), (120, 150)])
@pytest.mark.parametrize("relative_reg", [1.0, 0.1, 0.02])
def test_same_plan_as_pot_sinkhorn_log(shape, relative_reg):
    a, b, M = clouds(*shape)
    reg = relative_reg * np.median(M)
    reference, reference_log = ot.bregman.sinkhorn_log(a, b, M, reg, numItermax=100000, stopThr=1e-13, log=True)
    for method in METHODS:
        plan, log = sinkhorn(a, b, M, reg, method=method, max_iter=100000, tol=1e-12, log=True)
        assert np.abs(plan - reference).max() < 1e-8
        # potentials agree up to the constant shift (f + t, g - t)
        shift = np.mean(log["log_u"] - reference_log["log_u"])
        np.testing.assert_allclose(log["log_u"] - shift, reference_log["log_u"], atol=1e-6)
        np.testing.assert_allclose(log["log_v"] + shift, reference_log["log_v"], atol=1e-6)
    cost, cost_log = sinkhorn2(a, b, M, reg, max_iter=100000, tol=1e-12, log=True)
    assert cost == pytest.approx(ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log", numItermax=100000,
                                              stopThr=1e-13), abs=1e-10)
    assert cost_log["reg_value"] == pytest.approx(cost_log["primal"])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("relative_reg", [1e-1, 1e-2, 1e-3, 1e-4])
def test_marginals_at_small_reg(method, relative_reg):
    """Small enough for Sinkhorn to converge at reg = 1e-4 median(M) (18,584 iterations)."""
    a, b, M = clouds(10, 8, seed=2)
    tol = 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        plan, log = sinkhorn(a, b, M, relative_reg * np.median(M), method=method, max_iter=50000, tol=tol,
                             log=True)
    assert np.all(np.isfinite(plan)) and np.all(np.isfinite(log["f"])) and np.all(np.isfinite(log["g"]))
    assert log["converged"] and marginal_error(plan, a, b) < tol
    assert len(log["err"]) == log["n_iter"] == log["n_iter_sinkhorn"] + log["n_iter_newton"] + \
        log["n_iter_sweep"] + log["n_iter_fallback"]
    assert log["time_sinkhorn"] >= 0 and log["time_newton"] >= 0


@pytest.mark.parametrize("method", METHODS)
def test_no_overflow_at_extreme_reg(method):
    a, b, M = clouds(8, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        plan = sinkhorn(a, b, M * 1e6, 1e-3, method=method, max_iter=5, tol=1e-9, warn=False)
    assert np.all(np.isfinite(plan)) and np.allclose(plan.sum(axis=1), a)


def test_scaling_kernels_against_numpy():
    a, b, M = clouds(70, 90)
    rng = np.random.default_rng(3)
    f, g, u, v = rng.normal(size=70), rng.normal(size=90), rng.uniform(0.5, 2, 70), rng.uniform(0.5, 2, 90)
    K = np.empty_like(M)
    scaled_kernel(f, g, M, 0.2, K)
    np.testing.assert_allclose(K, np.exp((f[:, None] + g[None, :] - M) / 0.2), rtol=1e-13)
    new_v = v.copy()
    error, spread = scale_columns(K, u, b, new_v)
    assert error == pytest.approx(np.abs((u[:, None] * K * v[None, :]).sum(axis=0) - b).sum(), rel=1e-12)
    np.testing.assert_allclose(new_v, b / (K.T @ u), rtol=1e-13)
    assert spread == pytest.approx(np.abs(np.log(new_v)).max(), rel=1e-13)
    new_u = u.copy()
    assert scale_rows(K, new_v, a, new_u) == pytest.approx(np.abs(np.log(a / (K @ new_v))).max(), rel=1e-13)
    np.testing.assert_allclose(new_u, a / (K @ new_v), rtol=1e-13)
    K[3] = 0.0  # an empty row: no division by zero, the spread says "return to the log domain"
    assert scale_rows(K, new_v, a, new_u) == np.inf and new_u[3] == 1.0


@pytest.mark.parametrize("relative_reg", [0.05, 1e-3])
def test_stabilized_sinkhorn_has_the_log_domain_iterates(relative_reg):
    """Same errors at every iteration as log-domain Sinkhorn (exact arithmetic: same iterates), including
    across absorptions of the scalings (at reg = 1e-3 x median the scalings leave exp(+-30) many times)."""
    a, b, M = clouds(40, 30, seed=6)
    reg = relative_reg * np.median(M)
    logs = [sinkhorn(a, b, M, reg, method=method, max_iter=400, tol=1e-12, log=True, warn=False)[1]
            for method in ("log", "stabilized")]
    assert logs[0]["n_iter"] == logs[1]["n_iter"]
    np.testing.assert_allclose(logs[1]["err"], logs[0]["err"], rtol=1e-6, atol=1e-14)
    np.testing.assert_allclose(logs[1]["f"] - logs[0]["f"], 0.0, atol=1e-10 * np.abs(M).max())


def test_newton_sparse_from_an_early_switch_at_small_reg():
    """Point clouds with random weights at reg = 0.004 x median cost: SNS switches after 20 Sinkhorn steps and
    needs far fewer iterations than Sinkhorn (297 against 2,966 when written); same plan as POT's
    sinkhorn_log."""
    a, b, M = clouds(120, 120, seed=7)
    reg = 0.004 * np.median(M)
    sns_plan, sns_log = sinkhorn(a, b, M, reg, method="newton-sparse", max_iter=5000, tol=1e-9, log=True)
    log_log = sinkhorn(a, b, M, reg, method="stabilized", max_iter=100000, tol=1e-9, log=True)[1]
    assert sns_log["n_iter_sinkhorn"] == 20 and sns_log["converged"]
    assert sns_log["n_iter"] * 5 <= log_log["n_iter"]
    pot_plan = ot.bregman.sinkhorn_log(a, b, M, reg, numItermax=200000, stopThr=1e-13)
    assert np.abs(sns_plan - pot_plan).max() < 1e-8


def test_primal_and_dual_agree_at_convergence():
    a, b, M = clouds(50, 40, seed=3)
    for method in METHODS:
        log = sinkhorn(a, b, M, 0.05 * np.median(M), method=method, max_iter=100000, tol=1e-12, log=True)[1]
        assert log["primal"] == pytest.approx(log["dual"], abs=1e-9)


def test_cost_tends_to_emd_cost():
    a, b, M = clouds(60, 60, seed=4)
    exact = ot.emd2(a, b, M)
    entropy_bound = min(-(a * np.log(a)).sum(), -(b * np.log(b)).sum())
    gaps = []
    for relative_reg in (0.1, 0.01, 0.002):
        reg = relative_reg * np.median(M)
        cost = sinkhorn2(a, b, M, reg, method="newton-sparse", max_iter=100000, tol=1e-11)
        assert 0.0 <= cost - exact <= reg * entropy_bound
        gaps.append(cost - exact)
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-2 * exact


def test_newton_sparse_reaches_sinkhorn_potentials_in_few_iterations():
    """Random assignment (the paper's headline case), small: SNS needs far fewer iterations than Sinkhorn."""
    rng = np.random.default_rng(5)
    n = 120
    M = rng.uniform(size=(n, n))
    weights = np.full(n, 1.0 / n)
    reg = 1.0 / 300
    sns_plan, sns_log = sinkhorn(weights, weights, M, reg, method="newton-sparse", max_iter=5000, tol=1e-10,
                                 log=True)
    log_plan, log_log = sinkhorn(weights, weights, M, reg, max_iter=50000, tol=1e-10, log=True)
    assert sns_log["n_iter"] * 10 <= log_log["n_iter"]
    shift = np.mean(sns_log["f"] - log_log["f"])
    np.testing.assert_allclose(sns_log["f"] - shift, log_log["f"], atol=1e-8)
    np.testing.assert_allclose(sns_log["g"] + shift, log_log["g"], atol=1e-8)
    assert np.abs(sns_plan - log_plan).max() < 1e-8


def test_zero_weights_are_dropped_and_restored():
    a, b, M = clouds(10, 8, seed=6)
    a[[2, 7]] = 0.0
    b[3] = 0.0
    a, b = a / a.sum(), b / b.sum()
    keep_rows, keep_cols = np.flatnonzero(a), np.flatnonzero(b)
    reduced = ot.bregman.sinkhorn_log(a[keep_rows], b[keep_cols], M[np.ix_(keep_rows, keep_cols)], 0.5,
                                      stopThr=1e-13, numItermax=10000)
    for method in METHODS:
        plan, log = sinkhorn(a, b, M, 0.5, method=method, tol=1e-12, log=True)
        assert plan.shape == (10, 8)
        assert np.all(plan[[2, 7]] == 0.0) and np.all(plan[:, 3] == 0.0)
        assert np.abs(plan[np.ix_(keep_rows, keep_cols)] - reduced).max() < 1e-9
        assert np.isneginf(log["f"][2]) and np.isneginf(log["g"][3])


def test_sparse_plan_and_uniform_default_weights():
    rng = np.random.default_rng(7)
    M = rng.uniform(size=(40, 40))
    dense = sinkhorn([], [], M, 1e-2, method="newton-sparse", tol=1e-10)
    csr = sinkhorn([], [], M, 1e-2, method="newton-sparse", tol=1e-10, sparse=True)
    assert sp.isspmatrix_csr(csr) and csr.nnz < 0.5 * M.size
    assert np.abs(csr.toarray() - dense).max() < 1e-10
    assert marginal_error(csr, np.full(40, 1 / 40), np.full(40, 1 / 40)) < 2e-10


def test_convergence_warning_at_max_iter():
    a, b, M = clouds(20, 20)
    for method in METHODS:
        with pytest.warns(ConvergenceWarning, match="did not converge"):
            sinkhorn(a, b, M, 1e-3 * np.median(M), method=method, max_iter=3, tol=1e-12)


@pytest.mark.parametrize("change, message", [
    (lambda a, b, M, reg: (-a, b, M, reg), "a must be non-negative"),
    (lambda a, b, M, reg: (np.where(np.arange(a.size) == 0, np.nan, a), b, M, reg), "a contains NaN"),
    (lambda a, b, M, reg: (a, b * 2, M, reg), "same total mass"),
    (lambda a, b, M, reg: (a, b, M[:, :-1], reg), "b must have length"),
    (lambda a, b, M, reg: (a, b, np.where(M > M.mean(), np.nan, M), reg), "M contains NaN"),
    (lambda a, b, M, reg: (a, b, M.ravel(), reg), "2-D cost matrix"),
    (lambda a, b, M, reg: (a, b, M, 0.0), "reg must lie in"),
    (lambda a, b, M, reg: (a, b, M, -1.0), "reg must lie in"),
])
def test_bad_input_raises_value_error(change, message):
    a, b, M = clouds(5, 4)
    with pytest.raises(ValueError, match=message):
        sinkhorn(*change(a, b, M, 1.0))
    with pytest.raises(ValueError, match="method must be one of"):
        sinkhorn(a, b, M, 1.0, method="sinkhorn_stabilized")


@pytest.mark.parametrize("metric", ["sqeuclidean", "euclidean"])
@pytest.mark.parametrize("method", METHODS)
def test_sinkhorn_transport_matches_pot(metric, method):
    from sparseopt.ot import SinkhornTransport

    rng = np.random.default_rng(8)
    Xs, Xt = rng.normal(size=(40, 3)), rng.normal(size=(30, 3)) + 2.0
    ours = SinkhornTransport(reg_e=1.0, method=method, metric=metric, tol=1e-12, max_iter=10000).fit(Xs, Xt)
    reference = ot.da.SinkhornTransport(reg_e=1.0, metric=metric, tol=1e-13, max_iter=10000,
                                        out_of_sample_map="ferradans").fit(Xs=Xs, Xt=Xt)
    assert np.abs(ours.coupling_ - reference.coupling_).max() < 1e-9
    np.testing.assert_allclose(ours.transform(Xs), reference.transform(Xs=Xs), atol=1e-8)
    new_points = rng.normal(size=(5, 3))
    np.testing.assert_allclose(ours.transform(new_points), reference.transform(Xs=new_points), atol=1e-8)
    assert ours.n_iter_ > 0 and ours.cost_.shape == (40, 30)


def test_sinkhorn_transport_given_weights_and_bad_metric():
    from sparseopt.ot import SinkhornTransport

    rng = np.random.default_rng(9)
    Xs, Xt = rng.normal(size=(6, 2)), rng.normal(size=(5, 2))
    weights = np.array([0.0, 0.2, 0.2, 0.2, 0.2, 0.2])
    model = SinkhornTransport(reg_e=0.5, tol=1e-12).fit(Xs, Xt, sample_weight=weights)
    np.testing.assert_allclose(model.coupling_.sum(axis=1), weights, atol=1e-12)
    with pytest.raises(ValueError, match="metric must be one of"):
        SinkhornTransport(metric="cityblock").fit(Xs, Xt)


def test_benchmark_command_tiny(tmp_path):
    from sparseopt.benchmarks.cli import main

    assert main(["ot", "--size", "tiny", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "ot-summary.md").read_text()
    assert "## random assignment n=30, reg=1/100" in summary and "| POT emd (exact LP) |" in summary
    assert len(list(tmp_path.glob("ot-*.png"))) == 2
    with open(tmp_path / "ot-results.csv", newline="") as results:
        rows = list(csv.DictReader(results))
    sns_rows = [row for row in rows if row["solver"] == "sparseopt SNS"]
    assert len(sns_rows) == 4 and all(float(row["reached_error"]) < float(row["target"]) for row in sns_rows)


def test_benchmark_extrapolates_sinkhorn_iterations():
    """Errors 0.9^k reach 1e-8 at k = ceil(log(1e-8) / log(0.9)) = 175; too short or flat sequences: None."""
    from sparseopt.benchmarks.ot import extrapolated_iterations

    errors = 0.9 ** np.arange(1, 101)
    assert extrapolated_iterations(errors, 1e-8) == 175
    assert extrapolated_iterations(errors[:15], 1e-8) is None
    assert extrapolated_iterations(np.ones(100), 1e-8) is None


def test_example_optimal_transport(tmp_path):
    import pathlib
    import re
    import subprocess
    import sys

    script = pathlib.Path(__file__).resolve().parent.parent / "examples" / "optimal_transport.py"
    out = tmp_path / "ot.png"
    completed = subprocess.run([sys.executable, str(script), "--out", str(out), "--samples", "80"],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    iterations = {method: int(count) for method, count in
                  re.findall(r"^([\w-]+): (\d+) iterations", completed.stdout, flags=re.M)}
    assert iterations["newton-sparse"] * 10 <= iterations["log"]
    spread = float(re.search(r"spread ([\d.e+-]+)", completed.stdout).group(1))
    assert spread < 1e-6  # "optimal_transport.py" reaches the same potentials with both methods
    assert out.stat().st_size > 10_000
