"""Which figures a result folder has, and writing them atomically into a fedsim folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fedsim.errors import OutputError
from fedsim.plots.coalitions import coalition_lattice, coalition_values
from fedsim.plots.compare import gains_with_ci
from fedsim.plots.federation import moved_cores, moved_work, predicted_vs_measured, sla_vs_load
from fedsim.plots.run import jct_cdf, prices_over_time, profit_decomposition, utilisation_over_time
from fedsim.plots.style import print_style

Draw = Callable[[], Any]
DEFAULT_EPOCH_S = 300.0  # the schema's default, for a folder whose scenario is unreadable


def figures_of(folder: Path) -> dict[str, Draw]:
    """``name -> draw()`` for a run, compare or coalitions folder, or the JSON file of
    ``perfmodel evaluate --json``."""
    if folder.is_file():
        return _perfmodel_figures(folder)
    if (folder / "ledger.parquet").is_file():
        def table(name: str) -> pd.DataFrame:
            return pd.read_parquet(folder / f"{name}.parquet")

        epoch_s = _scenario_number(folder, "epoch_s", DEFAULT_EPOCH_S)
        end_s = _scenario_number(folder, "horizon_s", float("nan"))
        ledger = table("ledger")  # read once: three figures and the web check use it
        clearings = table("clearings")
        figures = {
            "utilisation": lambda: utilisation_over_time(ledger),
            "prices": lambda: prices_over_time(table("prices"), epoch_s),
            "jct_cdf": lambda: jct_cdf(table("jobs")),
            "profit_decomposition": lambda: profit_decomposition(ledger),
            "moved_work": lambda: _moved_work(table("events"), end_s),
        }
        if (clearings["resource"].astype(str) == "cpu").any():  # web overflow was placed
            figures["moved_cores"] = lambda: moved_cores(clearings, epoch_s)
        if ledger["web_requests"].sum() > 0:  # without web services there is no SLA to show
            figures["sla_vs_load"] = lambda: sla_vs_load(ledger)
        return figures
    if (folder / "compare.parquet").is_file():
        return {"gains": lambda: gains_with_ci(pd.read_parquet(folder / "compare.parquet"))}
    coalitions = folder / "coalitions.parquet"
    if coalitions.is_file():
        values = pd.read_parquet(coalitions)
        structure = _stable_structure(folder / "solution.json")
        return {"coalition_values": lambda: coalition_values(values),
                "coalition_lattice": lambda: coalition_lattice(values, structure)}
    raise OutputError(f"{folder}: not a fedsim run, compare or coalitions output (no "
                      "ledger.parquet, compare.parquet or coalitions.parquet)")


def _perfmodel_figures(path: Path) -> dict[str, Draw]:
    import json

    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: not readable as JSON ({exc})") from None
    if not (isinstance(report, dict) and report.get("written_by") == "fedsim perfmodel evaluate"
            and report.get("rows")):
        raise OutputError(f"{path}: not a 'fedsim perfmodel evaluate --json' report with rows")
    rows = pd.DataFrame(report["rows"])
    return {"predicted_vs_measured": lambda: predicted_vs_measured(rows)}


def _stable_structure(path: Path) -> list[list[str]]:
    """The merge-and-split partition of ``solution.json`` ([] when it is unreadable: the
    lattice is drawn without rings)."""
    import json

    try:
        structure = json.loads(path.read_text())["stable_structure"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [list(map(str, c)) for c in structure] if isinstance(structure, list) else []


def _moved_work(events: pd.DataFrame, end_s: float) -> Any:
    # without a readable horizon, jobs still running are counted to the last event
    return moved_work(events, end_s if end_s == end_s else float(events["t_s"].max()))


def _scenario_number(folder: Path, key: str, default: float) -> float:
    """``federation.epoch_s`` or ``horizon_s`` of the run's ``scenario.yaml`` (``default``
    when it is unreadable)."""
    import yaml

    try:
        scenario = yaml.safe_load((folder / "scenario.yaml").read_text())
        return float(scenario["federation"][key] if key == "epoch_s" else scenario[key])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return default


def drawn(draw: Draw) -> Any:
    """The matplotlib Figure ``draw()`` makes, in the print style, laid out tight."""
    with print_style():
        figure = draw().figure
        figure.tight_layout()
    return figure


def write_figures(folder: Any, figures: dict[str, Draw], fmt: str) -> list[Path]:
    """Draw each figure in the print style and save it atomically as ``name.fmt``."""
    from fedsim.results.owned import write_atomic

    written = []
    for name, draw in figures.items():
        figure = drawn(draw)
        path = folder.claim(f"{name}.{fmt}")
        write_atomic(path, lambda tmp, f=figure: f.savefig(tmp, format=fmt))
        written.append(path)
    return written
