"""Leave-one-model-out check of the selection rule's two thresholds.

The rule in :mod:`~fedsim.perfmodel.selection` has two hyper-parameters (the minimum
relative gain and the p-value bound). Here they are chosen the honest way: for each model
folder in turn, the thresholds are picked from a fixed grid on the *other* folders only
(fit on placements, scored on scalability), then applied to the held-out folder. The
objective on the training folders rewards MAPE gained over the plain Pollux fit and
penalises MAPE lost ten times as hard; ties go to the most conservative thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fedsim.perfmodel.measurements import read_placements, read_scalability
from fedsim.perfmodel.metrics import ErrorSummary, error_summary
from fedsim.perfmodel.pollux import fit_pollux
from fedsim.perfmodel.selection import ModelSelector, SelectionRule

GAIN_GRID: tuple[float, ...] = (0.0, 0.01, 0.025, 0.05, 0.1)
P_GRID: tuple[float, ...] = (0.001, 0.01, 0.05, 1.0)
LOSS_WEIGHT = 10.0


@dataclass(frozen=True)
class FolderOutcome:
    """Held-out errors on one folder under each rule of the grid, and of the plain fit."""

    name: str
    plain: ErrorSummary
    by_rule: dict[SelectionRule, tuple[str, ErrorSummary]]


@dataclass(frozen=True)
class LomoFold:
    """One fold: the rule chosen without ``held_out`` and what it gave there."""

    held_out: str
    rule: SelectionRule
    chosen_model: str
    selected: ErrorSummary
    plain: ErrorSummary


def rule_grid() -> tuple[SelectionRule, ...]:
    """Every rule the protocol may choose, most conservative last."""
    return tuple(SelectionRule(gain, p) for gain in GAIN_GRID for p in sorted(P_GRID, reverse=True))


def folder_outcome(folder: str | Path) -> FolderOutcome:
    """Select under every rule of the grid on placements.csv; score on scalability.csv."""
    path = Path(folder)
    fit, test = read_placements(path / "placements.csv"), read_scalability(path / "scalability.csv")
    selector = ModelSelector(fit)
    by_rule: dict[SelectionRule, tuple[str, ErrorSummary]] = {}
    for rule in rule_grid():
        selected = selector.select(rule)
        by_rule[rule] = (selected.name, error_summary(selected.predict(test), test.step_time_s))
    plain = error_summary(fit_pollux(fit).predict(test), test.step_time_s)
    return FolderOutcome(path.name, plain, by_rule)


def _loss(outcomes: Sequence[FolderOutcome], rule: SelectionRule) -> float:
    total = 0.0
    for outcome in outcomes:
        lost = outcome.by_rule[rule][1].mape_pct - outcome.plain.mape_pct
        total += lost + LOSS_WEIGHT * max(lost, 0.0)
    return total


def choose_rule(outcomes: Sequence[FolderOutcome]) -> SelectionRule:
    """The grid rule with the lowest loss; among equals, the most conservative."""
    grid = rule_grid()
    best = min(_loss(outcomes, rule) for rule in grid)
    tied = [rule for rule in grid if _loss(outcomes, rule) <= best + 1e-9]
    return max(tied, key=lambda rule: (rule.min_rel_gain, -rule.max_p_value))


def leave_one_model_out(folders: Sequence[str | Path]) -> tuple[LomoFold, ...]:
    """Choose the thresholds without each folder in turn, then score that folder."""
    outcomes = [folder_outcome(folder) for folder in folders]
    folds = []
    for i, held in enumerate(outcomes):
        rule = choose_rule([o for j, o in enumerate(outcomes) if j != i])
        name, summary = held.by_rule[rule]
        folds.append(LomoFold(held.name, rule, name, summary, held.plain))
    return tuple(folds)
