"""The Lasso family: scikit-learn estimators solved by working-set coordinate descent (``sparseopt.solvers``)."""
from sparseopt.linear_model.lasso import ElasticNet, Lasso, WeightedLasso

__all__ = ["ElasticNet", "Lasso", "WeightedLasso"]
