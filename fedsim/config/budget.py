"""What a run will cost, estimated from the scenario alone, before anything is built.

A typo such as ``epoch_s: 0.01`` over a week (60 million market epochs) or
``rate_per_h: 1e308`` would otherwise allocate tens of gigabytes or run for years
before failing. :func:`estimate` gives expected counts (jobs, epochs, events, web
requests simulated one by one) and, from coefficients measured on this machine class
(2-core x86 VM; see ``benchmarks/bench_engine.py``), memory and CPU time;
:func:`check_budget` refuses a run beyond :class:`RunLimits` with the estimate in the
message. The coefficients are deliberately generous: the aim is to catch absurd
inputs, not to predict run time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from fedsim.config.schema import Scenario
from fedsim.errors import ScenarioError

# measured (tracemalloc peak, process_time) on small and large runs, rounded up
BYTES_PER_JOB = 800.0
BYTES_PER_EVENT = 150.0
BYTES_PER_EPOCH = 2_500.0
BYTES_PER_QUEUED_REQUEST = 64.0  # request-level web: one epoch's arrays at a time
CPU_S_PER_JOB = 60e-6
CPU_S_PER_EPOCH = 2e-3
CPU_S_PER_REQUEST = 1e-6  # the compiled M/M/c kernel takes ~6e-8 s; generous
CPU_S_PER_ROUND = 5e-3  # a local scheduler's decision (an LP for the fairness policies)
BYTES_PER_ROUND = 64.0
EVENTS_PER_JOB = 3.0  # arrive, start, finish
DEFAULT_MAX_CPU_H = 48.0
DEFAULT_MEMORY_SHARE = 0.5  # of this machine's physical memory


def physical_memory_bytes() -> float:
    """This machine's physical memory (a large constant where the OS does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 64.0 * 2**30


@dataclass(frozen=True)
class RunLimits:
    """The most one run may use; ``None`` for memory means half of physical memory."""

    max_memory_bytes: float | None = None
    max_cpu_s: float = DEFAULT_MAX_CPU_H * 3600.0

    def memory_bytes(self) -> float:
        if self.max_memory_bytes is not None:
            return self.max_memory_bytes
        return DEFAULT_MEMORY_SHARE * physical_memory_bytes()


@dataclass(frozen=True)
class RunEstimate:
    """Expected size of one simulation of a scenario (floats: may be astronomically large)."""

    epochs: float
    jobs: float
    events: float
    requests: float
    memory_bytes: float
    cpu_s: float
    rounds: float = 0.0


def _diurnal_peak(mean: float, peak_to_trough: float) -> float:
    amp = (peak_to_trough - 1.0) / (peak_to_trough + 1.0)
    return mean * (1.0 + amp)


def _mean_rps(p, k: int, trace_rps: Mapping[int, float] | None) -> float:
    if p.web.mean_rps is not None:
        return p.web.mean_rps
    return (trace_rps or {}).get(k, 0.0)  # a replayed trace: known once it is read


def estimate(
    scenario: Scenario, trace_jobs: float = 0.0, trace_rps: Mapping[int, float] | None = None
) -> RunEstimate:
    """Expected counts, memory and CPU time of one simulation (``trace_jobs``: jobs
    replayed from a trace, ``trace_rps``: mean request rate of provider k's replayed web
    trace, when known)."""
    horizon_s = scenario.horizon_s
    epoch_s = scenario.federation.epoch_s
    epochs = horizon_s / epoch_s  # a float: 1e308 / 1e-300 is inf, not an OverflowError
    jobs = trace_jobs + sum(
        p.dnn.rate_per_h * horizon_s / 3600.0 for p in scenario.providers if p.dnn is not None
    )
    requests = 0.0
    peak_epoch_requests = 0.0
    if scenario.web_model == "requests":
        for k, p in enumerate(scenario.providers):
            if p.web is not None:
                mean = _mean_rps(p, k, trace_rps)
                requests += mean * horizon_s
                peak = _diurnal_peak(mean, p.web.peak_to_trough)
                peak_epoch_requests = max(peak_epoch_requests, peak * min(epoch_s, horizon_s))
    rounds = 0.0
    for p in scenario.providers:
        spec = p.scheduler or scenario.local_scheduler
        if spec.round_s:  # None: the policy's default (checked when it is built)
            rounds += horizon_s / spec.round_s
    events = EVENTS_PER_JOB * jobs + epochs
    memory = (
        BYTES_PER_ROUND * rounds
        +
        BYTES_PER_JOB * jobs
        + BYTES_PER_EVENT * events
        + BYTES_PER_EPOCH * epochs
        + BYTES_PER_QUEUED_REQUEST * peak_epoch_requests
    )
    cpu_s = (
        CPU_S_PER_JOB * jobs
        + CPU_S_PER_EPOCH * epochs
        + CPU_S_PER_REQUEST * requests
        + CPU_S_PER_ROUND * rounds
    )
    return RunEstimate(epochs, jobs, events, requests, memory, cpu_s, rounds)


