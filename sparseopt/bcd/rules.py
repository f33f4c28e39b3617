"""Block selection rules (Sec. 3-4 and 6 of Nutini, Laradji & Schmidt 2022).

With g = grad f(x^k) (n x k; k > 1 only for softmax, where a coordinate is one feature across all classes),
L_b the block Lipschitz constant, H_b the block bound matrix and d_i a diagonal bound:

| rule | fixed blocks: argmax_b of | variable blocks (tau coordinates) |
|---|---|---|
| cyclic | b = k mod B | a random permutation cut into chunks, redrawn every pass |
| random | uniform b | tau coordinates uniformly without replacement |
| lipschitz | P(b) proportional to L_b | tau coordinates without replacement, P(i) proportional to L_i |
| gs | ||g_b||^2 | the tau largest |g_i| |
| gsl | ||g_b||^2 / L_b | GSD with the SIRT diagonal d_i = sum_j |M_ij| (the tractable rule the paper plots as GSL-VB) |
| gsd | sum_{i in b} g_i^2 / d_i, d_i = tau L_i | the tau largest g_i^2 / (tau L_i) |
| gsq | g_b^T H_b^-1 g_b | the support of 10 IHT steps on min_{||d||_0 <= tau} g^T d + 1/2 d^T M d |

Proximal rules for F = f + lambda ||x||_1 (optionally x >= 0), per coordinate with the prox step
d_i = prox_{lambda/L}(x_i - g_i / L) - x_i, L = max_j L_j for GS-*, L = L_i for GSL-*:
gs-s (minimum-norm subgradient), gs-r / gsl-r (|d_i|), gs-q / gsl-q (the decrease of the one-coordinate model).
Fixed blocks sum the per-coordinate scores over each block; variable blocks take the tau best in O(n).
"""
import numpy as np

from numba_kernels import bcd as kernels
from sparseopt.bcd.partitions import blocks_of

SMOOTH_RULES = ("cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq")
PROXIMAL_RULES = ("gs-s", "gs-r", "gs-q", "gsl-r", "gsl-q")
RULES = SMOOTH_RULES + PROXIMAL_RULES
PROXIMAL_KIND = {"gs-s": 0, "gs-r": 1, "gsl-r": 1, "gs-q": 2, "gsl-q": 2}
IHT_STEPS = 10


def largest_eigenvalue(matrix):
    """lambda_max of a small symmetric matrix (0 for an empty one)."""
    return float(np.linalg.eigvalsh(matrix)[-1]) if matrix.size else 0.0


