"""Where a web service's requests come from: a diurnal Poisson process, or a replayed
trace (per-request timestamps, or per-interval counts).

Every source answers two questions for an interval ``[t0, t1)`` of simulated time: its
rate profile in slices (for the fluid model and for sizing), and the requests
themselves (for the request-level model). A trace is mapped to simulated time by
``t_sim = (t_trace − start_s) · time_scale`` and repeated end to end when ``loop`` is
set. A per-request timestamp is replayed as it is; a per-interval count keeps its
count exactly, its requests placed uniformly at random inside the interval (a Poisson
process given its count), drawn per interval from the run's seed so that the same
interval always holds the same requests, however epochs cut it.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fedsim.errors import TraceError
from fedsim.queueing.diurnal import DAY_S, DiurnalRate
from fedsim.queueing.profile import LoadProfile, slices


@dataclass(frozen=True)
class DiurnalLoad:
    """``λ(t) = mean·(1 + A·sin(2π(t − phase)/day))``, Poisson arrivals."""

    rate: DiurnalRate

    def profile(self, edges: np.ndarray) -> LoadProfile:
        points = edges.tolist()  # Python floats: scalar arithmetic on numpy's is ~5x slower
        pairs = list(itertools.pairwise(points))
        mean_rate = self.rate.mean_rate_per_s
        return LoadProfile(tuple(b - a for a, b in pairs),
                           tuple(mean_rate(a, b) for a, b in pairs))

    @property
    def mean_per_s(self) -> float:
        return self.rate.mean_per_s

    is_trace = False

    def peak_per_s(self, slice_s: float) -> float:
        return self.rate.peak_per_s

    def poisson_args(self, share: float) -> tuple[float, float, float, float]:
        """(mean, amplitude, angular frequency, phase) of ``share`` of the load."""
        r = self.rate
        return r.mean_per_s * share, r.amplitude, 2.0 * math.pi / DAY_S, r.day_phase_s


@dataclass(frozen=True, eq=False)
class TraceLoad:
    """Requests replayed from a trace: ``times_s`` sorted arrival times in simulated
    seconds over one period ``[0, period_s)`` (repeated when ``loop``)."""

    times_s: np.ndarray
    period_s: float
    loop: bool = True

    def _count_before(self, t_s: np.ndarray) -> np.ndarray:
        """Requests arriving in ``[0, t)``, the trace repeated when looping."""
        t = np.asarray(t_s, dtype=float)
        n = len(self.times_s)
        if not self.loop:
            return np.searchsorted(self.times_s, np.minimum(t, self.period_s), side="left")
        laps = np.floor(t / self.period_s)
        rest = t - laps * self.period_s
        return laps * n + np.searchsorted(self.times_s, rest, side="left")

    def profile(self, edges: np.ndarray) -> LoadProfile:
        counts = np.diff(self._count_before(edges)).astype(float)
        dur = np.diff(edges)
        return LoadProfile(tuple(dur.tolist()), tuple((counts / dur).tolist()))

    def arrivals(self, rng: np.random.Generator | None, t0_s: float, t1_s: float) -> np.ndarray:
        """The trace's own timestamps in ``[t0, t1)`` (``rng`` unused: a replay)."""
        if not self.loop:
            lo, hi = np.searchsorted(self.times_s, [t0_s, t1_s], side="left")
            return self.times_s[lo:hi]
        out = []
        lap = math.floor(t0_s / self.period_s)
        while lap * self.period_s < t1_s:
            base = lap * self.period_s
            lo, hi = np.searchsorted(self.times_s, [t0_s - base, t1_s - base], side="left")
            out.append(self.times_s[lo:hi] + base)
            lap += 1
        return np.concatenate(out) if out else np.zeros(0)

    @property
    def mean_per_s(self) -> float:
        return len(self.times_s) / self.period_s

    is_trace = True

    def peak_per_s(self, slice_s: float) -> float:
        """The highest mean rate over a slice of ``slice_s`` in one period."""
        return self.profile(slices(0.0, self.period_s, min(slice_s, self.period_s))).peak_per_s


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, usecols=lambda c: str(c).strip() in columns)
    except FileNotFoundError:
        raise TraceError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as exc:
        raise TraceError(f"{path}: unreadable CSV: {' '.join(str(exc).split())}") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TraceError(f"{path}: line 1: missing column(s) {missing}")
    if df.empty:
        raise TraceError(f"{path}: no data rows")
    return df


def _seconds(col: pd.Series, path: Path, name: str) -> np.ndarray:
    """Numeric seconds, or ISO 8601 timestamps as seconds from the earliest."""
    numeric = pd.to_numeric(col, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=float)
    ts = pd.to_datetime(col.astype(str).str.strip(), format="ISO8601", errors="coerce", utc=True)
    bad = np.flatnonzero(ts.isna().to_numpy())
    if len(bad):
        raise TraceError(f"{path}: line {bad[0] + 2}: {name} {col.iat[bad[0]]!r}: not a "
                         "number of seconds or an ISO 8601 timestamp")
    return ((ts - ts.min()) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)


