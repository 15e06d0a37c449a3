"""The runs of a coalition analysis: one per coalition of two or more members (the
others stay isolated) plus one ``isolated`` run that gives every stand-alone value,
all on the same workload; and v(S) read back from their results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fedsim.analysis.coalition_report import all_coalitions
from fedsim.config.schema import Scenario
from fedsim.errors import FedsimError
from fedsim.mechanisms.registry import BASELINE
from fedsim.sweeps.spec import RunSpec
from fedsim.sweeps.store import RunRecord

MAX_MEMBERS = 12  # 4,095 runs; beyond that a full coalition analysis is not sensible


def coalition_specs(
    scenario: Scenario,
    mechanism: str | None = None,
    params: Mapping[str, Any] | None = None,
    trust_code: tuple[str, ...] = (),
) -> dict[tuple[str, ...], RunSpec]:
    """Coalition (members in scenario order) -> its run. Singletons share the one
    ``isolated`` run: a one-member federation cannot trade, so it is isolated."""
    members = scenario.member_names
    if len(members) > MAX_MEMBERS:
        raise FedsimError(
            f"coalitions: {len(members)} members means {2 ** len(members) - 1} runs; "
            f"at most {MAX_MEMBERS} members are supported"
        )
    own = scenario.federation.mechanism
    name = mechanism or own.name
    kwargs = dict(params) if params is not None else (dict(own.params) if name == own.name else {})
    isolated = RunSpec.make(scenario, BASELINE, members=members)
    return {
        c: (
            isolated
            if len(c) == 1
            else RunSpec.make(scenario, name, members=c, params=kwargs, trust_code=trust_code)
        )
        for c in all_coalitions(members)
    }


def coalition_values(
    specs: Mapping[tuple[str, ...], RunSpec], records: Mapping[str, RunRecord]
) -> dict[frozenset, float]:
    """v(S) = total profit of S's members in S's run, less money a mechanism with a
    budget deficit injected from outside; v({i}) = i's profit when isolated."""
    values = {}
    for coalition, spec in specs.items():
        res = records[spec.key].result
        residual = 0.0 if len(coalition) == 1 else float(res["budget_residual_usd"] or 0.0)
        values[frozenset(coalition)] = sum(res["profits_usd"][m] for m in coalition) - residual
    return values


def grand_payoff(
    specs: Mapping[tuple[str, ...], RunSpec], records: Mapping[str, RunRecord],
    members: Sequence[str],
) -> dict[str, float]:
    """What each member earned in the grand-federation run."""
    res = records[specs[tuple(members)].key].result
    return {m: float(res["profits_usd"][m]) for m in members}
