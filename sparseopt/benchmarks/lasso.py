"""The Lasso benchmark family: problems P(w) = 1/(2n) ||y - Xw||^2 + alpha ||w||_1 and the solvers compared on them.

Solvers: sparseopt's ``Lasso`` (working-set coordinate descent with Anderson extrapolation), sparseopt's
generic FISTA (the prox layer), scikit-learn's ``Lasso`` (coordinate descent with Gap Safe screening), skglm's ``Lasso``
(working sets with Anderson acceleration) and celer's ``Lasso`` (working sets with dual extrapolation), all
without intercept.
"""
from dataclasses import dataclass

import numpy as np

from sparseopt.benchmarks import datasets
from sparseopt.benchmarks.family import Family, SolverAdapter


@dataclass(frozen=True)
class LassoProblem:
    """min_w P(w) = 1/(2n) ||y - Xw||^2 + alpha ||w||_1, with no intercept."""

    name: str
    X: np.ndarray
    y: np.ndarray
    alpha: float

    def objective(self, coef):
        """P(coef) = 1/(2n) ||y - X coef||^2 + alpha ||coef||_1."""
        residual = self.y - self.X @ coef
        return 0.5 * residual @ residual / self.y.shape[0] + self.alpha * np.abs(coef).sum()

    def support_size(self, coef):
        """Number of exactly nonzero coefficients."""
        return int(np.count_nonzero(coef))


@dataclass(frozen=True)
class LassoPathProblem:
    """The Lasso along a decreasing grid alpha_1 > ... > alpha_K: a solution is the (p, K) matrix of coefficients
    and its objective the sum of the K Lasso objectives, so that its suboptimality is that of the whole path."""

    name: str
    X: np.ndarray
    y: np.ndarray
    alphas: np.ndarray

    def objective(self, coefs):
        """sum_k 1/(2n) ||y - X coefs_k||^2 + alpha_k ||coefs_k||_1."""
        residuals = self.y[:, None] - self.X @ coefs
        return float(0.5 * np.sum(residuals ** 2) / self.y.shape[0] + self.alphas @ np.abs(coefs).sum(axis=0))

    def support_size(self, coefs):
        """Non-zero coefficients at the last (smallest) alpha."""
        return int(np.count_nonzero(coefs[:, -1]))


def alpha_max(X, y):
    """alpha_max = ||X^T y||_inf / n, the smallest alpha for which w = 0 solves the Lasso."""
    return np.max(np.abs(X.T @ y)) / X.shape[0]


def make_problems(size):
    """Lasso problems at alpha_max / 10 and alpha_max / 100 (only / 10 for ``tiny``), and a warm-started path
    from alpha_max to alpha_max / 100 on the first design (5 points for ``tiny``, 20 for ``quick``, 100 for ``full``).

    ``tiny``: simulated 50 x 200. ``quick``: simulated 200 x 2000 (rho 0.6, 20 non-zeros), sparse CSC 2000 x 10000
    (density 1e-3), diabetes with interactions up to degree 3 (442 x 175). ``full``: simulated 1000 x 20000
    (50 non-zeros), sparse CSC 10000 x 100000 (density 1e-3), the same diabetes data.
    """
    if size == "tiny":
        designs = {"simulated 50x200": datasets.simulated_correlated(50, 200)}
    elif size == "quick":
        designs = {"simulated 200x2000": datasets.simulated_correlated(200, 2000),
                   "sparse 2000x10000": datasets.sparse_design(2000, 10000)}
    else:
        designs = {"simulated 1000x20000": datasets.simulated_correlated(1000, 20000, n_nonzeros=50),
                   "sparse 10000x100000": datasets.sparse_design(10000, 100000, n_nonzeros=50)}
    if size != "tiny":
        designs["diabetes degree-3 interactions 442x175"] = datasets.diabetes(degree=3)
    alpha_ratios = (10,) if size == "tiny" else (10, 100)
    n_path = {"tiny": 5, "quick": 20, "full": 100}[size]
    problems = [
        LassoProblem(f"{data_name}, alpha_max/{ratio}", X, y, alpha_max(X, y) / ratio)
        for data_name, (X, y) in designs.items()
        for ratio in alpha_ratios
    ]
    data_name, (X, y) = next(iter(designs.items()))
    alphas = np.geomspace(alpha_max(X, y), alpha_max(X, y) / 100, n_path)
    return problems + [LassoPathProblem(f"{data_name}, {n_path}-point path to alpha_max/100", X, y, alphas)]


