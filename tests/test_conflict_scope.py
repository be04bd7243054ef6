"""The US conflict minerals rule's scope at every level: a named mine keeps its country's
scope, and a smelter in a covered country carries it for the metal that passes it."""

import pandas as pd
import pytest

from supplychain.audit import audit
from supplychain.io import load
from supplychain.mixes import conflict_scope, listing_scope, production_shares
from supplychain.reference import read_table
from supplychain.social import exposure
from supplychain.tables import from_tables

COVERED = set(read_table("conflict_minerals")["country"])


def test_a_named_mine_keeps_the_scope_of_its_country():
    chain = load("ai-inference")
    social = chain.social.set_index(["node", "indicator"])
    assert social.loc[("tin-mine-bisie", "conflict"), "level"] == "high"
    assert "a mine" in social.loc[("tin-mine-bisie", "conflict"), "note"]
    # the DOL lists countries, not mines: Bisie takes none of the country's listings
    assert ("tin-mine-bisie", "child_labour") not in social.index


def test_tins_conflict_exposure_is_the_rules_share_of_production():
    """Tin per kg from covered countries: DR Congo (Bisie carved out of it) and Rwanda,
    about 10 %, where it read 4.3 % with Bisie outside the scope."""
    shares = production_shares("tin")
    covered = shares.loc[shares["country"].isin(COVERED), "share"].sum()
    found = exposure(load("ai-inference"), "tin").set_index("indicator").loc["conflict"]
    assert found["share"] == pytest.approx(covered, rel=1e-9)
    assert 0.09 < covered < 0.11


def smelters(flagged: bool):
    """Bolivian tin (outside the rule's scope) smelted in Rwanda (inside it) and in
    Malaysia, 60/40, into tin for a board; with or without the scope's rows."""
    nodes = [
        {"id": "tin-mine-bol", "kind": "mine", "unit": "kg", "country": "BOL"},
        {"id": "smelter-rwa", "kind": "material", "unit": "kg", "country": "RWA"},
        {"id": "smelter-mys", "kind": "material", "unit": "kg", "country": "MYS"},
        {"id": "tin", "kind": "material", "unit": "kg"},
        {"id": "cobalt-refinery-cod", "kind": "material", "unit": "kg", "country": "COD"},
        {"id": "cobalt", "kind": "material", "unit": "kg"},
        {"id": "board", "kind": "component", "unit": "kg"},
    ]
    edges = [
        {"source": "tin-mine-bol", "target": "smelter-rwa", "amount": 1.0},
        {"source": "tin-mine-bol", "target": "smelter-mys", "amount": 1.0},
        {"source": "smelter-rwa", "target": "tin", "amount": 0.6},
        {"source": "smelter-mys", "target": "tin", "amount": 0.4},
        {"source": "cobalt-refinery-cod", "target": "cobalt", "amount": 1.0},
        {"source": "tin", "target": "board", "amount": 0.01},
        {"source": "cobalt", "target": "board", "amount": 0.001},
    ]
    social = [{"node": "tin-mine-bol", "indicator": "conflict", "level": "none"}]
    rows = conflict_scope(pd.DataFrame(nodes), pd.DataFrame(edges), pd.DataFrame(social))
    if flagged:
        social += rows.to_dict("records")
    chain = from_tables(
        nodes=nodes,
        edges=edges,
        impacts=[{"node": "tin-mine-bol", "category": "gwp", "value": 17.1}],
        social=social,
        sources=[
            {"id": s, "title": s}
            for s in sorted({s for r in social for s in str(r.get("source") or "").split(";") if s})
        ],
    )
    return chain, rows


def test_a_smelter_in_a_covered_country_carries_the_scope_for_what_passes_it():
    chain, rows = smelters(flagged=True)
    # Rwanda is covered and its smelter supplies tin; cobalt is not a conflict mineral
    assert list(rows["node"]) == ["smelter-rwa"]
    assert "smelter or refiner" in rows["note"].iloc[0]
    found = exposure(chain, "board").set_index("indicator").loc["conflict"]
    assert found["mined"] == pytest.approx(0.01)  # the tin's kg per kg of board
    assert found["exposed"] == pytest.approx(0.006)  # the 60 % through Rwanda
    assert found["share"] == pytest.approx(0.6)


def test_the_audit_names_a_site_in_scope_without_a_conflict_level():
    unflagged, _ = smelters(flagged=False)
    checks = audit(unflagged, samples=None).checks
    found = checks[checks["check"] == "conflict-scope"]
    assert list(found["item"]) == ["smelter-rwa"]
    flagged, _ = smelters(flagged=True)
    checks = audit(flagged, samples=None).checks
    assert (checks["check"] != "conflict-scope").all()


@pytest.mark.parametrize("name", ["ai-inference", "smart-speaker", "llm-inference"])
def test_no_shipped_site_in_scope_lacks_its_level(name):
    chain = load(name)
    assert conflict_scope(chain.nodes, chain.edges, chain.social).empty


def test_the_labour_list_reaches_factories_and_processors_of_listed_countries():
    """The DOL list names electronics from China (child and forced labour) and Malaysia
    (forced), and polysilicon from China (forced): those levels go on the parts and
    devices made there, and on a silicon plant there that supplies silicon."""
    nodes = pd.DataFrame(
        {
            "id": ["board-chn", "phone-mys", "board-twn", "poly-chn", "silicon", "ore-chn"],
            "kind": ["component", "device", "component", "material", "material", "mine"],
            "country": ["CHN", "MYS", "TWN", "CHN", "", "CHN"],
        }
    )
    edges = pd.DataFrame({"source": ["poly-chn"], "target": ["silicon"]})
    rows = listing_scope(nodes, edges)
    found = sorted(zip(rows["node"], rows["indicator"], strict=True))
    assert found == [
        ("board-chn", "child_labour"),
        ("board-chn", "forced_labour"),
        ("phone-mys", "forced_labour"),
        ("poly-chn", "forced_labour"),
    ]  # not Taiwan (unlisted), not a mine (its listings come with the mining layer)
    assert (rows["level"] == "high").all() and rows["note"].str.contains("DOL list").all()


def test_the_audit_names_a_factory_of_a_listed_country_without_its_level():
    chain = from_tables(
        nodes=[
            {"id": "board", "kind": "component", "unit": "item", "country": "CHN"},
            {"id": "server", "kind": "device", "unit": "item"},
        ],
        edges=[{"source": "board", "target": "server", "amount": 1.0}],
        impacts=[{"node": "board", "category": "gwp", "value": 5.0}],
    )
    checks = audit(chain, samples=None).checks
    found = checks[checks["check"] == "listed-good"]
    assert list(found["item"]) == ["board"] and "Electronics" in found["detail"].iloc[0]


@pytest.mark.parametrize("name", ["ai-inference", "smart-speaker", "llm-inference"])
def test_no_shipped_part_of_a_listed_country_lacks_its_level(name):
    # none has a sourced country of assembly yet (the README says so)
    chain = load(name)
    assert listing_scope(chain.nodes, chain.edges, chain.social).empty


def test_country_codes_match_whatever_their_case():
    """'rwa' and ' chn' are Rwanda and China: the scopes found nothing for them before."""
    nodes = pd.DataFrame(
        {
            "id": ["smelter", "tin", "board"],
            "kind": ["material", "material", "component"],
            "country": ["rwa", "", " chn"],
        }
    )
    edges = pd.DataFrame({"source": ["smelter", "tin"], "target": ["tin", "board"]})
    assert list(conflict_scope(nodes, edges)["node"]) == ["smelter"]
    assert set(listing_scope(nodes, edges)["node"]) == {"board"}
