"""``fedsim run`` and ``fedsim validate``."""

from __future__ import annotations

from pathlib import Path

import click

from fedsim.cli.progress import sim_progress
from fedsim.cli.tables import print_summary

SET_HELP = "Override a scenario key, e.g. --set federation.epoch_s=600 (repeatable)."


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Result directory (default: results/<scenario name>).",
)
@click.option("--no-baseline", is_flag=True, help="Skip the paired 'isolated' run (no gains).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(
    scenario: Path, overrides: tuple[str, ...], out: Path | None, no_baseline: bool, quiet: bool
) -> None:
    """Simulate SCENARIO and write its results (events, clearings, ledger, summary)."""
    from fedsim.api import prepare
    from fedsim.api import run as run_scenario

    sc = prepare(scenario, overrides)
    labels = {"run": sc.horizon_s}
    if not no_baseline and sc.federation.mechanism.name != "isolated":
        labels["baseline"] = sc.horizon_s
    with sim_progress(labels, quiet=quiet) as update:
        result = run_scenario(sc, baseline=not no_baseline, progress=update)
    target = result.save(out or Path("results") / sc.name)
    print_summary(result.summary)
    click.echo(f"results written to {target}")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def validate(scenario: Path, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO (schema, files, traces, mechanism) without running it."""
    from fedsim.api import prepare

    sc = prepare(scenario, overrides)
    click.echo(
        f"{scenario}: ok ({len(sc.providers)} providers, members {', '.join(sc.member_names)}, "
        f"mechanism {sc.federation.mechanism.name}, horizon {sc.horizon_s:g} s, "
        f"epoch {sc.federation.epoch_s:g} s)"
    )
