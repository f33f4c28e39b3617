"""The ``sparseopt-bench`` command, run in-process on the tiny Lasso problem (hidden option ``--size tiny``)."""
import csv
import dataclasses
import importlib.util
import sys

import pytest

from sparseopt.benchmarks import lasso, registry
from sparseopt.benchmarks.cli import EXIT_INTERRUPTED, main
from sparseopt.benchmarks.family import SolverAdapter
from sparseopt.benchmarks.registry import FAMILIES, FAMILY_NAMES


def read_results(out_dir):
    with open(out_dir / "results.csv", newline="") as csv_file:
        return list(csv.DictReader(csv_file))


def lasso_adapter(name):
    return next(adapter for adapter in lasso.FAMILY.solvers if adapter.name == name)


def run_lasso_with(monkeypatch, out_dir, solvers):
    """Run the tiny Lasso benchmark with only ``solvers``; return the exit code."""
    monkeypatch.setitem(registry.FAMILIES, "lasso", dataclasses.replace(lasso.FAMILY, solvers=tuple(solvers)))
    return main(["lasso", "--size", "tiny", "--out", str(out_dir)])


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("report")
    assert main(["lasso", "--size", "tiny", "--out", str(out_dir)]) == 0
    return out_dir


def test_every_solver_has_rows(tiny_report):
    rows = read_results(tiny_report)
    for adapter in lasso.FAMILY.solvers:
        statuses = [row["status"] for row in rows if row["solver"] == adapter.name]
        if importlib.util.find_spec(adapter.module) is None:
            assert statuses == ["not installed"]
        else:
            assert len(statuses) > 1 and set(statuses) == {"ok"}


def test_suboptimality_is_nonnegative(tiny_report):
    suboptimalities = [float(row["suboptimality"]) for row in read_results(tiny_report) if row["status"] == "ok"]
    assert suboptimalities and min(suboptimalities) == 0.0
    assert all(value >= 0.0 for value in suboptimalities)


@pytest.mark.parametrize("solver", ["sparseopt fista", "scikit-learn"])
def test_solver_reaches_the_best_objective(tiny_report, solver):
    rows = [row for row in read_results(tiny_report) if row["solver"] == solver and row["status"] == "ok"]
    assert min(float(row["suboptimality"]) for row in rows) <= 1e-6


def test_report_files(tiny_report):
    assert len(list(tiny_report.glob("lasso-*.png"))) == 2  # one problem at alpha_max/10 and one path
    summary = (tiny_report / "summary.md").read_text()
    assert summary.startswith("# sparseopt benchmark results")
    assert "Machine: " in summary and "numba " in summary
    assert "## lasso: simulated 50x200, alpha_max/10" in summary
    assert "## lasso: simulated 50x200, 5-point path to alpha_max/100" in summary
    assert "| scikit-learn | " in summary


def test_missing_peer_and_failing_solver_give_rows(tmp_path, monkeypatch):
    def explode(problem, budget):
        raise RuntimeError("solver exploded\nsecond line")

    monkeypatch.setitem(sys.modules, "celer", None)
    exploding = SolverAdapter("exploding", "numpy", "tol", explode)
    solvers = [lasso_adapter("scikit-learn"), lasso_adapter("celer"), exploding]
    assert run_lasso_with(monkeypatch, tmp_path, solvers) == 0

    statuses = {row["solver"]: row["status"] for row in read_results(tmp_path)}
    assert statuses["celer"] == "not installed"
    assert statuses["exploding"] == "failed: RuntimeError: solver exploded"
    assert statuses["scikit-learn"] == "ok"
    summary = (tmp_path / "summary.md").read_text()
    assert "celer not installed" in summary  # machine line
    assert "| celer | not reached | not reached | not reached | not reached |  |  | not installed |" in summary


def test_interrupt_keeps_finished_runs(tmp_path, monkeypatch, capsys):
    def interrupted_at_fourth_iteration(problem, max_iter):
        if max_iter >= 4:
            raise KeyboardInterrupt
        return lasso.solve_sklearn(problem, max_iter)

    interrupted = SolverAdapter("interrupted", "sklearn", "max_iter", interrupted_at_fourth_iteration)
    solvers = [lasso_adapter("scikit-learn"), interrupted]
    assert run_lasso_with(monkeypatch, tmp_path, solvers) == EXIT_INTERRUPTED

    rows = read_results(tmp_path)
    assert [row["budget"] for row in rows if row["solver"] == "interrupted"] == ["1", "2"]
    assert all(row["suboptimality"] != "" for row in rows)
    assert " | interrupted |\n" in (tmp_path / "summary.md").read_text()
    assert len(list(tmp_path.glob("*.png"))) == 1
    assert "interrupted" in capsys.readouterr().err


def test_every_family_is_a_subcommand_with_work():
    """Each family has suboptimality problems, or a study of its own (l0's recovery study), or both."""
    assert set(FAMILY_NAMES) == {"lasso", "slope", "l0", "bcd", "ot"} == set(FAMILIES)
    for name in FAMILY_NAMES:
        family = FAMILIES[name]
        assert family.name == name and (family.make_problems("tiny") or family.extra_report is not None)


def test_only_runs_the_matching_problems(tmp_path):
    assert main(["lasso", "--size", "tiny", "--only", "path", "--max-time", "1", "--out", str(tmp_path)]) == 0
    problems = {row["problem"] for row in read_results(tmp_path)}
    assert problems == {"simulated 50x200, 5-point path to alpha_max/100"}
