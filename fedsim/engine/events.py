"""The event log of a run: columnar lists while running, a DataFrame at the end."""

from __future__ import annotations

from operator import itemgetter

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
    "burst_start",
    "burst_finish",
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
        # column by column from the tuples (several times faster than from_records on the
        # millions of rows of a long run; and itemgetter 3x faster than zip(*rows), which
        # makes one iterator per row)
        t_s, kind, job, owner, host, resource, units = (
            list(map(itemgetter(k), self.rows)) for k in range(7)
        )
        kind_code = {k: i for i, k in enumerate(KINDS)}
        detail = [""] * len(self.rows)
        for k, text in self.detail.items():
            detail[k] = text

        def names(col: list, labels: tuple[str, ...]) -> pd.Categorical:
            return pd.Categorical.from_codes(np.array(col, dtype=np.int64),
                                             categories=list(labels))

        return pd.DataFrame(
            {
                "t_s": np.array(t_s, dtype=np.float64),
                "kind": pd.Categorical.from_codes(
                    np.array([kind_code[k] for k in kind], dtype=np.int64), categories=list(KINDS)
                ),
                "job": np.array(job, dtype=np.int64),
                "owner": names(owner, providers),
                "host": names(host, providers),
                "resource": names(resource, resources),
                "units": np.array(units, dtype=np.float64),
                "detail": detail,
            }
        )
