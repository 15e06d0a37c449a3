"""One self-contained HTML page: escaped text, tables, figures as data URIs.

Everything a scenario or a result can name (providers, mechanisms, file contents) goes
through :func:`esc`; the Content-Security-Policy forbids scripts and every load from
outside the page, so the report reads offline and nothing in it can run."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

GENERATOR = "fedsim report"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.8em 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { border-bottom: 2px solid #bbb; vertical-align: bottom; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
figure { display: inline-block; width: calc(50% - 1em); margin: 0.6em 1em 0.6em 0;
         vertical-align: top; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
@media (max-width: 800px) { figure { width: 100%; } }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 12px; }
.note { color: #555; }
.warning { color: #a00; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; }
dt { font-weight: 600; }
dd { margin: 0; }
"""


def esc(text: object) -> str:
    """``text`` as HTML text or attribute value (quotes escaped too)."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Figure:
    """A drawn figure: its name, a caption and its PNG bytes with their pixel size."""

    name: str
    caption: str
    png: bytes
    width_px: int
    height_px: int


@dataclass(frozen=True)
class Section:
    """A titled part of the page; ``body`` is HTML built by this module's functions."""

    title: str
    body: str
    anchor: str = field(default="")


def table(heads: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "") -> str:
    """An HTML table; a newline in a head becomes a line break."""
    head = "".join(f"<th>{esc(h).replace(chr(10), '<br>')}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>"
                   for row in rows)  # fmt: skip
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    """Escaped cell text; leading spaces (an indented sub-row) survive as no-break spaces."""
    text = str(value)
    stripped = text.lstrip(" ")
    return "\u00a0" * (len(text) - len(stripped)) + esc(stripped)


def paragraphs(lines: Iterable[str], css_class: str = "") -> str:
    """One ``<p>`` per line; lines starting with ``warning:`` are marked as warnings."""
    out = []
    for line in lines:
        cls = "warning" if line.startswith("warning:") else css_class
        attr = f' class="{cls}"' if cls else ""
        out.append(f"<p{attr}>{esc(line)}</p>")
    return "".join(out)


def preformatted(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def figure(fig: Figure) -> str:
    """The figure as an ``<img>`` with a PNG data URI (no file beside the page)."""
    data = base64.b64encode(fig.png).decode("ascii")
    return (f'<figure id="figure-{esc(fig.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{esc(fig.caption)}" width="{fig.width_px}" height="{fig.height_px}">'
            f"<figcaption>{esc(fig.caption)}</figcaption></figure>")


def definitions(items: Iterable[tuple[str, object]]) -> str:
    """A definition list (provenance: what produced these results)."""
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def page(title: str, provenance: Sequence[tuple[str, object]], sections: Sequence[Section]) -> str:
    """The whole document: title, provenance, a table of contents and the sections."""
    anchors = [s.anchor or f"section-{i}" for i, s in enumerate(sections)]
    nav = "".join(f'<a href="#{esc(a)}">{esc(s.title)}</a>'
                  for a, s in zip(anchors, sections, strict=True))  # fmt: skip
    parts = "".join(f'<section id="{esc(a)}"><h2>{esc(s.title)}</h2>{s.body}</section>'
                    for a, s in zip(anchors, sections, strict=True))  # fmt: skip
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        f'<meta name="generator" content="{GENERATOR}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{esc(title)}</h1>{definitions(provenance)}<nav>{nav}</nav>{parts}"
        "</body></html>\n"
    )


def is_fedsim_report(text_head: str) -> bool:
    """Whether a file's first characters are those of a page this module wrote."""
    return f'<meta name="generator" content="{GENERATOR}">' in text_head
