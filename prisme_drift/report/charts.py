"""Charts for every document, as SVG text: readable in colour and in black and white.

Each series gets a colour *and* a fill pattern, so a greyscale print still tells them apart.
Labels come translated from the caller; nothing here holds words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

#: (colour, pattern id) per series position; patterns survive a black and white print.
PALETTE = (
    ("#b22222", "solid"),
    ("#e08a00", "hatch"),
    ("#1f4e79", "dots"),
    ("#6a8f3a", "cross"),
    ("#777777", "solid"),
)
_PATTERNS = (
    '<pattern id="@@pattern@@hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="3"/></pattern>'
    '<pattern id="@@pattern@@dots" width="5" height="5" patternUnits="userSpaceOnUse">'
    '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.4" fill="#000"/>'
    "</pattern>"
    '<pattern id="@@pattern@@cross" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#fff"/><path d="M0 0L6 6M6 0L0 6" stroke="#000"/></pattern>'
)

#: The one inline style of every chart (a web page's Content-Security-Policy allows its hash).
STYLE = "text{font-family:'DejaVu Sans',sans-serif;font-size:11px;fill:#111}"


@dataclass(frozen=True)
class Series:
    """One stacked series: a label and a value per category."""

    label: str
    values: tuple[int, ...]


def _fill(index: int) -> tuple[str, str]:
    colour, pattern = PALETTE[index % len(PALETTE)]
    return colour, "" if pattern == "solid" else f"url(#@@pattern@@{pattern})"


def _bar(x: float, y: float, w: float, h: float, index: int) -> str:
    colour, pattern = _fill(index)
    rect = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>'
    if pattern:  # the pattern over the colour, half transparent: colour on screen, texture on B&W
        rect += (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{pattern}" '
            'fill-opacity="0.45"/>'
        )
    return rect


def horizontal_bars(labels: Sequence[str], values: Sequence[int], width: int = 420) -> str:
    """One bar per label (e.g. findings per severity), the value printed at the bar's end."""
    row, label_w, top = 22, 120, 6
    height = top * 2 + row * len(labels)
    scale = (width - label_w - 40) / max(max(values, default=0), 1)
    parts = [_head(width, height)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(_bar(label_w, y + 3, max(value * scale, 1), row - 6, i))
        parts.append(f'<text x="{label_w + value * scale + 5:.1f}" y="{y + 15}">{value}</text>')
    parts.append("</svg>")
    return _finish(parts)


def stacked_columns(
    categories: Sequence[str], series: Sequence[Series], width: int = 520, height: int = 220
) -> str:
    """Stacked columns (e.g. changes per week, by verdict), with a legend below."""
    left, bottom, top = 34, 40, 10
    legend_h = 18 * ((len(series) + 2) // 3)
    total = [sum(s.values[i] for s in series) for i in range(len(categories))]
    peak = max(max(total, default=0), 1)
    plot_h = height - bottom - top
    step = (width - left - 10) / max(len(categories), 1)
    parts = [_head(width, height + legend_h)]
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 6}" y2="{top + plot_h}" '
        'stroke="#333"/>'
    )
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>')
    for i, category in enumerate(categories):
        x, base = left + i * step + step * 0.2, float(top + plot_h)
        for j, s in enumerate(series):
            h = s.values[i] / peak * plot_h
            if h > 0:
                parts.append(_bar(x, base - h, step * 0.6, h, j))
                base -= h
        parts.append(
            f'<text x="{x + step * 0.3:.1f}" y="{top + plot_h + 14}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    for j, s in enumerate(series):
        lx, ly = left + (j % 3) * 160, height + (j // 3) * 18 - 12
        parts.append(_bar(lx, ly - 9, 12, 12, j))
        parts.append(f'<text x="{lx + 17}" y="{ly + 1}">{escape(s.label)}</text>')
    parts.append("</svg>")
    return _finish(parts)


def _head(width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img"><defs>{_PATTERNS}</defs>'
        f"<style>{STYLE}</style>"
    )


def _finish(parts: list[str]) -> str:
    """The SVG text, its pattern ids made unique per chart (a document shows several charts,
    and ids are global to the page) yet stable: derived from the chart's own content."""
    text = "".join(parts)
    prefix = "p" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8] + "-"
    return text.replace("@@pattern@@", prefix)
