"""Runs on a Ray cluster (``--backend ray``): the same items, the same outcomes as the
local backend, one Ray task per item.

- ``address=None`` starts a private local Ray bound to loopback (127.0.0.1, no
  dashboard) with ``workers`` CPUs, and stops it afterwards; ``"auto"`` joins the Ray
  cluster this machine belongs to (``ray start --head`` on one node, ``ray start
  --address HEAD:6379`` on the others, fedsim installed on every node);
  ``"HOST:PORT"`` joins that head.
- A task whose worker dies (killed, out of memory) is retried by Ray up to
  ``max_attempts`` times in all; an exception raised by the run itself is not retried
  (it would fail again) and comes back as that item's error.
- Results never depend on where a run executed: each run is a pure function of its
  spec (its seed included), and the caller stores each as it arrives, so a driver that
  dies loses only the runs still in flight.

Ray is an optional extra (``pip install "fedsim[ray]"``), imported only here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fedsim.errors import FedsimError
from fedsim.sweeps.backend import Outcome


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    os.environ.setdefault("FEDSIM_WEB_THREADS", "1")  # one task per CPU already
    return fn(item)


class RayBackend:
    def __init__(self, workers: int | None = None, address: str | None = None,
                 max_attempts: int = 3) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.address = address
        self.max_attempts = max_attempts

    def _connect(self) -> bool:
        """Start or join Ray; True when this call started it (and must stop it)."""
        try:
            import ray
        except ImportError:
            raise FedsimError('--backend ray needs Ray: pip install "fedsim[ray]"') from None
        if ray.is_initialized():
            return False
        common = {"log_to_driver": False, "logging_level": "ERROR",
                  "configure_logging": True}
        if self.address is None:
            ray.init(num_cpus=self.workers, include_dashboard=False,
                     _node_ip_address="127.0.0.1", **common)
        else:
            try:
                ray.init(address=self.address, **common)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise FedsimError(f"--address {self.address}: cannot join a Ray cluster "
                                  f"({' '.join(str(exc).split())})") from None
        return True

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Outcome]]:
        if not items:
            return
        import ray

        started = self._connect()
        try:
            task = ray.remote(max_retries=self.max_attempts - 1, retry_exceptions=False,
                              num_cpus=1)(_call)
            fn_ref = ray.put(fn)
            index = {task.remote(fn_ref, item): k for k, item in enumerate(items)}
            pending = list(index)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    yield index[ref], _outcome(ray, ref)
        finally:
            if started:
                ray.shutdown()


def _outcome(ray: Any, ref: Any) -> Outcome:
    try:
        return Outcome(value=ray.get(ref))
    except ray.exceptions.RayTaskError as exc:  # the run raised: its own exception
        cause = exc.cause if isinstance(exc.cause, BaseException) else exc
        return Outcome(error=cause)
    except ray.exceptions.RayError as exc:  # its worker died every attempt
        return Outcome(error=exc)
