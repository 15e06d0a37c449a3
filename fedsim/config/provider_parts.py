"""A provider's costs, prices, serverless pool and local scheduler (scenario-schema
models)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from fedsim.config.base import MAX_DURATION_S, MAX_MS, Frozen, Usd, invalid_at


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
