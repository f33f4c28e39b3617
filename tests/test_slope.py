"""SLOPE, GroupSLOPE and SparseGroupSLOPE: against cvxpy, identities between the models, screened paths against
unscreened ones, penalty sequences, kernels, scikit-learn compatibility and input errors."""
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from numba_kernels.slope import (dual_ball_violators, slope_cluster_threshold, slope_relative_gap,
                                 sorted_dual_norm_kernel, strong_set_size)
from sparseopt.linear_model import Lasso
from sparseopt.slope import (SLOPE, GroupSLOPE, SparseGroupSLOPE, bh_lambdas, gaussian_lambdas, group_max_lambdas,
                             group_mean_lambdas, group_slope_path, oscar_lambdas, slope_path,
                             sparse_group_slope_path)
from sparseopt.slope.estimators import build_penalty

cp = pytest.importorskip("cvxpy")

GROUP_SIZES = [1, 4, 9, 2, 6, 3, 10, 5]  # 40 features, unequal c_g = sqrt(size)
Q = 0.2


def make_data(seed=0, n_samples=30, n_features=40, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    if sparse:
        X[rng.random(X.shape) < 0.6] = 0.0
    y = X[:, :5] @ rng.standard_normal(5) + 0.5 * rng.standard_normal(n_samples)
    return (sp.csc_matrix(X) if sparse else X), y


def cvxpy_objective(X, y, eta, alpha, loss):
    """Optimal value by Clarabel; sorted norms written with cvxpy.sum_largest:
    J_w(u) = sum_k (w_k - w_{k+1}) sum_largest(u, k) for u >= 0."""
    X = X.toarray() if sp.issparse(X) else X
    n, p = X.shape
    penalty = build_penalty(n, p, eta=eta, groups=GROUP_SIZES, q=Q)
    w, b = cp.Variable(p), cp.Variable()
    z = X @ w + b
    datafit = (cp.sum_squares(y - z) / (2 * n) if loss == "squared"
               else cp.sum(cp.logistic(-cp.multiply(2.0 * (y > 0) - 1.0, z))) / n)

    def sorted_norm(u, weights):
        steps = np.append(-np.diff(weights), weights[-1])
        return sum(step * cp.sum_largest(u, k + 1) for k, step in enumerate(steps) if step > 0)

    group_norms = cp.hstack([penalty.group_weights[g] * cp.norm(w[penalty.feature_group == g], 2)
                             for g in range(penalty.n_groups)])
    total = 0
    if eta > 0:
        total += eta * sorted_norm(cp.abs(w), penalty.variable_lambdas)
    if eta < 1:
        total += (1 - eta) * sorted_norm(group_norms, penalty.group_lambdas)
    problem = cp.Problem(cp.Minimize(datafit + alpha * total))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "may be inaccurate": the tolerances are at rounding level
        problem.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return problem.value


def objective(model, X, y, eta):
    n, p = X.shape
    penalty = build_penalty(n, p, eta=eta, groups=GROUP_SIZES, q=Q)
    z = X @ model.coef_ + model.intercept_
    if model.loss == "squared":
        datafit = 0.5 * np.mean((y - z) ** 2)
    else:
        datafit = np.mean(np.logaddexp(0, -(2.0 * (y > 0) - 1.0) * z))
    return datafit + penalty.value(model.coef_, model.alpha)


MODELS = {"SLOPE": (SLOPE, 1.0), "GroupSLOPE": (GroupSLOPE, 0.0), "SparseGroupSLOPE": (SparseGroupSLOPE, 0.6)}


def make_model(name, alpha, **options):
    cls, eta = MODELS[name]
    extra = {"eta": eta} if cls is SparseGroupSLOPE else {}
    return cls(alpha, groups=GROUP_SIZES, q=Q, tol=1e-10, max_iter=100_000, **extra, **options)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("name", list(MODELS))
def test_against_cvxpy_dense_and_csc(name, loss):
    X, y = make_data(seed=3, sparse=True)
    if loss == "logistic":
        y = np.where(y > np.median(y), "yes", "no")
        targets = (y == "yes").astype(float)
    else:
        targets = y
    eta = MODELS[name][1]
    alpha = 0.03 if loss == "logistic" else 0.05
    reference = cvxpy_objective(X, targets, eta, alpha, loss)
    coefs = []
    for design in (X, X.toarray()):
        model = make_model(name, alpha, loss=loss).fit(design, y)
        assert objective(model, X.toarray(), targets, eta) == pytest.approx(reference, rel=1e-6)
        coefs.append(model.coef_)
    np.testing.assert_allclose(coefs[0], coefs[1], atol=1e-6)
    assert 0 < np.count_nonzero(coefs[0]) < X.shape[1]


@pytest.mark.parametrize("solver", ["hybrid", "fista", "splitting"])
def test_slope_solvers_agree(solver):
    X, y = make_data(seed=1)
    reference = SLOPE(0.05, q=Q, solver="fista", tol=1e-12, max_iter=100_000).fit(X, y)
    model = SLOPE(0.05, q=Q, solver=solver, tol=1e-11, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)


def test_constant_lambdas_give_the_lasso():
    X, y = make_data(seed=2)
    lasso = Lasso(alpha=0.05, tol=1e-12).fit(X, y)
    slope = SLOPE(0.05, lambdas="lasso", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(slope.coef_, lasso.coef_, atol=1e-7)
    assert slope.intercept_ == pytest.approx(lasso.intercept_, abs=1e-7)


def test_group_slope_with_singletons_is_slope():
    X, y = make_data(seed=4)
    lambdas = bh_lambdas(X.shape[1], Q)
    slope = SLOPE(0.05, lambdas=lambdas, tol=1e-12).fit(X, y)
    group = GroupSLOPE(0.05, group_lambdas=lambdas, tol=1e-12).fit(X, y)  # default: one group per feature
    np.testing.assert_allclose(group.coef_, slope.coef_, atol=1e-7)


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_sparse_group_slope_ends(eta):
    X, y = make_data(seed=5)
    sgs = SparseGroupSLOPE(0.05, eta=eta, groups=GROUP_SIZES, q=Q, tol=1e-11, max_iter=100_000).fit(X, y)
    cls = SLOPE if eta == 1 else GroupSLOPE
    other = cls(0.05, groups=GROUP_SIZES, q=Q, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(sgs.coef_, other.coef_, atol=1e-6)


PATHS = {"slope": (slope_path, {}), "group": (group_slope_path, {"groups": GROUP_SIZES}),
         "sparse-group": (sparse_group_slope_path, {"groups": GROUP_SIZES, "eta": 0.7})}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", list(PATHS))
def test_screened_path_equals_unscreened(kind, seed):
    path_function, options = PATHS[kind]
    X, y = make_data(seed=seed, n_samples=50, n_features=40, sparse=seed == 2)
    tol = 1e-10 if kind != "sparse-group" else 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        screened = path_function(X, y, screen=True, n_alphas=8, eps=0.05, tol=tol, max_iter=50_000, **options)
        full = path_function(X, y, screen=False, n_alphas=8, eps=0.05, tol=tol, max_iter=50_000, **options)
    np.testing.assert_allclose(screened.alphas, full.alphas)
    assert not np.any(full.coefs[:, 0]) and np.any(full.coefs[:, 1])  # exact alpha_max: first point zero only
    eta = {"slope": 1.0, "group": 0.0, "sparse-group": 0.7}[kind]
    penalty = build_penalty(*X.shape, eta=eta, groups=options.get("groups"))
    for k, alpha in enumerate(full.alphas):  # same objective to the solver tolerance, same coefficients
        values = [0.5 * np.mean((y - X @ path.coefs[:, k] - path.intercepts[k]) ** 2)
                  + penalty.value(path.coefs[:, k], alpha) for path in (screened, full)]
        assert values[0] == pytest.approx(values[1], rel=20 * tol)
    np.testing.assert_allclose(screened.coefs, full.coefs, atol=1e-4)
    np.testing.assert_allclose(screened.intercepts, full.intercepts, atol=1e-4)
    records = screened.screening
    assert np.all(records["n_screened_features"][1:] < X.shape[1] + 1)
    assert np.all(records["n_fitted_features"] >= records["n_active_features"])
    assert records["n_screened_features"][1] < X.shape[1]  # the rule discards features early on the path
    assert np.all(full.screening["n_kkt_violations"] == 0)


@pytest.mark.parametrize("kind", list(PATHS))
def test_working_set_strategies_give_the_unscreened_path(kind):
    """Both working-set strategies (strong set; previous active set and one candidate) end on the unscreened path:
    the KKT checks add what the first fit missed (the previous set needs them: violations are recorded)."""
    path_function, options = PATHS[kind]
    X, y = make_data(seed=3, n_samples=50, n_features=40)
    paths = {}
    for strategy in ("strong", "previous"):
        paths[strategy] = path_function(X, y, screen=True, strategy=strategy, n_alphas=8, eps=0.05, tol=1e-10,
                                        max_iter=50_000, **options)
    full = path_function(X, y, screen=False, n_alphas=8, eps=0.05, tol=1e-10, max_iter=50_000, **options)
    for path in paths.values():
        np.testing.assert_allclose(path.coefs, full.coefs, atol=1e-5)
        np.testing.assert_allclose(path.intercepts, full.intercepts, atol=1e-5)
    previous = paths["previous"].screening
    assert np.sum(previous["n_fitted_features"]) < np.sum(paths["strong"].screening["n_fitted_features"])
    assert np.sum(previous["n_kkt_violations"]) > 0 and np.sum(previous["n_refits"]) > 0
    # the previous set's first fits stop at a loose gap; every point still ends on a fit to tol
    assert np.all(paths["previous"].stop_crits <= 1e-10)
    assert np.sum(previous["feature_iterations"]) < np.sum(paths["strong"].screening["feature_iterations"])
    np.testing.assert_array_equal(full.screening["feature_iterations"], X.shape[1] * full.n_iters)
    with pytest.raises(ValueError, match="strategy"):
        path_function(X, y, strategy="working", n_alphas=3, **options)


def test_sparse_group_certificate():
    """The Sparse-group SLOPE KKT check of Feser & Evangelou is not a certificate (with the previous set it let
    features be missed on the benchmark paths), so screened fits end on the whole problem's duality gap, with the
    dual split of ``sparse_group_split``: large, with flagged features, when active features are left out; below
    the solver tolerance at the unscreened solution."""
    from sparseopt.datafits import Quadratic
    from sparseopt.slope.path import _sparse_group_certificate, solve

    X, y = make_data(seed=4, n_samples=50, n_features=40)
    penalty = build_penalty(*X.shape, eta=0.7, groups=GROUP_SIZES)
    full = sparse_group_slope_path(X, y, groups=GROUP_SIZES, eta=0.7, n_alphas=6, eps=0.05, screen=False,
                                   tol=1e-10, max_iter=50_000)
    alpha, coef = full.alphas[-1], full.coefs[:, -1]
    features = np.flatnonzero(coef)[:-2]  # drop two active features
    result = solve(X[:, features], y, Quadratic(), penalty.restrict(features), alpha, fit_intercept=True,
                   tol=1e-10, max_iter=50_000)
    fitted = np.zeros(X.shape[1])
    fitted[features] = result.coef
    predictor = X[:, features] @ result.coef + result.intercept
    grad = X.T @ (predictor - y) / y.size
    gap, flags = _sparse_group_certificate(X, y, Quadratic(), penalty, alpha, fitted, result.intercept, predictor,
                                           grad, result, features, True)
    assert gap > 1e-6 and flags.any()
    # at the unscreened solution the certificate holds
    full_result = solve(X, y, Quadratic(), penalty, alpha, fit_intercept=True, tol=1e-10, max_iter=50_000)
    predictor = X @ full_result.coef + full_result.intercept
    grad = X.T @ (predictor - y) / y.size
    gap = _sparse_group_certificate(X, y, Quadratic(), penalty, alpha, full_result.coef, full_result.intercept,
                                    predictor, grad, full_result, np.arange(X.shape[1]), True)[0]
    assert gap <= 1e-8


def test_sparse_group_alpha_max_is_sharp():
    X, y = make_data(seed=6)
    path = sparse_group_slope_path(X, y, groups=GROUP_SIZES, eta=0.5, n_alphas=2, eps=1 - 1e-4, tol=1e-10,
                                   max_iter=50_000)
    assert not np.any(path.coefs[:, 0]) and np.any(path.coefs[:, 1])


def test_screened_estimator_equals_plain_fit():
    X, y = make_data(seed=7)
    plain = make_model("SparseGroupSLOPE", 0.05).fit(X, y)
    screened = make_model("SparseGroupSLOPE", 0.05, screen=True).fit(X, y)
    np.testing.assert_allclose(screened.coef_, plain.coef_, atol=1e-6)
    assert set(screened.screening_) >= {"n_screened_features", "n_active_groups", "n_kkt_violations"}


def test_bh_and_oscar_sequences():
    np.testing.assert_allclose(bh_lambdas(4, 0.1), stats.norm.ppf(1 - np.arange(1, 5) * 0.1 / 8))
    np.testing.assert_allclose(oscar_lambdas(3, 1.0, 0.5), [2.0, 1.5, 1.0])


def test_gaussian_sequence_follows_its_recursion():
    lambdas, bh = gaussian_lambdas(20, 300, 0.2), bh_lambdas(20, 0.2)
    assert lambdas[0] == bh[0] and np.all(np.diff(lambdas) <= 0)
    i = 4  # 0-based: rank 5, divisor n - 5
    assert lambdas[i] == pytest.approx(bh[i] * np.sqrt(1 + np.sum(lambdas[:i] ** 2) / (300 - 5)))


def test_group_sequences():
    sizes = np.array(GROUP_SIZES)
    gmax, gmean = group_max_lambdas(sizes, 0.1), group_mean_lambdas(sizes, 0.1)
    for lambdas in (gmax, gmean):
        assert np.all(np.diff(lambdas) <= 0) and np.all(lambdas >= 0)
    assert np.all(gmean <= gmax + 1e-12)
    level = 1 - 0.1 * 3 / sizes.size  # Fbar(lambda_3) = 1 - 3 q / m
    assert np.mean(stats.chi2.cdf(sizes * gmean[2] ** 2, sizes)) == pytest.approx(level)


def brute_force_threshold(omega, xi, size, values, sizes, lambdas):
    """Minimise xi/2 z^2 - omega z + J_lambda over a fine grid of z (the other clusters fixed)."""
    others = np.repeat(values, sizes)
    grid = np.linspace(-3, 3, 60001)
    costs = [0.5 * xi * z * z - omega * z + lambdas @ np.sort(np.r_[others, np.full(size, abs(z))])[::-1]
             for z in grid]
    return grid[int(np.argmin(costs))]


@pytest.mark.parametrize("omega", [-2.5, -0.4, 0.05, 0.9, 1.6, 2.2, 4.0])
def test_cluster_threshold_against_brute_force(omega):
    values, sizes = np.array([1.2, 0.7, 0.3]), np.array([1, 2, 1])
    lambdas = np.linspace(0.6, 0.1, 6)
    result = slope_cluster_threshold(omega, 1.3, 2, np.r_[values[:1], 9.0, values[1:]], np.r_[sizes[:1], 5, sizes[1:]],
                                     1, np.r_[0.0, np.cumsum(lambdas)])  # entry 1 is the moving cluster: skipped
    assert result == pytest.approx(brute_force_threshold(omega, 1.3, 2, values, sizes, lambdas), abs=2e-4)


def test_strong_set_size():
    rng = np.random.default_rng(0)
    for _ in range(50):
        shifted = rng.standard_normal(12) - 0.3
        k = strong_set_size(shifted)
        assert not np.any(np.cumsum(shifted[k:]) >= 0)  # no later block could join
        assert k == 0 or shifted[:k].sum() >= 0 or np.cumsum(shifted[:k])[-1] >= np.min(np.cumsum(shifted[:k]))
        decreasing = np.sort(shifted)[::-1]  # constant lambda: the Lasso strong rule |g| >= 2 lambda - lambda_prev
        assert strong_set_size(decreasing) == np.count_nonzero(decreasing >= 0)


def test_compiled_gap_matches_the_python_gap():
    """The hybrid kernel's dual norm and relative gap against the NumPy versions of sparseopt.slope."""
    from sparseopt.datafits import Quadratic
    from sparseopt.slope.penalty import sorted_dual_norm
    from sparseopt.slope.solvers import relative_gap

    X, y = make_data(3)
    rng = np.random.default_rng(3)
    coef = np.where(rng.random(X.shape[1]) < 0.3, rng.standard_normal(X.shape[1]), 0.0)
    intercept, alpha = 0.4, 0.3
    penalty = build_penalty(*X.shape, eta=1.0, q=Q)
    residual = y - X @ coef - intercept
    correlations = X.T @ residual / y.size
    lambdas = alpha * penalty.variable_lambdas
    assert sorted_dual_norm_kernel(correlations, lambdas) == pytest.approx(sorted_dual_norm(correlations, lambdas),
                                                                         rel=1e-12)
    for fit_intercept in (True, False):
        expected = relative_gap(X, y, Quadratic(), penalty, alpha, coef, intercept, y - residual, fit_intercept)[0]
        assert slope_relative_gap(residual, y, coef, intercept, correlations, lambdas,
                                  fit_intercept) == pytest.approx(expected, rel=1e-10)


def test_dual_ball_violators_against_numpy():
    """The compiled KKT flags against a stable NumPy sort and cumulative sum, with ties and empty prefixes."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        values = np.round(np.abs(rng.standard_normal(15)), 1)  # rounded: ties
        weights = np.sort(np.abs(rng.standard_normal(15)))[::-1]
        order = np.argsort(-values, kind="stable")
        positive = np.flatnonzero(np.cumsum(values[order] - weights) > 0)
        expected = order[:positive[-1] + 1] if positive.size else order[:0]
        np.testing.assert_array_equal(dual_ball_violators(values, weights), expected)


@pytest.mark.parametrize("sparse", [False, True])
def test_hybrid_fit_on_columns(sparse):
    """A hybrid fit on the columns E of X equals the fit on X[:, E] with the restricted penalty, and its gradient
    is X^T (X w + b - y) / n on all features."""
    from sparseopt.datafits import Quadratic
    from sparseopt.slope.solvers import solve_hybrid

    X, y = make_data(4, n_samples=50, sparse=sparse)
    penalty = build_penalty(*X.shape, eta=1.0, q=Q)
    columns = np.array([0, 2, 3, 4, 7, 11, 20, 31])
    options = dict(fit_intercept=True, tol=1e-12, max_iter=50_000)
    on_columns = solve_hybrid(X, y, Quadratic(), penalty, 0.05, columns=columns, **options)
    restricted = solve_hybrid(X[:, columns], y, Quadratic(), penalty.restrict(columns), 0.05, **options)
    expected = np.zeros(X.shape[1])
    expected[columns] = restricted.coef
    np.testing.assert_allclose(on_columns.coef, expected, atol=1e-12)
    assert on_columns.intercept == pytest.approx(restricted.intercept, abs=1e-12)
    np.testing.assert_allclose(on_columns.gradient, X.T @ (X @ on_columns.coef + on_columns.intercept - y) / y.size,
                               atol=1e-12)


def test_convergence_warning_on_max_iter():
    X, y = make_data(seed=8)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        SparseGroupSLOPE(0.01, groups=GROUP_SIZES, max_iter=3, tol=1e-12).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        SLOPE(0.01, solver="fista", max_iter=3, tol=1e-12).fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"groups": [3, 0, 37]}, "group size must be positive"),
    ({"groups": [[0, 1], [], list(range(2, 40))]}, "at least one feature"),
    ({"groups": [10, 10]}, "cover each of the 40 features"),
    ({"lambdas": -np.ones(40)}, "non-negative"),
    ({"lambdas": np.linspace(0.1, 1, 40)}, "non-increasing"),
    ({"group_lambdas": np.ones(3), "groups": [20, 20]}, "length 2"),
    ({"group_weights": np.array([1.0, -1.0]), "groups": [20, 20]}, "positive"),
    ({"eta": 1.5}, "eta"),
    ({"q": 0.0}, "q"),
])
def test_clear_errors(params, message):
    X, y = make_data()
    with pytest.raises(ValueError, match=message):
        SparseGroupSLOPE(0.1, **params).fit(X, y)


def test_logistic_needs_two_classes():
    X, _ = make_data()
    with pytest.raises(ValueError, match="two classes"):
        SLOPE(0.1, loss="logistic").fit(X, np.arange(X.shape[0]) % 3)


@pytest.mark.parametrize("cls", [SLOPE, GroupSLOPE, SparseGroupSLOPE])
def test_check_estimator(cls):
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failures = [check["check_name"] for check in check_estimator(cls(alpha=0.1, max_iter=5000), on_fail=None)
                    if check["status"] == "failed"]
    assert failures == []


def test_example_slope_paths(tmp_path):
    out = tmp_path / "slope_paths.png"
    script = pathlib.Path(__file__).resolve().parent.parent / "examples" / "slope_paths.py"
    completed = subprocess.run([sys.executable, str(script), "--out", str(out), "--features", "200"],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert "screened path equals unscreened path: yes" in completed.stdout  # runs "slope_paths.py"
    assert out.stat().st_size > 10_000


def test_benchmark_path_study(tmp_path, monkeypatch):
    from sparseopt.benchmarks import slope as slope_benchmark

    monkeypatch.setitem(slope_benchmark.PATH_SIZES, "tiny", (100,))
    monkeypatch.setattr(slope_benchmark, "N_ALPHAS", 6)
    rows = slope_benchmark.write_path_study(tmp_path, "tiny")
    assert [(row["model"], row["method"]) for row in rows][:5] == [
        ("Group SLOPE", "screened"), ("Group SLOPE", "unscreened"), ("Group SLOPE", "screened, strong set"),
        ("Sparse-group SLOPE", "screened"), ("Sparse-group SLOPE", "unscreened")]
    for row in rows:
        if row["method"].startswith("screened"):
            assert 0 <= row["screened_out_variables"] < 1 and row["max_objective_difference"] < 1e-4
            assert row["work_speedup"] > 0 and row["active_set_reference"] >= 1
    report = (tmp_path / "slope_paths.md").read_text()
    assert "| synthetic 200x100 | Sparse-group SLOPE | screened |" in report
    assert len((tmp_path / "slope_paths.csv").read_text().splitlines()) == len(rows) + 1
