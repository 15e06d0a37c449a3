"""``fedsim sweep``: expand a sweep file into run specs, run them resumably, and gather
one results table (one row per run, every swept key a column).

Each run is named by the hash of its fully resolved scenario (:class:`RunSpec.key`), so
a finished run is never recomputed, a changed input always is, and two sweep points
that resolve to the same scenario share one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fedsim.errors import FedsimError, ScenarioError
from fedsim.sweeps.backend import Backend
from fedsim.sweeps.runner import SweepReport, run_specs
from fedsim.sweeps.spec import RunSpec
from fedsim.sweeps.sweepfile import SweepFile, override, points, read_sweep, seeds_of


@dataclass(frozen=True)
class PlannedRun:
    """One row of the sweep: the swept values and the spec that computes it."""

    values: dict[str, Any]
    spec: RunSpec


def plan(path: str | Path, trust_code: tuple[str, ...] = ()) -> tuple[SweepFile, list[PlannedRun]]:
    """Read ``path`` and resolve every run (scenario errors name the sweep key)."""
    from fedsim.api import prepare
    from fedsim.mechanisms import make

    path = Path(path)
    sweep = read_sweep(path)
    scenario_path = (path.parent / sweep.scenario).resolve()
    if not scenario_path.is_file():
        raise ScenarioError(f"{path}: scenario: no such file {scenario_path}")
    runs: list[PlannedRun] = []
    for point in points(sweep):
        overrides = [override(k, v) for k, v in point.items()]
        try:
            prepared = prepare(scenario_path, overrides, trust_code=trust_code)
        except ScenarioError as exc:
            where = ", ".join(f"{k}={v!r}" for k, v in point.items()) or "the scenario"
            raise ScenarioError(f"{path}: at {where}: {exc}") from None
        sc = prepared.scenario
        mechanisms = sweep.mechanisms or [sc.federation.mechanism]
        for k, mech in enumerate(mechanisms):
            try:
                make(mech.name, dict(mech.params), prepared.trust_code, where=f"mechanisms[{k}]")
            except FedsimError as exc:
                raise ScenarioError(f"{path}: {exc}") from None
        memberships: list[tuple[str, ...] | None] = (
            [tuple(c) for c in sweep.coalitions] if sweep.coalitions else [None]
        )
        for members in memberships:
            unknown = sorted(set(members or ()) - {p.name for p in sc.providers})
            if unknown:
                raise ScenarioError(f"{path}: coalitions: no provider named {unknown[0]!r}")
            for mech in mechanisms:
                for seed in seeds_of(sweep, sc.seed):
                    spec = RunSpec.make(sc, mech.name, seed=seed, members=members,
                                        params=dict(mech.params),
                                        trust_code=prepared.trust_code)  # fmt: skip
                    runs.append(PlannedRun(dict(point), spec))
    return sweep, runs


def run_sweep(
    path: str | Path,
    out_dir: str | Path,
    *,
    backend: Backend | None = None,
    progress: bool = True,
    trust_code: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, SweepReport]:
    """Run (or reuse) every run of the sweep; return its results table and the report."""
    from fedsim.results.owned import OwnedDir

    _, runs = plan(path, trust_code)
    folder = OwnedDir(out_dir, "sweep")
    report = run_specs([r.spec for r in runs], folder.claim("runs"), backend=backend,
                       progress=progress, label=f"sweep of {len(runs)} runs")  # fmt: skip
    table = results_table(runs, report)
    folder.write_frame("sweep.parquet", table)
    folder.write_frame("sweep.csv", table)
    return table, report


def results_table(runs: list[PlannedRun], report: SweepReport) -> pd.DataFrame:
    """One row per planned run: swept values, mechanism, seed, members, run key and the
    run's metrics (welfare, every provider's profit, its gain over ``isolated`` on the
    same point, seed and membership when the sweep ran ``isolated`` too)."""
    records = report.by_key()
    rows = []
    for run in runs:
        spec, result = run.spec, records[run.spec.key].result
        row: dict[str, Any] = {**{k: _cell(v) for k, v in run.values.items()},
                               "mechanism": spec.mechanism, "params": spec.params,
                               "seed": spec.seed,
                               "members": ",".join(spec.members) if spec.members else "",
                               "run": spec.key}  # fmt: skip
        row["welfare_usd"] = result["welfare_usd"]
        row["solve_failures"] = result["solve_failures"]
        row["wall_s"] = result.get("timing", {}).get("wall_s")
        for name, profit in result["profits_usd"].items():
            row[f"profit_{name}_usd"] = profit
        rows.append(row)
    table = pd.DataFrame(rows)
    return _with_gains(table, [k for k in runs[0].values] if runs else [])


def _with_gains(table: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    if table.empty or not (table["mechanism"] == "isolated").any():
        return table
    by = [*swept, "seed", "members"]
    profit_cols = [c for c in table.columns if c.startswith("profit_")]
    base = table[table["mechanism"] == "isolated"][by + profit_cols].drop_duplicates(by)
    merged = table.merge(base, on=by, how="left", suffixes=("", "_isolated"))
    for col in profit_cols:
        gain = col.replace("profit_", "gain_")
        table[gain] = (merged[col] - merged[f"{col}_isolated"]).to_numpy()
    return table


def _cell(value: Any) -> Any:
    """A swept value as a table cell: scalars as they are, anything else as JSON text."""
    import json

    return value if isinstance(value, (int, float, str, bool)) else json.dumps(value)
