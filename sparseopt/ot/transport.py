"""``SinkhornTransport``: domain adaptation by an entropic transport plan between two samples."""
import numpy as np
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sparseopt.ot.sinkhorn import METHODS, sinkhorn
from sparseopt.validation import check_design

METRICS = ("sqeuclidean", "euclidean")


class SinkhornTransport(TransformerMixin, BaseEstimator):
    r"""Entropic optimal transport from a source sample Xs to a target sample Xt, and the barycentric map.

    ``fit`` solves min_P <C, P> + reg_e sum P log P with P 1 = mu_s, P^T 1 = mu_t (``sparseopt.ot.sinkhorn``),
    C_ij = ||xs_i - xt_j||^2 ("sqeuclidean") or ||xs_i - xt_j|| ("euclidean"). ``transform`` maps a source
    point by the barycentric mapping T(xs_i) = sum_j P_ij xt_j / sum_j P_ij; a point that is not a training
    source point moves like its nearest one: T(x) = T(xs_k) + x - xs_k (as POT's "ferradans" map).

    Parameters
    ----------
    reg_e : float > 0, entropic regularization.
    method : {"log", "stabilized", "newton-sparse"}, the solver (see ``sinkhorn``).
    max_iter : int, iterations of the solver.
    tol : float, L1 marginal error at which the solver stops.
    metric : {"sqeuclidean", "euclidean"}, ground cost.

    Attributes
    ----------
    xs_, xt_ : the training samples. mu_s_, mu_t_ : their weights. cost_ : (n_s, n_t) cost matrix.
    coupling_ : (n_s, n_t) transport plan. n_iter_ : iterations of the solver. log_ : the solver's log.
    """

    def __init__(self, reg_e=1.0, method="log", max_iter=1000, tol=1e-8, metric="sqeuclidean"):
        self.reg_e = reg_e
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.metric = metric

    def fit(self, Xs, Xt, sample_weight=None, target_weight=None):
        """Compute the plan between Xs (n_s, d) and Xt (n_t, d), with uniform weights unless given."""
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}; got {self.metric!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        self.xs_ = np.asarray(check_design(Xs, "Xs", accept_sparse=False), dtype=np.float64)
        self.xt_ = np.asarray(check_design(Xt, "Xt", accept_sparse=False), dtype=np.float64)
        if self.xs_.shape[1] != self.xt_.shape[1]:
            raise ValueError(f"Xs and Xt must have the same number of features; got {self.xs_.shape[1]} and "
                             f"{self.xt_.shape[1]}")
        self.n_features_in_ = self.xs_.shape[1]
        n_source, n_target = self.xs_.shape[0], self.xt_.shape[0]
        self.mu_s_ = np.full(n_source, 1.0 / n_source) if sample_weight is None else np.asarray(sample_weight)
        self.mu_t_ = np.full(n_target, 1.0 / n_target) if target_weight is None else np.asarray(target_weight)
        self.cost_ = cdist(self.xs_, self.xt_, metric=self.metric)
        self.coupling_, self.log_ = sinkhorn(self.mu_s_, self.mu_t_, self.cost_, self.reg_e, method=self.method,
                                             max_iter=self.max_iter, tol=self.tol, log=True)
        self.n_iter_ = self.log_["n_iter"]
        return self

    def transform(self, Xs):
        """Barycentric mapping of source points: sum_j P_ij xt_j / sum_j P_ij (nearest training point's
        displacement for new points)."""
        check_is_fitted(self, "coupling_")
        Xs = np.asarray(check_design(Xs, "Xs", accept_sparse=False), dtype=np.float64)
        if Xs.shape[1] != self.n_features_in_:
            raise ValueError(f"Xs has {Xs.shape[1]} features, but SinkhornTransport is expecting "
                             f"{self.n_features_in_} features as input")
        row_mass = self.coupling_.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mapped_training = np.nan_to_num(self.coupling_ @ self.xt_ / row_mass)
        nearest = cdist(Xs, self.xs_, metric="sqeuclidean").argmin(axis=1)
        return mapped_training[nearest] + Xs - self.xs_[nearest]
