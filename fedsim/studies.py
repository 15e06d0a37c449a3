"""Studies of many runs, in Python: :func:`compare` (mechanisms side by side on paired
seeds) and :func:`coalitions` (one run per coalition, then the game solved).

``fedsim compare`` and ``fedsim coalitions`` are front-ends over these functions, so a
table computed here is the one the command writes. Errors are
:class:`~fedsim.errors.FedsimError` raised before any run starts, and they name the
command-line options (``--mechanisms``, ``--param NAME``) as elsewhere in fedsim.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fedsim.errors import FedsimError

if TYPE_CHECKING:
    import pandas as pd

    from fedsim.api import Prepared
    from fedsim.config.budget import RunLimits
    from fedsim.config.schema import Scenario
    from fedsim.results.owned import OwnedDir


@dataclass(frozen=True, eq=False)
class CompareResult:
    """What ``fedsim compare`` writes: ``per_seed`` (compare_seeds.parquet, one row per
    mechanism and seed) and ``table`` (compare.parquet, means and 95% half-widths)."""

    per_seed: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    mechanisms: list[str]  # baselines first (see order_mechanisms)
    seeds: list[int]
    scenario: Scenario = field(repr=False)
    runs_ran: int
    runs_reused: int
    out: Path | None = None  # the output folder; None when it was a temporary one


@dataclass(frozen=True, eq=False)
class CoalitionsResult:
    """What ``fedsim coalitions`` writes: ``values`` (coalitions.parquet, v(S) per
    coalition), ``members`` (members.parquet, each payoff rule per member) and
    ``solution`` (solution.json); ``lines`` are the printed stability verdicts."""

    values: pd.DataFrame = field(repr=False)
    members: pd.DataFrame = field(repr=False)
    solution: dict[str, Any] = field(repr=False)
    lines: list[str]
    scenario: Scenario = field(repr=False)
    runs_ran: int
    runs_reused: int
    out: Path | None = None


def order_mechanisms(names: str | Iterable[str]) -> list[str]:
    """The mechanisms of a comparison: ``names`` (a list, or comma-separated text) after the
    baselines (``isolated`` for gains, ``lp_welfare`` for efficiency), duplicates dropped,
    order otherwise kept."""
    from fedsim.mechanisms.registry import BASELINE, REFERENCE

    parts = names.split(",") if isinstance(names, str) else names
    picked = [str(n).strip() for n in parts if str(n).strip()]
    if not picked:
        raise FedsimError("--mechanisms: give at least one mechanism name, e.g. lp_welfare,shapley")
    return list(dict.fromkeys([BASELINE, REFERENCE, *picked]))


def check_seeds(seeds: int) -> None:
    """Refuse fewer than one seed."""
    if seeds < 1:
        raise FedsimError(f"--seeds must be >= 1, got {seeds}")


def mechanism_params(
    scenario: Scenario, names: list[str], params: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Each mechanism's parameters: the scenario's own for its mechanism, then ``params``
    (mechanism -> {key: value}) on top, key by key."""
    own = scenario.federation.mechanism
    out = {n: (dict(own.params) if n == own.name else {}) for n in names}
    for name, given in (params or {}).items():
        if name not in out:
            raise FedsimError(f"params: {name!r} is not among the mechanisms run "
                              f"({', '.join(names)})")
        if not isinstance(given, Mapping):
            raise FedsimError(f"params[{name!r}]: expected a mapping of parameter names to "
                              f"values, got {type(given).__name__}")
        out[name].update(given)
    return out


def _check_mechanisms(kwargs: Mapping[str, Mapping[str, Any]],
                      params: Mapping[str, Any] | None, trust_code: tuple[str, ...],
                      where: str) -> None:
    """Unknown names and bad parameters fail before any run; an error names ``--param
    NAME`` when the caller gave that mechanism's parameters, else ``where``."""
    from fedsim.mechanisms import make

    for name, given in kwargs.items():
        make(name, given, trust_code, where=f"--param {name}" if name in (params or {})
             else where)


@contextmanager
def _output(out: str | Path | None, kind: str) -> Iterator[OwnedDir]:
    """``out`` claimed as a fedsim output of ``kind`` (new, empty or its own earlier one;
    see :mod:`fedsim.results.owned`); None: a new temporary folder, removed afterwards."""
    from fedsim.results.owned import OwnedDir

    if out is not None:
        yield OwnedDir(out, kind)
        return
    tmp = Path(tempfile.mkdtemp(prefix=f"fedsim-{kind}-"))
    try:
        yield OwnedDir(tmp, kind)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # created above: all of it is ours


