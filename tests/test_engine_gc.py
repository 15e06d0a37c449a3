"""A run relaxes the garbage collector's thresholds while it runs, and only then."""

from __future__ import annotations

import gc

import pytest

from fedsim.api import prepare
from fedsim.config import scenario_from_dict
from fedsim.engine.clock import RUN_GC_THRESHOLD, relaxed_gc
from fedsim.engine.simulation import Simulation
from fedsim.mechanisms.lp_welfare import LPWelfare
from tests.helpers.scenarios import two_provider_dict


@pytest.fixture
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    yield
    gc.set_threshold(*saved)


def test_thresholds_are_raised_during_a_run_and_restored_after(default_thresholds) -> None:
    seen = []
    world = prepare(scenario_from_dict(two_provider_dict(horizon_s=3600)), limits=None).world
    Simulation(world, LPWelfare(), observer=lambda e, m, c: seen.append(gc.get_threshold())).run()
    assert seen and all(t == RUN_GC_THRESHOLD for t in seen)
    assert gc.get_threshold() == (700, 10, 10)


def test_higher_thresholds_are_kept_and_an_error_still_restores(default_thresholds) -> None:
    gc.set_threshold(100_000, 5, 500)
    with pytest.raises(RuntimeError), relaxed_gc():
        # each generation takes the larger of the user's and the run's threshold
        assert gc.get_threshold() == (100_000, 20, 500)
        raise RuntimeError("a failing run")
    assert gc.get_threshold() == (100_000, 5, 500)
