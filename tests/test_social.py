"""Social risk: levels with evidence and exposure by mass, carried along the edges."""

import json

import numpy as np
import pytest
from conftest import SOURCES, edge, node
from conftest import run_cli as run

from supplychain.errors import InvalidGraphError, UnknownNodeError
from supplychain.io import load
from supplychain.social import evidence, exposure, indicators, mined_mass, risk_levels
from supplychain.tables import from_tables


def phone_chain(social, mines=(("mine-cd", "COD", 0.75), ("mine-au", "AUS", 0.25)), extra=()):
    """Mines -> cobalt (a mix) -> battery (8 g) -> phone (1 battery)."""
    nodes = [node(m, "mine", country=c) for m, c, _ in mines] + [
        node("cobalt"),
        node("battery", "component", "item"),
        node("phone", "device", "item"),
    ]
    edges = [edge(m, "cobalt", share, "published") for m, _, share in mines] + [
        edge("cobalt", "battery", 8, "published", unit="g"),
        edge("battery", "phone", 1, "published"),
        *extra,
    ]
    return from_tables(nodes=nodes, edges=edges, social=social, sources=SOURCES)


def listed(node_id, indicator="child_labour", level="high", transparency="published"):
    return {
        "node": node_id,
        "indicator": indicator,
        "level": level,
        "transparency": transparency,
        "source": "s",
    }


def by_indicator(frame):
    return frame.set_index("indicator")


def test_a_listed_drc_mine_makes_the_battery_and_the_phone_high():
    chain = phone_chain([listed("mine-cd")])
    for consumer in ("battery", "phone"):
        level = by_indicator(risk_levels(chain, consumer)).loc["child_labour"]
        assert level["level"] == "high" and level["worst_node"] == "mine-cd"
        assert level["country"] == "COD" and level["unknown_mines"] == 1
    found = evidence(chain, "phone", "child_labour")
    assert found.loc[0, "path"] == "mine-cd > cobalt > battery > phone"
    assert found.loc[0, "mined"] == pytest.approx(0.006)  # 8 g x 0.75
    exposed = by_indicator(exposure(chain, "phone")).loc["child_labour"]
    assert exposed["exposed"] == pytest.approx(0.006)
    assert exposed["mined"] == pytest.approx(0.008)
    assert exposed["share"] == pytest.approx(0.75)
    assert exposed["expected_share"] == pytest.approx(0)  # rests on published data only
    assert exposed["unassessed_share"] == pytest.approx(0.25)  # the Australian mine: no data


def test_a_disclosed_conflict_free_supplier_is_not_high():
    mines = (("supplier-x", "AUS", 1.0),)
    social = [
        listed("supplier-x", "child_labour", "none", "disclosed"),
        listed("supplier-x", "conflict", "none", "disclosed"),
    ]
    chain = phone_chain(social, mines)
    levels = by_indicator(risk_levels(chain, "phone"))
    assert levels.loc["child_labour", "level"] == "none"
    assert levels.loc["conflict", "level"] == "none"
    assert levels.loc["child_labour", "unknown_mines"] == 0
    assert levels.loc["forced_labour", "level"] == "unknown"  # no data is not "none"
    exposed = by_indicator(exposure(chain, "phone"))
    assert exposed.loc["child_labour", "exposed"] == 0  # looked at, and none found
    assert exposed.loc["child_labour", "unassessed_share"] == 0
    assert np.isnan(exposed.loc["forced_labour", "exposed"])  # nobody looked: unknown
    assert np.isnan(exposed.loc["forced_labour", "share"])
    assert exposed.loc["forced_labour", "unassessed_share"] == 1
    assert evidence(chain, "phone", "forced_labour").empty


def test_an_unknown_origin_carries_the_expected_exposure_of_its_prior_mix():
    nodes = [
        node("mine-cd", "mine", country="COD"),
        node("mine-au", "mine", country="AUS"),
        node("cobalt-unknown-origin", transparency="missing"),
        node("cobalt"),
        node("battery", "component", "item"),
    ]
    edges = [
        edge("mine-cd", "cobalt-unknown-origin", 0.7, "estimated"),
        edge("mine-au", "cobalt-unknown-origin", 0.3, "estimated"),
        edge("cobalt-unknown-origin", "cobalt", 1.0, "missing"),
        edge("cobalt", "battery", 10, "published", unit="g"),
    ]
    chain = from_tables(nodes=nodes, edges=edges, social=[listed("mine-cd")], sources=SOURCES)
    exposed = by_indicator(exposure(chain, "battery")).loc["child_labour"]
    assert exposed["exposed"] == pytest.approx(0.007)  # 10 g x the DRC's 70 % of the prior
    assert exposed["expected_share"] == pytest.approx(1)  # all of it rests on the prior


