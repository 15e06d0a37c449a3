"""The mechanism protocol: a pure function of a ``Market``."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from fedsim.market.types import Clearing, Market


@runtime_checkable
class Mechanism(Protocol):
    """A sharing and pricing rule.

    Implementations are frozen dataclasses whose fields are the rule's parameters
    (validated from the scenario's ``mechanism.params``); ``clear`` must not mutate
    the market, keep state between calls, or touch the simulation.

    A rule may also declare ``reads_clock: ClassVar[bool] = False`` to promise that
    ``clear`` does not read the market's ``epoch`` or ``t_s``: the engine then reuses
    its clearing when an epoch's market equals the previous one in everything else
    (a third of the Philly replay's epochs). Without the declaration it is asked
    every epoch.
    """

    name: ClassVar[str]
    summary: ClassVar[str]

    def clear(self, market: Market) -> Clearing: ...


def reads_clock(mechanism: object) -> bool:
    """Whether ``mechanism`` may depend on the epoch or time (undeclared: it may)."""
    return bool(getattr(mechanism, "reads_clock", True))
