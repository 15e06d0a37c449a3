"""Affinity from measurements: a calibration profile plus the fitted throughput model.

For every scenario job type (a profiled model at a local batch size), every GPU type
and every gang size up to ``max_workers``, the throughput model gives seconds per step:
compute measured on the profiled device and scaled to the GPU type (measured ratio or
roofline), and the ring all-reduce of the gradients, bounded by the inter-node network
once the gang spans more than ``gpus_per_node`` GPUs, overlapped with compute. The
result is the same :class:`AffinityTable` a measured table gives, in its convention:
whole-gang steps/s, i.e. ``n / step time`` (every worker does one local step per
synchronous step).

A provider's ``configuration`` may also choose other local batch sizes and parameter
servers: each such variant of a job (``rec/128``, ``rec/64/ps2``; see
:mod:`fedsim.world.variants`) is tabulated the same way, after the scenario's own job
types; with ``p`` servers a step is the cycle of Optimus' closed network solved by mean
value analysis (:class:`~fedsim.perfmodel.mva.ParameterServerModel`: each server's NIC
carries its shard of every worker's push and pull over the inter-node network).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from fedsim.config.schema import ProfileAffinity
from fedsim.errors import FedsimError, ScenarioError
from fedsim.world.affinity import AffinityTable
from fedsim.world.variants import variant_key


def _gang_sizes(max_workers: int) -> list[int]:
    sizes = [1]
    while sizes[-1] * 2 <= max_workers:
        sizes.append(sizes[-1] * 2)
    if sizes[-1] != max_workers:
        sizes.append(max_workers)
    return sizes


def affinity_from_profile(spec: ProfileAffinity,
                          variants: Iterable[tuple[int, int]] = ()) -> AffinityTable:
    """Fit the throughput model on ``spec.path`` and tabulate steps/s per job, GPU, gang,
    and per (local batch, servers) in ``variants`` (batch 0: the job's own)."""
    from fedsim.calibration.profile import read_profile  # pandas only, no torch
    from fedsim.perfmodel import KNOWN_DEVICES, CrossDeviceScaler, DeviceSpec, fit_profile
    from fedsim.perfmodel.sync import RingAllReduce

    try:
        df = read_profile(spec.path)
    except FedsimError as exc:
        raise ScenarioError(f"affinity.profile.path: {exc}") from None
    devices = sorted(df.loc[df["kind"] == "compute", "device"].astype(str).unique())
    measured = spec.measured_device or (devices[0] if len(devices) == 1 else None)
    if measured is None or measured not in devices:
        raise ScenarioError(
            f"affinity.profile.measured_device: choose one of the profiled devices {devices}"
        )
    models = set(df.loc[df["kind"] == "compute", "model"].astype(str))
    for job, pj in spec.jobs.items():
        if pj.model not in models:
            raise ScenarioError(
                f"affinity.profile.jobs.{job}.model: {pj.model!r} is not in the profile; "
                f"profiled models: {', '.join(sorted(models))}"
            )
    specs = dict(KNOWN_DEVICES)
    for name, d in spec.device_specs.items():
        specs[name] = DeviceSpec(name, d.peak_tflops, d.memory_bandwidth_gbytes_per_s)
    missing = [d for d in (measured, *spec.gpu_types) if d not in specs]
    if missing:
        raise ScenarioError(
            f"affinity.profile.device_specs: no datasheet figures for {', '.join(missing)} "
            f"(built in: {', '.join(sorted(KNOWN_DEVICES))}); add peak_tflops and "
            "memory_bandwidth_gbytes_per_s"
        )
    network = RingAllReduce(spec.node_latency_ms / 1000.0, spec.node_bandwidth_gbps)
    model = fit_profile(
        df,
        network=network,
        scaler=CrossDeviceScaler(specs=specs),
        gamma=spec.gamma,
        source=spec.path,
    )
    intra = RingAllReduce(spec.intra_node_latency_ms / 1000.0, spec.intra_node_bandwidth_gbps)
    model = replace(model, allreduce={**{g: intra for g in spec.gpu_types}, **model.allreduce})
    wanted = sorted(set(variants))
    points: dict[tuple[str, str], dict[int, float]] = {}
    for job, pj in spec.jobs.items():  # the scenario's own job types first, in order
        _tabulate(points, job, spec, lambda gpu, n, nodes, pj=pj: model.step_time_s(
            pj.model, gpu, pj.batch_size, nodes, n))
    for job, pj in spec.jobs.items():
        for batch, servers in wanted:
            b = batch or pj.batch_size
            if (b, servers) == (pj.batch_size, 0):
                continue  # the job itself
            step = _variant_step(model, spec, job, pj.model, b, servers)
            _tabulate(points, variant_key(job, b, servers), spec, step)
    return AffinityTable.from_points(points)


def _tabulate(points: dict, key: str, spec: ProfileAffinity,
              step_s: Callable[[str, int, int], float]) -> None:
    for gpu in spec.gpu_types:
        by_n: dict[int, float] = {}
        for n in _gang_sizes(spec.max_workers):
            nodes = math.ceil(n / spec.gpus_per_node)
            try:
                by_n[n] = n / step_s(gpu, n, nodes)
            except FedsimError as exc:
                raise ScenarioError(f"affinity.profile: {key} on {gpu} x{n}: {exc}") from None
        points[(key, gpu)] = by_n


def _variant_step(model: Any, spec: ProfileAffinity, job: str, name: str, batch: int,
                  servers: int) -> Callable[[str, int, int], float]:
    """Seconds per synchronous step of ``job``'s model at local ``batch`` on a GPU type
    with n workers: the all-reduce model, or the parameter-server network."""
    from fedsim.perfmodel.mva import ParameterServerModel

    if servers == 0:
        return lambda gpu, n, nodes: model.step_time_s(name, gpu, batch, nodes, n)
    size = model.gradient_bytes.get(name)
    if size is None:
        raise ScenarioError(f"affinity.profile.jobs.{job}: the profile has no gradient size "
                            f"of model {name!r}, which parameter servers would carry")
    ps = ParameterServerModel(model_bytes=size, bandwidth_gbps=spec.node_bandwidth_gbps)
    return lambda gpu, n, nodes: ps.step_time_s(model.compute_time_s(name, gpu, batch), n,
                                                servers)
