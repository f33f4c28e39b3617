"""The SLOPE benchmark family: single SLOPE fits (suboptimality against time) and a path study.

Single fits, P(w) = 1/(2n) ||y - Xw||^2 + alpha sum_i v_i |w|_(i) with the BH sequence (q = 0.1), no intercept, at
alpha_max / 10: sparseopt's SLOPE with the hybrid solver and with FISTA, and sortedl1's ``Slope`` (hybrid CD).

Path study (``write_path_study``, run after the single fits and written to ``slope_paths.md`` and
``slope_paths.csv``, one CSV row per finished path): on each data set, Group SLOPE and Sparse-group SLOPE
(eta = 0.9) paths of ``N_ALPHAS`` points from alpha_max down to ``EPS`` alpha_max, fitted with and without
strong screening to a relative duality gap of ``PATH_TOL`` (with the default working set, the previous set, and
with the strong set of Feser & Evangelou); the grid is built once per model before the timed paths (alpha_max of Sparse-group SLOPE is a
bisection, reported apart). The table gives the times, the speedup, the work speedup (features fitted x solver
iterations, summed over the fits of the path, unscreened over screened: a count that the machine's load does not
move), the active-set reference (the work speedup of fitting exactly the active features with the unscreened
iteration counts: a bound for a screened path whose fits need as many iterations as the unscreened ones), the mean proportions of variables and groups discarded by the screening rule and of variables
fitted, the KKT violations, and the largest relative objective difference between each screened path and the
unscreened one. Then the SLOPE path (hybrid solver, screened with the default working set) against sortedl1's
``Slope.path`` on the same grid and the same tolerance, with the largest relative objective difference.

Data: synthetic (``grouped_design``: n = 200, the defaults of the ``sgs`` package's generator ``gen_toy_data``,
10% of the groups active with half their features, coefficients N(0, 10), noise N(0, 1), plus a within-group
correlation of 0.3; groups of 20 consecutive features; p = 1000 in quick runs, 1000, 2000 and 5000 in full runs; the
``tiny`` size of the tests uses p = 200), and in full runs scikit-learn's diabetes data with degree-3
interactions (442 x 175), grouped by the first raw feature of each product.
"""
import csv
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sparseopt.benchmarks import datasets
from sparseopt.benchmarks.family import Family, SolverAdapter

N_ALPHAS = 20
EPS = 0.05
PATH_TOL = 1e-5
GROUP_SIZE = 20
GROUP_SPARSITY = 0.1  # share of groups with signal (sgs gen_toy_data default)
RHO = 0.3  # within-group correlation
PATH_SIZES = {"tiny": (200,), "quick": (1000,), "full": (1000, 2000, 5000)}
CSV_COLUMNS = ("data", "model", "method", "time_s", "n_alphas", "screened_out_variables", "screened_out_groups",
               "fitted_variables", "kkt_violations", "points_with_violations", "max_objective_difference",
               "alpha_max_time_s", "feature_iterations", "work_speedup", "active_set_reference")


def grouped_design(n_samples, n_features, *, rho=RHO, seed=0):
    """The design of the ``sgs`` package's data generator (``gen_toy_data``, its defaults) with correlation:
    groups of GROUP_SIZE consecutive features, equicorrelated (rho) within a group and independent across groups;
    GROUP_SPARSITY of the groups carry signal, each of their features with probability 1/2, with coefficients
    N(0, 10); y = X w* + N(0, 1) noise. Returns (X, y, group sizes)."""
    rng = np.random.default_rng(seed)
    n_groups = n_features // GROUP_SIZE
    sizes = [GROUP_SIZE] * n_groups + ([n_features % GROUP_SIZE] if n_features % GROUP_SIZE else [])
    shared = np.repeat(rng.standard_normal((n_samples, len(sizes))), sizes, axis=1)
    X = np.sqrt(1 - rho) * rng.standard_normal((n_samples, n_features)) + np.sqrt(rho) * shared
    coef = np.zeros(n_features)
    for g in rng.choice(n_groups, max(1, int(GROUP_SPARSITY * n_groups)), replace=False):
        members = g * GROUP_SIZE + np.flatnonzero(rng.random(GROUP_SIZE) < 0.5)
        coef[members] = rng.normal(0.0, np.sqrt(10.0), members.size)
    return np.asfortranarray(X), X @ coef + rng.standard_normal(n_samples), sizes


