"""Write ``synthetic_web_counts.csv``: one day of per-minute request counts of a web site.

Nothing here comes from a real site: the rate is a diurnal curve (trough at 04:00,
peak at 16:00, peak/trough 3) times a log-normal burst factor that persists for a
few minutes (an AR(1) in log space), and each minute's count is Poisson at that rate,
so the counts are overdispersed the way real traffic is (variance/mean well above 1
in 5-minute windows).

    python traces/make_web_counts.py [--out PATH] [--seed N] [--mean-rps R]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

INTERVAL_S = 60
DAY_S = 86_400
PEAK_TO_TROUGH = 3.0
BURST_SIGMA = 0.25  # stationary sd of the log burst factor
BURST_MEMORY = 0.8  # minute-to-minute autocorrelation of the log burst factor


def make_counts(seed: int, mean_rps: float) -> np.ndarray:
    """Requests per minute over one day, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, DAY_S, INTERVAL_S, dtype=float)
    amp = (PEAK_TO_TROUGH - 1.0) / (PEAK_TO_TROUGH + 1.0)
    diurnal = 1.0 + amp * np.sin(2.0 * np.pi * (t - 10 * 3600.0) / DAY_S)
    log_burst = np.empty(len(t))
    log_burst[0] = rng.normal(0.0, BURST_SIGMA)
    shock_sd = BURST_SIGMA * np.sqrt(1.0 - BURST_MEMORY**2)
    for i in range(1, len(t)):
        log_burst[i] = BURST_MEMORY * log_burst[i - 1] + rng.normal(0.0, shock_sd)
    burst = np.exp(log_burst - BURST_SIGMA**2 / 2.0)  # mean 1
    return rng.poisson(mean_rps * INTERVAL_S * diurnal * burst)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).with_name("synthetic_web_counts.csv"))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--mean-rps", type=float, default=400.0)
    args = parser.parse_args(argv)
    counts = make_counts(args.seed, args.mean_rps)
    with args.out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("t_s", "requests"))
        w.writerows((i * INTERVAL_S, int(c)) for i, c in enumerate(counts))
    return args.out


if __name__ == "__main__":
    print(main())
