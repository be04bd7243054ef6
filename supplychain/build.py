"""From validated tables to what the algorithms compute on: a networkx graph and matrices.

* :func:`to_networkx`: a ``DiGraph`` with typed attributes, for traversals, paths and
  drawing. Edges point from supplier to consumer (``u -> v``: v uses u).
* :func:`to_matrices`: the technology matrix ``A`` (``A[i, j]`` = amount of node ``i``
  per unit of node ``j``, in ``i``'s unit) and the direct impact matrix ``B``
  (``B[c, j]`` = impact in category ``c`` per unit of ``j``, in the category's unit), as
  scipy sparse arrays built straight from the tables, so a graph of millions of nodes
  does not pass through Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from supplychain.model import DERIVED_COLUMNS, LEVELS, SupplyChain

__all__ = ["to_networkx", "Matrices", "to_matrices", "LEVELS"]

_EDGE_AS_WRITTEN = {"amount": "amount_as_written", "unit": "unit_as_written"}


def _clean(record: dict) -> dict:
    """Leave out empty text and missing numbers."""
    return {
        key: value
        for key, value in record.items()
        if not (value == "" or value is None or (isinstance(value, float) and np.isnan(value)))
    }


def to_networkx(chain: SupplyChain) -> nx.DiGraph:
    """The graph as a networkx ``DiGraph``; the chain is not changed.

    Node attributes: the node columns (empty ones left out) and ``direct_impacts``, a dict
    of category -> value in the category's unit per node unit. Edge attributes: ``amount``
    (converted: supplier unit per consumer unit), ``amount_as_written``,
    ``unit_as_written`` and the other edge columns.

    Examples
    --------
    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(
    ...     nodes=[{"id": "ore", "kind": "mine", "unit": "kg"},
    ...            {"id": "metal", "kind": "material", "unit": "kg"}],
    ...     edges=[{"source": "ore", "target": "metal", "amount": 1200, "unit": "g"}],
    ... )
    >>> graph = to_networkx(chain)
    >>> graph.edges["ore", "metal"]["amount"], graph.nodes["ore"]["kind"]
    (1.2, 'mine')
    """
    graph = nx.DiGraph(name=chain.name)
    impacts = chain.impacts.groupby("node")[["category", "converted_value"]]
    direct = {
        node: dict(zip(group["category"], group["converted_value"].astype(float), strict=True))
        for node, group in impacts
    }
    for record in chain.nodes.to_dict("records"):
        node = record.pop("id")
        graph.add_node(node, **_clean(record), direct_impacts=direct.get(node, {}))
    edges = chain.edges.rename(columns=_EDGE_AS_WRITTEN).rename(
        columns={DERIVED_COLUMNS["edges"][0]: "amount"}
    )
    for record in edges.to_dict("records"):
        source, target = record.pop("source"), record.pop("target")
        graph.add_edge(source, target, **_clean(record))
    return graph


@dataclass(frozen=True, eq=False)
class Matrices:
    """The linear system of a graph, with the transparency of every entry.

    Attributes
    ----------
    nodes : pandas.Index
        Node ids; position ``i`` is row and column ``i`` of ``A`` and column ``i`` of ``B``.
    categories : pandas.Index
        Category ids that have at least one direct impact; position ``c`` is row ``c``
        of ``B``.
    edge_supplier, edge_consumer : ndarray of int
        Positions of each edge's nodes (one entry per row of the edges table).
    edge_amount : ndarray of float
        Amount of the supplier (its unit) per unit of the consumer.
    edge_level : ndarray of int8
        Transparency of each edge as a position in :data:`LEVELS` (0 = disclosed).
    impact_category, impact_node, impact_value, impact_level : ndarrays
        The same for the direct impacts (value in the category's unit per node unit).
    """

    nodes: pd.Index
    categories: pd.Index
    edge_supplier: np.ndarray
    edge_consumer: np.ndarray
    edge_amount: np.ndarray
    edge_level: np.ndarray
    impact_category: np.ndarray
    impact_node: np.ndarray
    impact_value: np.ndarray
    impact_level: np.ndarray

    def technology(self, up_to: int = len(LEVELS) - 1) -> sp.csr_array:
        """``A`` (n x n): ``A[i, j]`` = amount of node i per unit of node j, from the edges
        whose transparency is ``up_to`` (a position in :data:`LEVELS`) or better."""
        keep = self.edge_level <= up_to
        n = len(self.nodes)
        entries = (self.edge_amount[keep], (self.edge_supplier[keep], self.edge_consumer[keep]))
        return sp.csr_array(sp.coo_array(entries, shape=(n, n)))

    def direct(self, up_to: int = len(LEVELS) - 1) -> sp.csr_array:
        """``B`` (k x n): ``B[c, j]`` = direct impact in category c per unit of node j, from
        the impacts whose transparency is ``up_to`` or better."""
        keep = self.impact_level <= up_to
        shape = (len(self.categories), len(self.nodes))
        entries = (self.impact_value[keep], (self.impact_category[keep], self.impact_node[keep]))
        return sp.csr_array(sp.coo_array(entries, shape=shape))

    @cached_property
    def A(self) -> sp.csr_array:  # noqa: N802  (the name the maths gives it)
        """All edges: see :meth:`technology`."""
        return self.technology()

    @cached_property
    def B(self) -> sp.csr_array:  # noqa: N802
        """All direct impacts: see :meth:`direct`."""
        return self.direct()

    @cached_property
    def edges_into(self) -> sp.csc_array:
        """Column j lists the edges into node j: row = supplier, value = edge row + 1
        (the position in the edges table, plus one so that none is zero)."""
        n = len(self.nodes)
        rows = np.arange(1, len(self.edge_amount) + 1, dtype=float)
        entries = (rows, (self.edge_supplier, self.edge_consumer))
        return sp.csc_array(sp.coo_array(entries, shape=(n, n)))


def to_matrices(chain: SupplyChain) -> Matrices:
    """Index the edges and impacts of a graph as matrix entries (vectorised).

    Examples
    --------
    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(
    ...     nodes=[{"id": "ore", "kind": "mine", "unit": "kg"},
    ...            {"id": "metal", "kind": "material", "unit": "kg"}],
    ...     edges=[{"source": "ore", "target": "metal", "amount": 1.2}],
    ...     impacts=[{"node": "ore", "category": "gwp", "value": 2.0}],
    ... )
    >>> m = to_matrices(chain)
    >>> m.A.toarray().tolist(), m.B.toarray().tolist()
    ([[0.0, 1.2], [0.0, 0.0]], [[2.0, 0.0]])
    """
    nodes = pd.Index(chain.nodes["id"])
    used = set(chain.impacts["category"].unique())
    categories = pd.Index([c for c in chain.categories["id"].drop_duplicates() if c in used])
    return Matrices(
        nodes=nodes,
        categories=categories,
        edge_supplier=chain.index.edge_supplier,
        edge_consumer=chain.index.edge_consumer,
        edge_amount=chain.edges["converted_amount"].to_numpy(dtype=float),
        edge_level=chain.index.edge_level,
        impact_category=categories.get_indexer(chain.impacts["category"]),
        impact_node=chain.index.impact_node,
        impact_value=chain.impacts["converted_value"].to_numpy(dtype=float),
        impact_level=chain.index.impact_level,
    )
