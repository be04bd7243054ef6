"""Tracing a node upstream (``supplychain.trace``): requirements, contributions, path tree.

The expected values are written out to be checked by hand: requirements along a chain
are products of amounts, through a mix weighted sums, through a loop a geometric series;
contributions add up to the total of ``supplychain.propagate.totals``. The shipped graph
``example`` is checked against its figures (EcoLogits, Luccioni et al. 2024, USGS 2026).

Loops solved by sweeps are checked at ``LOOP_REL`` (see ``tests/test_propagate.py``: the
sweeps stop on a relative step of 1e-12, which leaves an error of up to ~7e-12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import count_calls, edge, impact, make, node

from supplychain import solver
from supplychain.errors import InvalidGraphError, UnknownCategoryError, UnknownNodeError
from supplychain.io import load
from supplychain.propagate import solve_chain, totals
from supplychain.trace import (
    UNKNOWN_COUNTRY,
    contributions,
    edge_contributions,
    path_tree,
    requirements,
    requirements_by_country,
    requirements_by_material,
)

EXACT = 1e-12
LOOP_REL = 10 * solver.DEFAULT_TOLERANCE


# --- building tiny graphs ---------------------------------------------------------------


def amounts(frame: pd.DataFrame, key: str = "node", column: str = "amount") -> dict:
    return dict(zip(frame[key], frame[column], strict=True))


def total_of(chain, node_: str, category: str = "gwp") -> float:
    return float(totals(chain, node=node_, category=category)["value"].iloc[0])


@pytest.fixture
def ore_metal_part():
    """ore (3 kg CO2e/kg) -> metal (5, takes 1.5 kg ore) -> part (7/item, takes 0.2 kg)."""
    return make(
        [node("ore", "mine"), node("metal"), node("part", "component", "item")],
        [edge("ore", "metal", 1.5), edge("metal", "part", 0.2)],
        [impact("ore", 3), impact("metal", 5), impact("part", 7)],
    )


@pytest.fixture(scope="module")
def example():
    return load("example")


# --- requirements ------------------------------------------------------------------------


def test_requirements_of_a_chain_are_products_of_amounts(ore_metal_part):
    """One part takes 0.2 kg metal and 0.2 * 1.5 = 0.3 kg ore; the part itself is left out."""
    found = requirements(ore_metal_part, "part")
    assert list(found.columns) == [
        "node",
        "kind",
        "name",
        "country",
        "amount",
        "unit",
        "transparency",
    ]
    assert found["node"].tolist() == ["ore", "metal"]  # upstream kinds first
    assert found["amount"].tolist() == pytest.approx([0.2 * 1.5, 0.2], rel=EXACT)
    assert found["unit"].tolist() == ["kg", "kg"]


def test_requirements_leave_out_what_is_not_upstream(ore_metal_part):
    """metal takes 1.5 kg ore, nothing of the part downstream of it."""
    found = requirements(ore_metal_part, "metal")
    assert amounts(found) == {"ore": pytest.approx(1.5, rel=EXACT)}
    assert requirements(ore_metal_part, "ore").empty


def test_requirements_through_a_mix():
    """A battery takes 8 g cobalt; cobalt is 0.6 / 0.3 / 0.1 from three mines, and a part
    takes 2 batteries: 16 g cobalt, 9.6 / 4.8 / 1.6 g from the mines."""
    chain = make(
        [
            node("mine-a", "mine"),
            node("mine-b", "mine"),
            node("mine-c", "mine"),
            node("cobalt"),
            node("battery", "component", "item"),
            node("laptop", "device", "item"),
        ],
        [
            edge("mine-a", "cobalt", 0.6),
            edge("mine-b", "cobalt", 0.3),
            edge("mine-c", "cobalt", 0.1),
            edge("cobalt", "battery", 8, unit="g"),
            edge("battery", "laptop", 2),
        ],
    )
    found = amounts(requirements(chain, "laptop"))
    assert found == {
        "mine-a": pytest.approx(0.016 * 0.6, rel=EXACT),
        "mine-b": pytest.approx(0.016 * 0.3, rel=EXACT),
        "mine-c": pytest.approx(0.016 * 0.1, rel=EXACT),
        "cobalt": pytest.approx(0.016, rel=EXACT),
        "battery": pytest.approx(2, rel=EXACT),
    }
    assert requirements(chain, "laptop")["node"].tolist()[:3] == ["mine-a", "mine-b", "mine-c"]


@pytest.mark.parametrize("r", [0.2, 0.5, 0.9, 0.999])
def test_requirements_through_a_self_loop(r):
    """A product takes 2 kg of m, and m takes r of itself: 2 (1 + r + r^2 ...) = 2/(1-r)
    of m. Traced from m itself, m takes 1/(1-r) of itself gross: more than 1, so listed."""
    chain = make(
        [node("m"), node("product", "component", "item")],
        [edge("m", "m", r), edge("m", "product", 2)],
    )
    assert amounts(requirements(chain, "product")) == {
        "m": pytest.approx(2 / (1 - r), rel=LOOP_REL)
    }
    assert amounts(requirements(chain, "m")) == {"m": pytest.approx(1 / (1 - r), rel=LOOP_REL)}


@pytest.mark.parametrize(("p", "q"), [(2.0, 0.25), (0.5, 0.5), (1.0, 0.99)])
def test_requirements_through_a_two_node_loop(p, q):
    """buyer takes 1 of b; b takes p of a; a takes q of b and 1 of feed.

    x_b = 1 + q p x_b, so x_b = 1 / (1 - p q), x_a = p x_b, x_feed = x_a. Traced from b,
    b needs x_b > 1 of itself and is listed."""
    chain = make(
        [node("feed", "mine"), node("a"), node("b"), node("buyer", "device", "item")],
        [edge("feed", "a", 1), edge("a", "b", p), edge("b", "a", q), edge("b", "buyer", 1)],
    )
    x_b = 1 / (1 - p * q)
    assert amounts(requirements(chain, "buyer")) == {
        "feed": pytest.approx(p * x_b, rel=LOOP_REL),
        "a": pytest.approx(p * x_b, rel=LOOP_REL),
        "b": pytest.approx(x_b, rel=LOOP_REL),
    }
    from_b = amounts(requirements(chain, "b"))
    assert from_b["b"] == pytest.approx(x_b, rel=LOOP_REL)
    assert from_b["a"] == pytest.approx(p * x_b, rel=LOOP_REL)


def test_a_divergent_loop_is_refused_before_any_trace():
    with pytest.raises(InvalidGraphError, match="of the loop m, which needs one unit or more"):
        make(
            [node("m"), node("product", "component", "item")],
            [edge("m", "m", 1.0), edge("m", "product", 2)],
        )


def test_requirements_of_an_unknown_node_raise_with_a_hint(ore_metal_part):
    with pytest.raises(UnknownNodeError, match="did you mean 'metal'"):
        requirements(ore_metal_part, "metall")


def test_requirements_of_a_deep_chain(monkeypatch):
    """6000 nodes in a line, each taking 0.999 of the one before: the last takes
    0.999^(5999 - i) of node i (a triangular solve: deeper than _LEVELS_FOR_DIRECT)."""
    n, r = 6000, 0.999
    calls = count_calls(monkeypatch, solver, "_triangular")
    chain = make(
        [node(f"n{i}") for i in range(n)],
        [edge(f"n{i}", f"n{i + 1}", r) for i in range(n - 1)],
    )
    found = requirements(chain, f"n{n - 1}").set_index("node")["amount"]
    assert calls
    assert len(found) == n - 1
    i = np.arange(n - 1)
    expected = pd.Series(r ** (n - 1 - i), index=[f"n{k}" for k in i])
    np.testing.assert_allclose(found.loc[expected.index], expected, rtol=EXACT)


# --- by material and by country ----------------------------------------------------------


@pytest.fixture
def cobalt_by_country():
    """Cobalt 0.5 from COD, 0.3 from IDN, 0.2 from a mine without country; a battery takes
    8 g cobalt and 2 g lithium (all from one CHL mine)."""
    return make(
        [
            node("mine-cod", "mine", country="COD"),
            node("mine-idn", "mine", country="IDN"),
            node("mine-rest", "mine"),
            node("mine-chl", "mine", country="CHL"),
            node("cobalt"),
            node("lithium"),
            node("battery", "component", "item"),
        ],
        [
            edge("mine-cod", "cobalt", 0.5),
            edge("mine-idn", "cobalt", 0.3),
            edge("mine-rest", "cobalt", 0.2),
            edge("mine-chl", "lithium", 1),
            edge("cobalt", "battery", 8, unit="g"),
            edge("lithium", "battery", 2, unit="g"),
        ],
    )


def test_requirements_by_country(cobalt_by_country):
    """8 g cobalt: 4 g COD, 2.4 g IDN, 1.6 g (unknown); shares 0.5 / 0.3 / 0.2."""
    found = requirements_by_country(cobalt_by_country, "battery")
    assert list(found.columns) == ["material", "country", "amount", "unit", "share", "mines"]
    cobalt = found[found["material"] == "cobalt"]
    assert cobalt["country"].tolist() == ["COD", "IDN", UNKNOWN_COUNTRY]
    assert UNKNOWN_COUNTRY == "(unknown)"
    assert cobalt["amount"].tolist() == pytest.approx([0.004, 0.0024, 0.0016], rel=EXACT)
    assert cobalt["share"].tolist() == pytest.approx([0.5, 0.3, 0.2], rel=EXACT)
    assert cobalt["share"].sum() == pytest.approx(1, rel=EXACT)
    assert set(cobalt["unit"]) == {"kg"}
    assert cobalt["mines"].tolist() == [1, 1, 1]
    lithium = found[found["material"] == "lithium"]
    assert lithium[["country", "share"]].values.tolist() == [["CHL", 1.0]]
    assert lithium["amount"].tolist() == pytest.approx([0.002], rel=EXACT)


def test_requirements_by_country_adds_up_mines_of_one_country():
    """Two COD mines (0.25 + 0.35) and one IDN mine (0.4): COD 0.6 from 2 mines."""
    chain = make(
        [
            node("cod-1", "mine", country="COD"),
            node("cod-2", "mine", country="COD"),
            node("idn", "mine", country="IDN"),
            node("cobalt"),
        ],
        [edge("cod-1", "cobalt", 0.25), edge("cod-2", "cobalt", 0.35), edge("idn", "cobalt", 0.4)],
    )
    found = requirements_by_country(chain, "cobalt")
    assert found[["country", "mines"]].values.tolist() == [["COD", 2], ["IDN", 1]]
    assert found["amount"].tolist() == pytest.approx([0.6, 0.4], rel=EXACT)
    assert found["share"].sum() == pytest.approx(1, rel=EXACT)


def test_requirements_by_material(cobalt_by_country):
    """8 g cobalt and 2 g lithium per battery, largest first."""
    found = requirements_by_material(cobalt_by_country, "battery")
    assert list(found.columns) == ["material", "name", "amount", "unit", "transparency"]
    assert found["material"].tolist() == ["cobalt", "lithium"]
    assert found["amount"].tolist() == pytest.approx([0.008, 0.002], rel=EXACT)


# --- contributions -----------------------------------------------------------------------


def test_contributions_of_a_chain_by_hand(ore_metal_part):
    """part 8.9 = own 7 + metal 0.2 * 5 + ore 0.3 * 3, largest first."""
    found = contributions(ore_metal_part, "part", "gwp")
    assert found["node"].tolist() == ["part", "metal", "ore"]
    assert found["amount"].tolist() == pytest.approx([1, 0.2, 0.3], rel=EXACT)
    assert found["direct"].tolist() == pytest.approx([7, 1, 0.9], rel=EXACT)
    assert found["share"].tolist() == pytest.approx([7 / 8.9, 1 / 8.9, 0.9 / 8.9], rel=EXACT)
    assert set(found["transparency"]) == {"disclosed"}


def test_contributions_add_up_to_the_total_through_a_loop():
    """feed -> a <-> b -> buyer (b takes 2 of a, a takes 0.25 of b): the own impacts
    times the requirements add up to the total; the shares to 1."""
    chain = make(
        [node("feed", "mine"), node("a"), node("b"), node("buyer", "device", "item")],
        [edge("feed", "a", 1), edge("a", "b", 2), edge("b", "a", 0.25), edge("b", "buyer", 3)],
        [impact("feed", 0.5), impact("a", 3), impact("b", 5), impact("buyer", 1)],
    )
    found = contributions(chain, "buyer", "gwp")
    assert found["direct"].sum() == pytest.approx(total_of(chain, "buyer"), rel=LOOP_REL)
    assert found["share"].sum() == pytest.approx(1, rel=LOOP_REL)
    # by hand: x_b = 3 / (1 - 0.5) = 6, x_a = x_feed = 12; 1 + 6*5 + 12*3 + 12*0.5 = 73
    assert total_of(chain, "buyer") == pytest.approx(73, rel=LOOP_REL)
    assert amounts(found, column="direct") == {
        "a": pytest.approx(36, rel=LOOP_REL),
        "b": pytest.approx(30, rel=LOOP_REL),
        "feed": pytest.approx(6, rel=LOOP_REL),
        "buyer": pytest.approx(1, rel=LOOP_REL),
    }


def test_edge_contributions_of_a_chain_by_hand(ore_metal_part):
    """metal -> part carries 0.2 kg metal = 0.2 * 9.5 = 1.9; ore -> metal 0.3 kg ore = 0.9.
    The edges into part carry its total less its own impact: 8.9 - 7."""
    found = edge_contributions(ore_metal_part, "part", "gwp")
    assert found[["source", "target"]].values.tolist() == [["metal", "part"], ["ore", "metal"]]
    assert found["flow"].tolist() == pytest.approx([0.2, 0.3], rel=EXACT)
    assert found["impact"].tolist() == pytest.approx([1.9, 0.9], rel=EXACT)
    assert found["share"].tolist() == pytest.approx([1.9 / 8.9, 0.9 / 8.9], rel=EXACT)
    assert found["unit"].tolist() == ["kg", "kg"]
    into_part = found[found["target"] == "part"]["impact"].sum()
    assert into_part == pytest.approx(8.9 - 7, rel=EXACT)


def test_edge_contributions_into_a_mix_sum_to_total_less_own_impact():
    """cobalt (own 1) from two mines 0.7 / 0.3 (10, 20): edges carry 7 and 6 = 14 - 1."""
    chain = make(
        [node("mine-a", "mine"), node("mine-b", "mine"), node("cobalt")],
        [edge("mine-a", "cobalt", 0.7, "estimated"), edge("mine-b", "cobalt", 0.3)],
        [impact("mine-a", 10), impact("mine-b", 20), impact("cobalt", 1)],
    )
    found = edge_contributions(chain, "cobalt", "gwp")
    assert amounts(found, "source", "impact") == {
        "mine-a": pytest.approx(7, rel=EXACT),
        "mine-b": pytest.approx(6, rel=EXACT),
    }
    assert amounts(found, "source", "transparency") == {
        "mine-a": "estimated",
        "mine-b": "disclosed",
    }
    assert found["impact"].sum() == pytest.approx(total_of(chain, "cobalt") - 1, rel=EXACT)


def test_contributions_of_an_unknown_category_raise(ore_metal_part):
    with pytest.raises(UnknownCategoryError, match="with data: gwp"):
        contributions(ore_metal_part, "part", "water")
    with pytest.raises(UnknownCategoryError, match="with data: gwp"):
        edge_contributions(ore_metal_part, "part", "water")


# --- path tree ---------------------------------------------------------------------------


@pytest.fixture
def fan():
    """root (own 1) takes 1 each of tiny (0.5), mid (3), big (own 2 + 1 of sub at 2) and
    small (1.5): total 10; shares big 0.4, mid 0.3, sub 0.2, small 0.15, tiny 0.05.
    The rows are given out of order, so that the tree's order is its own."""
    return make(
        [
            node("tiny"),
            node("mid"),
            node("sub", "mine"),
            node("small"),
            node("big"),
            node("root", "device", "item"),
        ],
        [
            edge("tiny", "root", 1),
            edge("mid", "root", 1, "estimated"),
            edge("small", "root", 1),
            edge("sub", "big", 1, "published"),
            edge("big", "root", 1),
        ],
        [
            impact("root", 1),
            impact("tiny", 0.5),
            impact("mid", 3),
            impact("small", 1.5),
            impact("big", 2),
            impact("sub", 2),
        ],
    )


