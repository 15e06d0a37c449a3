"""The calibration profile: a CSV of measured times with provenance on every row.

This module must not import torch: the simulator and the throughput model read profiles
on machines without it.

Columns (in this order):

- ``kind``: ``compute`` (one full training step), ``allreduce`` (one collective) or
  ``web`` (one request through the web handler);
- ``model``: the built-in model's name (``allreduce`` rows name the backend, e.g. ``gloo``);
- ``device``: ``cpu`` or ``cuda``;
- ``batch_size``: samples per step (``compute``), 1 (``web``), 0 for ``allreduce``;
- ``n_workers``: processes in the collective (``allreduce``), 1 otherwise;
- ``message_bytes``: the all-reduced tensor (``allreduce``); for ``compute`` the bytes of
  the model's gradients, i.e. what data parallel would all-reduce per step; 0 for ``web``;
- ``time_s``: median seconds per step / collective / request;
- ``iqr_over_median``: interquartile range over the median, the noise floor;
- ``repeats``: how many timed repeats the median is over;
- provenance: ``device_name``, ``torch_version``, ``threads`` (intra-op threads the row
  was measured with), ``date`` (ISO 8601, UTC), ``fedsim_version``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from fedsim.errors import FedsimError

KINDS: tuple[str, ...] = ("compute", "allreduce", "web")
DEVICES: tuple[str, ...] = ("cpu", "cuda")
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "device_name",
    "torch_version",
    "threads",
    "date",
    "fedsim_version",
)
COLUMNS: tuple[str, ...] = (
    "kind",
    "model",
    "device",
    "batch_size",
    "n_workers",
    "message_bytes",
    "time_s",
    "iqr_over_median",
    "repeats",
    *PROVENANCE_COLUMNS,
)
_INT_COLUMNS: tuple[str, ...] = ("batch_size", "n_workers", "message_bytes", "repeats", "threads")
_FLOAT_COLUMNS: tuple[str, ...] = ("time_s", "iqr_over_median")
_TEXT_COLUMNS: tuple[str, ...] = (
    "kind",
    "model",
    "device",
    "device_name",
    "torch_version",
    "date",
    "fedsim_version",
)


def _row_error(row: pd.Series) -> str | None:
    """What is wrong with one row, or None; checked cell by cell so the message is precise."""
    for col in _TEXT_COLUMNS:
        value = row[col]
        if not isinstance(value, str) or not value.strip():
            return f"{col} is empty"
    if row["kind"] not in KINDS:
        return f"kind {row['kind']!r} is not one of {', '.join(KINDS)}"
    if row["device"] not in DEVICES:
        return f"device {row['device']!r} is not one of {', '.join(DEVICES)}"
    for col in _INT_COLUMNS:
        value = pd.to_numeric(row[col], errors="coerce")
        if pd.isna(value) or value != int(value) or value < 0:
            return f"{col} must be a non-negative integer, got {row[col]!r}"
    for col in _FLOAT_COLUMNS:
        value = pd.to_numeric(row[col], errors="coerce")
        if pd.isna(value) or not math.isfinite(value) or value < 0:
            return f"{col} must be a finite number ≥ 0, got {row[col]!r}"
    if float(row["time_s"]) <= 0:
        return f"time_s must be > 0, got {row['time_s']!r}"
    if int(row["repeats"]) < 1 or int(row["n_workers"]) < 1 or int(row["threads"]) < 1:
        return "repeats, n_workers and threads must be ≥ 1"
    return None


def validate_profile(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check columns and every row; return the frame with proper dtypes.

    ``source`` names the file in error messages. Extra columns are kept, so that a newer
    fedsim can add provenance without breaking older readers.
    """
    missing = [col for col in COLUMNS if col not in df.columns]
    if missing:
        raise FedsimError(f"profile {source}: missing column(s) {', '.join(missing)}")
    if df.empty:
        raise FedsimError(f"profile {source}: no rows")
    for index, row in df.iterrows():
        error = _row_error(row)
        if error is not None:
            # line 1 is the header, so row i is on line i + 2
            raise FedsimError(f"profile {source}, line {int(index) + 2}: {error}")  # type: ignore[call-overload]
    out = df.copy()
    for col in _INT_COLUMNS:
        out[col] = pd.to_numeric(out[col]).astype("int64")
    for col in _FLOAT_COLUMNS:
        out[col] = pd.to_numeric(out[col]).astype("float64")
    return out


def read_profile(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a calibration profile; a bad file raises FedsimError naming it."""
    path = Path(path)
    if not path.is_file():
        raise FedsimError(f"profile {path}: no such file")
    try:
        # text columns as str so that e.g. a torch version "2.13" is not turned into a float
        df = pd.read_csv(path, dtype={col: str for col in _TEXT_COLUMNS}, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FedsimError(f"profile {path}: not a readable CSV ({exc})") from None
    return validate_profile(df, str(path))


def is_profile_file(path: Path) -> bool:
    """Whether ``path`` looks like a profile fedsim wrote (its header has every column)."""
    try:
        with open(path, newline="", errors="replace") as f:
            header = f.readline().strip().split(",")
    except OSError:
        return False
    return all(col in header for col in COLUMNS)


def write_profile(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Validate and write a profile atomically: a reader never sees a half-written file.
    An existing file is replaced only if it is itself a profile (fedsim wrote it)."""
    from fedsim.results.owned import check_owned_file, write_atomic

    path = Path(path)
    df = validate_profile(df, str(path))
    check_owned_file(path, is_profile_file, "calibration profile")
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = df.loc[:, [*COLUMNS, *[c for c in df.columns if c not in COLUMNS]]]
    write_atomic(path, lambda tmp: ordered.to_csv(tmp, index=False))
    return path
