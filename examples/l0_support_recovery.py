"""L0 regression against the Lasso on a correlated design: the L0 path (CD + exchanges), best-subset regression,
and the Lasso, each chosen on a validation set; prints the supports found and draws the validation error
against the support size.

    python examples/l0_support_recovery.py --out l0_support_recovery.png
"""
import argparse

import matplotlib
import numpy as np

from sparseopt.l0 import l0_path, subset_path
from sparseopt.linear_model import lasso_path

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="l0_support_recovery.png", help="PNG file to write")
    parser.add_argument("--samples", type=int, default=300, help="training (and validation) rows")
    parser.add_argument("--features", type=int, default=1000)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    n, p = args.samples, args.features
    X = rng.standard_normal((2 * n, p))
    for j in range(1, p):  # Toeplitz correlation 0.5^|j - k|
        X[:, j] = 0.5 * X[:, j - 1] + np.sqrt(0.75) * X[:, j]
    truth = np.zeros(p)
    truth[np.linspace(0, p - 1, 10).astype(int)] = 1.0
    y = X @ truth + rng.standard_normal(2 * n) * np.sqrt((X @ truth).var() / 3.0)
    X -= X.mean(0)
    y -= y.mean()
    X_train, y_train, X_val, y_val = np.asfortranarray(X[:n]), y[:n], X[n:], y[n:]

    def chosen(coefs):
        errors = ((X_val @ coefs - y_val[:, None]) ** 2).mean(axis=0)
        return coefs[:, np.argmin(errors)], errors

    l0 = l0_path(X_train, y_train, max_support_size=30, fit_intercept=False)
    subset_coefs, _ = subset_path(X_train, y_train, range(1, 31), fit_intercept=False)
    _, lasso_coefs, _ = lasso_path(X_train, y_train, alphas=100)
    plt.figure(figsize=(6, 4))
    for name, coefs in (("L0 (CD + exchanges)", l0.coefs[0]), ("best subset", subset_coefs), ("Lasso", lasso_coefs)):
        coef, errors = chosen(coefs)
        found = set(np.flatnonzero(coef))
        true = set(np.flatnonzero(truth))
        print(f"{name}: {len(found)} non-zeros, {len(found & true)} of 10 true, exact support: {found == true}")
        plt.plot(np.count_nonzero(coefs, axis=0), errors, ".-", label=name)
    plt.xlim(0, 40)
    plt.xlabel("support size")
    plt.ylabel("validation mean squared error")
    plt.legend()
    plt.tight_layout()
    plt.savefig(args.out, dpi=100)


if __name__ == "__main__":
    main()
