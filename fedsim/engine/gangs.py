"""Gang workloads resolved for a run: model selections and model-parallel (DAG) jobs,
each arrival one gang job whose work is its plan's makespan on the reference GPU."""

from __future__ import annotations

from fedsim.config.schema import Scenario
from fedsim.dag.workload import plan as dag_plan
from fedsim.engine.streams import stream
from fedsim.engine.world import JOB_KINDS
from fedsim.modelsel.workload import plan
from fedsim.world.affinity import AffinityTable
from fedsim.world.starts import workload_starts


def dag_plans(scenario: Scenario, job_types: tuple[str, ...]) -> list:
    return [None if p.dag is None else dag_plan(k, p.dag, job_types)
            for k, p in enumerate(scenario.providers)]


def selection_plans(scenario: Scenario, job_types: tuple[str, ...], table: AffinityTable) -> list:
    ref = scenario.affinity.reference_gpu
    return [None if p.model_selection is None else
            plan(k, p.model_selection, job_types,
                 lambda jt: table.steps_per_s(job_types[jt], ref, 1))
            for k, p in enumerate(scenario.providers)]


def gang_jobs(scenario: Scenario, plans: list, dags: list) -> list[tuple]:
    """(owner, kind, gpus, job type, work, arrival times) of the model-selection and
    model-parallel workloads, one gang job per arrival."""
    out = []
    for k, p in enumerate(scenario.providers):
        if p.model_selection is not None:
            ms = plans[k]
            out.append((k, JOB_KINDS.index("model_selection"), ms.task.workers, ms.job_type,
                        ms.outcome.makespan_s,
                        _starts(p.model_selection, scenario, "model_selection", k)))
        if p.dag is not None:
            d = dags[k]
            out.append((k, JOB_KINDS.index("dag"), d.gpus, d.job_type, d.work_ref_s,
                        _starts(p.dag, scenario, "dag", k)))
    return out


def _starts(spec, scenario: Scenario, kind: str, k: int):
    name = scenario.providers[k].name
    return workload_starts(spec.rate_per_h, spec.start_s, scenario.horizon_s,
                           stream(scenario.seed, f"{kind}/{name}"), f"providers[{k}].{kind}")
