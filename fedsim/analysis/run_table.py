"""The end-of-run table of one run, as rows of text: one definition shared by the
terminal (``fedsim run``) and the HTML report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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


def summary_rows(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """(column heads, rows): one row per metric, one column per provider (``name*`` for a
    provider outside the federation)."""
    providers = summary["providers"]
    heads = ["", *(name if row.get("member", True) else f"{name}*"
                   for name, row in providers.items())]
    rows = [[title, *(_fmt(row[key], kind) for row in providers.values())]
            for key, title, kind in COLUMNS]
    for section, key, title, kind in EXTRA_ROWS:  # only when some provider has them
        if any(section in row for row in providers.values()):
            rows.append([title, *(_fmt(row.get(section, {}).get(key), kind)
                                  for row in providers.values())])
    return heads, rows


def federation_lines(summary: Mapping[str, Any]) -> list[str]:
    """Welfare, budget balance, individual rationality, moves and run time in two lines."""
    fed = summary["federation"]
    ir = fed["individually_rational"]
    iso = fed["welfare_isolated_usd"]
    return [
        f"welfare ${fed['welfare_usd']:,.0f}"
        + (f" (isolated ${iso:,.0f})" if iso is not None else "")
        + f" · budget residual ${fed['budget_residual_usd']:,.2f}"
        + f" · individually rational: {'-' if ir is None else ('yes' if ir else 'NO')}",
        f"jobs moved {fed['jobs_moved']} · solve failures {fed['solve_failures']} · "
        f"{summary['events']:,} events in {summary['wall_s']:.1f} s",
    ]


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