def test_path_tree_is_depth_first_largest_first(fan):
    tree = path_tree(fan, "root", "gwp", cutoff=0)
    assert list(tree.columns) == [
        "depth",
        "node",
        "kind",
        "country",
        "amount",
        "unit",
        "impact",
        "share",
        "direct_share",
        "transparency",
        "note",
    ]
    assert tree[["depth", "node"]].values.tolist() == [
        [0, "root"],
        [1, "big"],
        [2, "sub"],
        [1, "mid"],
        [1, "small"],
        [1, "tiny"],
    ]
    assert tree["share"].tolist() == pytest.approx([1, 0.4, 0.2, 0.3, 0.15, 0.05], rel=EXACT)
    assert tree["impact"].tolist() == pytest.approx([10, 4, 2, 3, 1.5, 0.5], rel=EXACT)
    assert tree["direct_share"].tolist() == pytest.approx(
        [0.1, 0.2, 0.2, 0.3, 0.15, 0.05], rel=EXACT
    )
    assert (
        tree["transparency"].tolist()
        == ["", "disclosed", "published", "estimated"] + ["disclosed"] * 2
    )
    assert (tree["note"] == "").all()


@pytest.mark.parametrize(
    ("cutoff", "kept"),
    [
        (0.01, ["root", "big", "sub", "mid", "small", "tiny"]),
        (0.1, ["root", "big", "sub", "mid", "small"]),
        (0.25, ["root", "big", "mid"]),
        (0.5, ["root"]),
    ],
)
def test_path_tree_cutoff_drops_small_paths(fan, cutoff, kept):
    """Paths below the cutoff share are neither listed nor expanded."""
    assert path_tree(fan, "root", "gwp", cutoff=cutoff)["node"].tolist() == kept


