"""Find local schedulers by name: built-ins and the ``fedsim.schedulers`` entry-point
group (loaded lazily); a ``"module:Class"`` string only when the user trusts it outside
the scenario file (the same rule as mechanisms: :mod:`fedsim.config.trust`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fedsim.config.trust import PluginFamily
from fedsim.errors import PluginError
from fedsim.schedulers.base import LocalScheduler

ENTRY_POINT_GROUP = "fedsim.schedulers"

BUILTIN: Mapping[str, str] = {
    "fifo": "fedsim.schedulers.fifo:Fifo",
    "srtf": "fedsim.schedulers.srtf:Srtf",
    "las": "fedsim.schedulers.las:Las",
    "max_min_fairness": "fedsim.schedulers.max_min:MaxMinFairness",
    "max_min_fairness_agnostic": "fedsim.schedulers.max_min:MaxMinFairnessAgnostic",
    "finish_time_fairness": "fedsim.schedulers.finish_time:FinishTimeFairness",
    "makespan": "fedsim.schedulers.makespan:Makespan",
}


class SchedulerError(PluginError):
    """A scheduler name is unknown, untrusted, or its parameters are invalid."""


SCHEDULERS = PluginFamily(
    label="scheduler",
    group=ENTRY_POINT_GROUP,
    builtin=BUILTIN,
    methods=("schedule",),
    error=SchedulerError,
)


def available() -> dict[str, str]:
    """All registered scheduler names mapped to their ``"module:Class"`` targets."""
    return SCHEDULERS.available()


def make(
    name: str,
    params: Mapping[str, Any] | None = None,
    trusted: Iterable[str] = (),
    where: str | None = None,
) -> LocalScheduler:
    """Build a scheduler from its name and parameters (errors name the bad key)."""
    sched = SCHEDULERS.make(name, params, trusted, where)
    for attr, kind in (("default_round_s", (int, float)), ("preemptive", bool)):
        if not isinstance(getattr(sched, attr, None), kind):
            raise SchedulerError(
                f"{where or f'scheduler {name!r}'}: {type(sched).__name__} must declare "
                f"{attr} ({'seconds between decisions' if attr == 'default_round_s' else 'bool'})"
            )
    return sched


def describe(name: str) -> str:
    return SCHEDULERS.describe(name)


def parameters(name: str) -> list[dict[str, Any]]:
    """A scheduler's parameters: name, type and default."""
    return SCHEDULERS.parameters(name)
