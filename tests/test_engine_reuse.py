"""An epoch whose market equals the previous one's reuses a clock-free rule's clearing;
an epoch whose queues and pools did not change reuses the last snapshot.

A mechanism is a pure function of its ``Market``; one that declares
``reads_clock = False`` does not look at ``epoch`` or ``t_s``, so the engine may answer
an identical market with the previous clearing instead of solving again. The run must
be the same, bit for bit, and the rule asked exactly once per distinct market (counted
here with a comparison written independently of ``Market.same_but_clock``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.engine import web_plan
from fedsim.engine.clearing_checks import can_trade
from fedsim.engine.market_builder import Snapshot, Snapshots, build_snapshot
from fedsim.engine.simulation import Simulation
from fedsim.engine.web_plan import WebPlan
from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp_welfare import LPWelfare
from tests.helpers.scenarios import two_provider_dict

CALLS: list[int] = []


@dataclass(frozen=True)
class CountedClockFree:
    name: ClassVar[str] = "counted_clock_free"
    summary: ClassVar[str] = "lp_welfare, counting its calls; promises not to read the clock"
    reads_clock: ClassVar[bool] = False

    def clear(self, market: Market) -> Clearing:
        CALLS.append(market.epoch)
        return LPWelfare().clear(market)


@dataclass(frozen=True)
class CountedUndeclared:
    name: ClassVar[str] = "counted_undeclared"
    summary: ClassVar[str] = "lp_welfare, counting its calls; says nothing about the clock"

    def clear(self, market: Market) -> Clearing:
        CALLS.append(market.epoch)
        return LPWelfare().clear(market)


def _equal_but_clock(a: Market, b: Market) -> bool:
    for f in dataclasses.fields(Market):
        if f.name in ("epoch", "t_s"):
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if x.shape != y.shape or not (x == y).all():
                return False
        elif x != y:
            return False
    return True


def _scenario() -> dict:
    data = two_provider_dict(horizon_s=2 * 86400)
    for provider in data["providers"]:
        provider.pop("web", None)  # DNN only: queues often stay the same for an epoch
    return data


def _run(cls: type) -> tuple[object, list[int]]:
    data = _scenario()
    name = f"{__name__}:{cls.__name__}"
    data["federation"]["mechanism"] = {"name": name}
    CALLS.clear()
    result = run(scenario_from_dict(data), baseline=False, trust_code=[name])
    return result, list(CALLS)


def test_identical_markets_reuse_the_clearing_and_change_nothing() -> None:
    reused, reuse_calls = _run(CountedClockFree)
    asked, asked_calls = _run(CountedUndeclared)
    markets: list[Market] = []
    world = prepare(scenario_from_dict(_scenario()), limits=None).world
    Simulation(world, LPWelfare(), observer=lambda e, m, c: markets.append(m)).run()
    tradeable = [m for m in markets if can_trade(m)]
    # a rule that says nothing about the clock is asked at every epoch that can trade
    assert asked_calls == [m.epoch for m in tradeable]
    expected, last = [], None
    for m in tradeable:
        if last is None or not _equal_but_clock(m, last):
            expected.append(m.epoch)
            last = m
    assert 0 < len(expected) < len(tradeable)  # some epochs really repeat a market
    assert reuse_calls == expected
    for table in ("clearings", "ledger", "jobs", "epochs"):
        pd.testing.assert_frame_equal(getattr(reused, table), getattr(asked, table))


def test_same_but_clock_looks_at_every_field_but_epoch_and_time() -> None:
    from fedsim.mechanisms.conformance import random_market

    market = random_market(np.random.default_rng(5), 3, 2, 6, epoch=4)
    assert market.same_but_clock(dataclasses.replace(market, epoch=99, t_s=1e6))
    labels = ("renamed", *market.demand_labels[1:])
    assert not market.same_but_clock(dataclasses.replace(market, demand_labels=labels))
    assert not market.same_but_clock(dataclasses.replace(market, epoch_s=60.0))
    units = np.array(market.demand_units, copy=True)
    units[0] += 1.0
    assert not market.same_but_clock(dataclasses.replace(market, demand_units=units))


def test_a_market_of_one_member_is_not_cleared() -> None:
    # Nobody to trade with: whatever the rule planned, the member's own GPUs are its local
    # scheduler's, so the engine does not ask the rule, even in epochs where the member's
    # queued jobs could use its free GPUs (counted here independently of can_trade):
    # arrivals wait for the next hourly round while GPUs are free.
    data = _scenario()
    data["providers"] = data["providers"][:1]
    data["local_scheduler"] = {"name": "srtf", "round_s": 3600}
    markets: list[Market] = []
    world = prepare(scenario_from_dict(data), limits=None).world
    Simulation(world, LPWelfare(), observer=lambda e, m, c: markets.append(m)).run()
    usable = [m for m in markets if m.n_demand and np.any(
        (m.affinity > 0) & (m.need[:, None, :] > 0) & (m.capacity_units[None] > 0))]
    assert usable  # there was something a one-member "market" could have planned
    name = f"{__name__}:CountedUndeclared"
    data["federation"]["mechanism"] = {"name": name}
    CALLS.clear()
    result = run(scenario_from_dict(data), baseline=False, trust_code=[name])
    assert CALLS == []
    assert set(result.epochs["status"]) == {"empty"}


def _snapshots_checked(data: dict, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Run ``data``, comparing every snapshot the run takes with one built afresh from the
    same state; returns (snapshots, how many came back from the last one)."""
    seen: list[Market] = []
    taken = Snapshots.take

    def checked(self: Snapshots, web: WebPlan, epoch: int, t_s: float, outside: object
                ) -> Snapshot:
        snap = taken(self, web, epoch, t_s, outside)
        fresh = build_snapshot(self.world, self.dnn, web, epoch, t_s, outside)
        assert _equal_but_clock(snap.market, fresh.market)
        assert (snap.market.epoch, snap.market.t_s) == (epoch, t_s)
        assert [(c.owner, c.n_gpus, c.jobs) for c in snap.classes] == [
            (c.owner, c.n_gpus, c.jobs) for c in fresh.classes]
        seen.append(snap.market)
        return snap

    monkeypatch.setattr(Snapshots, "take", checked)
    world = prepare(scenario_from_dict(data), limits=None).world
    Simulation(world, LPWelfare()).run()
    repeated = sum(b.capacity_units is a.capacity_units for a, b in itertools.pairwise(seen))
    return len(seen), repeated


