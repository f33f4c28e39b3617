"""Run in a fresh process: time `import numba_kernels` plus one call of every prox, or `import sparseopt`.

Prints the elapsed seconds. Used by test_cold_start.py and by the README's development figures.
"""
import sys
import time

start = time.perf_counter()
if sys.argv[1] == "sparseopt":
    import sparseopt  # noqa: F401
else:
    import numpy as np

    from numba_kernels import prox

    v = np.array([1.5, -0.3, 0.0, 2.0])
    prox.soft_threshold(1.0, 0.5)
    prox.elastic_net_threshold(1.0, 0.5, 1.0, 0.5)
    prox.hard_threshold(1.0, 0.5, 1.0)
    prox.l0l2_threshold(1.0, 0.5, 1.0, 0.1)
    prox.l0l1_threshold(1.0, 0.5, 1.0, 0.1)
    prox.mcp_threshold(1.0, 0.5, 1.0, 3.0)
    prox.scad_threshold(1.0, 0.5, 1.0, 3.7)
    prox.cel0_threshold(1.0, 0.5, 1.0, 1.0)
    prox.prox_l1(v, 0.5, 1.0)
    prox.prox_weighted_l1(v, 0.5, 1.0, np.ones(4))
    prox.prox_elastic_net(v, 0.5, 1.0, 0.5)
    prox.group_soft_threshold(v, 0.5)
    prox.group_shrink_factor(2.0, 0.5)
    prox.prox_group_l2(v, 0.5, 1.0, np.arange(4), np.array([0, 2, 4]), np.ones(2))
    prox.isotonic_nonincreasing(v)
    prox.prox_sorted_l1(v, 0.5, np.array([2.0, 1.5, 1.0, 0.5]))
    prox.prox_l0(v, 0.5, 1.0)
    prox.prox_l0l2(v, 0.5, 1.0, 0.1)
    prox.prox_l0l1(v, 0.5, 1.0, 0.1)
    prox.prox_mcp(v, 0.5, 1.0, 3.0)
    prox.prox_scad(v, 0.5, 1.0, 3.7)
    prox.prox_cel0(v, 0.5, 1.0, np.ones(4))
    prox.project_box(v, -1.0, 1.0)
    prox.project_nonnegative(v)
    prox.project_simplex(v, 1.0)
print(time.perf_counter() - start)
