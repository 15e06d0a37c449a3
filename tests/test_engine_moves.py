"""A job a round moves to another GPU type is stopped and started at the same instant;
the engine skips the queue for it (it would leave the queue as it joined it, after a
wait of 0 s). The second method here is the engine going through the queue for every
move: the run must be the same, bit for bit, with every job moving often."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fedsim.api import prepare
from fedsim.config import scenario_from_dict
from fedsim.engine.simulation import Simulation
from fedsim.mechanisms import make


def _scenario() -> dict[str, Any]:
    # Heterogeneity-agnostic max-min in short rounds on two types, more jobs than GPUs:
    # types are visited in a new random order each round, so running jobs keep moving.
    return {
        "name": "moves", "seed": 3, "horizon_s": 3 * 86400.0,
        "affinity": {"reference_gpu": "k80", "dataset_gb": 0,
                     "table": {"m": {"k80": 1.0, "v100": 2.5}, "n": {"k80": 1.0, "v100": 1.5}}},
        "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 3600},
        "local_scheduler": {"name": "max_min_fairness_agnostic", "round_s": 300,
                            "preemption_cost_s": 20},
        "providers": [{
            "name": "A", "pools": {"gpu:k80": 4, "gpu:v100": 4},
            "prices": {"dnn_usd_per_gpu_h": 1.0, "dnn_wait_penalty_usd_per_gpu_h": 0.3},
            "dnn": {"rate_per_h": 4, "gpu_mix": {1: 0.7, 2: 0.3},
                    "duration": {"dist": "lognormal", "median_s": 5400, "sigma": 0.7},
                    "job_type_mix": {"m": 0.5, "n": 0.5}},
        }],
    }


def _run(through_queue: bool) -> Any:
    world = prepare(scenario_from_dict(_scenario()), limits=None).world
    sim = Simulation(world, make("isolated"))
    if through_queue:  # every stop waits in the queue, every start leaves it
        dnn = sim.dnn
        sim.local.stop = lambda j, t_s, requeue: dnn.preempt(j, t_s, True)
        sim.local.start = lambda j, host, g, t_s, price, queued: dnn.start(j, host, g, t_s,
                                                                           price, True)
    return sim.run()


def test_a_move_skips_the_queue_and_changes_nothing_else() -> None:
    fast, slow = _run(False), _run(True)
    events = fast.events
    starts = events[events["kind"] == "start"]
    preempts = events[events["kind"] == "preempt"]
    moves = starts.merge(preempts, on=["t_s", "job"], suffixes=("", "_stop"))
    moves = moves[moves["resource"] != moves["resource_stop"]]
    assert len(moves) > 100  # jobs really moved between types, often
    assert fast.jobs["preemptions"].sum() >= len(moves)
    for table in ("events", "jobs", "ledger", "epochs"):
        pd.testing.assert_frame_equal(getattr(fast, table), getattr(slow, table),
                                      check_exact=True)
