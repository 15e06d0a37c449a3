"""Shared pieces of the scenario schema: bounds, the frozen base model, error helpers."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

NonNegativeInt = Annotated[int, Field(ge=0)]
POOL_KEY = re.compile(r"^(cpu|gpu:[A-Za-z0-9_.\-]+)$")
# names that end up in file names and labels: no path separators, no leading dot
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
SAFE_NAME_HELP = "1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
MAX_SEED = 2**63 - 1
# Upper bounds far beyond any real system, so that no product of inputs overflows to inf
# (a run would otherwise end with a non-finite ledger after all its work).
MAX_USD_PER_UNIT = 1e6  # per unit-hour, GPU-hour, GB or request
MAX_DURATION_S = 1e10  # ~300 years
MAX_RATIO = 1e6  # peak-to-trough, speed ratios
MAX_MS = 1e9


def invalid_at(subpath: str, message: str) -> PydanticCustomError:
    """A validation error at ``subpath`` below the model that raises it (the loader joins
    it to the model's own location: ``providers[1]`` + ``cost.idle_usd_per_unit_h``)."""
    return PydanticCustomError("fedsim_at", "{message}", {"at": subpath, "message": message})


def _unique(values: tuple[str, ...], subpath: str, what: str) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise invalid_at(subpath, f"{what} named twice: {', '.join(dupes)}")


def int_keys(mapping: Any) -> Any:
    """``{'8': x}`` -> ``{8: x}``: results saved by fedsim 0.1 wrote integer keys as text."""
    if isinstance(mapping, dict):
        return {
            (int(k) if isinstance(k, str) and k.strip().isdigit() else k): v
            for k, v in mapping.items()
        }
    return mapping


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected, and strict types
    (``seed: true`` is not a seed, ``"0.2"`` is not a number), finite numbers only."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


Usd = Annotated[float, Field(ge=0, le=MAX_USD_PER_UNIT)]

# YAML has lists, not tuples: tuple fields accept a list (their items stay strict)
NameTuple = Annotated[tuple[str, ...], Field(strict=False)]


StartTimes = Annotated[tuple[Annotated[float, Field(ge=0)], ...], Field(strict=False)]
Positives = Annotated[tuple[Annotated[float, Field(gt=0)], ...], Field(strict=False, min_length=1)]
