"""The interactive page: what it holds, that it loads nothing and treats names as text."""

import json
import math
import re
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT, SOURCES, edge, impact, node

from supplychain.cli import main
from supplychain.errors import OutputExistsError, UnknownNodeError
from supplychain.io import load
from supplychain.layout import MAX_ROWS
from supplychain.render import PAGE_MARK, page_data, render_page, write_page
from supplychain.tables import from_tables

sys.path.insert(0, str(PROJECT / "tests" / "benchmarks"))
from bench_propagation import generate_graph  # noqa: E402

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def hostile_chain():
    """Names, ids, notes and sources that would run code if pasted as HTML."""
    nodes = [
        node(HOSTILE[0], "mine", name=HOSTILE[1], note=HOSTILE[0], country=HOSTILE[1]),
        node(HOSTILE[1], "component", "item", name=HOSTILE[0], source="x"),
    ]
    sources = [*SOURCES, {"id": "x", "title": HOSTILE[1] + "</script>", "year": 2024}]
    return from_tables(
        name="hostile",
        nodes=nodes,
        edges=[edge(HOSTILE[0], HOSTILE[1], 2.0, "missing")],
        impacts=[impact(HOSTILE[0], 1.0)],
        social=[{"node": HOSTILE[0], "indicator": "child_labour", "level": "high"}],
        sources=sources,
    )


def embedded_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_the_page_loads_nothing_from_the_network():
    html = render_page(page_data(load("example"), samples=0))
    assert html.startswith(PAGE_MARK)
    assert "default-src 'none'" in html  # the Content-Security-Policy forbids any load
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "cdnjs.cloudflare" not in html and "cdn.jsdelivr" not in html  # pyvis's CDN links
    assert "bootstrap" not in html


def test_hostile_names_stay_data():
    html = render_page(page_data(hostile_chain(), samples=0))
    assert "<script>alert" not in html and "<img" not in html
    block = html[html.index('id="graph-data">') :]
    assert block.index("</script>") > block.index(r"\u003cscript\u003e")  # escaped inside
    data = embedded_data(html)
    assert {n["id"] for n in data["nodes"]} == set(HOSTILE)  # and read back intact
    assert data["details"][HOSTILE[0]]["name"] == HOSTILE[1]


def test_nodes_carry_kind_colour_size_and_transparency_style():
    data = page_data(load("ai-inference"), samples=0)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == len(load("ai-inference").nodes) == data["meta"]["shown"]
    assert nodes["image-generation"]["color"]["background"] == "#2ca02c"
    assert nodes["cobalt-unknown-origin"]["color"]["border"] == "#d62728"  # missing
    assert nodes["gpu-a100-sxm4-80gb"]["shapeProperties"]["borderDashes"] == [6, 4]
    assert nodes["image-generation"]["size"] == 40  # its own total: the largest share
    assert all(n["physics"] is False for n in nodes.values())
    missing = [e for e in data["edges"] if e["transparency"] == "missing"]
    assert missing and all(e["dashes"][0] == e["dashes"][1] >= 3 for e in missing)
    wide = [e for e in missing if e["width"] > 2]
    assert all(e["dashes"][1] >= 1.5 * e["width"] for e in wide)  # gaps that show


def test_the_layout_is_stable_and_flows_left_to_right():
    first = page_data(load("ai-inference"), samples=0)
    second = page_data(load("ai-inference"), samples=0)
    assert first["nodes"] == second["nodes"]
    x = {n["id"]: n["x"] for n in first["nodes"]}
    assert x["cobalt-mining-cod"] < x["cobalt"] < x["gpu-a100-sxm4-80gb"]
    assert x["gpu-a100-sxm4-80gb"] < x["server-p4de-24xlarge"] < x["image-generation"]
    assert x["server-p4de-24xlarge"] < x["electricity-us-oregon"] < x["image-generation"]


