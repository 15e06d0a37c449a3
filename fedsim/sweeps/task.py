"""What a worker does with one spec: simulate it and return its small result.

The worker only computes; the parent stores what comes back, so a backend whose
workers run on other machines needs no shared disk."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from fedsim.sweeps.spec import RunSpec
from fedsim.sweeps.store import RunRecord

if TYPE_CHECKING:
    from fedsim.engine.web_memos import WebMemos


@functools.cache  # one per process (imported here, not by a driver that only stores)
def web_memos() -> WebMemos:
    """This process's web plans, shared by the runs it does one after another: keyed by
    all they depend on, so a run is the same whatever ran before it here."""
    from fedsim.engine.web_memos import WebMemos

    return WebMemos()


def execute(spec: RunSpec) -> RunRecord:
    """Simulate ``spec``; its unpaired metrics plus per-provider and per-epoch tables."""
    from fedsim.analysis.run_metrics import EpochRecorder, provider_totals, run_metrics
    from fedsim.api import simulate

    started = time.perf_counter()
    scenario = spec.scenario()
    recorder = EpochRecorder(coalition_values=spec.coalition_values)
    tables = simulate(scenario, observer=recorder, trust_code=spec.trust_code,
                      web_memos=web_memos())
    result = run_metrics(tables, scenario.member_names, recorder)
    result["timing"] = {
        "wall_s": time.perf_counter() - started,
        "simulation_s": tables.wall_s,
        "mechanism_s": tables.mechanism_s,
    }
    epochs = tables.epochs.merge(recorder.frame(), on="epoch", how="left")
    return RunRecord(
        key=spec.key,
        spec=spec.describe(),
        result=result,
        tables={"providers": provider_totals(tables.ledger), "epochs": epochs},
    )
