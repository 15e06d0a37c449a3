"""Sweeps: many runs (mechanisms × seeds × memberships) on a local process pool,
resumable and deterministic. ``run_specs(specs, out_dir, backend=...)``."""

from fedsim.sweeps.backend import Backend, InlineBackend, LocalBackend, Outcome, make_backend
from fedsim.sweeps.runner import SweepReport, run_specs
from fedsim.sweeps.spec import RunSpec
from fedsim.sweeps.store import RunRecord, RunStore

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
