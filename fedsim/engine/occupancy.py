"""GPU pools of every provider: who holds how many GPUs of each type, and busy time.

``free[i][g]`` GPUs of type ``g`` at provider ``i`` are unheld; ``guest[i][g]`` of the
held ones belong to other providers' jobs (sold by the market: the host's own
scheduler may not use or preempt them). Busy GPU-seconds are integrated exactly at
every change and flushed once per epoch into the ledger.
"""

from __future__ import annotations

from fedsim.engine.world import World


class Occupancy:
    """Every provider's GPU pools during one run."""

    def __init__(self, world: World) -> None:
        n_i, n_g = world.n_providers, len(world.gpu_types)
        self.resources = world.resources
        self.capacity = [[int(world.capacity_units[i, g]) for g in range(n_g)] for i in range(n_i)]
        self.free = [row[:] for row in self.capacity]
        self.guest = [[0] * n_g for _ in range(n_i)]
        self._busy = [[0] * n_g for _ in range(n_i)]
        self._busy_since_s = [[0.0] * n_g for _ in range(n_i)]
        self._busy_unit_s = [[0.0] * n_g for _ in range(n_i)]  # since the last flush
        self.violations: list[str] = []
        self.changes = 0  # holds and releases so far: equal counts, equal pools

    def hold(self, i: int, g: int, units: int, t_s: float, guest: bool) -> None:
        """``units`` GPUs of type ``g`` at ``i`` become held (negative: released)."""
        busy = self._busy[i]
        self._busy_unit_s[i][g] += busy[g] * (t_s - self._busy_since_s[i][g])
        self._busy_since_s[i][g] = t_s
        busy[g] += units
        if units:
            self.changes += 1
        free = self.free[i]
        free[g] -= units
        if guest:
            self.guest[i][g] += units
        if free[g] < 0 or free[g] > self.capacity[i][g] or self.guest[i][g] < 0:
            self.violations.append(
                f"t={t_s}: pool {self.resources[g]} at provider {i}: free {free[g]} of "
                f"{self.capacity[i][g]}"
            )

    def flush_busy(self, t_s: float) -> list[list[float]]:
        """GPU busy unit-seconds since the last flush, per provider and GPU type."""
        for i, row in enumerate(self._busy):
            for g in range(len(row)):
                self.hold(i, g, 0, t_s, False)
        out = self._busy_unit_s
        self._busy_unit_s = [[0.0] * len(r) for r in out]
        return out
