"""One figure per problem: relative suboptimality (P - P*) / |P*| against wall time, log-log, one curve per solver."""
import re

#: Suboptimalities are clipped from below at this value, so that the runs reaching P* exactly stay visible.
SUBOPTIMALITY_FLOOR = 1e-16


def figure_path(out_dir, family, problem):
    """PNG path of a problem's figure, named after the family and the problem, e.g. ``lasso-simulated-...png``."""
    slug = re.sub(r"[^a-z0-9_]+", "-", f"{family} {problem}".lower()).strip("-")
    return out_dir / f"{slug}.png"


def plot_problem(log, family, problem, path):
    """Save the suboptimality-versus-time curves of every solver that ran on ``problem`` to ``path``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    axes = figure.add_subplot()
    runs = [run for run in log.runs if (run.family, run.problem) == (family, problem) and run.status == "ok"]
    for solver in dict.fromkeys(run.solver for run in runs):
        solver_runs = [run for run in runs if run.solver == solver]
        times = [run.time_s for run in solver_runs]
        suboptimalities = [max(log.suboptimality(run), SUBOPTIMALITY_FLOOR) for run in solver_runs]
        axes.loglog(times, suboptimalities, marker="o", markersize=4, label=solver)
    axes.set_xlabel("wall time of the run (s)")
    axes.set_ylabel("relative suboptimality (P - P*) / |P*|")
    axes.set_title(f"{family}: {problem}", fontsize="medium")
    axes.grid(True, which="major", alpha=0.4)
    if runs:
        axes.legend()
    figure.savefig(path, dpi=100)
