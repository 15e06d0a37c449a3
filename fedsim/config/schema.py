"""The scenario schema: pydantic models, frozen, unknown keys rejected.

Units are in the field names. Everything a run needs is here; the engine derives its
state from a validated ``Scenario`` and nothing else.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

NonNegativeInt = Annotated[int, Field(ge=0)]
POOL_KEY = re.compile(r"^(cpu|gpu:[A-Za-z0-9_.\-]+)$")
# names that end up in file names and labels: no path separators, no leading dot
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
SAFE_NAME_HELP = "1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
MAX_SEED = 2**63 - 1
# Upper bounds far beyond any real system, so that no product of inputs overflows to inf
# (a run would otherwise end with a non-finite ledger after all its work).
MAX_USD_PER_UNIT = 1e6  # per unit-hour, GPU-hour, GB or request
MAX_DURATION_S = 1e10  # ~300 years
MAX_RATIO = 1e6  # peak-to-trough, speed ratios
MAX_MS = 1e9


def invalid_at(subpath: str, message: str) -> PydanticCustomError:
    """A validation error at ``subpath`` below the model that raises it (the loader joins
    it to the model's own location: ``providers[1]`` + ``cost.idle_usd_per_unit_h``)."""
    return PydanticCustomError("fedsim_at", "{message}", {"at": subpath, "message": message})


def _unique(values: tuple[str, ...], subpath: str, what: str) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise invalid_at(subpath, f"{what} named twice: {', '.join(dupes)}")


def int_keys(mapping: Any) -> Any:
    """``{'8': x}`` -> ``{8: x}``: results saved by fedsim 0.1 wrote integer keys as text."""
    if isinstance(mapping, dict):
        return {
            (int(k) if isinstance(k, str) and k.strip().isdigit() else k): v
            for k, v in mapping.items()
        }
    return mapping


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected, and strict types
    (``seed: true`` is not a seed, ``"0.2"`` is not a number), finite numbers only."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


Usd = Annotated[float, Field(ge=0, le=MAX_USD_PER_UNIT)]

# YAML has lists, not tuples: tuple fields accept a list (their items stay strict)
NameTuple = Annotated[tuple[str, ...], Field(strict=False)]


class OperatingCost(Frozen):
    """Operating cost per unit-hour (energy × PUE + amortised capital) by pool key.

    ``idle`` is paid for every unit whether used or not; ``busy`` replaces it while busy.
    """

    busy_usd_per_unit_h: dict[str, Usd] = Field(default_factory=dict)
    idle_usd_per_unit_h: dict[str, Usd] = Field(default_factory=dict)

    def pool_keys(self) -> set[str]:
        return set(self.busy_usd_per_unit_h) | set(self.idle_usd_per_unit_h)

    @model_validator(mode="after")
    def _non_negative(self) -> OperatingCost:
        for label, table in (
            ("busy", self.busy_usd_per_unit_h),
            ("idle", self.idle_usd_per_unit_h),
        ):
            for key, value in table.items():
                if value < 0:
                    raise invalid_at(f"{label}_usd_per_unit_h.{key}", f"must be >= 0, got {value}")
        for key, idle in self.idle_usd_per_unit_h.items():
            busy = self.busy_usd_per_unit_h.get(key, idle)
            if busy < idle:
                raise invalid_at(
                    f"busy_usd_per_unit_h.{key}",
                    f"busy cost {busy} is below the idle cost {idle} (busy replaces idle)",
                )
        return self


class Duration(Frozen):
    """Distribution of a job's run time on the reference GPU type (whole gang)."""

    dist: Literal["lognormal", "exponential", "fixed", "gavel"] = "lognormal"
    median_s: float = Field(3600.0, gt=0, le=MAX_DURATION_S)
    sigma: float = Field(1.0, ge=0, le=10.0)
    max_s: float | None = Field(None, gt=0, le=MAX_DURATION_S)


StartTimes = Annotated[tuple[Annotated[float, Field(ge=0)], ...], Field(strict=False)]
Positives = Annotated[tuple[Annotated[float, Field(gt=0)], ...], Field(strict=False, min_length=1)]


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
    boundary over ``link_gbps``."""

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


class ConfigurationChoice(Frozen):
    """Each job's gang size chosen at submission from ``workers`` (inclusive range) by the
    throughput model: ``fastest`` (most samples/s), ``cheapest`` (fewest GPU-seconds per
    sample) or ``per_dollar`` (most samples/s per USD/h of the owner's busy GPU cost).
    The job keeps its work in samples; its run time is rescaled to the chosen gang."""

    workers: Annotated[tuple[int, int], Field(strict=False)]
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


class Prices(Frozen):
    """What a provider charges its own customers."""

    dnn_usd_per_gpu_h: Usd = Field(description="per reference-GPU-hour of work")
    dnn_wait_penalty_usd_per_gpu_h: Usd = Field(
        0.0, description="refunded to the customer per GPU-hour a job waits in queue"
    )


class ServerlessSpec(Frozen):
    """A serverless GPU pool the provider may run queued DNN jobs on: one GPU of
    ``gpu_type`` and ``memory_gb`` per function, billed per GPU-second, per GB-second
    (duration rounded up to ``round_ms``) and per request; at most ``concurrency``
    functions at once; a new instance starts ``cold_start_s`` late, an idle one stays warm
    ``keep_warm_s``; one invocation runs at most ``max_invocation_s``, so a long job is a
    chain of invocations, each restoring its checkpoint. Jobs that waited
    ``burst_after_s`` go there when it is worth it. ``burst: false`` keeps the pool
    only as the market's outside option (it still caps what the owner pays peers)."""

    gpu_type: str
    usd_per_gpu_s: Usd
    usd_per_gb_s: Usd = 0.0
    usd_per_request: Usd = 0.0
    round_ms: float = Field(1.0, ge=0, le=MAX_MS)
    memory_gb: float = Field(16.0, gt=0, le=1e6)
    memory_cap_gb: float = Field(80.0, gt=0, le=1e6)
    concurrency: int = Field(64, ge=1, le=10**7)
    cold_start_s: float = Field(30.0, ge=0, le=MAX_DURATION_S)
    keep_warm_s: float = Field(600.0, ge=0, le=MAX_DURATION_S)
    max_invocation_s: float = Field(900.0, gt=0, le=MAX_DURATION_S)
    burst: bool = True
    burst_after_s: float | None = Field(
        None, ge=0, le=MAX_DURATION_S,
        description="a job goes to the pool only after waiting this long (default: one "
        "epoch, so the market and the local scheduler had their chance first)")

    @model_validator(mode="after")
    def _memory(self) -> ServerlessSpec:
        if self.memory_gb > self.memory_cap_gb:
            raise invalid_at("memory_gb", f"{self.memory_gb:g} GB is above the pool's "
                             f"memory_cap_gb of {self.memory_cap_gb:g} GB")
        return self


class SchedulerSpec(Frozen):
    """A provider's local scheduler: a registered name (``fifo``, ``las``,
    ``max_min_fairness``, ...), its parameters, the time between its decisions (null: the
    policy's own default; 0: at every arrival and completion) and the cost of a
    preemption (checkpoint and restore: seconds a resumed job holds its GPUs idle)."""

    name: str = "fifo"
    params: dict[str, Any] = Field(default_factory=dict)
    round_s: float | None = Field(None, ge=0, le=MAX_DURATION_S)
    preemption_cost_s: float = Field(0.0, ge=0, le=MAX_DURATION_S)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class Provider(Frozen):
    name: str = Field(pattern=SAFE_NAME)
    region: str = "default"
    pools: dict[str, NonNegativeInt]
    cost: OperatingCost = OperatingCost()
    prices: Prices
    cpu_speed: float = Field(
        1.0, ge=1 / MAX_RATIO, le=MAX_RATIO, description="core speed relative to the reference core"
    )
    dnn: DnnWorkload | None = None
    hpo: HpoWorkload | None = None
    model_selection: ModelSelectionWorkload | None = None
    dag: DagWorkload | None = None
    web: WebWorkload | None = None
    scheduler: SchedulerSpec | None = Field(None, description="default: local_scheduler")
    serverless: ServerlessSpec | None = None

    @field_validator("pools")
    @classmethod
    def _pools(cls, pools: dict[str, int]) -> dict[str, int]:
        for key in pools:
            if not POOL_KEY.match(key):
                raise invalid_at(key, "pool keys are 'cpu' or 'gpu:<type>' (e.g. 'gpu:v100')")
        return pools

    @model_validator(mode="after")
    def _costs_name_pools(self) -> Provider:
        # a cost for a pool the provider does not have is a typo (gpu:v10 for gpu:v100)
        for label, table in (
            ("cost.idle_usd_per_unit_h", self.cost.idle_usd_per_unit_h),
            ("cost.busy_usd_per_unit_h", self.cost.busy_usd_per_unit_h),
        ):
            unknown = sorted(set(table) - set(self.pools))
            if unknown:
                raise invalid_at(
                    f"{label}.{unknown[0]}",
                    f"this provider has no pool {unknown[0]!r}; "
                    f"its pools: {', '.join(self.pools) or '(none)'}",
                )
        return self

    @property
    def gpu_pools(self) -> dict[str, int]:
        return {k.split(":", 1)[1]: v for k, v in self.pools.items() if k.startswith("gpu:")}

    @property
    def cpu_cores(self) -> int:
        return self.pools.get("cpu", 0)


class Link(Frozen):
    between: Annotated[tuple[str, str], Field(strict=False)]
    bandwidth_gbps: float = Field(gt=0, le=MAX_MS)
    rtt_ms: float = Field(ge=0, le=MAX_MS)


class Network(Frozen):
    """WAN between providers: a default link, per-pair overrides, and an egress price."""

    bandwidth_gbps: float = Field(10.0, gt=0, le=MAX_MS)
    rtt_ms: float = Field(40.0, ge=0, le=MAX_MS)
    links: Annotated[tuple[Link, ...], Field(strict=False)] = ()
    egress_usd_per_gb: Usd = 0.02


class ProfileJob(Frozen):
    """A scenario job type measured in the profile: its model and local batch size."""

    model: str
    batch_size: int = Field(gt=0)


class DeviceSpecIn(Frozen):
    peak_tflops: float = Field(gt=0)
    memory_bandwidth_gbytes_per_s: float = Field(gt=0)


class ProfileAffinity(Frozen):
    """Throughput from a calibration profile plus the fitted model: compute per (model,
    device), a ring all-reduce bounded by the inter-node network for multi-node gangs,
    and roofline scaling from the measured device to each GPU type."""

    path: str
    jobs: dict[str, ProfileJob] = Field(min_length=1)
    gpu_types: NameTuple = Field(min_length=1)
    measured_device: str | None = Field(None, description="default: the profile's only device")
    device_specs: dict[str, DeviceSpecIn] = Field(
        default_factory=dict, description="datasheet figures beyond the built-in GPUs"
    )
    max_workers: int = Field(8, ge=1)
    gpus_per_node: int = Field(8, ge=1)
    node_bandwidth_gbps: float = Field(25.0, gt=0, description="between nodes of a provider")
    node_latency_ms: float = Field(0.05, ge=0)
    intra_node_bandwidth_gbps: float = Field(
        100.0, gt=0, description="GPU-to-GPU inside a node, where the profile has no all-reduce"
    )
    intra_node_latency_ms: float = Field(0.02, ge=0)
    gamma: float = Field(2.0, ge=1.0, le=10.0)


class Affinity(Frozen):
    """Training throughput of each job type on each GPU type.

    Exactly one of ``table`` (inline ``{job_type: {gpu: steps_per_s | {n_workers: steps_per_s}}}``),
    ``gavel_csv`` (a file in the format of Gavel's throughput table) or ``profile`` (a
    calibration profile and the throughput model) is given.
    """

    table: dict[str, dict[str, float | dict[int, float]]] | None = None
    gavel_csv: str | None = None
    profile: ProfileAffinity | None = None
    reference_gpu: str
    dataset_gb: float = Field(
        10.0, ge=0, le=1e9, description="data moved when a job starts remotely"
    )

    @field_validator("table", mode="before")
    @classmethod
    def _worker_keys(cls, table: Any) -> Any:
        if not isinstance(table, dict):
            return table
        return {
            job: {g: int_keys(v) for g, v in by_gpu.items()} if isinstance(by_gpu, dict) else by_gpu
            for job, by_gpu in table.items()
        }

    @model_validator(mode="after")
    def _one_source(self) -> Affinity:
        given = [k for k in ("table", "gavel_csv", "profile") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of 'table', 'gavel_csv' or 'profile' (got {given or 'none'})"
            )
        return self


class MechanismSpec(Frozen):
    name: str = "lp_welfare"
    params: dict[str, Any] = Field(default_factory=dict)


class Federation(Frozen):
    members: NameTuple | None = Field(None, description="default: every provider")
    mechanism: MechanismSpec = MechanismSpec()
    epoch_s: float = Field(300.0, gt=0)

    @field_validator("members")
    @classmethod
    def _members(cls, members: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if members is not None:
            if not members:
                raise ValueError("must name at least one provider (or leave it out: all)")
            _unique(members, "", "provider")
        return members


class DnnTrace(Frozen):
    """Replay DNN jobs from a trace: Philly's format (virtual clusters mapped to providers,
    job types drawn from ``job_type_mix``: the trace has none) or Gavel's (job types and
    work given; every job goes to ``provider``)."""

    path: str
    format: Literal["philly", "gavel"] = "philly"
    cluster_to_provider: dict[str, str] = Field(default_factory=dict)
    provider: str | None = Field(None, description="gavel: the provider owning every job")
    start_s: float = Field(0.0, ge=0, description="window start, from the trace's first job")
    job_type_mix: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _per_format(self) -> DnnTrace:
        if self.format == "philly":
            for key in ("cluster_to_provider", "job_type_mix"):
                if not getattr(self, key):
                    raise invalid_at(key, "required for format philly")
        elif self.provider is None:
            raise invalid_at("provider", "required for format gavel (who owns the jobs)")
        return self


class Scenario(Frozen):
    """A complete, validated federation scenario."""

    name: str = Field("scenario", pattern=SAFE_NAME)
    description: str = ""
    seed: int = Field(0, ge=0, le=MAX_SEED)
    horizon_s: float = Field(gt=0)
    web_model: Literal["fluid", "requests"] = "fluid"
    web_slice_s: float = Field(
        60.0, gt=0, le=MAX_DURATION_S,
        description="web load is sized and served slice by slice inside an epoch",
    )
    local_scheduler: SchedulerSpec = Field(
        default_factory=SchedulerSpec, description="every provider's, unless it sets its own"
    )
    providers: Annotated[tuple[Provider, ...], Field(strict=False, min_length=1)]
    network: Network = Network()
    affinity: Affinity
    federation: Federation = Federation()
    dnn_trace: DnnTrace | None = None

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = [p.name for p in self.providers]
        _unique(tuple(names), "providers", "provider")
        known = ", ".join(names)
        for k, m in enumerate(self.federation.members or ()):
            if m not in names:
                raise invalid_at(
                    f"federation.members[{k}]", f"unknown provider {m!r}; providers: {known}"
                )
        for k, link in enumerate(self.network.links):
            for end in link.between:
                if end not in names:
                    raise invalid_at(
                        f"network.links[{k}].between",
                        f"unknown provider {end!r}; providers: {known}",
                    )
            if link.between[0] == link.between[1]:
                raise invalid_at(f"network.links[{k}].between", "a link joins two providers")
        if self.dnn_trace is not None:
            owner = self.dnn_trace.provider
            if owner is not None and owner not in names:
                raise invalid_at("dnn_trace.provider", f"unknown provider {owner!r}; "
                                 f"providers: {known}")
            for cluster, prov in self.dnn_trace.cluster_to_provider.items():
                if prov not in names:
                    raise invalid_at(
                        f"dnn_trace.cluster_to_provider.{cluster}",
                        f"unknown provider {prov!r}; providers: {known}",
                    )
        return self

    @property
    def member_names(self) -> tuple[str, ...]:
        return self.federation.members or tuple(p.name for p in self.providers)

    def provider(self, name: str) -> Provider:
        for p in self.providers:
            if p.name == name:
                return p
        raise KeyError(name)
