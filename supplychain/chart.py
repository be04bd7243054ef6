"""A bar chart of totals with their P5-P95 range, as a standalone SVG (no plotting library).

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"node": ["a", "b"], "value": [1.0, 10.0], "p5": [0.5, 4.0],
...                      "p95": [2.0, 30.0], "unit": "kg CO2e", "per": "1000 queries"})
>>> svg = bar_chart(rows, "gwp")
>>> svg.startswith("<svg") and svg.count("<rect") == 3  # a background and two bars
True
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

import pandas as pd

__all__ = ["bar_chart"]

_ROW, _RIGHT, _TOP = 26, 40, 56
_PLOT = 560  # px of the bars' axis
_CHAR = 7.2  # px of an average character at 13 px
_MAX_LABEL = 76  # characters; a longer label is shortened in the middle (in full on hover)
_BAR = "#2ca02c"


def _label(text: str) -> str:
    """``text`` shortened in the middle to :data:`_MAX_LABEL` characters if longer.

    >>> _label("a" * 40 + "b" * 40)
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
    """
    if len(text) <= _MAX_LABEL:
        return text
    head = (_MAX_LABEL - 1) // 2 - 1
    return text[:head] + "…" + text[-(_MAX_LABEL - 1 - head) :]


def _ticks(low: float, high: float) -> list[float]:
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def bar_chart(rows: pd.DataFrame, category: str, width: int = 900) -> str:
    """Horizontal bars of ``value`` on a log scale with P5-P95 whiskers, one per row.

    ``rows`` has the columns of :func:`supplychain.uncertainty.uncertainty_summary`
    (``node, value, p5, p95, unit, per``); rows with a value of 0 are left out. Labels
    are escaped: any node name is safe.
    """
    rows = rows[rows["value"] > 0].sort_values("value", ascending=False, kind="stable")
    values = pd.concat([rows["value"], rows["p5"], rows["p95"]])
    values = values[values > 0]
    if values.empty:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40"></svg>'
    ticks = _ticks(float(values.min()), float(values.max()))
    lo, hi = math.log10(ticks[0]), math.log10(ticks[-1])
    span = max(hi - lo, 1e-9)
    labels = [_label(str(node)) for node in rows["node"]]
    left = round(min(max(16 + _CHAR * max(map(len, labels)), 120), 16 + _CHAR * _MAX_LABEL))
    width = max(width, left + _PLOT + _RIGHT)
    plot = width - left - _RIGHT

    def x(value: float) -> float:
        return left + plot * (math.log10(max(value, ticks[0])) - lo) / span

    height = _TOP + _ROW * len(rows) + 40
    unit = f"{rows['unit'].iloc[0]} per {rows['per'].iloc[0]}" if len(rows) else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        ' font-family="system-ui, sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="600">'
        f"{escape(category)}, {escape(unit)} (log scale); whiskers: P5-P95</text>",
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{_TOP - 8}" x2="{x(tick):.1f}"'
            f' y2="{height - 34}" stroke="#dddddd"/>'
            f'<text x="{x(tick):.1f}" y="{height - 18}" text-anchor="middle"'
            f' fill="#555555">{tick:g}</text>'
        )
    for i, (row, label) in enumerate(zip(rows.itertuples(index=False), labels, strict=True)):
        y = _TOP + i * _ROW
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(str(row.node))}</title>{escape(label)}</text>"
            f'<rect x="{left}" y="{y + 4}" width="{max(x(row.value) - left, 1):.1f}"'
            f' height="{_ROW - 10}" fill="{_BAR}" fill-opacity="0.75"/>'
        )
        if pd.notna(row.p5) and pd.notna(row.p95):
            middle = y + _ROW / 2 - 1
            parts.append(
                f'<line x1="{x(row.p5):.1f}" y1="{middle}" x2="{x(row.p95):.1f}" y2="{middle}"'
                ' stroke="#222222" stroke-width="1.5"/>'
                f'<line x1="{x(row.p5):.1f}" y1="{middle - 5}" x2="{x(row.p5):.1f}"'
                f' y2="{middle + 5}" stroke="#222222" stroke-width="1.5"/>'
                f'<line x1="{x(row.p95):.1f}" y1="{middle - 5}" x2="{x(row.p95):.1f}"'
                f' y2="{middle + 5}" stroke="#222222" stroke-width="1.5"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
