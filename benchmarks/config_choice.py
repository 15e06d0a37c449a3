"""Configuration choice at submission against fixed configurations (issue 12).

    python benchmarks/config_choice.py [scenarios/calibrated.yaml] [--workers 1 8]
        [--batch-sizes 16 32 64 128 256] [--ps 0 4]

Runs the scenario as written (each job's gang size drawn from ``gpu_mix``, its batch
size as stated, all-reduce: fixed) and with every DNN workload's configuration chosen
at submission by the throughput model (``providers[i].dnn.configuration``: fastest,
cheapest, per_dollar), first over gang sizes only, then over gang sizes, local batch
sizes and parameter servers; same seed and arrivals. Prints per variant: jobs finished,
mean and p95 JCT, GPU-hours held, the federation's operating cost and welfare, and the
share of jobs given parameter servers. The affinity of ``calibrated.yaml`` comes from
the fitted throughput model (sub-linear scaling across nodes), so the objectives differ.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fedsim.api import prepare, run

OBJECTIVES = ("fastest", "cheapest", "per_dollar")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/calibrated.yaml")
    parser.add_argument("--workers", nargs=2, type=int, default=(1, 8))
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=(16, 32, 64, 128, 256))
    parser.add_argument("--ps", nargs=2, type=int, default=(0, 4))
    args = parser.parse_args()
    scenario = prepare(args.scenario).scenario
    with_dnn = [k for k, p in enumerate(scenario.providers) if p.dnn is not None]
    lo, hi = args.workers
    wider = (f", batch_sizes: [{', '.join(map(str, args.batch_sizes))}], "
             f"ps: [{args.ps[0]}, {args.ps[1]}]")
    print(f"{'variant':<18}{'finished':>9}{'JCT mean h':>11}{'JCT p95 h':>10}"
          f"{'GPU-h held':>11}{'op. cost $':>11}{'welfare $':>10}{'PS jobs':>8}{'CPU s':>7}")
    variants = [("fixed", None, "")] + [(o, o, "") for o in OBJECTIVES] + [
        (f"{o} +batch,ps", o, wider) for o in OBJECTIVES]
    for variant, objective, extra in variants:
        overrides = [] if objective is None else [
            f"providers[{k}].dnn.configuration={{workers: [{lo}, {hi}], objective: "
            f"{objective}{extra}}}" for k in with_dnn
        ]
        started = time.process_time()
        result = run(args.scenario, overrides=overrides, baseline=False)
        cpu_s = time.process_time() - started
        jobs = result.jobs
        done = jobs[jobs["status"] == "finished"]
        jct_h = done["jct_s"].to_numpy() / 3600.0
        ledger = result.ledger
        with_ps = jobs["job_type"].astype(str).str.contains("/ps").mean()
        print(f"{variant:<18}{len(done):>9}{np.mean(jct_h):>11.2f}"
              f"{np.percentile(jct_h, 95):>10.2f}{jobs['attained_gpu_s'].sum() / 3600:>11,.0f}"
              f"{ledger['operating_cost_usd'].sum():>11,.0f}"
              f"{result.summary['federation']['welfare_usd']:>10,.0f}{with_ps:>8.1%}"
              f"{cpu_s:>7.1f}")


if __name__ == "__main__":
    main()
