"""A bar chart of totals with their P5-P95 range, as SVG, PNG or PDF (matplotlib).

One drawing for every format: :func:`bar_chart_figure` lays the chart out and
:func:`chart_bytes` writes it. Names are drawn as plain text (no mathtext, no markup, no
control characters), so any node id is safe; an SVG keeps its text as text.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"node": ["a", "b"], "value": [1.0, 10.0], "p5": [0.5, 4.0],
...                      "p95": [2.0, 30.0], "unit": "kg CO2e", "per": "1000 queries"})
>>> chart_bytes(rows, "gwp", "png")[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> b"<svg" in chart_bytes(rows, "gwp", "svg")
True
"""

from __future__ import annotations

import io
import unicodedata

import pandas as pd

__all__ = [
    "CHART_FORMATS",
    "bar_chart_figure",
    "chart_bytes",
    "contribution_chart_figure",
    "figure_bytes",
]

CHART_FORMATS = ("svg", "png", "pdf")
"""The formats a chart is written in, named by the file's suffix."""

_MAX_LABEL = 120  # characters; a longer label is shortened in the middle
_BAR = "#2ca02c"
_DPI = 200  # dots per inch of a PNG: sharp enough to print at the figure's size
_STYLE = {
    "text.parse_math": False,  # a node id with $...$ is text, not a formula
    "svg.fonttype": "none",  # text stays text in an SVG: selectable and searchable
    "svg.hashsalt": "supplychain",  # the same chart gives the same bytes
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same on every machine
    "font.size": 9,
}


def _label(text: str) -> str:
    """``text`` with control characters made visible and shortened in the middle to
    :data:`_MAX_LABEL` characters if longer.

    >>> len(_label("a" * 70 + "b" * 70)), _label("a" * 70 + "b" * 70)[55:65]
    (120, 'aaa…bbbbbb')
    >>> _label("red\\x1b[31m")
    'red�[31m'
    """
    text = "".join("\ufffd" if unicodedata.category(c)[0] == "C" else c for c in text)
    if len(text) <= _MAX_LABEL:
        return text
    head = (_MAX_LABEL - 1) // 2 - 1
    return text[:head] + "…" + text[-(_MAX_LABEL - 1 - head) :]


