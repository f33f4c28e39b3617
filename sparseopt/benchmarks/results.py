"""The log of benchmark runs: one ``Run`` per solver call, appended to ``results.csv`` as soon as it finishes.

Rows are appended with an empty suboptimality, since the best objective of a problem is only known once every
solver has run; ``write_csv`` rewrites the file with the suboptimality filled in.
"""
import csv
import math
from dataclasses import astuple, dataclass
from pathlib import Path

CSV_COLUMNS = (
    "family",
    "problem",
    "solver",
    "budget",
    "time_s",
    "objective",
    "suboptimality",
    "support_size",
    "status",
)


@dataclass(frozen=True)
class Run:
    """One call of a solver: its budget, wall time, objective and support size, or why it did not run.

    ``status`` is "ok", "not installed" or "failed: <message>"; the numbers are NaN (budget and support size
    None) when there is nothing to measure.
    """

    family: str
    problem: str
    solver: str
    budget: float | None
    time_s: float
    objective: float
    support_size: int | None
    status: str


class ResultsLog:
    """Runs recorded so far, in order, mirrored to ``out_dir/results.csv`` (which is started afresh).

    ``stop_reasons[(family, problem, solver)]`` says why a solver's budgets stopped growing; a solver missing
    from it was interrupted.
    """

    def __init__(self, out_dir):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.out_dir / "results.csv"
        self.runs = []
        self.stop_reasons = {}
        with open(self.csv_path, "w", newline="") as csv_file:
            csv.writer(csv_file).writerow(CSV_COLUMNS)

    def add(self, run):
        """Record ``run`` and append it to the CSV file (closed, hence flushed, right away)."""
        self.runs.append(run)
        with open(self.csv_path, "a", newline="") as csv_file:
            csv.writer(csv_file).writerow(_csv_row(run, suboptimality=None))

    def problems(self):
        """(family, problem) pairs in the order they were run."""
        return list(dict.fromkeys((run.family, run.problem) for run in self.runs))

    def best_objective(self, family, problem):
        """P* = smallest objective found on the problem by any solver (NaN before any successful run)."""
        objectives = [
            run.objective
            for run in self.runs
            if (run.family, run.problem) == (family, problem) and not math.isnan(run.objective)
        ]
        return min(objectives, default=math.nan)

    def suboptimality(self, run):
        """Relative suboptimality (P - P*) / |P*| of ``run``, with P* the problem's best objective."""
        best = self.best_objective(run.family, run.problem)
        return (run.objective - best) / (abs(best) or 1.0)

    def write_csv(self):
        """Rewrite the CSV file with every run and its suboptimality."""
        with open(self.csv_path, "w", newline="") as csv_file:
            writer = csv.writer(csv_file)
            writer.writerow(CSV_COLUMNS)
            writer.writerows(_csv_row(run, self.suboptimality(run)) for run in self.runs)


def _csv_row(run, suboptimality):
    """CSV cells of ``run`` in the order of ``CSV_COLUMNS``; NaN and None become empty cells."""
    family, problem, solver, budget, time_s, objective, support_size, status = astuple(run)
    cells = (family, problem, solver, budget, time_s, objective, suboptimality, support_size, status)
    return ["" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else cell for cell in cells]
