"""Which throughput model to trust, decided out of sample on the placements alone.

fedsim's data-parallel model (:mod:`~fedsim.perfmodel.dataparallel`) has terms the plain
Pollux fit lacks: replica contention κ, stragglers σ, a tree-shaped all-reduce. Fitted on
step times of ≤ 4 nodes, these terms can explain growth that really belongs to the
inter-node sync and then extrapolate flat to 16 nodes. So no term is taken on trust:

1. **Node-extrapolation split.** Every fit below is repeated on the placements with fewer
   than the largest node count and scored on the largest node count (the direction a user
   extrapolates in), by the absolute log error of each configuration.
2. **Earning a place.** A richer candidate beats its simpler base only if its mean held-out
   error is at least :data:`MIN_REL_GAIN` lower *and* a one-sided paired Wilcoxon test over
   the held-out configurations gives p < :data:`MAX_P_VALUE`. Otherwise the simpler model
   stays: unidentifiable terms are kept at zero rather than fitted to noise.
3. **Compute effects from the compute column.** κ and σ change per-replica compute, which
   the measurements record directly (step − exposed sync), so they are selected and fitted
   there, not on step times where they trade off against the sync slope.
4. **Step-time model.** The plain Pollux fit is the base; fedsim's model with a ring, a
   tree or both all-reduce shapes (and the κ, σ from step 3 pinned) are the candidates. The
   lowest held-out error among those that earn their place wins; none earning means the
   plain fit is used, and :attr:`SelectedModel.reason` says why.

The thresholds are fixed here, not chosen per data set; ``benchmarks/perfmodel_lomo.py``
reports them under a leave-one-model-out protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedsim.perfmodel.compute import ComputeModel
from fedsim.perfmodel.dataparallel import DataParallelModel, compute_effects, fit_data_parallel
from fedsim.perfmodel.measurements import StepTimes
from fedsim.perfmodel.pollux import PolluxParams, fit_pollux

MIN_REL_GAIN = 0.025  # a term must cut held-out error by ≥ 2.5% ...
MAX_P_VALUE = 0.01  # ... and do so consistently across configurations
PLAIN = "pollux-plain"
SHAPE_CANDIDATES: tuple[tuple[str, ...], ...] = (("ring",), ("tree",), ("ring", "tree"))
COMPUTE_CANDIDATES: tuple[tuple[str, ...], ...] = (("contention",), ("straggler",),
                                                    ("contention", "straggler"))  # fmt: skip


@dataclass(frozen=True)
class CandidateScore:
    """One candidate's held-out error and whether it beat its base."""

    name: str
    heldout_mape_pct: float
    rel_gain: float
    p_value: float
    earned: bool


@dataclass(frozen=True)
class ComputeEffects:
    """Selected per-replica compute effects (zero when the data did not earn them)."""

    contention_per_replica: float
    straggler_cv: float
    terms: tuple[str, ...]
    scores: tuple[CandidateScore, ...]


@dataclass(frozen=True)
class SelectedModel:
    """The step-time model chosen for one data set, with the evidence for the choice."""

    name: str
    model: PolluxParams | DataParallelModel
    reason: str
    scores: tuple[CandidateScore, ...]
    compute_effects: ComputeEffects

    def step_time_s(
        self,
        local_bsz: float | np.ndarray,
        n_nodes: float | np.ndarray,
        n_replicas: float | np.ndarray,
    ) -> np.ndarray:
        """Predicted seconds per step with replicas spread evenly over nodes."""
        return np.asarray(self.model.step_time_s(local_bsz, n_nodes, n_replicas), dtype=float)

    def predict(self, data: StepTimes) -> np.ndarray:
        return np.asarray(self.model.predict(data), dtype=float)


def node_split(data: StepTimes) -> tuple[np.ndarray, np.ndarray] | None:
    """(fit, held-out) masks: all but the largest node count, and the largest; None if one."""
    largest = float(np.max(data.n_nodes))
    held_out = data.n_nodes == largest
    if held_out.all() or len(np.unique(data.n_nodes[~held_out])) < 2:
        return None  # inter-node terms need ≥ 2 node counts (1 and 2) to be fitted at all
    return ~held_out, held_out


