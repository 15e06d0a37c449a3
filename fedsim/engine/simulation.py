"""One run: a simpy Environment with job arrivals and the market every epoch.

Between epochs every provider runs its own FIFO scheduler on its own GPUs. At the start
of each epoch the engine snapshots a ``Market`` among the members (queued jobs, web
overflow, free capacity), calls the mechanism, and applies its ``Clearing``: whole jobs
are started where it placed them, remote web cores are assigned for the epoch, and the
epoch's transfers are booked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from fedsim.engine import tables
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.events import EventLog
from fedsim.engine.ledger import Ledger
from fedsim.engine.market_builder import Snapshot, build_snapshot, round_blocks
from fedsim.engine.web import plan_web, settle_web
from fedsim.engine.world import World
from fedsim.errors import AccountingError
from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.base import Mechanism
from fedsim.mechanisms.isolated import Isolated
from fedsim.mechanisms.lp import SolveError

ProgressCallback = Callable[[float], None]
# called once per epoch with (epoch, market, clearing): per-epoch analyses hook in here
EpochObserver = Callable[[int, Market, Clearing], None]


@dataclass(frozen=True)
class RunTables:
    """Raw outputs of one simulation, as DataFrames."""

    events: pd.DataFrame
    jobs: pd.DataFrame
    clearings: pd.DataFrame
    prices: pd.DataFrame
    epochs: pd.DataFrame
    ledger: pd.DataFrame
    budget_residual_usd: float
    wall_s: float
    mechanism_s: float


def clearing_problem(market: Market, clearing: Clearing) -> str | None:
    """Why the engine cannot apply ``clearing`` (wrong shapes, NaN or negative amounts),
    or None. Deeper properties are the conformance checker's job."""
    n_d, n_m, n_r = market.n_demand, market.n_providers, len(market.resources)
    try:
        x = np.asarray(clearing.allocation_units, dtype=float)
        price = np.asarray(clearing.price_usd_per_unit_h, dtype=float)
        transfer = np.asarray(clearing.transfer_usd_per_h, dtype=float)
    except (TypeError, ValueError) as exc:
        return f"not numeric ({exc})"
    for label, arr, shape in (
        ("allocation_units", x, (n_d, n_m, n_r)),
        ("price_usd_per_unit_h", price, (n_m, n_r)),
        ("transfer_usd_per_h", transfer, (n_m,)),
    ):
        if arr.shape != shape:
            return f"{label} has shape {arr.shape}, expected {shape}"
        if not np.all(np.isfinite(arr)):
            return f"{label} is not finite"
    if np.any(x < -1e-9):
        return "negative allocation"
    return None


def _can_trade(market: Market) -> bool:
    """Whether some demand class could use some free capacity. If none can, every
    allocation is empty and every coalition is worth 0, so no rule can do anything."""
    if market.n_demand == 0:
        return False
    usable = (market.affinity > 0) & (market.need[:, None, :] > 0)
    return bool(np.any(usable & (market.capacity_units[None, :, :] > 0)))


