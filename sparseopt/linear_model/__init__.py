"""The Lasso family: scikit-learn estimators solved by working-set coordinate descent (``sparseopt.solvers``)."""
from sparseopt.linear_model.adaptive_lasso import AdaptiveLasso
from sparseopt.linear_model.cross_validation import ElasticNetCV, LassoCV
from sparseopt.linear_model.group_lasso import GroupLasso, MultiTaskLasso
from sparseopt.linear_model.lasso import ElasticNet, Lasso, WeightedLasso
from sparseopt.linear_model.logistic import SparseLogisticRegression
from sparseopt.linear_model.logistic_cv import SparseLogisticRegressionCV
from sparseopt.linear_model.nonconvex import MCPRegression, SCADRegression
from sparseopt.linear_model.path import enet_path, lasso_path
from sparseopt.linear_model.sqrt_lasso import ConcomitantLasso, SqrtLasso

__all__ = [
    "AdaptiveLasso", "ConcomitantLasso", "ElasticNet", "ElasticNetCV", "GroupLasso", "Lasso", "LassoCV",
    "MCPRegression", "MultiTaskLasso", "SCADRegression", "SparseLogisticRegression", "SparseLogisticRegressionCV",
    "SqrtLasso", "WeightedLasso", "enet_path", "lasso_path",
]
