"""The Lasso path and a cross-validated Lasso on the diabetes data with degree-3 interactions.

The 10 diabetes features are expanded with all their pairwise and three-way products (175 columns, strongly
correlated) and standardised; the target is standardised too. The script

(a) computes the Lasso path with ``sparseopt.linear_model.lasso_path`` (no intercept: the data are centred) and
    draws the coefficient curves against log10(alpha);
(b) fits ``sparseopt.linear_model.LassoCV`` with 5 folds on a training split and draws the mean cross-validated
    error with the spread over the folds (mean +- one standard deviation), the chosen ``alpha_`` marked;
(c) prints the chosen alpha, its number of non-zeros, the R^2 on the held-out split, and the wall times of
    sparseopt's and scikit-learn's ``LassoCV`` on the same data and folds, with whether they chose the same alpha.

Both ``LassoCV`` stop each fit on the same duality-gap criterion (tol 1e-4 times ||y||^2 / n); scikit-learn's is
given max_iter 100000 so that it reaches it (its default of 1000 epochs stops early on this data). A small
warm-up fit comes first, so that loading the compiled kernels is not counted in sparseopt's time.

    python examples/lasso_path_cv.py --out lasso_path_cv.png
"""
import argparse
import time
import warnings

import matplotlib
import numpy as np
import sklearn.linear_model as sk
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sparseopt.linear_model import LassoCV, lasso_path

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def timed(fit):
    """Run fit() and return (its result, the wall time in seconds, the number of ConvergenceWarnings raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        result = fit()
        seconds = time.perf_counter() - start
    return result, seconds, sum(issubclass(w.category, ConvergenceWarning) for w in caught)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="lasso_path_cv.png", help="PNG file to write")
    parser.add_argument("--samples", type=int, default=442, help="use the first N samples (max 442)")
    parser.add_argument("--alphas", type=int, default=100, help="number of alphas on the path and the CV grid")
    args = parser.parse_args(argv)

    X, y = load_diabetes(return_X_y=True)
    X, y = X[: args.samples], y[: args.samples]
    X = PolynomialFeatures(3, interaction_only=True, include_bias=False).fit_transform(X)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    print(f"data: {X.shape[0]} samples, {X.shape[1]} features (degree-3 interactions, standardised)", flush=True)

    _, seconds, _ = timed(lambda: LassoCV(cv=3, alphas=5).fit(X[:30, :20], y[:30]))
    print(f"warm-up (loading the compiled kernels): {seconds:.2f} s", flush=True)

    (path_alphas, path_coefs, _), seconds, _ = timed(lambda: lasso_path(X, y, alphas=args.alphas))
    print(f"lasso_path: {args.alphas} alphas in {seconds:.2f} s, {np.count_nonzero(path_coefs[:, -1])} non-zeros "
          f"at the smallest alpha {path_alphas[-1]:.3g}", flush=True)

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    folds = list(KFold(5).split(X_train))
    print(f"LassoCV on {X_train.shape[0]} training samples, 5 folds ...", flush=True)
    ours, ours_seconds, _ = timed(lambda: LassoCV(cv=folds, alphas=args.alphas).fit(X_train, y_train))
    print(f"  sparseopt LassoCV: {ours_seconds:.2f} s", flush=True)
    reference, reference_seconds, reference_warnings = timed(
        lambda: sk.LassoCV(cv=folds, alphas=args.alphas, max_iter=100_000).fit(X_train, y_train))
    print(f"  scikit-learn LassoCV: {reference_seconds:.2f} s ({reference_warnings} convergence warnings)",
          flush=True)

    # the two grids agree to rounding (about 1e-16 relatively), so the choices are compared by grid position
    ours_index = int(np.argmin(np.abs(ours.alphas_ - ours.alpha_)))
    reference_index = int(np.argmin(np.abs(reference.alphas_ - reference.alpha_)))
    same = ours_index == reference_index and np.isclose(ours.alpha_, reference.alpha_, rtol=1e-10)
    print(f"chosen alpha {ours.alpha_:.6g} (grid point {ours_index + 1} of {ours.alphas_.size}), "
          f"non-zeros {np.count_nonzero(ours.coef_)}, test R^2 {ours.score(X_test, y_test):.4f}")
    print(f"scikit-learn: alpha {reference.alpha_:.6g} (grid point {reference_index + 1}), "
          f"non-zeros {np.count_nonzero(reference.coef_)}, test R^2 {reference.score(X_test, y_test):.4f}")
    print(f"LassoCV wall time: sparseopt {ours_seconds:.3f} s, scikit-learn {reference_seconds:.3f} s")
    print(f"same alpha as scikit-learn: {'yes' if same else 'no'}")

    figure, (ax_path, ax_cv) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax_path.plot(np.log10(path_alphas), path_coefs.T, lw=1)
    ax_path.set_xlabel("log10(alpha)")
    ax_path.set_ylabel("coefficient")
    ax_path.set_title(f"(a) Lasso path, all {X.shape[0]} samples, {X.shape[1]} features")
    mean, spread = ours.mse_path_.mean(axis=1), ours.mse_path_.std(axis=1)
    log_alphas = np.log10(ours.alphas_)
    ax_cv.fill_between(log_alphas, mean - spread, mean + spread, alpha=0.25, label="+- 1 s.d. over the folds")
    ax_cv.plot(log_alphas, mean, lw=2, label="sparseopt LassoCV, mean")
    ax_cv.plot(np.log10(reference.alphas_), reference.mse_path_.mean(axis=1), "k:", lw=1.5,
               label="scikit-learn LassoCV, mean")
    for ax in (ax_path, ax_cv):
        ax.axvline(np.log10(ours.alpha_), color="C3", ls="--", lw=1, label=f"alpha_ = {ours.alpha_:.3g}")
        ax.grid(alpha=0.3)
    ax_cv.set_xlabel("log10(alpha)")
    ax_cv.set_ylabel("mean squared error (held-out fold)")
    ax_cv.set_title(f"(b) 5-fold CV on {X_train.shape[0]} training samples")
    ax_cv.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
