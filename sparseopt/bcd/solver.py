"""The greedy block coordinate descent loop: x^{k+1} = x^k + U_{b_k} d^k (Nutini, Laradji & Schmidt 2022).

Minimizes F(x) = f(x) + lambda ||x||_1 (optionally with x >= 0) for f a ``MarginProblem`` or a
``QuadraticProblem``. Each iteration selects a block (``sparseopt.bcd.rules``, or a tree block of
``sparseopt.bcd.message_passing``), updates it (``sparseopt.bcd.updates``), and the problem keeps its gradient up
to date incrementally. The run stops when the optimality violation (the largest minimum-norm subgradient
entry) is at most tol, when F - f_star <= target_gap (if f_star is given), or after max_iter iterations.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from sparseopt.bcd import message_passing
from sparseopt.bcd.partitions import FIXED_PARTITIONS, fixed_partition
from sparseopt.bcd.problems import QuadraticProblem
from sparseopt.bcd.rules import RULES, Selector
from sparseopt.bcd.updates import UPDATES, Updater, penalty_value

TREE_RULES = ("greedy-tree", "random-tree")
GRAPH_PARTITIONS = ("red-black", "tree", "tree-index")
PARTITIONS = ("variable",) + FIXED_PARTITIONS + GRAPH_PARTITIONS


@dataclass
class BCDResult:
    """x (n x k), objective values F(x^0), F(x^1), ... (``history``), cumulative seconds after each iteration
    (``times``, 0 first), block sizes, the number of nonzeros after each iteration, and the first iteration from
    which the support no longer changed (``support_settled``, the active-set identification)."""

    x: np.ndarray
    history: list = field(default_factory=list)
    times: list = field(default_factory=list)
    block_sizes: list = field(default_factory=list)
    nonzeros: list = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    support_settled: int = 0
    optimality: float = np.inf


def optimality_violation(problem, penalty=0.0, nonnegative=False):
    """max_i min_{s in dg_i(x_i)} |grad_i f + s| (for softmax, the largest entry over classes)."""
    g = problem.gradient
    x = problem.x
    if not penalty and not nonnegative:
        return float(np.max(np.abs(g))) if g.size else 0.0
    shifted = np.where(x > 0, np.abs(g + penalty), np.where(x < 0, np.abs(g - penalty), 0.0))
    at_zero = x == 0
    if nonnegative:
        shifted[at_zero] = np.maximum(-(g[at_zero] + penalty), 0.0)
    else:
        shifted[at_zero] = np.maximum(np.abs(g[at_zero]) - penalty, 0.0)
    return float(np.max(shifted))


def greedy_bcd(problem, *, rule="gsd", block_size=5, partition="variable", update="gradient", penalty=0.0,
               nonnegative=False, max_iter=500, tol=1e-6, f_star=None, target_gap=0.0, x0=None, random_state=None):
    """Run greedy (or cyclic / random) BCD on ``problem``; return a ``BCDResult``.

    rule: one of ``rules.RULES`` or, for a QuadraticProblem, "greedy-tree" / "random-tree" (variable forest
    blocks, exact updates). partition: "variable", a fixed partition "order" / "sort" / "avg", or for a quadratic
    "red-black" / "tree" (forests visited by decreasing L_i) / "tree-index". update: one of ``updates.UPDATES``.
    """
    if rule not in RULES + TREE_RULES:
        raise ValueError(f"rule must be one of {RULES + TREE_RULES}; got {rule!r}")
    if partition not in PARTITIONS:
        raise ValueError(f"partition must be one of {PARTITIONS}; got {partition!r}")
    if update not in UPDATES:
        raise ValueError(f"update must be one of {UPDATES}; got {update!r}")
    quadratic = isinstance(problem, QuadraticProblem)
    if (rule in TREE_RULES or partition in GRAPH_PARTITIONS or update == "exact") and not quadratic:
        raise ValueError("tree rules, graph partitions and update='exact' need a QuadraticProblem")
    if rule in TREE_RULES and partition != "variable":
        raise ValueError(f"rule={rule!r} builds variable blocks: use partition='variable'")
    rng = np.random.default_rng(random_state)
    problem.start(x0)
    forest = rule in TREE_RULES or partition in GRAPH_PARTITIONS
    blocking = None
    if partition in FIXED_PARTITIONS:
        blocking = fixed_partition(partition, problem.lipschitz, block_size)
    elif partition == "red-black":
        blocking = message_passing.red_black_partition(problem)
    elif partition in ("tree", "tree-index"):
        blocking = message_passing.tree_partition(problem, "lipschitz" if partition == "tree" else "index")
    selector = None if rule in TREE_RULES else Selector(problem, rule, block_size, blocking, penalty, nonnegative,
                                                         rng)
    updater = Updater(problem, update, penalty, nonnegative)

    result = BCDResult(x=problem.x)
    objective = problem.objective() + penalty_value(problem.x, penalty)
    result.history.append(objective)
    result.times.append(0.0)
    support = problem.x != 0
    result.nonzeros.append(int(support.sum()))
    elapsed = 0.0
    for iteration in range(max_iter):
        result.optimality = optimality_violation(problem, penalty, nonnegative)
        if result.optimality <= tol or (f_star is not None and objective - f_star <= target_gap):
            result.converged = True
            break
        start = time.perf_counter()
        updater.objective_scale = abs(objective)
        block_key = None
        if rule == "greedy-tree":
            block = message_passing.greedy_tree_block(problem)
        elif rule == "random-tree":
            block = message_passing.random_tree_block(problem, rng)
        elif blocking is not None:
            block_key = selector._fixed_index(iteration)
            block = selector.blocks[block_key]
        else:
            block = selector.select(iteration)
        known_lipschitz = selector.block_lipschitz[block_key] if block_key is not None else None
        updater.step(block, block_lipschitz=known_lipschitz, block_key=block_key,
                     forest=forest)
        elapsed += time.perf_counter() - start
        objective = problem.objective() + penalty_value(problem.x, penalty)
        result.history.append(objective)
        result.times.append(elapsed)
        result.block_sizes.append(int(block.size))
        new_support = problem.x != 0
        if np.any(new_support != support):
            result.support_settled = iteration + 1
            support = new_support
        result.nonzeros.append(int(support.sum()))
        result.n_iter = iteration + 1
    else:
        result.optimality = optimality_violation(problem, penalty, nonnegative)
        result.converged = result.optimality <= tol or (f_star is not None and objective - f_star <= target_gap)
    result.x = problem.x
    return result
