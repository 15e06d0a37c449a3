"""Measured DNN training throughput: ``steps_per_s[job_type, gpu_type, n_workers]``.

Throughput is that of the whole gang (steps/s of the job, all workers together).
Between measured worker counts the *per-worker* throughput is interpolated
log-linearly in ``n_workers`` (``log(steps_per_s / n)`` is linear in ``n``, so at
``n = 3`` between 2 and 4 the per-worker value is the geometric mean of the two);
beyond the largest measured count the per-worker throughput of the largest is kept
(constant scaling efficiency), below the smallest that of the smallest. A measured
0.0 means "cannot run with that many workers" (Gavel's convention, e.g. ResNet-50/128
on 2+ K80s); interpolating towards such a point gives 0.0.

Everything is precomputed at construction into a dense ``[job, gpu, n]`` array for
``n`` up to the largest measured count, plus the per-worker tail, so lookups are
pure array indexing.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fedsim.errors import ScenarioError, TraceError

MAX_WORKERS = 100_000  # the dense table holds every count up to the largest measured
MAX_STEPS_PER_S = 1e12  # beyond any device; keeps n_workers x steps/s finite
GAVEL_COLUMNS = ("job_type", "batch_size", "scale_factor", "gpu_type", "steps_per_s")

# (job_type, gpu_type) -> {n_workers: steps_per_s}
Points = dict[tuple[str, str], dict[int, float]]


@dataclass(frozen=True, eq=False)
class AffinityTable:
    """Frozen throughput table; build it with :meth:`from_gavel_csv` or :meth:`from_mapping`."""

    job_types: tuple[str, ...]
    gpu_types: tuple[str, ...]
    dense_steps_per_s: np.ndarray  # [job, gpu + 1, n] for n in 0..max_measured (n=0 unused)
    tail_steps_per_s_per_worker: np.ndarray  # [job, gpu + 1], used for n > max_measured
    measured_workers: tuple[frozenset[int], ...] = ()  # [job] counts measured on some GPU

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_points(cls, points: Points) -> AffinityTable:
        """Build from measured points ``{(job, gpu): {n_workers: steps_per_s}}`` (all ≥ 0)."""
        if not points or not all(points.values()):
            raise ValueError("an affinity table needs at least one measurement per entry")
        for key, by_n in points.items():
            if min(by_n) < 1 or not all(math.isfinite(v) and v >= 0 for v in by_n.values()):
                raise ValueError(f"{key}: worker counts must be >= 1 and steps_per_s >= 0")
        job_types = tuple(dict.fromkeys(j for j, _ in points))
        gpu_types = tuple(sorted({g for _, g in points}))
        n_max = max(max(by_n) for by_n in points.values())
        # one extra all-zero GPU slot at the end, hit by gpu index -1 (unknown GPU type)
        dense = np.zeros((len(job_types), len(gpu_types) + 1, n_max + 1))
        tail = np.zeros((len(job_types), len(gpu_types) + 1))
        ns = np.arange(1, n_max + 1, dtype=float)
        for (job, gpu), by_n in points.items():
            j, g = job_types.index(job), gpu_types.index(gpu)
            measured_n = np.array(sorted(by_n), dtype=float)
            per_worker = np.array([by_n[int(n)] / n for n in measured_n])
            dense[j, g, 1:] = ns * _interp_per_worker(ns, measured_n, per_worker)
            tail[j, g] = per_worker[-1]
        dense.flags.writeable = False
        tail.flags.writeable = False
        measured = tuple(
            frozenset(n for (j, _), by_n in points.items() if j == job for n in by_n)
            for job in job_types
        )
        return cls(job_types, gpu_types, dense, tail, measured)

    def measured_at(self, job_type: str, n_workers: int) -> bool:
        """Whether the table measured ``job_type`` with ``n_workers`` (on any GPU type):
        Gavel's job generator draws only such pairs."""
        k = self.job_types.index(job_type)
        return n_workers in self.measured_workers[k] if self.measured_workers else True

    @classmethod
    def from_mapping(cls, table: Mapping[str, Mapping[str, object]]) -> AffinityTable:
        """From inline YAML ``{job_type: {gpu_type: steps_per_s | {n_workers: steps_per_s}}}``.

        A bare number is the 1-worker throughput (multi-worker then scales linearly).
        Raises :class:`ScenarioError` naming the offending entry.
        """
        points: Points = {}
        for job, by_gpu in table.items():
            if not isinstance(by_gpu, Mapping) or not by_gpu:
                raise ScenarioError(
                    f"affinity.table.{job}: expected a non-empty mapping by GPU type"
                )
            for gpu, spec in by_gpu.items():
                where = f"affinity.table.{job}.{gpu}"
                raw = spec if isinstance(spec, Mapping) else {1: spec}
                if not raw:
                    raise ScenarioError(f"{where}: expected a number or {{n_workers: steps_per_s}}")
                by_n: dict[int, float] = {}
                for n, value in raw.items():
                    n_int = _as_int(n)
                    if n_int is None or not 1 <= n_int <= MAX_WORKERS:
                        raise ScenarioError(
                            f"{where}: worker count must be an integer in [1, {MAX_WORKERS}], "
                            f"got {n!r}"
                        )
                    v = _as_float(value)
                    if v is None or not 0 <= v <= MAX_STEPS_PER_S:
                        raise ScenarioError(
                            f"{where}.{n_int}: steps_per_s must be a number in "
                            f"[0, {MAX_STEPS_PER_S:g}], got {value!r}"
                        )
                    by_n[n_int] = v
                points[(str(job), str(gpu))] = by_n
        if not points:
            raise ScenarioError("affinity.table: empty")
        return cls.from_points(points)

    @classmethod
    def from_gavel_csv(cls, path: str | Path) -> AffinityTable:
        """Read Gavel's table ``job_type,batch_size,scale_factor,gpu_type,steps_per_s``.

        The job type key is ``"{job_type}/{batch_size}"`` (just ``job_type`` when the batch
        size is empty, as for A3C and CycleGAN); GPU keys are kept as written. A 0.0
        throughput is accepted ("cannot run"); anything else not a finite number > 0,
        a bad worker count or a duplicate row raises :class:`TraceError` with the line.
        """
        path = Path(path)
        points: Points = {}
        try:
            with path.open(newline="") as f:
                reader = csv.DictReader(f)
                missing = [c for c in GAVEL_COLUMNS if c not in (reader.fieldnames or ())]
                if missing:
                    raise TraceError(f"{path}: line 1: missing column(s) {missing}")
                for row in reader:
                    if not any(isinstance(v, str) and v.strip() for v in row.values()):
                        continue  # blank line
                    key, gpu, n, v = _gavel_row(path, reader.line_num, row)
                    by_n = points.setdefault((key, gpu), {})
                    if n in by_n:
                        raise TraceError(
                            f"{path}: line {reader.line_num}: duplicate row for {key} on {gpu} "
                            f"with {n} worker(s)"
                        )
                    by_n[n] = v
        except FileNotFoundError:
            raise TraceError(f"{path}: file not found") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise TraceError(f"{path}: unreadable CSV: {exc}") from None
        if not points:
            raise TraceError(f"{path}: no data rows")
        return cls.from_points(points)

    # -------------------------------------------------------------------- lookups
    @property
    def max_measured_workers(self) -> int:
        return self.dense_steps_per_s.shape[2] - 1

    def job_index(self, job_types: str | Sequence[str]) -> np.ndarray:
        """Indices of job type names in :attr:`job_types`; ValueError for unknown ones."""
        names = [job_types] if isinstance(job_types, str) else list(job_types)
        pos = {name: i for i, name in enumerate(self.job_types)}
        unknown = sorted({n for n in names if n not in pos})
        if unknown:
            raise ValueError(f"unknown job type(s) {unknown}; known: {list(self.job_types)}")
        return np.array([pos[n] for n in names], dtype=np.int64)

    def gpu_index(self, gpu_types: str | Sequence[str]) -> np.ndarray:
        """Indices of GPU type names in :attr:`gpu_types`; -1 (cannot run) for unknown ones."""
        names = [gpu_types] if isinstance(gpu_types, str) else list(gpu_types)
        pos = {name: i for i, name in enumerate(self.gpu_types)}
        return np.array([pos.get(n, -1) for n in names], dtype=np.int64)

    def lookup(
        self, job_idx: npt.ArrayLike, gpu_idx: npt.ArrayLike, n_workers: npt.ArrayLike
    ) -> np.ndarray:
        """Whole-gang steps/s, elementwise with broadcasting over index arrays.

        ``gpu_idx == -1`` gives 0.0; ``n_workers`` must be integers >= 1.
        """
        j = np.asarray(job_idx, dtype=np.int64)
        g = np.asarray(gpu_idx, dtype=np.int64)
        n = np.asarray(n_workers)
        if n.dtype.kind != "i":
            if n.size and not np.all(n == np.floor(n)):
                raise ValueError("n_workers must be integers >= 1")
            n = n.astype(np.int64)
        if n.size and n.min() < 1:
            raise ValueError("n_workers must be integers >= 1")
        n_max = self.max_measured_workers
        # gpu index -1 hits the trailing all-zero slot: "cannot run"
        out = self.dense_steps_per_s[j, g, np.minimum(n, n_max)]
        over = n > n_max
        if np.any(over):
            beyond = n * self.tail_steps_per_s_per_worker[j, g]
            out = np.where(over, beyond, out)
        return out

    def steps_per_s(self, job_type: str, gpu_type: str, n_workers: int = 1) -> float:
        """Whole-gang steps/s; 0.0 when the job type has no entry for that GPU type."""
        return float(
            self.lookup(self.job_index(job_type), self.gpu_index(gpu_type), [n_workers])[0]
        )

    def speedup(self, job_type: str, gpu_type: str, n_workers: int, reference_gpu: str) -> float:
        """steps_per_s on ``gpu_type`` ÷ on ``reference_gpu`` (0.0 when it cannot run there).

        Raises ValueError when the job cannot run on the reference GPU type at all.
        """
        ref = self.steps_per_s(job_type, reference_gpu, n_workers)
        if ref <= 0:
            raise ValueError(
                f"{job_type} with {n_workers} worker(s) cannot run on reference GPU "
                f"{reference_gpu!r}; choose another reference"
            )
        return self.steps_per_s(job_type, gpu_type, n_workers) / ref

    def matrix(
        self, job_types: Sequence[str], gpu_types: Sequence[str], n_workers_list: Sequence[int]
    ) -> np.ndarray:
        """Outer product ``[len(job_types), len(gpu_types), len(n_workers_list)]`` of steps/s."""
        j = self.job_index(job_types)[:, None, None]
        g = self.gpu_index(gpu_types)[None, :, None]
        n = np.asarray(n_workers_list, dtype=np.int64)[None, None, :]
        return self.lookup(j, g, n)


