"""The affinity table of a run: measured (inline or Gavel's CSV) or tabulated from a
calibration profile, with the configurations providers may choose for their jobs."""

from __future__ import annotations

from dataclasses import dataclass

from fedsim.config.schema import Scenario
from fedsim.errors import FedsimError, ScenarioError
from fedsim.world.affinity import AffinityTable
from fedsim.world.profile_affinity import affinity_from_profile
from fedsim.world.variants import requested_variants


@dataclass(frozen=True)
class RunAffinity:
    """The table, the job types workloads draw from (a profile's configuration variants
    are only ever chosen, never drawn) and each profile job's stated batch size."""

    table: AffinityTable
    drawable: tuple[str, ...]
    stated_batch: dict[str, int]


def run_affinity(scenario: Scenario) -> RunAffinity:
    spec = scenario.affinity
    stated: dict[str, int] = {}
    if spec.profile is not None:
        try:
            table = affinity_from_profile(spec.profile, requested_variants(scenario))
        except ScenarioError:
            raise
        except FedsimError as exc:
            raise ScenarioError(f"affinity.profile: {exc}") from None
        stated = {job: pj.batch_size for job, pj in spec.profile.jobs.items()}
        drawable = tuple(spec.profile.jobs)
    elif spec.gavel_csv is not None:
        try:
            table = AffinityTable.from_gavel_csv(spec.gavel_csv)
        except FedsimError as exc:
            raise ScenarioError(f"affinity.gavel_csv: {exc}") from None
        drawable = table.job_types
    else:
        table = AffinityTable.from_mapping(spec.table or {})
        drawable = table.job_types
    if spec.reference_gpu not in table.gpu_types:
        raise ScenarioError(
            f"affinity.reference_gpu: {spec.reference_gpu!r} has no throughput entries; "
            f"known GPU types: {', '.join(table.gpu_types)}"
        )
    return RunAffinity(table, drawable, stated)


def check_job_types(mix: dict[str, float], table: AffinityTable, where: str) -> None:
    unknown = sorted(set(mix) - set(table.job_types))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown job type(s) {', '.join(unknown)}; the affinity table knows: "
            f"{', '.join(table.job_types)}"
        )
