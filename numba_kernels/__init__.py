"""Compiled numerics of sparseopt: proximal operators (``prox``) and design-matrix products (``linalg``).

Arrays and scalars in, arrays and scalars out; every function is ``@njit(cache=True)``. This package imports
only numpy, numba and math, never sparseopt or scikit-learn.
"""
