"""Run many random valid scenarios and count what happens.

    python scripts/fuzz_scenarios.py --examples 1000 [--seed 0] [--determinism-every 10]

Scenarios come from the same Hypothesis strategy as ``tests/test_properties.py``
(2-5 providers, zero and missing pools, every built-in mechanism, member subsets, both
web models). Each run is checked for the accounting identities, capacity re-derived
from the event log and the job identity; every ``--determinism-every``-th one is run
twice and compared table by table: first with the web plans every earlier scenario left
in the process (as a sweep worker runs), then afresh. Prints counts by outcome,
mechanism and web model, and the first failures in full (with the scenario as JSON to
reproduce them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, seed, settings

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.engine.web_memos import WebMemos
from fedsim.errors import FedsimWarning, ScenarioError
from tests.helpers.strategies import check_invariants, scenarios, tables_equal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--determinism-every", type=int, default=10)
    parser.add_argument("--show", type=int, default=3, help="failures printed in full")
    parser.add_argument("--save-failures", type=Path, default=None,
                        help="append every failing scenario to this JSON-lines file")
    args = parser.parse_args()

    counts: Counter[str] = Counter()  # one outcome per scenario
    checks: Counter[str] = Counter()
    by_mechanism: Counter[tuple[str, str]] = Counter()
    by_web: Counter[str] = Counter()
    failures: list[str] = []
    memos = WebMemos()  # one process's plans, shared by every scenario (a sweep worker's)
    started = time.perf_counter()

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def one(data: dict) -> None:
        k = sum(counts.values())  # this scenario's number
        mech = data["federation"]["mechanism"]["name"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FedsimWarning)
                try:
                    prepared = prepare(scenario_from_dict(data))
                except ScenarioError as exc:
                    outcome = "refused: none can run" if "none can run" in str(exc) else "ERROR"
                    if outcome == "ERROR":
                        raise
                    counts[outcome] += 1
                    by_mechanism[(mech, outcome)] += 1
                    return
                result = run(prepared, web_memos=memos)
                check_invariants(result)
                if args.determinism_every and k % args.determinism_every == 0:
                    tables_equal(result, run(prepared, baseline=False))
                    checks["deterministic (run twice, tables identical)"] += 1
            counts["completed, invariants hold"] += 1
            by_mechanism[(mech, "ok")] += 1
            by_web[data["web_model"]] += 1
        except Exception as exc:
            kind = "invariant violated" if isinstance(exc, AssertionError) else "crash"
            counts[kind] += 1
            by_mechanism[(mech, kind)] += 1
            if args.save_failures is not None:
                with args.save_failures.open("a") as f:
                    f.write(json.dumps(data) + "\n")
            if len(failures) < args.show:
                failures.append(
                    f"--- {kind}: {type(exc).__name__}: {exc}\n"
                    f"{traceback.format_exc(limit=6)}\nscenario: {json.dumps(data)}\n"
                )
        done = sum(counts.values())
        if done % 50 == 0:
            print(f"  {done} scenarios, {time.perf_counter() - started:.0f} s", file=sys.stderr)

    one()
    elapsed = time.perf_counter() - started
    print(f"{sum(counts.values())} random valid scenarios in {elapsed:.0f} s (seed {args.seed})")
    for key, value in sorted((counts + checks).items()):
        print(f"  {key}: {value}")
    print("  by web model (completed): " + ", ".join(f"{k} {v}" for k, v in sorted(by_web.items())))
    print("  by mechanism:")
    for mech in sorted({m for m, _ in by_mechanism}):
        parts = ", ".join(f"{o} {v}" for (m, o), v in sorted(by_mechanism.items()) if m == mech)
        print(f"    {mech}: {parts}")
    for text in failures:
        print(text)
    bad = counts["invariant violated"] + counts["crash"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
