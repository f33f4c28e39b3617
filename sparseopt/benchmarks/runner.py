"""Run every solver of a family on a problem with growing budgets, timing each run and recording it in the log.

Each solver is run from scratch once per budget (1, 2, 4, ... iterations, or tolerances 1e-1, 1e-2, ...), so that
the recorded points (wall time, objective) trace its convergence without any callback inside the solver. A
solver's budgets stop growing when

- its objective has not decreased for ``PATIENCE[budget kind]`` budgets in a row ("no progress"),
- the wall time of its runs on this problem adds up to more than ``max_time`` seconds ("time cap"; checked
  between runs, so the last run may overrun it), or
- the last budget is reached ("last budget").

A first, untimed run with the smallest budget warms the solver up, so that Numba compilation and other one-time
costs are not counted.
"""
import importlib
import math
import sys
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from sparseopt.benchmarks.family import BUDGETS
from sparseopt.benchmarks.results import Run

#: Budgets in a row without a decrease of the objective after which a solver is stopped. Three doublings of the
#: iteration count is a clear stall; a tolerance-driven solver often returns the same iterate for several
#: tolerances (its criterion already holds at its first check), which says nothing about later ones.
PATIENCE = {"max_iter": 3, "tol": 5}

#: A decrease of the objective counts when it exceeds this fraction of the objective (rounding is ~1e-16).
RELATIVE_PROGRESS = 1e-14


def run_problem(family_name, problem, solvers, max_time, log):
    """Run each adapter in ``solvers`` on ``problem``, recording every run in ``log``."""
    for adapter in solvers:
        run_solver(family_name, problem, adapter, max_time, log)


def run_solver(family_name, problem, adapter, max_time, log):
    """Run one adapter with growing budgets on ``problem``; a missing package or an exception becomes a row."""

    def record(budget, time_s, objective, support_size, status):
        log.add(Run(family_name, problem.name, adapter.name, budget, time_s, objective, support_size, status))

    try:
        importlib.import_module(adapter.module)
    except ModuleNotFoundError as error:
        record(None, math.nan, math.nan, None, "not installed" if error.name == adapter.module else _failed(error))
        return
    except Exception as error:
        record(None, math.nan, math.nan, None, _failed(error))
        return

    budgets = BUDGETS[adapter.budget]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            adapter.solve(problem, budgets[0])
        except Exception as error:
            record(budgets[0], math.nan, math.nan, None, _failed(error))
            return

        time_spent = 0.0
        lowest_objective = math.inf
        budgets_without_progress = 0
        for budget in budgets:
            start = time.perf_counter()
            try:
                solution = adapter.solve(problem, budget)
            except Exception as error:
                record(budget, math.nan, math.nan, None, _failed(error))
                return
            run_time = time.perf_counter() - start
            objective = problem.objective(solution)
            record(budget, run_time, objective, problem.support_size(solution), "ok")
            _print_progress(log, log.runs[-1], adapter.budget)

            time_spent += run_time
            if lowest_objective - objective > RELATIVE_PROGRESS * abs(objective):
                lowest_objective = objective
                budgets_without_progress = 0
            else:
                budgets_without_progress += 1
            if budgets_without_progress >= PATIENCE[adapter.budget]:
                stop_reason = "no progress"
                break
            if time_spent > max_time:
                stop_reason = "time cap"
                break
        else:
            stop_reason = "last budget"
    log.stop_reasons[(family_name, problem.name, adapter.name)] = stop_reason


def _failed(error):
    """Short status for a run that raised ``error``: its type and the first line of its message."""
    message_lines = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {message_lines[0][:100]}" if message_lines else type(error).__name__
    return f"failed: {detail}"


def _print_progress(log, run, budget_kind):
    """One line on stderr: problem, solver, budget, run time, suboptimality against the best objective so far."""
    print(
        f"[{run.family}] {run.problem} | {run.solver} | {budget_kind}={run.budget:g} | {run.time_s:.4f} s | "
        f"subopt {log.suboptimality(run):.2e} (vs best so far)",
        file=sys.stderr,
        flush=True,
    )
