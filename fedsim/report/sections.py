"""What a report says about each kind of result: a run, a comparison, a coalitional game,
or a throughput-model evaluation. Tables and sentences come from the same functions as
the terminal output, so the page and the CLI never disagree."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fedsim.errors import OutputError
from fedsim.report.page import Section, paragraphs, preformatted, table

CAPTIONS = {
    "utilisation": "GPU utilisation per provider and epoch (busy ÷ capacity)",
    "prices": "market prices per member and resource over time (USD per unit-hour)",
    "jct_cdf": "job completion time CDF per provider (finished jobs)",
    "profit_decomposition": "profit per provider: revenue, payments, penalties and costs (USD)",
    "moved_work": "GPU-hours jobs ran at another provider (owner × host, from the event log)",
    "moved_cores": "core-hours of web overflow placed at another provider (owner × host)",
    "sla_vs_load": "share of web requests over the SLA against load",
    "gains": "gain per member over isolated: mean and 95% CI across paired seeds (USD)",
    "coalition_values": "v(S) of every coalition (USD)",
    "coalition_lattice": "the coalition lattice: v(S) by colour, the stable structure ringed",
    "predicted_vs_measured": "predicted against measured step time, per configuration",
}


@dataclass(frozen=True)
class Content:
    """A report's title, provenance and sections (figures are added by the caller)."""

    kind: str
    title: str
    provenance: list[tuple[str, object]]
    sections: list[Section]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: not readable as JSON ({exc})") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: not readable as a Parquet table ({exc})") from None


def _written_with(folder: Path) -> str:
    """The fedsim version recorded in the folder's ownership marker ("unknown" without)."""
    from fedsim.results.owned import read_marker

    marker = read_marker(folder) or {}
    return str(marker.get("fedsim_version", "unknown"))


def _scenario_section(folder: Path) -> list[Section]:
    path = folder / "scenario.yaml"
    if not path.is_file():
        return []
    return [Section("Scenario (as resolved)", preformatted(path.read_text()), "scenario")]


def _stored_runs(folder: Path) -> tuple[int, float]:
    """(runs in the folder's run store, their summed wall time in seconds)."""
    n, wall_s = 0, 0.0
    for result in sorted((folder / "runs").glob("*/result.json")):
        timing = _read_json(result).get("timing") or {}
        n += 1
        wall_s += float(timing.get("wall_s") or 0.0)
    return n, wall_s


def run_content(folder: Path) -> Content:
    from fedsim.analysis.run_table import federation_lines, notices, summary_rows

    summary = _read_json(folder / "summary.json")
    try:
        heads, rows = summary_rows(summary)
        lines = federation_lines(summary) + notices(summary)
    except (KeyError, TypeError, AttributeError) as exc:
        raise OutputError(f"{folder / 'summary.json'}: not a fedsim run summary "
                          f"(missing {exc})") from None
    body = table(heads, rows) + paragraphs(lines)
    if not all(row.get("member", True) for row in summary["providers"].values()):
        body += paragraphs(["* not a federation member"], "note")
    provenance = [
        ("scenario", summary.get("scenario")), ("mechanism", summary.get("mechanism")),
        ("seed", summary.get("seed")), ("wall time", f"{summary.get('wall_s', 0.0):.2f} s"),
        ("events", f"{summary.get('events', 0):,}"),
        ("written by", f"fedsim {_written_with(folder)}"),
    ]
    return Content("run", f"fedsim run: {summary.get('scenario')} under "
                   f"{summary.get('mechanism')}", provenance,
                   [Section("Summary", body, "summary"), *_scenario_section(folder)])


def compare_content(folder: Path) -> Content:
    from fedsim.analysis.compare_report import FOOTNOTE, compare_rows

    summary = _read_parquet(folder / "compare.parquet")
    heads, rows = compare_rows(summary)
    sections = [Section("Mechanisms compared", table(heads, rows, "mean ± 95% CI across "
                                                     "paired seeds") + paragraphs([FOOTNOTE],
                                                                                  "note"),
                        "compare")]
    seeds_path = folder / "compare_seeds.parquet"
    seeds = _read_parquet(seeds_path) if seeds_path.is_file() else None
    if seeds is not None:
        shown = seeds.round(3)
        sections.append(Section("Per seed", table(list(map(str, shown.columns)),
                                                  shown.itertuples(index=False)), "seeds"))
    n_runs, wall_s = _stored_runs(folder)
    name = _scenario_name(folder)
    provenance = [
        ("scenario", name), ("mechanisms", ", ".join(map(str, summary["mechanism"]))),
        ("seeds", ", ".join(map(str, sorted(seeds["seed"].unique())))
         if seeds is not None else f"{int(summary['n_seeds'].max())}"),
        ("run wall time", f"{wall_s:.1f} s over {n_runs} stored runs"),
        ("written by", f"fedsim {_written_with(folder)}"),
    ]
    return Content("compare", f"fedsim compare: {name}", provenance,
                   [*sections, *_scenario_section(folder)])


