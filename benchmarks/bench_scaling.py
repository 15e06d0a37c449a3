"""How the engine's cost grows with jobs, providers and horizon (issue 13).

    python benchmarks/bench_scaling.py [--quick]

Three sweeps on ``bench_engine.py``'s federation (lp_welfare, 300 s epochs), each
varying one thing and holding the rest:

- jobs: the arrival rate × 0.5, 1, 2, 4 (5 providers, 2 days);
- providers: 5, 10, 20, 40, 80 (the five providers repeated, each with its own load, so
  jobs grow with providers; 1 day);
- horizon: 1, 2, 4, 8 days (5 providers).

Printed per run: jobs, events, CPU seconds of the simulation (world and tables
included) and peak memory of the process; per sweep, the exponent ``b`` of the
least-squares fit ``CPU ∝ x^b`` on log-log axes (1: linear). Superlinear growth in jobs
or horizon would show as b clearly above 1.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from fedsim.api import simulate
from fedsim.config import scenario_from_dict

_spec = importlib.util.spec_from_file_location(
    "bench_engine", Path(__file__).with_name("bench_engine.py")
)
assert _spec is not None and _spec.loader is not None
bench_engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_engine)

RATE_PER_H = 120.0


def federation(n_providers: int, days: float, rate_scale: float = 1.0) -> dict[str, Any]:
    """``bench_engine``'s five providers repeated to ``n_providers`` (own names, loads)."""
    base = bench_engine.scenario(days, "lp_welfare", 300.0, RATE_PER_H * rate_scale)
    five = base["providers"]
    providers = []
    for k in range(n_providers):
        p = copy.deepcopy(five[k % len(five)])
        p["name"] = f"dc{k}"
        providers.append(p)
    base["providers"] = providers
    base["name"] = f"scaling-{n_providers}x{days:g}d"
    return base


def measure(data: dict[str, Any]) -> tuple[int, int, float]:
    sc = scenario_from_dict(data)
    started = time.process_time()
    tables = simulate(sc)
    cpu_s = time.process_time() - started
    return len(tables.jobs), len(tables.events), cpu_s


def exponent(x: list[float], y: list[float]) -> float:
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)


def sweep(label: str, xs: list[float], make: Any) -> None:
    cpu = []
    for x in xs:
        jobs, events, cpu_s = measure(make(x))
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu.append(cpu_s)
        print(f"  {label} {x:>6g}: {jobs:>9,} jobs {events:>10,} events {cpu_s:>7.1f} CPU s "
              f"(peak RSS so far {peak_mib:,.0f} MiB)", flush=True)
    print(f"  → CPU ∝ {label}^{exponent(xs, cpu):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps (a smoke run)")
    args = parser.parse_args()
    days = 0.5 if args.quick else 2.0
    print(f"jobs (arrival rate × s, 5 providers, {days:g} days):")
    sweep("rate×", [0.5, 1.0, 2.0, 4.0], lambda s: federation(5, days, s))
    print("providers (1 day):" if not args.quick else "providers (0.25 day):")
    sweep("providers", [5, 10, 20, 40] + ([] if args.quick else [80]),
          lambda n: federation(int(n), 0.25 if args.quick else 1.0))
    print("horizon (5 providers):")
    sweep("days", [0.5, 1, 2] if args.quick else [1, 2, 4, 8], lambda d: federation(5, d))


if __name__ == "__main__":
    main()
