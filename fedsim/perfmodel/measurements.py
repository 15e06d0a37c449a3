"""Multi-GPU step-time measurements: the container the fitters take, and strict CSV readers.

Two layouts are read, both as published with the Pollux (OSDI'21) artifact:

- ``placements.csv``: ``placement,local_bsz,step_time,sync_time``; ``placement`` is a string
  of per-node replica counts (``"12"`` = two nodes, one and two replicas);
- ``scalability.csv``: ``num_nodes,num_replicas,local_bsz,step_time,sync_time``; the
  per-node split is not recorded, so replicas are assumed spread as evenly as possible.

Times are seconds per synchronous step; ``sync_time`` is the part of the step spent in the
gradient all-reduce that did not overlap with computation, so ``step_time - sync_time`` is
the per-replica compute time. Any problem raises :class:`fedsim.errors.FedsimError` naming
the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fedsim.errors import FedsimError

PLACEMENT_COLUMNS: tuple[str, ...] = ("placement", "local_bsz", "step_time", "sync_time")
SCALABILITY_COLUMNS: tuple[str, ...] = (
    "num_nodes",
    "num_replicas",
    "local_bsz",
    "step_time",
    "sync_time",
)


@dataclass(frozen=True)
class StepTimes:
    """Measured synchronous data-parallel steps, one entry per configuration (arrays align)."""

    n_nodes: np.ndarray
    n_replicas: np.ndarray
    max_replicas_per_node: np.ndarray
    local_bsz: np.ndarray
    step_time_s: np.ndarray
    sync_time_s: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return int(self.step_time_s.shape[0])

    def take(self, index: np.ndarray) -> StepTimes:
        """The measurements selected by a boolean mask or an index array."""
        return StepTimes(self.n_nodes[index], self.n_replicas[index],
                         self.max_replicas_per_node[index], self.local_bsz[index],
                         self.step_time_s[index], self.sync_time_s[index],
                         self.source)  # fmt: skip

    @property
    def compute_time_s(self) -> np.ndarray:
        """Per-replica compute time: the step minus its exposed (non-overlapped) sync."""
        return np.maximum(self.step_time_s - self.sync_time_s, 1e-9)

    @classmethod
    def from_arrays(
        cls,
        n_nodes: Sequence[int] | np.ndarray,
        n_replicas: Sequence[int] | np.ndarray,
        local_bsz: Sequence[float] | np.ndarray,
        step_time_s: Sequence[float] | np.ndarray,
        sync_time_s: Sequence[float] | np.ndarray | None = None,
        max_replicas_per_node: Sequence[int] | np.ndarray | None = None,
        source: str = "",
    ) -> StepTimes:
        """Build from plain sequences; a missing per-node maximum assumes an even spread."""
        nodes = np.asarray(n_nodes, dtype=float)
        replicas = np.asarray(n_replicas, dtype=float)
        step = np.asarray(step_time_s, dtype=float)
        sync = np.zeros_like(step) if sync_time_s is None else np.asarray(sync_time_s, float)
        most = (
            np.ceil(replicas / nodes)
            if max_replicas_per_node is None
            else np.asarray(max_replicas_per_node, dtype=float)
        )
        return cls(nodes, replicas, most, np.asarray(local_bsz, float), step, sync, source)


def parse_placement(text: str) -> tuple[int, ...]:
    """``"124"`` -> ``(1, 2, 4)``: replicas on each node, one digit per node."""
    text = text.strip()
    if not text or not text.isdigit() or "0" in text:
        raise ValueError(f"placement must be digits 1-9 (replicas per node), got {text!r}")
    return tuple(int(ch) for ch in text)


def _read_rows(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {column: text}); the header must hold every column."""
    if not path.is_file():
        raise FedsimError(f"{path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise FedsimError(f"{path}: empty file, expected header {','.join(columns)}")
            header = [name.strip() for name in header]
            missing = [name for name in columns if name not in header]
            if missing:
                raise FedsimError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
            index = {name: header.index(name) for name in columns}
            rows = []
            for record in reader:
                line = reader.line_num
                if not record or all(not cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    raise FedsimError(
                        f"{path}, line {line}: {len(record)} fields, header has {len(header)}"
                    )
                rows.append((line, {name: record[i].strip() for name, i in index.items()}))
    except UnicodeDecodeError as exc:
        raise FedsimError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except csv.Error as exc:
        raise FedsimError(f"{path}: not a readable CSV ({exc})") from None
    if not rows:
        raise FedsimError(f"{path}: no data rows")
    return rows


def _number(
    path: Path, line: int, column: str, text: str, check: Callable[[float], bool], want: str
) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not check(value):
        raise FedsimError(f"{path}, line {line}, column {column}: expected {want}, got {text!r}")
    return value


def _times(path: Path, line: int, row: dict[str, str]) -> tuple[float, float, float]:
    bsz = _number(path, line, "local_bsz", row["local_bsz"], lambda v: v >= 1, "a number ≥ 1")
    step = _number(path, line, "step_time", row["step_time"], lambda v: v > 0, "seconds > 0")
    sync = _number(path, line, "sync_time", row["sync_time"], lambda v: v >= 0, "seconds ≥ 0")
    if sync > step:
        raise FedsimError(f"{path}, line {line}, column sync_time: {sync} exceeds step_time {step}")
    return bsz, step, sync


def read_placements(path: str | Path) -> StepTimes:
    """Read a ``placements.csv`` (per-node replica counts known)."""
    path = Path(path)
    nodes, replicas, most, bsz, step, sync = [], [], [], [], [], []
    for line, row in _read_rows(path, PLACEMENT_COLUMNS):
        try:
            counts = parse_placement(row["placement"])
        except ValueError as exc:
            raise FedsimError(f"{path}, line {line}, column placement: {exc}") from None
        b, t, s = _times(path, line, row)
        nodes.append(len(counts))
        replicas.append(sum(counts))
        most.append(max(counts))
        bsz.append(b)
        step.append(t)
        sync.append(s)
    return StepTimes.from_arrays(nodes, replicas, bsz, step, sync, most, source=str(path))


def read_scalability(path: str | Path) -> StepTimes:
    """Read a ``scalability.csv`` (node and replica totals only; even spread assumed)."""
    path = Path(path)
    nodes, replicas, bsz, step, sync = [], [], [], [], []
    for line, row in _read_rows(path, SCALABILITY_COLUMNS):
        n = _number(
            path,
            line,
            "num_nodes",
            row["num_nodes"],
            lambda v: v >= 1 and v == int(v),
            "an integer ≥ 1",
        )
        k = _number(
            path,
            line,
            "num_replicas",
            row["num_replicas"],
            lambda v, n=n: v >= n and v == int(v),
            "an integer ≥ num_nodes",
        )
        b, t, s = _times(path, line, row)
        nodes.append(n)
        replicas.append(k)
        bsz.append(b)
        step.append(t)
        sync.append(s)
    return StepTimes.from_arrays(nodes, replicas, bsz, step, sync, source=str(path))
