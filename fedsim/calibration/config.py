"""What a calibration run measures and how: frozen, validated, torch-free."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from fedsim.errors import FedsimError

COMPUTE_MODELS: tuple[str, ...] = (
    "resnet_cnn",
    "transformer_encoder",
    "mlp_recommender",
    "lstm_lm",
)
WEB_MODELS: tuple[str, ...] = ("mlp_recommender", "transformer_encoder")
DEVICE_CHOICES: tuple[str, ...] = ("cpu", "cuda", "auto")

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class TimingConfig:
    """How one configuration is timed.

    At least ``min_repeats`` timed repeats, more (up to ``max_repeats``) while their total
    stays under ``target_s``: cheap steps get many samples, which steadies their median,
    expensive ones are not repeated for minutes.

    ``rounds`` > 1 splits a model's repeats into interleaved rounds over all its batch
    sizes (shuffled each round), so that slow drift of the machine (frequency, a noisy
    neighbour on a VM) lands on every batch size alike instead of bending the curve.
    """

    warmup: int = 3
    min_repeats: int = 7
    max_repeats: int = 200
    target_s: float = 1.5
    rounds: int = 1

    def __post_init__(self) -> None:
        if self.warmup < 0 or self.min_repeats < 5 or self.max_repeats < self.min_repeats:
            raise FedsimError(
                "timing: need warmup ≥ 0, min_repeats ≥ 5 and max_repeats ≥ min_repeats"
            )
        if self.target_s < 0:
            raise FedsimError("timing: target_s must be ≥ 0")
        if self.rounds < 1:
            raise FedsimError("timing: rounds must be ≥ 1")

    def for_device(self, device: str) -> TimingConfig:
        # CUDA needs more warm-up: cuDNN autotuning, the caching allocator, lazy module load
        return replace(self, warmup=max(self.warmup, 10)) if device == "cuda" else self


@dataclass(frozen=True)
class CalibrationConfig:
    """One calibration run. ``device`` is resolved (``cpu`` or ``cuda``), never ``auto``."""

    device: str
    threads: int
    size: str = "full"  # model size preset: "full" or "tiny"
    models: tuple[str, ...] = COMPUTE_MODELS
    # half-octave steps: a held-out size is never more than 1.5x from a measured neighbour
    batch_sizes: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
    message_bytes: tuple[int, ...] = tuple(KIB * 4**i for i in range(9))  # 1 KiB .. 64 MiB
    n_workers: tuple[int, ...] = (2, 4)
    web_models: tuple[str, ...] = WEB_MODELS
    timing: TimingConfig = field(default_factory=TimingConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda"):
            raise FedsimError(f"calibration device must be cpu or cuda, got {self.device!r}")
        if self.threads < 1:
            raise FedsimError(f"--threads must be ≥ 1, got {self.threads}")
        if self.size not in ("full", "tiny"):
            raise FedsimError(f"model size must be full or tiny, got {self.size!r}")
        unknown = sorted(set(self.models) - set(COMPUTE_MODELS))
        unknown += sorted(set(self.web_models) - set(COMPUTE_MODELS))
        if unknown:
            raise FedsimError(
                f"unknown model(s) {', '.join(unknown)}; known: {', '.join(COMPUTE_MODELS)}"
            )
        if any(b < 1 for b in self.batch_sizes):
            raise FedsimError("batch sizes must be ≥ 1")
        if any(m < 4 for m in self.message_bytes):
            raise FedsimError("message sizes must be ≥ 4 bytes (one float32)")
        if any(k < 2 for k in self.n_workers):
            raise FedsimError("all-reduce needs ≥ 2 workers")

    @classmethod
    def preset(cls, device: str, threads: int, quick: bool = False) -> CalibrationConfig:
        """The full grid, or ``quick``: tiny models, fewer points, one worker count."""
        if not quick:
            timing = TimingConfig(min_repeats=10, target_s=4.0, rounds=10)
            return cls(device=device, threads=threads, timing=timing)
        return cls(
            device=device,
            threads=threads,
            size="tiny",
            batch_sizes=(1, 4, 16, 64),
            message_bytes=(KIB, 64 * KIB, 4 * MIB),
            n_workers=(2,),
            timing=TimingConfig(warmup=2, min_repeats=5, max_repeats=50, target_s=0.15, rounds=2),
        )


def default_threads() -> int:
    """Cores this process may run on (respects taskset/cgroups affinity where exposed)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
