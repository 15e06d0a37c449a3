"""A failed solve is an event in the log, and that epoch falls back to ``isolated``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fedsim.api import run
from fedsim.config import scenario_from_dict
from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp import SolveError
from tests.helpers.scenarios import two_provider_dict


@dataclass(frozen=True)
class FailsEveryOtherEpoch:
    """Raises like an infeasible LP on odd epochs, trades nothing on even ones."""

    name: ClassVar[str] = "flaky"
    summary: ClassVar[str] = "test double"

    def clear(self, market: Market) -> Clearing:
        if market.epoch % 2:
            raise SolveError(f"epoch {market.epoch}: solver reported infeasible")
        return Clearing.empty(market)


def test_failed_solve_is_logged_and_falls_back_to_isolated() -> None:
    data = two_provider_dict(horizon_s=6 * 3600)
    data["federation"]["mechanism"] = {"name": f"{__name__}:FailsEveryOtherEpoch"}
    name = data["federation"]["mechanism"]["name"]
    result = run(scenario_from_dict(data), baseline=False, trust_code=[name])
    failed = result.events[result.events["kind"] == "solve_failed"]
    epochs = result.epochs
    assert len(failed) == int(epochs["fallback"].sum()) > 0
    assert failed["detail"].str.contains("infeasible").all()
    assert set(epochs.loc[epochs["fallback"], "epoch"] % 2) == {1}
    assert result.summary["federation"]["solve_failures"] == len(failed)
    # fallback epochs never place work across providers (isolated), and the run completes
    cl = result.clearings
    moved = cl[(cl["owner"] != cl["host"]) & (cl["placed_units"] > 0)]
    assert moved.empty
    assert result.ledger["profit_usd"].notna().all()
