"""Readers for public traces: Philly DNN jobs and Azure LLM request arrivals.

Every reader validates the whole file and raises :class:`TraceError` naming the file,
the line number (1 = header) and the bad value of the first bad row. Times are
seconds from the earliest timestamp in the file; timestamps are ISO 8601, those without
a zone taken as UTC (so a file mixing zones is still ordered correctly).
"""

from __future__ import annotations

import csv
import itertools
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from fedsim.errors import FedsimWarning, ScenarioError, TraceError
from fedsim.world.jobs import JobBatch, draw_job_types

PHILLY_COLUMNS = ("timestamp", "duration", "num_gpus", "cluster")
AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")


def read_philly(
    path: str | Path,
    cluster_to_provider: Mapping[str, str],
    t_start_s: float,
    t_end_s: float | None,
    rng: np.random.Generator,
    job_types: tuple[str, ...],
    job_type_mix: Mapping[str, float],
    reference_duration: Literal["as_is"] = "as_is",
) -> dict[str, JobBatch]:
    """Jobs of a Philly trace (``timestamp,duration,num_gpus,gpu_time,cluster``), by provider.

    Time 0 is the earliest ``timestamp`` in the whole file (all clusters). Jobs arriving in
    ``[t_start_s, t_end_s)`` are kept and shifted so that ``t_start_s`` becomes 0 (the
    simulation's start). Rows of clusters not in ``cluster_to_provider`` are dropped; every
    provider named there gets a batch, possibly empty. ``duration`` is taken as the
    reference-GPU run time of the whole gang of ``num_gpus`` (``reference_duration="as_is"``,
    the only mode). The trace has no job type: one is drawn per row of the file, in file
    order, from ``job_type_mix`` with ``rng``, so a row's type does not depend on the window
    or the mapping. ``gpu_time`` is not read (it equals ``duration · num_gpus``).
    """
    if reference_duration != "as_is":
        raise ScenarioError(
            f"reference_duration: only 'as_is' is supported, got {reference_duration!r}"
        )
    if t_end_s is not None and not t_end_s > t_start_s:
        raise ScenarioError(f"trace window: t_end_s ({t_end_s}) must be > t_start_s ({t_start_s})")
    draw_job_types(rng, 0, job_type_mix, job_types)  # validate before reading

    df = _read_csv(path, PHILLY_COLUMNS)
    line = df["line"].to_numpy()
    ts = pd.to_datetime(df["timestamp"].str.strip(), format="ISO8601", errors="coerce", utc=True)
    duration_s = _numeric(df["duration"])
    n_gpus = _numeric(df["num_gpus"])
    with np.errstate(invalid="ignore"):
        _first_error(
            path,
            df,
            [
                ("timestamp", ts.isna().to_numpy(), "unparsable timestamp"),
                (
                    "duration",
                    ~(np.isfinite(duration_s) & (duration_s >= 0)),
                    "must be a number >= 0",
                ),
                (
                    "num_gpus",
                    ~((n_gpus >= 1) & (n_gpus == np.floor(n_gpus))),
                    "must be an integer >= 1",
                ),
            ],
        )
    job_type = draw_job_types(rng, len(df), job_type_mix, job_types)
    t_s = _seconds_from_first(ts)

    cluster = df["cluster"].str.strip().to_numpy(dtype=object)
    in_window = t_s >= t_start_s
    if t_end_s is not None:
        in_window &= t_s < t_end_s
    _check_mapping(path, cluster, in_window, t_s, cluster_to_provider)
    out: dict[str, JobBatch] = {}
    for provider in dict.fromkeys(cluster_to_provider.values()):
        clusters = [c for c, p in cluster_to_provider.items() if p == provider]
        rows = np.flatnonzero(in_window & np.isin(cluster, clusters))
        rows = rows[np.argsort(t_s[rows], kind="stable")]  # ties keep file order
        out[provider] = JobBatch(
            t_s[rows] - t_start_s,
            n_gpus[rows].astype(np.int64),
            job_type[rows],
            duration_s[rows],
            line[rows],
            tuple(job_types),
        )
    return out


def _check_mapping(
    path: str | Path,
    cluster: np.ndarray,
    in_window: np.ndarray,
    t_s: np.ndarray,
    cluster_to_provider: Mapping[str, str],
) -> None:
    """An empty window is an error; a mapped cluster with no jobs in it, a warning."""
    mapped = list(cluster_to_provider)
    present = np.isin(cluster, mapped)
    window_jobs = {c: int(np.sum(in_window & (cluster == c))) for c in mapped}
    if not any(window_jobs.values()):
        span = f"{t_s.min():,.0f}-{t_s.max():,.0f} s" if len(t_s) else "empty"
        raise TraceError(
            f"{Path(path)}: no job of the mapped clusters ({', '.join(mapped)}) arrives in "
            f"the window (start_s to start_s + horizon_s); they have {int(present.sum()):,} "
            f"jobs in all and the trace spans {span} from its first job"
        )
    idle = [c for c, n in window_jobs.items() if n == 0]
    if idle:
        known = int(np.unique(cluster).size)
        warnings.warn(
            f"{Path(path)}: cluster(s) {', '.join(idle)} have no jobs in the window "
            f"(the trace has {known} clusters; the others mapped have "
            f"{sum(window_jobs.values()):,} jobs)",
            FedsimWarning,
            stacklevel=3,
        )


