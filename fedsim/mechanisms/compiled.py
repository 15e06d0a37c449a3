"""The compiled LP kernels (numba), where this machine can load them.

numba keeps compiled code on disk, beside the source or in the user's cache folder, and
refuses to define a cached function when neither is writable (a read-only install with
no writable home). The kernels are a speed-up, never the only way: every caller solves
with HiGHS when :func:`kernel` returns None.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from types import ModuleType

from fedsim.errors import FedsimWarning


@functools.cache  # one attempt (and one warning) per process, like any import
def kernel(name: str) -> ModuleType | None:
    """``fedsim.mechanisms.<name>`` (``dense_primal`` or ``coalition_simplex``), or None
    where it cannot be loaded."""
    try:
        return importlib.import_module(f"fedsim.mechanisms.{name}")
    except (ImportError, RuntimeError) as exc:
        warnings.warn(
            f"fedsim: the compiled LP kernel {name!r} cannot load here ({exc}); HiGHS "
            "solves those LPs instead (slower). Set NUMBA_CACHE_DIR to a writable folder "
            "to use it.",
            FedsimWarning, stacklevel=2,
        )
        return None


def warm() -> None:
    """Load every compiled LP kernel now (numba reads them from its disk cache, ~0.5 s
    each), by solving a small example market with each: a process that forks workers
    does it once for all of them. The example's LPs are certified by the kernels, so
    HiGHS never runs here (its thread pool must not exist in a process that forks)."""
    from fedsim.mechanisms.coalitions import CoalitionValues
    from fedsim.mechanisms.examples import gpu_cpu_market
    from fedsim.mechanisms.market_lp import solve_welfare

    market = gpu_cpu_market()
    solve_welfare(market)
    CoalitionValues(market).all()
