"""Interleaved timing of one model over all its batch sizes.

Timing batch size 1 to completion, then 2, then 4 ... turns slow drift of the machine
(CPU frequency, a neighbour on the same host) into a bend of the measured curve that no
model of batch size can explain. A :class:`ComputeSweep` instead times every batch size a
little in each of several rounds, in a fresh random order per round, and pools the
samples: drift then shifts all batch sizes alike, and their median averages over it.

Each round is a separate unit of work that returns its own samples, so that a caller can
wait for a quiet machine before it, re-measure it if it was disturbed, and keep only the
least disturbed attempt; the caller pools the kept rounds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from fedsim.calibration.config import CalibrationConfig
from fedsim.calibration.timing import Timer, make_timer, paused_gc


class ComputeSweep:
    """One model, one optimizer, one synthetic batch per batch size; rounds of samples."""

    def __init__(self, config: CalibrationConfig, model: str) -> None:
        self.config = config
        self.model = model
        self.batch_sizes = tuple(sorted(set(config.batch_sizes)))
        self.timing = config.timing.for_device(config.device)
        self._steps: dict[int, Callable[[], object]] = {}
        self._per_round: dict[int, int] = {}
        self._timer: Timer | None = None
        self.gradient_bytes = 0

    def _prepare(self) -> None:
        """Build the workloads, warm each up, and size each batch's share of a round."""
        from fedsim.calibration.device import require_torch
        from fedsim.calibration.models import build_workload, make_inputs, training_step

        torch = require_torch()
        device = torch.device(self.config.device)
        base = build_workload(self.model, self.config.size, 1, device, self.config.seed)
        self.gradient_bytes = base.gradient_bytes()
        gen = torch.Generator().manual_seed(self.config.seed)
        self._timer = make_timer(self.config.device)
        for batch in self.batch_sizes:
            # the same weights and optimizer state at every batch size, as in one training run
            inputs, target = make_inputs(self.model, self.config.size, batch, device, gen)
            step = training_step(dataclasses.replace(base, inputs=inputs, target=target))
            for _ in range(self.timing.warmup):
                step()
            self._timer.start()
            step()
            estimate_s = max(self._timer.stop(), 1e-9)
            wanted = min(
                max(self.timing.min_repeats, math.ceil(self.timing.target_s / estimate_s)),
                self.timing.max_repeats,
            )
            self._steps[batch] = step
            self._per_round[batch] = math.ceil(wanted / self.timing.rounds)

    def run_round(self, index: int) -> dict[int, list[float]]:
        """Time every batch size once more (its share of samples), in a shuffled order."""
        if not self._steps:
            self._prepare()
        assert self._timer is not None
        order = np.random.default_rng([self.config.seed, index]).permutation(self.batch_sizes)
        samples: dict[int, list[float]] = {}
        with paused_gc():
            for batch in (int(b) for b in order):
                step, times = self._steps[batch], []
                for _ in range(self._per_round[batch]):
                    self._timer.start()
                    step()
                    times.append(self._timer.stop())
                samples[batch] = times
        return samples

    def release(self) -> None:
        """Drop the models and batches (the measurements are kept)."""
        self._steps.clear()
