"""Model-parallel jobs on serverful + serverless capacity (seed 004): some pipeline stages
run on the gang's GPUs, the others as functions of the owner's serverless pool.

A split puts a contiguous run of stages at one end of the chain on functions (the
last ``k`` stages, or the first ``k``), so the chain crosses between GPUs and functions
once. A function stage runs on the pool's GPU type (``slowdown`` seconds per reference
second); every boundary that touches a function stage carries the activations over the
function link; invocations last at most ``max_invocation_s`` and each later one restores
the stage's checkpoint, stalling the pipeline, so the step time is divided by the useful
share ``f = 1 − restore / max_invocation``. The owner pays its busy GPU cost for the
gang's GPUs and the pool's price (per function-second and per request, one request per
invocation) for the functions, both for the whole step:

    USD per step = step · (gpus · c_gpu + functions · (π + ρ / max_invocation)).

``serverless_stages: auto`` keeps the cheapest split per step (all-GPU included; ties:
fewer functions, then the suffix); an integer ``k`` puts the last ``k`` stages there.
At least one stage stays on GPUs (a job all on functions is a burst, see
:mod:`fedsim.engine.serverless`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedsim.dag.pipeline import PipelineResult, Stage, simulate_pipeline
from fedsim.perfmodel.sync import BITS_PER_BYTE


@dataclass(frozen=True)
class StageFunctions:
    """What a function stage costs and how fast it runs, from the owner's pool."""

    slowdown: float  # pool GPU seconds per reference-GPU second of this job type
    usd_per_function_s: float  # per function-second, requests included
    useful: float  # share of an invocation doing work (after the restore)
    cold_start_s: float
    concurrency: int
    link_latency_s: float
    link_gbps: float

    def transfer_s(self, act_bytes: float) -> float:
        return self.link_latency_s + BITS_PER_BYTE * act_bytes / (self.link_gbps * 1e9)


@dataclass(frozen=True)
class Split:
    """One placement of the stages: which run as functions, and what a step costs."""

    on_functions: tuple[bool, ...]  # per stage
    step: PipelineResult  # restore stalls included in step_s
    gpus: int
    functions: int
    usd_per_step: float
    stages: tuple[Stage, ...]  # each stage's times where it runs (before restore stalls)
    links: tuple[float, ...]  # each boundary's transfer time

    @property
    def function_stages(self) -> tuple[int, ...]:
        return tuple(s for s, f in enumerate(self.on_functions) if f)


def evaluate(mask: Sequence[bool], stages: Sequence[Stage], micro_batches: int, schedule: str,
             tensor: int, gang_transfer_s: float, act_bytes: float, fn: StageFunctions | None,
             gpu_usd_per_s: float) -> Split:
    """The step time and cost of the stages ``mask`` puts on functions."""
    mask = tuple(bool(x) for x in mask)
    if any(mask) and fn is None:
        raise ValueError("function stages need a serverless pool")
    timed = tuple(Stage(st.fwd_s * fn.slowdown, st.bwd_s * fn.slowdown) if on and fn else st
                  for st, on in zip(stages, mask, strict=True))  # fmt: skip
    links = tuple(fn.transfer_s(act_bytes) if fn is not None and (mask[s] or mask[s + 1])
                  else gang_transfer_s for s in range(len(stages) - 1))  # fmt: skip
    step = simulate_pipeline(timed, micro_batches, schedule, links)
    n_fn = tensor * sum(mask)
    gpus = tensor * (len(mask) - sum(mask))
    if n_fn and fn is not None:
        step = PipelineResult(step.step_s / fn.useful, step.bubble, step.peak_activations)
        usd = step.step_s * (gpus * gpu_usd_per_s + n_fn * fn.usd_per_function_s)
    else:
        usd = step.step_s * gpus * gpu_usd_per_s
    return Split(mask, step, gpus, n_fn, usd, timed, links)


def masks(p: int, setting: str | int) -> list[tuple[bool, ...]]:
    """The splits a setting allows: none; every suffix and prefix (``auto``); the last k."""
    if setting == "none":
        return [(False,) * p]
    if setting == "auto":
        out = [(False,) * p]
        for k in range(1, p):
            out.append((False,) * (p - k) + (True,) * k)  # the last k stages
            out.append((True,) * k + (False,) * (p - k))  # the first k stages
        return out
    k = int(setting)
    return [(False,) * (p - k) + (True,) * k]


def choose(options: Sequence[Split]) -> Split:
    """The cheapest per step; ties: fewer functions, then the earlier option."""
    return min(enumerate(options), key=lambda io: (io[1].usd_per_step, io[1].functions,
                                                   io[0]))[1]