class Simulation:
    """Simulate one world under one mechanism. Construct, then call :meth:`run` once."""

    def __init__(
        self,
        world: World,
        mechanism: Mechanism,
        progress: ProgressCallback | None = None,
        observer: EpochObserver | None = None,
    ):
        self.world = world
        self.mechanism = mechanism
        self.progress = progress
        self.observer = observer
        self.fallback = Isolated()
        sc = world.scenario
        self.epoch_s = sc.federation.epoch_s
        self.horizon_s = sc.horizon_s
        self.n_epochs = max(1, math.ceil(self.horizon_s / self.epoch_s - 1e-9))
        self.env = simpy.Environment()
        self.ledger = Ledger(world.providers, self.n_epochs, self.epoch_s)
        self.log = EventLog()
        self.dnn = DnnCluster(world, self.ledger, self.log, self._schedule)
        self._clearing_rows: list[tuple] = []
        self._price_rows: list[np.ndarray] = []
        self._epoch_rows: list[tuple] = []
        self.mechanism_s = 0.0
        self._web_sizing: dict = {}
        self._web_tails: dict = {}

    def _schedule(
        self, delay_s: float, callback: Callable[[simpy.Event], None], value: int
    ) -> None:
        self.env.timeout(delay_s, value).callbacks.append(callback)

    # --- processes ---------------------------------------------------------------------

    def _start_arrivals(self) -> None:
        """Arrivals as a chain of timeouts: cheaper than resuming a generator process per
        job, with one pending arrival event at a time."""
        self._arrival_s = self.world.jobs.arrival_s.tolist()
        self._n_arriving = sum(1 for t in self._arrival_s if t < self.horizon_s)
        self._next_arrival = 0
        self._on_arrival(None)

    def _admit_arrivals(self) -> None:
        """Admit every job that has arrived by now (the market calls this first, so a job
        arriving at an epoch boundary is in that epoch's market)."""
        j, now, arrival, n = self._next_arrival, self.env.now, self._arrival_s, self._n_arriving
        while j < n and arrival[j] <= now:
            self.dnn.arrive(j, now)
            j += 1
        self._next_arrival = j

    def _on_arrival(self, _event: simpy.Event | None) -> None:
        self._admit_arrivals()
        j = self._next_arrival
        if j < self._n_arriving:
            self.env.timeout(self._arrival_s[j] - self.env.now).callbacks.append(self._on_arrival)

    def _market(self):  # simpy process
        for e in range(self.n_epochs):
            t0 = e * self.epoch_s
            t1 = min(t0 + self.epoch_s, self.horizon_s)
            self._run_epoch(e, t0, t1)
            if self.progress is not None:
                self.progress(t0)
            yield self.env.timeout(t1 - t0)
            self._close_epoch(e, t1 - t0)

    # --- one epoch -----------------------------------------------------------------------

    def _clear(self, snap: Snapshot) -> tuple[Clearing, bool]:
        """The mechanism's clearing; if it raises anything, or returns a clearing the
        engine cannot apply, the failure is an event and the epoch falls back to
        ``isolated`` (and to no trade at all if even that fails)."""
        market = snap.market
        started = time.perf_counter()
        try:
            if not _can_trade(market):
                clearing = Clearing.empty(market)
            else:
                clearing = self.mechanism.clear(market)
                problem = clearing_problem(market, clearing)
                if problem is not None:
                    raise SolveError(f"unusable clearing: {problem}")
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
        world, dnn = self.world, self.dnn
        self._admit_arrivals()
        web = plan_web(world, t0, t1, self._web_sizing)
        snap = build_snapshot(world, dnn, web, e, t0)
        clearing, fallback = self._clear(snap)
        market = snap.market
        self.ledger.budget_balanced[e] = clearing.budget_balanced
        x = np.asarray(clearing.allocation_units)
        prices = np.asarray(clearing.price_usd_per_unit_h)
        members = snap.member_index
        cpu = world.cpu_index
        remote_cores: dict[tuple[int, int], int] = {}
        cpu_price: dict[tuple[int, int], float] = {}
        placed_units = np.zeros_like(x)
        for d, cls in enumerate(snap.classes):
            if not np.any(x[d] > 1e-9):
                continue
            block = float(cls.n_gpus if cls.kind == "dnn" else 1)
            counts = round_blocks(x[d].ravel(), block).reshape(x[d].shape)
            if cls.kind == "web":
                for m in np.flatnonzero(counts[:, cpu]):
                    host = members[m]
                    cores = int(min(counts[m, cpu], web.free_cores[host]))
                    if host != cls.owner and cores > 0:
                        remote_cores[(cls.owner, host)] = cores
                        cpu_price[(cls.owner, host)] = float(prices[m, cpu])
                        placed_units[d, m, cpu] = cores
                continue
            queue = iter(cls.jobs)
            for flat in np.lexsort((np.arange(counts.size), -counts.ravel())):
                m, g = divmod(int(flat), counts.shape[1])
                host = members[m]
                for _ in range(int(counts[m, g])):
                    if dnn.free[host][g] < cls.n_gpus:
                        break
                    j = next(queue, None)
                    if j is None:
                        break
                    dnn.queues[cls.owner].remove(j)
                    price = float(prices[m, g]) if host != cls.owner else 0.0
                    dnn.start(j, host, g, t0, price)
                    placed_units[d, m, g] += cls.n_gpus
        settle_web(
            world, web, remote_cores, cpu_price, self.ledger, e, t0, t1 - t0, self._web_tails
        )
        hours = (t1 - t0) / 3600.0
        for m, i in enumerate(members):
            self.ledger.add("transfer_usd", e, i, float(clearing.transfer_usd_per_h[m]) * hours)
        self._record(e, t0, snap, clearing, placed_units, fallback)
        if self.observer is not None:
            self.observer(e, market, clearing)
        self.log.add(
            t0, "market", -1, -1, -1, -1, float(market.demand_units.sum()), detail=clearing.status
        )

    def _record(
        self,
        e: int,
        t0: float,
        snap: Snapshot,
        clearing: Clearing,
        placed: np.ndarray,
        fallback: bool,
    ) -> None:
        market = snap.market
        x = np.asarray(clearing.allocation_units)
        for d, m, r in zip(*np.nonzero((x > 1e-9) | (placed > 0)), strict=True):
            self._clearing_rows.append(
                (
                    e,
                    t0,
                    market.demand_labels[d],
                    snap.classes[d].owner,
                    snap.member_index[m],
                    int(r),
                    float(x[d, m, r]),
                    float(placed[d, m, r]),
                    float(clearing.price_usd_per_unit_h[m, r]),
                )
            )
        self._price_rows.append(np.asarray(clearing.price_usd_per_unit_h).copy())
        welfare = clearing.info.get("welfare_usd_per_h")
        if welfare is None:
            welfare = clearing.welfare_usd_per_h(market) if market.n_demand else 0.0
        self._epoch_rows.append(
            (
                e,
                t0,
                clearing.status,
                fallback,
                market.n_demand,
                float(market.demand_units.sum()),
                float(x.sum()),
                float(placed.sum()),
                welfare,
                float(np.sum(clearing.transfer_usd_per_h)),
            )
        )

    def _close_epoch(self, e: int, epoch_len_s: float) -> None:
        """Book the epoch's GPU usage and operating cost (idle for all, busy on top)."""
        w, led = self.world, self.ledger
        hours = epoch_len_s / 3600.0
        cpu = w.cpu_index
        busy_h = np.zeros_like(w.capacity_units)
        busy_h[:, :cpu] = (
            np.asarray(self.dnn.flush_busy(self.env.now), dtype=float).reshape(w.n_providers, cpu)
            / 3600.0
        )
        busy_h[:, cpu] = [led.get("cpu_busy_h", e, i) for i in range(w.n_providers)]
        idle = w.idle_cost_usd_per_unit_h
        cost = (idle * w.capacity_units * hours + (w.busy_cost_usd_per_unit_h - idle) * busy_h).sum(
            axis=1
        )
        gpu_busy_h = busy_h[:, :cpu].sum(axis=1)
        gpu_cap_h = w.capacity_units[:, :cpu].sum(axis=1) * hours
        for i in range(w.n_providers):
            led.add("operating_cost_usd", e, i, float(cost[i]))
            led.add("gpu_busy_h", e, i, float(gpu_busy_h[i]))
            led.add("gpu_capacity_h", e, i, float(gpu_cap_h[i]))
            led.add("cpu_capacity_h", e, i, float(w.capacity_units[i, cpu]) * hours)

    # --- run -------------------------------------------------------------------------------

    def run(self) -> RunTables:
        started = time.perf_counter()
        self._start_arrivals()
        self.env.process(self._market())
        self.env.run(until=self.horizon_s + 1e-9)
        self.dnn.settle_running(self.horizon_s)
        self._check()
        wall_s = time.perf_counter() - started
        return RunTables(
            events=self.log.to_frame(self.world.providers, self.world.resources),
            jobs=tables.jobs_frame(self.world, self.dnn),
            clearings=tables.clearings_frame(self.world, self._clearing_rows),
            prices=tables.prices_frame(self.world, self._price_rows),
            epochs=pd.DataFrame(self._epoch_rows, columns=list(tables.EPOCH_COLUMNS)),
            ledger=self.ledger.to_frame(),
            budget_residual_usd=self.ledger.budget_residual_usd(),
            wall_s=wall_s,
            mechanism_s=self.mechanism_s,
        )

    def _check(self) -> None:
        self.ledger.check()
        if self.dnn.violations:
            raise AccountingError(f"pool above capacity or below zero: {self.dnn.violations[0]}")
        counts = self.dnn.counts()
        arrived = int(np.sum(self.world.jobs.arrival_s < self.horizon_s))
        total = counts["finished"] + counts["running"] + counts["queued"] + counts["rejected"]
        if not (counts["arrived"] == arrived == total):
            raise AccountingError(f"job identity failed: arrived {arrived}, counted {counts}")
