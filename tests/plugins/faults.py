"""Mechanisms that fail on purpose, for the fault tests (trusted with --trust-code).

Each is a real plug-in: a frozen dataclass with ``clear``; a run names it as
``tests.plugins.faults:<Class>``."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from fedsim.market.types import Clearing, Market


@dataclass(frozen=True)
class KillOnce:
    """Kills its own process the first time it clears a market with ``marker`` absent
    (creating ``marker`` first), then trades nothing: a worker lost once, then retried."""

    name: ClassVar[str] = "kill_once"
    summary: ClassVar[str] = "kills its worker once"
    marker: str = ""

    def clear(self, market: Market) -> Clearing:
        path = Path(self.marker)
        if not path.exists():
            path.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return Clearing.empty(market)


@dataclass(frozen=True)
class AlwaysKill:
    """Kills its own process whenever it clears a market."""

    name: ClassVar[str] = "always_kill"
    summary: ClassVar[str] = "kills its worker every time"

    def clear(self, market: Market) -> Clearing:
        os.kill(os.getpid(), signal.SIGKILL)
        return Clearing.empty(market)


@dataclass(frozen=True)
class Raises:
    """Raises a plain exception (not a SolveError) on every ``every``-th epoch."""

    name: ClassVar[str] = "raises"
    summary: ClassVar[str] = "raises RuntimeError"
    every: int = 2

    def clear(self, market: Market) -> Clearing:
        if market.epoch % self.every == 0:
            raise RuntimeError(f"solver crashed in epoch {market.epoch}")
        return Clearing.empty(market)


@dataclass(frozen=True)
class BadShape:
    """Returns a clearing of the wrong shape (an engine must not apply it)."""

    name: ClassVar[str] = "bad_shape"
    summary: ClassVar[str] = "returns a malformed clearing"

    def clear(self, market: Market) -> Clearing:
        import numpy as np

        return Clearing(np.zeros((1, 1, 1)), np.zeros((1, 1)), np.zeros(1))


@dataclass(frozen=True)
class Slow:
    """Sleeps ``sleep_s`` per clearing (keeps workers busy for the parent-kill test);
    with ``busy_dir``, a file named by its process id there says it is busy."""

    name: ClassVar[str] = "slow"
    summary: ClassVar[str] = "sleeps"
    sleep_s: float = 1.0
    busy_dir: str = ""

    def clear(self, market: Market) -> Clearing:
        if self.busy_dir:
            (Path(self.busy_dir) / str(os.getpid())).touch()
        time.sleep(self.sleep_s)
        return Clearing.empty(market)
