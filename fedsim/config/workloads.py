"""The workloads a provider serves (DNN jobs, searches, model selection, model-parallel
jobs, web services), as scenario-schema models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from fedsim.config.base import (
    MAX_DURATION_S,
    MAX_MS,
    MAX_RATIO,
    Frozen,
    Positives,
    StartTimes,
    Usd,
    int_keys,
    invalid_at,
)


class Duration(Frozen):
    """Distribution of a job's run time on the reference GPU type (whole gang)."""

    dist: Literal["lognormal", "exponential", "fixed", "gavel"] = "lognormal"
    median_s: float = Field(3600.0, gt=0, le=MAX_DURATION_S)
    sigma: float = Field(1.0, ge=0, le=10.0)
    max_s: float | None = Field(None, gt=0, le=MAX_DURATION_S)


class CurvesSpec(Frozen):
    """Learning curves of a search's trials (see ``fedsim.hpo.curves``)."""

    family: Literal["pow3", "exp3"] = "pow3"
    a_min: float = Field(0.1, ge=0, le=1)
    a_max: float = Field(0.95, ge=0, le=1)
    a_beta: Annotated[tuple[float, float], Field(strict=False)] = (1.5, 4.0)
    b_median: float = Field(0.6, gt=0, le=MAX_RATIO)
    c_median: float = Field(0.7, gt=0, le=MAX_RATIO)
    sigma: float = Field(0.3, ge=0, le=10)
    noise_sd: float = Field(0.01, ge=0, le=1)

    @model_validator(mode="after")
    def _range(self) -> CurvesSpec:
        if self.a_min > self.a_max:
            raise invalid_at("a_min", f"must be <= a_max ({self.a_max}), got {self.a_min}")
        if not all(0 < v <= MAX_RATIO for v in self.a_beta):
            raise invalid_at("a_beta", f"both must be in (0, {MAX_RATIO:g}], got {self.a_beta}")
        return self


class HpoWorkload(Frozen):
    """Hyperparameter searches: Poisson arrivals of searches, each of ``trials`` trials
    run by a search ``policy``; a trial's step is a job of ``gpus_per_trial`` GPUs of
    ``job_type`` doing ``unit_s`` reference-GPU seconds per unit of resource (times its
    own cost factor, log-normal of ``cost_sigma``)."""

    rate_per_h: float = Field(0.0, ge=0)
    start_s: StartTimes = Field(
        (), description="searches starting at these times (besides the Poisson ones)")
    trace: str | None = Field(None, description="a CSV of search start times (column t_s, "
                              "seconds or ISO 8601 from the first), besides the others")
    trials: int = Field(gt=0, le=1_000_000)
    policy: Literal["random", "sha", "hyperband", "asha", "hybrid"] = "asha"
    r_min: float = Field(1.0, gt=0, le=MAX_RATIO)
    r_max: float = Field(81.0, gt=0, le=MAX_RATIO)
    eta: int = Field(3, ge=2, le=100)
    unit_s: float = Field(gt=0, le=MAX_MS)
    cost_sigma: float = Field(0.0, ge=0, le=10)
    workers: int = Field(8, gt=0, le=100_000)
    gpus_per_trial: int = Field(1, gt=0, le=100_000)
    job_type: str
    curves: CurvesSpec = CurvesSpec()
    target_accuracy: float = Field(0.8, ge=0, le=1)
    deadline_s: float = Field(86400.0, gt=0, le=MAX_MS,
                              description="report each search's best accuracy this long "
                              "after it starts")

    @model_validator(mode="after")
    def _rungs(self) -> HpoWorkload:
        if self.r_min > self.r_max:
            raise invalid_at("r_min", f"must be <= r_max ({self.r_max:g}), got {self.r_min:g}")
        return self


class ModelSelectionWorkload(Frozen):
    """Model selection (Cerebro): each arrival trains ``configs`` configurations for
    ``epochs`` epochs over ``examples`` in ``workers`` partitions on a gang of ``workers``
    GPUs, by ``strategy``. Configuration ``c`` has a model of ``model_mb[c mod len]`` MB
    and a step ``step_scale[c mod len]`` times the job type's on the reference GPU."""

    rate_per_h: float = Field(0.0, ge=0)
    start_s: StartTimes = ()
    strategy: Literal["task_parallel", "data_parallel", "mop"] = "mop"
    workers: int = Field(8, gt=0, le=100_000)
    configs: int = Field(16, gt=0, le=100_000)
    epochs: int = Field(10, gt=0, le=100_000)
    examples: int = Field(gt=0, le=10**12)
    batch: int = Field(32, gt=0, le=10**7)
    bytes_per_example: float = Field(gt=0, le=1e12)
    model_mb: Positives = (100.0,)
    step_scale: Positives = (1.0,)
    job_type: str
    link_gbps: float = Field(10.0, gt=0, le=MAX_MS)
    link_latency_s: float = Field(1e-4, ge=0, le=MAX_MS)


