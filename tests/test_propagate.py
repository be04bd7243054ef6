"""Total impacts and opacity (``supplychain.propagate``) and the solver under them.

Every expected value here is written out so that it can be checked by hand: a chain is a
sum of products, a mix a weighted sum, a loop a geometric series with a closed form, and
the opacity split a ratio of the parts of a total by the least transparent datum they
rest on. The property tests compare the solver with a dense ``numpy.linalg.solve``.

Precision. Acyclic graphs are solved exactly (one sweep or one triangular solve); loops
solved by Gauss-Seidel sweeps stop once the error left, bounded from the rate at which
the changes shrink, is below ``solver.DEFAULT_TOLERANCE`` (1e-12) relative to every
value; loops routed through the exact fallback are exact. Everything is checked at
``rel=1e-12`` (``LOOP_REL`` names the tolerance where a loop is swept).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import count_calls, edge, impact, make, node
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain import solver
from supplychain.errors import (
    DivergentLoopError,
    InvalidGraphError,
    UnknownCategoryError,
    UnknownNodeError,
)
from supplychain.propagate import TOTALS_COLUMNS, Solution, solve_chain, totals

EXACT = 1e-12
LOOP_REL = solver.DEFAULT_TOLERANCE
SHARES = ["published_share", "estimated_share", "missing_share"]


# --- building tiny graphs ---------------------------------------------------------------


def value_of(frame: pd.DataFrame, node_: str, category: str = "gwp") -> float:
    return float(row_of(frame, node_, category)["value"])


def row_of(frame: pd.DataFrame, node_: str, category: str = "gwp") -> pd.Series:
    row = frame[(frame["node"] == node_) & (frame["category"] == category)]
    assert len(row) == 1, f"expected one row for {node_}/{category}"
    return row.iloc[0]


@pytest.fixture
def fallback_calls(monkeypatch) -> list[int]:
    """Counts the calls of the exact block solve (``solver._by_components``)."""
    return count_calls(monkeypatch, solver, "_by_components")


# --- chains and mixes -------------------------------------------------------------------


@pytest.fixture
def ore_metal_part():
    """ore (3 kg CO2e/kg) -> metal (5, takes 1.5 kg ore) -> part (7/item, takes 0.2 kg)."""
    return make(
        [node("ore", "mine"), node("metal"), node("part", "component", "item")],
        [edge("ore", "metal", 1.5), edge("metal", "part", 0.2)],
        [impact("ore", 3), impact("metal", 5), impact("part", 7)],
    )


def test_three_node_chain_totals_are_the_hand_sum(ore_metal_part):
    """ore 3; metal 5 + 1.5*3 = 9.5; part 7 + 0.2*(5 + 1.5*3) = 8.9 kg CO2e."""
    result = totals(ore_metal_part)
    assert value_of(result, "ore") == pytest.approx(3, rel=EXACT)
    assert value_of(result, "metal") == pytest.approx(5 + 1.5 * 3, rel=EXACT)
    assert value_of(result, "part") == pytest.approx(7 + 0.2 * (5 + 1.5 * 3), rel=EXACT)


def test_totals_columns_units_and_kinds(ore_metal_part):
    """Columns are TOTALS_COLUMNS; unit is the category's unit, per the node's unit."""
    result = totals(ore_metal_part)
    assert list(result.columns) == TOTALS_COLUMNS
    assert result["node"].tolist() == ["ore", "metal", "part"]  # graph order
    assert result["kind"].tolist() == ["mine", "material", "component"]
    assert set(result["category"]) == {"gwp"}
    assert set(result["unit"]) == {"kg CO2e"}
    assert result["per"].tolist() == ["kg", "kg", "item"]


def test_units_of_every_category_with_data():
    """Two categories: each row carries its own category's unit, the node's unit as per."""
    chain = make(
        [node("grid", "energy", "kWh")],
        impacts=[impact("grid", 0.4), impact("grid", 3, category="water", unit="L")],
    )
    result = totals(chain)
    assert list(result.columns) == TOTALS_COLUMNS
    assert dict(zip(result["category"], result["unit"], strict=True)) == {
        "gwp": "kg CO2e",
        "water": "m3",
    }
    assert set(result["per"]) == {"kWh"}
    assert value_of(result, "grid", "water") == pytest.approx(0.003, rel=EXACT)  # 3 L in m3


def test_sourcing_mix_gives_the_weighted_total():
    """Cobalt from two mines 0.7 / 0.3 (10 and 20 kg CO2e/kg) plus its own 1: 1 + 7 + 6."""
    chain = make(
        [node("mine-a", "mine"), node("mine-b", "mine"), node("cobalt"), node("cell", "component")],
        [
            edge("mine-a", "cobalt", 0.7),
            edge("mine-b", "cobalt", 0.3),
            edge("cobalt", "cell", 0.05),
        ],
        [impact("mine-a", 10), impact("mine-b", 20), impact("cobalt", 1)],
    )
    result = totals(chain)
    assert value_of(result, "cobalt") == pytest.approx(1 + 0.7 * 10 + 0.3 * 20, rel=EXACT)
    assert value_of(result, "cell") == pytest.approx(0.05 * 14, rel=EXACT)


def test_units_convert_along_a_chain():
    """250 g of a kg metal per item; 400 g CO2e/kWh; 0.003 kWh/query for '1000 queries'.

    metal 2 kg CO2e/kg -> server 0.25 * 2 = 0.5 kg CO2e/item; grid 0.4 kg CO2e/kWh;
    chat (1000 queries): 3 kWh * 0.4 + 1e-4 server * 0.5 = 1.2 + 5e-5 kg CO2e.
    """
    chain = make(
        [
            node("metal"),
            node("server", "device", "item"),
            node("grid", "energy", "kWh"),
            node("chat", "service", "1000 queries"),
        ],
        [
            edge("metal", "server", 250, unit="g"),
            edge("grid", "chat", 0.003, unit="kWh/query"),
            edge("server", "chat", 1e-4, unit="item"),
        ],
        [impact("metal", 2), impact("grid", 400, unit="g CO2e/kWh")],
    )
    result = totals(chain)
    assert value_of(result, "server") == pytest.approx(0.25 * 2, rel=EXACT)
    assert value_of(result, "grid") == pytest.approx(0.4, rel=EXACT)
    assert value_of(result, "chat") == pytest.approx(3 * 0.4 + 1e-4 * 0.5, rel=EXACT)
    assert row_of(result, "chat")["per"] == "1000 queries"
    assert row_of(result, "chat")["unit"] == "kg CO2e"


def test_solve_chain_matches_totals_and_is_reusable(ore_metal_part):
    """A Solution gives the same table as the graph; H is (nodes x categories)."""
    solution = solve_chain(ore_metal_part)
    assert isinstance(solution, Solution)
    assert solution.H.shape == (3, 1)
    assert solution.plan.acyclic
    assert solution.H[:, 0].tolist() == pytest.approx([3, 9.5, 8.9], rel=EXACT)
    pd.testing.assert_frame_equal(totals(solution), totals(ore_metal_part))


def test_node_without_any_impact_upstream_has_no_total_not_zero():
    chain = make([node("a"), node("b")], [edge("a", "b", 2)], [impact("b", 1)])
    result = totals(chain)
    assert math.isnan(value_of(result, "a"))  # no figure at all: no data, not 0
    assert value_of(result, "b") == 1
    zero = make([node("a"), node("b")], [edge("a", "b", 2)], [impact("a", 0), impact("b", 1)])
    assert value_of(totals(zero), "a") == 0  # a figure of 0 is a figure


# --- filters -----------------------------------------------------------------------------


def test_totals_filters_by_node_and_category(ore_metal_part):
    only_metal = totals(ore_metal_part, node="metal")
    assert only_metal["node"].tolist() == ["metal"]
    assert only_metal["value"].tolist() == pytest.approx([9.5], rel=EXACT)
    assert list(only_metal.columns) == TOTALS_COLUMNS
    both = totals(ore_metal_part, node="part", category="gwp")
    assert both[["node", "category"]].values.tolist() == [["part", "gwp"]]
    assert totals(ore_metal_part, category="gwp")["node"].tolist() == ["ore", "metal", "part"]


def test_totals_filter_by_category_among_several():
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 2)],
        [impact("ore", 1), impact("ore", 5, category="energy")],
    )
    energy = totals(chain, category="energy")
    assert energy["category"].unique().tolist() == ["energy"]
    assert energy["value"].tolist() == pytest.approx([5, 10], rel=EXACT)
    assert set(energy["unit"]) == {"MJ"}


def test_unknown_node_raises_with_a_hint(ore_metal_part):
    with pytest.raises(UnknownNodeError, match=r"no node 'metl'.*did you mean 'metal'"):
        totals(ore_metal_part, node="metl")


@pytest.mark.parametrize("category", ["gwpp", "water"])
def test_unknown_category_raises_naming_the_categories_with_data(ore_metal_part, category):
    """A typo, or a built-in category without any data in this graph."""
    with pytest.raises(UnknownCategoryError, match=rf"'{category}'.*with data: gwp"):
        totals(ore_metal_part, category=category)


# --- loops: geometric series -------------------------------------------------------------


@pytest.mark.parametrize("r", [0.1, 0.5, 0.7, 0.88, 0.9, 0.99, 0.999])
def test_self_loop_is_a_geometric_series(r):
    """m takes r of itself, direct impact b: b (1 + r + r^2 + ...) = b / (1 - r)."""
    b = 3.0
    chain = make(
        [node("m"), node("product", "component", "item")],
        [edge("m", "m", r), edge("m", "product", 2)],
        [impact("m", b)],
    )
    result = totals(chain)
    assert value_of(result, "m") == pytest.approx(b / (1 - r), rel=LOOP_REL)
    assert value_of(result, "product") == pytest.approx(2 * b / (1 - r), rel=LOOP_REL)


@pytest.mark.parametrize("r", [0.99, 0.999, 1 - 1e-6])
def test_slow_loop_goes_through_the_exact_fallback(r, fallback_calls):
    """Sweeps would need too many rounds: the exact block solve answers, exactly."""
    b = 2.0
    chain = make([node("m")], [edge("m", "m", r)], [impact("m", b)])
    solution = solve_chain(chain, opacity=False)
    assert fallback_calls, "the slow loop should be solved by the exact fallback"
    assert solution.H[0, 0] == pytest.approx(b / (1 - r), rel=EXACT)


def test_a_loop_whose_changes_shrink_every_other_sweep_is_still_exact():
    """Metal -> part -> metal with a gain of 8e-5: the sweeps' changes run 8e-5, 8e-5,
    7e-9, 7e-9 ...; stopping on the ratio of the last two left an error of 7e-9."""
    A = sp.lil_array((6, 6))
    A[5, 2] = A[3, 2] = 0.44651162790697674
    A[4, 2], A[2, 4] = 0.0069767441860465115, 0.01171875
    demand = np.zeros(6)
    demand[4] = 1.0
    found = solver.solve(solver.plan(A.tocsr()), demand)
    exact = np.linalg.solve(np.eye(6) - A.toarray().T, demand)
    assert np.allclose(found, exact, rtol=1e-12, atol=0)


def test_fast_loop_converges_by_sweeps(fallback_calls):
    """A loop of r = 0.1 settles in a few sweeps, without the fallback."""
    chain = make([node("m")], [edge("m", "m", 0.1)], [impact("m", 9)])
    assert solve_chain(chain, opacity=False).H[0, 0] == pytest.approx(10, rel=LOOP_REL)
    assert fallback_calls == []


@pytest.mark.parametrize(("p", "q"), [(2.0, 0.25), (0.5, 0.5), (4.0, 0.2), (1.0, 0.999)])
def test_two_node_loop_closed_form(p, q):
    """b takes p of a, a takes q of b (and 1 of a feed, b sells to a buyer).

    H_a = beta_a + q H_b, H_b = beta_b + p H_a, so
    H_a = (beta_a + q beta_b) / (1 - p q), H_b = (beta_b + p beta_a) / (1 - p q).
    """
    beta_feed, beta_a, beta_b = 0.5, 3.0, 5.0
    chain = make(
        [node("feed", "mine"), node("a"), node("b"), node("buyer", "component", "item")],
        [edge("feed", "a", 1), edge("a", "b", p), edge("b", "a", q), edge("b", "buyer", 2)],
        [impact("feed", beta_feed), impact("a", beta_a), impact("b", beta_b)],
    )
    result = totals(chain)
    own_a = beta_a + beta_feed  # a's direct impact plus what the feed brings in
    h_a = (own_a + q * beta_b) / (1 - p * q)
    h_b = (beta_b + p * own_a) / (1 - p * q)
    assert value_of(result, "a") == pytest.approx(h_a, rel=LOOP_REL)
    assert value_of(result, "b") == pytest.approx(h_b, rel=LOOP_REL)
    assert value_of(result, "buyer") == pytest.approx(2 * h_b, rel=LOOP_REL)
    assert value_of(result, "feed") == pytest.approx(beta_feed, rel=EXACT)


@pytest.mark.parametrize("r", [0.1, 0.5, 0.9, 0.999])
def test_three_node_loop_closed_form(r):
    """a -> b -> c -> a with amounts 0.5, 4 and r/2 (product r).

    H_a = beta_a + s H_c, H_c = beta_c + q H_b, H_b = beta_b + p H_a, so
    H_a = (beta_a + s beta_c + s q beta_b) / (1 - p q s).
    """
    p, q, s = 0.5, 4.0, r / 2
    beta = {"a": 3.0, "b": 5.0, "c": 7.0}
    chain = make(
        [node("a"), node("b"), node("c")],
        [edge("a", "b", p), edge("b", "c", q), edge("c", "a", s)],
        [impact(n, v) for n, v in beta.items()],
    )
    result = totals(chain)
    h_a = (beta["a"] + s * beta["c"] + s * q * beta["b"]) / (1 - p * q * s)
    h_b = beta["b"] + p * h_a
    h_c = beta["c"] + q * h_b
    assert value_of(result, "a") == pytest.approx(h_a, rel=LOOP_REL)
    assert value_of(result, "b") == pytest.approx(h_b, rel=LOOP_REL)
    assert value_of(result, "c") == pytest.approx(h_c, rel=LOOP_REL)


def test_solver_docstring_example_by_hand():
    """y0 = 1 + 0.25 y1, y1 = 2 y0: y0 = 2, y1 = 4; a 1-D right-hand side stays 1-D."""
    M = sp.csr_array(np.array([[0.0, 2.0], [0.25, 0.0]]))
    Y = solver.solve(solver.plan(M), np.array([1.0, 0.0]))
    assert Y.shape == (2,)
    assert Y.tolist() == pytest.approx([2.0, 4.0], rel=LOOP_REL)


# --- divergent loops ---------------------------------------------------------------------


def _assert_names_only(error: DivergentLoopError, inside: set[str], outside: set[str]):
    """The error lists exactly the loop's nodes, in its attribute and in its message."""
    assert set(error.nodes) == inside
    named = re.fullmatch(r"the loop (.+) needs one unit or more of itself.*", str(error))
    assert named, str(error)
    assert set(named.group(1).split(", ")) == inside
    assert not outside & set(named.group(1).split(", "))


