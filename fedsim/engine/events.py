"""The event log of a run: columnar lists while running, a DataFrame at the end."""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = (
    "arrive",
    "reject",
    "start",
    "preempt",
    "finish",
    "market",
    "solve_failed",
    "schedule_failed",
    "web",
)


class EventLog:
    """Append-only log of ``(t_s, kind, job, owner, host, resource, units)`` rows;
    ``host``/``resource`` are indices (−1 when not applicable)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, str, int, int, int, int, float]] = []
        self.detail: dict[int, str] = {}
        # bound once: the engine appends hundreds of thousands of rows
        self.append = self.rows.append

    def add(
        self,
        t_s: float,
        kind: str,
        job: int,
        owner: int,
        host: int,
        resource: int,
        units: float,
        detail: str | None = None,
    ) -> None:
        if detail is not None:
            self.detail[len(self.rows)] = detail
        self.rows.append((t_s, kind, job, owner, host, resource, units))

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self, providers: tuple[str, ...], resources: tuple[str, ...]) -> pd.DataFrame:
        columns = ["t_s", "kind", "job", "owner", "host", "resource", "units"]
        raw = (
            pd.DataFrame.from_records(self.rows, columns=columns)
            if self.rows
            else pd.DataFrame(
                {
                    c: pd.Series(dtype="float64" if c in ("t_s", "units") else "int64")
                    for c in columns
                }
            )
        )
        detail = [""] * len(self.rows)
        for k, text in self.detail.items():
            detail[k] = text

        def names(col: str, labels: tuple[str, ...]) -> pd.Categorical:
            return pd.Categorical.from_codes(
                raw[col].to_numpy(dtype=np.int64), categories=list(labels)
            )

        return pd.DataFrame(
            {
                "t_s": raw["t_s"].astype("float64"),
                "kind": pd.Categorical(raw["kind"], categories=list(KINDS)),
                "job": raw["job"].astype("int64"),
                "owner": names("owner", providers),
                "host": names("host", providers),
                "resource": names("resource", resources),
                "units": raw["units"].astype("float64"),
                "detail": detail,
            }
        )
