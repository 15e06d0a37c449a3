"""The outcome of a run: tables as DataFrames, the resolved scenario, a summary;
saved atomically as Parquet + YAML + JSON and loaded back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fedsim.config.loader import read_yaml, scenario_from_dict, scenario_to_yaml
from fedsim.config.schema import Scenario
from fedsim.errors import FedsimError
from fedsim.results.owned import replace_dir

TABLES = ("events", "jobs", "clearings", "prices", "epochs", "ledger", "searches")
OPTIONAL = ("searches",)  # results written before these tables existed still load


@dataclass(frozen=True)
class Result:
    """Tables of one run (``events``, ``jobs``, ``clearings``, ``prices``, ``epochs``,
    ``ledger``, ``searches``), the scenario as resolved, and the summary dictionary."""

    scenario: Scenario
    tables: Mapping[str, pd.DataFrame]
    summary: Mapping[str, Any]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def save(self, directory: str | Path) -> Path:
        """Write the run to ``directory`` atomically: a reader sees the old run or the new
        one, never a mix; an interrupted save leaves the old directory untouched.

        ``directory`` must be new, empty, or an earlier fedsim run (recognised by its
        marker); anything else is refused with :class:`~fedsim.errors.OutputError`, so a
        user's files are never replaced."""

        names = [t for t in TABLES if t in self.tables]

        def write(tmp: Path) -> list[str]:
            for name in names:
                self.tables[name].to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "scenario.yaml").write_text(scenario_to_yaml(self.scenario))
            (tmp / "summary.json").write_text(
                json.dumps(self.summary, indent=2, allow_nan=False) + "\n"
            )
            return [*(f"{t}.parquet" for t in names), "scenario.yaml", "summary.json"]

        return replace_dir(Path(directory), "run", write)

    @classmethod
    def load(cls, directory: str | Path) -> Result:
        """Load a run written by :meth:`save`."""
        path = Path(directory)
        missing = [
            f
            for f in (*(f"{t}.parquet" for t in TABLES if t not in OPTIONAL), "scenario.yaml",
                      "summary.json")
            if not (path / f).is_file()
        ]
        if missing:
            raise FedsimError(
                f"{path}: not a fedsim result directory (missing {', '.join(missing)})"
            )
        tables = {name: pd.read_parquet(path / f"{name}.parquet") for name in TABLES
                  if (path / f"{name}.parquet").is_file()}
        scenario = scenario_from_dict(
            read_yaml(path / "scenario.yaml"), str(path / "scenario.yaml")
        )
        summary = json.loads((path / "summary.json").read_text())
        return cls(scenario=scenario, tables=tables, summary=summary)
