"""The loaded graph: typed, validated tables (made by :mod:`supplychain.io` from files and by
:func:`supplychain.tables.from_tables` from data in memory).

A :class:`SupplyChain` is what :func:`supplychain.io.load` returns and what every
algorithm takes. Its tables are pandas DataFrames (columns below), never pydantic objects,
so that a graph of millions of rows stays fast.

* ``nodes``: ``id, kind, unit, name, country, lat, lon, transparency, source, note,
  operator, facility_id, location``, then any extra columns of the input as text
* ``edges``: ``source, target, amount, unit, uncertainty, transparency, source_ref, note``
  (+ extras), then ``converted_amount``: the amount in the supplier's unit per one unit of
  the consumer
* ``impacts``: ``node, category, value, unit, uncertainty, transparency, source, note``
  (+ extras), then ``converted_value``: the value in the category's unit per one unit of
  the node
* ``social``: ``node, indicator, level, transparency, source, note`` (+ extras)
* ``sources``: ``id, title, authors, year, publisher, url, locator, licence,
  transparency, note`` (+ extras)
* ``categories``: ``id, name, unit, group, description`` (+ extras), ``builtin``: the
  built-in categories and the graph's own

``amount``, ``value`` and ``unit`` are kept as written so that saving gives back what the
user wrote; ``transparency`` is resolved (never empty: a figure without a source is
``missing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from supplychain.problems import Problem
from supplychain.schema import Transparency

__all__ = [
    "SupplyChain",
    "TableIndex",
    "LEVELS",
    "builtin_categories",
    "DERIVED_COLUMNS",
    "text_cell",
]

DERIVED_COLUMNS = {"edges": ["converted_amount"], "impacts": ["converted_value"]}
"""Columns computed on load; never written back."""


@dataclass(frozen=True)
class TableIndex:
    """Integer views of the tables, made once on load for the algebra.

    ``edge_supplier``, ``edge_consumer``, ``impact_node``: row positions in the nodes
    table (0-based) of the nodes each edge and impact names. ``edge_level``,
    ``impact_level``: transparency as a position in :data:`LEVELS` (0 = disclosed).
    """

    edge_supplier: np.ndarray
    edge_consumer: np.ndarray
    impact_node: np.ndarray
    edge_level: np.ndarray
    impact_level: np.ndarray


LEVELS = [level.value for level in Transparency]
"""Transparency levels, most transparent first; a level's code is its position here."""


def _level_codes(levels: pd.Series) -> np.ndarray:
    return pd.Categorical(levels, categories=LEVELS).codes.astype(np.int8)


@dataclass(frozen=True, eq=False)
class SupplyChain:
    """A validated supply-chain graph (see the module docstring for the columns).

    ``warnings`` holds the warnings found on load; a SupplyChain never has errors.
    """

    name: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    impacts: pd.DataFrame
    social: pd.DataFrame
    sources: pd.DataFrame
    categories: pd.DataFrame
    warnings: tuple[Problem, ...] = field(default=())

    def table(self, name: str) -> pd.DataFrame:
        """A table by name: ``nodes``, ``edges``, ``impacts``, ``social``, ``sources``..."""
        return getattr(self, name)

    def own_categories(self) -> pd.DataFrame:
        """The categories the graph defines itself (not the built-in ones)."""
        own = self.categories[~self.categories["builtin"]]
        return own.drop(columns="builtin").reset_index(drop=True)

    @cached_property
    def index(self) -> TableIndex:
        """Node positions and transparency codes of edges and impacts (made on load)."""
        nodes = pd.Index(self.nodes["id"])
        return TableIndex(
            edge_supplier=nodes.get_indexer(self.edges["source"]),
            edge_consumer=nodes.get_indexer(self.edges["target"]),
            impact_node=nodes.get_indexer(self.impacts["node"]),
            edge_level=_level_codes(self.edges["transparency"]),
            impact_level=_level_codes(self.impacts["transparency"]),
        )

    def __repr__(self) -> str:
        return (
            f"SupplyChain({self.name!r}: {len(self.nodes)} nodes, {len(self.edges)} edges,"
            f" {len(self.impacts)} impacts, {len(self.sources)} sources)"
        )


@lru_cache(maxsize=1)
def _builtin_categories_cached() -> pd.DataFrame:
    with resources.files("supplychain").joinpath("categories.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def builtin_categories() -> pd.DataFrame:
    """The built-in impact categories: ``id, name, unit, group, description``.

    >>> builtin_categories().set_index("id").loc["gwp", "unit"]
    'kg CO2e'
    """
    return _builtin_categories_cached().copy()


def text_cell(value: Any) -> str | None:
    """A value from JSON or Python as the text a CSV cell would hold; None if it cannot be.

    Floats keep their shortest exact form (``repr``), so nothing is lost on the way.

    >>> text_cell(0.1), text_cell(None), text_cell(True), text_cell([1])
    ('0.1', '', 'true', None)
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    return None


def build_chain(name: str, checked_tables: dict[str, pd.DataFrame], warnings) -> SupplyChain:
    """Assemble a SupplyChain from checked tables (their index reset to 0..n-1)."""
    tables = {t: frame.reset_index(drop=True) for t, frame in checked_tables.items()}
    # a folder name that is not UTF-8 arrives with surrogates: shown, written, never raised
    name = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in str(name))
    chain = SupplyChain(name=name, warnings=tuple(warnings), **tables)
    chain.index  # noqa: B018  (index the tables once, as part of loading)
    return chain
