"""The event log of a run: columnar lists while running, a DataFrame at the end."""

from __future__ import annotations

import pandas as pd

KINDS = ("arrive", "reject", "start", "finish", "market", "solve_failed", "web")


class EventLog:
    """Append-only log; ``host``/``resource`` are indices (−1 when not applicable)."""

    def __init__(self) -> None:
        self.t_s: list[float] = []
        self.kind: list[str] = []
        self.job: list[int] = []
        self.owner: list[int] = []
        self.host: list[int] = []
        self.resource: list[int] = []
        self.units: list[float] = []
        self.detail: dict[int, str] = {}

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
            self.detail[len(self.t_s)] = detail
        self.t_s.append(t_s)
        self.kind.append(kind)
        self.job.append(job)
        self.owner.append(owner)
        self.host.append(host)
        self.resource.append(resource)
        self.units.append(units)

    def __len__(self) -> int:
        return len(self.t_s)

    def to_frame(self, providers: tuple[str, ...], resources: tuple[str, ...]) -> pd.DataFrame:
        def names(idx: list[int], labels: tuple[str, ...]) -> pd.Categorical:
            codes = pd.array(idx, dtype="int64")
            return pd.Categorical.from_codes(codes.to_numpy(), categories=list(labels))

        detail = [""] * len(self.t_s)
        for k, text in self.detail.items():
            detail[k] = text
        return pd.DataFrame(
            {
                "t_s": pd.array(self.t_s, dtype="float64"),
                "kind": pd.Categorical(self.kind, categories=list(KINDS)),
                "job": pd.array(self.job, dtype="int64"),
                "owner": names(self.owner, providers),
                "host": names(self.host, providers),
                "resource": names(self.resource, resources),
                "units": pd.array(self.units, dtype="float64"),
                "detail": detail,
            }
        )
