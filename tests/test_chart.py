"""The bar chart: bars on a log scale, whiskers, names as inert text, the same drawing as
SVG, PNG and PDF."""

import struct
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from supplychain.chart import bar_chart_figure, chart_bytes


def rows(**columns):
    base = {"node": ["a", "b"], "value": [1.0, 100.0], "p5": [0.5, 50.0], "p95": [2.0, 400.0]}
    return pd.DataFrame({**base, **columns, "unit": "kg CO2e", "per": "1000 queries"})


def test_bars_are_sorted_largest_first_on_a_log_scale_with_their_whiskers():
    axes = bar_chart_figure(rows(), "gwp").axes[0]
    bars = axes.patches
    assert [bar.get_width() for bar in bars] == [100.0, 1.0]  # b first, then a
    assert [t.get_text() for t in axes.get_yticklabels()] == ["b", "a"]
    assert axes.get_xscale() == "log"
    (whiskers,) = axes.containers[1:]  # the errorbar container after the bars
    segments = whiskers.lines[2][0].get_segments()
    assert [tuple(s[:, 0]) for s in segments] == [(50.0, 400.0), (0.5, 2.0)]
    assert "kg CO2e per 1000 queries" in axes.get_xlabel()


def test_names_are_text_not_markup_or_formulas_and_zero_values_are_left_out():
    hostile = "<script>alert(1)</script> $x^2$ \x1b[31m"
    svg = chart_bytes(rows(node=[hostile, "b"], value=[1.0, 0.0]), "gwp", "svg").decode()
    ET.fromstring(svg)  # well-formed
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "$x^2$" in svg and "\x1b" not in svg  # drawn as typed, the escape made visible
    assert bar_chart_figure(rows(value=[1.0, 0.0]), "gwp").axes[0].patches[0].get_width() == 1


def test_a_png_is_a_png_and_every_format_is_the_same_each_time():
    png = chart_bytes(rows(), "gwp", "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width > 600 and height > 150
    assert chart_bytes(rows(), "gwp", "pdf").startswith(b"%PDF")
    for fmt in ("svg", "png", "pdf"):
        assert chart_bytes(rows(), "gwp", fmt) == chart_bytes(rows(), "gwp", fmt)


@pytest.mark.parametrize(
    ("table", "fmt", "words"),
    [
        (rows(value=[0.0, 0.0]), "png", "no positive value"),
        (rows().assign(per=["1000 queries", "item"]), "svg", "share one unit"),
        (rows(), "gif", "not 'gif'"),
    ],
)
def test_what_cannot_be_drawn_is_refused(table, fmt, words):
    with pytest.raises(ValueError, match=words):
        chart_bytes(table, "gwp", fmt)
