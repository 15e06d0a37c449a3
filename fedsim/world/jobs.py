"""DNN training jobs as a columnar batch, and a vectorised Poisson job generator."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from fedsim.errors import ScenarioError

DAY_S = 86_400.0


@dataclass(frozen=True, eq=False)
class JobBatch:
    """Equal-length, read-only arrays, one entry per job, sorted by ``arrival_s`` (stable).

    ``job_type`` indexes ``job_types``; ``ref_duration_s`` is the run time of the whole
    job (its gang of ``n_gpus``) on the reference GPU type; ``source_line`` is the
    trace line the job came from, -1 when generated. The arrays are read-only views of
    those passed in (no copy), so do not mutate the inputs afterwards.
    """

    arrival_s: np.ndarray
    n_gpus: np.ndarray
    job_type: np.ndarray
    ref_duration_s: np.ndarray
    source_line: np.ndarray
    job_types: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        cols = {
            "arrival_s": np.float64,
            "n_gpus": np.int64,
            "job_type": np.int64,
            "ref_duration_s": np.float64,
            "source_line": np.int64,
        }
        # read-only views, not copies: a batch must not be built from arrays mutated later
        arrays = {
            name: np.asarray(getattr(self, name), dtype=dt).view() for name, dt in cols.items()
        }
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1 or any(a.ndim != 1 for a in arrays.values()):
            raise ValueError(f"JobBatch columns must be 1-D and of equal length, got {lengths}")
        n = lengths.pop()
        if n:
            if np.any(np.diff(arrays["arrival_s"]) < 0):
                raise ValueError("JobBatch.arrival_s must be sorted")
            jt = arrays["job_type"]
            if jt.min() < 0 or jt.max() >= len(self.job_types):
                raise ValueError("JobBatch.job_type must index job_types")
        for name, a in arrays.items():
            a.flags.writeable = False
            object.__setattr__(self, name, a)
        object.__setattr__(self, "job_types", tuple(self.job_types))

    @classmethod
    def empty(cls, job_types: tuple[str, ...] = ()) -> JobBatch:
        z = np.zeros(0)
        return cls(z, z, z, z, z, job_types)

    def __len__(self) -> int:
        return len(self.arrival_s)

    def concat(self, *others: JobBatch) -> JobBatch:
        """Merge batches, re-sorted by arrival (stable: ties keep batch order).

        ``job_types`` is the union in order of first appearance; indices are remapped.
        """
        batches = (self, *others)
        names = tuple(dict.fromkeys(n for b in batches for n in b.job_types))
        pos = {n: i for i, n in enumerate(names)}
        remapped = [
            np.array([pos[n] for n in b.job_types], dtype=np.int64)[b.job_type]
            if len(b)
            else np.zeros(0, np.int64)
            for b in batches
        ]
        arrival = np.concatenate([b.arrival_s for b in batches])
        order = np.argsort(arrival, kind="stable")
        return JobBatch(
            arrival[order],
            np.concatenate([b.n_gpus for b in batches])[order],
            np.concatenate(remapped)[order],
            np.concatenate([b.ref_duration_s for b in batches])[order],
            np.concatenate([b.source_line for b in batches])[order],
            names,
        )

    def window(self, t0_s: float, t1_s: float) -> JobBatch:
        """The jobs arriving in ``[t0_s, t1_s)`` (times unchanged)."""
        lo, hi = np.searchsorted(self.arrival_s, [t0_s, t1_s], side="left")
        return self.take(slice(lo, hi))

    def take(self, rows: slice | np.ndarray) -> JobBatch:
        """A sub-batch by slice, sorted index array or boolean mask."""
        return JobBatch(
            self.arrival_s[rows],
            self.n_gpus[rows],
            self.job_type[rows],
            self.ref_duration_s[rows],
            self.source_line[rows],
            self.job_types,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per job, with the job type as a name."""
        names = np.array(self.job_types, dtype=object)
        return pd.DataFrame(
            {
                "arrival_s": self.arrival_s,
                "n_gpus": self.n_gpus,
                "job_type": names[self.job_type] if len(self) else np.array([], dtype=object),
                "ref_duration_s": self.ref_duration_s,
                "source_line": self.source_line,
            }
        )


@dataclass(frozen=True)
class DurationSpec:
    """Run time of a job on the reference GPU type (whole gang), in seconds.

    ``lognormal``: ``median_s · exp(sigma · Z)``; ``exponential``: mean ``median_s / ln 2``;
    ``fixed``: ``median_s``; ``gavel``: the distribution of Gavel's job generator (from
    Philly): with probability 0.8, ``60·10^U(1.5, 3)`` s (32 min to 17 h), otherwise
    ``60·10^U(3, 4)`` s (17 h to a week), ``median_s`` and ``sigma`` unused. Draws above
    ``max_s`` are capped at ``max_s`` (not redrawn).
    """

    dist: Literal["lognormal", "exponential", "fixed", "gavel"] = "lognormal"
    median_s: float = 3600.0
    sigma: float = 1.0
    max_s: float | None = None

    def __post_init__(self) -> None:
        if self.dist not in ("lognormal", "exponential", "fixed", "gavel"):
            raise ScenarioError(
                f"duration.dist: must be lognormal, exponential, fixed or gavel, got {self.dist!r}"
            )
        if not (math.isfinite(self.median_s) and self.median_s > 0):
            raise ScenarioError(f"duration.median_s: must be > 0, got {self.median_s}")
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ScenarioError(f"duration.sigma: must be >= 0, got {self.sigma}")
        if self.max_s is not None and not self.max_s > 0:
            raise ScenarioError(f"duration.max_s: must be > 0, got {self.max_s}")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.dist == "lognormal":
            d = self.median_s * np.exp(self.sigma * rng.standard_normal(n))
        elif self.dist == "exponential":
            d = rng.exponential(self.median_s / math.log(2.0), n)
        elif self.dist == "gavel":
            long = rng.random(n) >= 0.8
            u = rng.random(n)
            d = 60.0 * 10.0 ** np.where(long, 3.0 + u, 1.5 + 1.5 * u)
        else:
            d = np.full(n, float(self.median_s))
        return d if self.max_s is None else np.minimum(d, self.max_s)


