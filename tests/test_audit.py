"""The data-gap audit: coverage, what totals rest on, ranked gaps, checks, thresholds."""

import json

import pandas as pd
import pytest
from conftest import SOURCES, edge, impact, make, node
from conftest import run_cli as run

from supplychain.audit import audit, audit_sections, threshold_failures, top_gaps
from supplychain.errors import UnknownCategoryError, UnknownNodeError
from supplychain.io import load
from supplychain.tables import from_tables


def server_chain(grid_level="missing", chip_level="disclosed"):
    """grid (10 kWh, undisclosed) and a chip (disclosed) make a server."""
    return make(
        SERVER_NODES,
        [edge("grid", "server", 10, grid_level), edge("chip", "server", 1, chip_level)],
        SERVER_IMPACTS,
    )


SERVER_NODES = [
    node("grid", "energy", "kWh"),
    node("chip", "component", "item"),
    node("server", "device", "item"),
]
SERVER_IMPACTS = [
    impact("grid", 0.5, transparency="disclosed"),
    impact("chip", 1.0, transparency="disclosed"),
]


def test_the_one_big_undisclosed_edge_comes_first():
    found = audit(server_chain(), ["server"])
    assert found.gaps.loc[0, "gap"] == "grid -> server"
    assert found.gaps.loc[0, "share"] == pytest.approx(5 / 6)  # 10 kWh x 0.5 of a total of 6
    assert found.gaps.loc[0, "transparency"] == "missing"
    assert "measured grid per unit of server" in found.gaps.loc[0, "close_with"]
    assert len(found.gaps) == 1  # the chip is disclosed: no gap


def test_a_fully_disclosed_graph_has_no_gaps():
    found = audit(server_chain("disclosed"), ["server"])
    assert found.gaps.empty
    shares = found.transparency.set_index("category").loc["gwp"]
    assert shares["disclosed_share"] == 1 and shares["missing_share"] == 0
    assert threshold_failures(found, max_opacity=0.0) == []


def test_what_a_total_rests_on_adds_up_to_one():
    frame = audit(load("ai-inference"), ["image-generation"]).transparency
    parts = frame[["disclosed_share", "published_share", "estimated_share", "missing_share"]]
    assert parts.sum(axis=1).to_numpy() == pytest.approx(1)


def test_coverage_splits_mined_mass_by_how_far_it_is_traced():
    nodes = [
        node("named", "mine", country="COD", operator="A mining company"),
        node("country", "mine", country="AUS"),
        node("nowhere", "mine"),
        node("cobalt"),
        node("battery", "component", "item"),
    ]
    edges = [
        edge("named", "cobalt", 0.5, "disclosed"),
        edge("country", "cobalt", 0.3, "published"),
        edge("nowhere", "cobalt", 0.2, "estimated"),
        edge("cobalt", "battery", 10, "published", unit="g"),
    ]
    chain = from_tables(nodes=nodes, edges=edges, sources=SOURCES)
    coverage = audit(chain, ["battery"]).coverage.iloc[0]
    assert coverage["mined"] == pytest.approx(0.01)
    assert coverage["named_mine_share"] == pytest.approx(0.5)
    assert coverage["country_only_share"] == pytest.approx(0.3)
    assert coverage["unknown_origin_share"] == pytest.approx(0.2)


def test_mass_through_an_unknown_origin_prior_is_of_unknown_origin():
    coverage = audit(load("ai-inference"), ["server-p4de-24xlarge"]).coverage.iloc[0]
    assert coverage["unknown_origin_share"] == pytest.approx(1)
    assert coverage["mined"] > 4  # kg per server, mostly copper


def test_with_samples_gaps_are_ranked_by_their_share_of_the_variance():
    chain = make(
        SERVER_NODES,
        [
            edge("grid", "server", 10, "published"),  # large, but a narrow default spread
            edge("chip", "server", 1, "missing", uncertainty="lognormal(3)"),  # small and wide
        ],
        SERVER_IMPACTS,
    )
    by_share = audit(chain, ["server"]).gaps
    by_variance = audit(chain, ["server"], samples=2000).gaps
    assert by_share.loc[0, "gap"] == "grid -> server"
    assert by_variance.loc[0, "gap"] == "chip -> server"
    assert 0.5 < by_variance["variance_share"].sum() <= 1  # disclosed figures vary too


def test_ai_inference_names_the_gaps_that_matter_for_image_generation_and_the_server():
    found = audit(load("ai-inference"), ["image-generation", "server-p4de-24xlarge"])
    image = found.gaps[found.gaps["node"] == "image-generation"].set_index("gap")
    assert image.index[0] == "electricity-us-oregon -> electricity-datacentre-oregon"
    assert image.loc["electricity-datacentre-oregon -> image-generation", "share"] == (
        pytest.approx(image.loc["electricity-us-oregon: gwp", "share"])
    )
    server = found.gaps[found.gaps["node"] == "server-p4de-24xlarge"]
    assert server.iloc[0]["gap"] in {
        "gpu-a100-sxm4-80gb -> server-p4de-24xlarge",
        "gpu-a100-sxm4-80gb: gwp",
    }
    impacts = server[server["kind"] == "impact"]
    assert impacts["share"].sum() == pytest.approx(1)  # no direct impact here is disclosed
    placeholder = server.set_index("gap").loc["tantalum -> gpu-a100-sxm4-80gb"]
    assert placeholder["transparency"] == "missing"
    assert "material declaration of gpu-a100-sxm4-80gb" in placeholder["close_with"]


