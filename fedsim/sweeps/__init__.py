"""Sweeps: many runs (mechanisms × seeds × memberships) on a local process pool,
resumable and deterministic. ``run_specs(specs, out_dir, backend=...)``.

Names load on first use, so the pool module can start its workers before pandas and the
rest of a run's imports are paid in this process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fedsim.lazy import lazy_getattr

if TYPE_CHECKING:
    from fedsim.sweeps.backend import Backend, InlineBackend, LocalBackend, Outcome, make_backend
    from fedsim.sweeps.runner import SweepReport, run_specs
    from fedsim.sweeps.spec import RunSpec
    from fedsim.sweeps.store import RunRecord, RunStore

_LAZY = {
    "Backend": "fedsim.sweeps.backend",
    "InlineBackend": "fedsim.sweeps.backend",
    "LocalBackend": "fedsim.sweeps.backend",
    "Outcome": "fedsim.sweeps.backend",
    "make_backend": "fedsim.sweeps.backend",
    "SweepReport": "fedsim.sweeps.runner",
    "run_specs": "fedsim.sweeps.runner",
    "RunSpec": "fedsim.sweeps.spec",
    "RunRecord": "fedsim.sweeps.store",
    "RunStore": "fedsim.sweeps.store",
}
__all__ = [
    "Backend",
    "InlineBackend",
    "LocalBackend",
    "Outcome",
    "RunRecord",
    "RunSpec",
    "RunStore",
    "SweepReport",
    "make_backend",
    "run_specs",
]
__getattr__ = lazy_getattr(__name__, _LAZY)
