"""Progress display for long runs (rich), a no-op when quiet or not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@contextmanager
def sim_progress(
    labels: dict[str, float], quiet: bool = False, console: Console | None = None
) -> Iterator[Callable[[str, float], None]]:
    """Yield ``update(label, t_s)``; ``labels`` maps each phase to its simulated horizon (s)."""
    if quiet:
        yield lambda label, t_s: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description:<9}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}% of simulated time"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
        refresh_per_second=4,
    )
    tasks = {label: progress.add_task(label, total=horizon) for label, horizon in labels.items()}

    def update(label: str, t_s: float) -> None:
        progress.update(tasks[label], completed=t_s)

    with progress:
        yield update
        for label, task in tasks.items():
            progress.update(task, completed=labels[label])