def test_completeness_checks():
    chain = from_tables(
        nodes=[node("ore", "mine"), node("part", "component", "item"), node("old", "mine")]
        + [node("grid", "energy", "kWh"), node("at-servers", "energy", "kWh")],
        edges=[edge("ore", "part", 500, "published", unit="g"), edge("old", "part", 1, "missing")]
        + [edge("grid", "at-servers", 1.1, "published"), edge("at-servers", "part", 2)],
        impacts=[impact("ore", 2.0, transparency="published")],
        sources=[{"id": "s", "title": "A source", "year": 2020}],
    )
    found = audit(chain, ["part"], older_than=2025)
    checks = found.checks.groupby("check")["item"].apply(list).to_dict()
    # a component made of materials only, a mine, a grid; not the grid at the servers (PUE)
    assert checks["no-own-impact"] == ["part", "old", "grid"]
    assert checks["unsourced"] == ["old -> part"]
    assert checks["converted-unit"] == ["ore -> part"]
    assert set(checks["old-figure"]) == {"ore -> part", "ore: gwp", "grid -> at-servers"} | {
        "at-servers -> part"
    }  # sources of 2020
    rows = found.checks.set_index("item")["row"]
    assert rows["old -> part"] == 3  # spreadsheet row of edges.csv


def test_never_cited_sources_and_mixes_are_checked():
    chain = from_tables(
        nodes=[node("m1", "mine"), node("m2", "mine"), node("metal")],
        edges=[edge("m1", "metal", 0.5), edge("m2", "metal", 0.3)],
        impacts=[impact("m1", 1.0), impact("m2", 1.0)],
        sources=[*SOURCES, {"id": "unused", "title": "Never cited"}],
    )
    checks = audit(chain, ["metal"]).checks
    assert set(checks["check"]) >= {"never-cited", "mix-not-one"}
    assert checks.loc[checks["check"] == "never-cited", "item"].tolist() == ["unused"]


def test_thresholds_name_what_fails():
    found = audit(server_chain(), ["server"])
    failures = threshold_failures(found, max_opacity=0.5)
    assert failures == ["server gwp: opacity 83.3% is above 50.0%"]
    assert threshold_failures(found, max_opacity=0.9) == []
    assert threshold_failures(found, max_missing=0.8) == [
        "server gwp: missing share 83.3% is above 80.0%"
    ]


def test_top_gaps_lists_each_gap_once_where_it_matters_most():
    found = audit(load("ai-inference"))
    top = top_gaps(found, 10)
    assert len(top) == 10 and not top["gap"].duplicated().any()
    assert list(top["rank"]) == list(range(1, 11))
    assert top["share"].is_monotonic_decreasing
    reached = top.set_index("gap")["totals_reached"]
    nodes = load("ai-inference").nodes
    services = ((nodes["kind"] == "service") & (nodes["unit"] == "1000 queries")).sum()
    # the server's amortisation sits under every service and under the hour itself (not
    # under the training run, whose cluster hours are not published)
    assert reached["server-p4de-24xlarge -> server-p4de-24xlarge-hour"] == services + 1
    assert reached["electricity-datacentre-oregon -> image-generation"] == 1


def test_audit_command_and_its_threshold_exit_code(capsys):
    code, out, err = run(capsys, "audit", "ai-inference", "image-generation")
    assert code == 0 and err == "" and "== data gaps" in out
    code, _, err = run(capsys, "audit", "ai-inference", "image-generation", "--max-opacity", "0.5")
    assert code == 3
    assert "image-generation gwp: opacity 100.0% is above 50.0%" in err
    assert run(capsys, "audit", "example", "--max-opacity", "1.5")[0] == 2


def test_audit_markdown_renders_tables(capsys):
    code, out, _ = run(
        capsys, "audit", "ai-inference", "server-p4de-24xlarge", "--format", "markdown"
    )
    assert code == 0
    lines = out.splitlines()
    title = "### data gaps, ranked by the share of the total that flows through them"
    header = lines[lines.index(title) + 2]
    assert header.startswith("| node | rank | gap |")
    assert lines[lines.index(title) + 3].startswith("|---|---:|---|")
    body = lines[lines.index(title) + 4 : lines.index(title) + 14]
    assert all(line.count(" | ") == header.count(" | ") for line in body)  # no stray pipes


def test_audit_json_and_csv(capsys):
    code, out, _ = run(capsys, "audit", "smart-speaker", "--format", "json", "--top", "0")
    sections = json.loads(out)
    assert code == 0 and any(k.startswith("coverage") for k in sections)
    code, out, _ = run(capsys, "audit", "smart-speaker", "--format", "csv")
    assert code == 0 and out.startswith("section,")


def test_report_ends_with_the_top_data_gaps(capsys):
    code, out, _ = run(capsys, "report", "--format", "json")
    titles = list(json.loads(out))
    assert code == 0 and titles[-2].startswith("top data gaps")


def test_unknown_nodes_and_categories_are_named():
    with pytest.raises(UnknownNodeError, match="did you mean"):
        audit(load("example"), ["image-generaton"])
    with pytest.raises(UnknownCategoryError, match="mercury"):
        audit(load("example"), ["image-generation"], category="mercury")


def test_sections_limit_findings_per_check():
    found = audit(load("ai-inference"), ["image-generation"])
    sections = audit_sections(found, top=3, limit=2)
    checks = sections["completeness checks"]
    assert checks.groupby("check").size().max() <= 2
    assert isinstance(sections["completeness checks: counts"], pd.DataFrame)