def test_a_kilogram_passing_two_listed_nodes_counts_once():
    chain = phone_chain([listed("mine-cd"), listed("cobalt"), listed("battery")])
    exposed = by_indicator(exposure(chain, "phone")).loc["child_labour"]
    assert exposed["exposed"] == pytest.approx(0.008)  # the smelter exposes all its mass
    assert exposed["share"] == pytest.approx(1)


def test_loops_terminate_with_the_geometric_sum():
    """The phone returns 0.5 kg of scrap per phone into cobalt: a loop."""
    recycled = [edge("phone", "cobalt", 0.1, "estimated")]  # 0.1 phones per kg of cobalt
    chain = phone_chain([listed("mine-cd")], mines=(("mine-cd", "COD", 0.9),), extra=recycled)
    x_cobalt = 0.008 / (1 - 0.008 * 0.1)  # cobalt per phone, through the loop
    assert mined_mass(chain)[3] == pytest.approx(0.9 * x_cobalt)
    assert risk_levels(chain, "phone").loc[0, "level"] == "high"
    exposed = by_indicator(exposure(chain, "phone")).loc["child_labour"]
    assert exposed["exposed"] == pytest.approx(0.9 * x_cobalt)


def test_indicators_can_be_added_by_data(tmp_path):
    chain = from_tables(
        nodes=[node("m", "mine")],
        categories=[
            {"id": "water_rights", "name": "Water rights", "unit": "kg", "group": "social"}
        ],
        social=[listed("m", "water_rights", "medium")],
        sources=SOURCES,
    )
    assert indicators(chain)[-1] == "water_rights"
    assert by_indicator(risk_levels(chain, "m")).loc["water_rights", "level"] == "medium"
    with pytest.raises(InvalidGraphError, match="group social"):
        from_tables(nodes=[node("m", "mine")], social=[listed("m", "riots")], sources=SOURCES)


def test_every_mine_without_a_known_level_is_counted():
    chain = phone_chain([listed("mine-au", "child_labour", "unknown", "missing")])
    level = by_indicator(risk_levels(chain, "phone")).loc["child_labour"]
    assert level["level"] == "unknown" and level["unknown_mines"] == 2


@pytest.mark.parametrize(
    "graph, device", [("ai-inference", "server-p4de-24xlarge"), ("smart-speaker", "smart-speaker")]
)
def test_shipped_devices_name_indicators_materials_countries_and_mass(graph, device):
    chain = load(graph)
    levels = by_indicator(risk_levels(chain, device))
    assert levels.loc["child_labour", "level"] == "high"
    assert levels.loc["forced_labour", "level"] == "high"
    assert levels.loc["conflict", "level"] == "high"  # 3TG from the DRC and its neighbours
    assert levels.loc["land_rights", "level"] == "unknown"  # no source covers it yet
    forced = evidence(chain, device, "forced_labour")
    assert {"tantalum-mining-cod", "tin-mining-cod"} <= set(forced["source_node"])
    assert (forced["country"] == "COD").all()
    assert forced["path"].str.contains("tantalum > ").any()
    exposed = by_indicator(exposure(chain, device))
    assert 0 < exposed.loc["forced_labour", "exposed"] < exposed.loc["child_labour", "exposed"]
    assert np.isclose(exposed.loc["child_labour", "expected_share"], 1)


def test_social_command(capsys):
    code, out, _ = run(capsys, "social", "smart-speaker", "smart-speaker", "--format", "json")
    sections = json.loads(out)
    assert code == 0
    assert [k.split(":")[0] for k in sections if k.startswith("evidence")] == ["evidence"] * 3
    code, out, _ = run(
        capsys, "social", "ai-inference", "image-generation", "--indicator", "forced_labour"
    )
    assert code == 0 and "tantalum-mining-cod" in out and "child_labour" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["social", "example", "image-generation", "--indicator", "riots"], "no indicator 'riots'"),
        (["social", "example", "image-generaton"], "did you mean 'image-generation'"),
    ],
)
def test_social_command_names_what_is_unknown(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err


def test_report_lists_the_social_risks_of_services_and_devices(capsys):
    code, out, _ = run(capsys, "report", "--format", "json")
    (risks,) = [v for k, v in json.loads(out).items() if k.startswith("social risks")]
    server = [r for r in risks if r["node"] == "server-p4de-24xlarge"]
    assert code == 0
    assert {r["indicator"] for r in server} == {"child_labour", "forced_labour", "conflict"}
    assert all(r["exposed"] > 0 and r["worst_node"] for r in server)


def test_an_unknown_node_is_named():
    with pytest.raises(UnknownNodeError):
        risk_levels(load("example"), "nowhere")


def test_an_unknown_indicator_is_its_own_error():
    from supplychain.errors import UnknownIndicatorError
    from supplychain.social import evidence

    with pytest.raises(UnknownIndicatorError, match="no indicator 'riots'"):
        evidence(load("example"), "image-generation", "riots")
