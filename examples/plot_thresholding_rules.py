"""The scalar thresholding rules of the shared prox layer, drawn side by side.

Each panel shows x = prox_{eta P}(z) against z for one penalty P at the same step eta and strength, so the
difference between soft (L1, biased), hard (L0, a jump), firm (MCP) and SCAD (unbiased beyond a point), CEL0
and the L0L1 / L0L2 rules is seen at a glance.

    python examples/plot_thresholding_rules.py --out thresholding_rules.png
"""
import argparse

import matplotlib
import numpy as np

from numba_kernels import prox

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STEP, STRENGTH = 1.0, 1.0
RULES = {
    "soft (L1)": lambda z: prox.soft_threshold(z, STEP * STRENGTH),
    "elastic net (l1_ratio 0.5)": lambda z: prox.elastic_net_threshold(z, STEP, STRENGTH, 0.5),
    "hard (L0)": lambda z: prox.hard_threshold(z, STEP, STRENGTH),
    "L0L1 (lambda1 = 0.5)": lambda z: prox.l0l1_threshold(z, STEP, STRENGTH, 0.5),
    "L0L2 (lambda2 = 0.25)": lambda z: prox.l0l2_threshold(z, STEP, STRENGTH, 0.25),
    "firm (MCP, gamma = 3)": lambda z: prox.mcp_threshold(z, STEP, STRENGTH, 3.0),
    "SCAD (a = 3.7)": lambda z: prox.scad_threshold(z, STEP, STRENGTH, 3.7),
    "CEL0 (a = 0.9)": lambda z: prox.cel0_threshold(z, STEP, STRENGTH, 0.9),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="thresholding_rules.png", help="PNG file to write")
    parser.add_argument("--points", type=int, default=801, help="number of z values per curve")
    args = parser.parse_args(argv)
    z = np.linspace(-5, 5, args.points)
    figure, axes = plt.subplots(2, 4, figsize=(14, 6.5), sharex=True, sharey=True)
    for ax, (name, rule) in zip(axes.ravel(), RULES.items()):
        ax.plot(z, z, color="0.8", lw=1, label="identity")
        ax.plot(z, [rule(value) for value in z], lw=2, label="prox")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("z")
    for ax in axes[:, 0]:
        ax.set_ylabel("prox(z)")
    figure.suptitle(f"Thresholding rules, step {STEP}, strength {STRENGTH}")
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
