"""The whole Microsoft Philly trace (Sep–Dec 2017, 82k jobs) on a 7-provider federation.

    python benchmarks/bench_philly.py [--trace ../shared/data/philly_jobs.csv]
        [--mechanisms lp_welfare,isolated] [--gpu-scale 1.0]

The trace's seven largest virtual clusters become seven providers (the rest of its jobs
are left out); each gets ``gpu-scale`` × its mean GPU demand over the trace, of one GPU
type (k80, p100, v100 in turn), so peaks queue and the market has work to move. Printed
per mechanism: simulated epochs, events, jobs, CPU seconds, and the share of it spent
building the market snapshot (its cost used to grow with the number of queued jobs).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from fedsim.api import simulate
from fedsim.config import scenario_from_dict

TYPES = ("k80", "p100", "v100")


def scenario(trace: Path, gpu_scale: float, mechanism: str) -> dict:
    jobs = pd.read_csv(trace, parse_dates=["timestamp"])
    span_s = (jobs["timestamp"].max() - jobs["timestamp"].min()).total_seconds()
    top = jobs["cluster"].value_counts().index[:7]
    demand = (jobs.assign(gpu_s=jobs["num_gpus"] * jobs["duration"])
              .groupby("cluster")["gpu_s"].sum() / span_s)  # fmt: skip
    providers, mapping = [], {}
    for k, cluster in enumerate(top):
        name = f"vc{k}"
        mapping[str(cluster)] = name
        gpu = TYPES[k % 3]
        units = max(8, round(gpu_scale * float(demand[cluster]) / 8) * 8)
        providers.append({
            "name": name, "pools": {f"gpu:{gpu}": units},
            "cost": {"idle_usd_per_unit_h": {f"gpu:{gpu}": 0.1 * (1 + TYPES.index(gpu))},
                     "busy_usd_per_unit_h": {f"gpu:{gpu}": 0.25 * (1 + TYPES.index(gpu))}},
            "prices": {"dnn_usd_per_gpu_h": 1.5, "dnn_wait_penalty_usd_per_gpu_h": 0.5},
        })
    return {
        "name": "philly-full", "seed": 1, "horizon_s": span_s + 1.0,
        "dnn_trace": {"path": str(trace), "format": "philly", "start_s": 0,
                      "cluster_to_provider": mapping,
                      "job_type_mix": {"resnet50": 0.35, "transformer": 0.25,
                                       "recommendation": 0.2, "lm": 0.2}},
        "affinity": {"reference_gpu": "p100", "dataset_gb": 20, "table": {
            "resnet50": {"k80": 1.0, "p100": 4.0, "v100": 7.0},
            "transformer": {"k80": 3.5, "p100": 7.9, "v100": 10.6},
            "recommendation": {"k80": 20.0, "p100": 30.0, "v100": 13.0},
            "lm": {"k80": 24.0, "p100": 77.0, "v100": 82.0}}},
        "network": {"bandwidth_gbps": 10, "rtt_ms": 40, "egress_usd_per_gb": 0.02},
        "federation": {"mechanism": {"name": mechanism}, "epoch_s": 300},
        "providers": providers,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", type=Path, default=Path("../shared/data/philly_jobs.csv"))
    parser.add_argument("--mechanisms", default="lp_welfare,isolated")
    parser.add_argument("--gpu-scale", type=float, default=1.0)
    args = parser.parse_args()
    for mechanism in args.mechanisms.split(","):
        sc = scenario_from_dict(scenario(args.trace, args.gpu_scale, mechanism))
        started = time.process_time()
        tables = simulate(sc)
        cpu_s = time.process_time() - started
        print(f"{mechanism:<12} {len(tables.epochs):>7,} epochs {len(tables.events):>9,} events "
              f"{len(tables.jobs):>7,} jobs {cpu_s:>7.1f} CPU s "
              f"(mechanism {tables.mechanism_s:.1f} s wall)", flush=True)


if __name__ == "__main__":
    main()
