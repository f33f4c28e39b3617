"""Greedy BCD (sparseopt.bcd): every rule and update against direct solves, the forest kernels against networkx
and dense solves, the estimators, the benchmark at tiny size and the example."""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from numba_kernels import trees
from sparseopt.bcd import MarginProblem, QuadraticProblem, greedy_bcd
from sparseopt.bcd.rules import PROXIMAL_RULES, SMOOTH_RULES


def least_squares_data(m=100, n=20, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) * rng.uniform(0.5, 2.0, n)
    return A, rng.standard_normal(m)


def lattice_quadratic(side=8, seed=0, weight=1.0):
    """Label propagation on a side x side lattice with a few labelled nodes: Q = diag(degree) - W on the
    unlabelled nodes, c = the labelled neighbours' weighted labels."""
    import networkx as nx

    rng = np.random.default_rng(seed)
    graph = nx.grid_2d_graph(side, side)
    W = weight * nx.to_scipy_sparse_array(graph, format="csr")
    labelled = rng.choice(side * side, side, replace=False)
    free = np.setdiff1d(np.arange(side * side), labelled)
    labels = rng.standard_normal(labelled.size)
    degree = np.asarray(W.sum(axis=1)).ravel()
    Q = (sp.diags(degree) - W).tocsr()[free][:, free]
    c = W.tocsr()[free][:, labelled] @ labels
    return Q, c


@pytest.mark.parametrize("rule,partition", list(itertools.product(SMOOTH_RULES, ["variable", "sort"])))
@pytest.mark.parametrize("update", ["gradient", "la", "matrix"])
def test_least_squares_rules_reach_lstsq(rule, partition, update):
    A, y = least_squares_data()
    x_star = np.linalg.lstsq(A, y, rcond=None)[0]
    f_star = 0.5 * np.sum((A @ x_star - y) ** 2)
    slow = rule in ("cyclic", "random", "lipschitz") and update != "matrix"
    result = greedy_bcd(MarginProblem(A, y), rule=rule, block_size=5, partition=partition, update=update,
                        max_iter=12000 if slow else 4000, tol=1e-8, random_state=0)
    assert result.converged
    assert result.history[-1] == pytest.approx(f_star, rel=1e-9)
    np.testing.assert_allclose(result.x[:, 0], x_star, atol=1e-6)
    assert np.all(np.diff(result.history) <= 1e-9 * f_star)  # every update is a descent step


@pytest.mark.parametrize("partition", ["order", "avg"])
def test_other_fixed_partitions(partition):
    A, y = least_squares_data()
    x_star = np.linalg.lstsq(A, y, rcond=None)[0]
    result = greedy_bcd(MarginProblem(A, y), rule="gsq", partition=partition, update="matrix", tol=1e-9,
                        max_iter=2000)
    np.testing.assert_allclose(result.x[:, 0], x_star, atol=1e-6)


@pytest.mark.parametrize("update", ["gradient", "la", "newton"])
@pytest.mark.parametrize("rule", ["gs", "gsd", "gsq"])
def test_logistic_reaches_scipy_minimizer(rule, update):
    from scipy.optimize import minimize

    rng = np.random.default_rng(1)
    A = rng.standard_normal((80, 12))
    labels = np.where(0.5 * A @ rng.standard_normal(12) + rng.standard_normal(80) > 0, 1.0, -1.0)

    def objective(x):
        return np.sum(np.logaddexp(0, -labels * (A @ x)))

    reference = minimize(objective, np.zeros(12), jac=lambda x: -A.T @ (labels / (1 + np.exp(labels * (A @ x)))),
                         method="BFGS", options={"gtol": 1e-10}).x
    result = greedy_bcd(MarginProblem(A, labels, "logistic"), rule=rule, block_size=4, update=update,
                        max_iter=5000, tol=1e-8)
    assert result.converged
    np.testing.assert_allclose(result.x[:, 0], reference, atol=1e-5)


