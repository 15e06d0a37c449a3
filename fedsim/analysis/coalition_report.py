"""The coalitional game of a scenario, from ex-post run values v(S): solution
concepts, core membership, breakaway coalitions and a stable structure (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import pandas as pd

from fedsim.analysis import economics

Values = Mapping[frozenset, float]


def all_coalitions(members: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty coalition, by size then in member order."""
    return [c for k in range(1, len(members) + 1) for c in combinations(members, k)]


def values_frame(values: Values, members: Sequence[str]) -> pd.DataFrame:
    """One row per coalition: its name, size, a 0/1 column per member and v(S)."""
    rows = []
    for c in all_coalitions(members):
        row: dict[str, Any] = {"coalition": "+".join(c), "size": len(c)}
        row.update({m: m in c for m in members})
        row["value_usd"] = float(values[frozenset(c)])
        rows.append(row)
    return pd.DataFrame(rows)


def solve_game(
    values: Values,
    members: Sequence[str],
    grand_payoff_usd: Mapping[str, float] | None = None,
    tol_usd: float = 1e-6,
) -> dict[str, Any]:
    """Solution concepts of the game ``values`` (every non-empty coalition of ``members``).

    ``grand_payoff_usd``: what each member actually earned in the grand-federation run
    (its mechanism's split), tested for core membership alongside the Shapley value.
    """
    members = list(members)
    grand = frozenset(members)
    v_grand = float(values[grand])
    tol = tol_usd * max(1.0, abs(v_grand))
    shapley = economics.shapley_value(values, members)
    eps, least_core_payoff = economics.least_core(values, members)
    out: dict[str, Any] = {
        "members": members,
        "v_grand_usd": v_grand,
        "standalone_usd": {m: float(values[frozenset([m])]) for m in members},
        "marginal_to_grand_usd": {m: _marginal(values, grand, m) for m in members},
        "shapley_usd": shapley,
        "banzhaf_normalised_usd": economics.banzhaf_value(values, members, normalised=True),
        "banzhaf_raw_usd": economics.banzhaf_value(values, members, normalised=False),
        "nucleolus_usd": economics.nucleolus(values, members),
        "least_core": {"epsilon_usd": float(eps), "payoff_usd": least_core_payoff},
        "core_nonempty": bool(eps <= tol),
        "shapley_in_core": _in_core(values, shapley, tol),
        "stable_structure": [
            sorted(c, key=members.index) for c in economics.merge_and_split(values, members)
        ],
    }
    # a member hurts the rest when it adds less to the grand federation than it earns alone
    out["harmful_members"] = [
        m for m in members
        if len(members) > 1
        and out["marginal_to_grand_usd"][m] < out["standalone_usd"][m] - tol
    ]
    out["warnings"] = _warnings(values, members, out, tol)
    if grand_payoff_usd is not None:
        payoff = {m: float(grand_payoff_usd[m]) for m in members}
        out["grand_payoff_usd"] = payoff
        out["grand_payoff_in_core"] = _in_core(values, payoff, tol)
    return out


def _warnings(values: Values, members: list[str], out: Mapping[str, Any], tol: float
              ) -> list[str]:
    """What could make the table mislead: a normalised Banzhaf value whose sign differs
    from the raw one (raw values summing to the opposite sign of v(N) flip every share),
    and a game that is not superadditive (some merger loses value)."""
    found = []
    raw, norm = out["banzhaf_raw_usd"], out["banzhaf_normalised_usd"]
    flipped = [m for m in members
               if abs(raw[m]) > tol and abs(norm[m]) > tol and (raw[m] > 0) != (norm[m] > 0)]
    if flipped:
        found.append("normalised Banzhaf flips the sign of " + ", ".join(
            f"{m} (raw {raw[m]:,.2f} $, normalised {norm[m]:,.2f} $)" for m in flipped)
            + ": the raw values sum to the opposite sign of v(N); read the raw value")
    if len(members) > 1:
        short, (s, t) = economics.superadditivity_shortfall(values, members)
        if short > tol:
            def name(c: frozenset) -> str:
                return "{" + ", ".join(sorted(c, key=members.index)) + "}"

            found.append(f"the game is not superadditive: v({name(s)}) + v({name(t)}) exceeds "
                         f"v({name(s | t)}) by {short:,.2f} $")
    return found