class Selector:
    """Picks the block b_k at each iteration; ``diagonal`` holds the d_i of the GSD-type rules, else None.

    partition is None for variable blocks, else (block_ptr, members) (see ``sparseopt.bcd.partitions``).
    """

    def __init__(self, problem, rule, block_size, partition, penalty, nonnegative, rng):
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}; got {rule!r}")
        self.problem = problem
        self.rule = rule
        self.block_size = block_size
        self.partition = partition
        self.penalty = penalty
        self.nonnegative = nonnegative
        self.rng = rng
        self.lipschitz = np.maximum(problem.lipschitz, 1e-300)
        self.diagonal = None
        self._permutation = np.empty(0, dtype=np.int64)
        if rule == "gsd":
            self.diagonal = block_size * self.lipschitz
        elif rule == "gsl" and partition is None:
            self.diagonal = np.maximum(problem.sirt_diagonal(), 1e-300)
        if partition is not None:
            self.blocks = blocks_of(partition)
            self.block_lipschitz = np.array([largest_eigenvalue(problem.bound_matrix(b)) for b in self.blocks])
            if rule == "gsq":
                self._inverses = np.zeros((len(self.blocks), block_size, block_size))
                for index, block in enumerate(self.blocks):
                    self._inverses[index, :block.size, :block.size] = np.linalg.pinv(problem.bound_matrix(block))
        if rule in PROXIMAL_RULES:
            if problem.n_outputs != 1:
                raise ValueError("the proximal rules need a single output (not softmax)")
            self._prox_lipschitz = (self.lipschitz if rule.startswith("gsl")
                                    else np.full(self.lipschitz.size, self.lipschitz.max()))

    def coordinate_scores(self):
        """Per-coordinate scores of the greedy rules (larger is better)."""
        g = self.problem.gradient
        if self.rule in PROXIMAL_RULES:
            return kernels.proximal_scores(self.problem.x[:, 0], g[:, 0], self._prox_lipschitz, self.penalty,
                                           self.nonnegative, PROXIMAL_KIND[self.rule])
        weights = np.ones(g.shape[0]) if self.diagonal is None else 1.0 / self.diagonal
        return kernels.squared_gradient_scores(g, weights)

    def select(self, iteration):
        """The block (int64 array of coordinates) to update at this iteration."""
        if self.partition is None:
            return self._variable(iteration)
        return self.blocks[self._fixed_index(iteration)]

    def _fixed_index(self, iteration):
        n_blocks = len(self.blocks)
        if self.rule == "cyclic":
            return iteration % n_blocks
        if self.rule == "random":
            return int(self.rng.integers(n_blocks))
        if self.rule == "lipschitz":
            return int(self.rng.choice(n_blocks, p=self.block_lipschitz / self.block_lipschitz.sum()))
        block_ptr, members = self.partition
        if self.rule == "gsq":
            return int(np.argmax(kernels.block_quadratic_forms(self.problem.gradient, block_ptr, members,
                                                               self._inverses)))
        if self.rule == "gsl":
            sums = kernels.block_sums(kernels.squared_gradient_scores(self.problem.gradient,
                                                                      np.ones(self.lipschitz.size)),
                                      block_ptr, members)
            return int(np.argmax(sums / np.maximum(self.block_lipschitz, 1e-300)))
        return int(np.argmax(kernels.block_sums(self.coordinate_scores(), block_ptr, members)))

    def _variable(self, iteration):
        n = self.lipschitz.size
        tau = min(self.block_size, n)
        if self.rule == "cyclic":
            start = (iteration % (n // tau)) * tau
            if start == 0:
                self._permutation = self.rng.permutation(n)
            return np.sort(self._permutation[start:start + tau])
        if self.rule == "random":
            return np.sort(self.rng.choice(n, tau, replace=False))
        if self.rule == "lipschitz":
            return np.sort(self.rng.choice(n, tau, replace=False, p=self.lipschitz / self.lipschitz.sum()))
        if self.rule == "gsq":
            return self._iht_block(tau)
        return np.sort(kernels.top_tau(self.coordinate_scores(), tau))

    def _iht_block(self, tau):
        """Approximate GSQ-VB block: iterative hard thresholding on min_{||d||_0 <= tau} g^T d + 1/2 d^T M d,
        majorized by the diagonal D = 2 tau diag(L_i), which bounds M on 2tau-sparse vectors (the difference of
        two iterates): 10 steps of v = d - D^-1 (g + M d), d = v kept on the tau largest D_i v_i^2, starting from
        the GSD block (d_i = tau L_i) and its step, so the selected block is at least as good as GSD's start."""
        g = self.problem.gradient
        diagonal = tau * self.lipschitz
        start = kernels.top_tau(kernels.squared_gradient_scores(g, 1.0 / diagonal), tau)
        step = np.zeros_like(g)
        step[start] = -g[start] / diagonal[start, None]
        majorizer = 2.0 * diagonal
        for _ in range(IHT_STEPS):
            moved = step - (g + self.problem.hessian_bound_dot(step)) / majorizer[:, None]
            keep = kernels.top_tau(kernels.squared_gradient_scores(moved, majorizer), tau)
            step = np.zeros_like(g)
            step[keep] = moved[keep]
        support = np.flatnonzero(np.any(step != 0.0, axis=1))
        return np.sort(support) if support.size else np.sort(start)
