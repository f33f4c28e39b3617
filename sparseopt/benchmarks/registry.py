"""The benchmark families: every family name the command knows, and the ones that have problems.

To add a family, write a module that defines a ``Family`` (see ``family.py`` and ``lasso.py``) and add it to
``FAMILIES`` (and its name to ``FAMILY_NAMES`` if it is new); the command line, the runner and the report pick
it up from here.
"""
from sparseopt.benchmarks import lasso
from sparseopt.benchmarks import l0, slope
from sparseopt.benchmarks import ot
from sparseopt.benchmarks import bcd

#: Every family of sparseopt, in the order ``all`` runs them; each one is a subcommand.
FAMILY_NAMES = ("lasso", "slope", "l0", "bcd", "ot")

#: Families that have benchmark problems, by name.
FAMILIES = {family.name: family for family in (lasso.FAMILY, slope.FAMILY, l0.FAMILY, ot.FAMILY, bcd.FAMILY)}
