"""A provider's model-selection workload: each arrival is one gang job of ``workers``
GPUs that trains K configurations for E epochs by one strategy; its work (reference-GPU
seconds of the whole gang) is the strategy's makespan on the reference GPU type, with
compute per step from the affinity table (the throughput model)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fedsim.errors import ScenarioError
from fedsim.modelsel.strategies import (
    Config,
    Outcome,
    Task,
    data_parallel,
    model_hopper,
    task_parallel,
)
from fedsim.perfmodel.sync import RingAllReduce

STRATEGIES = ("task_parallel", "data_parallel", "mop")
MAX_SCHEDULE_WORK = 2e8  # the MOP schedule is simulated sub-epoch by sub-epoch, O(K) each


@dataclass(frozen=True)
class SelectionPlan:
    """What one model selection of a provider costs on the reference GPU type."""

    strategy: str
    task: Task
    outcome: Outcome
    job_type: int


def plan(k: int, spec, job_types: tuple[str, ...], ref_steps_per_s) -> SelectionPlan:
    """Provider ``k``'s model selection (``spec``: its scenario entry);
    ``ref_steps_per_s(job_type)`` the reference GPU's steps/s on one worker."""
    if spec.job_type not in job_types:
        raise ScenarioError(f"providers[{k}].model_selection.job_type: unknown job type "
                            f"{spec.job_type!r}; the affinity table knows: {', '.join(job_types)}")
    visits = spec.configs * spec.workers * spec.epochs
    if spec.strategy == "mop" and spec.configs * visits > MAX_SCHEDULE_WORK:
        raise ScenarioError(f"providers[{k}].model_selection.configs: {spec.configs} configs × "
                            f"{spec.workers} workers × {spec.epochs} epochs is {visits:,} "
                            f"sub-epochs, each choosing among {spec.configs} configs; at most "
                            f"{MAX_SCHEDULE_WORK:.0e} such steps (a few seconds)")
    jt = job_types.index(spec.job_type)
    speed = ref_steps_per_s(jt)
    if not (speed > 0 and math.isfinite(speed)):
        raise ScenarioError(f"providers[{k}].model_selection.job_type: {spec.job_type!r} "
                            "has no throughput on the reference GPU type")
    configs = tuple(
        Config(spec.step_scale[c % len(spec.step_scale)] / speed,
               spec.model_mb[c % len(spec.model_mb)] * 1e6)
        for c in range(spec.configs)
    )
    task = Task(configs, spec.epochs, spec.workers, spec.examples, spec.batch,
                spec.bytes_per_example, RingAllReduce(spec.link_latency_s, spec.link_gbps))
    if spec.strategy == "task_parallel":
        out = task_parallel(task)
    elif spec.strategy == "data_parallel":
        out = data_parallel(task)
    else:
        out = model_hopper(task)
    return SelectionPlan(spec.strategy, task, out, jt)

