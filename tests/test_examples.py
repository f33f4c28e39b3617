"""Every script in examples/ runs with small sizes and writes its figure."""
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run_example(name, *args):
    completed = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_every_example_is_tested():
    """Each script in examples/ is named in some test module (family tests may run their own example)."""
    test_sources = "".join(path.read_text() for path in pathlib.Path(__file__).parent.glob("test_*.py"))
    tested = set(re.findall(r'"(\w+\.py)"', test_sources))
    assert {path.name for path in EXAMPLES.glob("*.py")} <= tested


def test_plot_thresholding_rules(tmp_path):
    out = tmp_path / "rules.png"
    run_example("plot_thresholding_rules.py", "--out", str(out), "--points", "41")
    assert out.stat().st_size > 10_000


def test_penalized_regression(tmp_path):
    out = tmp_path / "coef.png"
    stdout = run_example("penalized_regression.py", "--out", str(out), "--samples", "150")
    ours, reference = map(float, re.search(r"sparseopt ([\d.]+), scikit-learn ([\d.]+)", stdout).groups())
    assert ours == pytest.approx(reference, rel=1e-8)
    assert len(re.findall(r"test R\^2", stdout)) == 4
    assert out.stat().st_size > 10_000


def test_readme_usage_runs():
    """The README's Python blocks run as written, and the last model fits the diabetes data."""
    readme = (EXAMPLES.parent / "README.md").read_text()
    namespace = {}
    for block in re.findall(r"```python\n(.*?)```", readme, flags=re.S):
        exec(block, namespace)
    assert namespace["model"].score(namespace["X"], namespace["y"]) > 0.5


def test_lasso_path_cv(tmp_path):
    out = tmp_path / "lasso_path_cv.png"
    stdout = run_example("lasso_path_cv.py", "--out", str(out), "--samples", "250", "--alphas", "30")
    assert "same alpha as scikit-learn: yes" in stdout
    nonzeros, ours_r2 = re.search(r"chosen alpha [\d.e+-]+ \(grid point \d+ of 30\), non-zeros (\d+), "
                                  r"test R\^2 ([-\d.]+)", stdout).groups()
    reference_r2 = float(re.search(r"scikit-learn: alpha .*test R\^2 ([-\d.]+)", stdout).group(1))
    assert 0 < int(nonzeros) < 175
    assert float(ours_r2) > 0.3
    assert float(ours_r2) == pytest.approx(reference_r2, abs=1e-3)
    ours_seconds, reference_seconds = map(float, re.search(
        r"LassoCV wall time: sparseopt ([\d.]+) s, scikit-learn ([\d.]+) s", stdout).groups())
    assert ours_seconds > 0 and reference_seconds > 0
    assert out.stat().st_size > 10_000
