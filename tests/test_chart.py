"""The SVG bar chart: bars on a log scale, whiskers, and names as text."""

import xml.etree.ElementTree as ET

import pandas as pd

from supplychain.chart import bar_chart


def rows(**columns):
    base = {"node": ["a", "b"], "value": [1.0, 100.0], "p5": [0.5, 50.0], "p95": [2.0, 400.0]}
    return pd.DataFrame({**base, **columns, "unit": "kg CO2e", "per": "1000 queries"})


def test_bars_are_sorted_and_scaled_by_orders_of_magnitude():
    svg = ET.fromstring(bar_chart(rows(), "gwp"))
    namespace = "{http://www.w3.org/2000/svg}"
    bars = svg.findall(f"{namespace}rect")[1:]
    widths = [float(bar.get("width")) for bar in bars]
    assert widths[0] > widths[1]  # b (100) first, a (1) second
    ticks = [t.text for t in svg.findall(f"{namespace}text")][1:6]
    assert ticks == ["0.1", "1", "10", "100", "1000"]


def test_names_are_escaped_and_zero_values_left_out():
    text = bar_chart(rows(node=["<script>alert(1)</script>", "b"], value=[1.0, 0.0]), "gwp")
    assert "<script>" not in text and "&lt;script&gt;" in text
    ET.fromstring(text)  # well-formed
    assert text.count("<rect") == 2
