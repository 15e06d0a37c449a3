"""Finished runs on disk: one directory per run key, written atomically.

``<root>/<key>/`` holds ``spec.json``, ``result.json`` and a few small Parquet
tables. A run's directory appears all at once (written under a hidden temporary
name, then renamed), so a crash leaves either the whole result or nothing, and a
run whose directory exists is finished.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fedsim.errors import OutputError
from fedsim.results.owned import RUN_KEY, OwnedDir, describe_os_error, fresh_dir


def json_safe(value: Any) -> Any:
    """Nested data with NaN/inf replaced by ``None`` (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    return value


@dataclass(frozen=True)
class RunRecord:
    """One finished run: its key, spec description, result dict and small tables."""

    key: str
    spec: Mapping[str, Any]
    result: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)


class RunStore:
    """The directory of finished runs of a sweep (claimed as a fedsim ``runs`` folder:
    it is new, empty, or an earlier run store; nothing else is written into)."""

    def __init__(self, root: str | Path) -> None:
        self.root = OwnedDir(root, "runs").path

    def path(self, key: str) -> Path:
        return self.root / key

    def has(self, key: str) -> bool:
        return (self.path(key) / "result.json").is_file()

    def save(self, record: RunRecord) -> Path:
        """Write a run atomically; if it is already there, keep the existing copy
        (equal keys are the same deterministic simulation)."""
        target = self.path(record.key)
        try:
            tmp = fresh_dir(self.root, f".fedsim-tmp-{record.key}-")
        except OSError as exc:
            raise OutputError(
                f"{self.root}: cannot store a run: {describe_os_error(exc)}"
            ) from None
        try:
            for name, frame in record.tables.items():
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "spec.json").write_text(json.dumps(json_safe(record.spec), indent=2) + "\n")
            # result.json last: its presence marks a complete directory
            (tmp / "result.json").write_text(
                json.dumps(json_safe(record.result), indent=2, allow_nan=False) + "\n"
            )
            if not self.has(record.key):
                try:
                    os.replace(tmp, target)
                except OSError:
                    if not self.has(record.key):  # not a concurrent writer: a real failure
                        raise
        except OSError as exc:
            raise OutputError(f"{target}: cannot store the run: {describe_os_error(exc)}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # a fresh folder of ours (empty if renamed)
        return target

    def load(self, key: str, tables: bool = False) -> RunRecord:
        """Read a finished run (its Parquet tables too when ``tables``)."""
        path = self.path(key)
        frames = (
            {p.stem: pd.read_parquet(p) for p in sorted(path.glob("*.parquet"))} if tables else {}
        )
        return RunRecord(
            key=key,
            spec=json.loads((path / "spec.json").read_text()),
            result=json.loads((path / "result.json").read_text()),
            tables=frames,
        )

    def finished(self) -> list[str]:
        """Keys of the finished runs, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if RUN_KEY.match(p.name) and self.has(p.name)
        )
