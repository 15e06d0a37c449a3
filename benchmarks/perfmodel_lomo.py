"""Leave-one-model-out protocol of the throughput model's selection rule.

    python benchmarks/perfmodel_lomo.py ../shared/data/pollux_scalability [MORE_DIRS...]

Every argument is either one folder in the Pollux layout (placements.csv +
scalability.csv) or a folder of such folders. For each model folder in turn the rule's
two thresholds are chosen on the *other* folders only (fedsim.perfmodel.lomo), then
applied to the held-out one: fit on its placements, score on its scalability rows.
Also printed: what the defaults in code (fedsim.perfmodel.selection) give on every folder,
beside the plain Pollux fit, fedsim's full model (every term fitted on step times, the
pre-selection default) and Optimus.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fedsim.perfmodel.dataparallel import fit_data_parallel
from fedsim.perfmodel.lomo import leave_one_model_out
from fedsim.perfmodel.measurements import read_placements, read_scalability
from fedsim.perfmodel.metrics import ErrorSummary, error_summary
from fedsim.perfmodel.optimus import fit_optimus_data_parallel
from fedsim.perfmodel.pollux import fit_pollux
from fedsim.perfmodel.selection import select_data_parallel


def model_folders(arguments: list[str]) -> list[Path]:
    folders: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if (path / "placements.csv").is_file():
            folders.append(path)
        else:
            folders += sorted(p for p in path.iterdir() if (p / "placements.csv").is_file())
    return folders


def _cell(summary: ErrorSummary) -> str:
    return f"{summary.mape_pct:5.1f}% / {summary.spearman:.3f}"


def main(arguments: list[str]) -> None:
    folders = model_folders(arguments or ["../shared/data/pollux_scalability"])
    start = time.process_time()
    print("## Defaults in code, every folder (MAPE / Spearman ρ on scalability.csv)\n")
    print("| model | chosen | fedsim-model | plain Pollux | fedsim full | Optimus |")
    print("| --- | --- | --- | --- | --- | --- |")
    for folder in folders:
        fit = read_placements(folder / "placements.csv")
        test = read_scalability(folder / "scalability.csv")
        chosen = select_data_parallel(fit)
        models = (chosen, fit_pollux(fit), fit_data_parallel(fit), fit_optimus_data_parallel(fit))
        cells = [error_summary(model.predict(test), test.step_time_s) for model in models]
        row = " | ".join(_cell(c) for c in cells)
        print(f"| {folder.name} | {chosen.name} | {row} |")
    print("\n## Leave one model out (thresholds chosen without the held-out folder)\n")
    print("| held out | min gain | max p | chosen | fedsim-model | plain Pollux |")
    print("| --- | --- | --- | --- | --- | --- |")
    for fold in leave_one_model_out(folders):
        print(
            f"| {fold.held_out} | {100 * fold.rule.min_rel_gain:g}% | {fold.rule.max_p_value:g} "
            f"| {fold.chosen_model} | {_cell(fold.selected)} | {_cell(fold.plain)} |"
        )
    print(f"\nCPU time: {time.process_time() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
