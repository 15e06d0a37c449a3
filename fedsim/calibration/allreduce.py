"""All-reduce time by message size across local processes (gloo on CPU, NCCL on GPUs).

Each worker is a process started with ``torch.multiprocessing`` (spawn) that joins a
process group on 127.0.0.1 at a free port. Ranks time back-to-back all-reduces with the
same harness as the compute benchmarks; a collective cannot finish before every rank
joined, so consecutive calls self-synchronise and rank 0's samples are the collective's
period (the way nccl-tests measures).
"""

from __future__ import annotations

import datetime
import socket
from dataclasses import dataclass, replace

from fedsim.calibration.config import TimingConfig
from fedsim.calibration.timing import Measurement, make_timer, measure
from fedsim.errors import FedsimError

_INIT_TIMEOUT_S = 120


@dataclass(frozen=True)
class AllreduceJob:
    """What every worker process of one all-reduce benchmark runs."""

    device: str
    n_workers: int
    message_bytes: tuple[int, ...]
    timing: TimingConfig
    threads_per_worker: int
    port: int


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it; a tiny race is acceptable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backend_for(device: str) -> str:
    return "nccl" if device == "cuda" else "gloo"


def threads_per_worker(threads: int, n_workers: int) -> int:
    """Intra-op threads per worker: the workers share this machine's cores."""
    return max(1, threads // n_workers)


def _repeat_count(trial_s: float, timing: TimingConfig) -> int:
    """Repeats for one message size, from the slowest rank's trial: identical on all ranks."""
    if trial_s <= 0:
        return timing.max_repeats
    wanted = int(timing.target_s / trial_s)
    return max(timing.min_repeats, min(timing.max_repeats, wanted))


def _worker(rank: int, job: AllreduceJob, results: object) -> None:
    """Body of one spawned worker; rank 0 puts ``[(bytes, Measurement), ...]`` on ``results``."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(job.threads_per_worker)
    if job.device == "cuda":
        torch.cuda.set_device(rank)
        device = torch.device("cuda", rank)
    else:
        device = torch.device("cpu")
    dist.init_process_group(
        backend_for(job.device),
        init_method=f"tcp://127.0.0.1:{job.port}",
        rank=rank,
        world_size=job.n_workers,
        timeout=datetime.timedelta(seconds=_INIT_TIMEOUT_S),
    )
    try:
        timer = make_timer(job.device, device if job.device == "cuda" else None)
        out: list[tuple[int, Measurement]] = []
        for n_bytes in job.message_bytes:
            # zeros: a sum of zeros never overflows into inf/denormals, whose speed may differ
            tensor = torch.zeros(max(1, n_bytes // 4), dtype=torch.float32, device=device)

            def step(tensor: torch.Tensor = tensor) -> None:
                dist.all_reduce(tensor)

            for _ in range(job.timing.warmup):
                step()
            # every rank must run the same number of collectives, so the adaptive repeat
            # count is decided from the slowest rank's trial, agreed by one MAX all-reduce
            timer.start()
            step()
            trial = torch.tensor([timer.stop()], dtype=torch.float64, device=device)
            dist.all_reduce(trial, op=dist.ReduceOp.MAX)
            n = _repeat_count(float(trial.item()), job.timing)
            fixed = replace(job.timing, warmup=0, min_repeats=n, max_repeats=n, target_s=0.0)
            out.append((n_bytes, measure(step, timer, fixed)))
        if rank == 0:
            results.put(out)  # type: ignore[attr-defined]
    finally:
        dist.destroy_process_group()


def run_allreduce(
    device: str,
    n_workers: int,
    message_bytes: tuple[int, ...],
    timing: TimingConfig,
    threads: int,
) -> list[tuple[int, Measurement]]:
    """Time all-reduce for each message size with ``n_workers`` local processes."""
    import torch.multiprocessing as mp

    job = AllreduceJob(
        device=device,
        n_workers=n_workers,
        message_bytes=tuple(message_bytes),
        timing=timing.for_device(device),
        threads_per_worker=threads_per_worker(threads, n_workers),
        port=free_port(),
    )
    results = mp.get_context("spawn").SimpleQueue()
    try:
        mp.spawn(_worker, args=(job, results), nprocs=n_workers, join=True)
    except Exception as exc:  # a worker failed: report its error in one line
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise FedsimError(
            f"all-reduce benchmark ({backend_for(device)}, {n_workers} workers) failed: {last}"
        ) from exc
    if results.empty():
        raise FedsimError("all-reduce benchmark: rank 0 returned no results")
    return results.get()  # type: ignore[no-any-return]
