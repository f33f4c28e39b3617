"""L0Regression, SubsetRegression and their paths: brute-force global optima over all supports (p <= 12),
coordinate-wise optimality checked directly, dense = CSC, scikit-learn compatibility."""
import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.l0 import L0Regression, SubsetRegression, l0_path, subset_path

N_INSTANCES = 100


def correlated_instance(seed, n=30, p=12, rho=0.7, n_true=4):
    """Centred Gaussian design with Toeplitz correlation rho^|j-k| and a 4-sparse signal plus unit noise."""
    rng = np.random.default_rng(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n)
    coef = np.zeros(p)
    coef[rng.choice(p, n_true, replace=False)] = rng.choice([-1, 1], n_true) * rng.uniform(0.5, 2, n_true)
    y = X @ coef + rng.standard_normal(n)
    return np.asfortranarray(X - X.mean(0)), y - y.mean()


def brute_force(X, y, lambda0=0.0, lambda2=0.0, sizes=None):
    """min over every support S (of the given sizes) of 1/(2n) ||y - X_S b||^2 + lambda2 ||b||^2 + lambda0 |S|,
    each support solved exactly: the value is ||y||^2/(2n) - c_S^T (G_SS + 2 lambda2 I)^{-1} c_S / 2."""
    n, p = X.shape
    gram, target, baseline = X.T @ X / n, X.T @ y / n, 0.5 * y @ y / n
    best = baseline if sizes is None or 0 in sizes else np.inf
    for size in (range(1, p + 1) if sizes is None else [s for s in sizes if s > 0]):
        supports = np.array(list(itertools.combinations(range(p), size)))
        blocks = gram[supports[:, :, None], supports[:, None, :]] + 2 * lambda2 * np.eye(size)
        targets = target[supports]
        beta = np.linalg.solve(blocks, targets[..., None])[..., 0]
        values = baseline - 0.5 * np.einsum("ij,ij->i", targets, beta) + lambda0 * size
        best = min(best, values.min())
    return best


def l0_objective(X, y, coef, lambda0=0.0, lambda1=0.0, lambda2=0.0, intercept=0.0):
    residual = y - X @ coef - intercept
    nonzero = coef != 0
    return (0.5 * residual @ residual / len(y) + lambda0 * nonzero.sum() + lambda1 * np.abs(coef).sum()
            + lambda2 * coef @ coef)


@pytest.mark.parametrize("penalty, lambda2", [("L0", 0.0), ("L0L2", 0.05)])
def test_cd_with_swaps_reaches_the_global_optimum(penalty, lambda2):
    hits = 0
    for seed in range(N_INSTANCES):
        X, y = correlated_instance(seed)
        model = L0Regression(0.05, penalty=penalty, lambda2=lambda2, fit_intercept=False).fit(X, y)
        ours = l0_objective(X, y, model.coef_, 0.05, lambda2=lambda2)
        optimum = brute_force(X, y, 0.05, lambda2)
        assert ours >= optimum - 1e-12
        hits += ours <= optimum + 1e-9 * abs(optimum)
    print(f"{penalty}: CD + swaps reached the brute-force optimum in {hits}/{N_INSTANCES} instances")
    assert hits >= 0.95 * N_INSTANCES


def coordinate_wise_violation(X, y, coef, lambda0, lambda1=0.0, lambda2=0.0):
    """Largest drop of the objective over single-coordinate moves, each coordinate minimised exactly by hand:
    phi(x) = (L + 2 lambda2)/2 x^2 - c x + lambda1 |x| + lambda0 1[x != 0], c = X_j^T r_j / n, compared at
    0, at the unconstrained minimiser and at the current value."""
    n = len(y)
    worst = 0.0
    for j in range(X.shape[1]):
        partial = y - X @ coef + X[:, j] * coef[j]
        curvature, c = X[:, j] @ X[:, j] / n + 2 * lambda2, X[:, j] @ partial / n
        def phi(x):
            return 0.0 if x == 0 else 0.5 * curvature * x * x - c * x + lambda1 * abs(x) + lambda0
        best = np.sign(c) * max(abs(c) - lambda1, 0.0) / curvature
        worst = max(worst, phi(coef[j]) - min(phi(0.0), phi(best)))
    return worst


