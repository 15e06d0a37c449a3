"""Held-out evaluation on a folder of measurements in the Pollux artifact's layout.

It does what a user planning a large job does: fit on the small placements that were
measured (``placements.csv``: up to 4 nodes) and predict every large configuration of
``scalability.csv`` (6–16 nodes), never the other way round and never mixing the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedsim.errors import FedsimError
from fedsim.perfmodel.dataparallel import fit_data_parallel
from fedsim.perfmodel.measurements import read_placements, read_scalability
from fedsim.perfmodel.metrics import ErrorSummary, error_summary
from fedsim.perfmodel.optimus import fit_optimus_data_parallel
from fedsim.perfmodel.pollux import fit_pollux

FIT_FILE = "placements.csv"
TEST_FILE = "scalability.csv"


@dataclass(frozen=True)
class EvaluationReport:
    """Error summaries of each model on the held-out file, best first in ``MODELS`` order."""

    data_dir: str
    n_fit: int
    n_test: int
    summaries: tuple[tuple[str, ErrorSummary], ...]

    def summary(self, name: str) -> ErrorSummary:
        for model, summary in self.summaries:
            if model == name:
                return summary
        raise KeyError(name)

    def lines(self) -> list[str]:
        return [summary.line(name) for name, summary in self.summaries]

    def to_dict(self) -> dict[str, Any]:
        return {
            "written_by": "fedsim perfmodel evaluate",
            "data_dir": self.data_dir,
            "fit_file": FIT_FILE,
            "test_file": TEST_FILE,
            "n_fit": self.n_fit,
            "n_test": self.n_test,
            "models": {name: summary.to_dict() for name, summary in self.summaries},
        }


def evaluate_folder(data_dir: str | Path) -> EvaluationReport:
    """Fit fedsim's model and the baselines on placements.csv, score them on scalability.csv."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise FedsimError(f"{folder}: no such folder (expected {FIT_FILE} and {TEST_FILE})")
    fit = read_placements(folder / FIT_FILE)
    test = read_scalability(folder / TEST_FILE)
    try:
        ours = fit_data_parallel(fit)
    except ValueError as exc:
        raise FedsimError(f"{folder / FIT_FILE}: {exc}") from None
    summaries = (
        ("fedsim-model", error_summary(ours.predict(test), test.step_time_s)),
        ("pollux", error_summary(fit_pollux(fit).predict(test), test.step_time_s)),
        ("optimus", error_summary(fit_optimus_data_parallel(fit).predict(test), test.step_time_s)),
    )
    return EvaluationReport(str(folder), len(fit), len(test), summaries)
