"""Throughput model: fitted step times of DNN training on one or many devices.

- :mod:`~fedsim.perfmodel.compute`: compute time vs local batch size (linear / power law);
- :mod:`~fedsim.perfmodel.sync`: all-reduce time and its overlap with compute;
- :mod:`~fedsim.perfmodel.dataparallel`: fedsim's data-parallel model fitted on placements;
- :mod:`~fedsim.perfmodel.pollux`, :mod:`~fedsim.perfmodel.optimus`: reference baselines;
- :mod:`~fedsim.perfmodel.mva`: exact MVA and parameter-server training;
- :mod:`~fedsim.perfmodel.crossdevice`: measured ratios or roofline scaling across devices;
- :mod:`~fedsim.perfmodel.throughput`, :mod:`~fedsim.perfmodel.profile_fit`: the
  simulator-facing :class:`ThroughputModel`, fitted from a calibration profile;
- :mod:`~fedsim.perfmodel.selection`: which model the placements support, out of sample;
  :mod:`~fedsim.perfmodel.lomo`: its thresholds under leave-one-model-out;
- :mod:`~fedsim.perfmodel.evaluate`: held-out evaluation on Pollux-format measurements.

numpy/scipy/pandas only: no torch.
"""

from __future__ import annotations

from fedsim.lazy import lazy_getattr

# name → submodule; imported on first use (PEP 562), so that importing one submodule
# (the engine needs only the ring all-reduce) does not pull in scipy.stats and friends
_WHERE = {
    "ComputeFit": "compute",
    "ComputeModel": "compute",
    "CrossDeviceScaler": "crossdevice",
    "DataParallelModel": "dataparallel",
    "DataParallelParams": "dataparallel",
    "DeviceSpec": "crossdevice",
    "ErrorSummary": "metrics",
    "EvaluationReport": "evaluate",
    "KNOWN_DEVICES": "crossdevice",
    "LinearCompute": "compute",
    "LinearSync": "sync",
    "MvaResult": "mva",
    "OptimusParams": "optimus",
    "ParameterServerModel": "mva",
    "PolluxParams": "pollux",
    "PowerLawCompute": "compute",
    "RingAllReduce": "sync",
    "Station": "mva",
    "StepTimes": "measurements",
    "TabulatedCompute": "compute",
    "ThroughputModel": "throughput",
    "SelectedModel": "selection",
    "SelectionRule": "selection",
    "select_data_parallel": "selection",
    "leave_one_model_out": "lomo",
    "error_summary": "metrics",
    "evaluate_folder": "evaluate",
    "fit_compute": "compute",
    "fit_data_parallel": "dataparallel",
    "fit_optimus": "optimus",
    "fit_pollux": "pollux",
    "fit_profile": "profile_fit",
    "fit_ring_allreduce": "sync",
    "read_placements": "measurements",
    "read_scalability": "measurements",
    "solve_mva": "mva",
}


__getattr__ = lazy_getattr(__name__, {k: f"{__name__}.{v}" for k, v in _WHERE.items()})


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
    "SelectedModel",
    "SelectionRule",
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
    "leave_one_model_out",
    "read_placements",
    "read_scalability",
    "select_data_parallel",
    "solve_mva",
]
