"""The market rows of waiting DNN work, kept per class across epochs.

A class is (owner, job type, gang size). What its row says about where it can run (its
affinity at every member, which members are remote, its fastest GPU type, its label) is
fixed for the run, so it is computed the first time the class waits and kept; each epoch
only the parts that move with the queue (how much work waits, hence the amortised data
transfer, and the units) are computed, for all classes at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fedsim.engine.demand_class import DemandClass
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.world import World

ClassKey = tuple[int, int, int]  # (owner, job type, gang size)


@dataclass(frozen=True)
class _Fixed:
    label: str
    owner_m: int  # the owner's market index
    affinity: np.ndarray  # [m, r]
    remote: np.ndarray  # [m]: a member other than the owner that can run the gang
    can_run: bool  # somewhere in the federation
    fastest: float  # the smallest slowdown among the runnable GPU types (1.0 if none)


@dataclass(frozen=True)
class _Stacked:
    """The fixed parts of a list of classes' rows, as arrays."""

    labels: list[str]
    owner_m: list[int]
    n: np.ndarray  # [c] gang sizes
    can_run: np.ndarray  # [c]
    fastest: np.ndarray  # [c]
    remote: np.ndarray  # [c, m]
    affinity: np.ndarray  # [c, m, r]
    need: np.ndarray  # [c, r]
    value: np.ndarray  # [c] before the outside option


@dataclass(frozen=True)
class DnnRowArrays:
    """The DNN classes' rows of one epoch's market, in the classes' order."""

    labels: list[str]
    owner_m: list[int]
    units: list[float]
    granularity: list[float]
    value: np.ndarray  # [c]
    need: np.ndarray  # [c, r]
    affinity: np.ndarray  # [c, m, r]
    wan: np.ndarray  # [c, m]


