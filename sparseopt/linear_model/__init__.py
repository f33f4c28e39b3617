"""The Lasso family: scikit-learn estimators solved by working-set coordinate descent (``sparseopt.solvers``).

Each name is imported from its module on first use (PEP 562), so ``from sparseopt.linear_model import Lasso``
loads the Lasso and not the cross-validation machinery (joblib, ``sklearn.model_selection``).
"""
import importlib

_MODULE_OF = {
    "AdaptiveLasso": "adaptive_lasso",
    "ConcomitantLasso": "sqrt_lasso",
    "ElasticNet": "lasso",
    "ElasticNetCV": "cross_validation",
    "GroupLasso": "group_lasso",
    "Lasso": "lasso",
    "LassoCV": "cross_validation",
    "MCPRegression": "nonconvex",
    "MultiTaskLasso": "group_lasso",
    "SCADRegression": "nonconvex",
    "SparseLogisticRegression": "logistic",
    "SparseLogisticRegressionCV": "logistic_cv",
    "SqrtLasso": "sqrt_lasso",
    "WeightedLasso": "lasso",
    "enet_path": "path",
    "lasso_path": "path",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    """Import the module that defines ``name`` on first use."""
    if name in _MODULE_OF:
        return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
