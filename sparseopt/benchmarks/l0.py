"""The L0 benchmark: a support-recovery study, not a suboptimality race (``sparseopt-bench l0``).

Data (Hazimeh & Mazumder 2020, section 6): rows of X drawn from N(0, Sigma), Sigma_jk = rho^|j-k| with rho = 0.5,
w* = 1 on 10 equispaced features, y = X w* + e with e Gaussian scaled to SNR = Var(X w*) / Var(e) in {1, 3, 10};
and a semi-synthetic set on a real design (scikit-learn's diabetes with pairwise interactions, 442 x 55,
standardised) with the same kind of signal. The rows are split into training, validation and test thirds. Every
method fits its whole path on the training set only and picks one point of it with the training fit and, except
abess, the validation set (the same two sets for every method; no method refits on the validation rows):

- ``sparseopt L0``: the lambda0 path of L0Regression (CD + exchanges), up to 30 non-zeros; ``sparseopt subset``:
  the subset path for k = 0..30 (``subset_path``). Both pick by EBIC within the one-standard-error set of the
  validation error (``sparseopt.l0.selection``, rule "ebic_1se"): with e_ik the squared validation error of path
  point k on validation row i (m rows), E_k = mean_i e_ik, k0 = argmin E_k and SE_k = sd_i(e_ik - e_ik0) / sqrt(m),
  the point of smallest EBIC(k) = n log(RSS_k / n) + s_k (log n + 2 log p) among {k : E_k - E_k0 <= SE_k};
- ``sparseopt subset (EBIC)``: the subset path, EBIC alone on the training fit (abess's rule);
- ``sparseopt subset (validation)``: the subset path, smallest validation error;
- ``sparseopt Lasso``, ``sparseopt MCP`` (gamma = 3): 100-point warm-started paths, smallest validation error;
- ``abess``: abess.LinearRegression over support sizes 0..30 (splicing), its default EBIC (abess returns only the
  chosen fit, not the path).

Reported per method and setting (means over repetitions): exact support recovery rate, F1 of the support,
relative prediction error ||X_test (w - w*)||^2 / ||X_test w*||^2 with the columns of X_test centred (the same
formula for every method, intercepts left out), support size, and the wall time of the path and selection.
A second table times the full path over support sizes 1..30 (``subset_path`` against abess, fastest of 5 calls,
timed before the other methods run).
Each finished run is appended to ``l0_recovery.csv`` and the tables in ``l0_summary.md`` are rewritten.
"""
import csv
import time
import warnings
from pathlib import Path

import numpy as np

from sparseopt.benchmarks import datasets
from sparseopt.benchmarks.family import Family

MAX_SUPPORT = 30
METHODS = ("sparseopt L0", "sparseopt subset", "sparseopt subset (EBIC)", "sparseopt subset (validation)",
           "sparseopt Lasso", "sparseopt MCP", "abess")
COLUMNS = ("setting", "repetition", "method", "status", "exact", "f1", "prediction_error", "support_size", "time_s")

#: (n, p list, SNRs, repetitions, real-data repetitions) per size
SIZES = {"tiny": (60, (100,), (3.0,), 1, 0), "quick": (200, (500,), (1.0, 3.0, 10.0), 1, 1),
         "full": (500, (1000, 5000), (1.0, 3.0, 10.0), 20, 20)}


def toeplitz_design(n_samples, n_features, rho, rng):
    """Rows N(0, Sigma), Sigma_jk = rho^|j-k|, by the AR(1) recursion over the columns."""
    innovations = rng.standard_normal((n_samples, n_features))
    X = np.empty((n_samples, n_features), order="F")
    X[:, 0] = innovations[:, 0]
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho ** 2) * innovations[:, j]
    return X


def make_setting(X_all, n_true, snr, rng):
    """Split rows of X_all into train / validation / test thirds and draw y with w* = 1 on n_true equispaced
    features and noise variance Var(X w*) / snr."""
    n_features = X_all.shape[1]
    true_coef = np.zeros(n_features)
    true_coef[np.linspace(0, n_features - 1, n_true).astype(int)] = 1.0
    signal = X_all @ true_coef
    y_all = signal + rng.standard_normal(len(signal)) * np.sqrt(signal.var() / snr)
    parts = np.array_split(rng.permutation(len(y_all)), 3)
    return [(np.asfortranarray(X_all[rows]), y_all[rows]) for rows in parts], true_coef