@pytest.mark.parametrize("update", ["gradient", "matrix", "newton"])
def test_softmax_reaches_scipy_minimizer(update):
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    rng = np.random.default_rng(2)
    m, n, k = 90, 6, 3
    A = rng.standard_normal((m, n))
    classes = np.argmax(A @ rng.standard_normal((n, k)) + 2 * rng.standard_normal((m, k)), axis=1)

    def objective(flat):
        scores = A @ flat.reshape(n, k)
        return np.sum(logsumexp(scores, axis=1) - scores[np.arange(m), classes])

    reference = minimize(objective, np.zeros(n * k), method="BFGS", options={"gtol": 1e-10}).x
    result = greedy_bcd(MarginProblem(A, classes, "softmax"), rule="gsd", block_size=2, update=update,
                        max_iter=5000, tol=1e-8)
    assert result.converged
    assert result.history[-1] == pytest.approx(objective(reference), rel=1e-9)


@pytest.mark.parametrize("nonnegative", [False, True])
@pytest.mark.parametrize("rule,update,partition", [
    ("gs-s", "gradient", "variable"), ("gs-r", "la", "variable"), ("gs-q", "matrix", "variable"),
    ("gsl-r", "gradient", "sort"), ("gsl-q", "newton", "variable"), ("gs-q", "matrix", "sort")])
def test_l1_and_nonnegative_rules_match_cvxpy(rule, update, partition, nonnegative):
    import cvxpy as cp

    A, y = least_squares_data(50, 40, seed=3)
    penalty = 0.3 * np.max(np.abs(A.T @ y))
    x = cp.Variable(40)
    constraints = [x >= 0] if nonnegative else []
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ x - y) + penalty * cp.norm1(x)), constraints)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    result = greedy_bcd(MarginProblem(A, y), rule=rule, block_size=5, partition=partition, update=update,
                        penalty=penalty, nonnegative=nonnegative, max_iter=20000, tol=1e-8)
    assert result.converged
    assert result.history[-1] == pytest.approx(problem.value, rel=1e-8)
    np.testing.assert_allclose(result.x[:, 0], x.value, atol=1e-5)


def test_two_metric_projection_matches_cvxpy():
    import cvxpy as cp

    A, y = least_squares_data(50, 40, seed=4)
    penalty = 0.2 * np.max(np.abs(A.T @ y))
    x = cp.Variable(40)
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ x - y) + penalty * cp.sum(x)), [x >= 0]).solve(
        solver=cp.CLARABEL)
    result = greedy_bcd(MarginProblem(A, y), rule="gsl-q", block_size=10, update="tmp", penalty=penalty,
                        nonnegative=True, max_iter=2000, tol=1e-8)
    assert result.converged
    np.testing.assert_allclose(result.x[:, 0], x.value, atol=1e-5)


@pytest.mark.parametrize("rule,partition,update", [
    ("gs", "variable", "exact"), ("gsd", "sort", "matrix"), ("greedy-tree", "variable", "exact"),
    ("random-tree", "variable", "exact"), ("gs", "red-black", "exact"), ("gs", "tree", "exact"),
    ("gs", "tree-index", "exact"), ("gsl", "variable", "gradient")])
def test_quadratic_blocks_reach_the_linear_solve(rule, partition, update):
    Q, c = lattice_quadratic()
    x_star = sp.linalg.spsolve(Q.tocsc(), c)
    result = greedy_bcd(QuadraticProblem(Q, c), rule=rule, block_size=4, partition=partition, update=update,
                        max_iter=20000, tol=1e-9, random_state=0)
    assert result.converged
    np.testing.assert_allclose(result.x[:, 0], x_star, atol=1e-7)
    assert result.history[-1] == pytest.approx(-0.5 * c @ x_star, rel=1e-10)


