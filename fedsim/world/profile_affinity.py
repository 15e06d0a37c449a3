"""Affinity from measurements: a calibration profile plus the fitted throughput model.

For every scenario job type (a profiled model at a local batch size), every GPU type
and every gang size up to ``max_workers``, the throughput model gives seconds per step:
compute measured on the profiled device and scaled to the GPU type (measured ratio or
roofline), and the ring all-reduce of the gradients, bounded by the inter-node network
once the gang spans more than ``gpus_per_node`` GPUs, overlapped with compute. The
result is the same :class:`AffinityTable` a measured table gives.
"""

from __future__ import annotations

import math
from dataclasses import replace

from fedsim.config.schema import ProfileAffinity
from fedsim.errors import ScenarioError
from fedsim.world.affinity import AffinityTable


def _gang_sizes(max_workers: int) -> list[int]:
    sizes = [1]
    while sizes[-1] * 2 <= max_workers:
        sizes.append(sizes[-1] * 2)
    if sizes[-1] != max_workers:
        sizes.append(max_workers)
    return sizes


def affinity_from_profile(spec: ProfileAffinity) -> AffinityTable:
    """Fit the throughput model on ``spec.path`` and tabulate steps/s per job, GPU, gang."""
    from fedsim.calibration.profile import read_profile  # pandas only, no torch
    from fedsim.errors import FedsimError
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
    points: dict[tuple[str, str], dict[int, float]] = {}
    for job, pj in spec.jobs.items():
        for gpu in spec.gpu_types:
            by_n: dict[int, float] = {}
            for n in _gang_sizes(spec.max_workers):
                nodes = math.ceil(n / spec.gpus_per_node)
                try:
                    step_s = model.step_time_s(pj.model, gpu, pj.batch_size, nodes, n)
                except FedsimError as exc:
                    raise ScenarioError(f"affinity.profile: {job} on {gpu} x{n}: {exc}") from None
                by_n[n] = 1.0 / step_s
            points[(job, gpu)] = by_n
    return AffinityTable.from_points(points)
