"""Block updates x_b <- x_b + alpha d (Sec. 2, 4.3, 5 and 6.4 of Nutini, Laradji & Schmidt 2022).

F = f + lambda ||x||_1 (lambda = ``penalty``, optionally with x >= 0). With g_b = grad_b f(x):

- ``gradient``: x_b <- prox_{lambda / L_b}(x_b - g_b / L_b), L_b = lambda_max(H_b) for every rule (the paper's
  Fig. 4 protocol: GSD-type rules only select, the step is the block's own 1 / L_b);
- ``la``: the same step with L_b estimated: start at 1, double until
  F(x+) <= F(x) + g_b^T d + L_b / 2 ||d||^2 + lambda (||x_b+||_1 - ||x_b||_1), keep the estimate per block;
- ``matrix``: d = -H_b^-1 g_b (Cholesky of the block bound matrix); with a penalty the exact minimizer of the
  bound model g_b^T d + 1/2 d^T H_b d + lambda ||x_b + d||_1 (for least squares: the exact block minimizer, "PN");
- ``newton``: d = -(grad^2_bb f)^-1 g_b (proximal Newton with a penalty), alpha from 1 by Armijo backtracking on
  F(x + alpha U_b d) <= F(x) + sigma alpha Delta with quadratic interpolation;
- ``tmp``: two-metric projection for x >= 0 (with lambda 1^T x): coordinates at their bound (x_i <= eps) with
  a positive gradient take a scaled projected gradient step, the others a Newton step on their sub-block; the
  projected arc [x + alpha d]_+ is searched by Armijo backtracking;
- ``exact`` (quadratics): the block minimizer Q_bb^-1 (c - Q_{b,not b} x) by a linear-time forest solve when
  the block is a forest of the graph of Q, else by Cholesky.
"""
import numpy as np
import scipy.linalg

from numba_kernels import bcd as kernels
from numba_kernels.trees import forest_solve

UPDATES = ("gradient", "la", "matrix", "newton", "tmp", "exact")
ARMIJO = 1e-4
QP_TOL = 1e-13
TMP_EPSILON = 1e-4


def penalty_value(x, penalty):
    return penalty * float(np.abs(x).sum()) if penalty else 0.0


def prox(values, penalty, nonnegative):
    """prox of penalty * ||.||_1 (+ the constraint >= 0) at ``values`` (penalty already divided by the step)."""
    if nonnegative:
        return np.maximum(values - penalty, 0.0)
    if np.ndim(penalty) == 0 and penalty == 0.0:
        return values
    return np.sign(values) * np.maximum(np.abs(values) - penalty, 0.0)


def solve_spd(matrix, rhs):
    """matrix^-1 rhs by Cholesky; a singular matrix (e.g. the softmax class direction) falls back to least
    squares (the minimum-norm solution)."""
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(matrix, check_finite=False), rhs, check_finite=False)
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return np.linalg.lstsq(matrix, rhs, rcond=1e-12)[0]


