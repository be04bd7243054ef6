"""What a graph holds, in a few tables: the first part of ``supplychain report``.

Each function takes a :class:`~supplychain.model.SupplyChain` and returns a DataFrame
whose columns are documented; nothing is printed here.
"""

from __future__ import annotations

import pandas as pd

from supplychain.citations import CITING_COLUMNS, citation_counts
from supplychain.model import SupplyChain
from supplychain.problems import problems_frame
from supplychain.schema import Kind, Transparency

__all__ = [
    "graph_overview",
    "nodes_by_kind",
    "edges_by_kind",
    "transparency_mix",
    "source_use",
    "summary_sections",
]

_KINDS = [kind.value for kind in Kind]
_LEVELS = [level.value for level in Transparency]


def graph_overview(chain: SupplyChain) -> pd.DataFrame:
    """Counts of what the graph holds. Columns: ``item``, ``count``.

    >>> from supplychain.io import load
    >>> int(graph_overview(load("example")).set_index("item").loc["nodes", "count"])
    13
    """
    with_data = chain.impacts["category"].unique()
    items = {
        "nodes": len(chain.nodes),
        "edges": len(chain.edges),
        "direct impacts": len(chain.impacts),
        "categories with data": len(with_data),
        "social risk entries": len(chain.social),
        "sources": len(chain.sources),
        "countries named": int(chain.nodes["country"].replace("", pd.NA).nunique()),
    }
    return pd.DataFrame({"item": list(items), "count": list(items.values())})


def nodes_by_kind(chain: SupplyChain) -> pd.DataFrame:
    """Nodes per kind. Columns: ``kind``, ``nodes``, ``with_inputs``, ``with_impacts``.

    ``with_inputs``: nodes that use at least one other node; ``with_impacts``: nodes with
    at least one direct impact. Kinds in layer order, upstream first.
    """
    nodes = chain.nodes
    frame = pd.DataFrame(
        {
            "kind": nodes["kind"],
            "with_inputs": nodes["id"].isin(chain.edges["target"]),
            "with_impacts": nodes["id"].isin(chain.impacts["node"]),
        }
    )
    counts = frame.groupby("kind").agg(
        nodes=("kind", "size"),
        with_inputs=("with_inputs", "sum"),
        with_impacts=("with_impacts", "sum"),
    )
    counts = counts.reindex([k for k in _KINDS if k in counts.index]).astype(int)
    return counts.reset_index()


def edges_by_kind(chain: SupplyChain) -> pd.DataFrame:
    """Edges per pair of kinds. Columns: ``supplier_kind``, ``consumer_kind``, ``edges``."""
    kind = chain.nodes.set_index("id")["kind"]
    pairs = pd.DataFrame(
        {
            "supplier_kind": chain.edges["source"].map(kind),
            "consumer_kind": chain.edges["target"].map(kind),
        }
    )
    counts = pairs.value_counts().rename("edges").reset_index()
    order = {k: i for i, k in enumerate(_KINDS)}
    counts["_order"] = counts["supplier_kind"].map(order) * 10 + counts["consumer_kind"].map(order)
    return counts.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def transparency_mix(chain: SupplyChain) -> pd.DataFrame:
    """How transparent the data is, by table.

    Columns: ``table``, ``rows``, then one count column per level (``disclosed``,
    ``published``, ``estimated``, ``missing``) and ``undisclosed_share`` (share of rows
    that are not ``disclosed``, 0..1).
    """
    records = []
    for table in ("nodes", "edges", "impacts", "social"):
        levels = chain.table(table)["transparency"].value_counts()
        record = {"table": table, "rows": int(levels.sum())}
        record.update({level: int(levels.get(level, 0)) for level in _LEVELS})
        rows = record["rows"]
        record["undisclosed_share"] = (rows - record["disclosed"]) / rows if rows else 0.0
        records.append(record)
    return pd.DataFrame.from_records(records)


def source_use(chain: SupplyChain) -> pd.DataFrame:
    """The bibliography and how often each source is cited.

    Columns: ``id``, ``year``, ``title``, ``licence``, ``cited`` (rows citing it).
    """
    counts = citation_counts({table: chain.table(table) for table, _ in CITING_COLUMNS})
    frame = chain.sources[["id", "year", "title", "licence"]].copy()
    frame["cited"] = frame["id"].map(counts).fillna(0).astype(int)
    return frame.reset_index(drop=True)


def summary_sections(chain: SupplyChain) -> dict[str, pd.DataFrame]:
    """All summary tables by title, in reading order, ending with the load warnings."""
    warnings = problems_frame(list(chain.warnings))
    return {
        "graph": graph_overview(chain),
        "nodes by kind": nodes_by_kind(chain),
        "edges by kind (supplier -> consumer)": edges_by_kind(chain),
        "transparency of the data": transparency_mix(chain),
        "sources": source_use(chain),
        "validation warnings": warnings,
    }
