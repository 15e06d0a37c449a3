"""Faults: a solver raising anything, a worker killed (once, or every time), the parent
of a sweep killed, an output folder that cannot be written. Nothing computed is lost,
and each failure is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from fedsim.api import run
from fedsim.config import scenario_from_dict
from tests.helpers.scenarios import two_provider_dict, write

REPO = Path(__file__).resolve().parents[1]
FAULTS = "tests.plugins.faults"


def fedsim(*args: str, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "fedsim.cli.main", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300, **kw)


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [x for x in proc.stderr.splitlines() if x.startswith("fedsim: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(("cls", "detail"), [
    ("Raises", "RuntimeError: solver crashed"),
    ("BadShape", "unusable clearing: allocation_units has shape (1, 1, 1)"),
])
def test_any_solver_exception_falls_back_to_isolated(cls: str, detail: str) -> None:
    data = two_provider_dict(horizon_s=6 * 3600)
    name = f"{FAULTS}:{cls}"
    data["federation"]["mechanism"] = {"name": name}
    result = run(scenario_from_dict(data), baseline=False, trust_code=[name])
    failed = result.events[result.events["kind"] == "solve_failed"]
    assert len(failed) > 0 and failed["detail"].str.contains(detail, regex=False).all()
    assert int(result.epochs["fallback"].sum()) == len(failed)
    assert result.summary["federation"]["solve_failures"] == len(failed)
    if cls == "Raises":  # only even epochs raise (every=2)
        assert set(result.epochs.loc[result.epochs["fallback"], "epoch"] % 2) == {0}


def _compare(tmp_path: Path, mechanism: str, *extra: str) -> subprocess.CompletedProcess[str]:
    scenario = write(two_provider_dict(horizon_s=6 * 3600), tmp_path / "s.yaml")
    return fedsim("compare", str(scenario), "--mechanisms", mechanism, "--trust-code", mechanism,
                  "--workers", "2", "--out", str(tmp_path / "out"), "--quiet", *extra)


def test_a_worker_killed_once_is_retried_and_the_sweep_completes(tmp_path: Path) -> None:
    name = f"{FAULTS}:KillOnce"
    marker = tmp_path / "killed"
    proc = _compare(tmp_path, name, "--seeds", "2",
                    "--set", f"federation.mechanism.name={name}",
                    "--set", f"federation.mechanism.params.marker={marker}")
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()  # a worker really died: it wrote its pid, then killed itself
    seeds = pd.read_csv(tmp_path / "out" / "compare_seeds.csv")
    # 3 mechanisms (isolated, lp_welfare, KillOnce) x 2 seeds, none lost
    assert len(seeds) == 6 and set(seeds["mechanism"]) == {"isolated", "lp_welfare", name}
    assert len(list((tmp_path / "out" / "runs").iterdir())) == 6 + 1  # + its marker file


def test_a_worker_that_always_dies_costs_only_its_own_run(tmp_path: Path) -> None:
    name = f"{FAULTS}:AlwaysKill"
    line = one_line_error(_compare(tmp_path, name, "--seeds", "1"))
    assert "1 of 3 runs failed" in line and name in line
    assert "killed by SIGKILL on each of 3 attempts" in line
    assert "BrokenProcessPool" not in line
    runs = [p for p in (tmp_path / "out" / "runs").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 2  # isolated and lp_welfare were stored


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can see."""
    out = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = next((ln.split()[1] for ln in text.splitlines() if ln.startswith("PPid:")), "")
        if ppid:
            out[int(status.parent.name)] = int(ppid)
    return out


def _descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` -> its depth (1: a child)."""
    parents, depth, grew = _parents(), {pid: 0}, True
    while grew:
        grew = False
        for k, parent in parents.items():
            if parent in depth and k not in depth:
                depth[k] = depth[parent] + 1
                grew = True
    del depth[pid]
    return depth


def _workers(pid: int) -> list[int]:
    """The pool's workers: a fork server's children (depth 2), or spawned children."""
    found = []
    for k, depth in _descendants(pid).items():
        try:
            cmdline = Path(f"/proc/{k}/cmdline").read_text(errors="ignore")
        except OSError:
            continue
        if depth == 2 or "spawn_main" in cmdline:
            found.append(k)
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_killing_the_parent_leaves_no_workers(tmp_path: Path) -> None:
    """Both workers are inside a long run (1 s per epoch, 72 epochs) when the parent is
    killed: only their watchdog can end them within the 10 s allowed."""
    name = f"{FAULTS}:Slow"
    busy = tmp_path / "busy"
    busy.mkdir()
    scenario = write(two_provider_dict(horizon_s=6 * 3600), tmp_path / "s.yaml")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen(
        [sys.executable, "-m", "fedsim.cli.main", "compare", str(scenario), "--mechanisms",
         name, "--trust-code", name, "--param", f"{name}.busy_dir={busy}", "--seeds", "2",
         "--workers", "2", "--quiet", "--out", str(tmp_path / "out")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(list(busy.iterdir())) < 2:
            time.sleep(0.2)
        busy_pids = sorted(int(p.name) for p in busy.iterdir())
        assert len(busy_pids) == 2, "the two workers never both ran the slow mechanism"
        assert sorted(_workers(parent.pid)) == busy_pids
        kids = list(_descendants(parent.pid))  # the workers, and a fork server if any
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        alive = kids
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [k for k in kids if Path(f"/proc/{k}").exists()
                     and "zombie" not in Path(f"/proc/{k}/status").read_text().lower()]
        assert not alive, f"orphaned processes: {alive}"
    finally:
        if parent.poll() is None:
            parent.kill()


def _run_in_tmpfs(tmp_path: Path, mount_opts: str) -> subprocess.CompletedProcess[str]:
    """``fedsim run`` with --out inside a fresh tmpfs mounted with ``mount_opts``, in a
    private mount namespace (unprivileged user namespaces; skipped where unavailable)."""
    scenario = write(two_provider_dict(horizon_s=6 * 3600), tmp_path / "s.yaml")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (
        f"mount -t tmpfs -o {mount_opts} fedsim-test {mnt} && "
        f"exec {sys.executable} -m fedsim.cli.main run {scenario} --quiet --out {mnt}/res"
    )
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no unprivileged mount namespace here: {probe.stderr.decode().strip()}")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], env=env,
                          capture_output=True, text=True, timeout=300)


def test_read_only_output_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(_run_in_tmpfs(tmp_path, "ro"))
    assert "/mnt/res" in line and "read-only file system" in line


def test_full_disk_is_refused_up_front(tmp_path: Path) -> None:
    line = one_line_error(_run_in_tmpfs(tmp_path, "size=16k"))
    assert "/mnt/res" in line and "MiB free" in line
