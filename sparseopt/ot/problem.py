"""Checks of an entropic transport problem (a, b, M, reg), and the removal and restoration of zero weights.

A row i with a_i = 0 (or a column j with b_j = 0) carries no mass in any feasible plan; its log-domain
potential would be -inf. So such rows and columns are dropped before solving and restored as zeros in the plan
(and as -inf potentials).
"""
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sparseopt.validation import check_scalar_range, check_vector

#: Relative difference of the total masses of a and b that is still taken as equal (b is then rescaled to a's
#: mass); a larger one is an error, since no plan can have both marginals.
MASS_RTOL = 1e-6


@dataclass(frozen=True)
class TransportProblem:
    """The reduced problem on the positive weights, and where its rows and columns sit in the full one.

    Attributes: a (n,), b (m,) positive weights of equal mass, M (n, m) C-contiguous float64 cost, M_T its
    transpose stored C-contiguous (for the column updates), reg > 0, rows / cols: indices of the kept rows and
    columns, shape: the full (n_rows, n_cols).
    """

    a: np.ndarray
    b: np.ndarray
    M: np.ndarray
    M_T: np.ndarray
    reg: float
    rows: np.ndarray
    cols: np.ndarray
    shape: tuple

    @property
    def log_a(self):
        return np.log(self.a)

    @property
    def log_b(self):
        return np.log(self.b)

    def full_plan(self, plan, sparse=False, drop_below=0.0):
        """The reduced ``plan`` placed in the full (n_rows, n_cols) shape, zeros elsewhere.

        With ``sparse=True`` a scipy CSR matrix holding the entries > ``drop_below``.
        """
        if sparse:
            kept_rows, kept_cols = np.nonzero(plan > drop_below)
            return sp.csr_matrix((plan[kept_rows, kept_cols], (self.rows[kept_rows], self.cols[kept_cols])),
                                 shape=self.shape)
        if plan.shape == self.shape:
            return plan
        full = np.zeros(self.shape)
        full[np.ix_(self.rows, self.cols)] = plan
        return full

    def full_potentials(self, f, g):
        """Potentials on the full index sets: -inf at the rows and columns of zero weight."""
        full_f = np.full(self.shape[0], -np.inf)
        full_g = np.full(self.shape[1], -np.inf)
        full_f[self.rows] = f
        full_g[self.cols] = g
        return full_f, full_g


def check_transport_problem(a, b, M, reg):
    """Validate (a, b, M, reg) and return the reduced ``TransportProblem``.

    M must be a finite 2-D array; a and b finite, non-negative, of lengths M.shape, with equal positive total
    mass (relative difference at most ``MASS_RTOL``; b is rescaled to a's mass). Empty a (or b) means uniform
    weights 1/n (1/m), as in POT. reg must be a positive real. Raises ``ValueError`` otherwise.
    """
    M = np.asarray(M)
    if M.ndim != 2 or 0 in M.shape:
        raise ValueError(f"M must be a non-empty 2-D cost matrix (n, m); got shape {M.shape}")
    M = np.ascontiguousarray(check_vector(M.ravel(), "M").reshape(M.shape))
    n_rows, n_cols = M.shape
    a = _check_weights(a, "a", n_rows)
    b = _check_weights(b, "b", n_cols)
    mass_a, mass_b = a.sum(), b.sum()
    if abs(mass_a - mass_b) > MASS_RTOL * max(mass_a, mass_b):
        raise ValueError(f"a and b must have the same total mass; got sum(a) = {mass_a!r}, sum(b) = {mass_b!r}")
    b = b * (mass_a / mass_b)
    reg = check_scalar_range(reg, "reg", low=0.0, low_open=True)
    if not np.isfinite(reg):
        raise ValueError(f"reg must be finite; got {reg}")
    rows, cols = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    if rows.size < n_rows or cols.size < n_cols:
        M = np.ascontiguousarray(M[np.ix_(rows, cols)])
    return TransportProblem(a[rows], b[cols], M, np.ascontiguousarray(M.T), reg, rows, cols, (n_rows, n_cols))


def _check_weights(weights, name, length):
    """Finite non-negative weights of the given length with a positive sum; empty means uniform."""
    if weights is None or np.size(weights) == 0:
        return np.full(length, 1.0 / length)
    weights = check_vector(weights, name, length)
    if np.any(weights < 0):
        raise ValueError(f"{name} must be non-negative; got a minimum of {weights.min()!r}")
    if not weights.sum() > 0:
        raise ValueError(f"{name} must have a positive total mass")
    return weights
