"""``fedsim coalitions``: simulate every coalition of the members, then solve the game."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from fedsim.cli.options import backend_options, run_limits, scenario_options

if TYPE_CHECKING:
    from fedsim.studies import CoalitionsResult

MAX_PRINTED_COALITIONS = 64


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mechanism", default=None,
              help="Mechanism inside each coalition (default: the scenario's).")
@click.option("--param", "param_texts", multiple=True, metavar="MECH.KEY=VALUE",
              help="The mechanism's parameter, e.g. --param posted_price.markup=0.5 "
                   "(repeatable).")
@click.option("--workers", type=int, default=None, help="Parallel runs (default: CPU count).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: results/<scenario name>-coalitions).")
@scenario_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@backend_options
def coalitions(
    scenario: Path, mechanism: str | None, param_texts: tuple[str, ...],
    workers: int | None, out: Path | None,
    overrides: tuple[str, ...], trust_code: tuple[str, ...], max_memory_gb: float | None,
    max_cpu_h: float, quiet: bool, backend: str, address: str | None,
) -> None:
    """Simulate SCENARIO once per coalition of its members (the others stay isolated)
    and report v(S), Shapley, Banzhaf, least core, nucleolus, core stability and a
    stable coalition structure (merge-and-split)."""
    from fedsim.sweeps.backend import start_early

    start_early(backend, workers)
    from fedsim.api import prepare
    from fedsim.studies import coalitions as run_coalitions

    prepared = prepare(scenario, overrides, trust_code=trust_code,
                       limits=run_limits(max_memory_gb, max_cpu_h))
    from fedsim.cli.compare_cmd import parse_params

    name = mechanism or prepared.scenario.federation.mechanism.name
    params = parse_params(param_texts, [name])
    folder = out or Path("results") / f"{prepared.scenario.name}-coalitions"
    result = run_coalitions(prepared, mechanism, params=params, out=folder, workers=workers,
                            backend=backend, address=address, progress=not quiet)
    print_game(result)
    click.echo(f"{result.runs_ran} runs done, {result.runs_reused} reused; "
               f"results written to {folder}")


def print_game(result: CoalitionsResult) -> None:
    """v(S), the per-member payoff rules, and the stability verdicts."""
    from rich import box
    from rich.table import Table

    from fedsim.analysis.coalition_report import MEMBER_HEADS
    from fedsim.cli.compare_cmd import wide_console

    console = wide_console()
    table, solution, frame = result.values, result.solution, result.members
    if len(table) <= MAX_PRINTED_COALITIONS:
        vt = Table(title=f"v(S) of {solution['scenario']} under {solution['mechanism']} (USD)",
                   box=box.SIMPLE_HEAD)
        vt.add_column("coalition")
        vt.add_column("v(S) $", justify="right")
        for _, row in table.iterrows():
            vt.add_row("{" + row["coalition"].replace("+", ", ") + "}", f"{row['value_usd']:,.0f}")
        console.print(vt)
    mt = Table(title="per member (USD)", box=box.SIMPLE_HEAD)
    mt.add_column("member")
    for col in frame.columns[1:]:
        mt.add_column(MEMBER_HEADS[col], justify="right")
    for _, row in frame.iterrows():
        mt.add_row(row["member"], *(f"{row[c]:,.0f}" for c in frame.columns[1:]))
    console.print(mt)
    for line in result.lines:
        console.print(line)
