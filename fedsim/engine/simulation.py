"""One run: a simpy Environment with job arrivals, completions, local scheduling rounds
and the federation market every epoch, in the order of ``engine.clock``.

Between epochs every provider's local scheduler runs its own GPUs. At the start of each
epoch the engine snapshots a ``Market`` among the members (waiting jobs, web overflow,
free capacity), calls the mechanism, and applies its ``Clearing``: whole jobs start where
it placed them, remote web cores are assigned for the epoch, and transfers are booked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from fedsim.engine import tables
from fedsim.engine.clearing_checks import can_trade, clearing_problem
from fedsim.engine.clock import ARRIVAL, MARKET, ROUND, At, relaxed_gc, run_until
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.events import EventLog
from fedsim.engine.identities import check_identities
from fedsim.engine.ledger import Ledger
from fedsim.engine.local import LocalScheduling
from fedsim.engine.market_builder import Snapshot, Snapshots
from fedsim.engine.placement import Placed, place
from fedsim.engine.searches import Searches
from fedsim.engine.serverless import ServerlessBursts
from fedsim.engine.tables import RunTables
from fedsim.engine.web_memos import WebMemos
from fedsim.engine.web_plan import WebPlanner
from fedsim.engine.web_serve import WebServer
from fedsim.engine.world import World
from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.base import Mechanism, reads_clock
from fedsim.mechanisms.isolated import Isolated
from fedsim.mechanisms.lp import SolveError

ProgressCallback = Callable[[float], None]
# called once per epoch with (epoch, market, clearing): per-epoch analyses hook in here
EpochObserver = Callable[[int, Market, Clearing], None]


class Simulation:
    """Simulate one world under one mechanism. Construct, then call :meth:`run` once.

    ``fast_paths=False`` runs every local scheduler through its pure function (the
    fast paths give the same results; tests compare the two). ``stop_when_done`` ends the
    run as soon as every job has arrived and none is waiting or running (to replay a
    trace to its end; the ledger then stops at that time). ``web_memos``: web answers
    shared with the process's other runs (``engine.web_memos``; the run is the same)."""

    def __init__(
        self,
        world: World,
        mechanism: Mechanism,
        progress: ProgressCallback | None = None,
        observer: EpochObserver | None = None,
        fast_paths: bool = True,
        stop_when_done: bool = False,
        web_threads: int | None = None,
        web_memos: WebMemos | None = None,
    ):
        self.world = world
        self.mechanism = mechanism
        self.stop_when_done = stop_when_done
        self.progress = progress
        self.observer = observer
        self.fallback = Isolated()
        self._reuse = not reads_clock(mechanism)  # see Mechanism.reads_clock
        self._last: tuple[Market, Clearing] | None = None
        self.epoch_s = world.epoch_s
        self.horizon_s = world.horizon_s
        self.n_epochs = world.n_epochs
        self.env = simpy.Environment()
        self.ledger = Ledger(world.providers, self.n_epochs, self.epoch_s)
        self.log = EventLog()
        self.dnn = DnnCluster(world, self.ledger, self.log, self._schedule, lambda: self.env.now)
        self.local = LocalScheduling(
            world, self.dnn.jobs, self.dnn.occ, self.dnn.queued, self.dnn.running,
            start=self.dnn.start, stop=self.dnn.preempt, failed=self._scheduler_failed,
            next_decision_s=self.dnn.next_decision_s, due=self.dnn.due, fast_paths=fast_paths,
        )
        self.dnn.on_freed = self.local.on_change
        self.serverless = ServerlessBursts(world, self.dnn, self._schedule)
        self.snapshots = Snapshots(world, self.dnn)
        self._clearing_rows: list[tables.ClearingRow] = []
        self._price_rows: list[np.ndarray] = []
        self._epoch_rows: list[tables.EpochRow] = []
        self.mechanism_s = 0.0
        self.searches = Searches(world, self.dnn, self._arrive_now, self._schedule,
                                 lambda: self.env.now)
        self.web_planner = WebPlanner(world, web_memos)
        self.web_server = WebServer(world, self.ledger, web_threads, web_memos)

    def _schedule(self, delay_s: float, priority: int, callback: Callable[[Any], None],
                  value: Any) -> None:
        At(self.env, delay_s, priority, value).callbacks.append(callback)

    def _scheduler_failed(self, t_s: float, provider: int, why: str) -> None:
        self.log.add(t_s, "schedule_failed", -1, provider, provider, -1, 0.0, detail=why)

    # --- arrivals: one pending event at a time -------------------------------------------

    def _start_arrivals(self) -> None:
        self._arrival_s = self.world.jobs.arrival_s.tolist()
        self._n_arriving = sum(1 for t in self._arrival_s if t < self.horizon_s)
        self._next_arrival = 0
        if self._n_arriving:
            self._schedule(self._arrival_s[0], ARRIVAL, self._on_arrival, None)

    def _arrive_now(self, j: int, t_s: float) -> bool:
        """Job ``j`` (the trace's, or one a search created) arrives now: it starts at once
        where its owner's FIFO would start it, else it queues and its owner's scheduler
        hears of it. False: rejected, it can never run."""
        if not self.dnn.admit(j, t_s):
            return False
        o = self.dnn.jobs.owner[j]
        if not self.local.start_at_once(j, o, t_s):
            self.dnn.enqueue(o, j)
            self.local.on_change(o, t_s)
        return True

    def _on_arrival(self, _event: Any) -> None:
        j, now, arrival, n = self._next_arrival, self.env.now, self._arrival_s, self._n_arriving
        arrive_now = self._arrive_now
        while j < n and arrival[j] <= now:
            arrive_now(j, now)
            j += 1
        self._next_arrival = j
        if j < n:
            self._schedule(arrival[j] - now, ARRIVAL, self._on_arrival, None)

    # --- rounds of round-based local schedulers ----------------------------------------

    def _start_rounds(self) -> None:
        for i, round_s in enumerate(self.world.round_s):
            if round_s > 0.0:
                self._schedule(0.0, ROUND, self._on_round, (i, 0))

    def _on_round(self, event: Any) -> None:
        i, k = event.value
        self.local.decide(i, self.env.now)
        t_next = (k + 1) * self.world.round_s[i]
        if t_next < self.horizon_s:
            self._schedule(t_next - self.env.now, ROUND, self._on_round, (i, k + 1))

    # --- the market, every epoch ---------------------------------------------------------

    def _on_market(self, event: Any) -> None:
        e = event.value
        t0 = e * self.epoch_s
        t1 = min(t0 + self.epoch_s, self.horizon_s)
        if e > 0:
            self._close_epoch(e - 1, self.epoch_s, t0)
        self._run_epoch(e, t0, t1)
        if self.progress is not None:
            self.progress(t0)
        if e + 1 < self.n_epochs:
            self._schedule((e + 1) * self.epoch_s - self.env.now, MARKET, self._on_market, e + 1)

    def _clear(self, snap: Snapshot) -> tuple[Clearing, bool]:
        """The mechanism's clearing; if it raises anything, or returns a clearing the
        engine cannot apply, the failure is an event and the epoch falls back to
        ``isolated`` (and to no trade at all if even that fails)."""
        market = snap.market
        started = time.perf_counter()
        try:
            if not can_trade(market):
                clearing = Clearing.empty(market)
            elif self._last is not None and market.same_but_clock(self._last[0]):
                clearing = self._last[1]  # a pure function of what did not change
            else:
                clearing = self.mechanism.clear(market)
                problem = clearing_problem(market, clearing)
                if problem is not None:
                    raise SolveError(f"unusable clearing: {problem}")
                if self._reuse:
                    self._last = (market, clearing)
            fallback = False
        except Exception as exc:  # a plug-in may raise anything: the run goes on
            detail = str(exc) if isinstance(exc, SolveError) else f"{type(exc).__name__}: {exc}"
            self.log.add(self.env.now, "solve_failed", -1, -1, -1, -1, 0.0, detail=detail)
            try:
                clearing = self.fallback.clear(market)
            except Exception:  # both solvers failed even on the local LPs: no trade
                clearing = Clearing.empty(market, status="failed")
            fallback = True
        self.mechanism_s += time.perf_counter() - started
        return clearing, fallback

    def _run_epoch(self, e: int, t0: float, t1: float) -> None:
        world = self.world
        web = self.web_planner.plan(t0, t1)
        outside = self.serverless.outside_usd_per_gpu_h if self.serverless.active else None
        snap = self.snapshots.take(web, e, t0, outside)
        clearing, fallback = self._clear(snap)
        self.ledger.budget_balanced[e] = clearing.budget_balanced
        placed = place(snap, clearing, self.dnn, web, world.cpu_index, t0,
                       self.web_planner.resize)
        self.serverless.burst(t0)
        self.web_server.serve(web, placed.bundles, e, t0, t1)
        hours = (t1 - t0) / 3600.0
        for m, i in enumerate(snap.member_index):
            self.ledger.add("transfer_usd", e, i, float(clearing.transfer_usd_per_h[m]) * hours)
        self._record(e, t0, snap, clearing, placed, fallback)
        if self.observer is not None:
            self.observer(e, snap.market, clearing)
        self.log.add(t0, "market", -1, -1, -1, -1, float(snap.market.demand_units.sum()),
                     detail=clearing.status)

    def _record(self, e: int, t0: float, snap: Snapshot, clearing: Clearing, placed: Placed,
                fallback: bool) -> None:
        market = snap.market
        x = np.asarray(clearing.allocation_units)
        units = placed.units
        price = np.asarray(clearing.price_usd_per_unit_h)
        for d, m, r in zip(*np.nonzero((x > 1e-9) | (units > 0)), strict=True):
            self._clearing_rows.append(tables.ClearingRow(
                e, t0, market.demand_labels[d], snap.classes[d].owner, snap.member_index[m],
                int(r), float(x[d, m, r]), float(units[d, m, r]), float(price[m, r]),
            ))
        self._price_rows.append(price.copy())
        welfare = clearing.info.get("welfare_usd_per_h")
        if welfare is None:
            welfare = clearing.welfare_usd_per_h(market) if market.n_demand else 0.0
        self._epoch_rows.append(tables.EpochRow(
            e, t0, clearing.status, fallback, market.n_demand, float(market.demand_units.sum()),
            float(x.sum()), float(units.sum()), welfare,
            float(np.sum(clearing.transfer_usd_per_h)),
        ))

    def _close_epoch(self, e: int, epoch_len_s: float, t_end_s: float) -> None:
        """Book the epoch's GPU usage and operating cost (idle for all, busy on top)."""
        w, led = self.world, self.ledger
        hours = epoch_len_s / 3600.0
        cpu = w.cpu_index
        busy_h = np.zeros_like(w.capacity_units)
        busy_h[:, :cpu] = (
            np.asarray(self.dnn.occ.flush_busy(t_end_s), dtype=float).reshape(
                w.n_providers, cpu
            ) / 3600.0
        )
        # CPU cores: idle cost here; the web model books their busy time and its cost
        idle = w.idle_cost_usd_per_unit_h
        cost = (idle * w.capacity_units * hours + (w.busy_cost_usd_per_unit_h - idle) * busy_h).sum(
            axis=1
        )
        gpu_busy_h = busy_h[:, :cpu].sum(axis=1)
        gpu_cap_h = w.capacity_units[:, :cpu].sum(axis=1) * hours
        led.add_all("operating_cost_usd", e, cost.tolist())
        led.add_all("gpu_busy_h", e, gpu_busy_h.tolist())
        led.add_all("gpu_capacity_h", e, gpu_cap_h.tolist())
        led.add_all("cpu_capacity_h", e, (w.capacity_units[:, cpu] * hours).tolist())

    # --- run -------------------------------------------------------------------------------

    def run(self) -> RunTables:
        with relaxed_gc():  # see engine.clock
            return self._run()

    def _run(self) -> RunTables:
        started = time.perf_counter()
        self._start_arrivals()
        self.searches.start()
        self._schedule(0.0, MARKET, self._on_market, 0)
        self._start_rounds()
        run_until(self.env, self.horizon_s, self._all_done if self.stop_when_done else None)
        end_s = self.env.now if self.stop_when_done else self.horizon_s
        last = min(self.n_epochs - 1, int(end_s // self.epoch_s))
        self.web_server.close(end_s, last)
        self._close_epoch(last, end_s - last * self.epoch_s, end_s)
        self.dnn.settle(end_s)
        self.serverless.settle(end_s)
        check_identities(self.ledger, self.dnn, self.world,
                         self._next_arrival if self.stop_when_done else None)
        wall_s = time.perf_counter() - started
        w = self.world
        return RunTables(
            events=self.log.to_frame(w.providers, w.resources),
            jobs=tables.jobs_frame(w, self.dnn.jobs),
            clearings=tables.clearings_frame(w, self._clearing_rows),
            prices=tables.prices_frame(w, self._price_rows),
            epochs=tables.epochs_frame(self._epoch_rows),
            ledger=self.ledger.to_frame(),
            budget_residual_usd=self.ledger.budget_residual_usd(),
            wall_s=wall_s,
            mechanism_s=self.mechanism_s,
            searches=self.searches.frame(),
        )

    def _all_done(self) -> bool:
        dnn = self.dnn
        return (self._next_arrival >= self._n_arriving and self.searches.done()
                and not any(dnn.queued) and not any(dnn.running)
                and not self.serverless.running())
