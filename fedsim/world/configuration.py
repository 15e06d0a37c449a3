"""Choosing each submitted job's gang size from the throughput model (seeds 000/002).

A job is submitted with the gang size its duration was stated for (``n0``, from the
workload's ``gpu_mix``) and a range of worker counts it accepts. It keeps its work: the
affinity table's steps/s are those of the whole gang (every worker's steps of its local
batch together), so the job needs ``d0 · steps/s(ref, n0)`` worker-steps, and with ``n``
workers its reference run time becomes

    d(n) = d0 · steps/s(ref, n0) / steps/s(ref, n).

``steps/s`` comes from the affinity table: measured, or tabulated from the fitted
throughput model when the scenario's affinity is a calibration profile. The objectives
are those of :mod:`fedsim.perfmodel.choose`, evaluated on each GPU type the owner has
enough of for the gang (the best type counts; the scheduler decides the type later).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fedsim.errors import ScenarioError
from fedsim.perfmodel.choose import score
from fedsim.perfmodel.measurements import StepTimes
from fedsim.world.affinity import AffinityTable
from fedsim.world.jobs import JobBatch


def best_gang(
    table: AffinityTable,
    job_type: str,
    workers: tuple[int, int],
    objective: str,
    gpu_capacity: Mapping[str, int],
    busy_usd_per_gpu_h: Mapping[str, float],
    reference_gpu: str,
) -> int | None:
    """The worker count in ``workers`` the objective ranks best (ties: fewer), or None."""
    sizes = np.arange(workers[0], workers[1] + 1)
    best_score, best_n = -np.inf, None
    for gpu, capacity in sorted(gpu_capacity.items()):
        fits = sizes[sizes <= capacity]
        if not len(fits):
            continue
        k = table.job_index(job_type)
        steps = np.asarray(table.lookup(k, table.gpu_index(gpu), fits), dtype=float)
        ref = np.asarray(table.lookup(k, table.gpu_index(reference_gpu), fits), dtype=float)
        ok = (steps > 0) & (ref > 0)
        if not ok.any():
            continue
        fits, steps = fits[ok], steps[ok]
        # each of the n replicas does steps/n worker-steps of one local batch per second
        step_s = fits / steps
        candidates = StepTimes.from_arrays(np.ones(len(fits)), fits, np.ones(len(fits)), step_s)
        price = busy_usd_per_gpu_h.get(gpu, 0.0) if objective == "per_dollar" else 1.0
        # a free GPU type is worth what the cheapest objective says (no division by zero)
        values = score(step_s, candidates, objective if price > 0 else "cheapest",
                       price if price > 0 else 1.0)  # fmt: skip
        top = int(np.argmax(values))
        if values[top] > best_score or (values[top] == best_score and fits[top] < (best_n or 0)):
            best_score, best_n = float(values[top]), int(fits[top])
    return best_n


def choose_configurations(
    batch: JobBatch,
    table: AffinityTable,
    workers: tuple[int, int],
    objective: str,
    gpu_capacity: Mapping[str, int],
    busy_usd_per_gpu_h: Mapping[str, float],
    reference_gpu: str,
    where: str,
    federation_capacity: Mapping[str, int] | None = None,
) -> JobBatch:
    """``batch`` with every job's gang size chosen and its run time rescaled (same work).

    The owner's GPUs rank the sizes; a job type none of them can run is ranked on the
    largest pool of each type among the federation's members (``federation_capacity``,
    when the owner is one), where the market may place it."""
    n_gpus = batch.n_gpus.copy()
    duration = batch.ref_duration_s.copy()
    for k, n0 in sorted(set(zip(batch.job_type.tolist(), batch.n_gpus.tolist(), strict=True))):
        name = batch.job_types[k]
        n = best_gang(table, name, workers, objective, gpu_capacity, busy_usd_per_gpu_h,
                      reference_gpu)  # fmt: skip
        if n is None and federation_capacity:
            n = best_gang(table, name, workers, objective, federation_capacity,
                          busy_usd_per_gpu_h, reference_gpu)  # fmt: skip
        if n is None:
            raise ScenarioError(
                f"{where}.workers: none can run: no worker count in {list(workers)} fits a "
                f"pool where job type {name!r} runs (this provider's"
                + (" or the federation's)" if federation_capacity else ")")
            )
        rate0 = table.steps_per_s(name, reference_gpu, n0)
        if rate0 <= 0:
            continue  # the stated gang cannot run on the reference type: keep it as stated
        rows = (batch.job_type == k) & (batch.n_gpus == n0)
        n_gpus[rows] = n
        duration[rows] *= rate0 / table.steps_per_s(name, reference_gpu, n)
    return JobBatch(batch.arrival_s, n_gpus, batch.job_type, duration, batch.source_line,
                    batch.job_types)  # fmt: skip
