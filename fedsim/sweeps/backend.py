"""Where runs execute. A backend maps a module-level function over picklable items
and yields ``(index, outcome)`` as each finishes; callers never see processes, so a
cluster backend (Ray: ``ray.remote`` + ``ray.wait``) can be added behind the same
interface without touching them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fedsim.errors import FedsimError
from fedsim.sweeps.pool import ProcessPool


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
    """A local process pool (``spawn``: safe with threads and on every OS; the function
    must be importable and the items picklable).

    One item per worker at a time, so a worker that dies (killed, out of memory) costs
    only the item it held: that item is retried up to ``max_attempts`` times in a fresh
    worker, the others carry on. Workers end by themselves when the parent is killed."""

    def __init__(self, workers: int | None = None, max_attempts: int = 3) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.max_attempts = max_attempts

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Outcome]]:
        if not items:
            return
        pool = ProcessPool(min(self.workers, len(items)), self.max_attempts)
        for k, value, error in pool.map_unordered(fn, items):
            yield k, Outcome(value=value, error=error)


def start_early(name: str = "local", workers: int | None = None) -> None:
    """Start now what ``make_backend(name, workers)`` will run on, where that helps: a
    local pool's fork server imports fedsim while the caller loads and checks its
    scenario, so the first runs need not wait for it."""
    if name == "local" and workers != 1:  # make_backend's rule for a LocalBackend
        from fedsim.sweeps.pool import prestart

        prestart()


def make_backend(name: str = "local", workers: int | None = None,
                 address: str | None = None) -> Backend:
    """A backend by name: ``"local"`` (process pool; inline when ``workers == 1``) or
    ``"ray"`` (a Ray cluster at ``address``; a private local one when None)."""
    if workers is not None and workers < 1:
        raise FedsimError(f"--workers must be >= 1, got {workers}")
    if name == "local":
        if address is not None:
            raise FedsimError("--address is for --backend ray")
        return InlineBackend() if workers == 1 else LocalBackend(workers)
    if name == "ray":
        from fedsim.sweeps.ray_backend import RayBackend  # ray only when asked for

        return RayBackend(workers, address)
    raise FedsimError(f"unknown backend {name!r}; available: local, ray")
