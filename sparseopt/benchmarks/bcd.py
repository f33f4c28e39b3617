"""The greedy BCD benchmark (``sparseopt-bench bcd``): the experiments of Nutini, Laradji & Schmidt 2022.

Not a suboptimality-against-time race between packages: the study (``run_study``, the family's
``extra_report``) runs, on the generated data sets A-E (``sparseopt.bcd.datasets``; the paper's sizes in full
runs, smaller ones with --quick), the rule / partition / update combinations of the paper's figures from x^0 = 0
for a fixed number of iterations (500 in full runs) or until f - f* <= 1e-8:

- fig4: gradient updates (step 1 / L_b), tau = 5, on A and C: cyclic, random, GS, GSL, GSD, each with fixed blocks
  (Sort partition) and variable blocks (GSL-VB is GSD with the SIRT diagonal, as plotted in the paper);
- fig5: matrix updates, tau = 5, on A: GS, GSD, GSQ with fixed and variable blocks;
- fig6: message passing with exact updates on D and E: greedy tree, tree partitions (L-sorted and plain
  order), random tree, red-black, general blocks (GS-VB with tau = n^(1/3) and a dense solve);
- fig7: non-negative least squares + lambda 1^T x on A, lambda the first of a decreasing grid whose solution has
  at most 60 nonzeros; PG / PN / TMP updates, fixed (Sort) and variable blocks, GSL-q rule, tau = 5, 50, 100;
  the iteration at which the support settled (the stars of the paper) is recorded;
- fig12: Newton with Armijo backtracking against matrix updates on B, tau = 5 and 50.

Then the wall time per iteration of GSD-VB selection + a gradient step on sparse least-squares problems of
growing n (linear in n), and the time to reach 1e-6 relative suboptimality of the greedy solvers beside scipy's
``lsqr`` (least squares, A) and scikit-learn's ``Lasso`` (the L1 problem on A).

Every finished run is appended to ``bcd_runs.csv`` (curve values at 1, 10, 100 and the last iteration) and
``bcd_summary.md`` (tables and the check of the issue's claims) is rewritten; ``bcd-figN.png`` shows
f(x^k) - f* against iterations and time.
"""
import csv
import time
import warnings
from pathlib import Path

import numpy as np

from sparseopt.benchmarks.family import Family

#: (A: m, n; C: m, n, classes; D: lattice side; E: points; iterations; n of the timing study)
SIZES = {
    "tiny": dict(a=(60, 400), c=(60, 60, 5), d=12, e=300, iterations=60, scaling=(2_000, 20_000)),
    "quick": dict(a=(300, 3000), c=(200, 200, 20), d=30, e=800, iterations=200, scaling=(10_000, 100_000)),
    "full": dict(a=(1000, 10000), c=(1000, 1000, 50), d=50, e=2000, iterations=500, scaling=(10_000, 100_000, 1_000_000)),
}
TARGET_GAP = 1e-8
COLUMNS = ("figure", "data", "method", "tau", "iterations", "time_s", "gap_1", "gap_10", "gap_100", "gap_last",
           "support_settled", "nonzeros")


