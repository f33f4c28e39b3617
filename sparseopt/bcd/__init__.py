"""Greedy block coordinate descent (Nutini, Laradji & Schmidt, JMLR 2022): problems, selection rules, fixed and
variable blocks, gradient / matrix / Newton updates, message passing on forests, and estimators (see docs/bcd.md)."""
from sparseopt.bcd.estimators import GreedyBCDClassifier, GreedyBCDRegressor
from sparseopt.bcd.label_propagation import GraphLabelPropagation
from sparseopt.bcd.problems import MarginProblem, QuadraticProblem
from sparseopt.bcd.solver import BCDResult, greedy_bcd

__all__ = ["BCDResult", "GraphLabelPropagation", "GreedyBCDClassifier", "GreedyBCDRegressor", "MarginProblem",
           "QuadraticProblem", "greedy_bcd"]
