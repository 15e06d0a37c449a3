"""Configurations of one job type: the same model at other local batch sizes, and with
parameter servers instead of an all-reduce.

An affinity table keys a configuration as ``family[/batch][/ps<servers>]``: Gavel's
table already names its job types ``model/batch`` (``ResNet-50/64``); a calibration
profile's job (``rec``, at the batch size its scenario entry states) gains the variants
a provider's ``configuration`` asks for (``rec/128``, ``rec/64/ps2``), tabulated by the
throughput model and appended after the scenario's own job types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fedsim.config.schema import Scenario

_KEY = re.compile(r"^(?P<family>.+?)(?:/(?P<batch>\d+))?(?:/ps(?P<ps>\d+))?$")


@dataclass(frozen=True)
class Variant:
    """A job type as one configuration of its family (``batch`` None: not stated)."""

    key: str
    family: str
    batch: int | None
    ps: int

    @property
    def config(self) -> tuple[int | None, int]:
        return self.batch, self.ps


def variant_key(family: str, batch: int, ps: int) -> str:
    return f"{family}/{batch}" + (f"/ps{ps}" if ps else "")


def parse_variant(key: str, stated_batch: Mapping[str, int] | None = None) -> Variant:
    """``ResNet-50/64`` → (ResNet-50, 64, 0); a profile's own job ``rec`` takes the batch
    size its scenario entry states (``stated_batch``)."""
    match = _KEY.match(key)
    assert match is not None  # the pattern accepts any non-empty key
    family = match["family"]
    batch = int(match["batch"]) if match["batch"] else None
    if batch is None and stated_batch is not None:
        batch = stated_batch.get(key)
    return Variant(key, family, batch, int(match["ps"] or 0))


def families(job_types: tuple[str, ...],
             stated_batch: Mapping[str, int] | None = None) -> dict[str, list[Variant]]:
    """Every job type of a table, grouped by family (in the table's order)."""
    out: dict[str, list[Variant]] = {}
    for key in job_types:
        v = parse_variant(key, stated_batch)
        out.setdefault(v.family, []).append(v)
    return out


def requested_variants(scenario: Scenario) -> set[tuple[int, int]]:
    """Every (local batch, servers) pair some provider's ``configuration`` may choose, for
    a calibration profile to tabulate (batch 0: each job's own stated batch size)."""
    wanted: set[tuple[int, int]] = set()
    for p in scenario.providers:
        cfg = p.dnn.configuration if p.dnn is not None else None
        if cfg is None or (cfg.batch_sizes is None and cfg.ps is None):
            continue
        servers = range(cfg.ps[0], cfg.ps[1] + 1) if cfg.ps is not None else (0,)
        for b in cfg.batch_sizes or (0,):
            wanted.update((b, s) for s in servers)
    return wanted