def test_a_tall_column_wraps_into_a_grid_left_of_the_next_column():
    """ai-inference has 98 mines: 4 sub-columns of at most MAX_ROWS, rows in column order."""
    chain = load("ai-inference")
    kind = dict(zip(chain.nodes["id"], chain.nodes["kind"], strict=True))
    nodes = page_data(chain, samples=0)["nodes"]
    at = {n["id"]: n for n in nodes}
    mines = [n for n in nodes if kind[n["id"]] == "mine"]
    materials = [n for n in nodes if kind[n["id"]] == "material"]
    assert len({n["x"] for n in mines}) == math.ceil(len(mines) / MAX_ROWS) == 4
    assert len({n["y"] for n in mines}) <= MAX_ROWS
    assert max(n["x"] for n in mines) < min(n["x"] for n in materials)
    assert len({(n["x"], n["y"]) for n in nodes}) == len(nodes)  # no two on one spot
    assert len({n["x"] for n in materials}) == 1  # 18 materials: one column
    assert at["cobalt-mining-cod"]["x"] < at["cobalt"]["x"]


def test_details_hold_totals_with_percentiles_social_levels_and_sources():
    data = page_data(load("ai-inference"), samples=100)
    gpu = data["details"]["gpu-a100-sxm4-80gb"]
    gwp = next(t for t in gpu["totals"] if t["category"] == "gwp")
    assert gwp["p5"] < gwp["value"] < gwp["p95"] and gwp["opacity"] == 1.0
    assert {"indicator": "forced_labour", "level": "high"} in gpu["social"]
    assert gpu["sources"][0].startswith("BoaviztAPI impact factors")


def test_a_figure_citing_two_sources_names_both_on_the_page():
    # the panel used to show only the first id of "s; t" (the SEC rule behind a conflict
    # level of the shipped graph was dropped)
    chain = from_tables(
        nodes=[node("ore", "mine", source="s; t")],
        edges=[],
        impacts=[impact("ore", 2.0) | {"source": "s; t"}],
        sources=[*SOURCES, {"id": "t", "title": "Another", "year": 2020}],
    )
    ore = page_data(chain, samples=0)["details"]["ore"]
    assert ore["sources"] == ["A source [s]", "Another (2020) [t]"]
    assert ore["direct"][0]["source"] == "A source [s]; Another (2020) [t]"


def test_focus_shows_only_what_is_upstream_and_says_what_it_hides():
    data = page_data(load("ai-inference"), focus="server-p4de-24xlarge", samples=0)
    ids = {n["id"] for n in data["nodes"]}
    assert "server-p4de-24xlarge" in ids and "image-generation" not in ids
    assert "gpu-a100-sxm4-80gb" in ids
    assert data["meta"]["note"].endswith(
        "of the total of server-p4de-24xlarge and of its mined mass. The nodes behind its"
        " social levels are kept, whatever their share."
    )
    # China's copper refineries weigh nothing in the server's GWP but supply 45 % of its
    # copper: a focus keeps the mines that supply the mass
    assert "copper-mining-chn" in ids
    # 1 g of 4.9 kg, but the evidence of the server's child labour: kept (issue 18); a
    # mine of as little that carries no level is not
    assert "cobalt-mining-cod" in ids and "cobalt-mining-cub" not in ids
    with pytest.raises(UnknownNodeError):
        page_data(load("ai-inference"), focus="nowhere", samples=0)


def test_a_large_graph_is_pruned_with_a_note():
    graph = generate_graph(4000, seed=1)
    chain = from_tables("generated", **graph.tables())
    data = page_data(chain, samples=0, max_nodes=800)
    assert data["meta"]["shown"] == len(data["nodes"]) == 800
    assert data["meta"]["note"].startswith("3200 of 4000 nodes are hidden: beyond the 800")


def test_write_page_never_overwrites_what_is_not_a_page(tmp_path):
    target = tmp_path / "mine.html"
    target.write_text("my own notes")
    with pytest.raises(OutputExistsError, match="not a supplychain page"):
        write_page(load("example"), target, samples=0)
    assert target.read_text() == "my own notes"
    own = tmp_path / "page.html"
    write_page(load("example"), own, samples=0)
    write_page(load("example"), own, samples=0)  # a page of ours may be replaced
    assert own.read_text().startswith(PAGE_MARK)
    with pytest.raises(OutputExistsError, match="onto the graph being read"):
        write_page(
            load("example"),
            PROJECT / "graphs" / "example" / "x.html",
            protect=(PROJECT / "graphs" / "example",),
        )


