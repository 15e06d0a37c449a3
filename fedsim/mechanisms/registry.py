"""Find mechanisms by name: built-ins and the ``fedsim.mechanisms`` entry-point group
(loaded lazily, on first lookup); a ``"module:Class"`` string only when the user trusts
it outside the scenario file (see :mod:`fedsim.config.trust`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fedsim.config.trust import PluginFamily
from fedsim.errors import MechanismError
from fedsim.mechanisms.base import Mechanism

ENTRY_POINT_GROUP = "fedsim.mechanisms"
# every gain is measured against BASELINE on the same workload; efficiency against REFERENCE
BASELINE = "isolated"
REFERENCE = "lp_welfare"

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

MECHANISMS = PluginFamily(
    label="mechanism",
    group=ENTRY_POINT_GROUP,
    builtin=BUILTIN,
    methods=("clear",),
    error=MechanismError,
)


def available() -> dict[str, str]:
    """All registered mechanism names mapped to their ``"module:Class"`` targets."""
    return MECHANISMS.available()


def resolve(name: str, trusted: Iterable[str] = ()) -> type:
    """The mechanism class for a registered name, or a trusted ``"module:Class"``."""
    return MECHANISMS.resolve(name, trusted)


def make(
    name: str,
    params: Mapping[str, Any] | None = None,
    trusted: Iterable[str] = (),
    where: str | None = None,
) -> Mechanism:
    """Build a mechanism from its name and parameters, with errors that name the bad key.

    ``trusted`` lists the ``"module:Class"`` strings the user allowed (``--trust-code``);
    ``where`` is the YAML path of the spec, for messages (``federation.mechanism``)."""
    return MECHANISMS.make(name, params, trusted, where)


def describe(name: str) -> str:
    """One-line description of a mechanism (its ``summary`` or first docstring line)."""
    return MECHANISMS.describe(name)


def parameters(name: str) -> list[dict[str, Any]]:
    """A mechanism's parameters: name, type and default."""
    return MECHANISMS.parameters(name)
