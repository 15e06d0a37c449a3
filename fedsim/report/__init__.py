"""``fedsim report``: one self-contained HTML page of a result (figures embedded, the
summary tables, the scenario and provenance), readable offline."""

from __future__ import annotations

import struct
from io import BytesIO
from pathlib import Path

from fedsim.plots.files import Draw, drawn, figures_of
from fedsim.report.page import Figure, Section, figure, is_fedsim_report, page
from fedsim.report.sections import CAPTIONS, content_of

FIGURE_DPI = 110


def _draw(name: str, draw: Draw) -> Figure:
    buffer = BytesIO()
    drawn(draw).savefig(buffer, format="png", dpi=FIGURE_DPI)
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR size
    return Figure(name, CAPTIONS.get(name, name.replace("_", " ")), png, width, height)


def render_report(result: str | Path) -> str:
    """The HTML page of a run, compare or coalitions folder, or a perfmodel JSON report.
    The same result gives the same bytes (no timestamps)."""
    from fedsim import __version__

    path = Path(result)
    content = content_of(path)
    figures = [_draw(name, draw) for name, draw in figures_of(path).items()]
    sections = list(content.sections)
    if figures:
        sections.insert(1, Section("Figures", "".join(map(figure, figures)), "figures"))
    provenance = [*content.provenance, ("report by", f"fedsim {__version__}"),
                  ("source", path.name)]
    return page(content.title, provenance, sections)


def default_report_path(result: Path) -> Path:
    """``RESULT-report.html`` beside the result folder (or file)."""
    return result.parent / f"{result.stem}-report.html"


def write_report(result: str | Path, out: str | Path | None = None) -> Path:
    """Render the report and write it atomically; an existing file is replaced only if
    it is a fedsim report."""
    from fedsim.errors import OutputError
    from fedsim.results.owned import check_owned_file, write_text_atomic

    source = Path(result)
    if not source.exists():
        raise OutputError(f"{source}: no such folder or file (a fedsim run, compare or "
                          "coalitions folder, or a perfmodel evaluate JSON)")
    target = Path(out) if out is not None else default_report_path(source)
    check_owned_file(target, _is_report, "HTML report")
    text = render_report(source)
    write_text_atomic(target, text)
    return target


def _is_report(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return is_fedsim_report(handle.read(4096))
    except OSError:
        return False


__all__ = ["default_report_path", "render_report", "write_report"]
