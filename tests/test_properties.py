"""Laws that hold for every graph: hypothesis draws graphs, with and without loops.

* the totals equal a dense solve of ``H = B (I - A)^-1``;
* scaling one node's direct impact changes every total by exactly its share;
* the totals do not depend on the order of nodes, edges or impacts;
* splitting a supplier into two identical suppliers of the same total changes nothing;
* saving and loading, as CSV tables and as JSON, loses nothing;
* opacity lies in [0, 1], and is 0 when every figure is disclosed.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.io import load, save_csv, save_json
from supplychain.propagate import totals
from supplychain.tables import from_tables
from supplychain.trace import contributions

LEVELS = ["disclosed", "published", "estimated", "missing"]
KINDS = ["mine", "material", "component", "device", "service", "energy"]
ID_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s.strip())
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def graphs(draw, loops: bool = True, levels=LEVELS, weird_ids: bool = False):
    """Tables of a random graph whose loops need less than one unit of themselves."""
    n = draw(st.integers(2, 9))
    if weird_ids:
        ids = draw(st.lists(ID_TEXT, min_size=n, max_size=n, unique_by=str.casefold))
    else:
        ids = [f"n{i}" for i in range(n)]
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n, max_size=n))
    pairs = [(i, j) for i in range(n) for j in range(n) if (loops or i < j) and i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 14)))
    amounts = draw(st.lists(st.floats(0.01, 1.0), min_size=len(chosen), max_size=len(chosen)))
    inflow = np.zeros(n)
    for (_, j), a in zip(chosen, amounts, strict=True):
        inflow[j] += a
    scale = 0.9 / np.maximum(inflow, 0.9)  # each column of A sums to < 1: loops converge
    edges = [
        {
            "source": ids[i],
            "target": ids[j],
            "amount": float(a * scale[j]),
            "transparency": draw(st.sampled_from(levels)),
            "source_ref": "s",
        }
        for (i, j), a in zip(chosen, amounts, strict=True)
    ]
    impacts = [
        {
            "node": ids[i],
            "category": category,
            "value": draw(st.floats(0.0, 100.0)),
            "transparency": draw(st.sampled_from(levels)),
            "source": "s",
        }
        for i in range(n)
        for category in ("gwp", "water")
        if draw(st.booleans())
    ]
    nodes = [{"id": ids[i], "kind": kinds[i], "unit": "kg", "name": ids[i]} for i in range(n)]
    return {
        "nodes": nodes,
        "edges": edges,
        "impacts": impacts,
        "sources": [{"id": "s", "title": "A source"}],
    }


def dense_totals(tables) -> pd.Series:
    """H = B (I - A)^-1 with numpy, by (node, category)."""
    ids = [n["id"] for n in tables["nodes"]]
    where = {node: i for i, node in enumerate(ids)}
    A = np.zeros((len(ids), len(ids)))
    for e in tables["edges"]:
        A[where[e["source"]], where[e["target"]]] += e["amount"]
    values = {}
    for category in ("gwp", "water"):
        B = np.zeros(len(ids))
        for i in tables["impacts"]:
            if i["category"] == category:
                B[where[i["node"]]] = i["value"]
        H = np.linalg.solve((np.eye(len(ids)) - A).T, B)
        values |= {(node, category): H[k] for k, node in enumerate(ids)}
    return pd.Series(values)


def computed(tables) -> pd.Series:
    """Totals of the graph, with 0 where no figure lies upstream (``totals`` leaves those
    empty; :func:`test_totals_equal_a_dense_solve` checks that they are 0)."""
    found = totals(from_tables(**tables))
    return found.set_index(["node", "category"])["value"].fillna(0.0)


@PROPERTY_SETTINGS
@given(graphs())
def test_totals_equal_a_dense_solve(tables):
    ours = computed(tables)
    expected = dense_totals(tables).reindex(ours.index)
    assert np.allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    empty = totals(from_tables(**tables))["value"].isna().to_numpy()
    assert (expected.to_numpy()[empty] == 0).all()  # no data only where the total is 0


@PROPERTY_SETTINGS
@given(graphs(), st.data(), st.floats(0.0, 5.0))
def test_scaling_a_direct_impact_scales_exactly_its_share(tables, data, factor):
    if not tables["impacts"]:
        return
    pick = data.draw(st.integers(0, len(tables["impacts"]) - 1))
    chosen = tables["impacts"][pick]
    before = computed(tables)
    chain = from_tables(**tables)
    share = {
        node: contributions(chain, node, chosen["category"])
        .set_index("node")["direct"]
        .get(chosen["node"], 0.0)
        for node in chain.nodes["id"]
    }
    scaled = {**tables, "impacts": [dict(i) for i in tables["impacts"]]}
    scaled["impacts"][pick]["value"] = chosen["value"] * factor
    after = computed(scaled)
    for node, own in share.items():
        key = (node, chosen["category"])
        expected = before[key] + (factor - 1) * own
        # loops are solved to a relative 1e-12, so a difference of two totals (factor 0
        # cancels them) is exact only to about that share of the totals themselves
        scale = abs(before[key]) + abs(own)
        assert after[key] == pytest.approx(expected, rel=1e-9, abs=1e-8 * scale + 1e-12)


@PROPERTY_SETTINGS
@given(graphs(), st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_the_order_of_rows(tables, random):
    shuffled = {name: list(rows) for name, rows in tables.items()}
    for name in ("nodes", "edges", "impacts"):
        random.shuffle(shuffled[name])
    before, after = computed(tables), computed(shuffled)
    assert np.allclose(after.reindex(before.index).to_numpy(), before.to_numpy(), rtol=1e-12)


@PROPERTY_SETTINGS
@given(graphs(), st.data(), st.floats(0.05, 0.95))
def test_splitting_a_supplier_in_two_identical_ones_changes_nothing(tables, data, part):
    if not tables["edges"]:
        return
    pick = data.draw(st.integers(0, len(tables["edges"]) - 1))
    split = tables["edges"][pick]
    twin = split["source"] + "-twin"
    original = next(n for n in tables["nodes"] if n["id"] == split["source"])
    copy = {name: [dict(row) for row in rows] for name, rows in tables.items()}
    copy["nodes"].append({**original, "id": twin, "name": twin})
    copy["edges"][pick]["amount"] = split["amount"] * part
    copy["edges"].append({**split, "source": twin, "amount": split["amount"] * (1 - part)})
    copy["edges"] += [
        {**e, "target": twin} for e in tables["edges"] if e["target"] == split["source"]
    ]
    copy["impacts"] += [
        {**i, "node": twin} for i in tables["impacts"] if i["node"] == split["source"]
    ]
    before, after = computed(tables), computed(copy)
    assert np.allclose(
        after.reindex(before.index).to_numpy(), before.to_numpy(), rtol=1e-9, atol=1e-12
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(weird_ids=True))
def test_saving_and_loading_loses_nothing(tmp_path_factory, tables):
    chain = from_tables(**tables)
    folder = tmp_path_factory.mktemp("graph")
    save_csv(chain, folder / "csv")
    save_json(chain, folder / "graph.json")
    for path in (folder / "csv", folder / "graph.json"):
        again = load(path)
        for name in ("nodes", "edges", "impacts", "sources"):
            pd.testing.assert_frame_equal(
                again.table(name).reset_index(drop=True), chain.table(name).reset_index(drop=True)
            )


@PROPERTY_SETTINGS
@given(graphs())
def test_opacity_lies_between_zero_and_one(tables):
    found = totals(from_tables(**tables))
    opacity = found["opacity"].dropna()
    assert ((opacity >= -1e-12) & (opacity <= 1 + 1e-12)).all()
    parts = found[["published_share", "estimated_share", "missing_share"]].sum(axis=1)
    assert np.allclose(parts[found["opacity"].notna()], opacity, atol=1e-9)


@PROPERTY_SETTINGS
@given(graphs(levels=["disclosed"]))
def test_opacity_is_zero_when_everything_is_disclosed(tables):
    found = totals(from_tables(**tables))
    assert np.allclose(found["opacity"].dropna(), 0, atol=1e-12)