def _refused_both_ways(nodes, edges, impacts, inside: set[str], outside: set[str]):
    """Loading the graph is refused by validation, naming the loop and its rows; and the
    solver, given the same system as matrices, refuses it naming exactly the loop."""
    with pytest.raises(InvalidGraphError) as caught:
        make(nodes, edges, impacts)
    (problem,) = [p for p in caught.value.problems if p.code == "divergent-loop"]
    named = re.search(r"of the loop (.+?), which needs one unit or more of itself", problem.message)
    assert named and set(named.group(1).split(", ")) == inside, problem.message
    ids = [n["id"] for n in nodes]
    M = sp.csr_array(
        (
            [e["amount"] for e in edges],
            ([ids.index(e["source"]) for e in edges], [ids.index(e["target"]) for e in edges]),
        ),
        shape=(len(ids), len(ids)),
    )
    R = np.zeros((len(ids), 1))
    for row in impacts:
        R[ids.index(row["node"]), 0] = row["value"]
    with pytest.raises(DivergentLoopError) as solved:
        solver.solve(solver.plan(M, labels=ids), R)
    _assert_names_only(solved.value, inside, outside)


@pytest.mark.parametrize("r", [1.0, 1.5])
@pytest.mark.parametrize("with_impacts", [True, False], ids=["impacts", "no-impacts"])
def test_divergent_self_loop_is_refused_naming_it(r, with_impacts):
    """A recycler taking 1 or 1.5 of itself: no finite answer, whatever the impacts."""
    impacts = [impact("recycler", 2), impact("feedstock", 1)] if with_impacts else []
    _refused_both_ways(
        [node("feedstock", "mine"), node("recycler"), node("product", "component", "item")],
        [edge("feedstock", "recycler", 1), edge("recycler", "recycler", r)]
        + [edge("recycler", "product", 3)],
        impacts,
        {"recycler"},
        {"feedstock", "product"},
    )