def generate_jobs(
    rng: np.random.Generator,
    horizon_s: float,
    rate_per_h: float,
    gpu_mix: Mapping[int, float],
    duration: DurationSpec,
    job_type_mix: Mapping[str, float] | str,
    job_types: tuple[str, ...],
    diurnal_peak_to_trough: float = 1.0,
    diurnal_phase_s: float = 0.0,
    measured: Callable[[str, int], bool] | None = None,
) -> JobBatch:
    """Poisson job arrivals on ``[0, horizon_s)``, vectorised.

    The rate is ``rate_per_h`` on average; with ``diurnal_peak_to_trough = r > 1`` it is
    ``λ(t) = λ̄·(1 + A·cos(2π(t − diurnal_phase_s)/1 day))``, ``A = (r−1)/(r+1)`` (peak at
    ``diurnal_phase_s``), drawn by thinning a rate-``λ̄(1+A)`` process. Gang sizes come from
    ``gpu_mix`` (weights, normalised), job types from ``job_type_mix`` (names in
    ``job_types``, which the result's ``job_type`` indexes). The same ``rng`` state gives
    the same batch.
    """
    if not (math.isfinite(horizon_s) and horizon_s >= 0):
        raise ScenarioError(f"horizon_s: must be >= 0, got {horizon_s}")
    if not (math.isfinite(rate_per_h) and rate_per_h >= 0):
        raise ScenarioError(f"rate_per_h: must be >= 0, got {rate_per_h}")
    if not diurnal_peak_to_trough >= 1.0:
        raise ScenarioError(f"diurnal_peak_to_trough: must be >= 1, got {diurnal_peak_to_trough}")
    sizes, size_p = normalise_mix("gpu_mix", {int(k): v for k, v in gpu_mix.items()})
    if sizes.min() < 1:
        raise ScenarioError(f"gpu_mix: gang sizes must be >= 1, got {sorted(gpu_mix)}")
    amp = (diurnal_peak_to_trough - 1.0) / (diurnal_peak_to_trough + 1.0)
    rate_max_per_s = rate_per_h / 3600.0 * (1.0 + amp)
    n = int(rng.poisson(rate_max_per_s * horizon_s))
    arrival_s = np.sort(rng.random(n) * horizon_s)
    if amp > 0:
        phase = 2.0 * np.pi * (arrival_s - math.fmod(diurnal_phase_s, DAY_S)) / DAY_S
        keep = rng.random(n) * (1.0 + amp) < 1.0 + amp * np.cos(phase)
        arrival_s = arrival_s[keep]
        n = len(arrival_s)
    n_gpus = sizes[rng.choice(len(sizes), size=n, p=size_p)]
    if job_type_mix == ALL_TYPES:
        job_type = draw_types_by_gang(rng, n_gpus, job_types, measured or (lambda t, k: True))
    else:
        job_type = draw_job_types(rng, n, job_type_mix, job_types)
    ref_duration_s = duration.sample(rng, n)
    return JobBatch(
        arrival_s, n_gpus, job_type, ref_duration_s, np.full(n, -1, np.int64), tuple(job_types)
    )


def normalise_mix(label: str, mix: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Keys (in sorted order, so that the draw does not depend on dict order) and probabilities."""
    if not mix:
        raise ScenarioError(f"{label}: must not be empty")
    keys = sorted(mix)
    w = np.array([float(mix[k]) for k in keys])
    if not np.all(np.isfinite(w)) or w.min() < 0 or w.sum() <= 0:
        raise ScenarioError(f"{label}: weights must be finite, >= 0 and not all 0, got {dict(mix)}")
    return np.array(keys), w / w.sum()


ALL_TYPES = "all"


def draw_types_by_gang(
    rng: np.random.Generator,
    n_gpus: np.ndarray,
    job_types: tuple[str, ...],
    measured: Callable[[str, int], bool],
) -> np.ndarray:
    """For each job, a type drawn uniformly among those measured at its gang size
    (Gavel's generator: the gang size first, then a type that supports it)."""
    out = np.zeros(len(n_gpus), dtype=np.int64)
    for size in np.unique(n_gpus):
        ok = np.array([k for k, t in enumerate(job_types) if measured(t, int(size))])
        rows = np.flatnonzero(n_gpus == size)
        if len(ok) == 0:
            raise ScenarioError(
                f"job_type_mix: all: no job type of the affinity table was measured with "
                f"{int(size)} GPU(s); remove that gang size from gpu_mix"
            )
        out[rows] = ok[rng.integers(0, len(ok), len(rows))]
    return out


def draw_job_types(
    rng: np.random.Generator, n: int, job_type_mix: Mapping[str, float], job_types: tuple[str, ...]
) -> np.ndarray:
    """``n`` indices into ``job_types`` drawn from ``job_type_mix`` (validated first)."""
    unknown = sorted(set(job_type_mix) - set(job_types))
    if unknown:
        raise ScenarioError(
            f"job_type_mix: unknown job type(s) {unknown}; known: {list(job_types)}"
        )
    names, p = normalise_mix("job_type_mix", dict(job_type_mix))
    idx = np.array([job_types.index(name) for name in names], dtype=np.int64)
    return idx[rng.choice(len(idx), size=n, p=p)] if n else np.zeros(0, np.int64)
