"""Where runs execute. A backend maps a module-level function over picklable items
and yields ``(index, outcome)`` as each finishes; callers never see processes, so a
cluster backend (Ray: ``ray.remote`` + ``ray.wait``) can be added behind the same
interface without touching them."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

from fedsim.errors import FedsimError


@dataclass(frozen=True)
class Outcome:
    """A finished item: its value, or the exception it raised (never both)."""

    value: Any = None
    error: BaseException | None = None


class Backend(Protocol):
    """Runs ``fn(item)`` for every item, in any order, yielding as they finish."""

    workers: int

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Outcome]]: ...


class InlineBackend:
    """In this process, one item at a time (``--workers 1``; easy to debug)."""

    workers = 1

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Outcome]]:
        for k, item in enumerate(items):
            try:
                yield k, Outcome(value=fn(item))
            except Exception as exc:  # one bad run must not lose the others
                yield k, Outcome(error=exc)


class LocalBackend:
    """A local process pool (``spawn``: safe with threads and on every OS; the
    function must be importable and the items picklable)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Outcome]]:
        if not items:
            return
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=ctx)
        try:
            pending: dict[Future, int] = {pool.submit(fn, item): k for k, item in enumerate(items)}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=pending.__getitem__):
                    k = pending.pop(fut)
                    exc = fut.exception()
                    yield k, Outcome(value=None if exc else fut.result(), error=exc)
        finally:
            # on an interrupt, drop what has not started; finished runs are already stored
            pool.shutdown(wait=True, cancel_futures=True)


def make_backend(name: str = "local", workers: int | None = None) -> Backend:
    """A backend by name: ``"local"`` (process pool; inline when ``workers == 1``)."""
    if workers is not None and workers < 1:
        raise FedsimError(f"--workers must be >= 1, got {workers}")
    if name == "local":
        return InlineBackend() if workers == 1 else LocalBackend(workers)
    raise FedsimError(f"unknown backend {name!r}; available: local")