@pytest.mark.parametrize(
    ("p", "q"),
    [(2.0, 0.5), (3.0, 1 / 3), (10.0, 0.1), (4.0, 0.5), (1.0, 1.5)],
    ids=["product-1", "product-1-rounded-3", "product-1-rounded-10", "product-2", "1.5"],
)
@pytest.mark.parametrize("with_impacts", [True, False], ids=["impacts", "no-impacts"])
def test_divergent_two_node_loop_is_refused_naming_it(p, q, with_impacts):
    """smelter <-> refinery with p q >= 1 (singular at 1): refused, feed and buyer unnamed."""
    impacts = [impact("smelter", 1), impact("ore-pit", 4)] if with_impacts else []
    _refused_both_ways(
        [
            node("ore-pit", "mine"),
            node("smelter"),
            node("refinery"),
            node("gadget", "device", "item"),
        ],
        [
            edge("ore-pit", "smelter", 1),
            edge("smelter", "refinery", p),
            edge("refinery", "smelter", q),
            edge("refinery", "gadget", 1),
        ],
        impacts,
        {"smelter", "refinery"},
        {"ore-pit", "gadget"},
    )


def test_only_the_divergent_loop_is_named_next_to_a_convergent_one():
    """A convergent loop (ok-x <-> ok-y, 0.25) feeds a divergent one (bad-x <-> bad-y, 1)."""
    _refused_both_ways(
        [node("ok-x"), node("ok-y"), node("bad-x"), node("bad-y"), node("end", "device", "item")],
        [
            edge("ok-x", "ok-y", 0.5),
            edge("ok-y", "ok-x", 0.5),
            edge("ok-y", "bad-x", 1),
            edge("bad-x", "bad-y", 2),
            edge("bad-y", "bad-x", 0.5),
            edge("bad-y", "end", 1),
        ],
        [impact("ok-x", 1)],
        {"bad-x", "bad-y"},
        {"ok-x", "ok-y", "end"},
    )