def diabetes_grouped():
    """Diabetes with degree-3 interactions (442 x 175), features grouped by the first raw feature of each product
    (group sizes 45, 36, ..., 1), as index lists."""
    from itertools import combinations

    X, y = datasets.diabetes(degree=3)
    products = [c for degree in (1, 2, 3) for c in combinations(range(10), degree)]
    groups = [[j for j, product in enumerate(products) if product[0] == first] for first in range(10)]
    return X, y, [group for group in groups if group]


@dataclass(frozen=True)
class SlopeProblem:
    """min_w 1/(2n) ||y - Xw||^2 + alpha sum_i v_i |w|_(i), BH v (q = 0.1), no intercept."""

    name: str
    X: np.ndarray
    y: np.ndarray
    alpha: float

    @property
    def lambdas(self):
        from sparseopt.slope import bh_lambdas

        return bh_lambdas(self.X.shape[1], 0.1)

    def objective(self, coef):
        residual = self.y - self.X @ coef
        return 0.5 * residual @ residual / self.y.size + self.alpha * self.lambdas @ np.sort(np.abs(coef))[::-1]

    def support_size(self, coef):
        return int(np.count_nonzero(coef))


def make_problems(size):
    """SLOPE at alpha_max / 10 on the synthetic design (p = 200 tiny, 1000 quick, 5000 full) and on diabetes
    (full runs only)."""
    from sparseopt.slope import bh_lambdas

    designs = {f"synthetic 200x{p}": grouped_design(200, p)[:2] for p in PATH_SIZES[size][-1:]}
    if size == "full":
        designs["diabetes degree-3 interactions 442x175"] = datasets.diabetes(degree=3)
    problems = []
    for name, (X, y) in designs.items():
        gradient = X.T @ y / y.size
        largest = np.max(np.cumsum(np.sort(np.abs(gradient))[::-1]) / np.cumsum(bh_lambdas(X.shape[1], 0.1)))
        problems.append(SlopeProblem(f"{name}, alpha_max/10", X, y, largest / 10))
    return problems


def solve_sparseopt(solver):
    def solve(problem, tol):
        from sparseopt.slope import SLOPE

        model = SLOPE(problem.alpha, lambdas=problem.lambdas, fit_intercept=False, solver=solver, tol=tol,
                      max_iter=100_000)
        return model.fit(problem.X, problem.y).coef_

    solve.__doc__ = f"sparseopt's SLOPE, solver={solver!r}, stopped at relative duality gap tol."
    return solve


def solve_sortedl1(problem, tol):
    """sortedl1's Slope (hybrid CD, its own strong screening), stopped at relative duality gap tol."""
    from sortedl1 import Slope

    model = Slope(lam=problem.lambdas, alpha=problem.alpha, fit_intercept=False, tol=tol, max_iter=1_000_000)
    return np.asarray(model.fit(problem.X, problem.y).coef_).ravel()


def _path_row(data, model, method, seconds, path=None, n_groups=None, difference=None):
    row = {"data": data, "model": model, "method": method, "time_s": seconds, "n_alphas": N_ALPHAS}
    if path is not None and "feature_iterations" in path.screening:
        row["feature_iterations"] = int(path.screening["feature_iterations"].sum())
    if path is not None and "screened" in method and "un" not in method:
        fitted = slice(1, None)  # the first point is the zero solution, not fitted
        n_features = path.coefs.shape[0]
        row["screened_out_variables"] = 1 - np.mean(path.screening["n_screened_features"][fitted]) / n_features
        row["screened_out_groups"] = 1 - np.mean(path.screening["n_screened_groups"][fitted]) / n_groups
        row["fitted_variables"] = np.mean(path.screening["n_fitted_features"][fitted]) / n_features
        row["kkt_violations"] = int(path.screening["n_kkt_violations"].sum())
        row["points_with_violations"] = int(np.count_nonzero(path.screening["n_kkt_violations"]))
    if difference is not None:
        row["max_objective_difference"] = difference
    return row


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def path_study_data(size):
    """(name, X, y, groups) of the path study."""
    data = [(f"synthetic 200x{p}", *grouped_design(200, p)) for p in PATH_SIZES[size]]
    if size == "full":
        data.append(("diabetes degree-3 interactions 442x175", *diabetes_grouped()))
    return data


