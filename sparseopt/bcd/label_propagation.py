"""GraphLabelPropagation: semi-supervised labels by minimizing 1/2 sum_ij W_ij (f_i - f_j)^2 over the unlabelled
nodes (labelled nodes fixed at their one-hot labels), one quadratic per class, solved by greedy BCD with
message passing (greedy tree blocks and linear-time forest solves by default)."""
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from sparseopt.bcd.datasets import knn_graph, label_propagation
from sparseopt.bcd.solver import GRAPH_PARTITIONS, TREE_RULES, greedy_bcd
from sparseopt.validation import check_design, check_scalar_range


class GraphLabelPropagation(ClassifierMixin, BaseEstimator):
    """Label propagation on a graph, like scikit-learn's LabelSpreading: ``fit(X, y)`` with y = -1 for
    unlabelled points. graph="knn" builds the symmetrized n_neighbors-NN graph of X with unit weights;
    graph="precomputed" takes X as the (n, n) symmetric adjacency matrix. For each class c the scores f solve
    min 1/2 sum_ij W_ij (f_i - f_j)^2 with f = 1[y = c] on the labelled points; ``transduction_`` is the arg max.

    rule: "greedy-tree", "random-tree" or a rule of ``rules.RULES``; partition: "variable", "red-black", "tree"
    or a fixed partition; update: "exact" (default) or another update. Attributes: classes_, label_distributions_
    (n, n_classes), transduction_, n_iter_ (summed over classes), history_ (list of objective histories).
    """

    _parameter_constraints = {"graph": [str], "n_neighbors": [int], "rule": [str], "partition": [str],
                              "update": [str], "block_size": [int], "max_iter": [int], "tol": [float],
                              "random_state": ["random_state"]}

    def __init__(self, graph="knn", *, n_neighbors=5, rule="greedy-tree", partition="variable", update="exact",
                 block_size=5, max_iter=1000, tol=1e-8, random_state=None):
        self.graph = graph
        self.n_neighbors = n_neighbors
        self.rule = rule
        self.partition = partition
        self.update = update
        self.block_size = block_size
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y):
        self._validate_params()
        check_scalar_range(self.max_iter, "max_iter", low=1)
        check_scalar_range(self.tol, "tol", low=0.0)
        if self.graph not in ("knn", "precomputed"):
            raise ValueError(f"graph must be 'knn' or 'precomputed'; got {self.graph!r}")
        X = check_design(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with one label per point ({X.shape[0]}); got shape {y.shape}")
        labelled = np.flatnonzero(y != -1)
        if labelled.size == 0:
            raise ValueError("y has no labelled point (every label is -1)")
        if self.graph == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(f"graph='precomputed' needs a square adjacency matrix; got shape {X.shape}")
            W = sp.csr_matrix(X)
            if abs(W - W.T).max() > 1e-12 * max(abs(W).max(), 1e-300) or W.min() < 0:
                raise ValueError("the adjacency matrix must be symmetric with non-negative weights")
        else:
            check_scalar_range(self.n_neighbors, "n_neighbors", low=1, high=X.shape[0] - 1)
            W = knn_graph(X.toarray() if sp.issparse(X) else X, self.n_neighbors)
        W = W - sp.diags(W.diagonal())
        self.classes_ = np.unique(y[labelled])
        distributions = np.zeros((X.shape[0], self.classes_.size))
        distributions[labelled, np.searchsorted(self.classes_, y[labelled])] = 1.0
        self.n_iter_, self.history_ = 0, []
        for index, label in enumerate(self.classes_):
            problem, _, free = label_propagation(W, labelled, (y[labelled] == label).astype(float))
            if free.size == 0:
                continue
            result = greedy_bcd(problem, rule=self.rule, block_size=self.block_size, partition=self.partition,
                                update=self.update, max_iter=self.max_iter, tol=self.tol,
                                random_state=self.random_state)
            if not result.converged:
                warnings.warn(f"GraphLabelPropagation: class {label!r} stopped after max_iter={self.max_iter} "
                              f"iterations (optimality {result.optimality:.3g} > tol={self.tol})",
                              ConvergenceWarning)
            distributions[free, index] = result.x[:, 0]
            self.n_iter_ += result.n_iter
            self.history_.append(np.asarray(result.history))
        self.label_distributions_ = distributions
        self.transduction_ = self.classes_[np.argmax(distributions, axis=1)]
        return self

    def predict(self, X=None):
        """The transductive labels of the training points (X is ignored: the graph is fixed at fit)."""
        check_is_fitted(self)
        return self.transduction_


__all__ = ["GraphLabelPropagation", "GRAPH_PARTITIONS", "TREE_RULES"]