def test_a_snapshot_is_rebuilt_whenever_queues_or_pools_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DNN only: an epoch in which no job arrived, started, finished or was preempted gets
    # the last market back at its own clock; every snapshot must equal a fresh build
    n, repeated = _snapshots_checked(_scenario(), monkeypatch)
    assert 0 < repeated < n
    # web services' loads move with the clock: always rebuilt
    n, repeated = _snapshots_checked(two_provider_dict(horizon_s=86400), monkeypatch)
    assert n > 0 and repeated == 0


@pytest.mark.parametrize("sizing", ["last_epoch", "ewma"])
def test_a_forecast_observes_the_load_window_already_computed(
    monkeypatch: pytest.MonkeyPatch, sizing: str,
) -> None:
    # an epoch's forecast observes [t0 - epoch, t0): the epoch before's actual load, whose
    # profile the planner already built; only the first epoch builds one extra window
    data = two_provider_dict(horizon_s=6 * 3600)
    services = 0
    for provider in data["providers"]:
        if "web" in provider:
            provider["web"]["sizing"] = sizing
            services += 1
    windows: list[tuple[float, float]] = []
    slices = web_plan.q.slices
    monkeypatch.setattr(web_plan.q, "slices",
                        lambda t0, t1, step: windows.append((t0, t1)) or slices(t0, t1, step))
    world = prepare(scenario_from_dict(data), limits=None).world
    Simulation(world, LPWelfare()).run()
    assert services and len(windows) == services * (world.n_epochs + 1)
    assert len(set(windows)) == world.n_epochs + 1  # the same windows for every service


@pytest.mark.parametrize(("sizing", "load_scale"), [("oracle", 1.0), ("last_epoch", 0.1)])
def test_a_load_that_repeats_repeats_its_web_plan_and_fluid_epochs(
    monkeypatch: pytest.MonkeyPatch, sizing: str, load_scale: float,
) -> None:
    # a diurnal day repeats to the bit (whole days come off before the sine), so from the
    # second day on every epoch's web plan, and every fluid site's epoch that starts and
    # ends settled, comes from a memo; the run must equal one without these two memos.
    # A forecast one epoch behind a small load leaves sites overloaded at times: a
    # transient then starts from the state a memoised epoch left
    from fedsim.queueing.memo import BoundedMemo

    data = two_provider_dict(horizon_s=2 * 86400)
    data["federation"]["epoch_s"] = 1800
    data["web_slice_s"] = 1800  # so that every change of state falls on an epoch's start
    for provider in data["providers"]:
        provider["web"]["sizing"] = sizing
        provider["web"]["mean_rps"] *= load_scale
    world = prepare(scenario_from_dict(data), limits=None).world
    hits = {"plan": 0, "site": 0}
    find = BoundedMemo.find
    plans_get = web_plan.WebPlanner.plan

    def counted_plan(self: web_plan.WebPlanner, t0_s: float, t1_s: float) -> WebPlan:
        before = len(self._plans._answers)
        plan = plans_get(self, t0_s, t1_s)
        hits["plan"] += len(self._plans._answers) == before
        return plan

    def counted_find(self: BoundedMemo, key: object) -> object:
        hit = find(self, key)
        hits["site"] += hit is not None
        return hit

    def fresh_plan(self: web_plan.WebPlanner, t0_s: float, t1_s: float) -> WebPlan:
        loads = tuple(None if web is None else self._loads(i, web, t0_s, t1_s)
                      for i, web in enumerate(self.world.web))
        self._last = self._size(loads)
        return self._last

    monkeypatch.setattr(web_plan.WebPlanner, "plan", counted_plan)
    monkeypatch.setattr(BoundedMemo, "find", counted_find)
    memoised = Simulation(world, LPWelfare()).run()
    per_day = 86400 // 1800
    assert hits["plan"] >= per_day and hits["site"] > per_day // 2  # day 2 repeats day 1
    monkeypatch.setattr(web_plan.WebPlanner, "plan", fresh_plan)
    monkeypatch.setattr(BoundedMemo, "find", lambda self, key: None)
    fresh = Simulation(world, LPWelfare()).run()
    for table in ("events", "jobs", "clearings", "prices", "epochs", "ledger"):
        pd.testing.assert_frame_equal(getattr(memoised, table), getattr(fresh, table))


