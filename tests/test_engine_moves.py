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
from tests.helpers.scenarios import round_based_dict


def _run(through_queue: bool) -> Any:
    world = prepare(scenario_from_dict(round_based_dict()), limits=None).world
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