@pytest.mark.parametrize("penalty, strengths", [("L0", {}), ("L0L2", {"lambda2": 0.1}), ("L0L1", {"lambda1": 0.05})])
def test_cd_alone_reaches_a_coordinatewise_minimum(penalty, strengths):
    for seed in range(5):
        X, y = correlated_instance(seed, n=60, p=40)
        model = L0Regression(0.02, penalty=penalty, algorithm="CD", fit_intercept=False, tol=1e-10,
                             **strengths).fit(X, y)
        assert np.count_nonzero(model.coef_) > 0
        assert coordinate_wise_violation(X, y, model.coef_, 0.02, **strengths) <= 1e-9


def test_swaps_never_do_worse_than_cd():
    for seed in range(10):
        X, y = correlated_instance(seed, n=60, p=40)
        cd = L0Regression(0.02, algorithm="CD", fit_intercept=False).fit(X, y)
        swaps = L0Regression(0.02, algorithm="CDPSI", fit_intercept=False).fit(X, y)
        assert l0_objective(X, y, swaps.coef_, 0.02) <= l0_objective(X, y, cd.coef_, 0.02) + 1e-12


@pytest.mark.parametrize("algorithm", ["forward", "IHT"])
def test_subset_has_k_nonzeros_and_matches_brute_force(algorithm):
    hits = 0
    for seed in range(N_INSTANCES):
        X, y = correlated_instance(seed)
        k = 2 + seed % 4
        model = SubsetRegression(k, algorithm=algorithm, fit_intercept=False).fit(X, y)
        assert np.count_nonzero(model.coef_) == k
        ours = l0_objective(X, y, model.coef_)
        optimum = brute_force(X, y, sizes=[k])
        hits += ours <= optimum + 1e-9 * optimum
    print(f"SubsetRegression ({algorithm}) reached the brute-force optimum in {hits}/{N_INSTANCES} instances")
    assert hits >= 0.95 * N_INSTANCES


def test_support_recovery_and_intercept():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 100))
    coef = np.zeros(100)
    coef[[3, 17, 50, 91]] = [2.0, -1.5, 1.0, 3.0]
    y = X @ coef + 0.3 * rng.standard_normal(200) + 5.0
    model = L0Regression(0.01).fit(X, y)
    np.testing.assert_array_equal(np.flatnonzero(model.coef_), [3, 17, 50, 91])
    np.testing.assert_allclose(model.coef_[[3, 17, 50, 91]], coef[[3, 17, 50, 91]], atol=0.1)
    assert model.intercept_ == pytest.approx(5.0, abs=0.1)
    subset = SubsetRegression(4).fit(X, y)
    np.testing.assert_allclose(subset.coef_, model.coef_, atol=1e-10)


@pytest.mark.parametrize("estimator", [L0Regression(0.02, penalty="L0L2", lambda2=0.01), SubsetRegression(5)])
def test_dense_and_csc_agree_with_weights(estimator):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((80, 30)) * (rng.random((80, 30)) < 0.5)
    y = X[:, :5] @ np.arange(1.0, 6.0) + rng.standard_normal(80) + 2.0
    weights = rng.uniform(0.5, 2.0, 80)
    dense = estimator.fit(X, y, sample_weight=weights)
    dense_coef, dense_intercept = dense.coef_.copy(), dense.intercept_
    sparse = estimator.fit(sp.csc_matrix(X), y, sample_weight=weights)
    np.testing.assert_allclose(sparse.coef_, dense_coef, atol=1e-10)
    assert sparse.intercept_ == pytest.approx(dense_intercept, abs=1e-10)
    # the weighted fit is the unweighted fit of the data repeated by integer weights
    repeats = rng.integers(1, 4, 80)
    weighted = estimator.fit(X, y, sample_weight=repeats).coef_.copy()
    repeated = estimator.fit(np.repeat(X, repeats, axis=0), np.repeat(y, repeats)).coef_
    np.testing.assert_allclose(weighted, repeated, atol=1e-10)


def test_max_support_size_caps_the_support():
    X, y = correlated_instance(0, n=60, p=40)
    model = L0Regression(1e-4, max_support_size=3, fit_intercept=False).fit(X, y)
    assert np.count_nonzero(model.coef_) == 3