def test_path_tree_max_rows_stops_with_a_cut_off_note(fan):
    """max_rows=3: root, big, sub, then one row noting where the tree was cut off."""
    tree = path_tree(fan, "root", "gwp", cutoff=0, max_rows=3)
    assert tree["node"].tolist() == ["root", "big", "sub", "mid"]
    assert tree["note"].tolist() == ["", "", "", "cut off"]
    untouched = path_tree(fan, "root", "gwp", cutoff=0, max_rows=6)
    assert "cut off" not in untouched["note"].tolist()


def test_path_tree_marks_a_self_loop_and_stops():
    """product (own 1) takes 2 of m; m (own 1) takes 0.5 of itself: m totals 2, product 5.
    The walk lists m, then m again at depth 2 as a loop, and does not expand it."""
    chain = make(
        [node("m"), node("product", "component", "item")],
        [edge("m", "m", 0.5), edge("m", "product", 2)],
        [impact("m", 1), impact("product", 1)],
    )
    tree = path_tree(chain, "product", "gwp", cutoff=0)
    assert tree[["depth", "node", "note"]].values.tolist() == [
        [0, "product", ""],
        [1, "m", ""],
        [2, "m", "loop"],
    ]
    assert tree["amount"].tolist() == pytest.approx([1, 2, 1], rel=LOOP_REL)
    assert tree["share"].tolist() == pytest.approx([1, 0.8, 0.4], rel=LOOP_REL)
    from_m = path_tree(chain, "m", "gwp", cutoff=0)
    assert from_m[["depth", "node", "note"]].values.tolist() == [[0, "m", ""], [1, "m", "loop"]]


