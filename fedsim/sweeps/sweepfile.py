"""The sweep file: which runs a ``fedsim sweep`` makes, validated like a scenario.

```yaml
scenario: ../scenarios/quickstart.yaml   # relative to this file
seeds: 3                                  # the scenario's seed, +1, +2 (or a list)
mechanisms: [lp_welfare, {name: posted_price, params: {markup: 0.5}}]
grid:                                     # every combination (YAML paths as in --set)
  federation.epoch_s: [300, 600]
  providers[0].scheduler: [fifo, las]
zip:                                      # varied together, equal lengths
  providers[0].dnn.rate_per_h: [10, 20]
  providers[1].dnn.rate_per_h: [5, 10]
coalitions: [[west, east], [west, east, central]]   # memberships (default: the scenario's)
```

Runs = grid combinations × zip positions × mechanisms × seeds × coalitions.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fedsim.config.loader import validation_error_message
from fedsim.config.schema import MechanismSpec
from fedsim.config.yaml_safe import read_yaml_file
from fedsim.errors import ScenarioError

MAX_RUNS = 100_000


class SweepFile(BaseModel):
    """A validated sweep file (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
    seeds: int | list[int] = Field(1, description="a count from the scenario's seed, or a list")
    mechanisms: list[MechanismSpec] | None = None
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: dict[str, list[Any]] = Field(default_factory=dict)
    coalitions: list[list[str]] | None = None

    @field_validator("mechanisms", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, seeds: int | list[int]) -> int | list[int]:
        if isinstance(seeds, int) and not 1 <= seeds <= MAX_RUNS:
            raise ValueError(f"a count must be 1 to {MAX_RUNS}")
        if isinstance(seeds, list) and not seeds:
            raise ValueError("give at least one seed")
        return seeds

    @field_validator("grid", "zip")
    @classmethod
    def _non_empty(cls, table: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in table.items():
            if not values:
                raise ValueError(f"{key}: give at least one value")
        return table

    @field_validator("zip")
    @classmethod
    def _equal_lengths(cls, table: dict[str, list[Any]]) -> dict[str, list[Any]]:
        lengths = {len(v) for v in table.values()}
        if len(lengths) > 1:
            shown = ", ".join(f"{k}: {len(v)}" for k, v in table.items())
            raise ValueError(f"lists varied together must have equal lengths, got {shown}")
        return table


def read_sweep(path: str | Path) -> SweepFile:
    """Read and validate a sweep file; every mistake is one line naming the file."""
    path = Path(path)
    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a sweep file is a YAML mapping with at least 'scenario'")
    try:
        sweep = SweepFile.model_validate(data)
    except ValidationError as exc:
        message = validation_error_message(exc, str(path))
        raise ScenarioError(
            message.replace(": invalid scenario: ", ": invalid sweep file: ", 1)
        ) from None
    overlap = sorted(set(sweep.grid) & set(sweep.zip))
    if overlap:
        raise ScenarioError(f"{path}: zip.{overlap[0]}: also in grid; vary a key in one only")
    return sweep


def points(sweep: SweepFile) -> list[dict[str, Any]]:
    """Every combination of swept scenario values, in a stable order."""
    grid_keys = list(sweep.grid)
    combos = list(itertools.product(*(sweep.grid[k] for k in grid_keys))) or [()]
    zipped = list(zip(*sweep.zip.values(), strict=True)) if sweep.zip else [()]
    out = []
    for combo in combos:
        for row in zipped:
            out.append({**dict(zip(grid_keys, combo, strict=True)),
                        **dict(zip(sweep.zip, row, strict=True))})  # fmt: skip
    return out


def override(key: str, value: Any) -> str:
    """``--set`` text for one swept value (JSON is YAML, and keeps strings quoted)."""
    return f"{key}={json.dumps(value)}"


def seeds_of(sweep: SweepFile, scenario_seed: int) -> list[int]:
    if isinstance(sweep.seeds, int):
        return [scenario_seed + k for k in range(sweep.seeds)]
    return list(dict.fromkeys(sweep.seeds))
