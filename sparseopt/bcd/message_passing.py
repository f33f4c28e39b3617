"""Huge blocks for sparse quadratics, solved exactly by message passing (Sec. 5 of Nutini, Laradji & Schmidt 2022).

For f(x) = 1/2 x^T Q x - c^T x, the graph of Q has an edge per off-diagonal nonzero. A block whose induced graph is
a forest is minimized exactly in O(|b|) (``numba_kernels.trees.forest_solve``). The blockings:

- ``red_black_partition``: greedy (Welsh-Powell) colouring; each colour class has a diagonal Q_bb;
- ``tree_partition``: greedy forest colouring, visiting nodes by decreasing L_i = Q_ii ("lipschitz") or in index
  order ("index"); a lattice splits into 2 comb-shaped forests;
- ``greedy_tree_block``: the variable block built by visiting nodes by decreasing |grad_i f| and keeping each one
  that leaves the block a forest (maximal, contains the Gauss-Southwell coordinate);
- ``random_tree_block``: the same in a random order.
"""
import numpy as np

from numba_kernels.trees import forest_partition, greedy_coloring, greedy_forest
from sparseopt.bcd.partitions import from_labels


def _graph(problem):
    """(indptr, indices) of the graph of Q (a symmetric CSC matrix is its own CSR)."""
    return problem.Q.indptr, problem.Q.indices


def red_black_partition(problem):
    indptr, indices = _graph(problem)
    degree = np.diff(indptr)
    return from_labels(greedy_coloring(indptr, indices, np.argsort(-degree, kind="stable")))


def tree_partition(problem, order="lipschitz"):
    indptr, indices = _graph(problem)
    if order == "lipschitz":
        visit = np.argsort(-problem.lipschitz, kind="stable")
    elif order == "index":
        visit = np.arange(problem.n_features)
    else:
        raise ValueError(f"order must be 'lipschitz' or 'index'; got {order!r}")
    return from_labels(forest_partition(indptr, indices, visit))


def greedy_tree_block(problem, max_size=None):
    indptr, indices = _graph(problem)
    order = np.argsort(-np.abs(problem.gradient[:, 0]), kind="stable")
    return np.sort(greedy_forest(indptr, indices, order, max_size or problem.n_features))


def random_tree_block(problem, rng, max_size=None):
    indptr, indices = _graph(problem)
    return np.sort(greedy_forest(indptr, indices, rng.permutation(problem.n_features),
                                 max_size or problem.n_features))