class Study:
    """Collects runs, writes them as they finish, and draws the figures."""

    def __init__(self, out_dir):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.rows = []
        self.curves = {}
        self.notes = []
        with open(self.out_dir / "bcd_runs.csv", "w", newline="") as handle:
            csv.DictWriter(handle, COLUMNS).writeheader()

    def run(self, figure, data, method, problem, f_star, tau, iterations, **options):
        from sparseopt.bcd import greedy_bcd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = greedy_bcd(problem, block_size=tau, max_iter=iterations, tol=0.0, f_star=f_star,
                                target_gap=TARGET_GAP, random_state=0, **options)
        gaps = np.maximum(np.asarray(result.history) - f_star, 0.0)
        row = {"figure": figure, "data": data, "method": method, "tau": tau, "iterations": result.n_iter,
               "time_s": result.times[-1], "gap_last": gaps[-1], "support_settled": result.support_settled,
               "nonzeros": result.nonzeros[-1]}
        for k in (1, 10, 100):
            row[f"gap_{k}"] = gaps[min(k, gaps.size - 1)]
        self.rows.append(row)
        self.curves[(figure, data, method, tau)] = (gaps, np.asarray(result.times), result.support_settled)
        with open(self.out_dir / "bcd_runs.csv", "a", newline="") as handle:
            csv.DictWriter(handle, COLUMNS).writerow(row)
        return row

    def gap(self, figure, data, method, tau=5):
        return next(r["gap_last"] for r in self.rows if (r["figure"], r["data"], r["method"], r["tau"]) ==
                    (figure, data, method, tau))

    def plot(self, figure):
        from matplotlib.figure import Figure

        keys = [key for key in self.curves if key[0] == figure]
        panels = sorted({(key[1], key[3]) for key in keys})
        canvas = Figure(figsize=(11, 3.6 * len(panels)), layout="constrained")
        axes = canvas.subplots(len(panels), 2, squeeze=False)
        for row, (data, tau) in enumerate(panels):
            for key in keys:
                if (key[1], key[3]) != (data, tau):
                    continue
                gaps, times, settled = self.curves[key]
                shown = np.maximum(gaps, 1e-16)
                line = axes[row, 0].semilogy(shown, label=key[2])[0]
                axes[row, 1].semilogy(times, shown, label=key[2])
                if figure == "fig7" and settled < gaps.size:
                    axes[row, 0].plot(settled, shown[settled], "*", color=line.get_color(), markersize=10)
            axes[row, 0].set_title(f"{figure}, {data}, tau = {tau}", fontsize="medium")
            axes[row, 0].set_xlabel("iteration")
            axes[row, 1].set_xlabel("seconds")
            axes[row, 0].set_ylabel("f(x^k) - f*")
            axes[row, 0].legend(fontsize="x-small")
        canvas.savefig(self.out_dir / f"bcd-{figure}.png", dpi=90)

    def write_summary(self):
        lines = ["# Greedy BCD: the experiments of Nutini, Laradji & Schmidt (2022)", "",
                 f"f(x^k) - f* after each run (runs stop early once f - f* <= {TARGET_GAP:g}).", "",
                 "| figure | data | method | tau | iterations | seconds | gap after 10 | gap after 100 | final gap "
                 "| support settled at | nonzeros |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r['figure']} | {r['data']} | {r['method']} | {r['tau']} | {r['iterations']} | "
                         f"{r['time_s']:.3g} | {r['gap_10']:.2e} | {r['gap_100']:.2e} | {r['gap_last']:.2e} | "
                         f"{r['support_settled']} | {r['nonzeros']} |")
        lines += ["", "## Notes and claims", ""] + [f"- {note}" for note in self.notes]
        (self.out_dir / "bcd_summary.md").write_text("\n".join(lines) + "\n")


def check(study, text, holds):
    study.notes.append(f"{'HOLDS' if holds else 'DOES NOT HOLD'}: {text}")


