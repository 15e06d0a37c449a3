"""Figures from result DataFrames: pure functions returning matplotlib Axes.

Each function takes the tables of a run (``Result.ledger``, ``.prices``, ``.jobs``) or of a
comparison (``compare.parquet``) and an optional ``ax``; without one it draws on a new
:class:`matplotlib.figure.Figure` (the object API: no pyplot, no global state, any
backend). :func:`~fedsim.plots.style.print_style` gives a style that reads in print.
"""

from __future__ import annotations

from fedsim.lazy import lazy_getattr

_WHERE = {
    "utilisation_over_time": "run",
    "prices_over_time": "run",
    "jct_cdf": "run",
    "profit_decomposition": "run",
    "gains_with_ci": "compare",
    "moved_work": "federation",
    "moved_cores": "federation",
    "sla_vs_load": "federation",
    "coalition_values": "coalitions",
    "coalition_lattice": "coalitions",
    "predicted_vs_measured": "federation",
    "print_style": "style",
}


__getattr__ = lazy_getattr(__name__, {k: f"{__name__}.{v}" for k, v in _WHERE.items()})


__all__ = sorted(_WHERE)
