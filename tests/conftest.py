"""Test settings shared by every file.

Hypothesis draws the same examples on every run (reproducible CI) and does not shrink a failing example (with a
cvxpy solve per call, shrinking can take minutes); run ``pytest --hypothesis-profile=debug`` to shrink.
"""
from hypothesis import Phase, settings

settings.register_profile("sparseopt", derandomize=True, print_blob=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.register_profile("debug", derandomize=True, print_blob=True)
settings.load_profile("sparseopt")
