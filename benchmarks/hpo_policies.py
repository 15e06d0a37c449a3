"""Search policies side by side: time to a target accuracy and best accuracy by a
deadline, mean and 95% interval over seeds, on two learning-curve families; and ASHA's
time to target against the number of workers.

    python benchmarks/hpo_policies.py [--seeds 20] [--workers 16] [--trials 500]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fedsim.hpo import CurveFamily, Rungs, make_policy, run_search

FAMILIES = {
    "pow3": (CurveFamily(family="pow3", a_beta=(1.5, 4.0), c_median=0.7, noise_sd=0.01), 0.70),
    "exp3": (CurveFamily(family="exp3", a_beta=(1.5, 4.0), c_median=0.08, noise_sd=0.01), 0.70),
}
POLICIES = ("random", "sha", "hyperband", "asha", "hybrid")


def ci(x: list[float]) -> str:
    a = np.asarray(x, dtype=float)
    finite = a[np.isfinite(a)]
    if len(finite) < len(a):
        return f"{len(a) - len(finite)}/{len(a)} never"
    half = 1.96 * a.std(ddof=1) / math.sqrt(len(a))
    return f"{a.mean():8.2f} ± {half:5.2f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--trials", type=int, default=500)
    args = p.parse_args()
    rungs = Rungs(1, 81, 3)
    started = time.perf_counter()
    for fam_name, (fam, target) in FAMILIES.items():
        print(f"\n{fam_name}: {args.trials} trials, {args.workers} workers, target {target}, "
              "trial costs log-normal (σ 0.5), 10 min per unit")
        print(f"{'policy':10s} {'time to target h':>20s} {'best by 24 h':>18s} {'GPU-h':>18s}")
        for name in POLICIES:
            ttt, best, gpu = [], [], []
            for s in range(args.seeds):
                r = run_search(make_policy(name), fam, args.trials, rungs, args.workers, seed=s,
                               unit_s=600.0, cost_sigma=0.5, target=target)
                ttt.append(r.time_to_target_s / 3600.0)
                best.append(r.best_by(86400.0))
                gpu.append(r.gpu_h)
            print(f"{name:10s} {ci(ttt):>20s} {ci(best):>18s} {ci(gpu):>18s}")
    fam = CurveFamily(family="exp3", a_beta=(1.2, 6.0), c_median=0.6, noise_sd=0.002)
    print("\nASHA, time to 0.62 (≈1 in 200 trials) against workers, 4000 trials, rungs 1-9:")
    base = None
    for w in (1, 2, 4, 8, 16, 32, 64):
        t = np.mean([run_search(make_policy("asha"), fam, 4000, Rungs(1, 9, 3), w, seed=s,
                                unit_s=60.0, target=0.62).time_to_target_s
                     for s in range(args.seeds)])
        base = base or t
        print(f"  {w:3d} workers: {t / 60:8.1f} min  speed-up {base / t:5.1f} (linear {w})")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
