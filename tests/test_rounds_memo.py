"""A reset whose allocation inputs equal a recent reset's reuses that allocation: the
run is the same, bit for bit, as solving every time (the second method: the memo
disabled), and the memory stays bounded."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fedsim.schedulers.max_min as max_min
import fedsim.schedulers.rounds as rounds
from fedsim.api import prepare
from fedsim.config import scenario_from_dict
from fedsim.engine.simulation import Simulation
from fedsim.mechanisms import make
from tests.helpers.scenarios import round_based_dict


def _run(policy: str, monkeypatch: pytest.MonkeyPatch, memo: bool) -> tuple[Any, int]:
    solves = itertools.count()
    share = max_min.max_min_share

    def counted(*args: Any) -> np.ndarray:
        next(solves)
        return share(*args)

    with monkeypatch.context() as m:
        m.setattr(max_min, "max_min_share", counted)
        if not memo:  # every key new: every reset solves
            fresh = itertools.count()
            m.setattr(max_min, "allocation_key", lambda *a: str(next(fresh)).encode())
        data = round_based_dict()
        data["local_scheduler"]["name"] = policy
        data["providers"][0]["dnn"]["gpu_mix"] = {1: 1.0}  # equal gangs: inputs repeat
        world = prepare(scenario_from_dict(data), limits=None).world
        result = Simulation(world, make("isolated")).run()
    return result, next(solves)


@pytest.mark.parametrize("policy", ["max_min_fairness_agnostic", "max_min_fairness"])
def test_reused_allocations_change_nothing(policy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reused, solved_reused = _run(policy, monkeypatch, memo=True)
    fresh, solved_fresh = _run(policy, monkeypatch, memo=False)
    assert solved_reused < solved_fresh  # some resets really reused an allocation
    if policy == "max_min_fairness_agnostic":  # equal throughputs: few distinct inputs
        assert solved_reused < solved_fresh / 3
    for table in ("events", "jobs", "ledger"):
        pd.testing.assert_frame_equal(getattr(reused, table), getattr(fresh, table),
                                      check_exact=True)


def test_the_key_tells_shapes_and_types_apart() -> None:
    a = np.ones((2, 3))
    keys = {rounds.allocation_key(a), rounds.allocation_key(a.reshape(3, 2)),
            rounds.allocation_key(a.astype(np.int64)), rounds.allocation_key(a, np.ones(1)),
            rounds.allocation_key(np.ones((2, 3), order="F"))}
    assert len(keys) == 4  # the Fortran-ordered copy is the same array: same key
    assert rounds.allocation_key(a) == rounds.allocation_key(np.ones((2, 3)))


def test_the_memory_keeps_the_most_recent_allocations_only() -> None:
    solved: list[int] = []

    def allocate(k: int) -> np.ndarray:
        solved.append(k)
        return np.full((1, 1), float(k))

    recent: tuple = ()
    sequence = [*range(rounds.RECENT_ALLOCATIONS + 1), 1, 0]
    for k in sequence:
        x, recent = rounds._allocation(None, lambda s, k=k: allocate(k),  # type: ignore[arg-type]
                                       lambda s, k=k: bytes([k]), recent)
        assert x[0, 0] == k and not x.flags.writeable
    assert len(recent) == rounds.RECENT_ALLOCATIONS
    # 0 was the least recently used when the limit was passed, so it was solved again;
    # 1 was still kept
    assert solved == [*range(rounds.RECENT_ALLOCATIONS + 1), 0]