def test_l0_path_warm_starts_and_grows():
    X, y = correlated_instance(1, n=60, p=40)
    path = l0_path(X, y, penalty="L0L2", n_gamma=3, max_support_size=10, fit_intercept=False)
    assert len(path.lambda0s) == 3 and np.allclose(path.gammas[0] / path.gammas[-1], 1e5)
    for lambda0s, coefs in zip(path.lambda0s, path.coefs):
        assert np.all(np.diff(lambda0s) < 0)
        sizes = np.count_nonzero(coefs, axis=0)
        assert sizes[0] == 0 and sizes[-1] >= 10 or len(lambda0s) == 100
    # each point is a fit at its lambda0 (rerun from scratch, CD + swaps reach the same objective or lower)
    lambda2 = path.gammas[1]
    for lambda0, coef in zip(path.lambda0s[1][1:6], path.coefs[1].T[1:6]):
        fresh = L0Regression(lambda0, penalty="L0L2", lambda2=lambda2, fit_intercept=False).fit(X, y).coef_
        assert l0_objective(X, y, coef, lambda0, lambda2=lambda2) <= (
            l0_objective(X, y, fresh, lambda0, lambda2=lambda2) * (1 + 1e-3))


def test_subset_path_sizes_and_brute_force():
    X, y = correlated_instance(2)
    coefs, intercepts = subset_path(X, y, range(1, 7), fit_intercept=False)
    np.testing.assert_array_equal(np.count_nonzero(coefs, axis=0), np.arange(1, 7))
    for k in range(1, 7):
        assert l0_objective(X, y, coefs[:, k - 1]) == pytest.approx(brute_force(X, y, sizes=[k]), rel=1e-9)


@pytest.mark.parametrize("params, message", [
    ({"penalty": "L0", "lambda2": 0.1}, "lambda2=0.1 is only used with penalty='L0L2'"),
    ({"penalty": "L0L2", "lambda1": 0.1}, "lambda1=0.1 is only used with penalty='L0L1'"),
    ({"penalty": "L1"}, "penalty"),
    ({"lambda0": -1.0}, "lambda0"),
    ({"algorithm": "MIO"}, "algorithm"),
])
def test_bad_parameters(params, message):
    X, y = correlated_instance(0)
    with pytest.raises(ValueError, match=message):
        L0Regression(**params).fit(X, y)


def test_bad_input():
    X, y = correlated_instance(0)
    with pytest.raises(ValueError, match="NaN"):
        L0Regression().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="y must have length"):
        SubsetRegression(2).fit(X, y[:-1])
    with pytest.raises(ValueError, match="n_nonzeros"):
        subset_path(X, y, [3, 2])


def test_max_iter_warns():
    X, y = correlated_instance(0, n=60, p=40)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        L0Regression(1e-3, max_iter=1, algorithm="CD").fit(X, y)


@pytest.mark.parametrize("estimator", [L0Regression(0.01), L0Regression(0.01, penalty="L0L1", lambda1=0.01),
                                       SubsetRegression(2), SubsetRegression(2, algorithm="IHT")])
