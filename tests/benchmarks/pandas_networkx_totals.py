"""The obvious alternative to ``supplychain impacts FOLDER --format csv``, for the benchmark.

pandas reads the CSV tables of a graph folder, networkx propagates the totals in
topological order (acyclic graphs only), pandas writes ``node, category, value``. No
validation, no unit conversion, no opacity: the least a script of one's own would do.
``bench_propagation.py`` times the whole process, as it does the command line::

    python tests/benchmarks/pandas_networkx_totals.py FOLDER OUTPUT.csv
"""

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd


def totals(folder: Path) -> pd.DataFrame:
    """Total impacts of every node, per category: ``node, category, value``."""
    nodes = pd.read_csv(folder / "nodes.csv")
    edges = pd.read_csv(folder / "edges.csv")
    impacts = pd.read_csv(folder / "impacts.csv")
    direct = impacts.pivot_table(index="node", columns="category", values="value", aggfunc="sum")
    direct = direct.reindex(nodes["id"]).fillna(0.0)
    digraph = nx.DiGraph()
    digraph.add_nodes_from(nodes["id"])
    digraph.add_weighted_edges_from(
        zip(edges["source"], edges["target"], edges["amount"], strict=True), weight="amount"
    )
    vectors = dict(zip(direct.index, direct.to_numpy(), strict=True))
    total = {}
    for node in nx.topological_sort(digraph):
        value = vectors[node].copy()
        for supplier, edge in digraph.pred[node].items():
            value += edge["amount"] * total[supplier]
        total[node] = value
    frame = pd.DataFrame(
        np.array([total[node] for node in nodes["id"]]), index=nodes["id"], columns=direct.columns
    )
    return frame.stack().rename("value").reset_index()


if __name__ == "__main__":
    totals(Path(sys.argv[1])).to_csv(sys.argv[2], index=False)
