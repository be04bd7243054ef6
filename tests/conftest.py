"""Shared helpers: write small graph folders from CSV text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

MINIMAL = {
    "nodes.csv": """\
        id,kind,unit
        ore,mine,kg
        cobalt,material,kg
        battery,component,item
        grid,energy,kWh
        """,
    "edges.csv": """\
        source,target,amount,unit
        ore,cobalt,1,
        cobalt,battery,8,g
        grid,battery,2.5,kWh
        """,
    "impacts.csv": """\
        node,category,value,unit
        ore,gwp,8.3,
        grid,gwp,383.55,g CO2e/kWh
        """,
}
"""The minimal graph of the README (figures for illustration)."""


def write_graph(folder: Path, tables: dict[str, str]) -> Path:
    """Write ``{file name: CSV text}`` into ``folder`` (dedented); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def minimal_graph(tmp_path: Path) -> Path:
    """A folder holding the README's minimal graph."""
    return write_graph(tmp_path / "minimal", MINIMAL)
