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
    """

    name: ClassVar[str]
    summary: ClassVar[str]

    def clear(self, market: Market) -> Clearing: ...
