"""Median wall time of ``clear()`` per mechanism on random 5- and 10-member markets.

Usage: ``python benchmarks/bench_mechanisms.py [--markets 100] [--sizes 5,10]
[--mechanisms lp_welfare,shapley] [--demand-per-member 6] [--resources 4]``.

Markets come from ``fedsim.mechanisms.random_market`` (seeded), with
``demand_per_member × n`` demand classes and 4 resources: the 5-member market has
30 classes, the brief's reference size. Targets (issue 13, judged on median CPU time,
"ok"/"SLOW"): ``lp_welfare`` ≤ 2 ms at 5 members; exact Shapley and the nucleolus
≤ 0.5 s at 10 members.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fedsim.mechanisms import available, make, random_market

TARGETS_MS = {("lp_welfare", 5): 2.0, ("shapley", 10): 500.0, ("nucleolus", 10): 500.0}


def bench(name: str, markets: list) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU milliseconds per ``clear()``; CPU time is what the process used,
    so it stays meaningful on a shared, oversubscribed machine."""
    mech = make(name)
    mech.clear(markets[0])  # imports and first-call costs are not per-epoch costs
    wall, cpu = [], []
    for market in markets:
        w0, c0 = time.perf_counter(), time.process_time()
        mech.clear(market)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return np.array(wall) * 1e3, np.array(cpu) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", type=int, default=100)
    ap.add_argument("--sizes", default="5,10")
    ap.add_argument("--mechanisms", default=",".join(available()))
    ap.add_argument("--demand-per-member", type=int, default=6)
    ap.add_argument("--resources", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    names = [s for s in args.mechanisms.split(",") if s]
    rng = np.random.default_rng(args.seed)
    markets = {
        n: [random_market(rng, n, args.resources, args.demand_per_member * n, epoch=k)
            for k in range(args.markets)]
        for n in sizes
    }
    cols = [f"{n} members: wall ms p50 (p90) | cpu ms p50" for n in sizes]
    head = f"{'mechanism':16s}" + "".join(f" | {c:>40s}" for c in cols)
    print(f"{args.markets} markets per size, {args.resources} resources, "
          f"{args.demand_per_member} demand classes per member")
    print(head)
    print("-" * len(head))
    for name in names:
        cells = []
        for n in sizes:
            wall, cpu = bench(name, markets[n])
            target = TARGETS_MS.get((name, n))
            mark = "" if target is None else (" ok" if np.median(cpu) <= target else " SLOW")
            cells.append(f"{np.median(wall):10.2f} ({np.percentile(wall, 90):9.2f}) | "
                         f"{np.median(cpu):9.2f}{mark:5s}")
        print(f"{name:16s}" + "".join(f" | {c:>40s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