def test_divergent_three_node_loop_through_the_solver():
    """solver.plan/solve with labels: a 3-cycle with product 2 * 0.5 * 1 = 1 is refused."""
    M = sp.csr_array(np.array([[0, 2.0, 0, 0], [0, 0, 0.5, 0], [1.0, 0, 0, 0], [0, 0, 1.0, 0]]))
    labels = ["loop-a", "loop-b", "loop-c", "outside"]
    with pytest.raises(DivergentLoopError) as caught:
        solver.solve(solver.plan(M, labels=labels), np.zeros((4, 1)))
    _assert_names_only(caught.value, {"loop-a", "loop-b", "loop-c"}, {"outside"})


def test_nearly_divergent_loop_is_accepted():
    """A loop needing 1 - 1e-9 of itself is large but finite: b / (1 - r)."""
    r = 1 - 1e-9
    chain = make([node("m")], [edge("m", "m", r)], [impact("m", 1)])
    assert value_of(totals(chain), "m") == pytest.approx(1 / (1 - r), rel=1e-6)


# --- opacity -----------------------------------------------------------------------------


def _shares_add_up(frame: pd.DataFrame) -> None:
    with_total = frame[frame["value"] > 0]
    np.testing.assert_allclose(
        with_total[SHARES].sum(axis=1), with_total["opacity"], rtol=0, atol=1e-12
    )


