"""One regression problem, several penalties on the same prox layer, and scikit-learn's Lasso beside them.

Fits ``sparseopt.base.PenalizedRegressor`` (least squares + any penalty, accelerated proximal gradient) with
L1, MCP, SortedL1 (SLOPE, Benjamini-Hochberg weights) and GroupL2 on scikit-learn's diabetes data with
pairwise interactions, prints the test R^2 and the number of non-zero coefficients, checks that the L1 fit
reaches the objective of scikit-learn's Lasso, and draws the coefficients.

    python examples/penalized_regression.py --out penalized_coefficients.png
"""
import argparse

import matplotlib
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sparseopt.base import PenalizedRegressor
from sparseopt.penalties import L1, MCP, GroupL2, SortedL1

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="penalized_coefficients.png", help="PNG file to write")
    parser.add_argument("--samples", type=int, default=442, help="use the first N samples (max 442)")
    args = parser.parse_args(argv)

    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(2, interaction_only=True, include_bias=False).fit_transform(X[: args.samples])
    X = StandardScaler().fit_transform(X)
    y = (y[: args.samples] - y[: args.samples].mean()) / y[: args.samples].std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    n_features = X.shape[1]
    alpha = 0.02
    bh = norm.ppf(1 - 0.1 * np.arange(1, n_features + 1) / (2 * n_features))  # Bogdan et al. 2015, q = 0.1
    penalties = {
        "L1": L1(alpha),
        "MCP (gamma 3)": MCP(alpha, gamma=3.0),
        "SLOPE (BH, q 0.1)": SortedL1(alpha / bh.mean(), bh),
        "group L2 (main effects | interactions)": GroupL2(alpha, [[*range(10)], [*range(10, n_features)]]),
    }
    figure, ax = plt.subplots(figsize=(10, 4))
    for name, penalty in penalties.items():
        model = make_pipeline(StandardScaler(), PenalizedRegressor(penalty, max_iter=20000, tol=1e-8))
        model.fit(X_train, y_train)
        coef = model[-1].coef_
        print(f"{name:36s} test R^2 {model.score(X_test, y_test):6.3f}   non-zeros {np.count_nonzero(coef):3d}")
        ax.plot(coef, marker="o", ms=3, lw=1, label=name)
    X_scaled = StandardScaler().fit_transform(X_train)
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100000).fit(X_scaled, y_train)
    ours = PenalizedRegressor(L1(alpha), max_iter=20000, tol=1e-10).fit(X_scaled, y_train)

    def objective(model):
        residual = y_train - model.predict(X_scaled)
        return 0.5 * np.mean(residual ** 2) + alpha * np.abs(model.coef_).sum()

    print(f"Lasso objective: sparseopt {objective(ours):.12f}, scikit-learn {objective(reference):.12f}")
    ax.set_xlabel("feature (10 main effects, then the 45 pairwise products)")
    ax.set_ylabel("coefficient")
    ax.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