def random_graph_csr(n, n_edges, rng):
    edges = set()
    n_edges = min(n_edges, n * (n - 1) // 2)
    while len(edges) < n_edges:
        i, j = rng.integers(n, size=2)
        if i != j:
            edges.add((min(i, j), max(i, j)))
    rows, cols = np.array(sorted(edges)).T
    adjacency = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return (adjacency + adjacency.T).tocsr(), edges


def test_forest_test_agrees_with_networkx():
    import networkx as nx

    rng = np.random.default_rng(5)
    for trial in range(200):
        n = int(rng.integers(3, 30))
        adjacency, edges = random_graph_csr(n, int(rng.integers(1, 2 * n)), rng)
        nodes = rng.choice(n, int(rng.integers(1, n + 1)), replace=False)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(edges)
        expected = nx.is_forest(graph.subgraph(nodes.tolist()))
        assert trees.is_forest(adjacency.indptr, adjacency.indices, nodes.astype(np.int64)) == expected


def test_greedy_forest_and_partition_are_maximal_forests():
    import networkx as nx

    rng = np.random.default_rng(6)
    adjacency, edges = random_graph_csr(40, 90, rng)
    graph = nx.Graph(list(edges))
    graph.add_nodes_from(range(40))
    order = rng.permutation(40)
    kept = trees.greedy_forest(adjacency.indptr, adjacency.indices, order, 40)
    assert kept[0] == order[0] and nx.is_forest(graph.subgraph(kept.tolist()))
    for node in set(range(40)) - set(kept.tolist()):  # maximal: no node can be added
        assert not nx.is_forest(graph.subgraph(kept.tolist() + [node]))
    labels = trees.forest_partition(adjacency.indptr, adjacency.indices, order)
    for label in np.unique(labels):
        assert nx.is_forest(graph.subgraph(np.flatnonzero(labels == label).tolist()))
    colors = trees.greedy_coloring(adjacency.indptr, adjacency.indices, order)
    assert all(colors[i] != colors[j] for i, j in edges)


def test_lattice_splits_into_two_forests():
    import networkx as nx

    W = nx.to_scipy_sparse_array(nx.grid_2d_graph(10, 10), format="csr")
    labels = trees.forest_partition(W.indptr, W.indices, np.arange(100))
    assert labels.max() == 1
    colors = trees.greedy_coloring(W.indptr, W.indices, np.arange(100))
    assert colors.max() == 1


def test_forest_solve_agrees_with_dense_solve_on_random_forests():
    import networkx as nx

    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(2, 60))
        forest = nx.random_labeled_tree(n, seed=int(rng.integers(1 << 30)))
        forest.remove_edges_from([e for e in list(forest.edges) if rng.random() < 0.2])  # a forest
        weights = sp.coo_matrix(nx.to_scipy_sparse_array(forest)).astype(float)
        weights.data = -rng.uniform(0.1, 1.0, weights.nnz)
        weights = (weights + weights.T) / 2
        Q = (weights + sp.diags(np.asarray(abs(weights).sum(axis=1)).ravel() + rng.uniform(0.1, 1, n))).tocsr()
        dense = Q.toarray()
        block = np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False)).astype(np.int64)
        rhs = rng.standard_normal(block.size)
        solution = trees.forest_solve(Q.data, Q.indptr, Q.indices, block, rhs)
        np.testing.assert_allclose(solution, np.linalg.solve(dense[np.ix_(block, block)], rhs), rtol=1e-10,
                                   atol=1e-12)


def test_regressor_matches_scikit_learn_lasso():
    from sklearn.linear_model import Lasso

    from sparseopt.bcd import GreedyBCDRegressor

    A, y = least_squares_data(80, 30, seed=8)
    y = y + 3.0
    alpha = 0.1 * np.max(np.abs((A - A.mean(0)).T @ (y - y.mean())))
    model = GreedyBCDRegressor(alpha, rule="gs-q", block_size=5, tol=1e-9).fit(A, y)
    reference = Lasso(alpha / 80, tol=1e-12, max_iter=100_000).fit(A, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)
    assert model.history_[0] >= model.history_[-1] and model.n_iter_ == model.history_.size - 1
    sparse_fit = GreedyBCDRegressor(alpha, rule="gs-q", tol=1e-9).fit(sp.csc_matrix(A), y)
    np.testing.assert_allclose(sparse_fit.coef_, model.coef_, atol=1e-6)
    plain = GreedyBCDRegressor().fit(A, y)
    np.testing.assert_allclose(plain.predict(A), A @ np.linalg.lstsq(np.c_[A, np.ones(80)], y, rcond=None)[0][:30]
                               + np.linalg.lstsq(np.c_[A, np.ones(80)], y, rcond=None)[0][30], atol=1e-6)


