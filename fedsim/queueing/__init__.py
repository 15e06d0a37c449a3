"""Web-service queueing: Erlang-B/C, M/M/c response tails, diurnal rates, load profiles
(:mod:`~fedsim.queueing.profile`, what sizing uses), the fluid model of a site in time
(:mod:`~fedsim.queueing.transient`) and the request-level one (:mod:`~fedsim.queueing.site`,
a numba kernel, imported only when that mode runs); :func:`fcfs_response_s` is a plain
heap-based FCFS reference for tests.
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

__all__ = [
    "DAY_S",
    "DiurnalRate",
    "cores_needed",
    "erlang_b",
    "erlang_b_table",
    "erlang_c",
    "fcfs_response_s",
    "fcfs_response_s_simpy",
    "p_response_exceeds",
    "p_wait_exceeds",
    "sample_arrivals_s",
]
