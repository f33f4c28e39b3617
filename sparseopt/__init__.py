"""sparseopt: sparse optimization and statistics with scikit-learn estimators on shared Numba kernels.

Importing the package is cheap: the objective terms, solvers and estimator families (and through them
scikit-learn and Numba) load on first attribute access, e.g. ``sparseopt.penalties``.
"""
import importlib

__version__ = "0.1.0.dev0"

_SUBMODULES = (
    "base",
    "bcd",
    "benchmarks",
    "datafits",
    "design",
    "l0",
    "linear_model",
    "ot",
    "penalties",
    "slope",
    "solvers",
    "validation",
)


def __getattr__(name):
    """Import a submodule on first use (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
