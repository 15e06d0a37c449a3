"""Ex-post individual rationality of web federation on random scenarios.

    python scripts/web_ir.py --scenarios 250 [--seed 0] [--mechanisms lp_welfare,vcg]

Each random web-only federation (``tests/helpers/web_scenarios.py``) runs under every
mechanism named and under ``isolated`` on the same load; a run is *not IR* when some
member ends worse off than isolated by more than the IR tolerance. Prints the counts
per mechanism and the first failures as JSON to reproduce them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fedsim.api import run
from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimWarning
from tests.helpers.web_scenarios import random_web_federation

IR_CLAIMED = ("lp_welfare", "posted_price", "vcg", "double_auction", "shapley")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mechanisms", default=",".join(IR_CLAIMED))
    args = parser.parse_args()
    counts: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    for _ in range(args.scenarios):
        base = random_web_federation(rng, "isolated")
        for mech in args.mechanisms.split(","):
            data = {**base, "federation": {**base["federation"], "mechanism": {"name": mech}}}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FedsimWarning)
                summary = run(scenario_from_dict(data)).summary
            ok = summary["federation"]["individually_rational"]
            traded = summary["federation"]["trades"]["epochs_with_trade"] > 0
            counts[(mech, "IR" if ok else "not IR")] += 1
            counts[(mech, "traded")] += traded
            if not ok and len(failures) < 3:
                failures.append(json.dumps(data))
    print(f"{args.scenarios} scenarios per mechanism in {time.perf_counter() - started:.0f} s")
    for mech in args.mechanisms.split(","):
        print(f"{mech:16s} IR {counts[(mech, 'IR')]:4d}  not IR {counts[(mech, 'not IR')]:4d}"
              f"  with trade {counts[(mech, 'traded')]:4d}")
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