class DagWorkload(Frozen):
    """Model-parallel training: each arrival is one gang of ``pipeline × tensor`` GPUs
    training ``layers`` layers (``layer_fwd_ms`` per micro-batch on the reference GPU,
    cycled; backward ``bwd_over_fwd`` times that) in ``pipeline`` stages by ``schedule``,
    ``micro_batches`` per step, for ``steps`` steps; ``activation_mb`` cross each stage
    boundary over ``link_gbps``. With ``serverless_stages``, some stages run as functions
    of the provider's serverless pool, their activations over ``function_link_gbps``."""

    rate_per_h: float = Field(0.0, ge=0)
    start_s: StartTimes = ()
    layers: int = Field(gt=0, le=100_000)
    layer_fwd_ms: Positives
    bwd_over_fwd: float = Field(2.0, gt=0, le=MAX_RATIO)
    activation_mb: float = Field(ge=0, le=1e9)
    pipeline: int = Field(1, gt=0, le=100_000)
    tensor: int = Field(1, gt=0, le=100_000)
    micro_batches: int = Field(8, gt=0, le=1_000_000)
    steps: int = Field(gt=0, le=10**9)
    schedule: Literal["gpipe", "1f1b"] = "1f1b"
    link_gbps: float = Field(100.0, gt=0, le=MAX_MS)
    link_latency_s: float = Field(1e-5, ge=0, le=MAX_MS)
    job_type: str
    serverless_stages: Literal["none", "auto"] | Annotated[int, Field(ge=1)] = Field(
        "none", description="stages run as functions of the provider's serverless pool: "
        "none, auto (the cheapest split per step) or the last k stages")
    function_link_gbps: float = Field(10.0, gt=0, le=MAX_MS)
    function_link_latency_s: float = Field(1e-3, ge=0, le=MAX_MS)


