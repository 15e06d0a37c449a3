"""Write ``synthetic_philly_small.csv``: a small, seeded trace in the Philly job format.

Nothing here comes from the real Philly trace: arrivals are Poisson over one week,
clusters, gang sizes and log-normal durations are drawn from the fixed distributions
below. Rows are shuffled, like the real file (which is not sorted by time).

    python traces/make_synthetic.py [--out PATH] [--seed N] [--rows N]
"""

from __future__ import annotations

import argparse
import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HEADER = ("timestamp", "duration", "num_gpus", "gpu_time", "cluster")
START = datetime(2017, 10, 2, 0, 0, 0)
SPAN_S = 7 * 86_400
CLUSTERS = {"synth-a": 0.55, "synth-b": 0.30, "synth-c": 0.15}
GANG_MIX = {1: 0.85, 2: 0.05, 4: 0.05, 8: 0.04, 16: 0.01}
MEDIAN_DURATION_S = 1200.0
SIGMA = 1.8
MAX_DURATION_S = 5 * 86_400


def make_rows(seed: int, n_rows: int) -> list[tuple[str, str, str, str, str]]:
    """``n_rows`` rows in the Philly format, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    t_s = np.floor(np.sort(rng.random(n_rows)) * SPAN_S).astype(np.int64)
    clusters = rng.choice(list(CLUSTERS), size=n_rows, p=list(CLUSTERS.values()))
    gangs = rng.choice(list(GANG_MIX), size=n_rows, p=list(GANG_MIX.values()))
    duration_s = MEDIAN_DURATION_S * np.exp(SIGMA * rng.standard_normal(n_rows))
    duration_s = np.clip(np.round(duration_s), 1, MAX_DURATION_S)
    order = rng.permutation(n_rows)
    return [
        (
            (START + timedelta(seconds=int(t_s[i]))).strftime("%Y-%m-%d %H:%M:%S"),
            f"{duration_s[i]:.1f}",
            str(int(gangs[i])),
            f"{duration_s[i] * gangs[i]:.1f}",
            str(clusters[i]),
        )
        for i in order
    ]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("synthetic_philly_small.csv")
    )
    parser.add_argument("--seed", type=int, default=20171002)
    parser.add_argument("--rows", type=int, default=400)
    args = parser.parse_args(argv)
    with args.out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(make_rows(args.seed, args.rows))
    return args.out


if __name__ == "__main__":
    print(main())
