"""The shipped graphs: valid without a warning, and honest about every figure."""

import pytest

from supplychain.io import load, validate
from supplychain.shipped import shipped_graph_names

GRAPHS = shipped_graph_names()


def test_there_are_shipped_graphs():
    assert "example" in GRAPHS


@pytest.mark.parametrize("name", GRAPHS)
def test_shipped_graph_has_no_problem_at_all(name):
    assert [p.describe() for p in validate(name)] == []


@pytest.mark.parametrize("name", GRAPHS)
def test_every_source_says_what_where_when_and_under_which_licence(name):
    sources = load(name).sources
    for column in ("title", "locator", "licence"):
        assert (sources[column] != "").all(), f"{name}: a source without {column}"
    assert sources["year"].notna().all(), f"{name}: a source without a year"


@pytest.mark.parametrize("name", GRAPHS)
def test_every_figure_without_a_source_is_missing_and_explained(name):
    chain = load(name)
    for table, citation in (("edges", "source_ref"), ("impacts", "source")):
        frame = chain.table(table)
        unsourced = frame[frame[citation] == ""]
        assert (unsourced["transparency"] == "missing").all()
        assert (unsourced["note"] != "").all(), f"{name}: an unsourced {table} row without a note"
