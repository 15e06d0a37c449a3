"""Economic measures of a run, as pure functions on arrays, Series and DataFrames.

Cooperative solution concepts here take an arbitrary characteristic function as a
dict ``frozenset(players) -> value`` (every non-empty coalition; ∅ is 0), so the
``coalitions`` command can apply them to ex-post run values, not just to one
epoch's LP. They share their kernels with the mechanisms (``fedsim.mechanisms.games``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from fedsim.mechanisms import games

Values = Mapping[frozenset, float]


# --------------------------------------------------------------------- per-run measures


def ir_violation_usd_per_h(payoff: Any, standalone: Any) -> np.ndarray:
    """``[i]`` how far each member falls below its stand-alone (isolated) profit, ≥ 0."""
    return np.maximum(np.asarray(standalone, float) - np.asarray(payoff, float), 0.0)


def individually_rational(payoff: Any, standalone: Any, tol: float = 1e-6) -> np.ndarray:
    """``[i]`` True where profit ≥ isolated profit on the same workload (within tol)."""
    return ir_violation_usd_per_h(payoff, standalone) <= tol


def budget_residual_usd_per_h(transfers: Any) -> float:
    """Σ transfers received by members: 0 when budget balanced, > 0 a deficit
    covered from outside, < 0 money kept by the mechanism (usage prices cancel)."""
    return float(np.nansum(np.asarray(transfers, float)))


def efficiency(welfare: float, reference_welfare: float, isolated_welfare: float = 0.0) -> float:
    """The share of ``lp_welfare``'s gain over ``isolated`` a rule realises:
    ``(W − W_isolated) / (W_lp_welfare − W_isolated)``. 1 matches ``lp_welfare``, 0 is no
    better than not federating, < 0 worse; NaN when ``lp_welfare`` gains nothing (≤ 1e-9
    USD: no gain to share). Unlike welfare ÷ welfare, it keeps its meaning when welfare is
    negative. With ``isolated_welfare = 0`` it is the plain ratio."""
    gain = float(reference_welfare) - float(isolated_welfare)
    if abs(gain) <= 1e-9 or not math.isfinite(gain):
        return float("nan")
    return (float(welfare) - float(isolated_welfare)) / gain


def jain_index(gains: Any) -> float:
    """Jain's fairness index (Σx)² / (n·Σx²) of members' gains; 1 = equal, 1/n = one takes all."""
    x = np.asarray(gains, float).ravel()
    denom = len(x) * float(np.sum(x * x))
    return 1.0 if denom <= 0 else float(np.sum(x)) ** 2 / denom


def price_level(prices: Any, weights: Any = None) -> float:
    """Mean price (weighted, e.g. by units traded), ignoring NaNs."""
    p = np.asarray(prices, float).ravel()
    w = np.ones_like(p) if weights is None else np.asarray(weights, float).ravel()
    ok = np.isfinite(p) & np.isfinite(w)
    return float(np.average(p[ok], weights=w[ok])) if ok.any() and w[ok].sum() > 0 else float("nan")


def price_volatility(prices_by_epoch: Any) -> float:
    """Standard deviation of relative epoch-to-epoch price changes.

    ``prices_by_epoch``: a Series or ``[epoch]`` array, or a DataFrame / ``[epoch, k]``
    array with one column per price series; changes from a zero price are skipped.
    """
    p = np.asarray(prices_by_epoch, float)
    p = p[:, None] if p.ndim == 1 else p.reshape(len(p), -1)
    prev, nxt = p[:-1], p[1:]
    ok = np.isfinite(prev) & np.isfinite(nxt) & (np.abs(prev) > 1e-12)
    change = (nxt[ok] - prev[ok]) / np.abs(prev[ok])
    return float(np.std(change)) if change.size > 1 else 0.0


# ------------------------------------------------------------------ characteristic functions


def _game(values: Values, players: Sequence[Hashable] | None = None):
    """(players, ``[2**n]`` array by bitmask) from a dict of coalition values."""
    if players is None:
        players = sorted(set().union(*values.keys()), key=str) if values else []
    players = tuple(players)
    index = {p: k for k, p in enumerate(players)}
    table = np.full(1 << len(players), np.nan)
    table[0] = 0.0
    for coalition, value in values.items():
        table[sum(1 << index[p] for p in coalition)] = float(value)
    missing = np.flatnonzero(np.isnan(table))
    if len(missing):
        absent = [p for k, p in enumerate(players) if missing[0] >> k & 1]
        raise KeyError(f"characteristic function has no value for coalition {absent}")
    return players, table


def _by_player(players: Sequence[Hashable], x: np.ndarray) -> dict[Hashable, float]:
    return {p: float(v) for p, v in zip(players, x, strict=True)}


def shapley_value(values: Values, players: Sequence[Hashable] | None = None) -> dict:
    """Exact Shapley value of each player."""
    players, table = _game(values, players)
    return _by_player(players, games.shapley_exact(table))


def banzhaf_value(values: Values, players: Sequence[Hashable] | None = None,
                  normalised: bool = True) -> dict:
    """Banzhaf value; ``normalised`` scales it to sum to v(N) (Mashayekhy et al. 2015)."""
    players, table = _game(values, players)
    beta = games.banzhaf_exact(table)
    return _by_player(players, games.normalise(beta, table[-1]) if normalised else beta)


def superadditivity_shortfall(
    values: Values, players: Sequence[Hashable]
) -> tuple[float, tuple[frozenset, frozenset]]:
    """The largest ``v(S) + v(T) − v(S ∪ T)`` over disjoint non-empty S, T (≤ 0: the game
    is superadditive, merging never loses value) and the pair that attains it."""
    players = list(players)
    worst, pair = -math.inf, (frozenset(), frozenset())
    n = len(players)
    # each player in S, in T or in neither: 3^n assignments, fine for the n of a run
    for labels in np.ndindex(*([3] * n)):
        s = frozenset(p for p, k in zip(players, labels, strict=True) if k == 1)
        t = frozenset(p for p, k in zip(players, labels, strict=True) if k == 2)
        if not s or not t or min(players.index(p) for p in s) > min(players.index(p) for p in t):
            continue
        short = float(values[s]) + float(values[t]) - float(values[s | t])
        if short > worst:
            worst, pair = short, (s, t)
    return (worst if math.isfinite(worst) else 0.0), pair


def least_core(values: Values, players: Sequence[Hashable] | None = None):
    """(ε, payoff dict) of the least core; ε ≤ 0 iff the core is non-empty."""
    players, table = _game(values, players)
    eps, x = games.least_core(table)
    return eps, _by_player(players, x)


def least_core_eps(values: Values) -> float:
    return least_core(values)[0]


def nucleolus(values: Values, players: Sequence[Hashable] | None = None) -> dict:
    """The (pre)nucleolus (the nucleolus whenever the core is non-empty)."""
    players, table = _game(values, players)
    return _by_player(players, games.nucleolus(table))


def core_violation(values: Values, payoff: Mapping[Hashable, float]) -> tuple[float, frozenset]:
    """``max_S v(S) − Σ_{i∈S} payoff_i`` and the coalition attaining it.

    > 0: that coalition would break away (the payoff is not in the core)."""
    worst, blocking = -np.inf, frozenset()
    for coalition, value in values.items():
        if coalition:
            excess = float(value) - sum(float(payoff[p]) for p in coalition)
            if excess > worst:
                worst, blocking = excess, frozenset(coalition)
    return worst, blocking


# ------------------------------------------------------------------- coalition formation


def _share(table: np.ndarray, players: tuple, coalition: frozenset) -> dict:
    """Normalised-Banzhaf division of v(S) within S (the federation's own rule)."""
    members = [k for k, p in enumerate(players) if p in coalition]
    bits = games.membership(np.arange(1 << len(members)), len(members))
    sub = table[(bits @ (1 << np.array(members))).astype(np.int64)]
    phi = games.normalise(games.banzhaf_exact(sub), sub[-1])
    return {players[k]: float(v) for k, v in zip(members, phi, strict=True)}


def merge_and_split(values: Values, players: Sequence[Hashable] | None = None,
                    order: str = "pareto", max_rounds: int = 1000) -> list[frozenset]:
    """A stable coalition structure by merge-and-split (Apt & Witzel 2009), as in
    Mashayekhy, Nejad & Grosu, "Cloud federations in the sky", IEEE TCC 2015.

    Starting from singletons, merge two coalitions, or split one in two, whenever
    the change is preferred: ``order="pareto"`` — no member is worse off and one is
    better, payoffs being each coalition's normalised-Banzhaf division of its value;
    ``order="utilitarian"`` — the sum of values rises. Ends when neither applies.
    """
    if order not in ("pareto", "utilitarian"):
        raise ValueError(f"order must be 'pareto' or 'utilitarian', got {order!r}")
    players, table = _game(values, players)
    index = {p: k for k, p in enumerate(players)}

    def v(c: Iterable) -> float:
        return float(table[sum(1 << index[p] for p in c)])

    def better(old: list[frozenset], new: list[frozenset]) -> bool:
        if order == "utilitarian":
            return sum(map(v, new)) > sum(map(v, old)) + 1e-9
        before = {k: x for c in old for k, x in _share(table, players, c).items()}
        after = {k: x for c in new for k, x in _share(table, players, c).items()}
        diff = np.array([after[k] - before[k] for k in before])
        return bool(np.all(diff >= -1e-9) and np.any(diff > 1e-9))

    structure = [frozenset([p]) for p in players]
    for _ in range(max_rounds):
        changed = False
        for a, b in combinations(sorted(structure, key=_key), 2):
            if better([a, b], [a | b]):
                structure = [c for c in structure if c not in (a, b)] + [a | b]
                changed = True
                break
        if not changed:
            for c in sorted(structure, key=_key):
                split = next((parts for parts in _bipartitions(c) if better([c], list(parts))),
                             None)
                if split:
                    structure = [s for s in structure if s != c] + list(split)
                    changed = True
                    break
        if not changed:
            return sorted(structure, key=_key)
    raise RuntimeError("merge_and_split did not settle within max_rounds")


def _key(c: frozenset) -> list[str]:
    return sorted(map(str, c))


def _bipartitions(c: frozenset):
    members = sorted(c, key=str)
    rest = members[1:]
    for k in range(len(rest)):  # `first` stays on the left, so each split appears once
        for other in combinations(rest, k + 1):
            yield frozenset(members) - frozenset(other), frozenset(other)