def test_runs_of_one_process_share_web_answers_and_change_nothing() -> None:
    # a run and its paired baseline, or a sweep worker's runs one after another, share
    # web plans by the world's static web side and fluid sites' answers by the site's
    # parameters: the second run computes none of them itself, and a world with another
    # static side (more, faster cores) gets none of its plans
    from fedsim.engine.web_memos import WebMemos
    from fedsim.mechanisms.isolated import Isolated
    from fedsim.queueing.transient import SiteMemos

    data = two_provider_dict(horizon_s=86400)
    data["federation"]["epoch_s"] = 1800
    world = prepare(scenario_from_dict(data), limits=None).world
    data["providers"][1]["pools"]["cpu"] = 700
    data["providers"][1]["cpu_speed"] = 1.25
    other = prepare(scenario_from_dict(data), limits=None).world
    memos = WebMemos()
    sized: list[int] = []
    size = web_plan.WebPlanner._size

    def counted(self: web_plan.WebPlanner, loads: tuple) -> WebPlan:
        sized.append(1)
        return size(self, loads)

    def site_answers() -> int:
        return sum(len(m.settled_tail._answers) + len(m.settled_epochs._answers)
                   for m in memos._sites._answers.values())

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(web_plan.WebPlanner, "_size", counted)
        Simulation(world, LPWelfare(), web_memos=memos).run()
        first, answers = len(sized), site_answers()
        shared = Simulation(world, Isolated(), web_memos=memos).run()
        assert first == world.n_epochs and len(sized) == first  # the second planned nothing
        assert answers > 0 and site_answers() == answers  # and its home sites served none
        shared_other = Simulation(other, Isolated(), web_memos=memos).run()
        assert len(sized) == 2 * first  # another static side: planned afresh
        again = Simulation(world, LPWelfare(), web_memos=memos).run()
    # alone: nothing shared, not even between the sites of one run (home sites and
    # bought bundles' sites have other SLA thresholds: their answers must not mix)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(WebMemos, "site", lambda self, *params: SiteMemos.fresh())
        alone = [Simulation(w, rule).run() for w, rule in
                 ((world, Isolated()), (other, Isolated()), (world, LPWelfare()))]
    web = again.clearings[again.clearings["demand"].str.contains("/web@")]
    assert (web["placed_units"] > 0).any()  # bundles were bought: remote sites served
    for ran, fresh in zip((shared, shared_other, again), alone, strict=True):
        for table in ("events", "jobs", "clearings", "prices", "epochs", "ledger"):
            pd.testing.assert_frame_equal(getattr(ran, table), getattr(fresh, table))


def test_fluid_sites_share_answers_only_with_the_same_parameters() -> None:
    # a site's memoised answers depend on its service time, SLA threshold and wait limit:
    # sites share them only when all three are equal, and then answer as a private one
    from fedsim.engine.web_memos import WebMemos
    from fedsim.queueing.profile import LoadProfile
    from fedsim.queueing.transient import FluidSite

    memos = WebMemos()
    params = (0.04, 0.2, math.inf)
    assert memos.site(*params) is memos.site(*params)
    for other in ((0.05, 0.2, math.inf), (0.04, 0.17, math.inf), (0.04, 0.2, 1.0)):
        assert memos.site(*other) is not memos.site(*params)
    load = LoadProfile((60.0,) * 5, (900.0, 950.0, 1000.0, 1050.0, 1100.0))
    first = FluidSite(*params, memos.site(*params))
    second = FluidSite(*params, memos.site(*params))  # finds the first one's answers
    private = FluidSite(*params)
    for c in (48, 45, 44, 50):  # settled, then near saturation, then settled again
        answers = [s.serve_load(c, load, 1.0, 60.0) for s in (first, second, private)]
        assert answers[0] == answers[1] == answers[2]
    # a site with a tighter threshold must not take the first one's answers (the same
    # first epoch from the same empty start: the first site's is in the shared memo)
    tight = FluidSite(0.04, 0.1, math.inf, memos.site(0.04, 0.1, math.inf))
    late, _ = tight.serve_load(48, load, 1.0, 60.0)
    assert late > FluidSite(*params).serve_load(48, load, 1.0, 60.0)[0]
