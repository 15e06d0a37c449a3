"""What a provider expects of its next epoch's web load, from past epochs only."""

from __future__ import annotations

import numpy as np

from fedsim.queueing.profile import LoadProfile


class Forecast:
    """What a provider expects of the next epoch from past epochs only: an EWMA of the
    sorted slice rates (the quasi-stationary model does not care in which order the
    slices come, only how much time is spent at each rate). ``alpha = 1``: last epoch."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.rates: np.ndarray | None = None

    def observe(self, past: LoadProfile) -> None:
        rates = np.sort(np.asarray(past.rate_per_s, dtype=float))
        if self.rates is None:
            self.rates = rates
            return
        self.rates = self.alpha * rates + (1.0 - self.alpha) * _resample(self.rates, len(rates))

    def expect(self, duration_s: tuple[float, ...]) -> LoadProfile:
        assert self.rates is not None
        return LoadProfile(duration_s, tuple(_resample(self.rates, len(duration_s)).tolist()))


def _resample(sorted_rates: np.ndarray, k: int) -> np.ndarray:
    if len(sorted_rates) == k:
        return sorted_rates
    grid = np.linspace(0.0, 1.0, len(sorted_rates))
    return np.interp(np.linspace(0.0, 1.0, k), grid, sorted_rates)
