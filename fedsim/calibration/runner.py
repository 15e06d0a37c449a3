"""Plan and run a calibration: a list of tasks, each producing profile rows.

The plan is a flat list so that a caller (the CLI) can show progress between tasks; the
Python API :func:`calibrate` runs it without any display.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fedsim.calibration.allreduce import backend_for, run_allreduce, threads_per_worker
from fedsim.calibration.config import CalibrationConfig
from fedsim.calibration.device import provenance, require_torch
from fedsim.calibration.profile import COLUMNS, validate_profile
from fedsim.calibration.quiet import QuietGuard
from fedsim.calibration.timing import Measurement, make_timer, measure

Row = dict[str, Any]
SAMPLES = "samples_s"  # a partial row's raw samples, pooled across rounds by run_plan
_KEY = ("kind", "model", "device", "batch_size", "n_workers", "message_bytes")


@dataclass(frozen=True)
class Task:
    """One unit of measurement: a round over a model's batch sizes, an all-reduce worker
    count, or a web handler."""

    kind: str
    label: str
    run: Callable[[], list[Row]] = field(repr=False)


@dataclass(frozen=True)
class Plan:
    tasks: tuple[Task, ...]
    notes: tuple[str, ...]  # what was left out and why, for the user


@contextlib.contextmanager
def _torch_settings(threads: int, device: str) -> Iterator[None]:
    """Set process-wide torch knobs for one task and restore them afterwards."""
    torch = require_torch()
    old_threads = torch.get_num_threads()
    old_benchmark = torch.backends.cudnn.benchmark
    torch.set_num_threads(threads)
    # training jobs on GPUs run with cuDNN autotuning; the warm-up absorbs its search
    torch.backends.cudnn.benchmark = device == "cuda"
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.backends.cudnn.benchmark = old_benchmark


def _compute_tasks(config: CalibrationConfig, model: str) -> list[Task]:
    """One task per interleaved round over all batch sizes (see :mod:`sweep`)."""
    from fedsim.calibration.sweep import ComputeSweep

    sweep = ComputeSweep(config, model)
    rounds = config.timing.rounds

    def round_task(index: int) -> Task:
        def run() -> list[Row]:
            with _torch_settings(config.threads, config.device):
                samples = sweep.run_round(index)
            if index == rounds - 1:
                sweep.release()
            grad_bytes, rows = sweep.gradient_bytes, []
            for batch, times in sorted(samples.items()):
                m = Measurement.from_samples(times)
                row = _row(config, "compute", model, batch, 1, grad_bytes, m, config.threads)
                rows.append({**row, SAMPLES: times})
            return rows

        label = f"train {_name(config, model)} round {index + 1}/{rounds}"
        return Task("compute", f"{label} ({len(sweep.batch_sizes)} batch sizes)", run)

    return [round_task(i) for i in range(rounds)]


def _web_task(config: CalibrationConfig, model: str) -> Task:
    def run() -> list[Row]:
        from fedsim.calibration.web import make_handler

        torch = require_torch()
        # the simulator's web model is a service time per request on one core
        with _torch_settings(1, config.device):
            handler = make_handler(model, config.size, torch.device(config.device), config.seed)
            m = measure(handler, make_timer(config.device), config.timing.for_device(config.device))
        return [_row(config, "web", model, 1, 1, 0, m, 1)]

    return Task("web", f"web request {_name(config, model)}", run)


def _allreduce_task(config: CalibrationConfig, n_workers: int) -> Task:
    backend = backend_for(config.device)

    def run() -> list[Row]:
        results = run_allreduce(
            config.device, n_workers, config.message_bytes, config.timing, config.threads
        )
        per_worker = threads_per_worker(config.threads, n_workers)
        return [
            _row(config, "allreduce", backend, 0, n_workers, n_bytes, m, per_worker)
            for n_bytes, m in results
        ]

    label = f"all-reduce {backend} x{n_workers} ({len(config.message_bytes)} sizes)"
    return Task("allreduce", label, run)


def _name(config: CalibrationConfig, model: str) -> str:
    # tiny models get their own names so a quick profile is never mistaken for a full one
    return model if config.size == "full" else f"{model}-{config.size}"


def _row(
    config: CalibrationConfig,
    kind: str,
    model: str,
    batch_size: int,
    n_workers: int,
    message_bytes: int,
    m: Measurement,
    threads: int,
) -> Row:
    return {
        "kind": kind,
        "model": model if kind == "allreduce" else _name(config, model),
        "device": config.device,
        "batch_size": batch_size,
        "n_workers": n_workers,
        "message_bytes": message_bytes,
        "time_s": m.time_s,
        "iqr_over_median": m.iqr_over_median,
        "repeats": m.repeats,
        "threads": threads,
    }


def plan(config: CalibrationConfig) -> Plan:
    """Every task of a run, cheapest kinds first so a broken setup fails early."""
    notes: list[str] = []
    tasks: list[Task] = [_web_task(config, model) for model in config.web_models]
    n_workers = config.n_workers
    if config.device == "cuda":
        n_gpus = int(require_torch().cuda.device_count())
        # NCCL needs one GPU per rank
        n_workers = tuple(k for k in config.n_workers if k <= n_gpus)
        left_out = [k for k in config.n_workers if k > n_gpus]
        if left_out:
            notes.append(
                f"all-reduce with {', '.join(map(str, left_out))} workers skipped: "
                f"NCCL needs one GPU per worker and {n_gpus} GPU(s) are visible"
            )
    if config.message_bytes:
        tasks += [_allreduce_task(config, k) for k in n_workers]
    tasks += [task for model in config.models for task in _compute_tasks(config, model)]
    return Plan(tuple(tasks), tuple(notes))


def pool_rounds(rows: list[Row]) -> list[Row]:
    """Merge partial rows (those carrying raw samples) of one measurement into one row."""
    pooled: dict[tuple[Any, ...], Row] = {}
    out: list[Row] = []
    for row in rows:
        if SAMPLES not in row:
            out.append(row)
            continue
        key = tuple(row[k] for k in _KEY)
        if key in pooled:
            pooled[key][SAMPLES] = pooled[key][SAMPLES] + row[SAMPLES]
        else:
            pooled[key] = dict(row)
            out.append(pooled[key])
    for row in pooled.values():
        m = Measurement.from_samples(row.pop(SAMPLES))
        row.update(time_s=m.time_s, iqr_over_median=m.iqr_over_median, repeats=m.repeats)
    return out


def to_frame(rows: list[Row], common: dict[str, str]) -> pd.DataFrame:
    """Rows plus provenance, columns in profile order, validated."""
    df = pd.DataFrame([{**row, **common} for row in rows], columns=list(COLUMNS))
    return validate_profile(df, "<calibration run>")


@dataclass(frozen=True)
class TaskResult:
    rows: list[Row]
    foreign_cores: float | None  # others' mean CPU use while measuring; None: not watched


def run_plan(
    config: CalibrationConfig,
    the_plan: Plan,
    on_task: Callable[[Task], None] | None = None,
    on_done: Callable[[Task, TaskResult], None] | None = None,
    guard: QuietGuard | None = None,
) -> pd.DataFrame:
    """Run the tasks of ``the_plan``; the callbacks let a caller show progress.

    With a ``guard``, each task waits for a quiet machine and is re-measured if other
    processes disturbed it.
    """
    common = provenance(config.device)
    rows: list[Row] = []
    for task in the_plan.tasks:
        if on_task is not None:
            on_task(task)
        result = TaskResult(*guard.run(task.run)) if guard else TaskResult(task.run(), None)
        rows.extend(result.rows)
        if on_done is not None:
            on_done(task, result)
    return to_frame(pool_rounds(rows), common)


def calibrate(config: CalibrationConfig) -> pd.DataFrame:
    """Measure everything ``config`` asks for and return the profile as a DataFrame."""
    return run_plan(config, plan(config))
