"""How well can *any* smooth model rank the held-out Pollux measurements?

    python benchmarks/perfmodel_ceiling.py ../shared/data/pollux_scalability

``fedsim perfmodel evaluate`` fits on placements.csv and predicts scalability.csv. This
script deliberately cheats: every model below is fitted **on scalability.csv itself**
(in-sample), so its Spearman ρ is an upper bound on what that family of models can reach
when it has to extrapolate instead. Families, by least squares on log step time:

- fedsim's data-parallel model, all of its parameters (and the compute curve) refitted;
- a polynomial of degree d in (log nodes, log replicas, log batch) plus one free level
  per batch size: smooth in the configuration, as any physical model is; at degree 2
  also without the (log nodes)^2 term, i.e. unable to bend towards a single slow node
  count (a physical sync model is monotone in nodes at equal replicas per node);
- one free level per (nodes, replicas) configuration plus one per batch size: not smooth,
  it memorises each configuration's measured mean (the noise included).

When even the in-sample smooth families stay near or below ρ = 0.9, the remaining rank
disagreement is configuration-to-configuration noise in the measurements that no
extrapolating model can predict.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from fedsim.perfmodel.dataparallel import fit_data_parallel
from fedsim.perfmodel.measurements import StepTimes, read_scalability
from fedsim.perfmodel.metrics import ErrorSummary, error_summary


def _monomials(columns: list[np.ndarray], degree: int) -> list[np.ndarray]:
    terms = []
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(len(columns)), d):
            terms.append(np.prod([columns[i] for i in combo], axis=0))
    return terms


def _dummies(values: np.ndarray | list[str]) -> np.ndarray:
    return pd.get_dummies(pd.Series(values).astype(str)).to_numpy(dtype=float)


def _least_squares_fit(design: np.ndarray, data: StepTimes) -> tuple[ErrorSummary, int]:
    y = np.log(data.step_time_s)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return error_summary(np.exp(design @ coef), data.step_time_s), design.shape[1]


def ceilings(data: StepTimes) -> list[tuple[str, int, ErrorSummary]]:
    """In-sample fits of each family on ``data``: (family, parameters, errors)."""
    logs = [np.log(data.n_nodes), np.log(data.n_replicas), np.log(data.local_bsz)]
    per_batch = _dummies(data.local_bsz)
    rows = []
    ours = fit_data_parallel(data)
    n_ours = 8 * len(ours.members) + len(np.unique(data.local_bsz))
    refitted = error_summary(ours.predict(data), data.step_time_s)
    rows.append(("fedsim model, refitted", n_ours, refitted))
    for degree in (2, 3, 4):
        design = np.column_stack([per_batch, *_monomials(logs, degree)])
        summary, n = _least_squares_fit(design, data)
        rows.append((f"smooth, degree {degree}", n, summary))
        if degree == 2:
            # without (log nodes)^2 the fit cannot bend towards one slow node count
            terms = _monomials(logs, 2)  # N K b NN NK Nb KK Kb bb
            no_bend = np.column_stack([per_batch, *terms[:3], *terms[4:]])
            summary, n = _least_squares_fit(no_bend, data)
            rows.append(("  same, no (log nodes)^2", n, summary))
    config = [f"{n:g}x{k:g}" for n, k in zip(data.n_nodes, data.n_replicas, strict=True)]
    design = np.column_stack([per_batch, _dummies(config)[:, 1:]])
    summary, n = _least_squares_fit(design, data)
    rows.append(("one level per config", n, summary))
    return rows


def main(root: Path) -> None:
    for folder in sorted(p for p in root.iterdir() if (p / "scalability.csv").is_file()):
        data = read_scalability(folder / "scalability.csv")
        print(f"{folder.name} ({len(data)} rows), fitted in-sample on scalability.csv")
        for family, n_params, e in ceilings(data):
            line = f"{n_params:4d} params  MAPE {e.mape_pct:4.1f}%  ρ {e.spearman:.3f}"
            print(f"  {family:26s}{line}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/pollux_scalability"))
