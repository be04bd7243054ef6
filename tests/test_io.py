"""Reading and writing: lossless round trips, GraphML, and never overwriting by accident."""

import json
import os
import stat
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from conftest import write_graph

from supplychain.errors import GraphNotFoundError, OutputExistsError
from supplychain.graphml import export_graphml
from supplychain.io import load, resolve_graph_path, save_csv, save_json
from supplychain.render import write_page

TABLES = ("nodes", "edges", "impacts", "social", "sources", "categories")


def assert_same_graph(left, right):
    for table in TABLES:
        pd.testing.assert_frame_equal(
            left.table(table), right.table(table), check_dtype=False, obj=table
        )


@pytest.fixture
def tricky_graph(tmp_path: Path) -> Path:
    """Ids with commas, quotes, unicode and HTML; floats that need 17 digits; extras."""
    return write_graph(
        tmp_path / "tricky",
        {
            "nodes.csv": '''\
                id,kind,unit,name,note,lat,lon,my_column
                "mine, Kolwezi",mine,kg,Mine « ouest » 🌍,"says ""hi""",-10.7,25.5,a
                <script>alert(1)</script>,material,kg,,"line one
                line two",,,b
                svc,service,1000 queries,,,,,
                ''',
            "edges.csv": """\
                source,target,amount,unit,uncertainty,transparency,source_ref
                "mine, Kolwezi",<script>alert(1)</script>,0.30000000000000004,,"range(0.1, 1)",\
published,usgs
                <script>alert(1)</script>,svc,123.456,g,lognormal(1.2),,usgs
                """,
            "impacts.csv": """\
                node,category,value,unit,transparency,source
                "mine, Kolwezi",gwp,3.3333333333333335,,estimated,usgs
                "mine, Kolwezi",toxicity,1e-20,,estimated,usgs
                """,
            "social.csv": """\
                node,indicator,level,source
                "mine, Kolwezi",child_labour,Very High,usgs
                """,
            "sources.csv": """\
                id,title,year,licence,transparency
                usgs,"Mineral Commodity Summaries, 2026",2026,public domain,published
                """,
            "categories.csv": """\
                id,name,unit,group
                toxicity,Human toxicity (illustration),kg,environmental
                """,
        },
    )


def test_tricky_graph_loads_as_written(tricky_graph):
    chain = load(tricky_graph)
    assert chain.nodes["id"].tolist() == ["mine, Kolwezi", "<script>alert(1)</script>", "svc"]
    assert chain.nodes.loc[1, "note"] == "line one\nline two"
    assert chain.edges.loc[0, "amount"] == 0.30000000000000004
    assert chain.edges.loc[1, "converted_amount"] == pytest.approx(0.123456, rel=1e-15)
    assert chain.edges.loc[1, "uncertainty"] == "lognormal(gsd=1.2)"
    assert chain.edges.loc[1, "transparency"] == "published"  # from the bibliography
    assert chain.social.loc[0, "level"] == "very_high"
    assert chain.nodes["my_column"].tolist() == ["a", "b", ""]


@pytest.mark.parametrize("form", ["csv", "json"])
def test_load_save_load_is_lossless(tricky_graph, tmp_path, form):
    first = load(tricky_graph)
    target = tmp_path / ("copy.json" if form == "json" else "copy")
    (save_json if form == "json" else save_csv)(first, target)
    second = load(target)
    assert_same_graph(first, second)
    assert second.name == ("tricky" if form == "json" else "copy")


