"""Benchmarks of sparseopt's solvers against peer packages: the ``sparseopt-bench`` command.

Each family of problems (``lasso``, ...) lives in its own module and is listed in ``registry``. For every problem the
``runner`` reruns each solver with growing budgets, the ``results`` log keeps one row per run, and ``report`` and
``plots`` turn the log into ``summary.md`` and one suboptimality-versus-time figure per problem.

This package imports only the public API of sparseopt and the peer packages; nothing in sparseopt imports it.
"""
