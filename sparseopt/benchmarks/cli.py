"""The ``sparseopt-bench`` command: ``sparseopt-bench FAMILY [--quick] [--out DIR] [--max-time SECONDS]``.

FAMILY is one of ``registry.FAMILY_NAMES`` or ``all`` (every family, in that order).

The report in ``--out`` is rewritten after every problem; on Ctrl-C it is written from the runs that finished.
"""
import argparse
import sys

from sparseopt.benchmarks.family import SIZES
from sparseopt.benchmarks.registry import FAMILIES, FAMILY_NAMES
from sparseopt.benchmarks.report import write_report
from sparseopt.benchmarks.results import ResultsLog
from sparseopt.benchmarks.runner import run_problem

#: Seconds of runs per solver and problem after which its budgets stop growing, when --max-time is not given.
DEFAULT_MAX_TIME = {"tiny": 5.0, "quick": 10.0, "full": 60.0}

EXIT_INTERRUPTED = 130


def build_parser():
    """Argument parser with one subcommand per family and ``all``."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--quick", action="store_true", help="small problems, one alpha each (a few minutes in all)")
    options.add_argument("--out", default="report", metavar="DIR", help="output directory (default: report)")
    options.add_argument(
        "--max-time",
        type=float,
        metavar="SECONDS",
        help="time cap per solver and problem: budgets stop growing once its runs add up to more "
        f"(default: {DEFAULT_MAX_TIME['quick']:g} with --quick, {DEFAULT_MAX_TIME['full']:g} otherwise)",
    )
    options.add_argument("--only", metavar="TEXT", help="run only the problems whose name contains TEXT (and no "
                         "family study), e.g. to rerun one problem with a larger --max-time into the same --out")
    options.add_argument("--size", choices=SIZES, help=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="sparseopt-bench",
        description="Benchmark sparseopt's solvers against peer packages: suboptimality against time.",
    )
    subcommands = parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name in FAMILY_NAMES:
        subcommands.add_parser(name, parents=[options], help=f"the {name} benchmark")
    subcommands.add_parser("all", parents=[options], help="every family, one after the other")
    return parser


def main(argv=None):
    """Run the benchmark of the family named in ``argv`` (default: the command line); return the exit code."""
    args = build_parser().parse_args(argv)
    requested = FAMILY_NAMES if args.family == "all" else (args.family,)
    families = [FAMILIES[name] for name in requested]
    size = args.size or ("quick" if args.quick else "full")
    max_time = DEFAULT_MAX_TIME[size] if args.max_time is None else args.max_time
    log = ResultsLog(args.out)
    solvers = [adapter for family in families for adapter in family.solvers]
    try:
        for family in families:
            for problem in family.make_problems(size):
                if args.only is not None and args.only not in problem.name:
                    continue
                run_problem(family.name, problem, family.solvers, max_time, log)
                write_report(log, solvers)
            if family.extra_report is not None and args.only is None:
                family.extra_report(args.out, size)
    except KeyboardInterrupt:
        write_report(log, solvers)
        print(f"sparseopt-bench: interrupted; report of the finished runs written to {args.out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"sparseopt-bench: report written to {args.out} (results.csv, summary.md, figures)", file=sys.stderr)
    return 0
