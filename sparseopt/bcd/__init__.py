"""Greedy block coordinate descent (Nutini, Laradji & Schmidt, JMLR 2022): problems, selection rules, fixed and
variable blocks, gradient / matrix / Newton updates, message passing on forests, and estimators (see docs/bcd.md)."""
from sparseopt.bcd.problems import MarginProblem, QuadraticProblem
from sparseopt.bcd.solver import BCDResult, greedy_bcd

__all__ = ["BCDResult", "MarginProblem", "QuadraticProblem", "greedy_bcd"]