class ConfigurationChoice(Frozen):
    """Each job's configuration chosen at submission by the throughput model: the gang
    size from ``workers`` (inclusive range), the local (per-worker) batch size from
    ``batch_sizes`` and the number of parameter servers from ``ps`` (0: all-reduce), by
    ``fastest`` (most samples/s), ``cheapest`` (fewest GPU-seconds per sample) or
    ``per_dollar`` (most samples/s per USD/h of the owner's busy GPU cost). The job keeps
    its work in samples; its run time is rescaled to the chosen configuration.

    Batch sizes need the affinity to know them: a Gavel-format table's measured batch
    sizes of the job's model, or any size with a calibration profile. Parameter servers
    need a calibration profile (their step time comes from the throughput model)."""

    workers: Annotated[tuple[int, int], Field(strict=False)]
    batch_sizes: Annotated[tuple[int, ...] | None, Field(strict=False)] = None
    ps: Annotated[tuple[int, int] | None, Field(strict=False)] = None
    objective: Literal["fastest", "cheapest", "per_dollar"] = "fastest"

    @field_validator("workers")
    @classmethod
    def _range(cls, workers: tuple[int, int]) -> tuple[int, int]:
        lo, hi = workers
        if not 1 <= lo <= hi <= 100_000:
            raise ValueError(
                f"must be [min, max] with 1 <= min <= max <= 100000, got {list(workers)}"
            )
        return workers

    @field_validator("batch_sizes")
    @classmethod
    def _batches(cls, sizes: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if sizes is None:
            return None
        if not sizes or not all(1 <= b <= 1_000_000 for b in sizes):
            raise ValueError(f"must be a non-empty list of sizes in [1, 1000000], got "
                             f"{list(sizes)}")
        return tuple(sorted(set(sizes)))

    @field_validator("ps")
    @classmethod
    def _servers(cls, ps: tuple[int, int] | None) -> tuple[int, int] | None:
        if ps is not None and not 0 <= ps[0] <= ps[1] <= 64:
            raise ValueError(f"must be [min, max] with 0 <= min <= max <= 64, got {list(ps)}")
        return ps


class DnnWorkload(Frozen):
    """Generated DNN training jobs: Poisson arrivals, gang-size mix, job-type mix; with
    ``configuration``, the gang size drawn from ``gpu_mix`` is what the job's duration was
    stated for, and the size it runs with is chosen at submission."""

    rate_per_h: float = Field(ge=0)
    gpu_mix: dict[int, float] = Field(default_factory=lambda: {1: 1.0})
    duration: Duration = Duration()
    job_type_mix: dict[str, float] | Literal["all"] = Field(
        description="weights by job type, or 'all': uniform over the affinity table's types "
        "measured at the job's gang size (Gavel's generator)"
    )
    diurnal_peak_to_trough: float = Field(1.0, ge=1.0, le=MAX_RATIO)
    diurnal_phase_s: float = 0.0
    configuration: ConfigurationChoice | None = None

    @field_validator("gpu_mix", mode="before")
    @classmethod
    def _int_keys(cls, mix: Any) -> Any:
        return int_keys(mix)

    @field_validator("gpu_mix")
    @classmethod
    def _gpu_mix(cls, mix: dict[int, float]) -> dict[int, float]:
        if not mix:
            raise ValueError("must not be empty")
        for n, w in mix.items():
            if n < 1:
                raise ValueError(f"gang sizes must be >= 1, got {n}")
            if w < 0:
                raise ValueError(f"weights must be >= 0, got {w} for {n}")
        if sum(mix.values()) <= 0:
            raise ValueError("weights must not all be 0")
        return mix

    @field_validator("job_type_mix")
    @classmethod
    def _type_mix(cls, mix: dict[str, float] | str) -> dict[str, float] | str:
        if isinstance(mix, str):
            return mix
        if not mix or sum(mix.values()) <= 0 or min(mix.values()) < 0:
            raise ValueError("must have at least one job type with a weight > 0, all >= 0")
        return mix


class Sla(Frozen):
    percentile: float = Field(0.95, gt=0, lt=1)
    latency_ms: float = Field(200.0, gt=0, le=MAX_MS)


MAX_WAIT_LATENCIES = 10  # default admission limit, in SLA latencies


class WebTrace(Frozen):
    """Replayed web requests: ``format: requests`` has one row per request (a timestamp
    column: ISO 8601 or seconds; e.g. the Azure LLM trace's ``TIMESTAMP``), ``format:
    counts`` one row per fixed interval (a time column and a count column, e.g.
    ``t_s,requests`` per minute). Trace time ``t`` plays at ``(t − start_s)·time_scale``
    of simulated time, and repeats end to end when ``loop``."""

    path: str
    format: Literal["requests", "counts"] = "requests"
    time_column: str | None = Field(None, description="default: TIMESTAMP / t_s")
    count_column: str = "requests"
    start_s: float = Field(0.0, ge=0)
    time_scale: float = Field(1.0, gt=0, le=MAX_RATIO)
    loop: bool = True


class WebServerless(Frozen):
    """CPU functions that serve a web service's overflow (what its own and bought cores
    cannot serve within the SLA) when a request costs less there than shedding it
    (revenue + penalty): ``memory_gb`` per function, billed per GB-second (duration
    rounded up to ``round_ms``) and per request; at most ``concurrency`` at once; a new
    instance takes ``cold_start_s``, an idle one stays warm ``keep_warm_s``."""

    usd_per_gb_s: Usd = 0.0
    usd_per_request: Usd = 0.0
    round_ms: float = Field(1.0, ge=0, le=MAX_MS)
    memory_gb: float = Field(0.5, gt=0, le=1e6)
    concurrency: int = Field(1000, ge=1, le=10**7)
    cold_start_s: float = Field(0.5, ge=0, le=MAX_DURATION_S)
    keep_warm_s: float = Field(600.0, ge=0, le=MAX_DURATION_S)


class WebWorkload(Frozen):
    """An interactive service: diurnal Poisson requests (``mean_rps``...) or a replayed
    ``trace``, served by M/M/c queues on the cores assigned. ``sizing`` says what the
    operator knows when it sizes an epoch: the epoch's true load (``oracle``), or a
    forecast from the past (``last_epoch``, or an ``ewma`` of past epochs)."""

    mean_rps: float | None = Field(None, ge=0)
    peak_to_trough: float = Field(1.0, ge=1.0, le=MAX_RATIO)
    phase_s: float = 0.0
    trace: WebTrace | None = None
    service_ms: float = Field(gt=0, le=MAX_MS)
    sla: Sla = Sla()
    revenue_usd_per_request: Usd
    penalty_usd_per_violation: Usd = 0.0
    sizing: Literal["oracle", "last_epoch", "ewma"] = "oracle"
    ewma_alpha: float = Field(0.5, gt=0, le=1)
    headroom: float = Field(0.0, ge=0, le=10,
                            description="size for this share more load than expected")
    max_wait_ms: float | None = Field(
        None, gt=0, le=MAX_MS,
        description="admission control: a request that would wait longer on average is "
        f"turned away at once (a violation); default {MAX_WAIT_LATENCIES}x the SLA latency")
    serverless: WebServerless | None = None

    @model_validator(mode="after")
    def _one_source(self) -> WebWorkload:
        if (self.mean_rps is None) == (self.trace is None):
            raise invalid_at("mean_rps", "give exactly one of mean_rps (a diurnal Poisson "
                             "load) or trace (a replayed one)")
        return self
