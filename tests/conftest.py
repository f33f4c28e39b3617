"""Test settings shared by every file: hypothesis draws the same examples on every run (reproducible CI)."""
from hypothesis import settings

settings.register_profile("sparseopt", derandomize=True, print_blob=True)
settings.load_profile("sparseopt")
