"""The report of a benchmark: ``results.csv`` with suboptimalities, ``summary.md`` and one figure per problem.

In ``summary.md``, the time to reach a relative suboptimality eps is the wall time of the shortest run with
(P - P*) / |P*| <= eps, where P* is the smallest objective any solver reached on the problem. (Runs with larger
budgets take longer, up to timing noise; taking the shortest keeps the times increasing as eps decreases.)
"""
import datetime
import importlib
import os
import platform

from sparseopt.benchmarks.plots import figure_path, plot_problem

#: Relative suboptimalities at which the summary reports the time to reach them.
SUBOPTIMALITY_TARGETS = (1e-2, 1e-4, 1e-6, 1e-8)


def write_report(log, solvers):
    """Write the CSV (with suboptimalities), ``summary.md`` and the figures of every problem in ``log``.

    ``solvers`` are the adapters that were run; their packages' versions go into the machine line.
    """
    log.write_csv()
    sections = [
        "# sparseopt benchmark results",
        machine_line(solvers),
        "Each time cell is the wall time (s) of the shortest run whose relative suboptimality (P - P*) / |P*| is "
        "at most the column's value; P* is the smallest objective found by any solver on the problem.",
    ]
    for family, problem in log.problems():
        plot_problem(log, family, problem, figure_path(log.out_dir, family, problem))
        sections.append(problem_table(log, family, problem))
    (log.out_dir / "summary.md").write_text("\n\n".join(sections) + "\n")


def machine_line(solvers):
    """Cores, Python, numpy, numba, scikit-learn and each solver package's version, and the date."""
    modules = dict.fromkeys(["numpy", "numba", "sklearn"] + [adapter.module for adapter in solvers])
    versions = ", ".join(f"{module} {_version(module)}" for module in modules)
    return (
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; {versions}; run on {datetime.date.today().isoformat()}."
    )


def problem_table(log, family, problem):
    """Markdown section of one problem: P* and a table with one row per solver."""
    header = ["solver"] + [f"{target:.0e}" for target in SUBOPTIMALITY_TARGETS]
    header += ["final objective", "support size", "status"]
    lines = [
        f"## {family}: {problem}",
        "",
        f"P* = {log.best_objective(family, problem):.10e}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    problem_runs = [run for run in log.runs if (run.family, run.problem) == (family, problem)]
    for solver in dict.fromkeys(run.solver for run in problem_runs):
        solver_runs = [run for run in problem_runs if run.solver == solver]
        lines.append("| " + " | ".join([solver] + _solver_cells(log, solver_runs)) + " |")
    return "\n".join(lines)


def _solver_cells(log, solver_runs):
    """Times to reach each target, final objective, support size and status of one solver's runs."""
    ok_runs = [run for run in solver_runs if run.status == "ok"]
    cells = []
    for target in SUBOPTIMALITY_TARGETS:
        times = [run.time_s for run in ok_runs if log.suboptimality(run) <= target]
        cells.append(f"{min(times):.3g}" if times else "not reached")
    last = solver_runs[-1]
    if ok_runs:
        cells += [f"{ok_runs[-1].objective:.10e}", str(ok_runs[-1].support_size)]
    else:
        cells += ["", ""]
    stop_reason = log.stop_reasons.get((last.family, last.problem, last.solver))
    if last.status != "ok":
        cells.append(last.status)
    elif stop_reason is None:
        cells.append("interrupted")
    else:
        cells.append(f"ok, stopped: {stop_reason}")
    return cells


def _version(module_name):
    """``__version__`` of an importable module, else "not installed" (or "import fails")."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return "not installed"
    except Exception:
        return "import fails"
    return getattr(module, "__version__", "unknown")
