"""Compiled numerics of sparseopt: proximal operators (``prox``) and design-matrix products (``linalg``).

Arrays and scalars in, arrays and scalars out; every function is ``@njit(cache=True)``. This package imports
only numpy, numba, math and os, never sparseopt or scikit-learn.

Idle OpenMP threads spin by default; when two processes share the cores, each one's spinning threads starve the
other's parallel regions. Measured on 2 cores with another Numba process running: X.T @ v plus X @ w on a
200 x 2000 X took a median 32 ms with spinning threads and 0.46 ms with sleeping ones (0.69 ms on one thread).
So the default here is the passive wait policy; set OMP_WAIT_POLICY before the import to choose otherwise.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
