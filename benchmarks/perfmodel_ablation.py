"""Ablation of fedsim's data-parallel model on the Pollux measurements.

Each variant switches one idea off and is scored like ``fedsim perfmodel evaluate``: fitted
on placements.csv only, predicting every row of scalability.csv.

    python benchmarks/perfmodel_ablation.py ../shared/data/pollux_scalability
"""

from __future__ import annotations

import sys
from pathlib import Path

from fedsim.perfmodel.dataparallel import fit_data_parallel
from fedsim.perfmodel.measurements import read_placements, read_scalability
from fedsim.perfmodel.metrics import error_summary
from fedsim.perfmodel.pollux import fit_pollux

VARIANTS: dict[str, dict] = {
    "full model": {},
    "ring sync only": {"shapes": ("ring",)},
    "tree sync only": {"shapes": ("tree",)},
    "no contention (κ=0)": {"fixed": {"contention_per_replica": 0.0}},
    "no straggler (σ=0)": {"fixed": {"straggler_cv": 0.0}},
    "no forward share (φ=0)": {"fixed": {"forward_fraction": 0.0}},
    "parametric compute": {"correct_measured": False},
}


def main(root: Path) -> None:
    folders = sorted(p for p in root.iterdir() if (p / "placements.csv").is_file())
    data = {f.name: (read_placements(f / "placements.csv"), read_scalability(f / "scalability.csv"))
            for f in folders}  # fmt: skip
    header = f"{'variant':26s}" + "".join(f"{name:>18s}" for name in data)
    print(header)
    cells = []
    for fit_data, test in data.values():
        e = error_summary(fit_pollux(fit_data).predict(test), test.step_time_s)
        cells.append(f"{e.mape_pct:9.1f}% ρ{e.spearman:6.3f}")
    print(f"{'plain Pollux fit':26s}" + "".join(cells))
    for variant, options in VARIANTS.items():
        cells = []
        for fit_data, test in data.values():
            model = fit_data_parallel(fit_data, **options)
            e = error_summary(model.predict(test), test.step_time_s)
            cells.append(f"{e.mape_pct:9.1f}% ρ{e.spearman:6.3f}")
        print(f"{variant:26s}" + "".join(cells))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/pollux_scalability"))
