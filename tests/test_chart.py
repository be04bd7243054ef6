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


def test_a_contribution_chart_stacks_each_total_to_100_percent():
    from supplychain.chart import contribution_chart_figure

    shares = pd.DataFrame(
        {
            "category": ["gwp", "gwp", "gwp", "water"],
            "contributor": ["grid", "chip", "scrap", "grid"],
            "share": [0.7, 0.5, -0.2, 1.0],  # a credit of 20 %
        }
    )
    axes = contribution_chart_figure(shares, "phone", "item").axes[0]
    bars = [(round(b.get_x(), 9), round(b.get_width(), 9), b.get_y()) for b in axes.patches]
    gwp_row = min(y for _, _, y in bars)
    gwp = sorted((x, w) for x, w, y in bars if y == gwp_row and w > 0)
    assert gwp == [(-0.2, 0.2), (0.0, 0.7), (0.7, 0.5)]  # the credit left of 0, 1.2 - 0.2 = 1
    assert [t.get_text() for t in axes.get_yticklabels()] == ["gwp", "water"]


def test_trace_draws_a_real_png_and_refuses_what_it_must(tmp_path, capsys):
    from supplychain.cli import main

    target = tmp_path / "c.png"
    assert main(["trace", "ai-inference", "image-generation", "--chart", str(target)]) == 0
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1600 and height >= 800  # 200 dpi, for print
    capsys.readouterr()
    assert main(["trace", "ai-inference", "image-generation", "--chart", str(target)]) == 1
    assert "a chart never replaces one" in capsys.readouterr().err
    assert (
        main(["trace", "ai-inference", "image-generation", "--chart", str(tmp_path / "c.gif")]) == 1
    )
