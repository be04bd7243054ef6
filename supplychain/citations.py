"""Citations: the ``;``-separated source ids of a cell, read in one place.

A figure may cite several sources (``"usgs-mcs-2025; ademe-2023"``); a list cell of the
reference tables (the materials a conflict-minerals rule covers) has the same form. Every
module that reads such a cell goes through :func:`split_ids`, so a rule about the form
(separator, white space, empty parts) has one home.

>>> split_ids(" usgs-mcs-2025 ;; ademe-2023 ")
['usgs-mcs-2025', 'ademe-2023']
>>> citation_counts({"impacts": pd.DataFrame({"source": ["a; b", "a", ""]})})
{'a': 2, 'b': 1}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "CITING_COLUMNS",
    "split_ids",
    "cites_anything",
    "cited_ids",
    "citation_counts",
    "per_citation",
]

CITING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("nodes", "source"),
    ("edges", "source_ref"),
    ("impacts", "source"),
    ("social", "source"),
)
"""The (table, column) pairs of a graph whose cells cite source ids."""


def split_ids(text: object) -> list[str]:
    """The ids of a ``;``-separated cell, stripped, empty parts dropped (``None`` or NaN:
    none)."""
    if text is None or (isinstance(text, float) and text != text):
        return []
    return [part.strip() for part in str(text).split(";") if part.strip()]


def cites_anything(texts: pd.Series) -> np.ndarray:
    """Whether each cell names at least one source id (``";"`` or ``" ; "`` names none).

    >>> cites_anything(pd.Series(["a", ";", ""])).tolist()
    [True, False, False]
    """
    return per_citation(texts, bool).to_numpy(dtype=bool)


def _cells(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """The citing cells of ``tables``, one per row (tables or columns absent: skipped)."""
    columns = [
        tables[table][column]
        for table, column in CITING_COLUMNS
        if table in tables and column in tables[table]
    ]
    return pd.concat(columns, ignore_index=True) if columns else pd.Series([], dtype=object)


def citation_counts(tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """How many rows of graph ``tables`` cite each source id (a row citing an id twice
    counts once), worked out once per distinct cell."""
    counts: Counter[str] = Counter()
    for text, rows in _cells(tables).value_counts(dropna=True).items():
        counts.update(dict.fromkeys(split_ids(text), int(rows)))
    return dict(counts)


def cited_ids(tables: Mapping[str, pd.DataFrame]) -> set[str]:
    """The source ids that the rows of graph ``tables`` cite.

    >>> sorted(cited_ids({"edges": pd.DataFrame({"source_ref": ["a; b", "", "a"]})}))
    ['a', 'b']
    """
    return {source for text in _cells(tables).dropna().unique() for source in split_ids(text)}


def per_citation(texts: pd.Series, function: Callable[[list[str]], object]) -> pd.Series:
    """``function(ids)`` for the source ids of each cell, worked out once per distinct cell.

    >>> per_citation(pd.Series(["a; b", "", "a; b"]), len).tolist()
    [2, 0, 2]
    """
    distinct = {text: function(split_ids(text)) for text in texts.unique()}
    return texts.map(distinct)
