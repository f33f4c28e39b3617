"""``python -m sparseopt.benchmarks``: the same command as ``sparseopt-bench``."""
from sparseopt.benchmarks.cli import main

raise SystemExit(main())