def gradient_updates(study, data, iterations):
    """Fig. 4 on A and C (data: {name: (problem, f_star)})."""
    for name, (problem, f_star) in data.items():
        for rule, label in (("cyclic", "cyclic"), ("random", "random"), ("gs", "GS"), ("gsl", "GSL"),
                            ("gsd", "GSD")):
            for partition, suffix in (("sort", "FB"), ("variable", "VB")):
                study.run("fig4", name, f"{label}-{suffix}", problem, f_star, 5, iterations, rule=rule,
                          partition=partition, update="gradient")
    study.plot("fig4")
    if "C" in data:
        greedy_c = min(study.gap("fig4", "C", name) for name in ("GS-VB", "GSL-VB", "GSD-VB"))
        random_c = min(study.gap("fig4", "C", name) for name in ("cyclic-FB", "random-FB"))
        study.notes.append(f"C (paper: greedy VB 3.0e3 vs random 3.8e3, from 3.9e3): best greedy VB {greedy_c:.3g}, "
                           f"best cyclic/random FB {random_c:.3g}")
    if "A" not in data:
        return
    greedy = min(study.gap("fig4", "A", name) for name in ("GSL-VB", "GSD-VB"))
    fixed = min(study.gap("fig4", "A", name) for name in ("cyclic-FB", "random-FB"))
    variable = min(study.gap("fig4", "A", name) for name in ("cyclic-VB", "random-VB"))
    check(study, f"A, tau=5: greedy VB (best of GSL/GSD) {greedy:.3g} vs random/cyclic FB {fixed:.3g} "
          f"({fixed / greedy:.0f}x, need >= 50x)", fixed >= 50 * greedy)
    check(study, f"A, tau=5: greedy VB {greedy:.3g} vs random/cyclic VB {variable:.3g} ({variable / greedy:.0f}x, "
          "need >= 100x)", variable >= 100 * greedy)


def matrix_updates(study, data_a, iterations):
    """Fig. 5 on A."""
    problem, f_star = data_a
    for rule, label in (("gs", "GS"), ("gsd", "GSD"), ("gsq", "GSQ")):
        for partition, suffix in (("sort", "FB"), ("variable", "VB")):
            study.run("fig5", "A", f"{label}-{suffix}", problem, f_star, 5, iterations, rule=rule,
                      partition=partition, update="matrix")
    study.plot("fig5")
    best_fixed = min(study.gap("fig5", "A", f"{label}-FB") for label in ("GS", "GSD", "GSQ"))
    worst_greedy = max(study.gap("fig5", "A", f"{label}-VB") for label in ("GSD", "GSQ"))
    check(study, f"A, matrix updates: GSQ-VB / GSD-VB (worst {worst_greedy:.3g}) beat every fixed-block rule "
          f"(best {best_fixed:.3g})", worst_greedy < best_fixed)


def message_passing(study, graphs, iterations):
    """Fig. 6 on D and E."""
    for data, (problem, f_star) in graphs.items():
        n = problem.n_features
        general = max(2, round(n ** (1 / 3)))
        runs = (("greedy tree", dict(rule="greedy-tree", update="exact"), 1),
                ("tree partitions", dict(rule="gs", partition="tree", update="exact"), 1),
                ("tree partitions (index order)", dict(rule="gs", partition="tree-index", update="exact"), 1),
                ("random tree", dict(rule="random-tree", update="exact"), 1),
                ("red-black", dict(rule="gs", partition="red-black", update="exact"), 1),
                ("general", dict(rule="gs", update="matrix"), general))
        for method, options, tau in runs:
            study.run("fig6", data, method, problem, f_star, tau, iterations, **options)
    study.plot("fig6")
    taus = {(r["data"], r["method"]): r["tau"] for r in study.rows if r["figure"] == "fig6"}

    def gap(data, method):
        return study.gap("fig6", data, method, taus[data, method])

    e = [gap("E", m) for m in ("greedy tree", "tree partitions", "red-black", "general")]
    check(study, "E: greedy tree < tree partitions < red-black < general: " + " / ".join(f"{v:.3g}" for v in e),
          e[0] < e[1] < e[2] < e[3])
    d = [gap("D", m) for m in ("greedy tree", "tree partitions", "red-black", "general")]
    check(study, "D: greedy tree within 3x of tree partitions, both below red-black and general: "
          + " / ".join(f"{v:.3g}" for v in d),
          d[0] <= 3 * max(d[1], 1e-8) and max(d[0], d[1]) < min(d[2], d[3]))


