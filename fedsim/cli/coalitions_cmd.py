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

    from fedsim.analysis.coalition_report import members_frame
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
    heads = {"standalone_usd": "v({i})", "marginal_to_grand_usd": "v(N)−v(N∖i)",
             "shapley_usd": "Shapley", "banzhaf_normalised_usd": "Banzhaf (norm.)",
             "banzhaf_raw_usd": "Banzhaf (raw)",
             "nucleolus_usd": "nucleolus", "least_core_usd": "least core",
             "grand_payoff_usd": "run payoff"}
    mt.add_column("member")
    for col in frame.columns[1:]:
        mt.add_column(heads[col], justify="right")
    for _, row in frame.iterrows():
        mt.add_row(row["member"], *(f"{row[c]:,.0f}" for c in frame.columns[1:]))
    console.print(mt)
    eps = solution["least_core"]["epsilon_usd"]
    lines = [
        f"least-core ε = {eps:,.2f} $: the core is "
        + ("non-empty" if solution["core_nonempty"] else "EMPTY (no split keeps everyone)"),
        "Shapley value " + _verdict(solution["shapley_in_core"]),
    ]
    if "grand_payoff_in_core" in solution:
        run_payoff = _verdict(solution["grand_payoff_in_core"])
        lines.append(f"the grand federation's run payoff {run_payoff}")
    structure = " ".join("{" + ", ".join(c) + "}" for c in solution["stable_structure"])
    lines.append(f"stable structure (merge-and-split): {structure}")
    if solution["harmful_members"]:
        lines.append("joining hurts the others: " + ", ".join(
            f"{m} adds {solution['marginal_to_grand_usd'][m]:,.0f} $ < v({{{m}}}) "
            f"{solution['standalone_usd'][m]:,.0f} $" for m in solution["harmful_members"]))
    lines += [f"warning: {w}" for w in solution.get("warnings", [])]
    for line in lines:
        console.print(line)


def _verdict(core: dict[str, Any]) -> str:
    if core["in_core"]:
        return f"is in the core (max excess {core['max_excess_usd']:,.2f} $)"
    return (f"is NOT in the core: {{{', '.join(core['blocking_coalition'])}}} would break away "
            f"(excess {core['max_excess_usd']:,.2f} $)")