def bar_chart_figure(rows: pd.DataFrame, category: str):
    """Horizontal bars of ``value`` on a log scale with P5-P95 whiskers, one per row,
    largest first, as a :class:`matplotlib.figure.Figure` (not drawn on any screen).

    ``rows`` has the columns of :func:`supplychain.uncertainty.uncertainty_summary`
    (``node, value, p5, p95, unit, per``), all in one ``unit`` per one ``per``; rows with a
    value of 0 are left out.

    Raises
    ------
    ValueError
        If no row has a positive value, or the rows are in more than one unit.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    rows = rows[rows["value"] > 0].sort_values("value", ascending=False, kind="stable")
    if rows.empty:
        raise ValueError("no positive value to draw")
    units = rows[["unit", "per"]].drop_duplicates()
    if len(units) > 1:
        listed = "; ".join(f"{u} per {p}" for u, p in units.itertuples(index=False))
        raise ValueError(f"the bars must share one unit, not {listed}")
    labels = [_label(str(node)) for node in rows["node"]]
    with rc_context(_STYLE):
        width = min(3.0 + 0.062 * max(map(len, labels)), 12.0) + 5.0
        figure = Figure(figsize=(width, 1.1 + 0.26 * len(rows)), layout="constrained")
        axes = figure.add_subplot()
        place = range(len(rows))
        low = (rows["value"] - rows["p5"]).clip(lower=0).where(rows["p5"].notna())
        high = (rows["p95"] - rows["value"]).clip(lower=0).where(rows["p95"].notna())
        axes.barh(place, rows["value"], height=0.62, color=_BAR, alpha=0.8)
        ranged = (low.notna() & high.notna()).to_numpy()
        axes.errorbar(
            rows["value"][ranged],
            [p for p, r in zip(place, ranged, strict=True) if r],
            xerr=[low[ranged], high[ranged]],
            fmt="none",
            ecolor="#222222",
            elinewidth=1.0,
            capsize=3,
        )
        axes.set_xscale("log")
        # plain numbers (0.1, 1, 10) rather than mathtext powers, which parse_math=False bars
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_yticks(list(place), labels=labels)
        axes.invert_yaxis()
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        unit, per = units.iloc[0]
        axes.set_xlabel(f"{category}, {unit} per {per} (log scale); whiskers: P5-P95")
    return figure


CONTRIBUTORS_SHOWN = 7
"""How many contributors a contribution chart names; the rest are one segment, ``other``."""

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
_OTHER = "#bbbbbb"


def contribution_chart_figure(shares: pd.DataFrame, node: str, per: str):
    """One horizontal bar per category, 100 % of ``node``'s total, stacked by what
    contributes it (the nodes' own impacts, :func:`supplychain.trace.contributions`): the
    :data:`CONTRIBUTORS_SHOWN` largest across the categories by name, the rest as
    ``other``. A credit's negative share is drawn left of 0. ``shares`` has the columns
    ``category``, ``contributor`` and ``share`` (signed, of the total in its category).

    Raises
    ------
    ValueError
        If there is no share to draw.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    shares = shares[shares["share"].notna() & (shares["share"] != 0)]
    if shares.empty:
        raise ValueError("no contribution to draw")
    size = shares.assign(size=shares["share"].abs()).groupby("contributor")["size"].max()
    named = list(size.sort_values(ascending=False, kind="stable").index[:CONTRIBUTORS_SHOWN])
    grouped = shares.assign(
        contributor=shares["contributor"].where(shares["contributor"].isin(named), "other")
    )
    table = grouped.groupby(["category", "contributor"], sort=False)["share"].sum().unstack()
    table = table.reindex(columns=[*named, *(["other"] if "other" in table else [])]).fillna(0)
    categories = list(dict.fromkeys(shares["category"]))
    table = table.reindex(categories)
    with rc_context(_STYLE):
        figure = Figure(figsize=(9.0, 1.6 + 0.34 * len(categories)), layout="constrained")
        axes = figure.add_subplot()
        right = pd.Series(0.0, index=table.index)
        left = pd.Series(0.0, index=table.index)
        place = range(len(table))
        for number, contributor in enumerate(table.columns):
            values = table[contributor]
            start = right.where(values >= 0, left + values)
            colour = _OTHER if contributor == "other" else _PALETTE[number % len(_PALETTE)]
            axes.barh(place, values.abs(), left=start, height=0.62, color=colour,
                      label=_label(str(contributor)))  # fmt: skip
            right = right + values.clip(lower=0)
            left = left + values.clip(upper=0)
        axes.set_yticks(list(place), labels=[_label(c) for c in table.index])
        axes.invert_yaxis()
        axes.axvline(0, color="#222222", linewidth=0.8)
        axes.xaxis.set_major_formatter(PercentFormatter(1.0))
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_xlabel(f"share of the total of {_label(node)} per {per}, by contributor")
        figure.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    return figure


def figure_bytes(figure, fmt: str) -> bytes:
    """A figure as a file's bytes: ``fmt`` one of :data:`CHART_FORMATS`, no date in it."""
    from matplotlib import rc_context

    if fmt not in CHART_FORMATS:
        raise ValueError(f"a chart is written as {', '.join(CHART_FORMATS)}, not {fmt!r}")
    metadata = {"svg": {"Date": None}, "png": {"Software": None}, "pdf": {"CreationDate": None}}
    buffer = io.BytesIO()
    with rc_context(_STYLE):
        figure.savefig(buffer, format=fmt, dpi=_DPI, metadata=metadata[fmt])
    return buffer.getvalue()


def chart_bytes(rows: pd.DataFrame, category: str, fmt: str) -> bytes:
    """The chart of :func:`bar_chart_figure` as a file's bytes: ``fmt`` is one of
    :data:`CHART_FORMATS`. The same rows give the same bytes (no date, fixed ids).

    Raises
    ------
    ValueError
        If ``fmt`` is not a chart format, or as :func:`bar_chart_figure`.
    """
    if fmt not in CHART_FORMATS:
        raise ValueError(f"a chart is written as {', '.join(CHART_FORMATS)}, not {fmt!r}")
    return figure_bytes(bar_chart_figure(rows, category), fmt)
