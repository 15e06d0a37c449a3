"""Which figures a result folder has, and writing them atomically into a fedsim folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fedsim.errors import OutputError
from fedsim.plots.compare import gains_with_ci
from fedsim.plots.run import jct_cdf, prices_over_time, profit_decomposition, utilisation_over_time
from fedsim.plots.style import print_style

Draw = Callable[[], Any]
DEFAULT_EPOCH_S = 300.0  # the schema's default, for a folder whose scenario is unreadable


def figures_of(folder: Path) -> dict[str, Draw]:
    """``name -> draw()`` for a run folder (ledger, prices, jobs) or a compare folder."""
    if (folder / "ledger.parquet").is_file():
        def table(name: str) -> pd.DataFrame:
            return pd.read_parquet(folder / f"{name}.parquet")

        epoch_s = _epoch_s(folder)
        return {
            "utilisation": lambda: utilisation_over_time(table("ledger")),
            "prices": lambda: prices_over_time(table("prices"), epoch_s),
            "jct_cdf": lambda: jct_cdf(table("jobs")),
            "profit_decomposition": lambda: profit_decomposition(table("ledger")),
        }
    if (folder / "compare.parquet").is_file():
        return {"gains": lambda: gains_with_ci(pd.read_parquet(folder / "compare.parquet"))}
    raise OutputError(f"{folder}: not a fedsim run or compare output (no ledger.parquet or "
                      "compare.parquet)")


def _epoch_s(folder: Path) -> float:
    import yaml

    try:
        scenario = yaml.safe_load((folder / "scenario.yaml").read_text())
        return float(scenario["federation"]["epoch_s"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return DEFAULT_EPOCH_S


def write_figures(folder: Any, figures: dict[str, Draw], fmt: str) -> list[Path]:
    """Draw each figure in the print style and save it atomically as ``name.fmt``."""
    from fedsim.results.owned import write_atomic

    written = []
    for name, draw in figures.items():
        with print_style():
            ax = draw()
            figure = ax.figure
            figure.tight_layout()
        path = folder.claim(f"{name}.{fmt}")
        write_atomic(path, lambda tmp, f=figure: f.savefig(tmp, format=fmt))
        written.append(path)
    return written
