"""Request-level web model: wall and CPU time, peak memory, and agreement with the fluid
model, on the quickstart scenario.

    python benchmarks/bench_web_requests.py --hours 1      # one simulated hour
    python benchmarks/bench_web_requests.py --hours 168    # a week

Each mode runs in a fresh subprocess (so peak RSS is the run's own). Prints, per
provider, the violation fraction of both modes with the request-level per-epoch
t-interval, and the requests simulated per CPU second.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, warnings
from fedsim.api import simulate
from fedsim.config.loader import load_scenario
warnings.simplefilter("ignore")
sc = load_scenario(sys.argv[1], [f"horizon_s={float(sys.argv[2])}", f"web_model={sys.argv[3]}"])
wall, cpu = time.perf_counter(), time.process_time()
led = simulate(sc).ledger
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
rows = {}
for name, g in led.groupby("provider", observed=True):
    if g["web_requests"].sum() > 0:
        rows[name] = {"requests": float(g["web_requests"].sum()),
                      "violations": float(g["web_violations"].sum()),
                      "per_epoch": (g["web_violations"] / g["web_requests"]).fillna(0).tolist()}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": peak, "providers": rows}))
"""


def one(scenario: str, hours: float, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(hours * 3600.0), mode],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "quickstart.yaml"))
    args = parser.parse_args()
    fluid = one(args.scenario, args.hours, "fluid")
    req = one(args.scenario, args.hours, "requests")
    n = sum(p["requests"] for p in req["providers"].values())
    print(f"{args.hours:g} h: requests mode {req['wall_s']:.1f} s wall, {req['cpu_s']:.1f} s CPU,"
          f" peak RSS {req['peak_rss_bytes'] / 2**20:.0f} MiB, {n:,.0f} requests "
          f"({n / max(req['cpu_s'], 1e-9):,.0f} per CPU s); fluid {fluid['wall_s']:.2f} s wall,"
          f" peak RSS {fluid['peak_rss_bytes'] / 2**20:.0f} MiB")
    for name, r in req["providers"].items():
        f = fluid["providers"][name]
        per = r["per_epoch"]
        mean = sum(per) / len(per)
        sd = math.sqrt(sum((x - mean) ** 2 for x in per) / max(len(per) - 1, 1))
        half = 1.96 * sd / math.sqrt(len(per))
        print(f"  {name:10s} violations: fluid {f['violations'] / f['requests']:.4%}  requests "
              f"{r['violations'] / r['requests']:.4%}  (per-epoch mean {mean:.4%} ± {half:.4%})")


if __name__ == "__main__":
    main()
