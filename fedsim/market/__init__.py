"""Market snapshots and clearings: the contract between the engine and mechanisms."""

from fedsim.market.types import Clearing, Market

__all__ = ["Clearing", "Market"]