def _size(x: float) -> str:
    if not math.isfinite(x) or x >= 1e6:
        return f"{x:.2g}"
    return f"{x:,.0f}"


def _bytes(x: float) -> str:
    if not math.isfinite(x) or x >= 2**60:
        return f"{x:.2g} bytes"
    return f"{x / 2**30:,.1f} GiB"


def _cpu(x: float) -> str:
    if not math.isfinite(x) or x >= 3.2e9:
        return f"{x / 3.15e7:.2g} years"
    return f"{x / 3600:,.1f} h"


def describe(est: RunEstimate) -> str:
    parts = [f"{_size(est.epochs)} market epochs", f"{_size(est.jobs)} DNN jobs"]
    if est.requests:
        parts.append(f"{_size(est.requests)} web requests")
    return ", ".join(parts)


LONG_HORIZON_S = 100 * 365 * 86_400.0


def _culprit(
    scenario: Scenario, trace_jobs: float, trace_rps: Mapping[int, float] | None
) -> str:
    """The YAML key behind the largest share of the estimate, with its value."""
    horizon_s = scenario.horizon_s
    if horizon_s > LONG_HORIZON_S:
        return f"horizon_s ({horizon_s:g} s)"
    epochs = horizon_s / scenario.federation.epoch_s
    terms: list[tuple[float, str]] = [
        (
            (BYTES_PER_EPOCH + BYTES_PER_EVENT) * epochs,
            f"federation.epoch_s ({scenario.federation.epoch_s:g} s over {horizon_s:g} s)",
        ),
        ((BYTES_PER_JOB + EVENTS_PER_JOB * BYTES_PER_EVENT) * trace_jobs, "dnn_trace"),
    ]
    for k, p in enumerate(scenario.providers):
        spec = p.scheduler or scenario.local_scheduler
        if spec.round_s:
            at = f"providers[{k}].scheduler" if p.scheduler else "local_scheduler"
            terms.append(
                (
                    BYTES_PER_ROUND * horizon_s / spec.round_s * 1e4,  # time, not memory
                    f"{at}.round_s ({spec.round_s:g} s over {horizon_s:g} s)",
                )
            )
        if p.dnn is not None:
            jobs = p.dnn.rate_per_h * horizon_s / 3600.0
            terms.append(
                (
                    (BYTES_PER_JOB + EVENTS_PER_JOB * BYTES_PER_EVENT) * jobs,
                    f"providers[{k}].dnn.rate_per_h ({p.dnn.rate_per_h:g})",
                )
            )
        if p.web is not None and scenario.web_model == "requests":
            mean = _mean_rps(p, k, trace_rps)
            key = "mean_rps" if p.web.mean_rps is not None else "trace"
            terms.append(
                (
                    CPU_S_PER_REQUEST * mean * horizon_s * 1e4,  # time, not memory
                    f"providers[{k}].web.{key} ({mean:g} requests/s, request-level)",
                )
            )
    return max(terms, key=lambda t: t[0] if math.isfinite(t[0]) else math.inf)[1]


def check_budget(
    scenario: Scenario,
    limits: RunLimits,
    trace_jobs: float = 0.0,
    trace_rps: Mapping[int, float] | None = None,
) -> RunEstimate:
    """Refuse (ScenarioError naming the key most to blame) a run beyond ``limits``."""
    est = estimate(scenario, trace_jobs, trace_rps)
    max_mem = limits.memory_bytes()
    if not est.memory_bytes <= max_mem:
        raise ScenarioError(
            f"{_culprit(scenario, trace_jobs, trace_rps)}: this run would need about "
            f"{_bytes(est.memory_bytes)} of memory ({describe(est)}); the limit is "
            f"{_bytes(max_mem)} (raise --max-memory-gb if this is meant)"
        )
    if not est.cpu_s <= limits.max_cpu_s:
        raise ScenarioError(
            f"{_culprit(scenario, trace_jobs, trace_rps)}: this run would take about "
            f"{_cpu(est.cpu_s)} "
            f"of CPU time ({describe(est)}); the limit is {_cpu(limits.max_cpu_s)} "
            "(raise --max-cpu-h if this is meant)"
        )
    return est