def test_fully_disclosed_graph_has_opacity_zero():
    """Every edge and impact disclosed with a source (a loop included): opacity 0."""
    chain = make(
        [node("ore", "mine"), node("metal"), node("part", "component", "item")],
        [edge("ore", "metal", 2), edge("metal", "metal", 0.1), edge("metal", "part", 0.3)],
        [impact("ore", 3), impact("metal", 4), impact("part", 1)],
    )
    result = totals(chain)
    assert result["opacity"].tolist() == pytest.approx([0, 0, 0], abs=1e-12)
    for share in SHARES:
        assert result[share].tolist() == pytest.approx([0, 0, 0], abs=1e-12)


def test_all_missing_graph_has_opacity_one():
    """No figure cites a source: all of every total is missing."""
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 2, "missing")],
        [impact("ore", 3, transparency="missing"), impact("metal", 4, transparency="missing")],
    )
    assert set(chain.edges["transparency"]) | set(chain.impacts["transparency"]) == {"missing"}
    result = totals(chain)
    assert result["opacity"].tolist() == [1.0, 1.0]
    assert result["missing_share"].tolist() == pytest.approx([1.0, 1.0], rel=EXACT)
    assert result["published_share"].tolist() == [0.0, 0.0]
    assert result["estimated_share"].tolist() == [0.0, 0.0]