def test_csv_json_csv_gives_the_same_files(tricky_graph, tmp_path):
    first = load(tricky_graph)
    save_csv(first, tmp_path / "a")
    save_json(load(tmp_path / "a"), tmp_path / "b.json")
    save_csv(load(tmp_path / "b.json"), tmp_path / "c")
    for name in ("nodes.csv", "edges.csv", "impacts.csv", "social.csv", "sources.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()


def test_shipped_example_round_trips(tmp_path):
    chain = load("example")
    save_json(chain, tmp_path / "example.json")
    assert_same_graph(chain, load(tmp_path / "example.json"))


def test_json_numbers_keep_full_precision(tricky_graph, tmp_path):
    save_json(load(tricky_graph), tmp_path / "g.json")
    document = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert document["format"] == "supplychain-graph"
    assert document["edges"][0]["amount"] == 0.30000000000000004
    assert document["impacts"][1]["value"] == 1e-20


def test_graphml_export_reads_back_in_networkx(tricky_graph, tmp_path):
    export_graphml(load(tricky_graph), tmp_path / "g.graphml")
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert set(graph.nodes) == {"mine, Kolwezi", "<script>alert(1)</script>", "svc"}
    edge = graph.edges["<script>alert(1)</script>", "svc"]
    assert edge["amount"] == pytest.approx(0.123456)
    assert edge["amount_as_written"] == 123.456
    assert graph.nodes["mine, Kolwezi"]["direct_gwp"] == pytest.approx(10 / 3)
    assert graph.nodes["mine, Kolwezi"]["lat"] == -10.7


@pytest.mark.parametrize("writer", [save_json, export_graphml], ids=["json", "graphml"])
def test_an_existing_file_is_not_overwritten(minimal_graph, tmp_path, writer):
    target = tmp_path / "out"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        writer(load(minimal_graph), target)
    assert target.read_text(encoding="utf-8") == "precious"
    writer(load(minimal_graph), target, overwrite=True)
    assert target.read_text(encoding="utf-8") != "precious"


@pytest.mark.parametrize(
    "write",
    [
        lambda chain, path: save_json(chain, path / "g.json"),
        lambda chain, path: export_graphml(chain, path / "g.graphml"),
        lambda chain, path: save_csv(chain, path / "tables"),
        lambda chain, path: write_page(chain, path / "page.html", samples=0),
    ],
    ids=["json", "graphml", "csv", "page"],
)
def test_written_files_get_the_usual_permissions(minimal_graph, tmp_path, write):
    """Not the owner-only mode of a temporary file: a page is made to be shared."""
    mask = os.umask(0o022)
    try:
        write(load(minimal_graph), tmp_path)
    finally:
        os.umask(mask)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}


def test_a_folder_holding_tables_is_not_overwritten(minimal_graph, tmp_path):
    before = (minimal_graph / "nodes.csv").read_bytes()
    with pytest.raises(OutputExistsError, match="already holds"):
        save_csv(load("example"), minimal_graph)
    assert (minimal_graph / "nodes.csv").read_bytes() == before


def test_overwriting_a_folder_leaves_no_stale_table_and_deletes_nothing(
    tricky_graph, minimal_graph, tmp_path
):
    target = tmp_path / "out"
    save_csv(load(tricky_graph), target)
    before = list(target.iterdir())
    (target / "notes.txt").write_text("mine")
    assert (target / "social.csv").exists()
    save_csv(load(minimal_graph), target, overwrite=True)
    # the table the new graph has no rows of is replaced by an empty one, not deleted
    assert (target / "social.csv").read_text().splitlines() == [
        "node,indicator,level,transparency,source,note"
    ]
    assert (target / "notes.txt").read_text() == "mine"
    assert {p.name for p in target.iterdir()} == {p.name for p in before} | {"notes.txt"}
    assert_same_graph(load(minimal_graph), load(target))


def test_never_writes_onto_its_input(minimal_graph):
    with pytest.raises(OutputExistsError, match="onto the graph being read"):
        save_csv(load(minimal_graph), minimal_graph, overwrite=True, protect=(minimal_graph,))


def test_reading_changes_nothing(tricky_graph):
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tricky_graph.iterdir()}
    load(tricky_graph)
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tricky_graph.iterdir()}
    assert before == after


def test_shipped_graph_names_resolve_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (resolve_graph_path("example") / "nodes.csv").is_file()


def test_a_csv_file_is_not_a_graph(minimal_graph):
    with pytest.raises(GraphNotFoundError, match="give the folder"):
        resolve_graph_path(minimal_graph / "nodes.csv")