class DnnRows:
    """One run's DNN market rows (the members and pools are fixed for a run)."""

    def __init__(self, world: World, dnn: DnnCluster) -> None:
        self.world = world
        self.dnn = dnn
        self.members = np.asarray(world.members)
        self._pos = {i: m for m, i in enumerate(world.members)}
        n_g = len(world.gpu_types)
        self._gpu_capacity = np.asarray(dnn.occ.capacity, dtype=float).reshape(
            world.n_providers, n_g)[self.members]
        self._fixed: dict[ClassKey, _Fixed] = {}
        self._demand_classes: dict[ClassKey, DemandClass] = {}
        self._stacked_for: list[tuple[ClassKey, list[int]]] | None = None
        self._last_stacked: _Stacked
        self._data_cost_usd = world.dataset_gb * world.egress_usd_per_gb
        self._is_member = set(world.members)
        self._classes_at = -1
        self._waiting_classes: list[tuple[ClassKey, list[int]]] = []

    def classes(self) -> list[tuple[ClassKey, list[int]]]:
        """Members' waiting jobs (never started, or preempted) by owner, type and gang size,
        each class in arrival order, classes sorted. Kept while no class began or stopped
        waiting: each class's list is the cluster's own, which changes in place."""
        dnn = self.dnn
        if dnn.class_changes != self._classes_at:
            waiting, member = dnn.waiting, self._is_member
            self._waiting_classes = [(key, waiting[key]) for key in sorted(waiting)
                                     if key[0] in member]
            self._classes_at = dnn.class_changes
        return self._waiting_classes

    def demand_class(self, key: ClassKey, jobs: list[int]) -> DemandClass:
        """The class's ``DemandClass`` over its waiting list ``jobs`` (kept while the class
        keeps the same list: one waits as long as it has jobs)."""
        cached = self._demand_classes.get(key)
        if cached is None or cached.jobs is not jobs:
            cached = DemandClass(owner=key[0], kind="dnn", n_gpus=key[2], jobs=jobs)
            self._demand_classes[key] = cached
        return cached

    def _fixed_of(self, key: ClassKey) -> _Fixed:
        fixed = self._fixed.get(key)
        if fixed is None:
            fixed = self._fixed[key] = self._compute_fixed(key)
        return fixed

    def _compute_fixed(self, key: ClassKey) -> _Fixed:
        w = self.world
        o, k, n = key
        n_g = len(w.gpu_types)
        slow = np.array(self.dnn.slowdown(k, n), dtype=float)
        finite = np.isfinite(slow)
        runnable = finite[None, :] & (self._gpu_capacity >= n)
        aff = np.zeros((len(self.members), len(w.resources)))
        with np.errstate(divide="ignore"):
            aff[:, :n_g] = np.where(runnable, 1.0 / slow[None, :], 0.0)
        can_run = bool(runnable.any())
        # (a class that can run nowhere keeps 1.0: its transfer is never charged)
        fastest = float(np.where(finite, slow, np.inf).min()) if can_run else 1.0
        remote = runnable.any(axis=1) & (self.members != o)
        label = f"{w.providers[o]}/{w.affinity.job_types[k]}/x{n}"
        return _Fixed(label, self._pos[o], aff, remote, can_run, fastest)

    def _stacked(self, classes: list[tuple[ClassKey, list[int]]]) -> _Stacked:
        """The fixed parts of ``classes``' rows as arrays (kept while :meth:`classes` gives
        the same list, i.e. the set of waiting classes stays the same, as it mostly does
        from one epoch to the next)."""
        if classes is self._stacked_for:
            return self._last_stacked
        keys = [key for key, _ in classes]
        w = self.world
        fixed = [self._fixed_of(key) for key in keys]
        o = np.array([key[0] for key in keys])
        need = np.zeros((len(keys), len(w.resources)))
        need[:, : len(w.gpu_types)] = 1.0
        stacked = _Stacked(
            labels=[f.label for f in fixed],
            owner_m=[f.owner_m for f in fixed],
            n=np.array([key[2] for key in keys], dtype=float),
            can_run=np.array([f.can_run for f in fixed]),
            fastest=np.array([f.fastest for f in fixed]),
            remote=np.array([f.remote for f in fixed]),
            affinity=np.array([f.affinity for f in fixed]),
            need=need,
            # serving a queued GPU-unit now earns the price and saves its owner the wait
            # refund
            value=w.dnn_price_usd_per_gpu_h[o] + w.dnn_wait_penalty_usd_per_gpu_h[o],
        )
        self._stacked_for, self._last_stacked = classes, stacked
        return stacked

    def rows(
        self,
        classes: list[tuple[ClassKey, list[int]]],
        outside_usd_per_gpu_h: Callable[[int, int, int], float] | None,
    ) -> DnnRowArrays:
        """The rows of ``classes`` (each with its waiting jobs), all at once."""
        st = self._stacked(classes)
        n = st.n
        # the mean remaining work of each class, from running sums kept as jobs come and go
        waiting_ref_s = self.dnn.waiting_ref_s
        mean_ref_h = np.array([max(waiting_ref_s[key], 0.0) / len(jobs) / 3600.0
                               for key, jobs in classes])  # fmt: skip
        can_move = (mean_ref_h > 0) & st.can_run
        # (at least a second: an absurdly fast GPU type must not divide by zero)
        fastest_h = np.maximum(mean_ref_h * np.where(can_move, st.fastest, 1.0), 1.0 / 3600.0)
        # one data transfer amortised over the job, wherever it could run remotely
        remote = st.remote & can_move[:, None]
        wan = np.where(remote, self._data_cost_usd / (n * fastest_h)[:, None], 0.0)
        value = st.value
        if outside_usd_per_gpu_h is not None:
            # the pool also needs the data: the same amortised transfer as a remote host
            moved = self._data_cost_usd / (n * np.maximum(mean_ref_h, 1.0 / 3600.0))
            outside = np.array([outside_usd_per_gpu_h(*key) for key, _ in classes])
            value = np.minimum(value, outside + moved)
        return DnnRowArrays(
            labels=st.labels,
            owner_m=st.owner_m,
            units=[float(key[2] * len(jobs)) for key, jobs in classes],
            granularity=n.tolist(),
            value=value.astype(float),
            need=st.need,
            affinity=st.affinity,
            wan=wan,
        )
