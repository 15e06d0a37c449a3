"""Configuration choice from the throughput model, against the best measured one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fedsim.perfmodel.choose import choose
from fedsim.perfmodel.evaluate import FIT_FILE, TEST_FILE
from fedsim.perfmodel.measurements import StepTimes, read_placements, read_scalability
from fedsim.perfmodel.selection import select_data_parallel


def chosen_over_best(folder: Path, objective: str, by: str = "local") -> np.ndarray:
    """Per batch size (``local``: per GPU, the candidates differing in replicas and
    nodes; ``global``: replicas × local) with ≥ 2 configurations: the measured value
    (objective) of the configuration the model picks (fit on placements.csv only) over
    the best measured one in scalability.csv."""
    fit, test = read_placements(folder / FIT_FILE), read_scalability(folder / TEST_FILE)
    model = select_data_parallel(fit)
    pred = model.predict(test)
    key = test.local_bsz if by == "local" else test.n_replicas * test.local_bsz
    out = []
    for b in np.unique(key):
        idx = np.flatnonzero(key == b)
        if len(idx) < 2:
            continue
        group = test.take(idx)
        measured = group.n_replicas * group.local_bsz / group.step_time_s
        if objective == "cheapest":
            measured = measured / group.n_replicas
        pick = choose(pred[idx], group, objective)
        out.append(measured[pick] / measured.max())
    return np.array(out)


@pytest.mark.parametrize("name", ["bert", "yolov3"])
@pytest.mark.parametrize("objective", ["fastest", "cheapest"])
def test_chosen_configuration_is_within_10_percent(shared_data: Path, name: str,
                                                   objective: str) -> None:
    """For each local batch size, the configuration picked is within 10% of the best
    measured one (bert: 5 batch sizes, yolov3: 3)."""
    r = chosen_over_best(shared_data / "pollux_scalability" / name, objective)
    assert len(r) >= 3 and (r >= 0.9).all(), np.round(np.sort(r), 3)


@pytest.mark.xfail(reason="cifar10: the throughput model's known weak case (see "
                   "test_perfmodel_evaluate): 7 of 11 local batch sizes within 10%, worst 0.70",
                   strict=True)
def test_cifar10_choice(shared_data: Path) -> None:
    r = chosen_over_best(shared_data / "pollux_scalability" / "cifar10", "fastest")
    assert (r >= 0.9).all()


def test_choose_by_hand() -> None:
    # 1 replica × 32 in 0.1 s (320/s), 4 × 32 in 0.2 s (640/s, 160/s per GPU)
    c = StepTimes.from_arrays([1, 1], [1, 4], [32, 32], [0.1, 0.2])
    assert choose(np.array([0.1, 0.2]), c, "fastest") == 1
    assert choose(np.array([0.1, 0.2]), c, "cheapest") == 0
    with pytest.raises(ValueError, match="objective"):
        choose(np.array([0.1, 0.2]), c, "slowest")
