"""Generators of the data sets A-E of Nutini, Laradji & Schmidt 2022 (App. F), as problems for ``greedy_bcd``.

Each function takes the sizes (the paper's by default) and a seed, and returns (problem, f_star) with f_star
recomputed for the generated instance:

- A, least squares 1/2 ||A x - b||^2: A = randn(m, n) + 1, columns scaled by 10 N(0, 1), entries kept with
  probability 10 ln(m) / m; x_true with 10% nonzero N(0, 1) entries; b = A x_true + randn(m). With n > m and A of
  full row rank, f* = 0 (computed as the residual of the minimum-norm solution).
- B, logistic: the same design and x_true, b = sign(A x_true) with 10% of the signs flipped. With n > m the data
  are separable, so f* = 0 (an infimum, not attained).
- C, softmax with 50 classes on a square design built as in A: labels = argmax of A X + E (X, E standard normal,
  n x 50 and m x 50). Again separable (A square, full rank): f* = 0.
- D, label propagation on a 50 x 50 4-neighbour lattice, w = 1e4 (the paper; the authors' code uses 1e5), 100
  labelled nodes with y ~ N(0, 100): f(x) = 1/2 x^T Q x - c^T x on the unlabelled nodes, f* by a sparse solve.
- E, label propagation on two moons (2000 points, noise variance 0.04), symmetrized 5-NN graph with unit weights,
  100 labelled points with labels +-1; f* by a sparse solve.
"""
import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

from sparseopt.bcd.problems import MarginProblem, QuadraticProblem


def sparse_design(m, n, rng):
    """A = randn(m, n) + 1, column j times 10 N(0, 1), each entry kept with probability 10 ln(m) / m (CSC)."""
    keep = min(1.0, 10.0 * np.log(m) / m)
    A = (rng.standard_normal((m, n)) + 1.0) * (10.0 * rng.standard_normal(n))
    A *= rng.random((m, n)) < keep
    return sp.csc_matrix(A)


def sparse_signal(n, rng):
    return rng.standard_normal(n) * (rng.random(n) < 0.1)


def dataset_a(m=1000, n=10000, seed=1):
    """Least squares on the sparse design; also returns nothing else: (problem, f_star)."""
    rng = np.random.default_rng(seed)
    A = sparse_design(m, n, rng)
    b = A @ sparse_signal(n, rng) + rng.standard_normal(m)
    return MarginProblem(A, b), least_squares_optimum(A, b)


def least_squares_optimum(A, b):
    """min 1/2 ||A x - b||^2 through the normal equations of the smaller side (A A^T when m <= n)."""
    m, n = A.shape
    if m <= n:
        gram = (A @ A.T).toarray()
        x = A.T @ scipy.linalg.solve(gram, b, assume_a="pos")
    else:
        x = scipy.sparse.linalg.lsqr(A, b, atol=1e-15, btol=1e-15, iter_lim=100 * n)[0]
    residual = A @ x - b
    return float(0.5 * residual @ residual)


def dataset_b(m=1000, n=10000, seed=1):
    """Binary logistic regression, labels sign(A x_true) with 10% flipped; f* = 0 (separable when n >= m)."""
    rng = np.random.default_rng(seed)
    A = sparse_design(m, n, rng)
    labels = np.sign(A @ sparse_signal(n, rng))
    labels[labels == 0] = 1.0
    labels[rng.random(m) < 0.1] *= -1.0
    return MarginProblem(A, labels, "logistic"), 0.0


def dataset_c(m=1000, n=1000, n_classes=50, seed=1):
    """Softmax regression with n_classes classes; f* = 0 (separable: A square and of full rank)."""
    rng = np.random.default_rng(seed)
    A = sparse_design(m, n, rng)
    classes = np.argmax(A @ rng.standard_normal((n, n_classes)) + rng.standard_normal((m, n_classes)), axis=1)
    return MarginProblem(A, classes, "softmax", n_classes=n_classes), 0.0


def label_propagation(W, labelled, labels):
    """min over the unlabelled x of 1/2 sum_ij W_ij (x_i - x_j)^2 (pairs counted once, labelled x fixed) as
    1/2 x^T Q x - c^T x: Q = diag(degree) - W on the unlabelled nodes, c = W_{unlabelled, labelled} labels."""
    W = sp.csr_matrix(W)
    n = W.shape[0]
    free = np.setdiff1d(np.arange(n), labelled)
    degree = np.asarray(W.sum(axis=1)).ravel()
    Q = (sp.diags(degree) - W).tocsr()[free][:, free]
    c = W[free][:, labelled] @ labels
    problem = QuadraticProblem(Q, c)
    x_star = scipy.sparse.linalg.spsolve(Q.tocsc(), c)
    return problem, float(-0.5 * c @ x_star), free


def lattice_graph(side, weight):
    """side x side 4-neighbour lattice with weight w on every edge (CSR)."""
    path = sp.diags([np.ones(side - 1), np.ones(side - 1)], [-1, 1])
    eye = sp.identity(side)
    return (weight * (sp.kron(path, eye) + sp.kron(eye, path))).tocsr()


def dataset_d(side=50, weight=1e4, n_labelled=100, seed=1):
    """Lattice label propagation; returns (problem, f_star)."""
    rng = np.random.default_rng(seed)
    labelled = np.sort(rng.choice(side * side, n_labelled, replace=False))
    problem, f_star, _ = label_propagation(lattice_graph(side, weight), labelled, 10.0 * rng.standard_normal(
        n_labelled))
    return problem, f_star


def two_moons(n_points, rng, noise_variance=0.04):
    """Points on two interleaved half circles (cos t, sin t) and (1 + cos t, 0.5 - sin t), t ~ U(0, pi), plus
    Gaussian noise; returns (points, moon labels +-1)."""
    angle = rng.uniform(0, np.pi, n_points)
    moon = rng.random(n_points) < 0.5
    points = np.column_stack([np.cos(angle), np.sin(angle)])
    points[moon] = np.column_stack([1 + np.cos(angle[moon]), 0.5 - np.sin(angle[moon])])
    points += np.sqrt(noise_variance) * rng.standard_normal(points.shape)
    return points, np.where(moon, 1.0, -1.0)


def knn_graph(points, n_neighbors):
    """Symmetrized kNN graph with unit weights: W = min(1, K + K^T), K_ij = 1 if j is among i's nearest."""
    from sklearn.neighbors import kneighbors_graph

    K = kneighbors_graph(points, n_neighbors, mode="connectivity", include_self=False)
    W = (K + K.T).tocsr()
    W.data[:] = 1.0
    return W


def dataset_e(n_points=2000, n_labelled=100, n_neighbors=5, seed=1):
    """Two-moons label propagation on the symmetrized 5-NN graph; returns (problem, f_star)."""
    rng = np.random.default_rng(seed)
    points, moon = two_moons(n_points, rng)
    labelled = np.sort(rng.choice(n_points, n_labelled, replace=False))
    problem, f_star, _ = label_propagation(knn_graph(points, n_neighbors), labelled, moon[labelled])
    return problem, f_star
