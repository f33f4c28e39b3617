"""Sparse-group SLOPE path with and without strong screening on grouped, correlated data.

Fits ``sparse_group_slope_path`` twice (screen=True and screen=False), checks that both paths agree, prints the
times and the screening records, and plots the coefficient paths of the true groups.

    python examples/slope_paths.py --out slope_paths.png --features 1000
"""
import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sparseopt.slope import sparse_group_slope_path  # noqa: E402


def grouped_data(n_samples, n_features, group_size=20, n_signal_groups=3, rho=0.5, seed=0):
    """Gaussian design with AR(1) correlation rho, groups of group_size consecutive features, and a signal on
    half of the features of n_signal_groups groups."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho ** 2) * X[:, j]
    groups = [group_size] * (n_features // group_size)
    coef = np.zeros(n_features)
    for g in rng.choice(len(groups), n_signal_groups, replace=False):
        members = g * group_size + rng.choice(group_size, group_size // 2, replace=False)
        coef[members] = rng.choice([-2.0, 2.0], members.size)
    y = X @ coef + rng.standard_normal(n_samples)
    return np.asfortranarray(X), y, groups, coef


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="slope_paths.png")
    parser.add_argument("--features", type=int, default=1000)
    args = parser.parse_args()

    X, y, groups, true_coef = grouped_data(100, args.features)
    options = dict(groups=groups, eta=0.9, n_alphas=15, eps=0.05, tol=1e-6)
    sparse_group_slope_path(X[:, :40], y, groups=groups[:2], n_alphas=3)  # compile the kernels first
    start = time.perf_counter()
    screened = sparse_group_slope_path(X, y, screen=True, **options)
    screened_time = time.perf_counter() - start
    start = time.perf_counter()
    full = sparse_group_slope_path(X, y, screen=False, alphas=screened.alphas, **options)
    full_time = time.perf_counter() - start

    same = np.allclose(screened.coefs, full.coefs, atol=1e-3 * np.abs(full.coefs).max())
    print(f"screened path equals unscreened path: {'yes' if same else 'no'}")
    print(f"path time: screened {screened_time:.2f} s, unscreened {full_time:.2f} s")
    records = screened.screening
    print("point  alpha      kept  fitted  active  KKT violations")
    for k, alpha in enumerate(screened.alphas):
        print(f"{k:5d}  {alpha:.3e}  {records['n_screened_features'][k]:4d}  {records['n_fitted_features'][k]:6d}  "
              f"{records['n_active_features'][k]:6d}  {records['n_kkt_violations'][k]:14d}")

    figure, axis = plt.subplots(figsize=(7, 4))
    signal = np.flatnonzero(true_coef)
    axis.plot(screened.alphas, screened.coefs[signal].T, color="tab:blue", lw=1)
    others = np.setdiff1d(np.flatnonzero(np.any(screened.coefs, axis=1)), signal)
    if others.size:
        axis.plot(screened.alphas, screened.coefs[others].T, color="tab:gray", lw=0.6)
    axis.set_xscale("log")
    axis.invert_xaxis()
    axis.set_xlabel("alpha")
    axis.set_ylabel("coefficient")
    axis.set_title("Sparse-group SLOPE path (blue: true signal)")
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
