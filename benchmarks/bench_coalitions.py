"""Wall time of ``fedsim coalitions`` on a 6-member, 1-day federation (2^6 coalitions).

    python benchmarks/bench_coalitions.py [--workers N] [--days 1] [--epoch-s 300]

Runs the real command (a fresh output directory, so nothing is reused) with the
default number of workers (the CPU count) unless ``--workers`` is given, and prints
the wall time, the number of simulations and the mean time per simulation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

# (name, GPU type, GPUs, cores, DNN jobs/h, web requests/s): GPU-rich, GPU-old, CPU-rich...
MEMBERS = (
    ("west", "v100", 48, 512, 6.0, 9000.0),
    ("east", "k80", 96, 256, 24.0, 300.0),
    ("central", "p100", 16, 3072, 2.0, 24000.0),
    ("north", "v100", 24, 768, 10.0, 4000.0),
    ("south", "k80", 64, 1024, 14.0, 8000.0),
    ("island", "p100", 32, 384, 8.0, 1500.0),
)
COST = {"v100": (0.6, 1.2), "k80": (0.1, 0.25), "p100": (0.3, 0.7)}  # idle, busy $/GPU-h


def scenario(days: float, epoch_s: float) -> dict:
    providers = []
    for k, (name, gpu, gpus, cores, rate, rps) in enumerate(MEMBERS):
        idle, busy = COST[gpu]
        providers.append({
            "name": name,
            "pools": {f"gpu:{gpu}": gpus, "cpu": cores},
            "cost": {"idle_usd_per_unit_h": {f"gpu:{gpu}": idle, "cpu": 0.006},
                     "busy_usd_per_unit_h": {f"gpu:{gpu}": busy, "cpu": 0.015}},
            "prices": {"dnn_usd_per_gpu_h": 0.9, "dnn_wait_penalty_usd_per_gpu_h": 0.3},
            "dnn": {"rate_per_h": rate, "gpu_mix": {1: 0.75, 2: 0.15, 4: 0.1},
                    "duration": {"dist": "lognormal", "median_s": 5400, "sigma": 1.0,
                                 "max_s": 86400},
                    "job_type_mix": {"resnet50": 0.4, "transformer": 0.3, "recommendation": 0.3}},
            "web": {"mean_rps": rps, "peak_to_trough": 2.5, "phase_s": 4 * 3600 * k,
                    "service_ms": 40, "sla": {"percentile": 0.95, "latency_ms": 200},
                    "revenue_usd_per_request": 2e-6, "penalty_usd_per_violation": 4e-6},
        })
    return {
        "name": "bench-coalitions-6",
        "seed": 3,
        "horizon_s": days * 86400,
        "affinity": {"reference_gpu": "k80", "dataset_gb": 20, "table": {
            "resnet50": {"k80": 1.0, "p100": 4.0, "v100": 7.0},
            "transformer": {"k80": 3.5, "p100": 7.9, "v100": 10.6},
            "recommendation": {"k80": 20.0, "p100": 30.0, "v100": 13.0}}},
        "federation": {"mechanism": {"name": "lp_welfare"}, "epoch_s": epoch_s},
        "providers": providers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="default: CPU count")
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--epoch-s", type=float, default=300.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "six.yaml"
        path.write_text(yaml.safe_dump(scenario(args.days, args.epoch_s), sort_keys=False))
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "fedsim.cli.main", "coalitions", str(path),
               "--out", str(out), "-q"]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall_s = time.perf_counter() - started
        runs = [json.loads((p / "result.json").read_text())
                for p in (out / "runs").iterdir() if not p.name.startswith(".")]
        solution = json.loads((out / "solution.json").read_text())
    per_run_s = sum(r["timing"]["wall_s"] for r in runs) / len(runs)
    workers = args.workers or os.cpu_count()
    print(f"fedsim coalitions: 6 members, {args.days:g} day(s), epoch {args.epoch_s:g} s, "
          f"{workers} workers")
    print(f"  {2 ** 6 - 1} coalitions in {len(runs)} simulations (singletons share the "
          f"isolated run); wall {wall_s:.1f} s; {per_run_s:.2f} s per simulation in a worker")
    print(f"  least-core ε {solution['least_core']['epsilon_usd']:,.0f} $, stable structure "
          f"{solution['stable_structure']}")


if __name__ == "__main__":
    main()