def test_classifier_matches_scikit_learn():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sparseopt.bcd import GreedyBCDClassifier

    X, y = load_iris(return_X_y=True)
    model = GreedyBCDClassifier(block_size=2, tol=1e-6, max_iter=3000)
    with pytest.warns(ConvergenceWarning):  # iris is separable for setosa: no finite minimizer
        model.fit(X, y)
    reference = LogisticRegression(C=np.inf, max_iter=10_000).fit(X, y)
    assert np.mean(model.predict(X) == y) >= reference.score(X, y) - 0.02
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    binary = (y[50:] == 2).astype(int)
    noisy = X[50:] + np.random.default_rng(0).normal(scale=1.0, size=(100, 4))
    fit = GreedyBCDClassifier(tol=1e-8).fit(noisy, binary)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(noisy, binary)
    np.testing.assert_allclose(fit.coef_, ref.coef_, rtol=1e-4, atol=1e-5)


def test_label_propagation_on_two_moons():
    from sparseopt.bcd import GraphLabelPropagation
    from sparseopt.bcd.datasets import two_moons

    points, moon = two_moons(300, np.random.default_rng(1))
    labels = np.full(300, -1.0)
    labels[:30] = moon[:30] > 0  # classes 0 / 1 (-1 marks the unlabelled points)
    model = GraphLabelPropagation(max_iter=20_000, tol=1e-9).fit(points, labels)
    assert np.mean(model.transduction_ == (moon > 0)) > 0.9
    other = GraphLabelPropagation(rule="gs", partition="red-black", max_iter=20_000, tol=1e-9).fit(points, labels)
    np.testing.assert_allclose(other.label_distributions_, model.label_distributions_, atol=1e-6)


@pytest.mark.parametrize("estimator,kwargs,message", [
    ("GreedyBCDRegressor", {"rule": "best"}, "rule must be one of"),
    ("GreedyBCDRegressor", {"partition": "diagonal"}, "partition must be"),
    ("GreedyBCDRegressor", {"alpha": -1.0}, "alpha must lie"),
    ("GreedyBCDRegressor", {"block_size": 0}, "block_size must lie"),
    ("GreedyBCDClassifier", {"update": "tmp"}, "update must be one of")])
def test_clear_errors(estimator, kwargs, message):
    import sparseopt.bcd as bcd

    A, y = least_squares_data()
    with pytest.raises(ValueError, match=message):
        getattr(bcd, estimator)(**kwargs).fit(A, y > 0 if "Classifier" in estimator else y)


@pytest.mark.parametrize("name,kwargs", [("GreedyBCDRegressor", dict(tol=1e-8, max_iter=5000)),
                                         ("GreedyBCDClassifier", dict(max_iter=300))])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_check_estimator(name, kwargs):
    """Every scikit-learn check passes (GraphLabelPropagation is transductive, fit(X, y) with -1 labels and
    predict on the training points only, so check_estimator does not apply to it)."""
    from sklearn.utils.estimator_checks import check_estimator

    import sparseopt.bcd as bcd

    check_estimator(getattr(bcd, name)(**kwargs))


def test_benchmark_tiny(tmp_path):
    from sparseopt.benchmarks.cli import main

    assert main(["bcd", "--size", "tiny", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "bcd_summary.md").read_text()
    assert "fig7" in summary and "scaling" in summary
    assert len(list(tmp_path.glob("bcd-fig*.png"))) == 5
    assert "HOLDS: A, tau=5: greedy VB" in summary


def test_example_bcd_rules(tmp_path):
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "bcd_rules.py"
    out = tmp_path / "rules.png"
    completed = subprocess.run([sys.executable, str(script), "--out", str(out), "--features", "500",
                                "--iterations", "100"], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    gaps = dict(re.findall(r"(.+): f - f\* = ([\d.e+-]+)", completed.stdout))
    assert float(gaps["GSD, variable blocks"]) < float(gaps["random, fixed blocks"])
    assert float(re.search(r"accuracy ([\d.]+)", completed.stdout).group(1)) > 0.85
    assert out.stat().st_size > 10_000
    assert "bcd_rules.py" in script.name
