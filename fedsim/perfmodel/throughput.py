"""The throughput model the simulator queries: seconds per step of a (model, device) job.

Lookup order for a data-parallel step of K replicas on N nodes:

1. a :class:`~fedsim.perfmodel.dataparallel.DataParallelModel` fitted on measured multi-GPU
   placements of this (model, device), when there is one;
2. otherwise compute from the calibration profile (scaled from another device by the
   :class:`~fedsim.perfmodel.crossdevice.CrossDeviceScaler` when this device was not
   measured) and a ring all-reduce of the model's gradients, bottlenecked by the network
   as soon as the ring crosses a node boundary, overlapped with the backward pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from fedsim.errors import FedsimError
from fedsim.perfmodel.compute import ComputeModel
from fedsim.perfmodel.crossdevice import CrossDeviceScaler
from fedsim.perfmodel.dataparallel import DataParallelModel
from fedsim.perfmodel.mva import ParameterServerModel
from fedsim.perfmodel.sync import RingAllReduce, overlapped_step_time_s

# backward ≈ 2× forward in DNN training, so a third of compute cannot hide the all-reduce
DEFAULT_FORWARD_FRACTION = 1.0 / 3.0
# partial overlap, between adding (γ = 1) and hiding (γ → ∞) the sync; a fit overrides it
DEFAULT_GAMMA = 2.0


@dataclass(frozen=True)
class ThroughputModel:
    """Fitted per-(model, device) compute, per-device all-reduce and optional fitted models."""

    compute: Mapping[tuple[str, str], ComputeModel]
    gradient_bytes: Mapping[str, float] = field(default_factory=dict)
    allreduce: Mapping[str, RingAllReduce] = field(default_factory=dict)
    network: RingAllReduce | None = None
    data_parallel: Mapping[tuple[str, str], DataParallelModel] = field(default_factory=dict)
    scaler: CrossDeviceScaler | None = None
    gamma: float = DEFAULT_GAMMA
    forward_fraction: float = DEFAULT_FORWARD_FRACTION

    def with_data_parallel(
        self, model: str, device: str, fitted: DataParallelModel
    ) -> ThroughputModel:
        """A copy that answers (model, device) from a model fitted on multi-GPU measurements."""
        return replace(self, data_parallel={**self.data_parallel, (model, device): fitted})

    def compute_time_s(self, model: str, device: str, local_bsz: float) -> float:
        """One replica's compute per step, measured on this device or scaled from another."""
        _check_positive(local_bsz=local_bsz)
        own = self.compute.get((model, device))
        if own is not None:
            return float(own.step_time_s(local_bsz))
        measured_on = sorted(d for (m, d) in self.compute if m == model)
        if not measured_on:
            raise FedsimError(f"throughput model: no compute measurement of model {model!r}")
        scaler = self.scaler
        if scaler is None:
            raise FedsimError(
                f"throughput model: {model!r} was measured on {', '.join(measured_on)}, "
                f"not on {device!r}, and no cross-device scaler is configured"
            )
        # prefer a device with a measured ratio to the target over a roofline estimate
        ranked = sorted(measured_on, key=lambda d: scaler.source(model, d, device) != "measured")
        reference = ranked[0]
        base = float(self.compute[(model, reference)].step_time_s(local_bsz))
        return base * scaler.time_ratio(model, reference, device)

    def sync_time_s(self, model: str, device: str, n_nodes: int, n_replicas: int) -> float:
        """Ring all-reduce of the model's gradients; the network bounds it across nodes."""
        _check_placement(n_nodes, n_replicas)
        if n_replicas == 1:
            return 0.0
        if model not in self.gradient_bytes:
            raise FedsimError(f"throughput model: gradient size of {model!r} is unknown")
        ring = self.allreduce.get(device)
        if n_nodes > 1:
            if self.network is None:
                raise FedsimError("throughput model: no network model for multi-node rings")
            ring = self.network if ring is None else ring.bottleneck(self.network)
        if ring is None:
            raise FedsimError(f"throughput model: no all-reduce measurement on {device!r}")
        return float(ring.time_s(n_replicas, self.gradient_bytes[model]))

    def step_time_s(
        self,
        model: str,
        device: str,
        local_bsz: float,
        n_nodes: int = 1,
        n_replicas: int = 1,
    ) -> float:
        """Seconds per synchronous data-parallel step (replicas spread evenly over nodes)."""
        _check_positive(local_bsz=local_bsz)
        _check_placement(n_nodes, n_replicas)
        fitted = self.data_parallel.get((model, device))
        if fitted is not None:
            return float(fitted.step_time_s(local_bsz, n_nodes, n_replicas))
        compute = self.compute_time_s(model, device, local_bsz)
        sync = self.sync_time_s(model, device, n_nodes, n_replicas)
        return float(overlapped_step_time_s(compute, sync, self.gamma, self.forward_fraction))

    def steps_per_s(
        self, model: str, device: str, local_bsz: float, n_nodes: int = 1, n_replicas: int = 1
    ) -> float:
        return 1.0 / self.step_time_s(model, device, local_bsz, n_nodes, n_replicas)

    def samples_per_s(
        self, model: str, device: str, local_bsz: float, n_nodes: int = 1, n_replicas: int = 1
    ) -> float:
        """Training samples per second of the whole job (K replicas × local batch)."""
        return (
            n_replicas * local_bsz * self.steps_per_s(model, device, local_bsz, n_nodes, n_replicas)
        )

    def ps_step_time_s(
        self,
        model: str,
        device: str,
        local_bsz: float,
        n_workers: int,
        n_servers: int,
        bandwidth_gbps: float,
    ) -> float:
        """Parameter-server training: one worker's step time by exact MVA."""
        if model not in self.gradient_bytes:
            raise FedsimError(f"throughput model: gradient size of {model!r} is unknown")
        _check_positive(bandwidth_gbps=bandwidth_gbps)
        ps = ParameterServerModel(self.gradient_bytes[model], bandwidth_gbps)
        compute = self.compute_time_s(model, device, local_bsz)
        return ps.step_time_s(compute, n_workers, n_servers)


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")


def _check_placement(n_nodes: int, n_replicas: int) -> None:
    if n_nodes < 1 or n_replicas < n_nodes:
        raise ValueError(f"need 1 ≤ n_nodes ≤ n_replicas, got {n_nodes} nodes, {n_replicas}")
