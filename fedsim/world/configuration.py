"""Choosing each submitted job's configuration from the throughput model (seeds 000/002):
its gang size, local batch size and parameter servers.

A job is submitted as a job type (a configuration of its model: ``ResNet-50/64``, or a
profile's ``rec`` at its stated batch size) with the gang size its duration was stated
for (``n0``, from the workload's ``gpu_mix``). The provider's ``configuration`` names the
ranges it accepts; the job keeps its work in samples. The affinity table's steps/s are
those of the whole gang (every worker's local steps together), so with local batch ``b``
a configuration processes ``b · steps/s`` samples per second and the job's reference run
time becomes

    d = d0 · samples/s(stated, ref, n0) / samples/s(chosen, ref, n).

The objectives are those of :mod:`fedsim.perfmodel.choose`, evaluated on each GPU type
the owner has enough of for the gang (the best type counts; the scheduler decides the
type later). Ties go to fewer workers, then fewer servers, then the smaller batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from fedsim.config.schema import ConfigurationChoice
from fedsim.errors import ScenarioError
from fedsim.perfmodel.choose import score
from fedsim.perfmodel.measurements import StepTimes
from fedsim.world.affinity import AffinityTable
from fedsim.world.jobs import JobBatch
from fedsim.world.variants import Variant, families, parse_variant

TIE_REL = 1e-12  # scores this close are a tie (interpolated tables repeat values exactly)


def _samples_per_s(table: AffinityTable, v: Variant, gpu: str, n: np.ndarray) -> np.ndarray:
    steps = np.asarray(table.lookup(table.job_index(v.key), table.gpu_index(gpu), n), float)
    return steps * (v.batch or 1)


def best_configuration(
    table: AffinityTable,
    candidates: Sequence[Variant],
    workers: tuple[int, int],
    objective: str,
    gpu_capacity: Mapping[str, int],
    busy_usd_per_gpu_h: Mapping[str, float],
    reference_gpu: str,
) -> tuple[Variant, int] | None:
    """The (configuration, worker count) the objective ranks best, or None if none fits."""
    sizes = np.arange(workers[0], workers[1] + 1)
    scored: list[tuple[float, int, int, int, Variant]] = []
    for gpu, capacity in sorted(gpu_capacity.items()):
        fits = sizes[sizes <= capacity]
        if not len(fits):
            continue
        price = busy_usd_per_gpu_h.get(gpu, 0.0) if objective == "per_dollar" else 1.0
        for v in candidates:
            samples = _samples_per_s(table, v, gpu, fits)
            ok = (samples > 0) & (_samples_per_s(table, v, reference_gpu, fits) > 0)
            if not ok.any():
                continue
            n, b = fits[ok], float(v.batch or 1)
            step_s = n * b / samples[ok]  # seconds per synchronous step
            steps = StepTimes.from_arrays(np.ones(len(n)), n, np.full(len(n), b), step_s)
            # a free GPU type is worth what the cheapest objective says (no division by 0)
            values = score(step_s, steps, objective if price > 0 else "cheapest",
                           price if price > 0 else 1.0)  # fmt: skip
            scored += [(float(x), int(k), v.ps, v.batch or 0, v)
                       for x, k in zip(values, n, strict=True)]
    if not scored:
        return None
    top = max(s[0] for s in scored)
    ties = [s for s in scored if s[0] >= top - TIE_REL * abs(top)]
    _, n, _, _, v = min(ties, key=lambda s: (s[1], s[2], s[3]))
    return v, n


def best_gang(table: AffinityTable, job_type: str, workers: tuple[int, int], objective: str,
              gpu_capacity: Mapping[str, int], busy_usd_per_gpu_h: Mapping[str, float],
              reference_gpu: str) -> int | None:
    """The worker count in ``workers`` the objective ranks best for ``job_type`` as it is."""
    best = best_configuration(table, [parse_variant(job_type)], workers, objective,
                              gpu_capacity, busy_usd_per_gpu_h, reference_gpu)
    return None if best is None else best[1]


def _candidates(stated: Variant, family: list[Variant], cfg: ConfigurationChoice,
                where: str) -> list[Variant]:
    """The configurations of ``stated``'s family the provider accepts."""
    servers = range(cfg.ps[0], cfg.ps[1] + 1) if cfg.ps is not None else range(1)
    batches = cfg.batch_sizes if cfg.batch_sizes is not None else (stated.batch,)
    out = [v for v in family if v.ps in servers and v.batch in batches]
    if cfg.ps is not None and cfg.ps[1] > 0 and not any(v.ps > 0 for v in family):
        raise ScenarioError(f"{where}.ps: job type {stated.key!r} has no parameter-server "
                            "configuration: step times with servers come from the throughput "
                            "model, so give the affinity as a calibration profile "
                            "(affinity.profile)")
    if not out:
        known = sorted({v.batch for v in family if v.batch is not None})
        raise ScenarioError(f"{where}.batch_sizes: job type {stated.key!r} has no configuration "
                            f"at batch sizes {list(batches)}; the affinity knows its model at "
                            f"{known or 'no stated batch size'}")
    return out


def choose_configurations(
    batch: JobBatch,
    table: AffinityTable,
    cfg: ConfigurationChoice,
    gpu_capacity: Mapping[str, int],
    busy_usd_per_gpu_h: Mapping[str, float],
    reference_gpu: str,
    where: str,
    federation_capacity: Mapping[str, int] | None = None,
    stated_batch: Mapping[str, int] | None = None,
) -> JobBatch:
    """``batch`` with every job's configuration chosen and its run time rescaled (same
    samples); job types index the whole table afterwards (variants included).

    The owner's GPUs rank the configurations; a job type none of them can run is ranked
    on the largest pool of each type among the federation's members
    (``federation_capacity``, when the owner is one), where the market may place it."""
    groups = families(table.job_types, stated_batch)
    n_gpus = batch.n_gpus.copy()
    duration = batch.ref_duration_s.copy()
    job_type = table.job_index(list(batch.job_types))[batch.job_type] if len(batch) else \
        batch.job_type.copy()
    for k, n0 in sorted(set(zip(job_type.tolist(), batch.n_gpus.tolist(), strict=True))):
        stated = parse_variant(table.job_types[k], stated_batch)
        options = _candidates(stated, groups[stated.family], cfg, where)
        args = (cfg.workers, cfg.objective)
        best = best_configuration(table, options, *args, gpu_capacity, busy_usd_per_gpu_h,
                                  reference_gpu)
        if best is None and federation_capacity:
            best = best_configuration(table, options, *args, federation_capacity,
                                      busy_usd_per_gpu_h, reference_gpu)
        if best is None:
            raise ScenarioError(
                f"{where}.workers: none can run: no worker count in {list(cfg.workers)} fits "
                f"a pool where job type {stated.key!r} runs (this provider's"
                + (" or the federation's)" if federation_capacity else ")")
            )
        chosen, n = best
        rate0 = float(_samples_per_s(table, stated, reference_gpu, np.array([n0]))[0])
        if rate0 <= 0:
            continue  # the stated gang cannot run on the reference type: keep it as stated
        rows = (job_type == k) & (batch.n_gpus == n0)
        n_gpus[rows] = n
        job_type[rows] = table.job_index(chosen.key)
        rate = float(_samples_per_s(table, chosen, reference_gpu, np.array([n]))[0])
        duration[rows] *= rate0 / rate
    return JobBatch(batch.arrival_s, n_gpus, job_type, duration, batch.source_line,
                    table.job_types)  # fmt: skip