class Updater:
    """Applies one block update of kind ``update`` to a problem (see the module docstring)."""

    def __init__(self, problem, update, penalty=0.0, nonnegative=False):
        if update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}; got {update!r}")
        self.problem = problem
        self.update = update
        self.penalty = penalty
        self.nonnegative = nonnegative
        self.estimates = {}
        #: |F(x)| before the step (set by the solver): the line searches allow a rounding slack of a few ulps of it
        self.objective_scale = 0.0

    def step(self, block, block_lipschitz=None, block_key=None, forest=False):
        """Update x_b; block_lipschitz is L_b when known (fixed blocks), block_key names the block for ``la``."""
        if self.update == "gradient":
            if block_lipschitz is None:
                block_lipschitz = float(np.linalg.eigvalsh(self.problem.bound_matrix(block))[-1])
            return self._proximal_step(block, max(block_lipschitz, 1e-300))
        if self.update == "la":
            return self._lipschitz_estimate_step(block, block_key)
        if self.update == "tmp":
            return self._two_metric_step(block)
        if self.update == "exact" and forest and not self.penalty:
            p = self.problem
            direction = forest_solve(p.Q.data, p.Q.indptr, p.Q.indices, block, -p.gradient[block, 0])
            return p.line(block, direction).apply(1.0)
        if self.update == "newton":
            return self._newton_step(block)
        return self._model_step(block, self.problem.bound_matrix(block))

    def _proximal_step(self, block, lipschitz):
        """x_b <- prox_{lambda / L}(x_b - g_b / L), L a scalar or a column of d_i."""
        p = self.problem
        x_block = p.x[block]
        target = prox(x_block - p.gradient[block] / lipschitz, self.penalty / lipschitz, self.nonnegative)
        line = p.line(block, target - x_block)
        line.apply(1.0)
        return line

    def _lipschitz_estimate_step(self, block, block_key):
        p = self.problem
        estimate = self.estimates.get(block_key, 1.0)
        x_block = p.x[block]
        g_block = p.gradient[block]
        while True:
            target = prox(x_block - g_block / estimate, self.penalty / estimate, self.nonnegative)
            direction = target - x_block
            line = p.line(block, direction)
            model = (np.sum(g_block * direction) + 0.5 * estimate * np.sum(direction ** 2))
            if line.change(1.0) <= model + self._rounding_slack() or estimate > 1e300:
                break
            estimate *= 2.0
        self.estimates[block_key] = estimate
        line.apply(1.0)
        return line

    def _rounding_slack(self):
        """64 ulps of |F(x)|: below that, a computed decrease is rounding noise."""
        return 64 * np.finfo(float).eps * self.objective_scale

    def _model_step(self, block, matrix):
        """Minimize g_b^T d + 1/2 d^T H d (+ the penalty at x_b + d) and take the full step."""
        p = self.problem
        g_block = p.gradient[block]
        if not self.penalty and not self.nonnegative:
            direction = -solve_spd(matrix, g_block)
        else:
            direction = self._penalized_model_minimizer(block, matrix) - p.x[block, 0]
        line = p.line(block, direction)
        line.apply(1.0)
        return line

    def _penalized_model_minimizer(self, block, matrix):
        """argmin_u 1/2 u^T H u + (g_b - H x_b)^T u + lambda ||u||_1 (u >= 0 when nonnegative)."""
        p = self.problem
        x_block = p.x[block, 0].copy()
        matrix = matrix + 1e-14 * max(np.max(np.diag(matrix)), 1e-300) * np.eye(block.size)
        linear = p.gradient[block, 0] - matrix @ x_block
        u, _ = kernels.box_l1_qp(matrix, linear, float(self.penalty), self.nonnegative, x_block, QP_TOL,
                                 100_000)
        return u

    def _armijo(self, line, slope, penalty_change):
        """Largest alpha of 1, then quadratic-interpolation backtracking, with
        F(x + alpha d) - F(x) <= sigma alpha slope; penalty_change(alpha) gives the penalty part."""
        alpha = 1.0
        for _ in range(60):
            change = line.change(alpha) + penalty_change(alpha)
            if change <= ARMIJO * alpha * slope + self._rounding_slack() or alpha < 1e-20:
                break
            curvature = change - slope * alpha
            guess = -slope * alpha * alpha / (2.0 * curvature) if curvature > 0 else 0.5 * alpha
            alpha = min(max(guess, 0.1 * alpha), 0.5 * alpha)
        line.apply(alpha)
        return line

    def _newton_step(self, block):
        p = self.problem
        hessian = p.newton_matrix(block)
        hessian = hessian + 1e-12 * max(np.max(np.diag(hessian)), 1e-300) * np.eye(hessian.shape[0])
        g_block = p.gradient[block]
        x_block = p.x[block]
        if not self.penalty and not self.nonnegative:
            direction = -solve_spd(hessian, g_block.reshape(-1)).reshape(g_block.shape)
            line = p.line(block, direction)
            return self._armijo(line, float(np.sum(g_block * direction)), lambda alpha: 0.0)
        direction = (self._penalized_model_minimizer(block, hessian) - x_block[:, 0])[:, None]
        start = penalty_value(x_block, self.penalty)
        slope = float(np.sum(g_block * direction)) + penalty_value(x_block + direction, self.penalty) - start
        line = p.line(block, direction)
        return self._armijo(line, slope, lambda alpha: penalty_value(x_block + alpha * direction, self.penalty)
                            - start)

    def _two_metric_step(self, block):
        """Two-metric projection (Gafni & Bertsekas) on x_b >= 0 for f + lambda 1^T x."""
        if not self.nonnegative:
            raise ValueError("update='tmp' needs the non-negative problem (positive=True)")
        p = self.problem
        x_block = p.x[block, 0].copy()
        g_block = p.gradient[block, 0] + self.penalty
        hessian = p.newton_matrix(block)
        at_bound = (x_block <= TMP_EPSILON) & (g_block > 0)
        free = ~at_bound
        direction = np.zeros(block.size)
        diag = np.maximum(np.diag(hessian), 1e-300)
        direction[at_bound] = -g_block[at_bound] / diag[at_bound]
        if free.any():
            direction[free] = -solve_spd(hessian[np.ix_(free, free)], g_block[free])
        alpha = 1.0
        for _ in range(60):
            trial = np.maximum(x_block + alpha * direction, 0.0) - x_block
            line = p.line(block, trial)
            change = line.change(1.0) + self.penalty * trial.sum()
            if change <= ARMIJO * float(g_block @ trial) + self._rounding_slack() or alpha < 1e-20:
                break
            alpha *= 0.5
        line.apply(1.0)
        return line
