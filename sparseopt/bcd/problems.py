"""The smooth parts f of the problems greedy BCD solves, with their gradient kept up to date incrementally.

- ``MarginProblem``: f(X) = sum_i loss(z_i, y_i), Z = A X, A an m x n matrix (held as CSC and CSR), X n x k:
  least squares 1/2 ||A x - y||^2 (k = 1), binary logistic sum_i log(1 + exp(-y_i a_i^T x)) (y = +-1, k = 1),
  and softmax sum_i [log sum_c exp(a_i^T x_c) - a_i^T x_{y_i}] (k classes, one block coordinate = one feature
  across all classes, as App. A of the paper recommends).
- ``QuadraticProblem``: f(x) = 1/2 x^T Q x - c^T x with Q sparse symmetric positive (semi)definite, e.g. label
  propagation on a graph.

Both expose the same small interface the solver uses: ``start(x0)``, ``gradient`` (n x k), ``objective()``,
``bound_matrix(block)`` (H_b with grad^2_bb f <= H_b everywhere), ``newton_matrix(block)``,
``line(block, direction)`` (f along x + alpha U_b d, evaluated on the touched rows only), ``hessian_bound_dot(V)``
and the per-coordinate Lipschitz constants L_i and SIRT diagonal d_i = sum_j |M_ij| (App. B of the paper).
"""
import numpy as np
import scipy.sparse as sp

from numba_kernels import bcd as kernels
from numba_kernels.linalg import csc_xt_dot

LOSSES = {"least_squares": kernels.LEAST_SQUARES, "logistic": kernels.LOGISTIC, "softmax": kernels.SOFTMAX}

#: c in grad^2 f <= c A^T A (Boehning's bound 1/4 for logistic; 1/2 for softmax: diag(p) - p p^T <= I / 2).
CURVATURE = {"least_squares": 1.0, "logistic": 0.25, "softmax": 0.5}


class MarginProblem:
    """f(X) = sum_i loss(a_i^T X, y_i) for loss in ``LOSSES``; y: targets (least squares), +-1 labels
    (logistic), or integer classes 0..k-1 (softmax, k = n_classes)."""

    def __init__(self, A, y, loss="least_squares", n_classes=None):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}; got {loss!r}")
        self.loss = loss
        self.code = LOSSES[loss]
        A = sp.csc_matrix(A, dtype=np.float64)
        A.sort_indices()
        self.A = A
        self.csr = A.tocsr()
        self.curvature = CURVATURE[loss]
        m, self.n_features = A.shape
        y = np.asarray(y)
        if loss == "softmax":
            self.n_outputs = int(n_classes if n_classes is not None else y.max() + 1)
            self.Y = np.zeros((m, self.n_outputs))
            self.Y[np.arange(m), y.astype(np.int64)] = 1.0
        else:
            self.n_outputs = 1
            self.Y = np.ascontiguousarray(y, dtype=np.float64).reshape(m, 1)
        self.lipschitz = self.curvature * np.asarray(A.multiply(A).sum(axis=0)).ravel()
        self._marks = -np.ones(m, dtype=np.int64)
        self._rows = np.empty(m, dtype=np.int64)
        self._scratch = np.zeros(m)

    def start(self, x0=None):
        """Set X = x0 (zeros by default) and compute Z = A X, Psi = dloss/dZ and G = A^T Psi."""
        shape = (self.n_features, self.n_outputs)
        self.x = np.zeros(shape) if x0 is None else np.array(x0, dtype=np.float64).reshape(shape)
        self.Z = np.ascontiguousarray(self.A @ self.x)
        self.Psi = kernels.dual_matrix(self.code, self.Z, self.Y)
        self.gradient = np.empty(shape)
        for c in range(self.n_outputs):
            self.gradient[:, c] = csc_xt_dot(self.A.data, self.A.indices, self.A.indptr, self.Psi[:, c])

    def objective(self):
        return kernels.loss_value(self.code, self.Z, self.Y)

    def bound_matrix(self, block):
        """c A_b^T A_b (for softmax the bound is c (I - 11^T/k) kron A_b^T A_b; its class factor is applied by the
        updates)."""
        weights = np.full(self.Z.shape[0], self.curvature)
        return kernels.block_gram(self.A.data, self.A.indices, self.A.indptr, block, weights, self._scratch)

    def newton_matrix(self, block):
        """grad^2_bb f: A_b^T diag(sigma'(z)) A_b (logistic), the (|b| k) x (|b| k) Hessian (softmax, rows
        ordered feature-major), A_b^T A_b (least squares)."""
        if self.loss == "least_squares":
            return self.bound_matrix(block)
        if self.loss == "logistic":
            probability = 1.0 / (1.0 + np.exp(-np.clip(self.Z[:, 0], -700, 700)))
            weights = probability * (1.0 - probability)
            return kernels.block_gram(self.A.data, self.A.indices, self.A.indptr, block, weights, self._scratch)
        columns = self.A[:, block]
        rows = np.unique(columns.indices)
        dense = columns[rows].toarray()
        curvatures = kernels.softmax_row_curvatures(self.Z, rows)
        size = block.size * self.n_outputs
        return np.einsum("ri,rcd,rj->icjd", dense, curvatures, dense).reshape(size, size)

    def line(self, block, direction):
        """f along x + alpha U_b direction: ``MarginLine`` with change(alpha) = f(x + alpha d) - f(x)."""
        return MarginLine(self, block, np.ascontiguousarray(direction.reshape(block.size, self.n_outputs)))

    def hessian_bound_dot(self, V):
        """M V with M = c A^T A (the bound on the Hessian), V n x k."""
        return self.curvature * (self.A.T @ (self.A @ V))

    def sirt_diagonal(self, chunk=1000):
        """d_i = sum_j |M_ij| with M = c A^T A, from dense products A^T A[:, chunk] (BLAS; A^T A is dense for
        the paper's designs). Computed once per problem."""
        if getattr(self, "_sirt", None) is not None:
            return self._sirt
        dense = self.A.toarray()
        out = np.empty(self.n_features)
        for start in range(0, self.n_features, chunk):
            stop = min(start + chunk, self.n_features)
            out[start:stop] = np.abs(dense.T @ dense[:, start:stop]).sum(axis=0)
        self._sirt = self.curvature * out
        return self._sirt