def test_estimated_edge_carrying_a_published_impact():
    """metal: own 4 (disclosed) + 2 (estimated) x 3 (published) = 10; 6 of 10 estimated."""
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 2, "estimated")],
        [impact("ore", 3, transparency="published"), impact("metal", 4)],
    )
    result = totals(chain)
    metal = row_of(result, "metal")
    assert metal["value"] == pytest.approx(10, rel=EXACT)
    assert metal["opacity"] == pytest.approx(0.6, rel=EXACT)
    assert metal["estimated_share"] == pytest.approx(0.6, rel=EXACT)
    assert metal["published_share"] == 0 and metal["missing_share"] == 0
    ore = row_of(result, "ore")
    assert ore["opacity"] == pytest.approx(1, rel=EXACT)
    assert ore["published_share"] == pytest.approx(1, rel=EXACT)
    _shares_add_up(result)


def test_published_edge_carrying_a_missing_impact():
    """metal: own 4 (disclosed) + 2 (published) x 3 (missing) = 10; 6 of 10 missing."""
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 2, "published")],
        [impact("ore", 3, transparency="missing"), impact("metal", 4)],
    )
    metal = row_of(totals(chain), "metal")
    assert metal["value"] == pytest.approx(10, rel=EXACT)
    assert metal["opacity"] == pytest.approx(0.6, rel=EXACT)
    assert metal["missing_share"] == pytest.approx(0.6, rel=EXACT)
    assert metal["published_share"] == 0 and metal["estimated_share"] == 0


def test_opacity_split_over_all_levels_by_hand():
    """device: own 1 (disclosed); via a published edge 1 x 2 (published); via an estimated
    edge 1 x 3 (disclosed); via a disclosed edge 2 x 2 (missing). Total 1 + 2 + 3 + 4 = 10:
    opacity 0.9 = published 0.2 + estimated 0.3 + missing 0.4."""
    chain = make(
        [node("p"), node("e"), node("m"), node("device", "device", "item")],
        [
            edge("p", "device", 1, "published"),
            edge("e", "device", 1, "estimated"),
            edge("m", "device", 2, "disclosed"),
        ],
        [
            impact("device", 1),
            impact("p", 2, transparency="published"),
            impact("e", 3, transparency="disclosed"),
            impact("m", 2, transparency="missing"),
        ],
    )
    result = totals(chain)
    device = row_of(result, "device")
    assert device["value"] == pytest.approx(10, rel=EXACT)
    assert device["opacity"] == pytest.approx(0.9, rel=EXACT)
    assert device["published_share"] == pytest.approx(0.2, rel=EXACT)
    assert device["estimated_share"] == pytest.approx(0.3, rel=EXACT)
    assert device["missing_share"] == pytest.approx(0.4, rel=EXACT)
    assert row_of(result, "e")["opacity"] == 0  # its own figure is disclosed
    _shares_add_up(result)


def test_undisclosed_edge_upstream_makes_everything_through_it_opaque():
    """ore -(disclosed)-> metal -(estimated)-> part: all of metal's total reaches part
    through the estimated edge. part: own 1 + 0.5 * (2 + 1 * 4) = 4; 3 of 4 estimated."""
    chain = make(
        [node("ore", "mine"), node("metal"), node("part", "component", "item")],
        [edge("ore", "metal", 1), edge("metal", "part", 0.5, "estimated")],
        [impact("ore", 4), impact("metal", 2), impact("part", 1)],
    )
    result = totals(chain)
    assert row_of(result, "metal")["opacity"] == 0
    part = row_of(result, "part")
    assert part["value"] == pytest.approx(4, rel=EXACT)
    assert part["opacity"] == pytest.approx(0.75, rel=EXACT)
    assert part["estimated_share"] == pytest.approx(0.75, rel=EXACT)