def nonnegative_lasso(problem):
    """lambda for fig7: the first of lambda_max * (0.5, 0.35, 0.25, ...) with at most 60 nonzeros at the
    solution (non-negative least squares + lambda 1^T x, solved by PN-VB, tau = 100), and f* at that lambda."""
    from sparseopt.bcd import greedy_bcd

    problem.start()
    lambda_max = float(np.max(-problem.gradient[:, 0]))
    chosen = None
    for fraction in 0.5 * 0.7 ** np.arange(12):
        penalty = fraction * lambda_max
        result = greedy_bcd(problem, rule="gsl-q", block_size=100, update="matrix", penalty=penalty,
                            nonnegative=True, max_iter=200, tol=1e-9 * lambda_max)
        if result.nonzeros[-1] > 60:
            break
        chosen = (penalty, result.history[-1], result.nonzeros[-1])
    return chosen


def active_set(study, data_a, iterations):
    """Fig. 7 on A with the non-negative L1 penalty."""
    problem, _ = data_a
    penalty, f_star, support = nonnegative_lasso(problem)
    study.notes.append(f"fig7: lambda = {penalty:.4g}, {support} nonzeros at the solution")
    options = dict(rule="gsl-q", penalty=penalty, nonnegative=True)
    for tau in (5, 50, 100):
        for update, label in (("gradient", "PG"), ("matrix", "PN"), ("tmp", "TMP")):
            for partition, suffix in (("sort", "FB"), ("variable", "VB")):
                study.run("fig7", "A nn-L1", f"{label}-{suffix}", problem, f_star, tau, iterations,
                          partition=partition, update=update, **options)
    study.plot("fig7")
    row = next(r for r in study.rows if (r["figure"], r["method"], r["tau"]) == ("fig7", "PN-VB", 100))
    check(study, f"nn-L1, PN-VB tau=100 converges in {row['iterations']} iterations (support settled at "
          f"{row['support_settled']}; need < 15)", row["iterations"] < 15 and row["gap_last"] <= TARGET_GAP)
    row50 = next(r for r in study.rows if (r["figure"], r["method"], r["tau"]) == ("fig7", "PN-VB", 50))
    study.notes.append(f"nn-L1, PN-VB tau=50: {row50['iterations']} iterations, final gap {row50['gap_last']:.2e}")
    return penalty


def newton(study, data_b, iterations):
    """Fig. 12 on B."""
    problem, f_star = data_b
    for tau in (5, 50):
        for rule, label in (("gs", "GS"), ("gsd", "GSD")):
            for update in ("matrix", "newton"):
                study.run("fig12", "B", f"{label}-VB {update}", problem, f_star, tau, iterations, rule=rule,
                          update=update)
    study.plot("fig12")
    newton_gap = study.gap("fig12", "B", "GSD-VB newton", 50)
    matrix_gap = study.gap("fig12", "B", "GSD-VB matrix", 50)
    check(study, f"B, tau=50: Newton {newton_gap:.3g} below matrix updates {matrix_gap:.3g}",
          newton_gap < matrix_gap)


def scaling(study, sizes):
    """Seconds per iteration of GSD-VB (tau = 5) with gradient steps on sparse least squares, 5 nonzeros per
    column, m = n / 10, for growing n."""
    import scipy.sparse as sp

    from sparseopt.bcd import MarginProblem, greedy_bcd

    lines = []
    for n in sizes:
        rng = np.random.default_rng(0)
        m = n // 10
        A = sp.random(m, n, density=5.0 / m, format="csc", random_state=rng)
        problem = MarginProblem(A, rng.standard_normal(m))
        result = greedy_bcd(problem, rule="gsd", block_size=5, update="gradient", max_iter=200, tol=0.0)
        per_iteration = result.times[-1] / result.n_iter
        lines.append((n, per_iteration))
        study.notes.append(f"scaling: n = {n}: {1e6 * per_iteration:.1f} microseconds per GSD-VB iteration")
    ratios = [b[1] / a[1] / (b[0] / a[0]) for a, b in zip(lines, lines[1:])]
    study.notes.append("scaling: time per iteration / n, relative to the previous size: "
                       + ", ".join(f"{r:.2f}" for r in ratios) + " (1 = linear)")


