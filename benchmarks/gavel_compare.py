"""fedsim's local schedulers against Gavel's own simulator, on the same jobs.

    python benchmarks/gavel_compare.py --rates 1,2,3,4,5,6 --window 4000:5000 \\
        --gavel /path/to/gavel --gavel-python /path/to/gavel-venv/bin/python \\
        --out results/gavel-compare

For every arrival rate (jobs/hour) it generates one trace with fedsim's Gavel-style
generator (``scenarios/gavel_36x3.yaml``: Gavel's 26 job types and throughputs, its
duration distribution, single-GPU jobs as in Gavel's Figure 8 or ``--multi-gpu`` for
Figure 9), writes it in Gavel's trace format, and replays it in both simulators under
heterogeneity-aware and -agnostic max-min fairness on 36 K80 + 36 P100 + 36 V100 in 360 s
rounds. It prints the average JCT of the window's jobs in each simulator, their
difference, the aware/agnostic JCT ratio of each, and each simulator's jobs per wall
second on the same trace (one after the other on this machine). Without ``--gavel`` it
runs fedsim only. The throughput table comes from ``../shared/data`` (or
``$FEDSIM_SHARED_DATA``); Gavel reads its own copy of the same measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POLICIES = {  # fedsim name -> Gavel's name
    "max_min_fairness": "max_min_fairness_perf",
    "max_min_fairness_agnostic": "max_min_fairness",
}


def shared_data() -> Path:
    env = os.environ.get("FEDSIM_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def base_scenario() -> dict:
    data = yaml.safe_load((REPO / "scenarios" / "gavel_36x3.yaml").read_text())
    data["affinity"]["gavel_csv"] = str(shared_data() / "gavel_throughputs.csv")
    return data


def make_trace(rate_per_h: float, n_jobs: int, seed: int, multi_gpu: bool, path: Path) -> Path:
    """``n_jobs`` Poisson arrivals at ``rate_per_h`` from fedsim's Gavel-style generator."""
    from fedsim.engine.streams import stream
    from fedsim.world.affinity import AffinityTable
    from fedsim.world.gavel_trace import write_gavel
    from fedsim.world.jobs import DurationSpec, generate_jobs

    table = AffinityTable.from_gavel_csv(shared_data() / "gavel_throughputs.csv")
    mix = {1: 0.70, 2: 0.10, 4: 0.15, 8: 0.05} if multi_gpu else {1: 1.0}
    horizon_s = 1.5 * n_jobs / rate_per_h * 3600.0 + 86400.0
    batch = generate_jobs(stream(seed, f"gavel-compare/{rate_per_h}"), horizon_s, rate_per_h,
                          mix, DurationSpec(dist="gavel"), "all", table.job_types,
                          measured=table.measured_at)
    if len(batch) < n_jobs:
        raise SystemExit(f"generated {len(batch)} jobs, wanted {n_jobs}")
    return write_gavel(batch.take(slice(0, n_jobs)), table, "v100", path)


def run_fedsim(trace: Path, policy: str) -> dict:
    from fedsim.api import prepare
    from fedsim.config import scenario_from_dict
    from fedsim.engine.simulation import Simulation
    from fedsim.mechanisms import make

    data = base_scenario()
    data["providers"][0].pop("dnn")
    last_arrival = max(float(line.split("\t")[9]) for line in trace.read_text().splitlines())
    data["horizon_s"] = last_arrival + 120 * 86400.0  # every job finishes well before
    data["dnn_trace"] = {"path": str(trace), "format": "gavel", "provider": "gavel"}
    data["local_scheduler"] = {"name": policy, "round_s": 360}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(scenario_from_dict(data), limits=None)
        started = time.perf_counter()
        tables = Simulation(prepared.world, make("isolated"), stop_when_done=True).run()
        wall_s = time.perf_counter() - started
    jobs = tables.jobs
    done = jobs[jobs["status"] == "finished"]
    return {"wall_s": wall_s, "jobs": len(jobs), "finished": len(done),
            "jct_s": {str(int(j)): float(v) for j, v in zip(done["job"], done["jct_s"],
                                                            strict=True)}}


