"""The scenario schema: pydantic models, frozen, unknown keys rejected.

Units are in the field names. Everything a run needs is here; the engine derives its
state from a validated ``Scenario`` and nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from fedsim.config.affinity import Affinity, DeviceSpecIn, ProfileAffinity, ProfileJob
from fedsim.config.base import (
    MAX_DURATION_S,
    MAX_MS,
    MAX_RATIO,
    MAX_SEED,
    MAX_USD_PER_UNIT,
    POOL_KEY,
    SAFE_NAME,
    SAFE_NAME_HELP,
    Frozen,
    NameTuple,
    NonNegativeInt,
    Positives,
    StartTimes,
    Usd,
    _unique,
    int_keys,
    invalid_at,
)
from fedsim.config.provider_parts import OperatingCost, Prices, SchedulerSpec, ServerlessSpec
from fedsim.config.workloads import (
    MAX_WAIT_LATENCIES,
    ConfigurationChoice,
    CurvesSpec,
    DagWorkload,
    DnnWorkload,
    Duration,
    HpoWorkload,
    ModelSelectionWorkload,
    Sla,
    WebServerless,
    WebTrace,
    WebWorkload,
)


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


# every model and bound of the schema, importable from here as before the split
__all__ = [
    "MAX_DURATION_S", "MAX_MS", "MAX_RATIO", "MAX_SEED", "MAX_USD_PER_UNIT",
    "MAX_WAIT_LATENCIES", "POOL_KEY", "SAFE_NAME", "SAFE_NAME_HELP",
    "Affinity", "ConfigurationChoice", "CurvesSpec", "DagWorkload", "DeviceSpecIn",
    "DnnTrace", "DnnWorkload", "Duration", "Federation", "Frozen", "HpoWorkload", "Link",
    "MechanismSpec", "ModelSelectionWorkload", "NameTuple", "Network", "NonNegativeInt",
    "OperatingCost", "Positives", "Prices", "ProfileAffinity", "ProfileJob", "Provider",
    "Scenario", "SchedulerSpec", "ServerlessSpec", "Sla", "StartTimes", "Usd",
    "WebServerless", "WebTrace", "WebWorkload", "int_keys", "invalid_at",
]  # fmt: skip