def test_viz_command(tmp_path, capsys):
    out = tmp_path / "chain.html"
    assert main(["viz", "smart-speaker", "-o", str(out), "--samples", "50"]) == 0
    assert "wrote" in capsys.readouterr().err and out.read_text().startswith(PAGE_MARK)
    assert main(["viz", "example", "--focus", "nowhere"]) == 1
    assert "no node 'nowhere'" in capsys.readouterr().err


def test_report_writes_the_page_and_says_where(tmp_path, capsys):
    assert main(["report", "example"]) == 0
    out = capsys.readouterr().out
    assert f"the interactive page: {tmp_path / 'example.html'}" in out
    assert (tmp_path / "example.html").read_text().startswith(PAGE_MARK)
    assert main(["report", "example", "--no-page", "--format", "json"]) == 0


def test_the_builder_refuses_to_rewrite_an_installed_package(tmp_path):
    # the wheel carries graphs/ (build_shipped.py with it) into site-packages; run there,
    # the script would have rewritten the installed graphs and made a viz/ folder
    installed = tmp_path / "site-packages" / "supplychain" / "_shipped" / "graphs"
    installed.mkdir(parents=True)
    shutil.copy(PROJECT / "graphs" / "build_shipped.py", installed)
    result = subprocess.run(
        [sys.executable, str(installed / "build_shipped.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "is not the graphs folder of a source checkout" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["site-packages", "supplychain", "_shipped", "graphs", "build_shipped.py"]
    )


def test_shipped_pages_are_up_to_date():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_shipped", PROJECT / "graphs" / "build_shipped.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_shipped"] = module
    spec.loader.exec_module(module)
    assert module.stale_pages() == []


def test_a_focused_page_keeps_the_evidence_of_the_nodes_social_levels():
    """The report names DR Congo mines as the worst nodes for image generation; each weighs
    under the page's cutoff of GWP, and the focused page hid them."""
    from supplychain.social import evidence

    chain = load("ai-inference")
    shown = {node["id"] for node in page_data(chain, focus="image-generation", samples=0)["nodes"]}
    for indicator in ("child_labour", "forced_labour", "conflict"):
        found = evidence(chain, "image-generation", indicator)
        assert set(found["source_node"]) <= shown, indicator
        for path in found["path"]:
            assert set(path.split(" > ")) <= shown
    assert {"tantalum-mining-cod", "tin-mining-cod", "cobalt-mining-cod"} <= shown


def test_edges_and_direct_impacts_carry_their_units():
    """'8 per unit of server' said nothing of what the 8 are: now 8 item per item."""
    data = page_data(load("ai-inference"), samples=0)
    edge = next(
        e for e in data["edges"]
        if e["from"] == "gpu-a100-sxm4-80gb" and e["to"] == "server-p4de-24xlarge"
    )  # fmt: skip
    assert (edge["amount"], edge["unit"], edge["per"]) == (8.0, "item", "item")
    direct = data["details"]["cobalt-mining-cod"]["direct"]
    assert {"category": "gwp", "unit": "kg CO2e per kg"}.items() <= next(
        d for d in direct if d["category"] == "gwp"
    ).items()


def test_the_panel_says_where_a_node_comes_from():
    """Cobalt's mix with its shares, largest first (CMOC's named mines, then the DR Congo's
    rest ...); a server's GPUs as an amount, no share."""
    details = page_data(load("ai-inference"), samples=0)["details"]
    inputs = details["cobalt-unknown-origin"]["suppliers"]
    shares = {i["id"]: i["share"] for i in inputs}
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.005)
    assert [i["share"] for i in inputs] == sorted(shares.values(), reverse=True)  # largest first
    assert {"cobalt-mine-tfm-kfm", "cobalt-mining-cod"} <= set(shares)
    assert inputs[0]["unit"] == "kg per kg"
    gpu = {i["id"]: i for i in details["server-p4de-24xlarge"]["suppliers"]}["gpu-a100-sxm4-80gb"]
    assert (gpu["amount"], gpu["unit"], gpu["share"]) == (8.0, "item per item", None)
