"""Input checks and preprocessing shared by every estimator and public function.

Each check raises ``ValueError`` (bad values) or ``TypeError`` (bad types) with a message that names the
argument, so that bad input never reaches a compiled kernel. Dense designs come out float64 or float32 in
Fortran order (copied only when needed), sparse ones as CSC.
"""
import numbers
import warnings

import numpy as np
import scipy.sparse as sp

FLOAT_DTYPES = (np.float64, np.float32)


def check_design(X, name="X", accept_sparse=True):
    """Return X as a finite 2-D float array in Fortran order, or as a CSC matrix with sorted indices."""
    if sp.issparse(X):
        if not accept_sparse:
            raise TypeError(f"{name} must be a dense array; got a sparse matrix")
        if not isinstance(X, sp.csc_matrix):  # a CSC matrix is kept as it is: scipy caches its sorted-indices flag
            X = sp.csc_matrix(X)
        if X.dtype not in FLOAT_DTYPES:
            X = X.astype(np.float64)
        values = X.data
    else:
        X = _real_array(X, name)
        X = np.asfortranarray(X, dtype=X.dtype if X.dtype in FLOAT_DTYPES else np.float64)
        values = X
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {X.shape}. Reshape your data "
                         "with X.reshape(-1, 1) if it has one feature or X.reshape(1, -1) if it has one sample")
    for axis, what in enumerate(("sample", "feature")):
        if X.shape[axis] == 0:
            raise ValueError(f"{name} has 0 {what}(s) (shape={X.shape}) while a minimum of 1 is required.")
    _check_finite(values, name)
    if sp.issparse(X) and not X.has_sorted_indices:
        X = X.sorted_indices()
    return X


def check_vector(v, name, length=None, dtype=np.float64):
    """Return v as a finite 1-D float array, of the given length when one is given."""
    v = np.ascontiguousarray(_real_array(v, name), dtype=dtype)
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {v.shape}")
    if length is not None and v.shape[0] != length:
        raise ValueError(f"{name} must have length {length}; got {v.shape[0]}")
    _check_finite(v, name)
    return v


def check_target(y, n_samples, dtype=np.float64):
    """Return y as a finite 1-D float array with one entry per sample."""
    if y is None:
        raise ValueError("y is None: this estimator requires y to be passed, but the target y is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning

        warnings.warn("A column-vector y was passed when a 1d array was expected; y is used as y.ravel()",
                      DataConversionWarning, stacklevel=3)
        y = y[:, 0]
    return check_vector(y, "y", n_samples, dtype)


def check_target_matrix(Y, n_samples, dtype=np.float64):
    """Return Y as a finite 2-D float array (n_samples, n_tasks) in C order; a 1-D y is refused (one task: use the
    single-output estimator)."""
    if Y is None:
        raise ValueError("y is None: this estimator requires y to be passed, but the target y is None")
    Y = _real_array(Y, "y")
    if Y.ndim != 2:
        raise ValueError(f"y must be a 2-D array (n_samples, n_tasks); got {Y.ndim} dimension(s). For one task use "
                         "the single-output estimator (Lasso, GroupLasso)")
    if Y.shape[0] != n_samples:
        raise ValueError(f"y has {Y.shape[0]} samples, X has {n_samples}")
    if Y.shape[1] == 0:
        raise ValueError("y must have at least one task (column)")
    _check_finite(Y, "y")
    return np.ascontiguousarray(Y, dtype=dtype)


def check_sample_weight(sample_weight, n_samples, dtype=np.float64):
    """Return sample weights as a non-negative, finite, not all-zero vector; None gives all ones."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    sample_weight = check_vector(sample_weight, "sample_weight", n_samples, dtype)
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative")
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight must not be all zero: at least one weight must be positive")
    return sample_weight


def check_feature_weights(weights, n_features, name="weights"):
    """Return per-feature penalty weights: finite, non-negative (0 leaves a feature unpenalized)."""
    weights = check_vector(weights, name, n_features)
    if np.any(weights < 0):
        raise ValueError(f"{name} must be non-negative")
    return weights


def check_groups(groups, n_features=None):
    """Turn a group description into (group_indices, group_ptr): group g holds group_indices[ptr[g]:ptr[g+1]].

    groups is either a list of group sizes (consecutive features) or a list of lists of feature indices. The
    groups must be non-empty and cover each of the n_features features exactly once (n_features defaults to
    the number of features the groups hold).
    """
    if isinstance(groups, numbers.Integral) or len(groups) == 0:
        raise ValueError("groups must be a non-empty list of group sizes or of index lists")
    if all(isinstance(g, numbers.Integral) for g in groups):
        sizes = np.asarray(groups, dtype=np.int64)
        if np.any(sizes <= 0):
            raise ValueError("groups: every group size must be positive")
        indices = np.arange(sizes.sum(), dtype=np.int64)
    else:
        lists = [np.asarray(g).ravel() for g in groups]
        if any(g.size == 0 for g in lists):
            raise ValueError("groups: every group must hold at least one feature")
        if any(g.dtype.kind not in "iu" for g in lists):
            raise TypeError("groups: feature indices must be integers")
        sizes = np.array([g.size for g in lists], dtype=np.int64)
        indices = np.concatenate(lists).astype(np.int64)
    n_features = indices.size if n_features is None else n_features
    if indices.size != n_features or not np.array_equal(np.sort(indices), np.arange(n_features)):
        raise ValueError(f"groups must cover each of the {n_features} features exactly once")
    return indices, np.concatenate(([0], np.cumsum(sizes)))


def check_scalar_range(value, name, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """Return value as a float, after checking low <(=) value <(=) high (open ends when *_open is True)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if np.isnan(value) or too_low or too_high:
        left, right = ("(" if low_open else "["), (")" if high_open else "]")
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}; got {value}")
    return value