def run_gavel(trace: Path, policy: str, args: argparse.Namespace, out: Path) -> dict:
    cmd = [args.gavel_python, str(REPO / "benchmarks" / "gavel_runner.py"), "--gavel",
           str(args.gavel), "--trace", str(trace), "--policy", POLICIES[policy],
           "--round", "360", "--solver", args.solver, "--out", str(out)]
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text())


def window_mean(result: dict, start: int, end: int) -> float:
    jct = [result["jct_s"].get(str(k)) for k in range(start, end)]
    missing = sum(v is None for v in jct)
    if missing:
        raise SystemExit(f"{missing} window jobs did not finish")
    return float(np.mean(jct))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="1,2,3,4,5,6", help="jobs per hour, comma-separated")
    ap.add_argument("--window", default="4000:5000", help="job ids [start:end) measured")
    ap.add_argument("--extra", type=float, default=0.3,
                    help="jobs after the window, as a share of it (they keep the load on)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--multi-gpu", action="store_true", help="Gavel's Figure 9 workload")
    ap.add_argument("--gavel", type=Path, default=None, help="a Gavel checkout")
    ap.add_argument("--gavel-python", default=sys.executable)
    ap.add_argument("--solver", default="ECOS")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "gavel-compare")
    args = ap.parse_args()
    start, end = (int(x) for x in args.window.split(":"))
    n_jobs = end + int(args.extra * (end - start)) + 200
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for rate in (float(r) for r in args.rates.split(",")):
        trace = make_trace(rate, n_jobs, args.seed, args.multi_gpu,
                           args.out / f"trace_{rate:g}jph.tsv")
        row: dict = {"rate_per_h": rate}
        for policy in POLICIES:
            fed = run_fedsim(trace, policy)
            row[f"fedsim_{policy}_jct_h"] = window_mean(fed, start, end) / 3600.0
            row[f"fedsim_{policy}_jobs_per_s"] = fed["finished"] / fed["wall_s"]
            if args.gavel is not None:
                gav = run_gavel(trace, policy, args, args.out / f"gavel_{rate:g}_{policy}.json")
                row[f"gavel_{policy}_jct_h"] = window_mean(gav, start, end) / 3600.0
                row[f"gavel_{policy}_jobs_per_s"] = gav["finished"] / gav["wall_s"]
            print(json.dumps(row), flush=True)
        rows.append(row)
    (args.out / "summary.json").write_text(json.dumps(rows, indent=1) + "\n")
    print_table(rows, args.gavel is not None)


def print_table(rows: list[dict], with_gavel: bool) -> None:
    aware, agn = "max_min_fairness", "max_min_fairness_agnostic"
    head = "rate/h | fedsim JCT h aware / agnostic (ratio)"
    if with_gavel:
        head += " | Gavel JCT h aware / agnostic (ratio) | diff aware, agnostic, ratio | "
        head += "jobs/s fedsim / Gavel"
    print(head)
    for r in rows:
        fa, fg = r[f"fedsim_{aware}_jct_h"], r[f"fedsim_{agn}_jct_h"]
        line = f"{r['rate_per_h']:g} | {fa:.2f} / {fg:.2f} ({fg / fa:.2f})"
        if with_gavel:
            ga, gg = r[f"gavel_{aware}_jct_h"], r[f"gavel_{agn}_jct_h"]
            speed_f = np.mean([r[f"fedsim_{p}_jobs_per_s"] for p in POLICIES])
            speed_g = np.mean([r[f"gavel_{p}_jobs_per_s"] for p in POLICIES])
            line += (f" | {ga:.2f} / {gg:.2f} ({gg / ga:.2f}) | {100 * (fa / ga - 1):+.1f}%, "
                     f"{100 * (fg / gg - 1):+.1f}%, {100 * ((fg / fa) / (gg / ga) - 1):+.1f}% | "
                     f"{speed_f:.0f} / {speed_g:.0f}")
        print(line)


if __name__ == "__main__":
    main()
