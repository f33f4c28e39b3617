"""Forests in a sparse graph, and linear-time solves on them (Nutini, Laradji & Schmidt 2022, Sec. 5, App. D).

The graph of a symmetric sparse matrix Q has an edge (i, j) for every off-diagonal nonzero; it is passed as
CSR arrays (indptr, indices), diagonal entries being ignored. A block b is a *forest* when the subgraph it
induces has no cycle. Adding node i to a forest keeps it a forest iff no two of i's neighbours in the forest lie
in one tree; trees are tracked by union-find (path halving, union by size), so each test costs about O(deg i).

On a forest, Q_bb x = r is solved by Gaussian elimination from the leaves to the roots without fill-in
(Algorithm 1 of the paper; equal to Gaussian belief propagation, exact on trees), in O(|b|).
"""
import numpy as np
from numba import njit


@njit(cache=True)
def find_root(parent, i):
    """Root of i's tree in the union-find array ``parent`` (path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _no_forest(n):
    """Union-find state of n nodes, none in a forest: labels (-1), parent (self), tree sizes, root scratch."""
    return -np.ones(n, dtype=np.int64), np.arange(n), np.ones(n, dtype=np.int64), np.empty(n, dtype=np.int64)


@njit(cache=True)
def _join(parent, size, i, j):
    """Merge the trees of roots i and j (the smaller under the larger)."""
    if size[i] < size[j]:
        i, j = j, i
    parent[j] = i
    size[i] += size[j]


@njit(cache=True)
def _try_add(indptr, indices, node, label, labels, parent, size, roots):
    """Add ``node`` to the forest of nodes whose label equals ``label`` if that keeps it acyclic; return whether
    it was added (then labels[node] = label and node is joined to its neighbours' trees). roots is scratch."""
    n_roots = 0
    for entry in range(indptr[node], indptr[node + 1]):
        neighbour = indices[entry]
        if neighbour == node or labels[neighbour] != label:
            continue
        root = find_root(parent, neighbour)
        for r in range(n_roots):
            if roots[r] == root:
                return False
        roots[n_roots] = root
        n_roots += 1
    labels[node] = label
    for r in range(n_roots):
        top = find_root(parent, node)
        _join(parent, size, top, roots[r])
    return True


@njit(cache=True)
def greedy_forest(indptr, indices, order, max_size):
    """Visit nodes in ``order`` and keep each one whose addition leaves the kept set a forest (at most max_size
    nodes). With order = nodes by decreasing |grad_i f| this is the paper's greedy tree block (a maximal forest
    that contains the best coordinate). Returns the kept nodes, in visiting order."""
    labels, parent, size, roots = _no_forest(indptr.shape[0] - 1)
    kept = np.empty(min(max_size, order.shape[0]), dtype=np.int64)
    n_kept = 0
    for node in order:
        if n_kept == kept.shape[0]:
            break
        if _try_add(indptr, indices, node, 1, labels, parent, size, roots):
            kept[n_kept] = node
            n_kept += 1
    return kept[:n_kept]


@njit(cache=True)
def forest_partition(indptr, indices, order):
    """Tree partition: visit nodes in ``order`` and put each in the first forest (0, 1, ...) that stays a forest
    with it (greedy forest colouring). Returns the forest label of every node; on a lattice this gives 2 forests."""
    labels, parent, size, roots = _no_forest(indptr.shape[0] - 1)
    for node in order:
        label = 0
        while not _try_add(indptr, indices, node, label, labels, parent, size, roots):
            label += 1
    return labels


@njit(cache=True)
def is_forest(indptr, indices, nodes):
    """Whether the subgraph induced by ``nodes`` has no cycle."""
    labels, parent, size, roots = _no_forest(indptr.shape[0] - 1)
    for node in nodes:
        if not _try_add(indptr, indices, node, 1, labels, parent, size, roots):
            return False
    return True


@njit(cache=True)
def greedy_coloring(indptr, indices, order):
    """Greedy colouring: visit nodes in ``order`` (Welsh-Powell: by decreasing degree) and give each the smallest
    colour none of its neighbours has. Each colour class is an independent set, so Q_bb is diagonal on it."""
    n = indptr.shape[0] - 1
    colors = -np.ones(n, dtype=np.int64)
    taken = -np.ones(n + 1, dtype=np.int64)
    for node in order:
        for entry in range(indptr[node], indptr[node + 1]):
            neighbour = indices[entry]
            if neighbour != node and colors[neighbour] >= 0:
                taken[colors[neighbour]] = node
        color = 0
        while taken[color] == node:
            color += 1
        colors[node] = color
    return colors


@njit(cache=True)
def forest_solve(data, indptr, indices, nodes, rhs):
    """Solve Q_bb x = rhs for a block b = nodes whose graph is a forest, in O(|b| + edges), with Q symmetric in
    CSR form (data, indptr, indices).

    Algorithm 1 of the paper: order each tree from a root by breadth-first search; then from the deepest level
    up, every node i with parent p updates P_pp -= Q_ip^2 / P_ii and C_p -= (Q_ip / P_ii) C_i (starting from
    P_ii = Q_ii, C_i = rhs_i); finally, from the roots down, x_i = (C_i - Q_ip x_p) / P_ii.
    Returns x in the order of ``nodes``.
    """
    n = indptr.shape[0] - 1
    size = nodes.shape[0]
    position = -np.ones(n, dtype=np.int64)
    for p in range(size):
        position[nodes[p]] = p
    pivot = np.zeros(size)
    carry = rhs.copy()
    for p in range(size):
        node = nodes[p]
        for entry in range(indptr[node], indptr[node + 1]):
            if indices[entry] == node:
                pivot[p] += data[entry]
    parent = -np.ones(size, dtype=np.int64)
    parent_weight = np.zeros(size)
    order = np.empty(size, dtype=np.int64)
    visited = np.zeros(size, dtype=np.bool_)
    n_ordered = 0
    for start in range(size):
        if visited[start]:
            continue
        visited[start] = True
        order[n_ordered] = start
        head = n_ordered
        n_ordered += 1
        while head < n_ordered:
            p = order[head]
            head += 1
            node = nodes[p]
            for entry in range(indptr[node], indptr[node + 1]):
                q = position[indices[entry]]
                if q < 0 or q == p or visited[q]:
                    continue
                visited[q] = True
                parent[q] = p
                parent_weight[q] = data[entry]
                order[n_ordered] = q
                n_ordered += 1
    for t in range(size - 1, -1, -1):
        p = order[t]
        up = parent[p]
        if up >= 0:
            ratio = parent_weight[p] / pivot[p]
            pivot[up] -= ratio * parent_weight[p]
            carry[up] -= ratio * carry[p]
    x = np.empty(size)
    for t in range(size):
        p = order[t]
        up = parent[p]
        value = carry[p]
        if up >= 0:
            value -= parent_weight[p] * x[up]
        x[p] = value / pivot[p]
    return x
