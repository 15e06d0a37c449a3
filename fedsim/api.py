"""The Python API: ``fedsim.run(scenario) -> Result``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from fedsim.config.loader import load_scenario
from fedsim.config.schema import Scenario
from fedsim.engine.simulation import EpochObserver, RunTables, Simulation
from fedsim.engine.web import check_web_slas
from fedsim.engine.world import build_world
from fedsim.mechanisms import make
from fedsim.results.result import Result
from fedsim.results.summary import summarize

BASELINE = "isolated"
Progress = Callable[[str, float], None]


def _as_scenario(scenario: Scenario | str | Path, overrides: Iterable[str]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario, overrides)


def prepare(scenario: Scenario | str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load and fully check a scenario (schema, files, traces, mechanism) without running it."""
    sc = _as_scenario(scenario, overrides)
    make(sc.federation.mechanism.name, sc.federation.mechanism.params)
    check_web_slas(sc)
    build_world(sc)
    return sc


def simulate(
    scenario: Scenario,
    mechanism_name: str | None = None,
    params: dict | None = None,
    progress: Callable[[float], None] | None = None,
    observer: EpochObserver | None = None,
) -> RunTables:
    """One simulation of ``scenario`` (optionally under another mechanism); raw tables.
    ``observer(epoch, market, clearing)`` is called after every market clearing."""
    spec = scenario.federation.mechanism
    name = mechanism_name or spec.name
    mech = make(name, spec.params if mechanism_name is None else (params or {}))
    check_web_slas(scenario)
    return Simulation(build_world(scenario), mech, progress, observer).run()


def run(
    scenario: Scenario | str | Path,
    *,
    overrides: Iterable[str] = (),
    baseline: bool = True,
    progress: Progress | None = None,
) -> Result:
    """Simulate a scenario; with ``baseline`` also the paired ``isolated`` run on the same
    workload (same seed), from which every provider's ``gain_vs_isolated_usd`` comes."""
    sc = _as_scenario(scenario, overrides)

    def report(label: str) -> Callable[[float], None] | None:
        return (lambda t_s: progress(label, t_s)) if progress is not None else None

    main = simulate(sc, progress=report("run"))
    base_ledger = None
    if baseline:
        if sc.federation.mechanism.name == BASELINE:
            base_ledger = main.ledger
        else:
            base_ledger = simulate(sc, BASELINE, progress=report("baseline")).ledger
    providers = tuple(p.name for p in sc.providers)
    summary = summarize(
        main.ledger,
        main.jobs,
        main.epochs,
        providers,
        sc.member_names,
        main.budget_residual_usd,
        base_ledger,
    )
    summary["mechanism"] = sc.federation.mechanism.name
    summary["scenario"] = sc.name
    summary["seed"] = sc.seed
    summary["wall_s"] = main.wall_s
    summary["mechanism_s"] = main.mechanism_s
    summary["events"] = len(main.events)
    summary["events_per_s"] = len(main.events) / main.wall_s if main.wall_s > 0 else None
    tables = {
        "events": main.events,
        "jobs": main.jobs,
        "clearings": main.clearings,
        "prices": main.prices,
        "epochs": main.epochs,
        "ledger": main.ledger,
    }
    return Result(scenario=sc, tables=tables, summary=summary)
