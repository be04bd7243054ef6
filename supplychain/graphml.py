"""GraphML export, for Gephi, yEd, Cytoscape and networkx users; it loads back losslessly.

>>> import tempfile, pathlib
>>> from supplychain.io import load
>>> with tempfile.TemporaryDirectory() as folder:
...     export_graphml(load("example"), pathlib.Path(folder) / "example.graphml")
...     text = (pathlib.Path(folder) / "example.graphml").read_text(encoding="utf-8")
>>> "direct_gwp" in text
True
"""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pandas as pd

from supplychain.build import to_networkx
from supplychain.files import atomic_write, check_target
from supplychain.io import GRAPHML_GRAPH_KEY, graph_json
from supplychain.model import SupplyChain

__all__ = ["export_graphml"]


def export_graphml(
    chain: SupplyChain,
    file: str | os.PathLike,
    overwrite: bool = False,
    protect: tuple[Path, ...] = (),
) -> None:
    """Write the graph as GraphML, for Gephi and other tools, and to load back.

    Node attributes: the node columns, plus ``direct_<category>`` (direct impact in the
    category's unit per node unit). Edge attributes: the edge columns, with ``amount`` the
    converted amount (supplier unit per consumer unit) and ``amount_as_written``. The graph
    attribute :data:`~supplychain.io.GRAPHML_GRAPH_KEY` holds the whole graph in its JSON
    form, from which :func:`supplychain.io.load` reads the file back, losing nothing.

    Raises
    ------
    OutputExistsError
        If ``file`` exists and ``overwrite`` is false, is a folder, or lies inside one of
        ``protect`` (the inputs).
    WriteError
        If it cannot be written (the target is then unchanged).
    """
    target = Path(file)
    check_target(target, overwrite, protect)
    graph = to_networkx(chain)
    flat = nx.DiGraph(name=chain.name, **{GRAPHML_GRAPH_KEY: graph_json(chain)})
    for node, attributes in graph.nodes(data=True):
        values = {k: v for k, v in attributes.items() if k != "direct_impacts"}
        for category, value in attributes.get("direct_impacts", {}).items():
            values[f"direct_{category}"] = value
        flat.add_node(node, **_graphml_values(values))
    for source, target_node, attributes in graph.edges(data=True):
        flat.add_edge(source, target_node, **_graphml_values(attributes))
    atomic_write(target, lambda path: nx.write_graphml(flat, path))


def _graphml_values(attributes: dict) -> dict:
    """GraphML takes strings, numbers and booleans; drop empty values."""
    return {
        key: value
        for key, value in attributes.items()
        if value is not None and value != "" and not (isinstance(value, float) and pd.isna(value))
    }