def _interp_per_worker(
    ns: np.ndarray, measured_n: np.ndarray, per_worker: np.ndarray
) -> np.ndarray:
    """Per-worker throughput at ``ns``: log-linear between points, flat outside, 0 next to a 0."""
    idx = np.clip(np.searchsorted(measured_n, ns, side="right") - 1, 0, len(measured_n) - 1)
    hi = np.minimum(idx + 1, len(measured_n) - 1)
    n0, n1, y0, y1 = measured_n[idx], measured_n[hi], per_worker[idx], per_worker[hi]
    span = np.where(n1 > n0, n1 - n0, 1.0)
    w = np.clip((ns - n0) / span, 0.0, 1.0)
    exact_lo, exact_hi = w == 0.0, w == 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mix = (1 - w) * np.log(y0) + w * np.log(y1)
    between = np.where((y0 > 0) & (y1 > 0), np.exp(log_mix), 0.0)
    out = np.where(exact_lo, y0, np.where(exact_hi, y1, between))
    below = ns < measured_n[0]
    return np.where(below, per_worker[0], out)


def _gavel_row(path: Path, line: int, row: dict) -> tuple[str, str, int, float]:
    """Validate one Gavel row: (job key, gpu type, n_workers, steps_per_s)."""
    if None in row:
        raise TraceError(f"{path}: line {line}: more than {len(GAVEL_COLUMNS)} fields")
    job, batch = (row["job_type"] or "").strip(), (row["batch_size"] or "").strip()
    gpu = (row["gpu_type"] or "").strip()
    if not job or not gpu:
        raise TraceError(f"{path}: line {line}: empty job_type or gpu_type")
    n = _as_int(row["scale_factor"])
    if n is None or not 1 <= n <= MAX_WORKERS:
        raise TraceError(
            f"{path}: line {line}: scale_factor must be an integer in [1, {MAX_WORKERS}], "
            f"got {row['scale_factor']!r}"
        )
    v = _as_float(row["steps_per_s"])
    if v is None or not 0 <= v <= MAX_STEPS_PER_S:
        raise TraceError(
            f"{path}: line {line}: steps_per_s must be a number in [0, {MAX_STEPS_PER_S:g}], "
            f"got {row['steps_per_s']!r}"
        )
    return (f"{job}/{batch}" if batch else job), gpu, n, v


def _as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _as_int(value: object) -> int | None:
    v = _as_float(value.strip() if isinstance(value, str) else value)
    return int(v) if v is not None and v == int(v) else None