def _marginal(values: Values, grand: frozenset, member: str) -> float:
    rest = grand - {member}
    return float(values[grand]) - (float(values[rest]) if rest else 0.0)


def _in_core(values: Values, payoff: Mapping[str, float], tol: float) -> dict[str, Any]:
    """Core test of a payoff: the largest excess v(S) − x(S) and who would break away."""
    excess, blocking = economics.core_violation(values, payoff)
    return {
        "in_core": bool(excess <= tol),
        "max_excess_usd": float(excess),
        "blocking_coalition": sorted(blocking, key=list(payoff).index) if excess > tol else [],
    }


def members_frame(solution: Mapping[str, Any]) -> pd.DataFrame:
    """Per member: stand-alone value, marginal contribution and each payoff rule."""
    cols = {
        "standalone_usd": "standalone_usd",
        "marginal_to_grand_usd": "marginal_to_grand_usd",
        "shapley_usd": "shapley_usd",
        "banzhaf_normalised_usd": "banzhaf_normalised_usd",
        "banzhaf_raw_usd": "banzhaf_raw_usd",
        "nucleolus_usd": "nucleolus_usd",
        "least_core_usd": None,
        "grand_payoff_usd": "grand_payoff_usd",
    }
    rows = []
    for m in solution["members"]:
        row: dict[str, Any] = {"member": m}
        for col, key in cols.items():
            if key is None:
                row[col] = solution["least_core"]["payoff_usd"][m]
            elif key in solution:
                row[col] = solution[key][m]
        rows.append(row)
    return pd.DataFrame(rows)


MEMBER_HEADS = {
    "standalone_usd": "v({i})", "marginal_to_grand_usd": "v(N)−v(N∖i)",
    "shapley_usd": "Shapley", "banzhaf_normalised_usd": "Banzhaf (norm.)",
    "banzhaf_raw_usd": "Banzhaf (raw)", "nucleolus_usd": "nucleolus",
    "least_core_usd": "least core", "grand_payoff_usd": "run payoff",
}


def game_lines(solution: Mapping[str, Any]) -> list[str]:
    """The stability verdicts of a solved game (``solve_game``), one sentence each:
    the core, Shapley and the run's payoff in it or not, the stable structure, harmful
    members and the warnings."""
    eps = solution["least_core"]["epsilon_usd"]
    lines = [
        f"least-core ε = {eps:,.2f} $: the core is "
        + ("non-empty" if solution["core_nonempty"] else "EMPTY (no split keeps everyone)"),
        "Shapley value " + _verdict(solution["shapley_in_core"]),
    ]
    if "grand_payoff_in_core" in solution:
        run_payoff = _verdict(solution["grand_payoff_in_core"])
        lines.append(f"the grand federation's run payoff {run_payoff}")
    structure = " ".join("{" + ", ".join(c) + "}" for c in solution["stable_structure"])
    lines.append(f"stable structure (merge-and-split): {structure}")
    if solution["harmful_members"]:
        lines.append("joining hurts the others: " + ", ".join(
            f"{m} adds {solution['marginal_to_grand_usd'][m]:,.0f} $ < v({{{m}}}) "
            f"{solution['standalone_usd'][m]:,.0f} $" for m in solution["harmful_members"]))
    lines += [f"warning: {w}" for w in solution.get("warnings", [])]
    return lines


def _verdict(core: Mapping[str, Any]) -> str:
    if core["in_core"]:
        return f"is in the core (max excess {core['max_excess_usd']:,.2f} $)"
    return (f"is NOT in the core: {{{', '.join(core['blocking_coalition'])}}} would break away "
            f"(excess {core['max_excess_usd']:,.2f} $)")
