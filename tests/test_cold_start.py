"""A first fit in a fresh process must not wait on compilation, and `import sparseopt` must stay cheap.

Each figure is measured in a new Python process; the kernel cache lives in a fresh NUMBA_CACHE_DIR, so the
first run measures the one-time compilation and the second the load from the warm disk cache.
"""
import inspect
import os
import pathlib
import subprocess
import sys

from numba.core.registry import CPUDispatcher

from numba_kernels import prox

PROBE = pathlib.Path(__file__).with_name("cold_start_probe.py")


def seconds(target, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    completed = subprocess.run([sys.executable, str(PROBE), target], env=env, capture_output=True, text=True,
                               check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def test_probe_calls_every_prox():
    compiled = {name for name, obj in inspect.getmembers(prox)
                if isinstance(obj, CPUDispatcher) and not name.startswith("_")}
    source = PROBE.read_text()
    assert {name for name in compiled if f"prox.{name}(" not in source} == set()


def test_warm_cache_start_is_fast(tmp_path):
    first = seconds("prox", tmp_path)
    warm = min(seconds("prox", tmp_path) for _ in range(2))
    print(f"\nnumba_kernels import + every prox once: first (compiling) {first:.2f} s, warm cache {warm:.2f} s")
    assert warm < 1.5
    assert warm < first


def test_import_sparseopt_is_cheap(tmp_path):
    elapsed = min(seconds("sparseopt", tmp_path) for _ in range(2))
    print(f"\nimport sparseopt: {elapsed:.3f} s")
    assert elapsed < 1.0
    completed = subprocess.run([sys.executable, "-c", "import sys, sparseopt; print('sklearn' in sys.modules, "
                                "'numba' in sys.modules)"], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["False", "False"]
