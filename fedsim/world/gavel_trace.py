"""Gavel's job trace format (stanford-futuredata/gavel, ``scheduler/utils.py``), read and
written, so that fedsim and Gavel's own simulator can replay the same jobs.

One job per line, ten tab-separated fields: ``job_type, command, working_directory,
num_steps_arg, needs_data_dir, total_steps, scale_factor, priority_weight, SLO,
arrival_time``. The job type is Gavel's template name (``ResNet-18 (batch size 64)``,
``A3C``), which is fedsim's Gavel-table key ``ResNet-18/64`` (``A3C``); a job's work is
``total_steps`` at its gang size, so its run time on fedsim's reference GPU type is
``total_steps / steps_per_s(job, reference, scale_factor)``. Arrival times are seconds,
shifted so that the first job arrives at 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fedsim.errors import TraceError
from fedsim.world.affinity import AffinityTable
from fedsim.world.jobs import JobBatch

FIELDS = 10
_TEMPLATE = re.compile(r"^(?P<model>.+?) \(batch size (?P<batch>\d+)\)$")


def to_fedsim_type(gavel_type: str) -> str:
    """``ResNet-18 (batch size 64)`` -> ``ResNet-18/64``; ``A3C`` -> ``A3C``."""
    m = _TEMPLATE.match(gavel_type.strip())
    return f"{m['model']}/{m['batch']}" if m else gavel_type.strip()


def to_gavel_type(fedsim_type: str) -> str:
    """``ResNet-18/64`` -> ``ResNet-18 (batch size 64)``; ``A3C`` -> ``A3C``."""
    model, sep, batch = fedsim_type.rpartition("/")
    return f"{model} (batch size {batch})" if sep and batch.isdigit() else fedsim_type


def read_gavel(
    path: str | Path,
    table: AffinityTable,
    reference_gpu: str,
    t_start_s: float = 0.0,
    t_end_s: float | None = None,
) -> JobBatch:
    """The jobs of a Gavel trace arriving in ``[t_start_s, t_end_s)`` (times from the
    trace's first job), shifted so that ``t_start_s`` is 0."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise TraceError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path}: unreadable: {exc}") from None
    arrival, n_gpus, job_type, ref_s, line_no = [], [], [], [], []
    known = set(table.job_types)
    for k, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != FIELDS:
            raise TraceError(
                f"{path}: line {k}: expected {FIELDS} tab-separated fields, saw {len(fields)}"
            )
        name = to_fedsim_type(fields[0])
        if name not in known:
            raise TraceError(
                f"{path}: line {k}: job type {fields[0]!r} is not in the affinity table "
                f"(as {name!r}); its types: {', '.join(table.job_types)}"
            )
        try:
            steps, sf, t = float(fields[5]), int(fields[6]), float(fields[9])
        except ValueError:
            raise TraceError(
                f"{path}: line {k}: total_steps, scale_factor and arrival_time must be "
                f"numbers, got {fields[5]!r}, {fields[6]!r}, {fields[9]!r}"
            ) from None
        if not (np.isfinite(steps) and steps > 0 and sf >= 1 and np.isfinite(t) and t >= 0):
            raise TraceError(f"{path}: line {k}: bad total_steps, scale_factor or arrival_time")
        speed = table.steps_per_s(name, reference_gpu, sf)
        if speed <= 0:
            raise TraceError(
                f"{path}: line {k}: {fields[0]} with {sf} GPU(s) has no throughput on the "
                f"reference GPU {reference_gpu!r}"
            )
        if arrival and t < arrival[-1]:
            raise TraceError(f"{path}: line {k}: arrival times must not decrease")
        arrival.append(t)
        n_gpus.append(sf)
        job_type.append(table.job_types.index(name))
        ref_s.append(steps / speed)
        line_no.append(k)
    if not arrival:
        raise TraceError(f"{path}: no jobs")
    t_s = np.asarray(arrival) - arrival[0]
    keep = t_s >= t_start_s
    if t_end_s is not None:
        keep &= t_s < t_end_s
    return JobBatch(
        t_s[keep] - t_start_s,
        np.asarray(n_gpus)[keep],
        np.asarray(job_type)[keep],
        np.asarray(ref_s)[keep],
        np.asarray(line_no)[keep],
        table.job_types,
    )


def write_gavel(batch: JobBatch, table: AffinityTable, reference_gpu: str,
                path: str | Path) -> Path:
    """Write ``batch`` as a Gavel trace (whole steps, as Gavel's own writer does)."""
    path = Path(path)
    rows = []
    for t, n, k, ref in zip(batch.arrival_s.tolist(), batch.n_gpus.tolist(),
                            batch.job_type.tolist(), batch.ref_duration_s.tolist(), strict=True):
        name = batch.job_types[k]
        steps = max(1, round(ref * table.steps_per_s(name, reference_gpu, n)))
        rows.append("\t".join([to_gavel_type(name), "fedsim", "fedsim", "--num_steps", "0",
                               str(steps), str(n), "1", "-1", repr(float(t))]))
    from fedsim.results.owned import check_owned_file, write_text_atomic

    def ours(p: Path) -> bool:
        with open(p, errors="replace") as f:
            return "\tfedsim\tfedsim\t" in f.readline()

    check_owned_file(path, ours, "Gavel trace")
    write_text_atomic(path, "\n".join(rows) + "\n")
    return path
