"""Scaling step times across devices: measured ratios where known, a roofline where not.

A measured ratio is the ratio of two measured rates of the same job (e.g. the
``steps_per_s`` of ``../shared/data/gavel_throughputs.csv``). Without one, the roofline
model bounds attainable throughput by ``min(peak FLOP/s, I · memory bandwidth)`` for a job
of arithmetic intensity I (FLOP per byte of memory traffic), and step time scales with its
inverse. The roofline ignores tensor cores, mixed precision and kernel efficiency, so it is
a fallback, not a substitute for a measurement (Gavel's V100/K80 speed-ups reach 10× where
the FP32 roofline gives at most 3.6×).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from fedsim.errors import FedsimError


@dataclass(frozen=True)
class DeviceSpec:
    """Datasheet figures of one accelerator (FP32 peak, memory bandwidth)."""

    name: str
    peak_tflops: float
    memory_bandwidth_gbytes_per_s: float

    def attainable_tflops(self, intensity_flop_per_byte: float) -> float:
        """Roofline: the lower of the compute roof and the memory slope at intensity I."""
        memory_bound = intensity_flop_per_byte * self.memory_bandwidth_gbytes_per_s / 1e3
        return min(self.peak_tflops, memory_bound)


# NVIDIA datasheets, FP32 without tensor cores; one GK210 die for the K80 as clouds sell it
KNOWN_DEVICES: Mapping[str, DeviceSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            DeviceSpec("k80", 4.37, 240.0),
            DeviceSpec("p100", 9.3, 732.0),
            DeviceSpec("t4", 8.1, 320.0),
            DeviceSpec("v100", 15.7, 900.0),
            DeviceSpec("a100", 19.5, 1555.0),
            DeviceSpec("h100", 67.0, 3350.0),
        )
    }
)


def measured_rates(
    df: pd.DataFrame,
    model_column: str,
    device_column: str,
    rate_column: str,
) -> dict[tuple[str, str], float]:
    """Median rate per (model, device) from a table such as Gavel's throughputs."""
    missing = [c for c in (model_column, device_column, rate_column) if c not in df.columns]
    if missing:
        raise FedsimError(f"throughput table: missing column(s) {', '.join(missing)}")
    grouped = df.groupby([model_column, device_column])[rate_column].median()
    return {(str(m), str(d)): float(rate) for (m, d), rate in grouped.items() if rate > 0}


@dataclass(frozen=True)
class CrossDeviceScaler:
    """Ratio of step times of one job between two devices."""

    specs: Mapping[str, DeviceSpec] = field(default_factory=lambda: KNOWN_DEVICES)
    measured_rate: Mapping[tuple[str, str], float] = field(default_factory=dict)
    intensity_flop_per_byte: Mapping[str, float] = field(default_factory=dict)
    default_intensity_flop_per_byte: float = 30.0

    def source(self, model: str, from_device: str, to_device: str) -> str:
        """``"measured"`` when both rates are known, else ``"roofline"``."""
        known = (model, from_device) in self.measured_rate and (
            model,
            to_device,
        ) in self.measured_rate
        return "measured" if known else "roofline"

    def time_ratio(self, model: str, from_device: str, to_device: str) -> float:
        """T(to_device) / T(from_device) for the same job and local batch."""
        if from_device == to_device:
            return 1.0
        if self.source(model, from_device, to_device) == "measured":
            return self.measured_rate[(model, from_device)] / self.measured_rate[(model, to_device)]
        for device in (from_device, to_device):
            if device not in self.specs:
                raise FedsimError(
                    f"no measured rate of {model!r} on {device!r} and no device spec for "
                    f"{device!r}; known specs: {', '.join(sorted(self.specs))}"
                )
        intensity = self.intensity_flop_per_byte.get(model, self.default_intensity_flop_per_byte)
        return self.specs[from_device].attainable_tflops(intensity) / self.specs[
            to_device
        ].attainable_tflops(intensity)
