"""From tables to the networkx graph and the sparse matrices A and B."""

import numpy as np
import pandas as pd
import pytest

from supplychain import InvalidGraphError, from_tables, load, to_matrices, to_networkx
from supplychain.schema import Edge, Impact, Node


def test_minimal_graph_matrices_by_hand(minimal_graph):
    """README's minimal graph: 8 g cobalt and 2.5 kWh per battery, 383.55 g CO2e/kWh."""
    m = to_matrices(load(minimal_graph))
    at = {node: i for i, node in enumerate(m.nodes)}
    A, B = m.A.toarray(), m.B.toarray()
    assert A[at["ore"], at["cobalt"]] == 1
    assert A[at["cobalt"], at["battery"]] == pytest.approx(0.008, rel=1e-15)
    assert A[at["grid"], at["battery"]] == 2.5
    assert np.count_nonzero(A) == 3
    assert list(m.categories) == ["gwp"]
    assert B[0, at["ore"]] == 8.3
    assert B[0, at["grid"]] == pytest.approx(0.38355, rel=1e-15)


def test_matrices_have_only_categories_with_data():
    chain = from_tables(
        nodes=[{"id": "a", "kind": "mine", "unit": "kg"}],
        impacts=[
            {"node": "a", "category": "water", "value": 2, "unit": "L"},
            {"node": "a", "category": "gwp", "value": 1},
        ],
    )
    m = to_matrices(chain)
    assert list(m.categories) == ["gwp", "water"]  # in the order of the category table
    assert m.B.toarray().tolist() == [[1.0], [0.002]]


def test_rate_units_convert_to_node_units():
    """0.5 kWh per query, for a service whose unit is 1000 queries: 500 kWh per unit."""
    chain = from_tables(
        nodes=[
            {"id": "grid", "kind": "energy", "unit": "MJ"},
            {"id": "chat", "kind": "service", "unit": "1000 queries"},
        ],
        edges=[{"source": "grid", "target": "chat", "amount": 0.5, "unit": "kWh/query"}],
        impacts=[{"node": "grid", "category": "gwp", "value": 360, "unit": "g CO2e/kWh"}],
    )
    m = to_matrices(chain)
    assert m.A[0, 1] == pytest.approx(500 * 3.6, rel=1e-15)  # MJ per 1000 queries
    assert m.B[0, 0] == pytest.approx(0.1, rel=1e-15)  # kg CO2e per MJ


def test_networkx_graph_carries_typed_attributes(minimal_graph):
    graph = to_networkx(load(minimal_graph))
    assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 3
    edge = graph.edges["cobalt", "battery"]
    assert edge["amount"] == pytest.approx(0.008)
    assert edge["amount_as_written"] == 8.0 and edge["unit_as_written"] == "g"
    assert edge["transparency"] == "missing"  # no source: missing by definition
    assert graph.nodes["grid"]["direct_impacts"] == {"gwp": pytest.approx(0.38355)}
    assert graph.nodes["battery"]["kind"] == "component"


def test_self_loop_is_kept():
    """A fab that uses some of its own output: allowed (convergence is checked later)."""
    chain = from_tables(
        nodes=[{"id": "fab", "kind": "component", "unit": "item"}],
        edges=[{"source": "fab", "target": "fab", "amount": 0.1}],
    )
    assert to_matrices(chain).A.toarray().tolist() == [[0.1]]


def test_from_tables_takes_row_models_and_frames():
    nodes = [Node(id="ore", kind="mine", unit="kg"), Node(id="metal", kind="material", unit="t")]
    edges = pd.DataFrame([Edge(source="ore", target="metal", amount=1.1).model_dump()])
    impacts = [Impact(node="ore", category="gwp", value=3.0)]
    chain = from_tables(nodes=nodes, edges=edges, impacts=impacts)
    assert chain.edges.loc[0, "converted_amount"] == 1.1  # amount without unit: in kg already
    assert chain.impacts.loc[0, "converted_value"] == 3.0


def test_from_tables_reports_every_problem_by_position():
    with pytest.raises(InvalidGraphError) as raised:
        from_tables(
            nodes=[{"id": "a", "kind": "mine", "unit": "kg"}, {"id": "b", "kind": "rock"}],
            edges=[{"source": "a", "target": "c", "amount": float("nan")}],
        )
    described = [p.describe() for p in raised.value.problems if p.is_error]
    assert "nodes[1], column kind, value 'rock': unknown kind" in described[0]
    assert any(d.startswith("edges[0], column amount, value 'nan'") for d in described)
    assert any(d.startswith("edges[0], column target, value 'c': unknown node") for d in described)
    assert any("column unit" in d for d in described)
    assert "invalid graph:" in str(raised.value)


def test_the_chain_is_not_changed_by_building(minimal_graph):
    chain = load(minimal_graph)
    before = chain.edges.copy()
    to_networkx(chain)
    to_matrices(chain)
    pd.testing.assert_frame_equal(chain.edges, before)
