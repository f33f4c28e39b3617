"""Solvers that minimise a datafit plus a penalty (``sparseopt.datafits``, ``sparseopt.penalties``)."""
from sparseopt.solvers.fista import SolverResult, fista

__all__ = ["SolverResult", "fista"]