@dataclass(frozen=True)
class SelectionRule:
    """How much better, and how consistently, a richer model must predict to be used."""

    min_rel_gain: float = MIN_REL_GAIN
    max_p_value: float = MAX_P_VALUE


def earns_place(
    candidate_err: np.ndarray, base_err: np.ndarray, rule: SelectionRule = SelectionRule()
) -> tuple[bool, float, float]:
    """(earned, relative gain, p) of a candidate's held-out errors against its base's."""
    from scipy.stats import wilcoxon

    base_mean = float(np.mean(base_err))
    gain = 1.0 - float(np.mean(candidate_err)) / base_mean if base_mean > 0 else 0.0
    if np.allclose(candidate_err, base_err):
        return False, gain, 1.0
    p = float(wilcoxon(candidate_err, base_err, alternative="less").pvalue)
    return bool(gain >= rule.min_rel_gain and p < rule.max_p_value), gain, p


def _log_err(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    return np.abs(np.log(np.maximum(np.asarray(predicted, float), 1e-12) / measured))


def _mape_pct(predicted: np.ndarray, measured: np.ndarray) -> float:
    return 100 * float(np.mean(np.abs(np.asarray(predicted, float) / measured - 1)))


def _single_replica_compute(data: StepTimes) -> ComputeModel:
    """One replica's compute against batch size, fitted on the single-replica rows."""
    from fedsim.perfmodel.compute import fit_compute

    single = data.n_replicas == 1
    return fit_compute(data.local_bsz[single], data.compute_time_s[single]).model


def _fit_compute_effects(
    data: StepTimes, terms: tuple[str, ...], base: ComputeModel
) -> tuple[float, float]:
    """Least squares of log compute on κ, σ, relative to single-replica compute ``base``."""
    from scipy.optimize import least_squares

    base_s = np.asarray(base.step_time_s(data.local_bsz), dtype=float)
    use = np.array([t in terms for t in ("contention", "straggler")], dtype=float)
    y = np.log(data.compute_time_s)

    def residuals(x: np.ndarray) -> np.ndarray:
        kappa, sigma = x * use
        effects = compute_effects(kappa, sigma, data.max_replicas_per_node, data.n_replicas)
        return np.log(base_s * effects) - y

    fit = least_squares(residuals, np.array([0.01, 0.01]), bounds=([0.0, 0.0], [np.inf, 1.0]))
    kappa, sigma = (float(v) for v in fit.x * use)
    return kappa, sigma


def _compute_prediction(
    data: StepTimes, fit_on: StepTimes, terms: tuple[str, ...], base: ComputeModel
) -> np.ndarray:
    """Compute times of ``data`` with the effects in ``terms`` fitted on ``fit_on``
    (``base``: its single-replica compute)."""
    kappa, sigma = _fit_compute_effects(fit_on, terms, base) if terms else (0.0, 0.0)
    base_s = np.asarray(base.step_time_s(data.local_bsz), dtype=float)
    return base_s * compute_effects(kappa, sigma, data.max_replicas_per_node, data.n_replicas)


class ModelSelector:
    """Candidate fits of one data set, scored once and decided under any rule."""

    def __init__(self, data: StepTimes) -> None:
        self.data = data
        split = node_split(data)
        self._split = None if split is None else (data.take(split[0]), data.take(split[1]))
        self._fits: dict[tuple[object, ...], PolluxParams | DataParallelModel] = {}
        self._errors: dict[tuple[object, ...], tuple[np.ndarray, float]] = {}
        self._fit_on_compute: ComputeModel | None = None

    def compute_effects(self, rule: SelectionRule = SelectionRule()) -> ComputeEffects:
        """Contention and stragglers, each kept only if it earns its place on compute times."""
        if self._split is None or int(np.sum(self.data.n_replicas == 1)) < 2:
            return ComputeEffects(0.0, 0.0, (), ())
        base_err, _ = self._compute_error(())
        scores, best, best_err = [], (), float(np.mean(base_err))
        for terms in COMPUTE_CANDIDATES:
            err, mape = self._compute_error(terms)
            earned, gain, p = earns_place(err, base_err, rule)
            scores.append(CandidateScore("+".join(terms), mape, gain, p, earned))
            if earned and float(np.mean(err)) < best_err:
                best, best_err = terms, float(np.mean(err))
        if best:
            kappa, sigma = _fit_compute_effects(self.data, best, _single_replica_compute(self.data))
        else:
            kappa, sigma = 0.0, 0.0
        return ComputeEffects(kappa, sigma, best, tuple(scores))

    def select(self, rule: SelectionRule = SelectionRule()) -> SelectedModel:
        """Fit every candidate, keep the one the held-out largest node count supports."""
        effects = self.compute_effects(rule)
        if self._split is None:
            reason = "placements span fewer than three node counts: nothing to extrapolate to"
            return SelectedModel(PLAIN, self._fit(None, effects, full=True), reason, (), effects)
        base_err, _ = self._step_error(None, effects)
        scores: list[CandidateScore] = []
        best: tuple[str, ...] | None = None
        best_err = float(np.mean(base_err))
        for shapes in SHAPE_CANDIDATES:
            err, mape = self._step_error(shapes, effects)
            earned, gain, p = earns_place(err, base_err, rule)
            scores.append(CandidateScore(_shape_name(shapes), mape, gain, p, earned))
            if earned and float(np.mean(err)) < best_err:
                best, best_err = shapes, float(np.mean(err))
        nodes = int(np.max(self.data.n_nodes))
        if best is None:
            reason = (f"no richer model beat the plain fit on the held-out {nodes}-node "
                      f"placements by ≥ {100 * rule.min_rel_gain:g}% at "
                      f"p < {rule.max_p_value:g}")  # fmt: skip
            model = self._fit(None, effects, full=True)
            return SelectedModel(PLAIN, model, reason, tuple(scores), effects)
        chosen = next(s for s in scores if s.name == _shape_name(best))
        reason = (f"lowest held-out error on the {nodes}-node placements, "
                  f"{100 * chosen.rel_gain:.1f}% below the plain fit "
                  f"(p = {chosen.p_value:.2g})")  # fmt: skip
        model = self._fit(best, effects, full=True)
        return SelectedModel(_shape_name(best), model, reason, tuple(scores), effects)

    def _compute_error(self, terms: tuple[str, ...]) -> tuple[np.ndarray, float]:
        key = ("compute", terms)
        if key not in self._errors:
            assert self._split is not None
            fit_on, held_out = self._split
            if self._fit_on_compute is None:  # fitted once, shared by every candidate
                self._fit_on_compute = _single_replica_compute(fit_on)
            predicted = _compute_prediction(held_out, fit_on, terms, self._fit_on_compute)
            measured = held_out.compute_time_s
            self._errors[key] = (_log_err(predicted, measured), _mape_pct(predicted, measured))
        return self._errors[key]

    def _step_error(
        self, shapes: tuple[str, ...] | None, effects: ComputeEffects
    ) -> tuple[np.ndarray, float]:
        key = ("step", shapes, effects.contention_per_replica, effects.straggler_cv)
        if key not in self._errors:
            assert self._split is not None
            held_out = self._split[1]
            predicted = self._fit(shapes, effects, full=False).predict(held_out)
            measured = held_out.step_time_s
            self._errors[key] = (_log_err(predicted, measured), _mape_pct(predicted, measured))
        return self._errors[key]

    def _fit(
        self, shapes: tuple[str, ...] | None, effects: ComputeEffects, full: bool
    ) -> PolluxParams | DataParallelModel:
        key = (shapes, effects.contention_per_replica, effects.straggler_cv, full)
        if key not in self._fits:
            data = self.data if full or self._split is None else self._split[0]
            if shapes is None:
                self._fits[key] = fit_pollux(data)
            else:
                pinned = {"contention_per_replica": effects.contention_per_replica,
                          "straggler_cv": effects.straggler_cv}  # fmt: skip
                self._fits[key] = fit_data_parallel(data, shapes=shapes, fixed=pinned)
        return self._fits[key]


def _shape_name(shapes: tuple[str, ...]) -> str:
    return "fedsim-" + "+".join(shapes)


def select_data_parallel(data: StepTimes, rule: SelectionRule = SelectionRule()) -> SelectedModel:
    """The step-time model the placements support (see the module docstring)."""
    return ModelSelector(data).select(rule)