def test_path_tree_marks_a_two_node_loop_and_stops():
    """x takes 2 of b; b takes 0.5 of a; a takes 0.5 of b (own 1 each): the walk goes
    x, b, a, then b again as a loop, and ends."""
    chain = make(
        [node("a"), node("b"), node("x", "component", "item")],
        [edge("a", "b", 0.5), edge("b", "a", 0.5), edge("b", "x", 2)],
        [impact("a", 1), impact("b", 1), impact("x", 1)],
    )
    tree = path_tree(chain, "x", "gwp", cutoff=0)
    assert tree[["depth", "node", "note"]].values.tolist() == [
        [0, "x", ""],
        [1, "b", ""],
        [2, "a", ""],
        [3, "b", "loop"],
    ]
    # H_b = 1 + 0.5 (1 + 0.5 H_b) = 2, H_a = 2, H_x = 5: b 4/5, a 2/5, b again 1/5
    assert tree["share"].tolist() == pytest.approx([1, 0.8, 0.4, 0.2], rel=LOOP_REL)


def test_path_tree_of_a_node_without_a_total_raises():
    chain = make([node("a"), node("b")], [edge("a", "b", 1)], [impact("a", 0), impact("b", 0)])
    with pytest.raises(UnknownNodeError, match="no total"):
        path_tree(chain, "b", "gwp")


