"""A figure style that reads in print, applied in a context (never globally)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PRINT_RC: dict[str, Any] = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 120,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "lines.linewidth": 1.4,
}


@contextmanager
def print_style() -> Iterator[None]:
    """``with print_style(): ...`` draws with :data:`PRINT_RC`, then restores the rest."""
    import matplotlib

    with matplotlib.rc_context(PRINT_RC):
        yield


def new_axes(ax: Any = None) -> Any:
    """``ax``, or the axes of a new object-API figure (no pyplot state)."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure().add_subplot()
