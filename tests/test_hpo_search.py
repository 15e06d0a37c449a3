"""Hyperparameter searches: resources per bracket against the closed forms, ASHA's
speed-up with workers, common random numbers across policies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fedsim.hpo import POLICIES, CurveFamily, Rungs, make_policy, run_search
from fedsim.hpo.policies import hyperband_brackets, predict_final

R = Rungs(r_min=1, r_max=81, eta=3)


def sha_resource(n: int, r0: float, eta: int, rungs: int) -> float:
    """Successive halving with checkpoints: rung i keeps ⌊n/η^i⌋ trials, each trained
    from r0·η^(i−1) to r0·η^i (from 0 at rung 0)."""
    total, prev = 0.0, 0.0
    for i in range(rungs):
        r = r0 * eta**i
        total += math.floor(n / eta**i) * (r - prev)
        prev = r
    return total


def test_rungs_and_brackets_by_hand() -> None:
    assert R.levels == (1, 3, 9, 27, 81)
    # Li et al. (JMLR 2018) Table 1, R = 81, η = 3: n = 81, 34, 15, 8, 5 from r = 1 … 81
    assert hyperband_brackets(R) == [(81, 0), (34, 1), (15, 2), (8, 3), (5, 4)]


@pytest.mark.parametrize("workers", [1, 7])
def test_successive_halving_spends_the_closed_form(workers: int) -> None:
    # 81 + 27·2 + 9·6 + 3·18 + 1·54 = 297 units
    assert sha_resource(81, 1, 3, 5) == 297
    res = run_search(make_policy("sha"), CurveFamily(), 81, R, workers, unit_s=3600.0)
    assert res.gpu_h == pytest.approx(297.0, rel=1e-12)
    assert res.steps.groupby("rung").size().tolist() == [81, 27, 9, 3, 1]


def test_hyperband_spends_the_closed_form() -> None:
    # brackets s = 4 … 0: 297 + (34·3 + 11·6 + 3·18 + 1·54 = 276) + (15·9 + 5·18 + 54 = 279)
    #                     + (8·27 + 2·54 = 324) + 5·81 = 1581
    by_hand = sum(sha_resource(n, 3**first, 3, 5 - first) for n, first in hyperband_brackets(R))
    assert by_hand == 297 + 276 + 279 + 324 + 405 == 1581
    res = run_search(make_policy("hyperband"), CurveFamily(), 10**6, R, 4, unit_s=3600.0)
    assert res.gpu_h == pytest.approx(1581.0, rel=1e-12)
    assert res.steps["trial"].nunique() == 81 + 34 + 15 + 8 + 5


def test_random_search_trains_everything_to_the_end() -> None:
    res = run_search(make_policy("random"), CurveFamily(), 20, R, 5, unit_s=60.0)
    assert res.gpu_h == pytest.approx(20 * 81 * 60 / 3600)
    assert res.makespan_s == pytest.approx(4 * 81 * 60)  # 20 trials, 5 at a time


def test_same_trials_under_every_policy() -> None:
    """Common random numbers: a trial observed at a rung shows the same accuracy under
    every policy (its curve and its noise come from the seed, not the order)."""
    seen: dict[tuple[int, float], float] = {}
    for name in POLICIES:
        steps = run_search(make_policy(name), CurveFamily(noise_sd=0.05), 81, R, 3, seed=9).steps
        for t, r, a in steps[["trial", "to_r", "accuracy"]].itertuples(index=False):
            assert seen.setdefault((t, r), a) == a
    assert len(seen) > 81


def test_asha_time_to_target_falls_almost_linearly_with_workers() -> None:
    """ASHA (Li et al., MLSys 2020, §4): when finding a good configuration takes many
    trials (here about 1 in 200 reaches the target), time to target falls close to
    1/workers, down to the floor of one trial trained through every rung (9 units).
    Mean over 6 seeds: at 8 and 32 workers the speed-up is at least 70% of linear."""
    fam = CurveFamily(family="exp3", a_min=0.1, a_max=0.95, a_beta=(1.2, 6.0),
                      c_median=0.6, noise_sd=0.002)
    rungs = Rungs(1, 9, 3)

    def ttt(workers: int) -> float:
        out = [run_search(make_policy("asha"), fam, 4000, rungs, workers, seed=s,
                          unit_s=60.0, target=0.62).time_to_target_s for s in range(6)]
        assert all(np.isfinite(out))
        return float(np.mean(out))

    one, eight, many = ttt(1), ttt(8), ttt(32)
    assert one / eight >= 0.7 * 8 and one / many >= 0.7 * 32, (one, eight, many)


def test_prediction_extrapolates_a_power_law_exactly() -> None:
    # acc = 0.9 − 0.4·r^(−1/2): through r = 4 (0.7) and r = 16 (0.8), at 100: 0.86
    assert predict_final([(4.0, 0.7), (16.0, 0.8)], 100.0) == pytest.approx(0.86)
