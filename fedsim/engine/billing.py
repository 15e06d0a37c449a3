"""What DNN jobs cost and earn, booked into the ledger as it happens.

* Revenue: the owner's customer pays ``dnn_usd_per_gpu_h`` per reference GPU-hour of
  *work done*, booked when a stint ends (finish, preemption, or the horizon).
* Hosting: a job running at another provider pays that host its clearing price per
  GPU-hour held, for the stint, booked when the stint ends.
* Waiting: the owner refunds ``dnn_wait_penalty_usd_per_gpu_h`` per GPU-hour a job
  waits in a queue (before its first start and after each preemption).
* WAN: moving a job's data to a remote host costs the owner egress per GB.
"""

from __future__ import annotations

from fedsim.engine.jobs import JobState
from fedsim.engine.ledger import Ledger
from fedsim.engine.world import World


class Billing:
    """Books one run's DNN money into its ledger."""

    def __init__(self, world: World, ledger: Ledger, jobs: JobState) -> None:
        self.jobs = jobs
        self.ledger = ledger
        self._n = world.n_providers
        self._epoch_s = world.epoch_s
        self._last_epoch = ledger.n_epochs - 1
        self._price = world.dnn_price_usd_per_gpu_h.tolist()
        self._wait = world.dnn_wait_penalty_usd_per_gpu_h.tolist()
        self._egress_usd = world.dataset_gb * world.egress_usd_per_gb
        # hot path: the flat ledger columns booked per job
        self._revenue = ledger.column("revenue_dnn_usd")
        self._finished = ledger.column("jobs_finished")
        self._paid = ledger.column("paid_usd")
        self._received = ledger.column("received_usd")
        self._penalty = ledger.column("sla_penalty_usd")
        self._wan = ledger.column("wan_cost_usd")
        self._serverless = ledger.column("serverless_usd")

    def epoch(self, t_s: float) -> int:
        e = int(t_s // self._epoch_s)
        return e if e < self._last_epoch else self._last_epoch

    def stint(self, j: int, t_s: float, done_ref_s: float, finished: bool) -> None:
        """A stint of job ``j`` ended at ``t_s`` having done ``done_ref_s`` of work."""
        jobs = self.jobs
        o, host, n = jobs.owner[j], jobs.host[j], jobs.n_gpus[j]
        row = self.epoch(t_s) * self._n
        self._revenue[row + o] += n * done_ref_s / 3600.0 * self._price[o]
        if finished:
            self._finished[row + o] += 1.0
        fn_usd_per_s = jobs.function_usd_per_s[j]
        if fn_usd_per_s:  # its stages on the owner's pool, held for the whole stint
            self._serverless[row + o] += fn_usd_per_s * (t_s - jobs.stint_start_s[j])
        if host != o:
            payment = jobs.price[j] * n * (t_s - jobs.stint_start_s[j]) / 3600.0
            if payment != 0.0:
                self._paid[row + o] += payment
                self._received[row + host] += payment

    def waited(self, j: int, t_s: float) -> None:
        """Job ``j`` stops waiting at ``t_s``: refund its customer for the wait."""
        jobs = self.jobs
        o = jobs.owner[j]
        waited_s = t_s - jobs.queued_since_s[j]
        jobs.queue_delay_s[j] += waited_s
        rate = self._wait[o]
        if rate > 0.0:
            refund = rate * jobs.n_gpus[j] * waited_s / 3600.0
            self._penalty[self.epoch(t_s) * self._n + o] += refund

    def data_moved(self, owner: int, t_s: float) -> None:
        self._wan[self.epoch(t_s) * self._n + owner] += self._egress_usd
