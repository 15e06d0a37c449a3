"""A third-party mechanism, installed for real from its own package, is found through
the ``fedsim.mechanisms`` entry point and runs from YAML; ``"module:Class"`` works too
when the user trusts it on the command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.scenarios import two_provider_dict, write

PLUGIN = Path(__file__).parent / "plugins" / "fedsim_example_plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plug-in installed into its own directory (as pip would for a user)."""
    tmp = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN, tmp / "src")  # the build writes beside the sources
    target = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--target", str(target), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    assert list(target.glob("fedsim_example_plugin-*.dist-info"))
    return target


def fedsim(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "fedsim.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_listed_by_fedsim_mechanisms(site: Path) -> None:
    proc = fedsim(site, "mechanisms")
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "greedy_local" in x)
    assert "fedsim_example_plugin:GreedyLocal" in line and "own demand first" in line


@pytest.mark.parametrize("name", ["greedy_local", "fedsim_example_plugin:GreedyLocal"])
def test_runs_from_yaml(site: Path, tmp_path: Path, name: str) -> None:
    scenario = write(two_provider_dict(horizon_s=6 * 3600), tmp_path / "s.yaml")
    trust = ["--trust-code", name] if ":" in name else []
    proc = fedsim(site, "run", str(scenario), "--set", f"federation.mechanism.name={name}",
                  "--set", "federation.mechanism.params.markup=0.5", *trust,
                  "--out", str(tmp_path / "res"), "--no-baseline", "--quiet")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert summary["mechanism"] == name
    assert summary["federation"]["budget_residual_usd"] == pytest.approx(0.0, abs=1e-6)
    assert summary["federation"]["jobs_moved"] > 0  # it really shared work
    # a bad parameter of the plug-in is a user error naming the key
    bad = fedsim(site, "validate", str(scenario), "--set", f"federation.mechanism.name={name}",
                 "--set", "federation.mechanism.params.markup=-1", *trust)
    assert bad.returncode == 2 and "markup must be >= 0" in bad.stderr
    assert "federation.mechanism.params" in bad.stderr


def test_plugin_passes_the_conformance_checker() -> None:
    sys.path.insert(0, str(PLUGIN))
    try:
        from fedsim_example_plugin import GreedyLocal

        from fedsim.mechanisms import check

        assert check(GreedyLocal(markup=0.3), n_markets=30) == 30
    finally:
        sys.path.remove(str(PLUGIN))
        sys.modules.pop("fedsim_example_plugin", None)


def test_the_documented_example_conforms(repo_root: Path, monkeypatch) -> None:
    # the "Writing a mechanism" example (pasted into the README) must stay correct
    import re
    import types

    from fedsim.mechanisms import check

    readme = (repo_root / "README.md").read_text()
    text = readme.split("## Writing a mechanism", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    module = types.ModuleType("my_fedsim_rules")
    monkeypatch.setitem(sys.modules, "my_fedsim_rules", module)  # dataclasses look it up
    exec(compile(code, "README.md", "exec"), module.__dict__)
    assert len(code.splitlines()) <= 40
    assert check(module.CostPlus(markup=0.2), n_markets=30) == 30
