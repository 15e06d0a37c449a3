"""Run a list of specs on a backend, resumably: finished runs (found by key in the
store) are skipped, each new one is stored atomically as soon as it returns, and
the records come back in spec order whatever the number of workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fedsim.errors import FedsimError
from fedsim.sweeps.backend import Backend, make_backend
from fedsim.sweeps.spec import RunSpec
from fedsim.sweeps.store import RunRecord, RunStore
from fedsim.sweeps.task import execute


@dataclass(frozen=True)
class SweepReport:
    """Records in the order of :attr:`RunSpec.sort_key` (duplicates merged), and which
    keys ran now versus were found finished."""

    records: tuple[RunRecord, ...]
    ran: tuple[str, ...]
    skipped: tuple[str, ...]

    def by_key(self) -> dict[str, RunRecord]:
        return {r.key: r for r in self.records}


def run_specs(
    specs: Sequence[RunSpec],
    out_dir: str | Path,
    *,
    backend: Backend | None = None,
    progress: bool = True,
    label: str = "runs",
) -> SweepReport:
    """Run every spec not yet finished under ``out_dir`` and return all records.

    A failing run does not stop the others: they finish and are stored, then a
    :class:`FedsimError` names the failures (re-running retries only those)."""
    store = RunStore(out_dir)
    ordered = sorted({s.key: s for s in specs}.values(), key=lambda s: s.sort_key)
    todo = [s for s in ordered if not store.has(s.key)]
    backend = backend or make_backend("local")
    failures: list[tuple[RunSpec, BaseException]] = []
    with _bar(progress, label, len(ordered), len(ordered) - len(todo)) as advance:
        for k, outcome in backend.map_unordered(execute, todo):
            if outcome.error is not None:
                failures.append((todo[k], outcome.error))
            else:
                store.save(outcome.value)
            advance()
    if failures:
        spec, exc = min(failures, key=lambda f: f[0].sort_key)  # the same whatever the timing
        raise FedsimError(
            f"{len(failures)} of {len(todo)} runs failed (the others are saved in {store.root}); "
            f"first: {spec.mechanism} seed {spec.seed} members {spec.members}: "
            f"{type(exc).__name__}: {exc}"
        )
    done = {s.key for s in todo}
    return SweepReport(
        records=tuple(store.load(s.key) for s in ordered),
        ran=tuple(s.key for s in todo),
        skipped=tuple(s.key for s in ordered if s.key not in done),
    )


@contextmanager
def _bar(enabled: bool, label: str, total: int, done: int) -> Iterator[Callable[[], None]]:
    """Yield ``advance()`` of a rich progress bar over runs on stderr (a no-op when
    not ``enabled``); runs found finished count as done from the start."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
    )
    task = progress.add_task(label, total=total, completed=done)
    with progress:
        yield lambda: progress.advance(task)
