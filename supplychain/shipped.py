"""The graphs shipped with the package, found wherever the package is installed.

In a source checkout (or an editable install) they are the folders of ``graphs/`` beside
the package; an installed wheel carries them inside the package as ``_shipped/graphs``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["shipped_graphs_folder", "shipped_graph_names", "shipped_graph_path", "DEFAULT_GRAPH"]

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
