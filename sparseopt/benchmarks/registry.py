"""The benchmark families, in the order ``sparseopt-bench all`` runs them.

To add a family, write a module that defines a ``Family`` (see ``family.py`` and ``lasso.py``) and list it here;
the command line, the runner and the report pick it up.
"""
from sparseopt.benchmarks import bcd, l0, lasso, ot, slope

#: Families by name, in the order ``all`` runs them; each name is a subcommand.
FAMILIES = {family.name: family for family in (lasso.FAMILY, slope.FAMILY, l0.FAMILY, bcd.FAMILY, ot.FAMILY)}

#: Every family name.
FAMILY_NAMES = tuple(FAMILIES)
