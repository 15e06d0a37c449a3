"""Invocations of a serverless pool, and what they cost.

The price sheet has the structure of the public ones (e.g. AWS Lambda): a price per
GB-second of billed duration, with the duration rounded *up* to ``round_ms``
(optionally a minimum), a price per request, and for GPU functions a price per
GPU-second. An invocation runs on a warm instance if one is idle (kept warm
``keep_warm_s`` after its last invocation), else a new instance starts cold
(``cold_start_s`` more before it runs; billed when ``bill_cold_start``). At most
``concurrency`` instances run at once; further invocations wait in arrival order.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PriceSheet:
    usd_per_gb_s: float
    usd_per_request: float
    round_ms: float = 1.0
    min_billed_ms: float = 0.0
    usd_per_gpu_s: float = 0.0


@dataclass(frozen=True)
class ServerlessPool:
    prices: PriceSheet
    memory_cap_gb: float = 10.0
    concurrency: int = 1000
    cold_start_s: float = 0.5
    keep_warm_s: float = 600.0
    gpus_per_function: int = 0
    bill_cold_start: bool = False

    def cost_usd(self, run_s: float, memory_gb: float, cold: bool = False) -> float:
        """One invocation's price: billed duration × (memory + GPUs), plus the request."""
        p = self.prices
        cold_s = self.cold_start_s if cold and self.bill_cold_start else 0.0
        billed = self.billed_s(run_s + cold_s)
        return (billed * memory_gb * p.usd_per_gb_s + p.usd_per_request
                + billed * self.gpus_per_function * p.usd_per_gpu_s)  # fmt: skip

    def billed_s(self, run_s: float) -> float:
        """Duration billed for ``run_s`` seconds of execution (rounded up)."""
        unit = self.prices.round_ms / 1000.0
        billed = math.ceil(run_s / unit - 1e-9) * unit if unit > 0 else run_s
        return max(billed, self.prices.min_billed_ms / 1000.0)


@dataclass(frozen=True)
class Invocations:
    start_s: np.ndarray  # when each began running (after a cold start, if any)
    end_s: np.ndarray
    cold: np.ndarray  # bool
    cost_usd: np.ndarray

    @property
    def cold_starts(self) -> int:
        return int(self.cold.sum())

    @property
    def total_usd(self) -> float:
        return float(self.cost_usd.sum())


def invoke(pool: ServerlessPool, arrival_s: np.ndarray, run_s: np.ndarray,
           memory_gb: float) -> Invocations:
    """Serve invocations arriving at ``arrival_s`` (sorted), each running ``run_s``."""
    if memory_gb > pool.memory_cap_gb:
        raise ValueError(f"a function of {memory_gb:g} GB is above the pool's memory cap "
                         f"of {pool.memory_cap_gb:g} GB")
    arrival = np.asarray(arrival_s, dtype=float)
    run = np.asarray(run_s, dtype=float)
    if np.any(np.diff(arrival) < 0):
        raise ValueError("arrival_s must be sorted")
    n = len(arrival)
    start, end = np.zeros(n), np.zeros(n)
    cold = np.zeros(n, dtype=bool)
    busy: list[float] = []  # end times of running instances (a heap)
    idle: list[float] = []  # times idle instances became idle (most recent last)
    for k in range(n):
        t = arrival[k]
        while busy and busy[0] <= t:  # instances that finished by now become idle
            idle.append(heapq.heappop(busy))
        if len(busy) >= pool.concurrency:  # wait for the first to finish
            t = heapq.heappop(busy)
            idle.append(t)
        idle = [s for s in idle if s + pool.keep_warm_s >= t]  # the rest were reclaimed
        if idle:
            idle.pop()  # the most recently used warm instance
            begin = t
        else:
            cold[k] = True
            begin = t + pool.cold_start_s
        start[k], end[k] = begin, begin + run[k]
        heapq.heappush(busy, end[k])
    cost = np.array([pool.cost_usd(r, memory_gb, bool(c)) for r, c in zip(run, cold, strict=True)])
    return Invocations(start, end, cold, cost)
