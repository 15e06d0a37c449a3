"""``fedsim coalitions``: simulate every coalition of the members, then solve the game."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fedsim.cli.options import backend_options, run_limits, scenario_options

if TYPE_CHECKING:
    import pandas as pd

MAX_PRINTED_COALITIONS = 64


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mechanism", default=None,
              help="Mechanism inside each coalition (default: the scenario's).")
@click.option("--workers", type=int, default=None, help="Parallel runs (default: CPU count).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: results/<scenario name>-coalitions).")
@scenario_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@backend_options
def coalitions(
    scenario: Path, mechanism: str | None, workers: int | None, out: Path | None,
    overrides: tuple[str, ...], trust_code: tuple[str, ...], max_memory_gb: float | None,
    max_cpu_h: float, quiet: bool, backend: str, address: str | None,
) -> None:
    """Simulate SCENARIO once per coalition of its members (the others stay isolated)
    and report v(S), Shapley, Banzhaf, least core, nucleolus, core stability and a
    stable coalition structure (merge-and-split)."""
    import json

    from fedsim.analysis.coalition_report import members_frame, solve_game, values_frame
    from fedsim.api import prepare
    from fedsim.config.loader import scenario_to_yaml
    from fedsim.mechanisms import make
    from fedsim.results.owned import OwnedDir
    from fedsim.sweeps import make_backend, run_specs
    from fedsim.sweeps.coalitions import coalition_specs, coalition_values, grand_payoff
    from fedsim.sweeps.store import json_safe

    prepared = prepare(scenario, overrides, trust_code=trust_code,
                       limits=run_limits(max_memory_gb, max_cpu_h))
    sc = prepared.scenario
    runner = make_backend(backend, workers, address)
    specs = coalition_specs(sc, mechanism, trust_code=prepared.trust_code)
    for spec in {s.key: s for s in specs.values()}.values():
        make(spec.mechanism, json.loads(spec.params), prepared.trust_code,
             where="--mechanism" if mechanism else "federation.mechanism")
    folder = OwnedDir(out or Path("results") / f"{sc.name}-coalitions", "coalitions")
    folder.write_text("scenario.yaml", scenario_to_yaml(sc))  # for the report
    members = list(sc.member_names)
    report = run_specs(list(specs.values()), folder.claim("runs"), backend=runner,
                       progress=not quiet, label=f"{2 ** len(members) - 1} coalitions")
    records = report.by_key()
    values = coalition_values(specs, records)
    solution = solve_game(values, members, grand_payoff(specs, records, members))
    solution["scenario"] = sc.name
    solution["mechanism"] = mechanism or sc.federation.mechanism.name
    solution["seed"] = sc.seed
    table = values_frame(values, members)
    folder.write_frame("coalitions.parquet", table)
    folder.write_frame("members.parquet", members_frame(solution))
    folder.write_text("solution.json",
                      json.dumps(json_safe(solution), indent=2, allow_nan=False) + "\n")
    print_game(table, solution)
    click.echo(f"{len(report.ran)} runs done, {len(report.skipped)} reused; "
               f"results written to {folder.path}")


def print_game(table: pd.DataFrame, solution: dict[str, Any]) -> None:
    """v(S), the per-member payoff rules, and the stability verdicts."""
    from rich import box
    from rich.table import Table

    from fedsim.analysis.coalition_report import MEMBER_HEADS, game_lines, members_frame
    from fedsim.cli.compare_cmd import wide_console

    console = wide_console()
    if len(table) <= MAX_PRINTED_COALITIONS:
        vt = Table(title=f"v(S) of {solution['scenario']} under {solution['mechanism']} (USD)",
                   box=box.SIMPLE_HEAD)
        vt.add_column("coalition")
        vt.add_column("v(S) $", justify="right")
        for _, row in table.iterrows():
            vt.add_row("{" + row["coalition"].replace("+", ", ") + "}", f"{row['value_usd']:,.0f}")
        console.print(vt)
    mt = Table(title="per member (USD)", box=box.SIMPLE_HEAD)
    frame = members_frame(solution)
    mt.add_column("member")
    for col in frame.columns[1:]:
        mt.add_column(MEMBER_HEADS[col], justify="right")
    for _, row in frame.iterrows():
        mt.add_row(row["member"], *(f"{row[c]:,.0f}" for c in frame.columns[1:]))
    console.print(mt)
    for line in game_lines(solution):
        console.print(line)
