"""``fedsim calibrate``: measure service times on this machine and write a profile.

torch (and the calibration package) are imported inside the command, never at module
level, so ``fedsim --help`` and the other commands do not pay for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fedsim.calibration.config import DEVICE_CHOICES  # torch-free
from fedsim.errors import FedsimError

if TYPE_CHECKING:  # imported by the command itself, not by `fedsim --help`
    import pandas as pd
    from rich.console import Console

    from fedsim.calibration.config import CalibrationConfig
    from fedsim.calibration.runner import Plan

# above this many runnable processes per measuring thread, timings include contention
_BUSY_LOAD_PER_THREAD = 0.5


def _busy_warning(threads: int) -> str | None:
    """A warning when other processes are already running: they inflate and scatter timings."""
    try:
        load_1min = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        return None
    if load_1min <= _BUSY_LOAD_PER_THREAD * threads:
        return None
    return (
        f"machine busy (1-min load average {load_1min:.2f} for {threads} thread(s)): "
        "other processes will inflate and scatter the timings; see the noise column"
    )


def _check_writable(out: Path) -> None:
    """Fail before minutes of measuring, not after: the folder must be writable, and an
    existing file is replaced only if it is a profile fedsim wrote."""
    from fedsim.calibration.profile import is_profile_file
    from fedsim.results.owned import check_owned_file

    if out.is_dir():
        raise FedsimError(f"--out {out}: is a directory; give a file name such as cpu.csv")
    check_owned_file(out, is_profile_file, "calibration profile")


@click.command(name="calibrate")
@click.option(
    "--device",
    type=click.Choice(DEVICE_CHOICES),
    default="auto",
    show_default=True,
    help="Where to measure; auto picks cuda when a GPU is visible.",
)
@click.option(
    "--quick", is_flag=True, help="Tiny models and a small grid (under a minute on 2 cores)."
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Intra-op threads for training steps [default: the cores available].",
)
@click.option(
    "--wait-quiet",
    is_flag=True,
    help="On a shared machine (Linux): measure only while other processes are idle, and "
    "re-measure what they disturbed.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Profile CSV to write, e.g. traces/calibration/cpu-2core.csv.",
)
def calibrate(device: str, quick: bool, threads: int | None, wait_quiet: bool, out: Path) -> None:
    """Time training steps, all-reduce and a web handler; write a calibration profile."""
    from rich.console import Console

    from fedsim.calibration.config import CalibrationConfig, default_threads
    from fedsim.calibration.device import resolve_device
    from fedsim.calibration.profile import write_profile
    from fedsim.calibration.quiet import read_cpu_sample
    from fedsim.calibration.runner import plan

    _check_writable(out)
    resolved = resolve_device(device)
    config = CalibrationConfig.preset(resolved, threads or default_threads(), quick=quick)
    if wait_quiet:
        read_cpu_sample()  # fail now, not after the first task, where /proc/stat is missing
    the_plan = plan(config)
    err = Console(stderr=True)
    warning = _busy_warning(config.threads) if resolved == "cpu" and not wait_quiet else None
    for note in (*the_plan.notes, *([warning] if warning else [])):
        err.print(f"[yellow]note:[/yellow] {note}")
    profile = _run_with_progress(config, the_plan, err, wait_quiet)
    write_profile(profile, out)
    _print_summary(profile, out, config.threads)


def _run_with_progress(
    config: CalibrationConfig, the_plan: Plan, err: Console, wait_quiet: bool
) -> pd.DataFrame:
    """Run the plan under a rich progress bar (one log line per task when not a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from fedsim.calibration.quiet import QuietGuard, QuietPolicy
    from fedsim.calibration.runner import Task, TaskResult, run_plan
    from fedsim.calibration.summary import format_seconds

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    bar = progress.add_task("calibrating", total=len(the_plan.tasks))
    current = {"label": ""}  # the task being measured, for the waiting message

    def on_task(task: Task) -> None:
        current["label"] = task.label
        progress.update(bar, description=task.label)

    def on_wait(foreign_cores: float) -> None:
        progress.update(
            bar,
            description=f"{current['label']} (waiting: others use {foreign_cores:.1f} cores)",
        )

    def on_done(task: Task, result: TaskResult) -> None:
        progress.advance(bar)
        if not err.is_terminal:
            # a log file gets no live bar, so leave one line per finished task instead
            times = ", ".join(format_seconds(float(row["time_s"])) for row in result.rows)
            others = (
                ""
                if result.foreign_cores is None
                else f" (others used {result.foreign_cores:.2f} cores)"
            )
            err.print(f"{task.label}: {times}{others}", highlight=False)

    guard = QuietGuard(QuietPolicy(), on_wait=on_wait) if wait_quiet else None
    with progress:
        profile = run_plan(config, the_plan, on_task=on_task, on_done=on_done, guard=guard)
        progress.update(bar, description="done")
    return profile


def _print_summary(profile: pd.DataFrame, out: Path, threads: int) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from fedsim.calibration.summary import summarize

    first = profile.iloc[0]
    table = Table(
        title=f"{first['device_name']} · torch {first['torch_version']} · {threads} thread(s)",
        box=box.SIMPLE_HEAD,
    )
    for column in ("model", "range", "time", "rate", "noise"):
        table.add_column(column, justify="right" if column in ("time", "noise") else "left")
    previous_kind = None
    for line in summarize(profile).itertuples(index=False):
        if previous_kind is not None and line.kind != previous_kind:
            table.add_section()
        previous_kind = line.kind
        table.add_row(line.model, line.range, line.time, line.rate, line.noise)
    console = Console()
    if not console.is_terminal:
        # a log file has no width; do not wrap the table at 80 columns
        console = Console(width=120)
    console.print(table)
    noise = profile["iqr_over_median"]
    console.print(
        f"noise (IQR/median): median {noise.median():.1%}, max {noise.max():.1%} · "
        f"wrote {len(profile)} rows to {out}"
    )
