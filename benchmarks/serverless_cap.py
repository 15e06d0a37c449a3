"""How a serverless pool's price caps what a provider pays federation peers (issue 12).

    python benchmarks/serverless_cap.py [scenarios/serverless_burst.yaml]

Runs the scenario under ``posted_price`` at several markups (the host asks its busy cost
× (1 + markup) per GPU-hour), with the lab's serverless pool and without it, and prints
per run: the highest price per reference GPU-hour of work the lab paid the farm, the
pool's cost of the same work (the outside option), jobs moved to the farm, jobs burst to
the pool and the lab's profit. With the pool no trade is priced above the outside option;
without it the lab keeps buying up to its own value (price + wait penalty).
"""

from __future__ import annotations

import sys

import numpy as np

from fedsim.api import Result, prepare, run
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.events import EventLog
from fedsim.engine.ledger import Ledger
from fedsim.engine.serverless import ServerlessBursts
from fedsim.engine.world import World

MARKUPS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)


def outside_usd_per_gpu_h(scenario: str) -> dict[str, float]:
    """The lab's pool cost of one reference GPU-hour, per job type (1-GPU gangs)."""
    world = prepare(scenario).world
    bursts = ServerlessBursts(world, DnnCluster(world, Ledger(world.providers, 1, 1.0),
                                                EventLog(), lambda *a: None), lambda *a: None)
    return {name: bursts.outside_usd_per_gpu_h(0, k, 1)
            for k, name in enumerate(world.affinity.job_types)}


def trade_prices(result: Result, world: World) -> np.ndarray:
    """Price per reference GPU-hour of work of every placement from lab to farm."""
    c = result.clearings
    c = c[(c["placed_units"] > 0) & (c["owner"] == "lab") & (c["host"] == "farm")]
    out = []
    for demand, price, resource in zip(c["demand"], c["price_usd_per_unit_h"], c["resource"],
                                       strict=True):
        job_type = str(demand).split("/")[1]
        gpu = str(resource).split(":", 1)[1]
        speed = world.affinity.speedup(job_type, gpu, 1, world.reference_gpu)
        out.append(price / speed)  # a unit-hour on a GPU does `speed` reference hours
    return np.array(out)


def main(scenario: str = "scenarios/serverless_burst.yaml") -> None:
    outside = outside_usd_per_gpu_h(scenario)
    world = prepare(scenario).world
    print("outside option (pool cost per reference GPU-hour): "
          + ", ".join(f"{k} {v:.3f}" for k, v in outside.items()))
    print(f"{'markup':>6} {'pool':>5} {'max paid/ref-h':>15} {'moved':>6} {'burst':>6} "
          f"{'lab profit $':>12}")
    for markup in MARKUPS:
        for pool in (True, False):
            overrides = ["federation.mechanism.name=posted_price",
                         f"federation.mechanism.params.markup={markup}"]
            if not pool:
                overrides.append("providers[0].serverless=null")
            result = run(scenario, overrides=overrides, baseline=False)
            paid = trade_prices(result, world)
            lab = result.summary["providers"]["lab"]
            burst = lab.get("serverless", {}).get("jobs", 0)
            top = f"{paid.max():.3f}" if len(paid) else "-"
            print(f"{markup:>6g} {'yes' if pool else 'no':>5} {top:>15} "
                  f"{lab['jobs_run_remotely']:>6} {burst:>6} {lab['profit_usd']:>12,.0f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
