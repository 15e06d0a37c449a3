"""Calibration: torch microbenchmarks that measure service times on real hardware.

torch is an optional extra (``pip install 'fedsim[calibrate]'``) and is imported only by
the benchmark modules of this package, never here: ``fedsim.calibration.profile`` (the
reader the simulator uses) and ``fedsim.calibration.config`` stay importable without it.
"""

from __future__ import annotations
