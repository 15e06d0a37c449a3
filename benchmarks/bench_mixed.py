"""Mixed workloads against ordinary jobs only: 5 providers, 30 simulated days (issue 12).

    python benchmarks/bench_mixed.py [--days 30] [--repeats 2]

The ordinary scenario is ``bench_engine.py``'s. The mixed one adds, on the same
federation and seed, model-parallel DAG jobs at two providers (their stages on those providers'
serverless pools where that is cheaper per step) and a serverless GPU pool bursting
queued jobs at two others. The two run alternately (ordinary, mixed, ...) on
one process so that machine noise hits both alike; printed: events, CPU seconds and
events per CPU-second of each, and the ratio mixed ÷ ordinary (target ≥ 0.5).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import statistics
import time
from pathlib import Path
from typing import Any

from fedsim.api import simulate
from fedsim.config import scenario_from_dict

_spec = importlib.util.spec_from_file_location(
    "bench_engine", Path(__file__).with_name("bench_engine.py")
)
assert _spec is not None and _spec.loader is not None
bench_engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_engine)

POOL = {"gpu_type": "t4", "usd_per_gpu_s": 0.0002, "usd_per_gb_s": 2.5e-6,
        "usd_per_request": 2e-7, "memory_gb": 16, "concurrency": 64, "cold_start_s": 45,
        "max_invocation_s": 900}  # fmt: skip
DAG = {"rate_per_h": 3, "layers": 48, "layer_fwd_ms": [4, 6, 5], "activation_mb": 64,
       "pipeline": 4, "tensor": 2, "micro_batches": 16, "steps": 20000,
       "job_type": "transformer", "serverless_stages": "auto"}  # fmt: skip


def mixed(base: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["name"] = "bench-5x30d-mixed"
    for row in data["affinity"]["table"].values():
        row["t4"] = row["k80"] * 3.0
    for k, provider in enumerate(data["providers"]):
        if k in (0, 2):
            provider["serverless"] = dict(POOL)
        if k in (1, 3):  # their pools take DAG stages when cheaper; they do not burst
            provider["dag"] = dict(DAG)
            provider["serverless"] = {**POOL, "burst": False}
    return data


def measure(data: dict[str, Any]) -> tuple[int, float, dict[str, int]]:
    sc = scenario_from_dict(data)
    started = time.process_time()
    tables = simulate(sc)
    cpu_s = time.process_time() - started
    jobs = tables.jobs
    kinds = {"dag": int((jobs["kind"] == "dag").sum()), "serverless": int(jobs["serverless"].sum()),
             "jobs": len(jobs)}  # fmt: skip
    ledger = tables.ledger
    dag_pools = ledger[ledger["provider"].astype(str).isin(
        [p.name for p in sc.providers if p.dag is not None])]
    kinds["stage_usd"] = float(dag_pools["serverless_usd"].sum())
    return len(tables.events), cpu_s, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    base = bench_engine.scenario(args.days, "lp_welfare", 300.0, 120.0)
    rates: dict[str, list[float]] = {"ordinary": [], "mixed": []}
    for _ in range(args.repeats):
        for label, data in (("ordinary", base), ("mixed", mixed(base))):
            events, cpu_s, kinds = measure(data)
            rates[label].append(events / cpu_s)
            print(f"{label:<9} {events:>10,} events {cpu_s:>7.1f} CPU s {events / cpu_s:>9,.0f} "
                  f"events/CPU s  ({kinds['jobs']:,} jobs, {kinds['dag']:,} DAG, "
                  f"{kinds['serverless']:,} on serverless, DAG stages' functions "
                  f"{kinds.get('stage_usd', 0.0):,.0f} $)", flush=True)
    ratio = statistics.median(rates["mixed"]) / statistics.median(rates["ordinary"])
    print(f"mixed / ordinary events per CPU-second: {ratio:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
