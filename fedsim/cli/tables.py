"""Readable end-of-run tables (rich)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "usd":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "h":
        return f"{value / 3600:.2f}"
    if kind == "acc":
        return f"{value:.3f}"
    return str(value)


COLUMNS = (
    ("profit_usd", "profit $", "usd"),
    ("gain_vs_isolated_usd", "gain vs isolated $", "usd"),
    ("revenue_usd", "revenue $", "usd"),
    ("cost_usd", "cost $", "usd"),
    ("net_payments_usd", "net payments $", "usd"),
    ("gpu_utilization", "GPU util", "pct"),
    ("cpu_utilization", "CPU util", "pct"),
    ("jobs_arrived", "jobs arrived", "int"),
    ("jobs_finished", "  finished", "int"),
    ("jobs_running", "  running at end", "int"),
    ("jobs_queued", "  queued at end", "int"),
    ("jobs_rejected", "  rejected", "int"),
    ("jobs_run_remotely", "run remote", "int"),
    ("jobs_hosted", "hosted", "int"),
    ("jct_mean_s", "JCT mean h", "h"),
    ("sla_violation_frac", "SLA viol", "pct"),
)


EXTRA_ROWS = (
    ("searches", "arrived", "searches", "int"),
    ("searches", "reached_target", "  reached target", "int"),
    ("searches", "time_to_target_mean_s", "  to target h", "h"),
    ("searches", "best_accuracy_mean", "  best accuracy", "acc"),
    ("model_selections", "arrived", "model selections", "int"),
    ("model_selections", "jct_mean_s", "  JCT mean h", "h"),
    ("dag_jobs", "arrived", "model-parallel jobs", "int"),
    ("dag_jobs", "bubble", "  pipeline bubble", "pct"),
)


def print_summary(summary: Mapping[str, Any], console: Console | None = None) -> None:
    """Per-provider figures as rows of metrics, one column per provider (fits 80 columns)."""
    console = console or Console()
    providers = summary["providers"]
    table = Table(title=f"{summary.get('scenario', '')} under {summary.get('mechanism', '')}")
    table.add_column("")
    for name, row in providers.items():
        table.add_column(name if row.get("member", True) else f"{name}*", justify="right")
    for key, title, kind in COLUMNS:
        table.add_row(title, *(_fmt(row[key], kind) for row in providers.values()))
    for section, key, title, kind in EXTRA_ROWS:  # only when some provider has them
        if any(section in row for row in providers.values()):
            table.add_row(title, *(_fmt(row.get(section, {}).get(key), kind)
                                   for row in providers.values()))
    console.print(table)
    if not all(row.get("member", True) for row in providers.values()):
        console.print("* not a federation member")
    fed = summary["federation"]
    ir = fed["individually_rational"]
    iso = fed["welfare_isolated_usd"]
    console.print(
        f"welfare ${fed['welfare_usd']:,.0f}"
        + (f" (isolated ${iso:,.0f})" if iso is not None else "")
        + f" · budget residual ${fed['budget_residual_usd']:,.2f}"
        + f" · individually rational: {'-' if ir is None else ('yes' if ir else 'NO')}"
    )
    console.print(
        f"jobs moved {fed['jobs_moved']} · solve failures {fed['solve_failures']} · "
        f"{summary['events']:,} events in {summary['wall_s']:.1f} s"
    )
    for line in notices(summary):
        console.print(line)


def notices(summary: Mapping[str, Any]) -> list[str]:
    """What a reader of the table could miss: rejected jobs, failed solves, no trade."""
    out = []
    fed = summary["federation"]
    for name, row in summary["providers"].items():
        arrived, rejected = row.get("jobs_arrived", 0), row.get("jobs_rejected", 0)
        if rejected:
            out.append(
                f"note: {rejected:,} of {arrived:,} jobs of {name} were rejected (they fit no "
                "pool they may use; the reject events in events.parquet say why)"
            )
    if fed["solve_failures"]:
        out.append(
            f"note: the mechanism failed in {fed['solve_failures']} of {fed['epochs']} epochs, "
            "which fell back to isolated (solve_failed events say why)"
        )
    trades = fed.get("trades")
    if trades is not None and len(fed["members"]) > 1 and trades["epochs_with_trade"] == 0:
        out.append(
            f"note: the market never traded in {fed['epochs']} epochs: no member's queued or "
            "overflow demand was placed at another member"
        )
    return out