def write_path_study(out_dir, size):
    """Run the path study (see the module docstring); rows are appended to slope_paths.csv as paths finish and
    slope_paths.md is rewritten after each data set."""
    from sparseopt.slope import group_slope_path, slope_path, sparse_group_slope_path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "slope_paths.csv"
    with open(csv_path, "w", newline="") as csv_file:
        csv.DictWriter(csv_file, CSV_COLUMNS).writeheader()
    rows = []
    # load the compiled kernels before any timing, serial and parallel ones (the products of a design with 240,000
    # entries run on all threads), for every strategy: loading them cost the first timed path up to 0.4 s
    X0, y0, groups0 = grouped_design(200, 1200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for options in (dict(screen=False), dict(strategy="previous"), dict(strategy="strong")):
            for path_function in (sparse_group_slope_path, group_slope_path, slope_path):
                path_function(X0, y0, **({} if path_function is slope_path else {"groups": groups0}), n_alphas=3,
                              eps=0.5, tol=PATH_TOL, **options)
    models = {"Group SLOPE": (group_slope_path, {}), "Sparse-group SLOPE": (sparse_group_slope_path, {"eta": 0.9})}
    for data_name, X, y, groups in path_study_data(size):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            new_rows = _data_set_rows(data_name, X, y, groups, models, slope_path)
        for row in new_rows:
            rows.append(row)
            with open(csv_path, "a", newline="") as csv_file:
                csv.DictWriter(csv_file, CSV_COLUMNS).writerow(row)
        (out_dir / "slope_paths.md").write_text(path_report(rows))
        print(f"[slope paths] {data_name}: done", flush=True)
    return rows


def _data_set_rows(data_name, X, y, groups, models, slope_path):
    """Rows of one data set: screened / unscreened gSLOPE and SGS paths, then our SLOPE path and sortedl1's."""
    from sparseopt.slope.estimators import build_penalty

    rows = []
    options = dict(n_alphas=N_ALPHAS, eps=EPS, tol=PATH_TOL, max_iter=100_000)
    for model_name, (path_function, extra) in models.items():
        # the grid (alpha_max: a bisection for Sparse-group SLOPE) is built once, timed apart, then shared
        grid, grid_time = _timed(path_function, X, y, groups=groups, **extra, **dict(options, n_alphas=1))
        on_grid = dict(options, alphas=np.geomspace(grid.alphas[0], EPS * grid.alphas[0], N_ALPHAS))
        on_grid.pop("n_alphas")
        # the default working set (the previous set), no screening, and the strong set of Feser & Evangelou
        runs = [("screened", dict(screen=True)), ("unscreened", dict(screen=False)),
                ("screened, strong set", dict(screen=True, strategy="strong"))]
        paths = {}
        for method, screen_options in runs:
            paths[method], seconds = _timed(path_function, X, y, groups=groups, **screen_options, **extra, **on_grid)
            if method == "unscreened":
                rows.append(_path_row(data_name, model_name, method, seconds, paths[method]))
                continue
            row = _path_row(data_name, model_name, method, seconds, paths[method], len(groups))
            row["alpha_max_time_s"] = grid_time
            rows.append(row)
        full = paths["unscreened"]
        full_work = full.screening["feature_iterations"].sum()
        reference = full_work / max(1, np.sum(full.screening["n_active_features"] * full.n_iters))
        for row in rows[-len(runs):]:
            if row["method"] != "unscreened":
                row["work_speedup"] = full_work / max(1, row["feature_iterations"])
                row["active_set_reference"] = reference
        penalty = build_penalty(*X.shape, eta=extra.get("eta", 0.0), groups=groups)
        for row in rows:
            if row["model"] == model_name and row["data"] == data_name and row["method"] != "unscreened":
                row["max_objective_difference"] = _objective_difference(X, y, paths[row["method"]], full.coefs,
                                                                        full.intercepts, penalty)
    ours, ours_time = _timed(slope_path, X, y, **options)
    rows.append(_path_row(data_name, "SLOPE", "sparseopt (hybrid, screened)", ours_time, ours, X.shape[1]))
    try:
        from sortedl1 import Slope

        reference = Slope(lambda_type="bh", q=0.1, tol=PATH_TOL, max_iter=1_000_000)
        Slope(lambda_type="bh", q=0.1).path(X[:50, :60], y[:50], path_length=3)  # warm-up
        reference_path, reference_time = _timed(reference.path, X, y, alphas=ours.alphas, tol_dev_change=0,
                                                 tol_dev_ratio=1.0)
        row = _path_row(data_name, "SLOPE", "sortedl1 (hybrid, strong)", reference_time)
        coefs = np.asarray(reference_path.coefs).reshape(X.shape[1], -1)
        row["max_objective_difference"] = _objective_difference(
            X, y, ours, coefs, np.asarray(reference_path.intercepts).ravel(), build_penalty(*X.shape, eta=1.0))
        rows.append(row)
    except ImportError:
        rows.append(_path_row(data_name, "SLOPE", "sortedl1 not installed", float("nan")))
    return rows


def _objective_difference(X, y, path, other_coefs, other_intercepts, penalty):
    """Largest relative difference of the objectives 1/(2n) ||y - Xw - b||^2 + P_alpha(w) of two paths on the
    grid of ``path`` (the other path may have stopped early)."""
    worst = 0.0
    for k, alpha in enumerate(path.alphas[:other_coefs.shape[1]]):
        values = []
        for coef, intercept in ((path.coefs[:, k], path.intercepts[k]), (other_coefs[:, k], other_intercepts[k])):
            residual = y - X @ coef - intercept
            values.append(0.5 * residual @ residual / y.size + penalty.value(coef, alpha))
        worst = max(worst, abs(values[0] - values[1]) / abs(values[1]))
    return worst


def path_report(rows):
    """Markdown tables of the path study (speedups per data set and model)."""
    lines = ["# SLOPE family: path fitting with and without strong screening", "",
             f"{N_ALPHAS} points from alpha_max to {EPS} alpha_max, relative duality gap {PATH_TOL}; proportions are "
             "means over the fitted points (the first point, alpha_max, has the zero solution). The last column is "
             "the largest relative objective difference between the screened and unscreened paths (for sortedl1: "
             "between its path and ours). Work speedup: features fitted x solver iterations over the path, unscreened "
             "over screened (load-independent); in brackets the active-set reference, the work speedup of fitting "
             "exactly the active features with the unscreened iteration counts.", "",
             "| data | model | method | time (s) | speedup | work speedup (active-set reference) | "
             "variables screened out | "
             "groups screened out | variables fitted | KKT violations (points) | difference |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        baseline = "sortedl1" if row["model"] == "SLOPE" else "unscreened"
        partner = [other for other in rows if other["data"] == row["data"] and other["model"] == row["model"]
                   and other["method"].startswith(baseline)]
        speedup = (f"{partner[0]['time_s'] / row['time_s']:.1f}x" if partner and "screened" in row["method"]
                   and "unscreened" not in row["method"] and row["time_s"] > 0 else "")
        violations = (f"{row['kkt_violations']} ({row['points_with_violations']})" if "kkt_violations" in row else "")
        work = (f"{row['work_speedup']:.1f}x ({row['active_set_reference']:.1f}x)" if row.get("work_speedup") else "")
        lines.append(f"| {row['data']} | {row['model']} | {row['method']} | {row['time_s']:.3g} | {speedup} | {work} | "
                     f"{_percent(row.get('screened_out_variables'))} | {_percent(row.get('screened_out_groups'))} | "
                     f"{_percent(row.get('fitted_variables'))} | {violations} | "
                     f"{_number(row.get('max_objective_difference'))} |")
    grid_times = [f"{row['data']}, {row['model']}: {row['alpha_max_time_s']:.3g} s" for row in rows
                  if row.get("alpha_max_time_s") is not None and row["method"] == "screened"]
    if grid_times:
        lines += ["", "alpha_max and the grid, computed once per model before the timed paths (not in their times): "
                  + "; ".join(grid_times) + "."]
    return "\n".join(lines) + "\n"


def _percent(value):
    return "" if value is None else f"{100 * value:.1f}%"


def _number(value):
    return "" if value is None else f"{value:.1e}"


FAMILY = Family(
    name="slope",
    make_problems=make_problems,
    solvers=(
        SolverAdapter("sparseopt SLOPE hybrid", "sparseopt", "tol", solve_sparseopt("hybrid")),
        SolverAdapter("sparseopt SLOPE fista", "sparseopt", "tol", solve_sparseopt("fista")),
        SolverAdapter("sortedl1", "sortedl1", "tol", solve_sortedl1),
    ),
    extra_report=write_path_study,
)
