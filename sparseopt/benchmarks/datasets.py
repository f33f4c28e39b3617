"""Built-in regression data for the benchmarks: simulated correlated and sparse designs, and scikit-learn's diabetes data.

Nothing is downloaded. Designs are returned Fortran-ordered float64, which every solver uses without a copy.
"""
import numpy as np


def simulated_correlated(n_samples, n_features, *, rho=0.6, n_nonzeros=20, snr=3.0, seed=0):
    """Gaussian design with Toeplitz correlation and a sparse linear signal.

    Rows of X are drawn from N(0, Sigma) with Sigma_jk = rho^|j - k|, built column by column as the AR(1)
    recursion x_j = rho x_{j-1} + sqrt(1 - rho^2) z_j with z_j ~ N(0, I). The true coefficients w* have
    ``n_nonzeros`` standard normal entries at random positions, and y = X w* + e with Gaussian noise e scaled
    so that the signal-to-noise ratio ||X w*|| / ||e|| equals ``snr``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), Fortran-ordered
    y : ndarray of shape (n_samples,)
    """
    rng = np.random.default_rng(seed)
    innovations = rng.standard_normal((n_samples, n_features))
    X = np.empty((n_samples, n_features), order="F")
    X[:, 0] = innovations[:, 0]
    innovation_scale = np.sqrt(1.0 - rho**2)
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + innovation_scale * innovations[:, j]

    true_coef = np.zeros(n_features)
    support = rng.choice(n_features, size=n_nonzeros, replace=False)
    true_coef[support] = rng.standard_normal(n_nonzeros)
    signal = X @ true_coef
    noise = rng.standard_normal(n_samples)
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    return X, signal + noise


def sparse_design(n_samples, n_features, *, density=1e-3, n_nonzeros=20, snr=3.0, seed=0):
    """A CSC design with uniformly placed standard normal entries (each present with probability ``density``)
    and y = X w* + e, w* with ``n_nonzeros`` standard normal entries on columns that are not empty, e Gaussian
    scaled to the signal-to-noise ratio ||X w*|| / ||e|| = ``snr``.

    Returns
    -------
    X : scipy.sparse.csc_matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random(n_samples, n_features, density=density, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)
    true_coef = np.zeros(n_features)
    filled = np.flatnonzero(np.diff(X.indptr))
    true_coef[rng.choice(filled, size=n_nonzeros, replace=False)] = rng.standard_normal(n_nonzeros)
    signal = X @ true_coef
    noise = rng.standard_normal(n_samples)
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    return X, signal + noise


def diabetes(degree=2):
    """scikit-learn's diabetes data (442 x 10), standardised, with the products of up to ``degree`` distinct
    features (55 columns for degree 2, 175 for degree 3).

    The raw features are standardised (zero mean, unit variance), extended by the products of distinct features
    (powers are left out because the binary "sex" column would equal its square, making the Lasso solution
    non-unique), and standardised again. The target is centred, so no intercept is needed.

    Returns
    -------
    X : ndarray of shape (442, n_features), Fortran-ordered
    y : ndarray of shape (442,)
    """
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import PolynomialFeatures

    features, target = load_diabetes(return_X_y=True, scaled=False)
    expanded = PolynomialFeatures(degree=degree, interaction_only=True, include_bias=False).fit_transform(
        _standardise(features))
    return np.asfortranarray(_standardise(expanded)), target - target.mean()


def _standardise(columns):
    """Columns centred to mean 0 and scaled to variance 1."""
    return (columns - columns.mean(axis=0)) / columns.std(axis=0)