def test_cited_figure_without_a_level_is_estimated():
    """A row citing a source but giving no transparency counts as estimated."""
    chain = make(
        [node("ore", "mine"), node("metal")],
        [{"source": "ore", "target": "metal", "amount": 2, "source_ref": "s"}],
        [{"node": "ore", "category": "gwp", "value": 3, "source": "s"}],
    )
    metal = row_of(totals(chain), "metal")
    assert metal["value"] == pytest.approx(6, rel=EXACT)
    assert metal["estimated_share"] == pytest.approx(1, rel=EXACT)


def test_opacity_is_empty_where_the_total_is_zero():
    """No impact upstream of 'idle': value, opacity and shares NaN (not 0)."""
    chain = make(
        [node("ore", "mine"), node("idle"), node("metal")],
        [edge("ore", "metal", 1, "estimated"), edge("idle", "metal", 1)],
        [impact("ore", 3)],
    )
    idle = row_of(totals(chain), "idle")
    for column in ["value", "opacity", *SHARES]:
        assert math.isnan(idle[column]), column


def test_opacity_of_a_tiny_total():
    """1e-300 kg CO2e/kg (missing) x 1e-10 kg: a total of 1e-310, all of it missing."""
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 1e-10, "missing")],
        [impact("ore", 1e-300, transparency="missing")],
    )
    metal = row_of(totals(chain), "metal")
    assert metal["value"] == pytest.approx(1e-310, rel=1e-6)
    assert metal["opacity"] == 1
    assert metal["missing_share"] == pytest.approx(1, rel=1e-9)


def test_opacity_is_empty_when_not_solved():
    """solve_chain(opacity=False): the totals stand, the opacity columns are NaN."""
    chain = make([node("ore", "mine")], impacts=[impact("ore", 3)])
    result = totals(solve_chain(chain, opacity=False))
    assert result["value"].tolist() == [3.0]
    assert result[["opacity", *SHARES]].isna().all().all()


def test_opacity_through_a_loop_by_hand():
    """m (own 1, disclosed) takes 0.5 of itself through an estimated edge: total 2, of
    which the disclosed data alone give 1: opacity 0.5, all of it estimated."""
    chain = make([node("m")], [edge("m", "m", 0.5, "estimated")], [impact("m", 1)])
    m = row_of(totals(chain), "m")
    assert m["value"] == pytest.approx(2, rel=LOOP_REL)
    assert m["opacity"] == pytest.approx(0.5, rel=LOOP_REL)
    assert m["estimated_share"] == pytest.approx(0.5, rel=LOOP_REL)


# --- deep graphs -------------------------------------------------------------------------


def test_deep_chain_uses_the_triangular_solve_and_matches_the_closed_form(monkeypatch):
    """6000 nodes in a line, each taking 0.999 of the one before, each with impact 1:
    node k totals 1 + 0.999 + ... + 0.999^k = (1 - 0.999^(k+1)) / (1 - 0.999)."""
    n, r = 6000, 0.999
    assert n > solver._LEVELS_FOR_DIRECT
    calls = count_calls(monkeypatch, solver, "_triangular")
    chain = make(
        [node(f"n{i}") for i in range(n)],
        [edge(f"n{i}", f"n{i + 1}", r) for i in range(n - 1)],
        [impact(f"n{i}", 1.0) for i in range(n)],
    )
    solution = solve_chain(chain)
    assert calls, "a chain deeper than _LEVELS_FOR_DIRECT should use the triangular solve"
    k = np.arange(n)
    np.testing.assert_allclose(solution.H[:, 0], (1 - r ** (k + 1)) / (1 - r), rtol=EXACT)
    result = totals(solution, node=f"n{n - 1}")
    assert result["opacity"].tolist() == pytest.approx([0.0], abs=1e-12)


# --- properties --------------------------------------------------------------------------