def read_request_trace(path: str | Path, time_column: str = "TIMESTAMP", *,
                       start_s: float = 0.0, time_scale: float = 1.0,
                       loop: bool = True) -> TraceLoad:
    """One row per request (e.g. the Azure LLM trace, ``TIMESTAMP,...``)."""
    path = Path(path)
    t = _seconds(_read(path, (time_column,))[time_column], path, time_column)
    t = np.sort(t - t.min() - start_s)
    t = t[t >= 0.0] * time_scale
    if len(t) == 0:
        raise TraceError(f"{path}: no request at or after start_s {start_s}")
    # the period ends one mean gap after the last request, so a loop has no double time
    period = float(t[-1] + (t[-1] - t[0]) / max(len(t) - 1, 1)) if len(t) > 1 else 1.0
    return TraceLoad(t, max(period, 1e-9), loop)


def read_count_trace(path: str | Path, time_column: str = "t_s",
                     count_column: str = "requests", *, start_s: float = 0.0,
                     time_scale: float = 1.0, loop: bool = True, seed: int = 0) -> CountLoad:
    """One row per fixed interval: its start time and how many requests arrived in it."""
    path = Path(path)
    df = _read(path, (time_column, count_column))
    t = _seconds(df[time_column], path, time_column)
    counts = pd.to_numeric(df[count_column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0) | (counts != np.floor(counts)))
    if len(bad):
        raise TraceError(f"{path}: line {bad[0] + 2}: {count_column} "
                         f"{df[count_column].iat[bad[0]]!r}: must be a whole number >= 0")
    order = np.argsort(t, kind="stable")
    t, counts = t[order] - t.min(), counts[order]
    gaps = np.diff(t)
    if len(gaps) and (gaps.min() <= 0 or not np.allclose(gaps, gaps[0], rtol=1e-6)):
        raise TraceError(f"{path}: {time_column} must be at a fixed interval (seen gaps "
                         f"{gaps.min():g} to {gaps.max():g} s)")
    interval = float(gaps[0]) if len(gaps) else 1.0
    first = math.ceil(start_s / interval - 1e-9)  # whole intervals at or after start_s
    counts = counts[first:].astype(np.int64)
    if len(counts) == 0:
        raise TraceError(f"{path}: no interval at or after start_s {start_s}")
    return CountLoad(interval * time_scale, counts, loop, seed)


@dataclass(frozen=True, eq=False)
class CountLoad:
    """Requests replayed from per-interval counts: ``counts[i]`` requests in
    ``[i·interval_s, (i+1)·interval_s)`` of simulated time, repeated when ``loop``."""

    interval_s: float
    counts: np.ndarray
    loop: bool = True
    seed: int = 0

    is_trace = True

    @property
    def period_s(self) -> float:
        return self.interval_s * len(self.counts)

    @property
    def mean_per_s(self) -> float:
        return float(self.counts.sum()) / self.period_s

    @functools.cached_property
    def _cumulative(self) -> np.ndarray:
        """Requests before each interval (and in all of them, last)."""
        return np.concatenate([[0], np.cumsum(self.counts)]).astype(float)

    def _count_before(self, t_s: np.ndarray) -> np.ndarray:
        """Expected requests in ``[0, t)``: whole intervals, and a part of one pro rata."""
        n = len(self.counts)
        cum = self._cumulative
        t = np.asarray(t_s, dtype=float)
        if self.loop:
            laps = np.floor(t / self.period_s)
            t = t - laps * self.period_s
        else:
            laps, t = np.zeros_like(t), np.minimum(t, self.period_s)
        i = np.minimum((t / self.interval_s).astype(np.int64), n - 1)
        part = np.clip(t / self.interval_s - i, 0.0, 1.0)
        return laps * cum[-1] + cum[i] + part * self.counts[i]

    def profile(self, edges: np.ndarray) -> LoadProfile:
        counts = np.diff(self._count_before(edges))
        dur = np.diff(edges)
        return LoadProfile(tuple(dur.tolist()), tuple((counts / dur).tolist()))

    def arrivals(self, rng: np.random.Generator | None, t0_s: float, t1_s: float) -> np.ndarray:
        """The requests arriving in ``[t0, t1)`` (``rng`` unused: an interval's requests
        come from its own stream)."""
        n, out = len(self.counts), []
        g0, g1 = math.floor(t0_s / self.interval_s), math.ceil(t1_s / self.interval_s)
        for g in range(max(g0, 0), g1 if self.loop else min(g1, n)):
            k = int(self.counts[g % n])
            if k:
                u = np.random.default_rng((self.seed, g)).random(k)
                out.append((g + np.sort(u)) * self.interval_s)
        if not out:
            return np.zeros(0)
        t = np.concatenate(out)
        return t[(t >= t0_s) & (t < t1_s)]

    def peak_per_s(self, slice_s: float) -> float:
        """The highest mean rate over a slice of ``slice_s`` in one period."""
        edges = slices(0.0, self.period_s, min(slice_s, self.period_s))
        return self.profile(edges).peak_per_s
