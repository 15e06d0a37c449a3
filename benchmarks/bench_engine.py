"""Engine throughput on a DNN-heavy federation: 5 providers, 30 simulated days.

    python benchmarks/bench_engine.py [--days 30] [--mechanism lp_welfare] [--epoch-s 300]

Prints simulation events/s (arrive, start, finish, market and web records in the event
log), jobs/s, wall time, the share of wall time spent inside the mechanism, and the
ratio to a bare simpy loop of as many callbacks timed afterwards in the same process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import simpy

from fedsim.api import simulate
from fedsim.config import scenario_from_dict

GPUS = {"k80": 1.0, "p100": 4.0, "v100": 7.0}


def scenario(days: float, mechanism: str, epoch_s: float, rate_per_h: float) -> dict:
    kinds = [("k80", 256), ("p100", 128), ("v100", 96), ("k80", 192), ("p100", 160)]
    providers = []
    for k, (gpu, count) in enumerate(kinds):
        providers.append(
            {
                "name": f"dc{k}",
                "pools": {f"gpu:{gpu}": count, "cpu": 512 * (k + 1)},
                "cost": {
                    "idle_usd_per_unit_h": {f"gpu:{gpu}": 0.1 * GPUS[gpu], "cpu": 0.005},
                    "busy_usd_per_unit_h": {f"gpu:{gpu}": 0.25 * GPUS[gpu], "cpu": 0.012},
                },
                "prices": {"dnn_usd_per_gpu_h": 1.0, "dnn_wait_penalty_usd_per_gpu_h": 0.3},
                "dnn": {
                    "rate_per_h": rate_per_h * (1.5 if k % 2 == 0 else 0.6),
                    "gpu_mix": {1: 0.8, 2: 0.1, 4: 0.07, 8: 0.03},
                    "duration": {
                        "dist": "lognormal",
                        "median_s": 1800,
                        "sigma": 1.2,
                        "max_s": 86400,
                    },
                    "job_type_mix": {"resnet50": 0.4, "transformer": 0.3, "recommendation": 0.3},
                },
                "web": {
                    "mean_rps": 3000.0 * (k + 1),
                    "peak_to_trough": 2.0,
                    "phase_s": 7200 * k,
                    "service_ms": 40,
                    "sla": {"percentile": 0.95, "latency_ms": 200},
                    "revenue_usd_per_request": 2e-6,
                    "penalty_usd_per_violation": 4e-6,
                },
            }
        )
    return {
        "name": "bench-5x30d",
        "seed": 11,
        "horizon_s": days * 86400,
        "affinity": {
            "reference_gpu": "k80",
            "table": {
                "resnet50": {"k80": 1.0, "p100": 4.0, "v100": 7.0},
                "transformer": {"k80": 3.5, "p100": 7.9, "v100": 10.6},
                "recommendation": {"k80": 20.0, "p100": 30.0, "v100": 13.0},
            },
        },
        "federation": {"mechanism": {"name": mechanism}, "epoch_s": epoch_s},
        "providers": providers,
    }


def bare_simpy_events_per_cpu_s(n_events: int, pending: int = 500, seed: int = 0) -> float:
    """Callbacks per CPU-second of a bare simpy loop: ``n_events`` timeouts, each with one
    callback that schedules the next, ``pending`` of them in the heap at once (the
    engine keeps hundreds: running jobs' finishes, arrivals, the market)."""
    rng = np.random.default_rng(seed)
    delays = rng.exponential(60.0, n_events).tolist()
    env = simpy.Environment()
    left = [n_events]

    def tick(_event: object) -> None:
        left[0] -= 1
        if left[0] >= pending:
            env.timeout(delays[left[0]]).callbacks.append(tick)

    for k in range(min(pending, n_events)):
        env.timeout(delays[k]).callbacks.append(tick)
    started = time.process_time()
    env.run()
    return n_events / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--mechanism", default="lp_welfare")
    parser.add_argument("--epoch-s", type=float, default=300.0)
    parser.add_argument(
        "--rate-per-h", type=float, default=120.0, help="mean DNN arrivals per provider"
    )
    args = parser.parse_args()
    sc = scenario_from_dict(scenario(args.days, args.mechanism, args.epoch_s, args.rate_per_h))
    started, cpu_started = time.perf_counter(), time.process_time()
    tables = simulate(sc)
    total_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    jobs = tables.jobs
    n_jobs, n_events, n_epochs = len(jobs), len(tables.events), max(len(tables.epochs), 1)
    finished = int((jobs["status"] == "finished").sum())
    remote = int((jobs["host"].notna() & (jobs["host"] != jobs["owner"])).sum())
    mech_share = 100 * tables.mechanism_s / tables.wall_s
    print(f"scenario      5 providers, {args.days:g} d, epoch {args.epoch_s:g} s, {args.mechanism}")
    print(f"jobs          {n_jobs:,} arrived, {finished:,} finished, {remote:,} run remotely")
    print(f"events        {n_events:,}")
    print(f"wall          {tables.wall_s:.2f} s simulate ({total_s:.2f} s with world and tables)")
    print(f"cpu           {cpu_s:.2f} s process CPU time (the fair figure on a shared machine)")
    for label, count in (("events/s", n_events), ("jobs/s", n_jobs)):
        print(f"{label:<14}{count / tables.wall_s:,.0f} per wall s, {count / cpu_s:,.0f} per CPU s")
    print(
        f"mechanism     {tables.mechanism_s:.2f} s = {mech_share:.1f}% of wall "
        f"({n_epochs:,} epochs, {1000 * tables.mechanism_s / n_epochs:.2f} ms/epoch)"
    )
    bare = bare_simpy_events_per_cpu_s(n_events)
    print(f"bare simpy    {bare:,.0f} callbacks per CPU s, same count, this process: fedsim "
          f"is {n_events / cpu_s / bare:.3f}x of it (issue 13's target 0.25x)")

if __name__ == "__main__":
    main()
