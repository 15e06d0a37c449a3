"""A scenario is data, never code; fedsim never deletes or overwrites what it did not write.

Each code-execution probe names a callable that would leave a trace (a file, printed
text) if it ran; every one must be refused with one line, and the trace must be absent.
"""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fedsim.errors import MechanismError, OutputError
from fedsim.mechanisms import make
from fedsim.results.owned import MARKER, replace_dir
from tests.helpers.scenarios import two_provider_dict, write

REPO = Path(__file__).resolve().parents[1]


def fedsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "fedsim.cli.main", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fedsim: error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def tree(path: Path) -> dict[str, str]:
    """Every file below ``path`` with the hash of its bytes."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "/"
        for p in sorted(path.rglob("*"))
    }


# --- a scenario cannot run code ------------------------------------------------------

def _probes(trace: Path) -> list[tuple[str, dict]]:
    return [
        ("os:system", {"command": f"touch {trace}"}),
        ("posix:system", {"command": f"touch {trace}"}),
        ("subprocess:Popen", {"args": ["touch", str(trace)]}),
        ("subprocess:run", {"args": ["touch", str(trace)]}),
        ("shutil:rmtree", {"path": str(trace.parent)}),
        ("builtins:exec", {"source": f"open({str(trace)!r}, 'w')"}),
        ("pathlib:Path.touch", {"self": str(trace)}),
        ("this:s", {}),  # importing `this` prints the Zen of Python
    ]


@pytest.mark.parametrize("command", ["validate", "run"])
def test_code_probes_in_a_scenario_are_refused_and_nothing_runs(
    tmp_path: Path, command: str
) -> None:
    trace = tmp_path / "victim" / "pwned"
    trace.parent.mkdir()
    (trace.parent / "keep.txt").write_text("mine")
    for name, params in _probes(trace):
        data = two_provider_dict(horizon_s=3600)
        data["federation"]["mechanism"] = {"name": name, "params": params}
        scenario = write(data, tmp_path / "probe.yaml")
        out = ["--out", str(tmp_path / "out")] if command == "run" else []
        proc = fedsim(command, str(scenario), *out)
        one_line_error(proc, "probe.yaml", "federation.mechanism.name", "--trust-code")
        assert not trace.exists(), name
        assert (trace.parent / "keep.txt").read_text() == "mine", name
        assert "Beautiful is better than ugly" not in proc.stdout + proc.stderr, name
        assert not (tmp_path / "out").exists()


def test_a_scheduler_name_is_under_the_same_rule(tmp_path: Path) -> None:
    trace = tmp_path / "pwned"
    data = two_provider_dict(horizon_s=3600)
    data["providers"][0]["scheduler"] = {"name": "os:system",
                                         "params": {"command": f"touch {trace}"}}
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")))
    one_line_error(proc, "providers[0].scheduler.name", "--trust-code")
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")), "--trust-code", "os:system")
    one_line_error(proc, "providers[0].scheduler.name", "not a scheduler class")
    assert not trace.exists()


def test_set_override_cannot_smuggle_code(tmp_path: Path) -> None:
    trace = tmp_path / "pwned"
    scenario = write(two_provider_dict(horizon_s=3600), tmp_path / "s.yaml")
    proc = fedsim("validate", str(scenario), "--set", "federation.mechanism.name=os:system",
                  "--set", f"federation.mechanism.params={{command: touch {trace}}}")
    one_line_error(proc, "federation.mechanism.name", "module:Class")
    assert not trace.exists()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("os:system", "not a mechanism class"),
        ("subprocess:Popen", "does not implement the mechanism protocol (no clear method)"),
        ("shutil:rmtree", "not a mechanism class"),
        ("pathlib:Path", "does not implement the mechanism protocol"),
        ("collections:OrderedDict", "does not implement the mechanism protocol"),
    ],
)
def test_trusted_names_must_still_be_mechanism_classes(
    tmp_path: Path, name: str, why: str
) -> None:
    trace = tmp_path / "pwned"
    data = two_provider_dict(horizon_s=3600)
    data["federation"]["mechanism"] = {"name": name, "params": {"command": f"touch {trace}"}}
    proc = fedsim("validate", str(write(data, tmp_path / "s.yaml")), "--trust-code", name)
    one_line_error(proc, "federation.mechanism.name", why)
    assert not trace.exists()


def test_python_api_refuses_untrusted_module_class() -> None:
    with pytest.raises(MechanismError, match="trust_code"):
        make("os:system", {"command": "true"})
    with pytest.raises(MechanismError, match="not a mechanism class"):
        make("os:system", {"command": "true"}, trusted=["os:system"])
    # a trusted class that implements the protocol is honoured
    mech = make("tests.plugins.faults:Raises", {"every": 3},
                trusted=["tests.plugins.faults:Raises"])
    assert mech.every == 3


def test_wrongly_typed_parameter_names_the_parameter() -> None:
    with pytest.raises(MechanismError) as info:
        make("posted_price", {"markup": "high"}, where="federation.mechanism")
    text = str(info.value)
    assert "federation.mechanism.params.markup: must be a number, got 'high'" in text
    assert "not supported between" not in text
    with pytest.raises(MechanismError, match=r"params\.markup: must be a finite number"):
        make("posted_price", {"markup": float("nan")}, where="federation.mechanism")


# --- outputs: never delete what fedsim did not write --------------------------------

def _scenario(tmp_path: Path, **changes) -> Path:
    data = two_provider_dict(horizon_s=3 * 3600)
    data.update(changes)
    return write(data, tmp_path / "s.yaml")


def test_run_refuses_a_foreign_directory_and_leaves_it_byte_for_byte(tmp_path: Path) -> None:
    thesis = tmp_path / "thesis"
    (thesis / "figures").mkdir(parents=True)
    (thesis / "thesis.tex").write_text("\\chapter{Results}\n")
    (thesis / "figures" / "a.pdf").write_bytes(b"%PDF-1.4 binary\x00\x01")
    before = tree(thesis)
    proc = fedsim("run", str(_scenario(tmp_path)), "--quiet", "--out", str(thesis))
    one_line_error(proc, str(thesis), "not written by fedsim", "thesis.tex")
    assert tree(thesis) == before


def test_run_into_the_working_directory_is_refused(tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (work / "notes.md").write_text("keep")
    scenario = _scenario(tmp_path)
    before = tree(work)
    one_line_error(fedsim("run", str(scenario), "--quiet", "--out", ".", cwd=work),
                   "not written by fedsim")
    assert tree(work) == before


def test_scenario_name_cannot_choose_the_directory(tmp_path: Path) -> None:
    for bad in ("../../escape", "/tmp/abs", "..", ".hidden", "a/b"):
        proc = fedsim("run", str(_scenario(tmp_path, name=bad)), "--quiet", cwd=tmp_path)
        one_line_error(proc, "s.yaml", "name: must be", repr(bad))
    assert not (tmp_path / "results").exists()


def test_rerun_replaces_only_its_own_result(tmp_path: Path) -> None:
    out = tmp_path / "res"
    scenario = _scenario(tmp_path)
    assert fedsim("run", str(scenario), "--quiet", "--out", str(out)).returncode == 0
    assert (out / MARKER).is_file() and (out / "summary.json").is_file()
    # again over its own result: allowed, atomic
    assert fedsim("run", str(scenario), "--quiet", "--out", str(out)).returncode == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fedsim")]
    # a user's file added to the result folder makes it no longer fedsim's alone
    (out / "notes.txt").write_text("my analysis")
    before = tree(out)
    one_line_error(fedsim("run", str(scenario), "--quiet", "--out", str(out)),
                   "files fedsim did not write", "notes.txt")
    assert tree(out) == before


def test_result_save_api_refuses_foreign_directory(tmp_path: Path) -> None:
    from fedsim.api import run

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "data.csv").write_text("1,2\n")
    result = run(str(_scenario(tmp_path)), baseline=False)
    with pytest.raises(OutputError, match="not written by fedsim"):
        result.save(foreign)
    assert (foreign / "data.csv").read_text() == "1,2\n"
    assert sorted(p.name for p in foreign.iterdir()) == ["data.csv"]
    saved = result.save(tmp_path / "empty-ok")
    assert (saved / MARKER).exists()


def test_compare_refuses_a_foreign_directory(tmp_path: Path) -> None:
    out = tmp_path / "paper"
    out.mkdir()
    (out / "compare.csv").write_text("my,own,table\n")
    before = tree(out)
    proc = fedsim("compare", str(_scenario(tmp_path)), "--mechanisms", "shapley", "--seeds",
                  "1", "--workers", "1", "--quiet", "--out", str(out))
    one_line_error(proc, "not written by fedsim")
    assert tree(out) == before


def test_calibrate_and_perfmodel_do_not_overwrite_foreign_files(tmp_path: Path) -> None:
    mine = tmp_path / "cpu.csv"
    mine.write_text("a,b\n1,2\n")
    one_line_error(fedsim("calibrate", "--device", "cpu", "--quick", "--out", str(mine)),
                   "not a calibration profile written by fedsim")
    assert mine.read_text() == "a,b\n1,2\n"
    report = tmp_path / "report.json"
    report.write_text('{"mine": true}')
    data = REPO.parent / "shared" / "data" / "pollux_scalability" / "cifar10"
    proc = fedsim("perfmodel", "evaluate", str(data), "--json", str(report))
    if data.is_dir():
        one_line_error(proc, "not a perfmodel report written by fedsim")
    assert report.read_text() == '{"mine": true}'


def test_interrupted_or_failed_save_leaves_the_old_result(tmp_path: Path) -> None:
    target = tmp_path / "res"

    def first(tmp: Path) -> list[str]:
        (tmp / "a.txt").write_text("old")
        return ["a.txt"]

    replace_dir(target, "run", first)

    def disk_full(tmp: Path) -> list[str]:
        (tmp / "a.txt").write_text("new, half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError, match="no space left on device"):
        replace_dir(target, "run", disk_full)
    assert (target / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary left
