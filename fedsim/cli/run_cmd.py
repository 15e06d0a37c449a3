"""``fedsim run`` and ``fedsim validate``."""

from __future__ import annotations

from pathlib import Path

import click

from fedsim.cli.options import run_limits, scenario_options
from fedsim.cli.progress import sim_progress
from fedsim.cli.tables import print_summary

# rough size of a run's results on disk (compressed Parquet), to check free space up front
RESULT_BYTES_PER_EVENT = 40.0
RESULT_BYTES_PER_EPOCH = 400.0


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@scenario_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Result directory (default: results/<scenario name>); must be new, empty, or an "
    "earlier fedsim run.",
)
@click.option("--no-baseline", is_flag=True, help="Skip the paired 'isolated' run (no gains).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON on stdout instead of the table (for scripts).")
def run(
    scenario: Path,
    overrides: tuple[str, ...],
    trust_code: tuple[str, ...],
    max_memory_gb: float | None,
    max_cpu_h: float,
    out: Path | None,
    no_baseline: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Simulate SCENARIO and write its results (events, clearings, ledger, summary)."""
    from fedsim.api import prepare
    from fedsim.api import run as run_scenario
    from fedsim.mechanisms.registry import BASELINE
    from fedsim.results.owned import check_target_dir

    prepared = prepare(
        scenario, overrides, trust_code=trust_code, limits=run_limits(max_memory_gb, max_cpu_h)
    )
    sc = prepared.scenario
    target = out or Path("results") / sc.name
    est = prepared.estimate
    needed = 0.0 if est is None else (
        RESULT_BYTES_PER_EVENT * est.events + RESULT_BYTES_PER_EPOCH * est.epochs
    )
    check_target_dir(target, "run", needed_bytes=needed)  # before hours of simulation
    labels = {"run": sc.horizon_s}
    if not no_baseline and sc.federation.mechanism.name != BASELINE:
        labels["baseline"] = sc.horizon_s
    with sim_progress(labels, quiet=quiet) as update:
        result = run_scenario(prepared, baseline=not no_baseline, progress=update)
    written = result.save(target)
    if as_json:
        import json

        from fedsim.sweeps.store import json_safe

        click.echo(json.dumps({"results": str(written), **json_safe(result.summary)}, indent=2))
        return
    print_summary(result.summary)
    click.echo(f"results written to {written}")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@scenario_options
def validate(
    scenario: Path,
    overrides: tuple[str, ...],
    trust_code: tuple[str, ...],
    max_memory_gb: float | None,
    max_cpu_h: float,
) -> None:
    """Check SCENARIO (schema, size, files, traces, mechanism) without running it."""
    from fedsim.api import prepare
    from fedsim.config.budget import describe

    prepared = prepare(
        scenario, overrides, trust_code=trust_code, limits=run_limits(max_memory_gb, max_cpu_h)
    )
    sc = prepared.scenario
    size = f", {describe(prepared.estimate)}" if prepared.estimate is not None else ""
    click.echo(
        f"{scenario}: ok ({len(sc.providers)} providers, members {', '.join(sc.member_names)}, "
        f"mechanism {sc.federation.mechanism.name}, horizon {sc.horizon_s:g} s, "
        f"epoch {sc.federation.epoch_s:g} s{size})"
    )