def _spectral_radius(A: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(A)))) if len(A) else 0.0


@st.composite
def systems(draw, max_nodes: int = 10, max_categories: int = 3):
    """A random sparse non-negative A (n x n, cycles and self-loops allowed) scaled so its
    spectral radius is at most 0.9, unique (supplier, consumer) pairs, and B (k x n)."""
    n = draw(st.integers(1, max_nodes))
    k = draw(st.integers(1, max_categories))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
            unique=True,
            max_size=3 * n,
        )
    )
    amounts = draw(st.lists(st.floats(0.01, 3.0), min_size=len(pairs), max_size=len(pairs)))
    A = np.zeros((n, n))
    for (i, j), amount in zip(pairs, amounts, strict=True):
        A[i, j] = amount
    rho = _spectral_radius(A)
    if rho > 1e-9:  # a loop: scale it to a chosen radius at most 0.9
        A *= draw(st.floats(0.05, 0.9)) / rho
    impacts = st.one_of(st.just(0.0), st.floats(1e-300, 10.0))
    B = np.array(draw(st.lists(impacts, min_size=k * n, max_size=k * n))).reshape(k, n)
    return A, B


def _dense(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return np.linalg.solve(np.eye(len(A)) - A.T, B.T)


def _assert_close(found: np.ndarray, expected: np.ndarray) -> None:
    """rtol 1e-9; the dense solve leaves ~1e-16 noise where the exact answer is 0."""
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-13 * scale)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(systems())
def test_solver_equals_the_dense_solve(system):
    """solve(plan(A), B^T) == (I - A^T)^-1 B^T for random graphs with cycles."""
    A, B = system
    found = solver.solve(solver.plan(sp.csr_array(A)), B.T)
    _assert_close(found, _dense(A, B))


def _chain_from_matrices(A: np.ndarray, B: np.ndarray, node_order=None, edge_order=None):
    n = len(A)
    ids = [f"n{i}" for i in range(n)]
    categories = ["gwp", "energy", "adp"][: len(B)]
    nodes = [node(i) for i in ids]
    suppliers, consumers = np.nonzero(A)
    edges = [
        edge(ids[i], ids[j], float(A[i, j])) for i, j in zip(suppliers, consumers, strict=True)
    ]
    impacts = [
        impact(ids[j], float(B[c, j]), categories[c]) for c in range(len(B)) for j in range(n)
    ]
    if node_order is not None:
        nodes = [nodes[i] for i in node_order]
    if edge_order is not None:
        edges = [edges[i] for i in edge_order]
    return make(nodes, edges, impacts), ids, categories


def _as_matrix(frame: pd.DataFrame, ids, categories) -> np.ndarray:
    return (
        frame.pivot(index="node", columns="category", values="value")
        .loc[ids, categories]
        .to_numpy()
    )


@PROPERTY
@given(systems(max_nodes=8))
def test_public_totals_equal_the_dense_solve(system):
    """The same random graphs through from_tables and totals."""
    A, B = system
    chain, ids, categories = _chain_from_matrices(A, B)
    _assert_close(_as_matrix(totals(chain), ids, categories), _dense(A, B))


@PROPERTY
@given(systems(max_nodes=8), st.floats(0.01, 100.0))
def test_totals_are_linear_in_the_direct_impacts(system, s):
    """Scaling every direct impact by s scales every total by s."""
    A, B = system
    chain, ids, categories = _chain_from_matrices(A, B)
    scaled, _, _ = _chain_from_matrices(A, B * s)
    base = _as_matrix(totals(chain), ids, categories)
    _assert_close(_as_matrix(totals(scaled), ids, categories), base * s)


@PROPERTY
@given(systems(max_nodes=8), st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_the_order_of_rows(system, random):
    """Shuffling the rows of the node and edge tables changes no total."""
    A, B = system
    chain, ids, categories = _chain_from_matrices(A, B)
    node_order = list(range(len(A)))
    edge_order = list(range(int(np.count_nonzero(A))))
    random.shuffle(node_order)
    random.shuffle(edge_order)
    shuffled, _, _ = _chain_from_matrices(A, B, node_order, edge_order)
    _assert_close(
        _as_matrix(totals(shuffled), ids, categories),
        _as_matrix(totals(chain), ids, categories),
    )
