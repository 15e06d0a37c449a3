"""Throughput model: fitted step times of DNN training on one or many devices.

- :mod:`~fedsim.perfmodel.compute`: compute time vs local batch size (linear / power law);
- :mod:`~fedsim.perfmodel.sync`: all-reduce time and its overlap with compute;
- :mod:`~fedsim.perfmodel.dataparallel`: fedsim's data-parallel model fitted on placements;
- :mod:`~fedsim.perfmodel.pollux`, :mod:`~fedsim.perfmodel.optimus`: reference baselines;
- :mod:`~fedsim.perfmodel.mva`: exact MVA and parameter-server training;
- :mod:`~fedsim.perfmodel.crossdevice`: measured ratios or roofline scaling across devices;
- :mod:`~fedsim.perfmodel.throughput`, :mod:`~fedsim.perfmodel.profile_fit`: the
  simulator-facing :class:`ThroughputModel`, fitted from a calibration profile;
- :mod:`~fedsim.perfmodel.evaluate`: held-out evaluation on Pollux-format measurements.

numpy/scipy/pandas only: no torch.
"""

from __future__ import annotations

from fedsim.perfmodel.compute import (
    ComputeFit,
    ComputeModel,
    LinearCompute,
    PowerLawCompute,
    TabulatedCompute,
    fit_compute,
)
from fedsim.perfmodel.crossdevice import KNOWN_DEVICES, CrossDeviceScaler, DeviceSpec
from fedsim.perfmodel.dataparallel import DataParallelModel, DataParallelParams, fit_data_parallel
from fedsim.perfmodel.evaluate import EvaluationReport, evaluate_folder
from fedsim.perfmodel.measurements import StepTimes, read_placements, read_scalability
from fedsim.perfmodel.metrics import ErrorSummary, error_summary
from fedsim.perfmodel.mva import MvaResult, ParameterServerModel, Station, solve_mva
from fedsim.perfmodel.optimus import OptimusParams, fit_optimus
from fedsim.perfmodel.pollux import PolluxParams, fit_pollux
from fedsim.perfmodel.profile_fit import fit_profile
from fedsim.perfmodel.sync import LinearSync, RingAllReduce, fit_ring_allreduce
from fedsim.perfmodel.throughput import ThroughputModel

__all__ = [
    "KNOWN_DEVICES",
    "ComputeFit",
    "ComputeModel",
    "CrossDeviceScaler",
    "DataParallelModel",
    "DataParallelParams",
    "DeviceSpec",
    "ErrorSummary",
    "EvaluationReport",
    "LinearCompute",
    "LinearSync",
    "MvaResult",
    "OptimusParams",
    "ParameterServerModel",
    "PolluxParams",
    "PowerLawCompute",
    "RingAllReduce",
    "Station",
    "StepTimes",
    "TabulatedCompute",
    "ThroughputModel",
    "error_summary",
    "evaluate_folder",
    "fit_compute",
    "fit_data_parallel",
    "fit_optimus",
    "fit_pollux",
    "fit_profile",
    "fit_ring_allreduce",
    "read_placements",
    "read_scalability",
    "solve_mva",
]
