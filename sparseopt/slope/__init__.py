"""The SLOPE family: SLOPE, Group SLOPE and Sparse-group SLOPE, their penalty sequences, paths and strong
screening rules (see docs/slope.md)."""
from sparseopt.slope.estimators import (SLOPE, GroupSLOPE, SparseGroupSLOPE, group_slope_path, slope_path,
                                        sparse_group_slope_path)
from sparseopt.slope.path import PathResult
from sparseopt.slope.sequences import (bh_lambdas, gaussian_lambdas, group_max_lambdas, group_mean_lambdas,
                                       oscar_lambdas)

__all__ = ["SLOPE", "GroupSLOPE", "SparseGroupSLOPE", "slope_path", "group_slope_path", "sparse_group_slope_path",
           "PathResult", "bh_lambdas", "gaussian_lambdas", "oscar_lambdas", "group_mean_lambdas",
           "group_max_lambdas"]
