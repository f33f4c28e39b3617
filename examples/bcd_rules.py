"""Greedy against random block coordinate descent on the paper's least-squares data set A (small version), and
semi-supervised two moons with GraphLabelPropagation.

    python examples/bcd_rules.py --out bcd_rules.png --features 3000 --iterations 300
"""
import argparse

import numpy as np

from sparseopt.bcd import GraphLabelPropagation, greedy_bcd
from sparseopt.bcd.datasets import dataset_a, two_moons


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="bcd_rules.png")
    parser.add_argument("--features", type=int, default=3000)
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()

    problem, f_star = dataset_a(args.features // 10, args.features)
    runs = {"random, fixed blocks": dict(rule="random", partition="sort"),
            "GS, variable blocks": dict(rule="gs"),
            "GSD, variable blocks": dict(rule="gsd"),
            "GSD, variable blocks, matrix update": dict(rule="gsd", update="matrix")}
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    axes = figure.add_subplot()
    for label, options in runs.items():
        options.setdefault("update", "gradient")
        result = greedy_bcd(problem, block_size=5, max_iter=args.iterations, tol=0.0, random_state=0, **options)
        gaps = np.maximum(np.asarray(result.history) - f_star, 1e-16)
        axes.semilogy(gaps, label=label)
        print(f"{label}: f - f* = {gaps[-1]:.3e} after {result.n_iter} iterations")
    axes.set_xlabel("iteration")
    axes.set_ylabel("f(x^k) - f*")
    axes.legend()
    figure.savefig(args.out, dpi=100)

    points, moon = two_moons(400, np.random.default_rng(0))
    labels = np.full(moon.size, -1.0)
    labels[:40] = moon[:40] > 0  # classes 0 / 1; -1 marks the unlabelled points
    model = GraphLabelPropagation(n_neighbors=5).fit(points, labels)
    print(f"two moons, 40 labels: transductive accuracy {np.mean(model.transduction_ == (moon > 0)):.3f}")


if __name__ == "__main__":
    main()
