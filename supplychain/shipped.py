"""The graphs shipped with the package, found wherever the package is installed.

In a source checkout (or an editable install) they are the folders of ``graphs/`` beside
the package; an installed wheel carries them inside the package as ``_shipped/graphs``.
"""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = [
    "shipped_graphs_folder",
    "shipped_graph_names",
    "shipped_graph_path",
    "shipped_graphs_rows",
    "DEFAULT_GRAPH",
]

DEFAULT_GRAPH = "ai-inference"
"""The graph ``supplychain report`` runs on when given none."""

_PACKAGE = Path(__file__).resolve().parent


def shipped_graphs_folder() -> Path | None:
    """The folder holding the shipped graphs, or None if the package has none."""
    for candidate in (_PACKAGE / "_shipped" / "graphs", _PACKAGE.parent / "graphs"):
        if candidate.is_dir():
            return candidate
    return None


def shipped_graph_names() -> list[str]:
    """Names of the shipped graphs (their folder names), sorted.

    >>> "example" in shipped_graph_names()
    True
    """
    folder = shipped_graphs_folder()
    if folder is None:
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "nodes.csv").is_file())


def shipped_graph_path(name: str) -> Path | None:
    """The folder of the shipped graph ``name``, or None if there is no such graph."""
    if name not in shipped_graph_names():
        return None
    folder = shipped_graphs_folder()
    return folder / name if folder else None


def _records(path: Path) -> int:
    """Rows of a CSV table below its header (quoted line breaks counted right)."""
    if not path.is_file():
        return 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def shipped_graphs_rows() -> tuple[list[dict], list[str]]:
    """The shipped graphs as rows ``name, nodes, edges, path`` (counted from their tables,
    without loading them: ``supplychain graphs`` answers at once), and those columns.

    >>> rows, columns = shipped_graphs_rows()
    >>> columns, "example" in [row["name"] for row in rows]
    (['name', 'nodes', 'edges', 'path'], True)
    """
    rows = []
    for name in shipped_graph_names():
        folder = shipped_graph_path(name)
        rows.append(
            {
                "name": name,
                "nodes": _records(folder / "nodes.csv"),
                "edges": _records(folder / "edges.csv"),
                "path": str(folder),
            }
        )
    return rows, ["name", "nodes", "edges", "path"]
