"""Plug-in listings with parameters, ``--json`` for scripts, and ``compare --param``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fedsim.cli.compare_cmd import parse_param
from fedsim.cli.main import cli
from fedsim.errors import FedsimError
from tests.helpers.scenarios import two_provider_dict, write


def test_mechanisms_json_lists_parameters_with_types_and_defaults() -> None:
    out = CliRunner().invoke(cli, ["mechanisms", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in json.loads(out.output)}
    assert {"isolated", "lp_welfare", "posted_price", "shapley"} <= set(rows)
    markup = {p["name"]: p for p in rows["posted_price"]["parameters"]}["markup"]
    assert markup == {"name": "markup", "type": "float", "default": 0.2}
    table = CliRunner().invoke(cli, ["mechanisms"])
    assert "markup: float = 0.2" in " ".join(table.output.split())


def test_schedulers_json_lists_parameters() -> None:
    out = CliRunner().invoke(cli, ["schedulers", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in json.loads(out.output)}
    assert rows["fifo"]["parameters"] == [] and rows["fifo"]["rounds"] == "events"
    names = {p["name"] for p in rows["max_min_fairness"]["parameters"]}
    assert "reset_interval_s" in names


def test_parse_param() -> None:
    assert parse_param("posted_price.markup=0.5") == ("posted_price", "markup", 0.5)
    assert parse_param("x.solver=highs") == ("x", "solver", "highs")
    # a trusted plug-in's name has dots of its own: the key is after the last one
    assert parse_param("my.rules:CostPlus.markup=2") == ("my.rules:CostPlus", "markup", 2)
    with pytest.raises(FedsimError, match=r"expected MECHANISM\.KEY=VALUE"):
        parse_param("markup=0.5")


def test_compare_param_reaches_the_runs(tmp_path: Path) -> None:
    scenario = write(two_provider_dict(horizon_s=3 * 3600.0), tmp_path / "s.yaml")
    out = CliRunner().invoke(cli, ["compare", str(scenario), "--mechanisms", "posted_price",
                                   "--param", "posted_price.markup=3", "--seeds", "1",
                                   "--workers", "1", "--out", str(tmp_path / "c"), "-q"])
    assert out.exit_code == 0, out.output
    specs = [json.loads(p.read_text()) for p in (tmp_path / "c" / "runs").glob("*/spec.json")]
    posted = [s for s in specs if s["mechanism"] == "posted_price"]
    assert len(posted) == 1 and posted[0]["params"] == {"markup": 3}
    bad = CliRunner().invoke(cli, ["compare", str(scenario), "--mechanisms", "posted_price",
                                   "--param", "posted_price.markup=high", "--seeds", "1",
                                   "--out", str(tmp_path / "d"), "-q"])
    assert bad.exit_code != 0 and "markup" in str(bad.exception or bad.output)


def test_run_json_prints_the_summary(tmp_path: Path) -> None:
    scenario = write(two_provider_dict(horizon_s=3 * 3600.0), tmp_path / "s.yaml")
    out = CliRunner().invoke(cli, ["run", str(scenario), "--json", "-q", "--no-baseline",
                                   "--out", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["results"] == str(tmp_path / "r")
    assert set(summary["providers"]) == {"gpu_rich", "cpu_rich"}
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["federation"][
        "welfare_usd"] == pytest.approx(summary["federation"]["welfare_usd"])