def test_check_estimator(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(estimator)


def test_cv_picks_the_true_support_and_runs_in_parallel():
    from sparseopt.l0 import L0RegressionCV

    rng = np.random.default_rng(5)
    X = rng.standard_normal((150, 40))
    y = X[:, [2, 7, 30]] @ np.array([2.0, -1.5, 1.0]) + 0.5 * rng.standard_normal(150)
    serial = L0RegressionCV(penalty="L0L2", n_gamma=2, max_support_size=8, cv=3).fit(X, y)
    chosen = set(np.flatnonzero(serial.coef_))
    assert {2, 7, 30} <= chosen and len(chosen) <= 5
    assert serial.cv_errors_[0].shape[0] == 3 and len(serial.cv_errors_) == 2
    parallel = L0RegressionCV(penalty="L0L2", n_gamma=2, max_support_size=8, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(parallel.coef_, serial.coef_)
    assert (parallel.gamma_, parallel.lambda0_) == (serial.gamma_, serial.lambda0_)


def test_benchmark_tiny_writes_its_tables(tmp_path):
    from sparseopt.benchmarks.cli import main

    assert main(["l0", "--size", "tiny", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "l0_summary.md").read_text()
    for method in ("sparseopt L0", "sparseopt subset", "sparseopt subset (EBIC)", "sparseopt subset (validation)",
                   "sparseopt Lasso", "sparseopt MCP", "abess"):
        assert f"| {method} | 1 |" in summary
    assert "| sparseopt subset_path |" in summary
    assert len((tmp_path / "l0_recovery.csv").read_text().splitlines()) == 8


def test_example_l0_support_recovery(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "recovery.png"
    script = Path(__file__).resolve().parent.parent / "examples" / "l0_support_recovery.py"
    completed = subprocess.run([sys.executable, str(script), "--out", str(out), "--samples", "150", "--features",
                                "200"], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert "L0 (CD + exchanges): " in completed.stdout and "Lasso: " in completed.stdout
    assert out.stat().st_size > 10_000
    # named for tests/test_examples.py: "l0_support_recovery.py"


def test_exchange_values_in_closed_form_match_direct_refits():
    """numba_kernels.l0_exchange: the change of F(S) = min_b 1/(2n)||y - X_S b||^2 + lambda2 ||b||^2 + lambda0 |S|
    predicted for every removal of up to two slots and addition of up to two pool features equals the refitted
    value; and the state after a move (Givens downdates, bordered adds) equals the state built from scratch."""
    from numba_kernels import l0_exchange as exchange
    from sparseopt.l0 import solver

    X, y = correlated_instance(11, n=40, p=15)
    n, lambda0, lambda2 = 40, 0.01, 0.03
    problem = solver.prepare(X, y, np.ones(n), False)
    data = solver._kernel_data(problem)[:6]

    def refitted(support):
        if not support:
            return 0.5 * y @ y / n
        gram = X[:, support].T @ X[:, support] / n + 2 * lambda2 * np.eye(len(support))
        target = X[:, support].T @ y / n
        return 0.5 * y @ y / n - 0.5 * target @ np.linalg.solve(gram, target) + lambda0 * len(support)

    def state_of(support):
        K, V, R, slots, inside, beta, t, c, d, baseline, cache, cache_slot = exchange._empty_state(
            *data, problem.y, problem.lipschitz, lambda2, 10)
        size, z_sq, complete = exchange._grow(*data, np.array(support, dtype=np.int64), K, V, R, slots, 0, inside,
                                              problem.lipschitz, lambda2, c, d, beta, 0.0, cache, cache_slot,
                                              np.zeros(0, dtype=np.int64))
        assert complete
        return [K, V, R, slots, size, inside, t, c, d, beta, z_sq, baseline, cache, cache_slot]

    support = [2, 5, 7, 11]
    K, V, R, slots, size, inside, t, c, d, beta, z_sq, baseline, _, _ = state_of(support)
    assert baseline - 0.5 * z_sq + lambda0 * size == pytest.approx(refitted(support), rel=1e-12)
    pool = np.array([j for j in range(15) if j not in support])
    H, M, D = exchange._pool_state(*data, V, R, size, c, d, pool, 20)
    checked = 0
    for removed in [(), (0,), (3,), (0, 3), (1, 2)]:
        for added in [(), (0,), (4,), (0, 1), (3, 7)]:
            r = list(removed) + [-1] * (2 - len(removed))
            a = list(added) + [-1] * (2 - len(added))
            predicted = exchange.exchange_value(r[0], r[1], a[0], a[1], beta, H, M, c[pool], D, lambda0)
            new = [s for k, s in enumerate(slots[:size]) if k not in removed] + [pool[k] for k in added]
            assert predicted == pytest.approx(refitted(new) - refitted(support), abs=1e-13)
            checked += 1
    assert checked == 25
    for removed, added in [((1,), ()), ((0, 3), ()), ((2,), (6,)), ((0, 1), (9, 13))]:
        K, V, R, slots, size, inside, t, c, d, beta, z_sq, _, cache, cache_slot = state_of(support)
        moves = [(removed, added)]
        if added:  # then back: the removed features re-enter with the Gram columns kept in the cache
            moves.append((tuple(range(size - len(removed), size)), tuple(support[k] for k in removed)))
        for step, (out, into) in enumerate(moves):
            size, z_sq, made = exchange._exchange(*data, K, V, R, slots, size, inside, t, problem.lipschitz, lambda2,
                                                  c, d, beta, z_sq, np.array(out, dtype=np.int64),
                                                  np.array(into, dtype=np.int64), cache, cache_slot, pool)
            assert made and (step == 0 or all(cache_slot[j] >= 0 for j in into))
            for j in np.flatnonzero(cache_slot >= 0):  # removed features and the prefetched pool candidate
                np.testing.assert_allclose(cache[:, cache_slot[j]], X.T @ X[:, j] / n, atol=1e-13)
            new = [int(s) for s in slots[:size]]
            fresh = state_of(new)
            assert baseline - 0.5 * z_sq + lambda0 * size == pytest.approx(refitted(new), rel=1e-12)
            np.testing.assert_allclose(c, fresh[7], atol=1e-13)
            np.testing.assert_allclose(d, fresh[8], atol=1e-13)
            np.testing.assert_allclose(beta[:size], fresh[9][:size], atol=1e-12)
        assert sorted(new) == sorted(support if added else [s for k, s in enumerate(support) if k not in removed])


def test_information_criteria_against_direct_formulas():
    """EBIC = n log(RSS/n) + s (log n + 2 log p), GIC = n log(RSS/n) + s log p log log n, from refits by lstsq."""
    from sparseopt.l0 import information_criterion

    X, y = correlated_instance(4, n=40, p=12)
    supports = [[], [3], [3, 7], [0, 3, 7, 9]]
    rss = []
    for support in supports:
        design = np.column_stack([np.ones(40), X[:, support]])
        residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        rss.append(residual @ residual)
    sizes = [len(s) for s in supports]
    expected_ebic = [40 * np.log(r / 40) + s * (np.log(40) + 2 * np.log(12)) for r, s in zip(rss, sizes)]
    expected_gic = [40 * np.log(r / 40) + s * np.log(12) * np.log(np.log(40)) for r, s in zip(rss, sizes)]
    np.testing.assert_allclose(information_criterion(rss, sizes, 40, 12), expected_ebic, rtol=1e-12)
    np.testing.assert_allclose(information_criterion(rss, sizes, 40, 12, "gic"), expected_gic, rtol=1e-12)
    with pytest.raises(ValueError, match="criterion"):
        information_criterion(rss, sizes, 40, 12, "aic")
    with pytest.raises(ValueError, match="n_samples = 2"):
        information_criterion(rss, sizes, 2, 12)


def test_one_standard_error_set_and_ebic_within_it_against_direct_computation():
    """A = {k : E_k - E_k0 <= SE_k}, E_k = mean_i e_ik, SE_k = sd_i(e_ik - e_ik0) / sqrt(m) (ddof 1), written out
    by loops; the rule "ebic_1se" is the smallest EBIC inside A; and a hand-made case with known answers."""
    from sparseopt.l0.selection import ebic_within_one_standard_error, one_standard_error_set

    rng = np.random.default_rng(8)
    for _ in range(20):
        m, points = int(rng.integers(2, 40)), int(rng.integers(1, 12))
        errors = rng.exponential(1.0, (m, points)) * rng.uniform(0.8, 1.2, points)
        means = [sum(errors[i, k] for i in range(m)) / m for k in range(points)]
        best = min(range(points), key=lambda k: means[k])
        expected = []
        for k in range(points):
            gaps = [errors[i, k] - errors[i, best] for i in range(m)]
            mean_gap = sum(gaps) / m
            spread = np.sqrt(sum((gap - mean_gap) ** 2 for gap in gaps) / (m - 1))
            expected.append(mean_gap <= spread / np.sqrt(m))
        np.testing.assert_array_equal(one_standard_error_set(errors), expected)
        ebic = rng.standard_normal(points)
        inside = [k for k in range(points) if expected[k]]
        assert ebic_within_one_standard_error(ebic, errors) == min(inside, key=lambda k: ebic[k])
    # means 3, 1, 1.5, 2.5, 1.5 with k0 = 1; differences to column 1: [3, 1] (mean 2, SE 1: out), [1, 0] (0.5, SE
    # 0.5: in), [2, 1] (1.5, 0.5: out), [0.5, 0.5] (0.5, SE 0: out, though within sd(e_i1)/sqrt(2) = 1 of E_1)
    errors = np.array([[3.0, 0.0, 1.0, 2.0, 0.5], [3.0, 2.0, 2.0, 3.0, 2.5]])
    np.testing.assert_array_equal(one_standard_error_set(errors), [False, True, True, False, False])
    assert ebic_within_one_standard_error([-9.0, 5.0, 4.0, -9.0, -20.0], errors) == 2
    with pytest.raises(ValueError, match="shape"):
        one_standard_error_set(np.ones((1, 3)))


def test_benchmark_rule_equals_the_selection_functions():
    """The benchmark's L0 / subset rows pick the point of smallest EBIC within the validation one-SE set."""
    from sparseopt.benchmarks.l0 import _best_by_ebic_within_one_se
    from sparseopt.l0.selection import information_criterion

    X, y = correlated_instance(6, n=60, p=12)
    X_val, y_val = correlated_instance(7, n=60, p=12)
    coefs, intercepts = subset_path(X, y, range(0, 8))
    chosen = _best_by_ebic_within_one_se(coefs, intercepts, X, y, X_val, y_val)
    rss = [np.sum((y - X @ coefs[:, k] - intercepts[k]) ** 2) for k in range(8)]
    ebic = information_criterion(rss, range(8), 60, 12)
    errors = (y_val[:, None] - X_val @ coefs - intercepts) ** 2
    gaps = errors - errors[:, [errors.mean(0).argmin()]]
    inside = np.flatnonzero(gaps.mean(0) <= gaps.std(0, ddof=1) / np.sqrt(60))
    np.testing.assert_array_equal(chosen, coefs[:, inside[np.argmin(ebic[inside])]])


@pytest.mark.parametrize("criterion", ["ebic", "gic", "cv", "ebic_1se"])
def test_subset_ic_recovers_the_true_support(criterion):
    """n = 200, p = 300, Toeplitz 0.5, 5 true features at SNR 5: every criterion picks exactly the true support;
    the EBIC values stored along the path are those of the path's refits."""
    from sparseopt.l0 import SubsetRegressionIC, information_criterion

    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 300))
    for j in range(1, 300):
        X[:, j] = 0.5 * X[:, j - 1] + np.sqrt(0.75) * X[:, j]
    truth = np.zeros(300)
    truth[[10, 70, 150, 220, 290]] = [1.5, -1.0, 1.0, 2.0, -1.5]
    signal = X @ truth
    y = 3.0 + signal + rng.standard_normal(200) * np.sqrt(signal.var() / 5)
    model = SubsetRegressionIC(20, criterion=criterion, cv=3).fit(X, y)
    np.testing.assert_array_equal(np.flatnonzero(model.coef_), np.flatnonzero(truth))
    assert model.n_nonzero_ == 5 and model.path_coefs_.shape == (300, 21)
    assert model.intercept_ == pytest.approx(3.0, abs=0.3)
    if criterion in ("ebic", "ebic_1se"):
        residuals = y[:, None] - X @ model.path_coefs_ - model.path_intercepts_
        direct = information_criterion((residuals ** 2).sum(0), np.arange(21), 200, 300)
        np.testing.assert_allclose(model.criterion_values_, direct, rtol=1e-10)
    if criterion in ("cv", "ebic_1se"):
        assert model.cv_errors_.shape == (3, 21)
    if criterion == "ebic_1se":  # the held-out rows of the 3 folds refitted by hand
        from sklearn.model_selection import KFold

        heldout = []
        for train, test in KFold(3).split(X):
            coefs, intercepts = subset_path(X[train], y[train], range(21))
            heldout.append((y[test, None] - X[test] @ coefs - intercepts) ** 2)
        heldout = np.concatenate(heldout)
        np.testing.assert_allclose(model.cv_errors_[0], heldout[:67].mean(0), rtol=1e-10)
        gaps = heldout - heldout[:, [heldout.mean(0).argmin()]]
        np.testing.assert_array_equal(model.one_standard_error_set_, gaps.mean(0) <= gaps.std(0, ddof=1) / np.sqrt(200))
        assert model.one_standard_error_set_[5]


@pytest.mark.parametrize("criterion", ["ebic", "ebic_1se"])
def test_subset_ic_check_estimator(criterion):
    from sparseopt.l0 import SubsetRegressionIC

    check_estimator(SubsetRegressionIC(5, criterion=criterion, cv=3))
