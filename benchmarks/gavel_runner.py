"""Run Gavel's own simulator on a Gavel-format trace and print per-job results as JSON.

Runs inside an environment that has Gavel's dependencies (cvxpy with ECOS, numpy,
scipy, psutil, scikit-learn, matrix-completion, grpcio with Gavel's stubs built by its
``make rpc_stubs``); fedsim is not imported. Called by ``benchmarks/gavel_compare.py``:

    python benchmarks/gavel_runner.py --gavel /path/to/gavel --trace jobs.trace \\
        --policy max_min_fairness_perf --cluster 36:36:36 --round 360 --out out.json

Gavel's code is only called, never copied or changed: its scheduler is constructed and
``simulate`` is called the way its trace driver does, on the whole trace (Gavel's
trace mode with a measurement window can loop forever once the cluster is idle, so the
window is applied afterwards), and each job's completion time is read back from the
scheduler.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gavel", required=True, help="a Gavel checkout (has scheduler/)")
    ap.add_argument("--trace", required=True)
    ap.add_argument("--policy", required=True, help="e.g. max_min_fairness_perf")
    ap.add_argument("--cluster", default="36:36:36", help="#v100:#p100:#k80")
    ap.add_argument("--round", type=int, default=360)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solver", default="ECOS")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    trace, out = os.path.abspath(args.trace), os.path.abspath(args.out)
    sched_dir = os.path.join(os.path.abspath(args.gavel), "scheduler")
    sys.path.insert(0, sched_dir)
    os.chdir(sched_dir)  # Gavel resolves its data files relative to scheduler/
    import scheduler
    import utils

    v, p, k = (int(x) for x in args.cluster.split(":"))
    jobs, arrivals = utils.parse_trace(trace)
    stats = {"allocations": 0, "allocation_s": 0.0, "allocation_times_s": []}
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), \
            contextlib.redirect_stderr(sink):
        policy = utils.get_policy(args.policy, solver=args.solver, seed=args.seed)
        sched = scheduler.Scheduler(policy, throughputs_file="simulation_throughputs.json",
                                    simulate=True, seed=args.seed,
                                    time_per_iteration=args.round)
        allocate = sched._compute_allocation

        def timed_allocation(*a, **kw):  # count and time the policy's LP
            t = time.perf_counter()
            stats["allocation_times_s"].append(float(sched.get_current_timestamp()))
            try:
                return allocate(*a, **kw)
            finally:
                stats["allocations"] += 1
                stats["allocation_s"] += time.perf_counter() - t

        sched._compute_allocation = timed_allocation
        sched.simulate({"v100": v, "p100": p, "k80": k}, arrivals, jobs)
        wall_s = time.perf_counter() - started
    finished = {}
    for job_id, jct in sched._job_completion_times.items():
        if jct is not None:
            finished[int(job_id[0])] = float(jct)
    result = {
        "policy": args.policy,
        "wall_s": wall_s,
        "jobs": len(jobs),
        "finished": len(finished),
        "jct_s": {str(k): v for k, v in sorted(finished.items())},
        **stats,
    }
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
