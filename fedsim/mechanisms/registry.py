"""Find mechanisms by name: built-ins, ``"module:Class"`` strings, and the
``fedsim.mechanisms`` entry-point group (loaded lazily, on first lookup)."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from fedsim.errors import MechanismError
from fedsim.mechanisms.base import Mechanism

ENTRY_POINT_GROUP = "fedsim.mechanisms"

# name -> "module:Class"; modules are imported only when the mechanism is used.
BUILTIN: Mapping[str, str] = {
    "isolated": "fedsim.mechanisms.isolated:Isolated",
    "lp_welfare": "fedsim.mechanisms.lp_welfare:LPWelfare",
    "posted_price": "fedsim.mechanisms.posted_price:PostedPrice",
    "shapley": "fedsim.mechanisms.shapley:Shapley",
    "banzhaf": "fedsim.mechanisms.banzhaf:Banzhaf",
    "proportional": "fedsim.mechanisms.proportional:Proportional",
    "nucleolus": "fedsim.mechanisms.nucleolus:Nucleolus",
    "vcg": "fedsim.mechanisms.vcg:VCG",
    "double_auction": "fedsim.mechanisms.double_auction:DoubleAuction",
    "tatonnement": "fedsim.mechanisms.tatonnement:Tatonnement",
}


def _entry_point_specs() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> dict[str, str]:
    """All known mechanism names mapped to their ``"module:Class"`` targets."""
    specs = dict(_entry_point_specs())
    specs.update(BUILTIN)  # a plug-in cannot shadow a built-in
    return dict(sorted(specs.items()))


def _import_target(target: str, label: str) -> type:
    module_name, _, attr = target.partition(":")
    if not attr:
        raise MechanismError(f"mechanism {label!r}: expected 'module:Class', got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MechanismError(f"mechanism {label!r}: cannot import {module_name!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise MechanismError(f"mechanism {label!r}: {module_name!r} has no {attr!r}") from None


def resolve(name: str) -> type:
    """The mechanism class for a registered name or a ``"module:Class"`` string."""
    specs = available()
    if name in specs:
        return _import_target(specs[name], name)
    if ":" in name:
        return _import_target(name, name)
    raise MechanismError(
        f"unknown mechanism {name!r}; registered: {', '.join(specs)} "
        "(or give 'module:Class', or register the entry point group 'fedsim.mechanisms')"
    )


def make(name: str, params: Mapping[str, Any] | None = None) -> Mechanism:
    """Build a mechanism from its name and parameters, with errors that name the bad key."""
    cls = resolve(name)
    params = dict(params or {})
    if dataclasses.is_dataclass(cls):
        allowed = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise MechanismError(
                f"mechanism {name!r}: unknown parameter(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(allowed)) or '(none)'}"
            )
    try:
        mech = cls(**params)
    except (TypeError, ValueError) as exc:
        raise MechanismError(f"mechanism {name!r}: invalid parameters: {exc}") from exc
    if not callable(getattr(mech, "clear", None)):
        raise MechanismError(f"mechanism {name!r}: {cls.__name__} has no clear(market) method")
    return mech


def describe(name: str) -> str:
    """One-line description of a mechanism (its ``summary`` or first docstring line)."""
    cls = resolve(name)
    summary = getattr(cls, "summary", None) or (cls.__doc__ or "").strip().splitlines()[0:1]
    return summary if isinstance(summary, str) else (summary[0] if summary else "")