def _best_on_validation(coefs, intercepts, X_val, y_val):
    errors = ((X_val @ coefs + intercepts - y_val[:, None]) ** 2).mean(axis=0)
    best = int(np.argmin(errors))
    return coefs[:, best]


def _best_by_ebic_within_one_se(coefs, intercepts, X, y, X_val, y_val):
    """The path point of smallest EBIC (training fit) among those whose validation error is within one standard
    error of the smallest (rule "ebic_1se" of ``sparseopt.l0.selection``)."""
    from sparseopt.l0.selection import (ebic_within_one_standard_error, information_criterion, residual_sums,
                                        squared_errors)

    ebic = information_criterion(residual_sums(X, y, coefs, intercepts), np.count_nonzero(coefs, axis=0),
                                 X.shape[0], X.shape[1])
    return coefs[:, ebic_within_one_standard_error(ebic, squared_errors(X_val, y_val, coefs, intercepts))]


def fit_method(method, X, y, X_val, y_val):
    """The coefficients one method's path (fitted on X, y) chooses: by EBIC on the training fit, by validation
    error, or by EBIC within the one-standard-error set of the validation error."""
    largest = min(MAX_SUPPORT, X.shape[0] - 2)  # beyond, the training fit can be exact and its EBIC meaningless
    if method == "sparseopt L0":
        from sparseopt.l0 import l0_path

        path = l0_path(X, y, penalty="L0", max_support_size=largest)
        return _best_by_ebic_within_one_se(path.coefs[0], path.intercepts[0], X, y, X_val, y_val)
    if method == "sparseopt subset":
        from sparseopt.l0 import subset_path

        coefs, intercepts = subset_path(X, y, range(0, largest + 1))
        return _best_by_ebic_within_one_se(coefs, intercepts, X, y, X_val, y_val)
    if method == "sparseopt subset (EBIC)":
        from sparseopt.l0 import SubsetRegressionIC

        return SubsetRegressionIC(MAX_SUPPORT).fit(X, y).coef_
    if method == "sparseopt subset (validation)":
        from sparseopt.l0 import subset_path

        coefs, intercepts = subset_path(X, y, range(1, MAX_SUPPORT + 1))
        return _best_on_validation(coefs, intercepts, X_val, y_val)
    if method in ("sparseopt Lasso", "sparseopt MCP"):
        from sparseopt.linear_model import Lasso, MCPRegression

        scale = np.sqrt((X - X.mean(0)).var(0)).max()
        alpha_max = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y)
        model = (Lasso(warm_start=True) if method == "sparseopt Lasso"
                 else MCPRegression(gamma=3.0 * max(scale, 1.0) ** 2, warm_start=True))
        coefs, intercepts = [], []
        for alpha in np.geomspace(alpha_max, alpha_max * 1e-3, 100):
            model.set_params(alpha=alpha).fit(X, y)
            coefs.append(model.coef_.copy())
            intercepts.append(model.intercept_)
            if np.count_nonzero(model.coef_) > 3 * MAX_SUPPORT:
                break
        return _best_on_validation(np.column_stack(coefs), np.array(intercepts), X_val, y_val)
    from abess.linear import LinearRegression

    # abess returns only the support size its information criterion (EBIC, its default) picks along its path
    return LinearRegression(support_size=range(0, MAX_SUPPORT + 1)).fit(X, y).coef_


def support_scores(coef, true_coef):
    """(exact recovery, F1) of the support of coef against that of true_coef."""
    found, truth = coef != 0, true_coef != 0
    hits = np.sum(found & truth)
    f1 = 2 * hits / (found.sum() + truth.sum()) if found.sum() + truth.sum() else 1.0
    return float(np.array_equal(found, truth)), float(f1)


def time_support_path(X, y, repeats=5):
    """Wall times of the path over support sizes 1..30: subset_path against abess (support_size=range(1, 31),
    one call, warm-started internally); each run once untimed first (compilation), then ``repeats`` timed calls
    of each, alternating, and the fastest kept (the machine is shared: the minimum is the least disturbed)."""
    from abess.linear import LinearRegression

    from sparseopt.l0 import subset_path

    runs = {"sparseopt subset_path": lambda: subset_path(X, y, range(1, MAX_SUPPORT + 1)),
            "abess LinearRegression": lambda: LinearRegression(support_size=range(1, MAX_SUPPORT + 1),
                                                               ic_type="loss").fit(X, y)}
    timings = {name: np.inf for name in runs}
    for run in runs.values():
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            timings[name] = min(timings[name], time.perf_counter() - start)
    return timings