def coalitions_content(folder: Path) -> Content:
    from fedsim.analysis.coalition_report import MEMBER_HEADS, game_lines, members_frame

    solution = _read_json(folder / "solution.json")
    values = _read_parquet(folder / "coalitions.parquet")
    try:
        members = members_frame(solution)
        lines = game_lines(solution)
    except (KeyError, TypeError) as exc:
        raise OutputError(f"{folder / 'solution.json'}: not a fedsim coalitions solution "
                          f"(missing {exc})") from None
    v_rows = [("{" + str(c).replace("+", ", ") + "}", f"{v:,.2f}")
              for c, v in zip(values["coalition"], values["value_usd"], strict=True)]
    m_heads = ["member", *(MEMBER_HEADS.get(str(c), str(c)) for c in members.columns[1:])]
    m_rows = [[row[0], *(f"{x:,.2f}" for x in row[1:])]
              for row in members.itertuples(index=False)]
    n_runs, wall_s = _stored_runs(folder)
    provenance = [
        ("scenario", solution.get("scenario")), ("mechanism", solution.get("mechanism")),
        ("seed", solution.get("seed")),
        ("run wall time", f"{wall_s:.1f} s over {n_runs} stored runs"),
        ("written by", f"fedsim {_written_with(folder)}"),
    ]
    sections = [
        Section("Stability", paragraphs(lines), "stability"),
        Section("Per member (USD)", table(m_heads, m_rows), "members"),
        Section("Coalition values", table(["coalition", "v(S) $"], v_rows), "values"),
    ]
    return Content("coalitions", f"fedsim coalitions: {solution.get('scenario')}", provenance,
                   [*sections, *_scenario_section(folder)])


def perfmodel_content(path: Path) -> Content:
    report = _read_json(path)
    models = report.get("models") if isinstance(report, dict) else None
    if not isinstance(models, dict):
        raise OutputError(f"{path}: not a 'fedsim perfmodel evaluate --json' report")
    heads = ["model", "configurations", "MAPE %", "p90 %", "max %", "Spearman ρ"]
    rows = [[name, m["n"], f"{m['mape_pct']:.2f}", f"{m['p90_pct']:.2f}", f"{m['max_pct']:.2f}",
             f"{m['spearman']:.3f}"] for name, m in models.items()]
    selection = report.get("selection") or {}
    candidates = selection.get("candidates") or []
    c_rows = [[c["name"], f"{c['heldout_mape_pct']:.2f}", f"{100 * c['rel_gain']:.2f}",
               f"{c['p_value']:.3g}", "yes" if c["earned"] else "no"] for c in candidates]
    body = table(heads, rows, "fit on placements, scored on every scalability row")
    body += paragraphs([f"fedsim-model = {selection.get('chosen')}: {selection.get('reason')}"])
    if c_rows:
        body += table(["candidate", "held-out MAPE %", "gain %", "p", "earned"], c_rows,
                      "candidates, scored on the largest node count")
    provenance = [("data", report.get("data_dir")), ("fit on", report.get("fit_file")),
                  ("scored on", report.get("test_file"))]
    title = f"fedsim perfmodel evaluate: {Path(str(report.get('data_dir'))).name}"
    return Content("perfmodel", title, provenance,
                   [Section("Throughput model", body, "perfmodel")])


def _scenario_name(folder: Path) -> str:
    for spec in sorted((folder / "runs").glob("*/spec.json")):
        return str(_read_json(spec).get("scenario"))
    return folder.name


def content_of(path: Path) -> Content:
    """The report's content for a run, compare or coalitions folder or a perfmodel JSON."""
    readers: list[tuple[str, Callable[[Path], Content]]] = [
        ("summary.json", run_content), ("compare.parquet", compare_content),
        ("solution.json", coalitions_content),
    ]
    if path.is_file():
        return perfmodel_content(path)
    for name, reader in readers:
        if (path / name).is_file():
            return reader(path)
    raise OutputError(f"{path}: not a fedsim run, compare or coalitions output (no "
                      "summary.json, compare.parquet or solution.json)")