def philly_cluster_sizes(path: str | Path) -> pd.Series:
    """Number of jobs per virtual cluster of a Philly-format trace, largest first (ties by name)."""
    df = _read_csv(path, ("cluster",))
    counts = df["cluster"].str.strip().value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    return counts.loc[order].rename("n_jobs").rename_axis("cluster").astype(np.int64)


def read_azure_llm(path: str | Path) -> pd.DataFrame:
    """Requests of an Azure LLM trace (``TIMESTAMP,ContextTokens,GeneratedTokens``).

    Returns ``arrival_s`` (seconds from the earliest request), ``context_tokens``,
    ``generated_tokens`` and ``source_line``, sorted by arrival (ties in file order).
    """
    df = _read_csv(path, AZURE_COLUMNS)
    ts = pd.to_datetime(df["TIMESTAMP"].str.strip(), format="ISO8601", errors="coerce", utc=True)
    ctx = _numeric(df["ContextTokens"])
    gen = _numeric(df["GeneratedTokens"])
    with np.errstate(invalid="ignore"):
        _first_error(
            path,
            df,
            [
                ("TIMESTAMP", ts.isna().to_numpy(), "unparsable timestamp"),
                (
                    "ContextTokens",
                    ~((ctx >= 0) & (ctx == np.floor(ctx))),
                    "must be an integer >= 0",
                ),
                (
                    "GeneratedTokens",
                    ~((gen >= 0) & (gen == np.floor(gen))),
                    "must be an integer >= 0",
                ),
            ],
        )
    t_s = _seconds_from_first(ts)
    order = np.argsort(t_s, kind="stable")
    return pd.DataFrame(
        {
            "arrival_s": t_s[order],
            "context_tokens": ctx[order].astype(np.int64),
            "generated_tokens": gen[order].astype(np.int64),
            "source_line": df["line"].to_numpy()[order],
        }
    )


def read_azure_llm_arrivals(path: str | Path) -> np.ndarray:
    """Sorted request arrival times (s) from the first request, for request-arrival replay."""
    return read_azure_llm(path)["arrival_s"].to_numpy()


def _read_csv(path: str | Path, required: tuple[str, ...]) -> pd.DataFrame:
    """All columns as stripped-able strings, blank lines dropped, plus the 1-based ``line``."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except FileNotFoundError:
        raise TraceError(f"{path}: file not found") from None
    except pd.errors.EmptyDataError:
        raise TraceError(f"{path}: line 1: empty file, expected a header") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise TraceError(_parser_message(path, exc)) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise TraceError(f"{path}: line 1: missing column(s) {missing}; found {list(df.columns)}")
    _check_field_counts(path, len(df.columns))
    df["line"] = np.arange(2, len(df) + 2)  # no quoted newlines in these formats
    blank = np.ones(len(df), dtype=bool)
    for c in df.columns.drop("line"):
        blank &= (df[c].str.strip() == "").to_numpy()
    df = df[~blank].reset_index(drop=True)
    if df.empty:
        raise TraceError(f"{path}: no data rows")
    return df


def _check_field_counts(path: Path, n_fields: int) -> None:
    """pandas pads a short row with empty fields; a truncated row is an error instead."""
    with path.open(newline="", errors="replace") as f:
        reader = csv.reader(f)
        for row in reader:
            if row and len(row) < n_fields:
                raise TraceError(
                    f"{path}: line {reader.line_num}: expected {n_fields} fields, saw "
                    f"{len(row)}: {','.join(row)!r} (truncated row?)"
                )


def _parser_message(path: Path, exc: Exception) -> str:
    """``file: line N: expected k fields, saw m: '<the line>'`` from pandas' tokenizer error."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if not m:
        return f"{path}: unreadable CSV: {' '.join(str(exc).split())}"
    line = int(m.group(2))
    with path.open(errors="replace") as f:
        text = next(itertools.islice(f, line - 1, None), "").rstrip("\n")
    return f"{path}: line {line}: expected {m.group(1)} fields, saw {m.group(3)}: {text!r}"


def _first_error(
    path: str | Path, df: pd.DataFrame, checks: list[tuple[str, np.ndarray, str]]
) -> None:
    """Raise TraceError for the earliest row failing any check (column, bad mask, message)."""
    firsts = [(int(np.argmax(bad)), col, msg) for col, bad, msg in checks if bad.any()]
    if firsts:
        row, col, msg = min(firsts, key=lambda f: f[0])
        raise TraceError(
            f"{Path(path)}: line {df['line'].iat[row]}: {col} {df[col].iat[row]!r}: {msg}"
        )


def _numeric(col: pd.Series) -> np.ndarray:
    """Floats, NaN where unparsable (fast path first: the C float parser)."""
    try:
        return col.astype("float64").to_numpy()
    except (TypeError, ValueError):
        return pd.to_numeric(col.str.strip(), errors="coerce").to_numpy(dtype=float)


def _seconds_from_first(ts: pd.Series) -> np.ndarray:
    return ((ts - ts.min()) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