def time_to_accuracy(study, data_a, penalty):
    """Seconds to 1e-6 relative suboptimality: GSD-VB matrix vs lsqr (least squares); PN-VB vs scikit-learn's
    Lasso (the L1 problem, lambda from fig7, no sign constraint)."""
    import scipy.sparse.linalg
    from sklearn.linear_model import Lasso

    from sparseopt.bcd import greedy_bcd

    problem, f_star = data_a
    A, b = problem.A, problem.Y[:, 0]
    scale = 0.5 * b @ b
    start = time.perf_counter()
    x = scipy.sparse.linalg.lsqr(A, b, atol=1e-10, btol=1e-10, iter_lim=100_000)[0]
    lsqr_time = time.perf_counter() - start
    lsqr_gap = (0.5 * np.sum((A @ x - b) ** 2) - f_star) / scale
    result = greedy_bcd(problem, rule="gsd", block_size=100, update="matrix", max_iter=20_000, tol=0.0,
                        f_star=f_star, target_gap=1e-6 * scale)
    study.notes.append(f"least squares on A, to 1e-6 relative: greedy GSD-VB matrix tau=100 {result.times[-1]:.3g} s "
                       f"({result.n_iter} iterations, reached: {result.converged}); scipy lsqr {lsqr_time:.3g} s "
                       f"(relative gap {lsqr_gap:.1e})")
    m = A.shape[0]
    reference = greedy_bcd(problem, rule="gs-q", block_size=100, update="matrix", penalty=penalty,
                           max_iter=2000, tol=1e-10 * penalty)
    f_l1 = reference.history[-1]
    result = greedy_bcd(problem, rule="gs-q", block_size=100, update="matrix", penalty=penalty, max_iter=2000,
                        tol=0.0, f_star=f_l1, target_gap=1e-6 * abs(f_l1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = Lasso(alpha=penalty / m, fit_intercept=False, tol=1e-10, max_iter=100_000).fit(A, b)
        lasso_time = time.perf_counter() - start
    lasso_value = 0.5 * np.sum((A @ model.coef_ - b) ** 2) + penalty * np.abs(model.coef_).sum()
    study.notes.append(f"L1 on A (lambda {penalty:.4g}), to 1e-6 relative: greedy GS-q-VB PN tau=100 "
                       f"{result.times[-1]:.3g} s ({result.n_iter} iterations); scikit-learn Lasso (tol 1e-10) "
                       f"{lasso_time:.3g} s, relative gap {(lasso_value - f_l1) / abs(f_l1):.1e}")


def run_study(out_dir, size):
    """Run every experiment of the module docstring at ``size`` and write the report into out_dir."""
    from sparseopt.bcd import datasets

    setting = SIZES[size]
    iterations = setting["iterations"]
    study = Study(out_dir)
    m, n = setting["a"]
    data_a = datasets.dataset_a(m, n)
    steps = (
        ("fig4", lambda: gradient_updates(study, {"A": data_a, "C": datasets.dataset_c(*setting["c"])},
                                          iterations)),
        ("fig5", lambda: matrix_updates(study, data_a, iterations)),
        ("fig6", lambda: message_passing(study, {"D": datasets.dataset_d(setting["d"], n_labelled=max(
            4, setting["d"] ** 2 // 25)), "E": datasets.dataset_e(setting["e"], n_labelled=max(10, setting["e"] // 20))},
            iterations)),
        ("fig7", lambda: study.__setattr__("penalty", active_set(study, data_a, iterations))),
        ("fig12", lambda: newton(study, datasets.dataset_b(m, n), iterations)),
        ("scaling", lambda: scaling(study, setting["scaling"])),
        ("time to accuracy", lambda: time_to_accuracy(study, data_a, study.penalty)),
    )
    for name, step in steps:
        start = time.perf_counter()
        step()
        study.write_summary()
        print(f"[bcd] {name}: {time.perf_counter() - start:.1f} s", flush=True)
    return study


def no_problems(size):
    return []


FAMILY = Family(name="bcd", make_problems=no_problems, solvers=(), extra_report=run_study)