class MarginLine:
    """The objective along a block direction for a MarginProblem: only the rows of A the block touches move."""

    def __init__(self, problem, block, direction):
        self.problem = problem
        self.block = block
        self.direction = direction
        A = problem.A
        image = np.empty((A.shape[0], problem.n_outputs))
        self.n_rows = kernels.block_image(A.data, A.indices, A.indptr, block, direction, problem._marks,
                                          problem._rows, image)
        self.rows = problem._rows[:self.n_rows].copy()
        self.image = image[:self.n_rows]

    def change(self, alpha):
        p = self.problem
        return kernels.loss_change(p.code, p.Z, p.Y, self.rows, self.image, self.n_rows, alpha)

    def apply(self, alpha):
        """x_b += alpha d, with Z, Psi and the gradient updated on the touched rows."""
        p = self.problem
        p.x[self.block] += alpha * self.direction
        csr = p.csr
        kernels.apply_margin_step(p.code, p.Y, self.rows, self.image, self.n_rows, alpha, csr.data, csr.indices,
                                  csr.indptr, p.Z, p.Psi, p.gradient)


class QuadraticProblem:
    """f(x) = 1/2 x^T Q x - c^T x, Q sparse symmetric (stored CSC; by symmetry its columns are its rows)."""

    n_outputs = 1
    curvature = 1.0

    def __init__(self, Q, c):
        Q = sp.csc_matrix(Q, dtype=np.float64)
        Q.sort_indices()
        self.Q = Q
        self.c = np.asarray(c, dtype=np.float64).ravel()
        self.n_features = Q.shape[0]
        self.lipschitz = Q.diagonal().copy()
        self._marks = -np.ones(self.n_features, dtype=np.int64)

    def start(self, x0=None):
        self.x = np.zeros((self.n_features, 1)) if x0 is None else np.array(x0, dtype=np.float64).reshape(-1, 1)
        self.gradient = (self.Q @ self.x[:, 0] - self.c).reshape(-1, 1)

    def objective(self):
        """1/2 x^T Q x - c^T x = 1/2 x^T (g - c) with g = Q x - c."""
        x = self.x[:, 0]
        return 0.5 * x @ (self.gradient[:, 0] - self.c)

    def bound_matrix(self, block):
        """Q_bb."""
        return kernels.quadratic_block_matrix(self.Q.data, self.Q.indices, self.Q.indptr, block, self._marks)

    newton_matrix = bound_matrix

    def line(self, block, direction):
        return QuadraticLine(self, block, np.ascontiguousarray(direction, dtype=np.float64).ravel())

    def hessian_bound_dot(self, V):
        return self.Q @ V

    def sirt_diagonal(self):
        return np.asarray(abs(self.Q).sum(axis=1)).ravel()


class QuadraticLine:
    """f(x + alpha U_b d) - f(x) = alpha g_b^T d + alpha^2 / 2 d^T Q_bb d."""

    def __init__(self, problem, block, direction):
        self.problem = problem
        self.block = block
        self.direction = direction
        self.slope = problem.gradient[block, 0] @ direction
        self._curvature = None

    def change(self, alpha):
        if self._curvature is None:
            spread = np.zeros(self.problem.n_features)
            spread[self.block] = self.direction
            self._curvature = spread @ (self.problem.Q @ spread)
        return alpha * self.slope + 0.5 * alpha * alpha * self._curvature

    def apply(self, alpha):
        p = self.problem
        step = alpha * self.direction
        p.x[self.block, 0] += step
        kernels.quadratic_block_step(p.Q.data, p.Q.indices, p.Q.indptr, self.block, step, p.gradient[:, 0])
