"""Rounding a clearing's fractional allocation to whole gangs (largest remainders)."""

from __future__ import annotations

import numpy as np

from fedsim.engine.placement import round_blocks


def test_largest_remainders_by_hand() -> None:
    # gangs of 2: 3.0, 2.6, 0.4 GPUs = 1.5, 1.3, 0.2 gangs; floors 1, 1, 0 and
    # round(3.0) − 2 = 1 extra gang, to the largest remainder (0.5, cell 0)
    assert round_blocks(np.array([3.0, 2.6, 0.4]), 2.0).tolist() == [2, 1, 0]
    # a tie of remainders goes to the lowest index
    assert round_blocks(np.array([0.5, 0.5]), 1.0).tolist() == [1, 0]


def test_a_cell_allocated_nothing_never_gets_a_block() -> None:
    # placement skips classes allocated exactly 0 away from home; this is why that is
    # exact: every extra block goes to a cell with a positive remainder, and there are
    # at least as many of those as extra blocks (each remainder is below 1)
    rng = np.random.default_rng(4)
    for _ in range(3000):
        k = int(rng.integers(1, 8))
        block = float(rng.choice([1.0, 2.0, 4.0, 8.0]))
        amounts = np.where(rng.random(k) < 0.5, 0.0,
                           rng.integers(0, 5, k) * block + rng.random(k) * block)
        if rng.random() < 0.3:  # the solver's near-integers
            amounts = np.round(amounts / block) * block + rng.normal(0, 1e-12, k)
            amounts[rng.random(k) < 0.5] = 0.0
        counts = round_blocks(amounts, block)
        assert np.all(counts[amounts == 0.0] == 0)
        assert counts.sum() == round(amounts.sum() / block + 1e-9)
