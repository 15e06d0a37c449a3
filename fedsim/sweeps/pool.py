"""A process pool that loses nothing when a worker dies.

Each worker has its own pipe and holds one item at a time, so the parent always knows
which item a dead worker held: that item alone is retried (in a fresh worker, up to
``max_attempts`` times), the others carry on. ``concurrent.futures`` marks the whole
pool broken when one worker dies, and pools that share one task queue between workers
(pebble) can lose the item a worker took just before it was killed (we saw a sweep
wait forever); a private pipe per worker has neither problem.

Workers also end by themselves when the parent is killed: their pipe closes, and a
watchdog thread ends a worker busy with an item once its parent is gone.

On Linux, workers come from a fork server that imported fedsim once
(:mod:`fedsim.sweeps.warm`): each worker starts warm in milliseconds, instead of spending
seconds importing fedsim and loading compiled kernels. The server is a fresh process
that runs no Python threads and never starts HiGHS (whose thread pool would not survive
a fork; numpy's BLAS and Arrow's allocator register fork handlers for theirs), so
forking it is safe where forking the caller, which may run threads, is not. Elsewhere
workers are spawned.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import connection, get_context
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from fedsim.errors import show_warning_line

STOP_GRACE_S = 2.0
# what the fork server imports before it forks any worker; "__main__" spares each worker
# re-importing the caller's script (as spawn does; a script's main guard still applies)
PRELOAD = ("__main__", "fedsim.sweeps.warm")


class WorkerDied(RuntimeError):
    """A worker process ended without returning (killed, out of memory, crashed)."""


def _context() -> BaseContext:
    """The fork server on Linux, else spawn: macOS has one too, but its system
    libraries (Accelerate, which numpy's BLAS may be, and the Objective-C runtime) are
    not safe to use in a forked child, which is why Python spawns there by default."""
    if sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return get_context("spawn")


def prestart() -> None:
    """Start the fork server now, so that its imports overlap with the caller's own work
    (loading the scenario, checking it) instead of delaying the first runs."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _watch_parent() -> None:
    """End this worker once the process that started it is gone (its pipe to us closes).
    Not ``os.getppid()``: a fork server's workers are the server's children."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="fedsim-watch-parent", daemon=True).start()


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _worker_main(conn: Connection, environ: dict[str, str]) -> None:
    """Serve ``(index, fn, item)`` requests until told to stop or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # the caller's environment now, as a spawned worker would have it (a fork server's
    # is the one it started with)
    os.environ.clear()
    os.environ.update(environ)
    os.environ.setdefault("FEDSIM_WEB_THREADS", "1")  # one worker per core already
    warnings.showwarning = show_warning_line  # one line each, as the CLI prints them
    _watch_parent()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        k, fn, item = request
        try:
            reply = (k, True, fn(item))
        except BaseException as exc:  # every failure goes back to the parent
            reply = (k, False, _portable(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result
            conn.send((k, False, RuntimeError(f"result could not be sent back: {exc}")))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    item: int | None = None


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class ProcessPool:
    """``map_unordered(fn, items)`` over ``workers`` processes."""

    def __init__(self, workers: int, max_attempts: int = 3) -> None:
        self.workers = max(1, workers)
        self.max_attempts = max(1, max_attempts)
        self._ctx = _context()

    def _start(self) -> _Worker:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_worker_main, args=(child_end, dict(os.environ)), daemon=True,
            name="fedsim-worker",
        )
        process.start()
        child_end.close()  # only the worker holds it now: its death closes the pipe
        return _Worker(process, parent_end)

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        """Yield ``(index, value, error)`` as items finish (``error`` None on success)."""
        todo = deque(range(len(items)))
        attempts = [0] * len(items)
        workers = [self._start() for _ in range(min(self.workers, len(items)))]

        def assign(w: _Worker) -> None:
            if todo:
                k = todo.popleft()
                attempts[k] += 1
                w.item = k
                w.conn.send((k, fn, items[k]))

        try:
            for w in workers:
                assign(w)
            remaining = len(items)
            while remaining:
                busy = [w for w in workers if w.item is not None]
                connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
                for i, w in enumerate(workers):
                    if w.item is None:
                        continue
                    reply = None
                    if w.conn.poll():  # a reply, or end-of-file if it died
                        try:
                            reply = w.conn.recv()
                        except (EOFError, OSError):
                            reply = None
                    if reply is not None:
                        k, ok, payload = reply
                        w.item = None
                        remaining -= 1
                        yield (k, payload, None) if ok else (k, None, payload)
                        assign(w)
                        continue
                    if w.process.is_alive():
                        continue
                    k, exitcode = w.item, w.process.exitcode
                    w.conn.close()
                    workers[i] = self._start()
                    if attempts[k] < self.max_attempts:
                        todo.appendleft(k)  # retried first, in the fresh worker
                    else:
                        remaining -= 1
                        yield k, None, WorkerDied(
                            f"worker process {_death(exitcode)} on each of {attempts[k]} attempts"
                        )
                    assign(workers[i])
        finally:
            self._stop(workers)

    @staticmethod
    def _stop(workers: list[_Worker]) -> None:
        for w in workers:
            with contextlib.suppress(OSError, ValueError):  # already gone
                w.conn.send(None)
        deadline = time.monotonic() + STOP_GRACE_S
        for w in workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():  # busy with an item nobody waits for any more
                w.process.kill()
                w.process.join()
            w.conn.close()