def run_study(out_dir, size):
    """Run the recovery study at ``size`` and write ``l0_recovery.csv`` and ``l0_summary.md`` into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "l0_recovery.csv"
    with open(csv_path, "w", newline="") as handle:
        csv.writer(handle).writerow(COLUMNS)
    n, feature_counts, snrs, repetitions, real_repetitions = SIZES[size]
    rows, path_times = [], []
    settings = [(f"synthetic n={n} p={p} rho=0.5 SNR={snr:g}", p, snr, repetitions)
                for p in feature_counts for snr in snrs]
    if real_repetitions:
        settings.append(("diabetes interactions 442x55 (real X), SNR=3", None, 3.0, real_repetitions))
    for name, n_features, snr, reps in settings:
        for repetition in range(reps):
            rng = np.random.default_rng(repetition)
            X_all = toeplitz_design(3 * n, n_features, 0.5, rng) if n_features else datasets.diabetes(degree=2)[0]
            n_true = 10 if n_features is None or n_features >= 50 else 5
            (train, validation, test), true_coef = make_setting(X_all, n_true, snr, rng)
            if repetition == 0:  # first, so that no thread pool left busy by the other methods disturbs it
                path_times.append((name, time_support_path(*train)))
            for method in METHODS:
                rows.append(_run_one(name, repetition, method, train, validation, test, true_coef))
                _append(csv_path, rows[-1])
            _write_summary(out_dir, rows, path_times)
    return rows, path_times


def _run_one(setting, repetition, method, train, validation, test, true_coef):
    record = dict(setting=setting, repetition=repetition, method=method, status="ok")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if repetition == 0:  # untimed: compilation and imports
                fit_method(method, *train, *validation)
            start = time.perf_counter()
            coef = fit_method(method, *train, *validation)
            record["time_s"] = time.perf_counter() - start
    except ModuleNotFoundError:
        record["status"] = "not installed"
        return record
    except Exception as error:  # a failing method gives a row, not a crash
        record["status"] = f"failed: {type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"
        return record
    X_test = test[0] - test[0].mean(0)
    record["exact"], record["f1"] = support_scores(coef, true_coef)
    record["prediction_error"] = float(np.sum((X_test @ (coef - true_coef)) ** 2) / np.sum((X_test @ true_coef) ** 2))
    record["support_size"] = int(np.count_nonzero(coef))
    return record


def _append(csv_path, record):
    with open(csv_path, "a", newline="") as handle:
        csv.writer(handle).writerow([record.get(column, "") for column in COLUMNS])


def _write_summary(out_dir, rows, path_times):
    """Markdown tables: per setting and method the mean exact-recovery rate, F1, prediction error, support
    size and time; then the support-size path timings."""
    lines = ["# sparseopt L0 benchmark: support recovery", "",
             "| setting | method | runs | exact recovery | F1 | prediction error | support size | path time (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for setting in dict.fromkeys(row["setting"] for row in rows):
        for method in METHODS:
            done = [row for row in rows if row["setting"] == setting and row["method"] == method]
            ok = [row for row in done if row["status"] == "ok"]
            if not ok:
                lines.append(f"| {setting} | {method} | 0 | {done[0]['status'] if done else ''} | | | | |")
                continue
            mean = {key: np.mean([row[key] for row in ok]) for key in
                    ("exact", "f1", "prediction_error", "support_size", "time_s")}
            lines.append(f"| {setting} | {method} | {len(ok)} | {mean['exact']:.2f} | {mean['f1']:.3f} | "
                         f"{mean['prediction_error']:.4f} | {mean['support_size']:.1f} | {mean['time_s']:.3f} |")
    lines += ["", "## Path over support sizes 1..30 (training set of the first repetition)", "",
              "| setting | solver | time (s) |", "|---|---|---|"]
    for setting, timings in path_times:
        lines += [f"| {setting} | {solver_name} | {seconds:.3f} |" for solver_name, seconds in timings.items()]
    (out_dir / "l0_summary.md").write_text("\n".join(lines) + "\n")


def no_problems(size):
    """The L0 family has no suboptimality problems: its study is ``run_study``."""
    return []


FAMILY = Family(name="l0", make_problems=no_problems, solvers=(), extra_report=run_study)
