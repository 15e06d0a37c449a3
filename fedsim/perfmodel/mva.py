"""Exact Mean Value Analysis of closed product-form queueing networks, and the
parameter-server training model built on it.

Exact MVA (Reiser & Lavenberg, 1980), one customer class, for n = 1 … N:

    R_k(n) = D_k                    at a delay (infinite-server) station
    R_k(n) = D_k · (1 + Q_k(n−1))   at a queueing (single-server, FCFS/PS) station
    X(n)   = n / Σ_k R_k(n)
    Q_k(n) = X(n) · R_k(n)

with D_k the service demand per cycle (visits × service time). Parameter-server training
maps onto it directly: each worker is a customer that computes (a delay station with think
time T_comp), then pushes gradients to and pulls parameters from every server; with p
servers each holding 1/p of the model, each server NIC is a queue with demand
2·S_model/(p·B). A worker's step time is the cycle time N / X.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedsim.perfmodel.sync import BITS_PER_BYTE


@dataclass(frozen=True)
class Station:
    """One station: service demand per cycle in seconds; ``delay`` for an infinite server."""

    name: str
    demand_s: float
    delay: bool = False


@dataclass(frozen=True)
class MvaResult:
    """Steady state with ``n_customers`` in the network (tuples follow the station order)."""

    n_customers: int
    throughput_per_s: float
    cycle_time_s: float
    residence_time_s: tuple[float, ...]
    queue_length: tuple[float, ...]
    utilization: tuple[float, ...]


def solve_mva_all(stations: Sequence[Station], n_customers: int) -> list[MvaResult]:
    """Exact MVA for every population 1 … n_customers (the recursion computes them anyway)."""
    if n_customers < 1:
        raise ValueError("a closed network needs at least one customer")
    if not stations or any(s.demand_s < 0 for s in stations):
        raise ValueError("stations must be non-empty with demands ≥ 0")
    if sum(s.demand_s for s in stations) <= 0:
        raise ValueError("at least one station must have a positive demand")
    queue = [0.0] * len(stations)
    results = []
    for n in range(1, n_customers + 1):
        residence = [
            s.demand_s if s.delay else s.demand_s * (1.0 + q)
            for s, q in zip(stations, queue, strict=True)
        ]
        cycle = sum(residence)
        throughput = n / cycle
        queue = [throughput * r for r in residence]
        utilization = tuple(
            throughput * s.demand_s if not s.delay else float("nan") for s in stations
        )
        results.append(MvaResult(n, throughput, cycle, tuple(residence), tuple(queue), utilization))
    return results


def solve_mva(stations: Sequence[Station], n_customers: int) -> MvaResult:
    """Exact MVA at ``n_customers``."""
    return solve_mva_all(stations, n_customers)[-1]


@dataclass(frozen=True)
class ParameterServerModel:
    """Synchronous PS training over NICs of ``bandwidth_gbps`` (gigabits per second)."""

    model_bytes: float
    bandwidth_gbps: float

    def server_demand_s(self, n_servers: int) -> float:
        """Push + pull of one server's 1/p shard of the model through its NIC."""
        bits = BITS_PER_BYTE * 2.0 * self.model_bytes / n_servers
        return bits / (self.bandwidth_gbps * 1e9)

    def network(self, compute_s: float, n_servers: int) -> list[Station]:
        demand = self.server_demand_s(n_servers)
        servers = [Station(f"server{i}", demand) for i in range(n_servers)]
        return [Station("workers", compute_s, delay=True), *servers]

    def solve(self, compute_s: float, n_workers: int, n_servers: int) -> MvaResult:
        if n_workers < 1 or n_servers < 1:
            raise ValueError("need at least one worker and one server")
        return solve_mva(self.network(compute_s, n_servers), n_workers)

    def step_time_s(self, compute_s: float, n_workers: int, n_servers: int) -> float:
        """Seconds per step of one worker (the network's cycle time)."""
        return self.solve(compute_s, n_workers, n_servers).cycle_time_s

    def steps_per_s(self, compute_s: float, n_workers: int, n_servers: int) -> float:
        """Local steps completed per second by all workers together (Optimus' f(p, w))."""
        return self.solve(compute_s, n_workers, n_servers).throughput_per_s
