"""Held-out evaluation on a folder of measurements in the Pollux artifact's layout.

It does what a user planning a large job does: fit on the small placements that were
measured (``placements.csv``: up to 4 nodes) and predict every large configuration of
``scalability.csv`` (6–16 nodes), never the other way round and never mixing the two.
"fedsim-model" is the model :func:`~fedsim.perfmodel.selection.select_data_parallel`
chooses from the placements alone; the report says which one and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fedsim.errors import FedsimError
from fedsim.perfmodel.measurements import read_placements, read_scalability
from fedsim.perfmodel.metrics import ErrorSummary, error_summary
from fedsim.perfmodel.optimus import fit_optimus_data_parallel
from fedsim.perfmodel.pollux import fit_pollux
from fedsim.perfmodel.selection import SelectedModel, select_data_parallel

FIT_FILE = "placements.csv"
TEST_FILE = "scalability.csv"
MIN_FIT_ROWS = 16  # eight parameters of fedsim's model, two measurements each


@dataclass(frozen=True)
class EvaluationReport:
    """Error summaries of each model on the held-out file, best first in ``MODELS`` order."""

    data_dir: str
    n_fit: int
    n_test: int
    summaries: tuple[tuple[str, ErrorSummary], ...]
    selected: SelectedModel
    rows: tuple[dict[str, float], ...] = ()  # per test row: configuration, measured, predicted

    def summary(self, name: str) -> ErrorSummary:
        for model, summary in self.summaries:
            if model == name:
                return summary
        raise KeyError(name)

    def lines(self) -> list[str]:
        chosen = f"fedsim-model = {self.selected.name}: {self.selected.reason}"
        terms = self.selected.compute_effects.terms
        if terms and not selection_dict(self.selected)["compute_terms_applied"]:
            chosen += (f"; compute terms ({', '.join(terms)}) were earned on the compute "
                       "column, but the plain fit has no place for them: not applied")
        return [summary.line(name) for name, summary in self.summaries] + [chosen]

    def to_dict(self) -> dict[str, Any]:
        return {
            "written_by": "fedsim perfmodel evaluate",
            "data_dir": self.data_dir,
            "fit_file": FIT_FILE,
            "test_file": TEST_FILE,
            "n_fit": self.n_fit,
            "n_test": self.n_test,
            "models": {name: summary.to_dict() for name, summary in self.summaries},
            "selection": selection_dict(self.selected),
            "rows": list(self.rows),
        }


def evaluate_folder(data_dir: str | Path) -> EvaluationReport:
    """Fit fedsim's model and the baselines on placements.csv, score them on scalability.csv."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise FedsimError(f"{folder}: no such folder (expected {FIT_FILE} and {TEST_FILE})")
    fit = read_placements(folder / FIT_FILE)
    test = read_scalability(folder / TEST_FILE)
    if len(fit) < MIN_FIT_ROWS:
        raise FedsimError(
            f"{folder / FIT_FILE}: {len(fit)} measurements are too few to fit the throughput "
            f"model (need at least {MIN_FIT_ROWS})"
        )
    ours = select_data_parallel(fit)
    predicted = {
        "fedsim-model": ours.predict(test),
        "pollux": fit_pollux(fit).predict(test),
        "optimus": fit_optimus_data_parallel(fit).predict(test),
    }
    summaries = tuple((name, error_summary(p, test.step_time_s)) for name, p in predicted.items())
    rows = tuple(
        {"n_nodes": float(test.n_nodes[k]), "n_replicas": float(test.n_replicas[k]),
         "local_bsz": float(test.local_bsz[k]), "measured_s": float(test.step_time_s[k]),
         **{f"predicted_{name}_s": float(p[k]) for name, p in predicted.items()}}
        for k in range(len(test))
    )  # fmt: skip
    return EvaluationReport(str(folder), len(fit), len(test), summaries, ours, rows)


def selection_dict(selected: SelectedModel) -> dict[str, Any]:
    """The chosen model, the reason, and every candidate's held-out evidence. The compute
    terms (contention κ, stragglers σ) are selected on the compute column first; the plain
    Pollux fit has no place for them, so ``compute_terms_applied`` says whether the
    chosen model uses them."""
    from fedsim.perfmodel.selection import PLAIN

    effects = selected.compute_effects
    return {
        "chosen": selected.name,
        "reason": selected.reason,
        "compute_terms": list(effects.terms),
        "compute_terms_applied": bool(effects.terms) and selected.name != PLAIN,
        "contention_per_replica": effects.contention_per_replica,
        "straggler_cv": effects.straggler_cv,
        "candidates": [asdict(score) for score in effects.scores + selected.scores],
    }