# --- the shipped graph -------------------------------------------------------------------

# 1 g each of cobalt and tantalum per GPU, 8 GPUs per server: 0.008 kg of each per server.
USGS_COBALT = {"COD": 230000 / 310000, "IDN": 44000 / 310000, UNKNOWN_COUNTRY: 36000 / 310000}


def test_example_gwp_of_image_generation(example):
    """2.907 kWh at 0.38355 kg CO2e/kWh, plus 8.2497e-5 of a server: 5700 kg CO2e and 8
    GPUs of 164 each with 1 g tantalum (260 kg CO2e/kg) and 1 g cobalt (8.3), per 1000
    queries."""
    expected = 2.907 * 0.38355 + 8.249723033672611e-05 * (
        5700 + 8 * (164 + 0.001 * 260 + 0.001 * 8.3)
    )
    row = totals(example, node="image-generation", category="gwp").iloc[0]
    assert row["value"] == pytest.approx(expected, rel=EXACT)
    assert (row["unit"], row["per"]) == ("kg CO2e", "1000 queries")


def test_example_cobalt_per_server_by_country(example):
    """0.008 kg cobalt per server, split by the USGS 2025 mine production shares."""
    found = requirements_by_country(example, "server-8xa100")
    cobalt = found[found["material"] == "cobalt"]
    assert cobalt["country"].tolist() == ["COD", "IDN", UNKNOWN_COUNTRY]
    assert amounts(cobalt, "country") == {
        country: pytest.approx(0.008 * share, rel=EXACT) for country, share in USGS_COBALT.items()
    }
    assert amounts(cobalt, "country", "share") == {
        country: pytest.approx(share, rel=EXACT) for country, share in USGS_COBALT.items()
    }
    assert set(cobalt["unit"]) == {"kg"}
    materials = requirements_by_material(example, "server-8xa100")
    assert amounts(materials, "material") == {
        "cobalt": pytest.approx(0.008, rel=EXACT),
        "tantalum": pytest.approx(0.008, rel=EXACT),
    }


