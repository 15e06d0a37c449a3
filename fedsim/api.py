"""The Python API: ``fedsim.run(scenario) -> Result``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fedsim.config.budget import RunEstimate, RunLimits, check_budget
from fedsim.config.loader import load_scenario
from fedsim.config.schema import Scenario
from fedsim.config.trust import normalise_trusted
from fedsim.engine.build import build_world
from fedsim.engine.feasibility import unrunnable
from fedsim.engine.simulation import EpochObserver, RunTables, Simulation
from fedsim.engine.web_memos import WebMemos
from fedsim.engine.web_plan import check_web
from fedsim.engine.world import World
from fedsim.errors import FedsimWarning, ScenarioError, in_scenario
from fedsim.mechanisms import make
from fedsim.mechanisms.registry import BASELINE
from fedsim.results.result import Result
from fedsim.results.summary import summarize

MECHANISM_AT = "federation.mechanism"
Progress = Callable[[str, float], None]


def _source(scenario: Scenario | str | Path) -> str:
    return f"scenario {scenario.name!r}" if isinstance(scenario, Scenario) else str(scenario)


def _as_scenario(scenario: Scenario | str | Path, overrides: Iterable[str]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario, overrides)


def _check_workload(world: World) -> None:
    """Jobs that can never run: an error when that is all of a provider's workload (a
    mistake), otherwise a warning with the counts (they will be rejected on arrival)."""
    counts = world.jobs.owner.tolist()
    for owner, reasons in sorted(unrunnable(world).items()):
        total = counts.count(owner)
        bad = sum(reasons.values())
        reason, n = reasons.most_common(1)[0]
        others = f" (and {len(reasons) - 1} other reason(s))" if len(reasons) > 1 else ""
        text = (
            f"{bad:,} of {total:,} DNN jobs of provider {world.providers[owner]!r} can never "
            f"run: {reason} ({n:,} jobs){others}"
        )
        if bad == total:
            raise ScenarioError(f"providers[{owner}].dnn: none can run: {text}")
        warnings.warn(f"{text}; they will be rejected on arrival", FedsimWarning, stacklevel=3)


@dataclass(frozen=True)
class Prepared:
    """A checked scenario and its world (pools, costs, realised workload), ready to run."""

    scenario: Scenario
    world: World = field(repr=False)
    trust_code: tuple[str, ...] = ()
    estimate: RunEstimate | None = None


def prepare(
    scenario: Scenario | str | Path | Prepared,
    overrides: Iterable[str] = (),
    *,
    trust_code: Iterable[str] = (),
    limits: RunLimits | None = None,
) -> Prepared:
    """Load and fully check a scenario without running it: schema, size of the run,
    mechanism (under the trust rule), web SLAs, files and traces, runnable workload.

    Every problem is a :class:`~fedsim.errors.FedsimError` naming the scenario file and
    the YAML path; a run beyond ``limits`` (memory, CPU time) is refused up front, and
    jobs that can never run are a :class:`~fedsim.errors.FedsimWarning` with counts."""
    if isinstance(scenario, Prepared):
        return scenario
    source = _source(scenario)
    sc = _as_scenario(scenario, overrides)
    trusted = normalise_trusted(trust_code)
    limits = limits or RunLimits()
    with in_scenario(source):
        est = check_budget(sc, limits)  # before anything is allocated
        spec = sc.federation.mechanism
        make(spec.name, spec.params, trusted, where=MECHANISM_AT)
        world = build_world(sc, trusted)
        check_web(world)
        trace_rps = {k: w.load.mean_per_s for k, w in enumerate(world.web)
                     if w is not None and w.load.is_trace}
        if sc.dnn_trace is not None or trace_rps:
            trace_jobs = float(len(world.jobs)) if sc.dnn_trace else 0.0
            est = check_budget(sc, limits, trace_jobs, trace_rps)
        _check_workload(world)
    return Prepared(sc, world, trusted, est)


def simulate(
    scenario: Scenario,
    mechanism_name: str | None = None,
    params: dict | None = None,
    progress: Callable[[float], None] | None = None,
    observer: EpochObserver | None = None,
    trust_code: Iterable[str] = (),
    world: World | None = None,
    web_memos: WebMemos | None = None,
) -> RunTables:
    """One simulation of ``scenario`` (optionally under another mechanism); raw tables.
    ``observer(epoch, market, clearing)`` is called after every market clearing;
    ``world`` is the scenario's world when already built (it is never modified);
    ``web_memos`` are web plans shared with other runs (they change nothing but speed)."""
    spec = scenario.federation.mechanism
    name = mechanism_name or spec.name
    mech = make(
        name,
        spec.params if mechanism_name is None else (params or {}),
        normalise_trusted(trust_code),
        where=MECHANISM_AT if mechanism_name is None else None,
    )
    if world is None:
        world = build_world(scenario, normalise_trusted(trust_code))
    check_web(world)
    return Simulation(world, mech, progress, observer, web_memos=web_memos).run()


def run(
    scenario: Scenario | str | Path | Prepared,
    *,
    overrides: Iterable[str] = (),
    baseline: bool = True,
    progress: Progress | None = None,
    trust_code: Iterable[str] = (),
    limits: RunLimits | None = None,
    web_memos: WebMemos | None = None,
) -> Result:
    """Simulate a scenario; with ``baseline`` also the paired ``isolated`` run on the same
    workload (same seed), from which every provider's ``gain_vs_isolated_usd`` comes.

    ``trust_code`` lists ``"module:Class"`` mechanisms the scenario may name (a scenario
    file alone can only name built-ins and installed plug-ins); ``limits`` bounds the
    memory and CPU time a run may need (checked before it starts); ``web_memos``: web
    plans shared with other runs (by default, between the run and its baseline)."""
    prepared = prepare(scenario, overrides, trust_code=trust_code, limits=limits)
    sc, world = prepared.scenario, prepared.world

    def report(label: str) -> Callable[[float], None] | None:
        return (lambda t_s: progress(label, t_s)) if progress is not None else None

    memos = web_memos or WebMemos()  # the baseline finds the run's web plans made
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)  # prepare() has said it once
        main = simulate(
            sc, progress=report("run"), trust_code=prepared.trust_code, world=world,
            web_memos=memos,
        )
        base_ledger = None
        if baseline:
            if sc.federation.mechanism.name == BASELINE:
                base_ledger = main.ledger
            else:
                base_ledger = simulate(
                    sc, BASELINE, progress=report("baseline"), world=world, web_memos=memos
                ).ledger
    providers = tuple(p.name for p in sc.providers)
    summary = summarize(
        main.ledger,
        main.jobs,
        main.epochs,
        providers,
        sc.member_names,
        main.budget_residual_usd,
        base_ledger,
        main.clearings,
        main.searches,
    )
    _model_selection_plans(summary, world)
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
        "searches": main.searches,
    }
    return Result(scenario=sc, tables=tables, summary=summary)


def _model_selection_plans(summary: dict, world: World) -> None:
    """What each provider's model selections and model-parallel jobs cost by their plan
    (the same for each of its jobs)."""
    for name, dag in zip(world.providers, world.dag, strict=False):
        entry = summary["providers"][name].get("dag_jobs")
        if dag is not None and entry is not None:
            entry.update(gpus=dag.gpus, step_s=dag.step.step_s, bubble=dag.step.bubble,
                         critical_path_s=dag.critical_path_s,
                         peak_activations=list(dag.step.peak_activations),
                         functions=dag.functions, function_stages=list(dag.function_stages),
                         all_gpu_step_s=dag.all_gpu_step_s, usd_per_step=dag.usd_per_step)
    for name, plan in zip(world.providers, world.model_selection, strict=False):
        entry = summary["providers"][name].get("model_selections")
        if plan is None or entry is None:
            continue
        entry.update(strategy=plan.strategy, makespan_ref_s=plan.outcome.makespan_s,
                     bytes_moved_each=plan.outcome.bytes_moved,
                     gpu_utilisation=plan.outcome.gpu_utilisation,
                     data_bytes_per_worker=plan.outcome.data_bytes_per_worker)
