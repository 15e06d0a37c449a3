"""Every user mistake gives one clear line (file, YAML path or line, what is allowed)
and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers.scenarios import two_provider_dict, write


def fedsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fedsim.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def assert_user_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("fedsim: error: ")
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


def test_negative_pool_names_the_yaml_path(tmp_path: Path) -> None:
    data = two_provider_dict()
    data["providers"][1]["pools"]["gpu:k80"] = -4
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")))
    assert_user_error(proc, "s.yaml", "providers[1].pools.gpu:k80: must be >= 0, got -4")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nhorizon_s: 100\nproviders: [\n  {name: a\n")
    proc = fedsim("validate", str(path))
    assert_user_error(proc, "broken.yaml:", "YAML syntax error")
    line = proc.stderr.split("broken.yaml:")[1].split(":")[0]
    assert line.isdigit() and 3 <= int(line) <= 5


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    data = two_provider_dict()
    data["federation"]["epoch_secs"] = 600
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")))
    assert_user_error(proc, "federation.epoch_secs: unknown key")


def test_unknown_mechanism_lists_the_registered_ones(tmp_path: Path) -> None:
    proc = fedsim(
        "validate",
        str(write(two_provider_dict(), tmp_path / "s.yaml")),
        "--set",
        "federation.mechanism.name=no_such_rule",
    )
    assert_user_error(proc, "unknown mechanism 'no_such_rule'", "lp_welfare", "isolated")


def test_unknown_mechanism_parameter(tmp_path: Path) -> None:
    proc = fedsim(
        "validate",
        str(write(two_provider_dict(), tmp_path / "s.yaml")),
        "--set",
        "federation.mechanism.params={solvr: cbc}",
    )
    assert_user_error(proc, "unknown parameter(s) solvr", "allowed: solver")


def test_missing_scenario_file(tmp_path: Path) -> None:
    assert_user_error(fedsim("run", str(tmp_path / "nope.yaml")), "nope.yaml", "not found")


def test_missing_trace_file(repo_root: Path, tmp_path: Path) -> None:
    proc = fedsim(
        "validate",
        str(repo_root / "scenarios" / "philly.yaml"),
        "--set",
        f"dnn_trace.path={tmp_path / 'missing.csv'}",
    )
    assert_user_error(proc, "dnn_trace.path", "missing.csv", "not found")


def test_bad_trace_row_names_file_and_line(repo_root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "timestamp,duration,num_gpus,gpu_time,cluster\n"
        "2017-10-01 00:00:00,100,1,100,6214e9\n"
        "2017-10-01 00:01:00,oops,1,100,6214e9\n"
    )
    proc = fedsim(
        "validate", str(repo_root / "scenarios" / "philly.yaml"), "--set", f"dnn_trace.path={bad}"
    )
    assert_user_error(proc, "bad.csv", "line 3", "oops")


def test_unknown_job_type_in_mix(tmp_path: Path) -> None:
    data = two_provider_dict()
    data["providers"][0]["dnn"]["job_type_mix"] = {"gpt": 1.0}
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")))
    assert_user_error(proc, "unknown job type(s) gpt", "cnn, rec")


def test_bad_override_path(tmp_path: Path) -> None:
    proc = fedsim(
        "validate",
        str(write(two_provider_dict(), tmp_path / "s.yaml")),
        "--set",
        "providers[5].pools.cpu=3",
    )
    assert_user_error(proc, "providers[5] does not exist (list has 2 items)")


def test_unattainable_sla(tmp_path: Path) -> None:
    data = two_provider_dict()
    data["providers"][0]["web"]["sla"]["latency_ms"] = 50  # service 40 ms: P(S > 50 ms) = 29%
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")))
    assert_user_error(proc, "providers[0].web.sla", "unattainable")


def test_override_is_applied_and_recorded(tmp_path: Path) -> None:
    scenario = write(two_provider_dict(horizon_s=7200), tmp_path / "s.yaml")
    out = tmp_path / "out"
    proc = fedsim(
        "run", str(scenario), "--set", "federation.epoch_s=1200", "--out", str(out), "--quiet"
    )
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load((out / "scenario.yaml").read_text())
    assert resolved["federation"]["epoch_s"] == 1200
    assert "welfare" in proc.stdout and "gpu_rich" in proc.stdout


@pytest.mark.parametrize("command", ["--help", "mechanisms"])
def test_light_commands(command: str) -> None:
    proc = fedsim(command)
    assert proc.returncode == 0, proc.stderr
    if command == "mechanisms":
        assert "lp_welfare" in proc.stdout and "isolated" in proc.stdout


def test_import_is_light() -> None:
    code = (
        "import sys, fedsim, fedsim.cli.main; "
        "print(sorted(m for m in ('torch', 'ray', 'simpy', 'pulp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
