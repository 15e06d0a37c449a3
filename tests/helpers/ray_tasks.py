"""Functions for the backends' tests (importable by Ray's and the pool's workers)."""

from __future__ import annotations

import os
from pathlib import Path


def square(x: int) -> int:
    return x * x


def die_once(marker: str) -> str:
    """Kill this worker process the first time (as an out-of-memory kill would)."""
    path = Path(marker)
    with path.open("a") as f:
        f.write("attempt\n")
    if path.read_text().count("attempt") == 1:
        os._exit(1)
    return "survived"


def raise_and_count(marker: str) -> None:
    with Path(marker).open("a") as f:
        f.write("attempt\n")
    raise ValueError("a bad run")


def loaded(module: str) -> tuple[int, bool]:
    """(this process's id, whether ``module`` was imported before this call)."""
    import sys

    return os.getpid(), module in sys.modules


def environ(name: str) -> str | None:
    return os.environ.get(name)
