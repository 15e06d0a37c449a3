"""The notebooks run top to bottom (nbclient, a real kernel), draw their figures inline,
are committed without outputs, and skip their data cells when the shared data is absent."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# notebooks that read ../shared/data ($FEDSIM_SHARED_DATA) and must run without it
NEEDS_SHARED_DATA = ("04_throughput_model.ipynb", "05_philly_replay.ipynb")


def _execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel (which inherits ``os.environ``), as Jupyter would:
    from its own folder."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path) -> None:
    outputs = _outputs(_execute(path))
    assert not [o for o in outputs if o.output_type == "error"]
    # figures are drawn inline (PNG display data), not only saved or left in memory
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name}: no figure"


@pytest.mark.parametrize("name", NEEDS_SHARED_DATA)
def test_notebook_runs_without_shared_data(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEDSIM_SHARED_DATA", str(tmp_path))  # an empty folder
    outputs = _outputs(_execute(NOTEBOOK_DIR / name))
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert str(tmp_path) in printed and "skipped" in printed  # it says what is missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        k
        for k, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts"


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS
    assert set(NEEDS_SHARED_DATA) <= {p.name for p in NOTEBOOKS}
