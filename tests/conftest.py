"""Shared helpers: tiny graphs built in memory, and small graph folders written from CSV text."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

from supplychain.tables import from_tables

PROJECT = Path(__file__).resolve().parent.parent

collect_ignore = ["benchmarks"]  # a script to run by hand (see the README), not tests

# Property tests draw the same examples on every run, so that a test run here, in CI or on
# a newcomer's machine gives the same answer; HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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


SOURCES = [{"id": "s", "title": "A source"}]
"""A bibliography of one source, ``s``, for the tiny graphs below."""


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path, monkeypatch):
    """Commands that write beside them (the report's page) write into a temporary folder."""
    monkeypatch.chdir(tmp_path)


def node(id_: str, kind: str = "material", unit: str = "kg", **extra) -> dict:
    return {"id": id_, "kind": kind, "unit": unit, **extra}


def edge(source: str, target: str, amount: float, transparency: str = "disclosed", **extra) -> dict:
    """An edge citing source ``s`` at ``transparency``; ``missing`` cites nothing."""
    row = {"source": source, "target": target, "amount": amount, **extra}
    if transparency != "missing":
        row |= {"transparency": transparency, "source_ref": "s"}
    return row


def impact(
    node_: str, value: float, category: str = "gwp", transparency: str = "disclosed", **extra
) -> dict:
    """A direct impact citing source ``s`` at ``transparency``; ``missing`` cites nothing."""
    row = {"node": node_, "category": category, "value": value, **extra}
    if transparency != "missing":
        row |= {"transparency": transparency, "source": "s"}
    return row


def make(nodes, edges=(), impacts=()):
    return from_tables(nodes=nodes, edges=list(edges), impacts=list(impacts), sources=SOURCES)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run the command line with ``argv`` (paths allowed); exit code, stdout, stderr.

    Fails the test if anything printed a traceback.
    """
    from supplychain.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def count_calls(monkeypatch, module, name: str) -> list[int]:
    """Replace ``module.name`` by a spy that calls it and appends 1 per call to the list."""
    calls: list[int] = []
    original = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


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
