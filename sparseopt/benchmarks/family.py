"""What a benchmark family provides: its problems, its solver adapters, and the budgets a solver is run with.

A family module builds a ``Family`` and ``registry`` lists it; the runner and the report only use the names below.
"""
from dataclasses import dataclass
from typing import Callable, Literal, Protocol

import numpy as np

#: Iteration budgets 1, 2, 4, ..., 2**17: the solver runs exactly that many iterations (its tolerance is 0).
MAX_ITER_BUDGETS = tuple(2**k for k in range(18))

#: Tolerance budgets 1e-1, 1e-2, ..., 1e-12: the solver stops on its own criterion at that tolerance.
TOL_BUDGETS = tuple(10.0**-k for k in range(1, 13))

BUDGETS = {"max_iter": MAX_ITER_BUDGETS, "tol": TOL_BUDGETS}

#: Problem sizes: ``tiny`` for the tests, ``quick`` for ``--quick``, ``full`` by default.
SIZES = ("tiny", "quick", "full")


class Problem(Protocol):
    """One optimization problem: its data, and the objective the benchmark computes from a solver's solution.

    The objective is always evaluated by the benchmark from the returned solution (for instance the
    coefficients), never taken from the solver.
    """

    name: str

    def objective(self, solution: np.ndarray) -> float:
        """Value of the objective P at ``solution``."""

    def support_size(self, solution: np.ndarray) -> int:
        """Number of nonzero entries of ``solution``."""


@dataclass(frozen=True)
class SolverAdapter:
    """How to run one solver on a family's problems.

    Attributes
    ----------
    name : str
        Label of the solver in the tables and plots.
    module : str
        Top-level package the solver comes from; if it cannot be imported, the solver is reported "not installed".
    budget : {"max_iter", "tol"}
        What the budget passed to ``solve`` means (see ``BUDGETS``).
    solve : callable (problem, budget) -> solution
        Runs the solver once from scratch with that budget; imports its package inside, so that a missing
        package only affects its own row.
    """

    name: str
    module: str
    budget: Literal["max_iter", "tol"]
    solve: Callable[[Problem, float], np.ndarray]


@dataclass(frozen=True)
class Family:
    """A family of benchmark problems: ``make_problems(size)`` builds them, every adapter is run on each.

    ``extra_report(out_dir, size)``, optional, runs a study that does not fit the suboptimality-against-time
    frame (the SLOPE family's screened path study) and writes its own files into out_dir.
    """

    name: str
    make_problems: Callable[[str], list[Problem]]
    solvers: tuple[SolverAdapter, ...]
    extra_report: Callable[[str, str], object] | None = None