def compare(
    scenario: Scenario | str | Path | Prepared,
    mechanisms: str | Iterable[str],
    seeds: int = 3,
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    core: bool = False,
    overrides: Iterable[str] = (),
    out: str | Path | None = None,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    trust_code: Iterable[str] = (),
    limits: RunLimits | None = None,
    progress: bool = False,
) -> CompareResult:
    """Run every mechanism on ``scenario`` for ``seeds`` paired seeds (the scenario's seed,
    seed+1, ...: each seed is the same workload under every mechanism) and tabulate them,
    as ``fedsim compare`` does.

    ``isolated`` and ``lp_welfare`` are always added (gains and efficiency are measured
    against them). ``params`` maps a mechanism to its parameters (over the scenario's own,
    for its mechanism); ``core`` also measures the per-epoch core violation (2^n coalition
    LPs per epoch). Names and parameters are checked before any run.

    ``out``: the folder of the run store and tables (as ``--out``: only a new, empty or
    earlier ``compare`` folder; finished runs are reused); None: a temporary folder that
    is removed afterwards. ``workers``/``backend``/``address`` as ``--workers``,
    ``--backend``, ``--address``; ``trust_code`` and ``limits`` as in :func:`fedsim.run`."""
    from fedsim.analysis.compare_report import per_seed_table, summary_table
    from fedsim.api import prepare
    from fedsim.config.loader import scenario_to_yaml
    from fedsim.sweeps import RunSpec, make_backend, run_specs

    check_seeds(seeds)
    prepared = prepare(scenario, overrides, trust_code=trust_code, limits=limits)
    sc = prepared.scenario
    names = order_mechanisms(mechanisms)
    kwargs = mechanism_params(sc, names, params)
    _check_mechanisms(kwargs, params, prepared.trust_code, "--mechanisms")
    runner = make_backend(backend, workers, address)
    with _output(out, "compare") as folder:
        folder.write_text("scenario.yaml", scenario_to_yaml(sc))  # for the report
        seed_list = [sc.seed + k for k in range(seeds)]
        specs = [
            RunSpec.make(sc, name, seed=seed, params=kwargs[name], coalition_values=core,
                         trust_code=prepared.trust_code)
            for name in names for seed in seed_list
        ]
        report = run_specs(specs, folder.claim("runs"), backend=runner, progress=progress,
                           label=f"{len(names)} mechanisms × {seeds} seeds")
        records = report.by_key()
        runs = [{"mechanism": s.mechanism, "seed": s.seed, "result": records[s.key].result}
                for s in specs]
        per_seed = per_seed_table(runs)
        table = summary_table(per_seed, order=names)
        for frame, stem in ((table, "compare"), (per_seed, "compare_seeds")):
            folder.write_frame(f"{stem}.parquet", frame)
            folder.write_frame(f"{stem}.csv", frame)
    return CompareResult(per_seed=per_seed, table=table, mechanisms=names, seeds=seed_list,
                         scenario=sc, runs_ran=len(report.ran),
                         runs_reused=len(report.skipped),
                         out=None if out is None else Path(out))


def coalitions(
    scenario: Scenario | str | Path | Prepared,
    mechanism: str | None = None,
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Iterable[str] = (),
    out: str | Path | None = None,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    trust_code: Iterable[str] = (),
    limits: RunLimits | None = None,
    progress: bool = False,
) -> CoalitionsResult:
    """Simulate ``scenario`` once per coalition of its members (the others stay isolated;
    2^n - n runs on the same workload) under ``mechanism`` (default: the scenario's), and
    solve the game: v(S), Shapley, Banzhaf, least core, nucleolus, core tests and a
    stable structure (merge-and-split), as ``fedsim coalitions`` does.

    ``params`` maps the mechanism to its parameters, over the scenario's own when it is
    the scenario's mechanism (``{"posted_price": {"markup": 0.5}}``); ``out`` and the
    other keywords as in :func:`compare` (a ``coalitions`` folder)."""
    from fedsim.analysis.coalition_report import (
        game_lines,
        members_frame,
        solve_game,
        values_frame,
    )
    from fedsim.api import prepare
    from fedsim.config.loader import scenario_to_yaml
    from fedsim.sweeps import make_backend, run_specs
    from fedsim.sweeps.coalitions import coalition_specs, coalition_values, grand_payoff
    from fedsim.sweeps.store import json_safe

    prepared = prepare(scenario, overrides, trust_code=trust_code, limits=limits)
    sc = prepared.scenario
    runner = make_backend(backend, workers, address)
    name = mechanism or sc.federation.mechanism.name
    kwargs = mechanism_params(sc, [name], params)
    _check_mechanisms(kwargs, params, prepared.trust_code,
                      "--mechanism" if mechanism else "federation.mechanism")
    specs = coalition_specs(sc, name, kwargs[name], trust_code=prepared.trust_code)
    with _output(out, "coalitions") as folder:
        folder.write_text("scenario.yaml", scenario_to_yaml(sc))  # for the report
        members = list(sc.member_names)
        report = run_specs(list(specs.values()), folder.claim("runs"), backend=runner,
                           progress=progress, label=f"{2 ** len(members) - 1} coalitions")
        records = report.by_key()
        values = coalition_values(specs, records)
        solution = solve_game(values, members, grand_payoff(specs, records, members))
        solution["scenario"] = sc.name
        solution["mechanism"] = name
        solution["seed"] = sc.seed
        table = values_frame(values, members)
        member_table = members_frame(solution)
        saved = json_safe(solution)
        folder.write_frame("coalitions.parquet", table)
        folder.write_frame("members.parquet", member_table)
        folder.write_text("solution.json", json.dumps(saved, indent=2, allow_nan=False) + "\n")
    return CoalitionsResult(values=table, members=member_table, solution=saved,
                            lines=game_lines(solution), scenario=sc,
                            runs_ran=len(report.ran), runs_reused=len(report.skipped),
                            out=None if out is None else Path(out))
