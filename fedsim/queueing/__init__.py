"""Web-service queueing: Erlang-B/C, M/M/c response tails, diurnal rates, per-epoch outcomes.

The engine calls :func:`fluid_epoch` every market epoch; :func:`simulate_epoch_requests`
(request-level, heap-based FCFS; a simpy reference is selectable) validates it.
"""

from fedsim.queueing.diurnal import DAY_S, DiurnalRate, sample_arrivals_s
from fedsim.queueing.erlang import (
    cores_needed,
    erlang_b,
    erlang_b_table,
    erlang_c,
    p_response_exceeds,
    p_wait_exceeds,
)
from fedsim.queueing.fcfs import fcfs_response_s, fcfs_response_s_simpy
from fedsim.queueing.web_model import (
    RequestTrace,
    WebEpoch,
    batch_means_ci95,
    fluid_epoch,
    simulate_epoch_requests,
    simulate_requests,
    violation_fraction_ci95,
)

__all__ = [
    "DAY_S",
    "DiurnalRate",
    "RequestTrace",
    "WebEpoch",
    "batch_means_ci95",
    "cores_needed",
    "erlang_b",
    "erlang_b_table",
    "erlang_c",
    "fcfs_response_s",
    "fcfs_response_s_simpy",
    "fluid_epoch",
    "p_response_exceeds",
    "p_wait_exceeds",
    "sample_arrivals_s",
    "simulate_epoch_requests",
    "simulate_requests",
    "violation_fraction_ci95",
]
