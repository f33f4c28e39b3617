"""Entropic optimal transport at a small regularization: Sinkhorn-Newton-Sparse against log-domain Sinkhorn.

Transports a random assignment problem (costs uniform on [0, 1]) with both methods, prints their iterations
and wall times, checks that they give the same plan, and plots the L1 marginal error against iterations. Then
maps one point cloud onto another with ``SinkhornTransport`` (barycentric mapping).

    python examples/optimal_transport.py --out ot.png --samples 200
"""
import argparse

import numpy as np

from sparseopt.ot import SinkhornTransport, sinkhorn


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="optimal_transport.png", help="figure file")
    parser.add_argument("--samples", type=int, default=500, help="points per side")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    n = args.samples
    cost = rng.uniform(size=(n, n))
    weights = np.full(n, 1.0 / n)
    reg = 1.0 / 300
    logs = {}
    for method in ("newton-sparse", "log"):
        plan, logs[method] = sinkhorn(weights, weights, cost, reg, method=method, max_iter=100000, tol=1e-9,
                                      log=True)
        log = logs[method]
        print(f"{method}: {log['n_iter']} iterations ({log['n_iter_sinkhorn']} Sinkhorn, {log['n_iter_newton']} "
              f"Newton, {log['n_iter_sweep']} sweeps), {log['elapsed'][-1]:.3f} s, marginal error {log['marginal_error']:.1e}, "
              f"cost {log['cost']:.6f}")
    difference = np.abs(logs["newton-sparse"]["f"] - logs["log"]["f"])
    print(f"potentials differ by a constant: spread {difference.max() - difference.min():.1e}")

    source = rng.normal(size=(n // 2, 2))
    target = rng.normal(size=(n // 2, 2)) * 0.5 + np.array([3.0, 1.0])
    mapping = SinkhornTransport(reg_e=0.05, method="newton-sparse", max_iter=10000).fit(source, target)
    moved = mapping.transform(source)
    print(f"mapped source mean {moved.mean(axis=0).round(3)}, target mean {target.mean(axis=0).round(3)}")

    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4), layout="constrained")
    errors_axes, map_axes = figure.subplots(1, 2)
    for method, log in logs.items():
        errors_axes.semilogy(np.arange(1, log["n_iter"] + 1), log["err"], label=method)
    errors_axes.set_xscale("log")
    errors_axes.set(xlabel="iterations", ylabel="L1 marginal error", title=f"random assignment n={n}, reg=1/300")
    errors_axes.legend()
    map_axes.scatter(*source.T, s=6, label="source")
    map_axes.scatter(*target.T, s=6, label="target")
    map_axes.scatter(*moved.T, s=6, label="mapped source")
    map_axes.set(title="SinkhornTransport: barycentric map")
    map_axes.legend()
    figure.savefig(args.out, dpi=90)


if __name__ == "__main__":
    main()
