"""Device resolution and provenance (what was measured on what)."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
from pathlib import Path
from types import ModuleType

from fedsim.errors import FedsimError


def require_torch() -> ModuleType:
    """torch, or a one-line error saying how to install the optional extra."""
    try:
        import torch
    except ImportError:
        raise FedsimError(
            "calibration needs torch: pip install 'fedsim[calibrate]' (torch==2.13.0)"
        ) from None
    return torch


def resolve_device(requested: str) -> str:
    """``cpu`` or ``cuda`` from ``cpu``/``cuda``/``auto``; asking for a missing GPU is an error."""
    torch = require_torch()
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise FedsimError(
            f"--device cuda: no CUDA device available (torch {torch.__version__}, {build}); "
            "use --device cpu or --device auto"
        )
    if requested not in ("cpu", "cuda"):
        raise FedsimError(f"--device must be cpu, cuda or auto, got {requested!r}")
    return requested


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def device_name(device: str) -> str:
    """Human-readable hardware name, e.g. ``AMD EPYC (2 cores)`` or ``NVIDIA H100 80GB HBM3``."""
    if device == "cuda":
        return str(require_torch().cuda.get_device_name(0))
    return f"{_cpu_model()} ({os.cpu_count() or 1} cores)"


def fedsim_version() -> str:
    try:
        return importlib.metadata.version("fedsim")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def provenance(device: str) -> dict[str, str]:
    """Provenance columns common to every row of one run (``threads`` is set per row)."""
    return {
        "device_name": device_name(device),
        "torch_version": str(require_torch().__version__),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fedsim_version": fedsim_version(),
    }
