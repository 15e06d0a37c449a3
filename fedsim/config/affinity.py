"""Where a scenario's DNN throughputs come from: a table, a Gavel CSV or a calibration
profile (scenario-schema models)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from fedsim.config.base import Frozen, NameTuple, int_keys


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