def _over_path(problem, solve_one):
    """Solve every alpha of a path problem with solve_one(alpha, warm_coef) -> coef, warm-started; a single
    problem is its own one-point path."""
    if isinstance(problem, LassoProblem):
        return solve_one(problem.alpha, None)
    coefs, coef = np.zeros((problem.X.shape[1], problem.alphas.size)), None
    for k, alpha in enumerate(problem.alphas):
        coef = coefs[:, k] = solve_one(alpha, coef)
    return coefs


def solve_sparseopt(problem, max_iter):
    """sparseopt's accelerated proximal gradient (FISTA), exactly ``max_iter`` iterations (per path point)."""
    from sparseopt.datafits import Quadratic
    from sparseopt.penalties import L1
    from sparseopt.solvers import fista

    lipschitz = Quadratic().lipschitz(problem.X, tol=1e-3)  # once for all the points of a path
    return _over_path(problem, lambda alpha, warm: fista(problem.X, problem.y, Quadratic(), L1(alpha), coef_init=warm,
                                                        max_iter=max_iter, tol=0.0, lipschitz=lipschitz).coef)


def solve_sparseopt_lasso(problem, tol):
    """sparseopt's ``Lasso`` (``lasso_path`` on a path, with its strong rules), stopped when the duality gap is
    below tol * ||y||^2 / n."""
    from sparseopt.linear_model import Lasso, lasso_path

    if isinstance(problem, LassoPathProblem):
        return lasso_path(problem.X, problem.y, alphas=problem.alphas, tol=tol)[1]
    return Lasso(alpha=problem.alpha, fit_intercept=False, tol=tol).fit(problem.X, problem.y).coef_


def solve_sklearn(problem, max_iter):
    """scikit-learn's ``Lasso`` (``lasso_path`` on a path), exactly ``max_iter`` coordinate-descent epochs (per
    point)."""
    from sklearn.linear_model import Lasso, lasso_path

    if isinstance(problem, LassoPathProblem):
        return lasso_path(problem.X, problem.y, alphas=problem.alphas, max_iter=max_iter, tol=0.0)[1]
    model = Lasso(alpha=problem.alpha, fit_intercept=False, max_iter=max_iter, tol=0.0)
    return model.fit(problem.X, problem.y).coef_


def solve_skglm(problem, tol):
    """skglm's ``Lasso``, stopped when its optimality violation is below ``tol`` (warm-started along a path)."""
    from skglm import Lasso

    model = Lasso(fit_intercept=False, tol=tol, warm_start=True)
    return _over_path(problem, lambda alpha, warm: model.set_params(alpha=alpha).fit(problem.X, problem.y).coef_.copy())


def solve_celer(problem, tol):
    """celer's ``Lasso`` (``celer_path`` on a path), stopped when its relative duality gap is below ``tol``."""
    from celer import Lasso, celer_path

    if isinstance(problem, LassoPathProblem):
        return celer_path(problem.X, problem.y, "lasso", alphas=problem.alphas, tol=tol)[1]
    return Lasso(alpha=problem.alpha, fit_intercept=False, tol=tol).fit(problem.X, problem.y).coef_


FAMILY = Family(
    name="lasso",
    make_problems=make_problems,
    solvers=(
        SolverAdapter("sparseopt Lasso", "sparseopt", "tol", solve_sparseopt_lasso),
        SolverAdapter("sparseopt fista", "sparseopt", "max_iter", solve_sparseopt),
        SolverAdapter("scikit-learn", "sklearn", "max_iter", solve_sklearn),
        SolverAdapter("skglm", "skglm", "tol", solve_skglm),
        SolverAdapter("celer", "celer", "tol", solve_celer),
    ),
)