def check_sorted_weights(lambdas, n_features, name="lambdas"):
    """Return a sorted-L1 weight sequence: length n_features, finite, non-negative and non-increasing."""
    lambdas = check_vector(lambdas, name, n_features)
    if np.any(lambdas < 0):
        raise ValueError(f"{name} must be non-negative")
    if np.any(np.diff(lambdas) > 0):
        raise ValueError(f"{name} must be non-increasing")
    return lambdas


def center_data(X, y, sample_weight=None):
    """Weighted means of the columns of X and of y, and the centred data for fit_intercept.

    y is (n,) or (n, T) (one offset per task). Returns (X_centered, y_centered, X_offset, y_offset) with
    X_offset_j = sum_i s_i X_ij / sum_i s_i. A dense X is centred (a copy); a CSC X is returned as it is, to be
    centred implicitly as X - 1 X_offset^T, so that it stays sparse. The intercept of a fit on centred data is
    y_offset - X_offset @ coef.
    """
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    share = sample_weight / sample_weight.sum()
    X_offset = np.asarray(X.T @ share).ravel().astype(X.dtype)
    y_offset = share @ y
    y_offset = float(y_offset) if np.ndim(y) == 1 else y_offset
    if not sp.issparse(X):
        X = np.asfortranarray(X - X_offset)
    return X, y - y_offset, X_offset, y_offset


def _real_array(values, name):
    """values as a numeric ndarray; complex numbers are refused, objects converted to float."""
    values = np.asarray(values)
    if values.dtype.kind == "c":
        raise ValueError(f"{name}: Complex data not supported")
    if values.dtype.kind == "O":
        values = values.astype(np.float64)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {values.dtype}")
    return values


def _check_finite(values, name):
    """ValueError naming ``name`` if values holds NaN or infinity. A finite sum proves every entry finite (a NaN
    or an infinity makes any sum NaN or infinite), and costs no temporary array; only a sum that overflows or
    meets a NaN is followed by the entry-wise test."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(values)):
            return
    if not np.all(np.isfinite(values)):
        kind = "NaN" if np.any(np.isnan(values)) else "infinity"
        raise ValueError(f"{name} contains {kind}; remove or impute it before fitting")


def validate_fit_data(estimator, X, y, sample_weight=None):
    """Checks for an estimator's fit: X (dense or CSC), y and sample_weight, and records n_features_in_
    (and feature_names_in_ for a DataFrame) the way scikit-learn does."""
    from sklearn.utils.validation import validate_data

    X_checked = check_design(X)
    validate_data(estimator, X, reset=True, skip_check_array=True)
    X = X_checked
    y = check_target(y, X.shape[0], dtype=X.dtype)
    return X, y, check_sample_weight(sample_weight, X.shape[0], dtype=X.dtype)


def validate_predict_data(estimator, X):
    """Checks X for predict: same checks as in fit, and the number of features seen in fit."""
    from sklearn.utils.validation import validate_data

    X_checked = check_design(X)
    validate_data(estimator, X, reset=False, skip_check_array=True)
    X = X_checked
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input")
    return X