def test_example_contributions_and_edges_add_up(example):
    """image-generation has no own impact: its two input edges carry all of its total,
    and the own impacts of everything upstream add up to it too."""
    solution = solve_chain(example)
    total = total_of(solution, "image-generation")
    found = contributions(solution, "image-generation", "gwp")
    assert found["direct"].sum() == pytest.approx(total, rel=EXACT)
    assert found["share"].sum() == pytest.approx(1, rel=EXACT)
    edges = edge_contributions(solution, "image-generation", "gwp")
    into = edges[edges["target"] == "image-generation"]
    assert set(into["source"]) == {"electricity-usa", "server-8xa100"}
    assert into["impact"].sum() == pytest.approx(total, rel=EXACT)
    electricity = into[into["source"] == "electricity-usa"]["impact"].iloc[0]
    assert electricity == pytest.approx(2.907 * 0.38355, rel=EXACT)


def test_example_path_tree(example):
    """Electricity (~66%) comes before the server (~34%); shares of depth 1 add up to 1."""
    tree = path_tree(example, "image-generation", "gwp", cutoff=0)
    assert tree.iloc[0][["depth", "node"]].tolist() == [0, "image-generation"]
    first_level = tree[tree["depth"] == 1]
    assert first_level["node"].tolist() == ["electricity-usa", "server-8xa100"]
    assert first_level["share"].sum() == pytest.approx(1, rel=EXACT)
    assert (tree["note"] == "").all()
