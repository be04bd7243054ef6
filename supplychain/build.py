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

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from supplychain.model import DERIVED_COLUMNS, SupplyChain

__all__ = ["to_networkx", "Matrices", "to_matrices"]

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
    >>> from supplychain.model import from_tables
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


@dataclass(frozen=True)
class Matrices:
    """The linear system of a graph.

    Attributes
    ----------
    nodes : pandas.Index
        Node ids; position ``i`` is row and column ``i`` of ``A`` and column ``i`` of ``B``.
    categories : pandas.Index
        Category ids that have at least one direct impact; position ``c`` is row ``c``
        of ``B``.
    A : scipy.sparse.csr_array, shape (n, n)
        ``A[i, j]``: amount of node ``i`` (in its unit) per unit of node ``j``.
    B : scipy.sparse.csr_array, shape (k, n)
        ``B[c, j]``: direct impact in category ``c`` (its unit) per unit of node ``j``.
    """

    nodes: pd.Index
    categories: pd.Index
    A: sp.csr_array
    B: sp.csr_array


def to_matrices(chain: SupplyChain) -> Matrices:
    """Build ``A`` and ``B`` from the tables (vectorised; no loop over rows).

    Examples
    --------
    >>> from supplychain.model import from_tables
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
    n = len(nodes)
    rows = nodes.get_indexer(chain.edges["source"])
    columns = nodes.get_indexer(chain.edges["target"])
    amounts = chain.edges["converted_amount"].to_numpy(dtype=float)
    A = sp.csr_array(sp.coo_array((amounts, (rows, columns)), shape=(n, n)))
    used = set(chain.impacts["category"])
    categories = pd.Index([c for c in chain.categories["id"].drop_duplicates() if c in used])
    impact_rows = categories.get_indexer(chain.impacts["category"])
    impact_columns = nodes.get_indexer(chain.impacts["node"])
    values = chain.impacts["converted_value"].to_numpy(dtype=float)
    B = sp.csr_array(
        sp.coo_array((values, (impact_rows, impact_columns)), shape=(len(categories), n))
    )
    return Matrices(nodes=nodes, categories=categories, A=A, B=B)
