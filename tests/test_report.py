"""``fedsim report``: one self-contained, escaped, reproducible HTML page per result, and
that page in a real headless Chromium (no console errors, every figure drawn)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fedsim.cli.main import cli
from tests.helpers.scenarios import two_provider_dict, write

ARTIFACTS = Path(os.environ.get("FEDSIM_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[1] / "test-artifacts"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _invoke(*args: str) -> str:
    out = CliRunner().invoke(cli, list(args))
    assert out.exit_code == 0, out.output
    return out.output


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A run, a comparison and a coalitional game of one small two-provider scenario."""
    tmp = tmp_path_factory.mktemp("report")
    scenario = write(two_provider_dict(horizon_s=4 * 3600.0), tmp / "s.yaml")
    _invoke("run", str(scenario), "-q", "--out", str(tmp / "run"))
    _invoke("compare", str(scenario), "--mechanisms", "vcg", "--seeds", "2", "--workers", "1",
            "-q", "--out", str(tmp / "cmp"))
    _invoke("coalitions", str(scenario), "--workers", "1", "-q", "--out", str(tmp / "game"))
    return {"run": tmp / "run", "compare": tmp / "cmp", "coalitions": tmp / "game"}


def _user_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the CLI as the `fedsim` command does; the mistake must be one line, exit 2."""
    from fedsim.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("fedsim: error: ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def _images(text: str) -> list[str]:
    return re.findall(r'<img src="data:image/png;base64,', text)


def test_run_report_has_tables_figures_scenario_and_provenance(results) -> None:
    out = _invoke("report", str(results["run"]))
    path = results["run"].parent / "run-report.html"
    assert str(path) in out
    text = path.read_text()
    # utilisation, prices, JCT CDF, profit, moved GPU work, and with web load on both
    # providers: SLA against load and the cores of web overflow placed at the other
    assert len(_images(text)) == 7
    for needle in ("<td>gain vs isolated $</td>", "welfare $", "Scenario (as resolved)",
                   "horizon_s: 14400.0", "<dt>seed</dt>", "<dt>wall time</dt>",
                   "<dt>written by</dt><dd>fedsim 0.1.0</dd>"):
        assert needle in text, needle
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert "default-src &#x27;none&#x27;" in text  # CSP: nothing loads, nothing runs


def test_compare_and_coalitions_reports_say_what_the_terminal_says(results) -> None:
    from fedsim.analysis.coalition_report import game_lines
    from fedsim.analysis.compare_report import FOOTNOTE
    from fedsim.report import render_report
    from fedsim.report.page import esc

    text = render_report(results["compare"])
    assert esc(FOOTNOTE) in text and len(_images(text)) == 1
    assert "<th>mechanism</th>" in text and "<td>vcg</td>" in text
    assert "$/h</th>" in text  # prices per resource, never averaged across units
    game = render_report(results["coalitions"])
    import json

    solution = json.loads((results["coalitions"] / "solution.json").read_text())
    for line in game_lines(solution):
        assert esc(line) in game
    assert "Banzhaf (raw)" in game and len(_images(game)) == 2  # values and lattice


def test_the_same_result_gives_the_same_bytes(results) -> None:
    from fedsim.report import render_report

    assert render_report(results["run"]) == render_report(results["run"])


def test_names_are_escaped() -> None:
    from fedsim.report.page import Section, page, table

    html = page("<b>t</b>", [("seed", "<script>x</script>")],
                [Section("s", table(["a<"], [["<img src=x onerror=alert(1)>"]]))])
    assert "<script>x" not in html and "<img src=x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;img src=x" in html


def test_report_never_replaces_a_file_it_did_not_write(results, tmp_path, capsys) -> None:
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>")
    err = _user_error(capsys, "report", str(results["run"]), "--out", str(mine))
    assert f"{mine}: exists and is not a HTML report written by fedsim" in err
    assert mine.read_text() == "<html>my notes</html>"
    ours = tmp_path / "ours.html"
    _invoke("report", str(results["run"]), "--out", str(ours))
    _invoke("report", str(results["compare"]), "--out", str(ours))  # its own: replaced
    assert "fedsim compare" in ours.read_text()


def test_report_of_something_else_is_one_line(tmp_path, capsys) -> None:
    missing = _user_error(capsys, "report", str(tmp_path / "missing"))
    assert "missing: no such folder or file" in missing
    (tmp_path / "mine").mkdir()
    other = _user_error(capsys, "report", str(tmp_path / "mine"))
    assert "not a fedsim run, compare or coalitions output" in other
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # nothing written


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    return found


@pytest.mark.parametrize("kind", ["run", "coalitions"])
def test_report_in_headless_chromium(results, kind: str) -> None:
    """Chromium loads the page from disk with the network closed: no console message,
    no page error, every figure decoded with a non-zero size; a screenshot is kept."""
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("FEDSIM_REQUIRE_CHROMIUM"):
            pytest.fail("FEDSIM_REQUIRE_CHROMIUM is set but chromium or playwright is missing")
        pytest.skip("needs chromium and playwright (installed by .ci/run)")
    from playwright.sync_api import sync_playwright

    from fedsim.report import write_report

    path = write_report(results[kind])
    messages: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: messages.append(f"requestfailed: {r.url}"))
            page.goto(path.as_uri(), wait_until="load")
            sizes = page.evaluate("Array.from(document.images).map(i => [i.complete, "
                                  "i.naturalWidth, i.naturalHeight, "
                                  "i.getBoundingClientRect().width, "
                                  "i.getBoundingClientRect().height])")
            shot = ARTIFACTS / f"report-{kind}.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert messages == []
    assert len(sizes) == (7 if kind == "run" else 2)
    for complete, natural_w, natural_h, shown_w, shown_h in sizes:
        assert complete and natural_w > 0 and natural_h > 0 and shown_w > 0 and shown_h > 0
    assert shot.stat().st_size > 10_000


# The unit each figure must name on an axis (or, for the matrix, in its title).
UNITS = {"utilisation": "time (h)", "prices": "(USD per unit-hour)", "jct_cdf": "(h)",
         "profit_decomposition": "USD", "moved_work": "GPU-hours", "moved_cores": "core-hours",
         "sla_vs_load": "per epoch",
         "gains": "USD", "coalition_values": "(USD)", "coalition_lattice": "|S|"}


@pytest.mark.parametrize("kind", ["run", "compare", "coalitions"])
def test_every_figure_draws_without_warnings_and_names_its_units(results, kind) -> None:
    import io
    import warnings

    from fedsim.plots.files import figures_of
    from fedsim.plots.style import print_style

    figures = figures_of(results[kind])
    assert figures
    for name, draw in figures.items():
        with warnings.catch_warnings(), print_style():
            warnings.simplefilter("error")
            ax = draw()
            ax.figure.tight_layout()
            ax.figure.savefig(io.BytesIO(), format="png")
        text = " ".join((ax.get_title(), ax.get_xlabel(), ax.get_ylabel()))
        assert ax.get_title() and UNITS[name] in text, (name, text)
        assert ax.has_data() or ax.get_images(), name
