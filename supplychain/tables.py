"""A validated graph from tables in memory: DataFrames, dicts or pydantic row models.

The in-memory route to a :class:`~supplychain.model.SupplyChain`, beside
:func:`supplychain.io.load` for files: the same checks, the same errors, located as
``nodes[3]`` (the position in what was given) instead of a file's row.

>>> chain = from_tables(nodes=[{"id": "ore", "kind": "mine", "unit": "kg"}])
>>> chain
SupplyChain('graph': 1 nodes, 0 edges, 0 impacts, 0 sources)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from pydantic import BaseModel

from supplychain.columns import per_distinct
from supplychain.errors import InvalidGraphError
from supplychain.model import SupplyChain, build_chain, builtin_categories, text_cell
from supplychain.schema import ROW_MODELS
from supplychain.validate import check_graph

__all__ = ["from_tables"]


def _records_to_text(records: Iterable[Mapping[str, Any] | BaseModel]) -> pd.DataFrame:
    rows = []
    for record in records:
        if isinstance(record, BaseModel):
            record = record.model_dump(exclude_defaults=True)
        rows.append({key: _as_text(value) for key, value in record.items()})
    return pd.DataFrame.from_records(rows).fillna("") if rows else pd.DataFrame()


def _as_text(value: Any) -> str:
    text = text_cell(value)
    return (str(value) if text is None else text).strip()


def _missing_or_text(value: Any) -> str:
    return "" if value is None or value is pd.NA or value != value else _as_text(value)


def _column_to_text(column: pd.Series) -> pd.Series:
    """A column as CSV-like text, column at a time: floats at full precision (``repr``),
    missing values empty, each distinct other value converted once."""
    if pd.api.types.is_float_dtype(column.dtype):
        texts = ["" if v != v else repr(v) for v in column.to_numpy(dtype=float).tolist()]
        return pd.Series(texts, index=column.index, dtype=str)
    values = column.astype(object)
    present = values[values.notna()]
    if set(map(type, present.to_numpy().tolist())) <= {str}:
        # plain text and missing cells only (ids, units ...): stripped and emptied whole;
        # a str subclass (an Enum) goes the way below, which asks for its value
        return values.where(values.notna(), "").astype(str).str.strip()
    return per_distinct(values, _missing_or_text)


def _frame_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    text = pd.DataFrame({name: _column_to_text(frame[name]) for name in frame.columns})
    return text.reset_index(drop=True)


def from_tables(
    name: str = "graph", **tables: pd.DataFrame | Iterable[Mapping[str, Any] | BaseModel]
) -> SupplyChain:
    """Make a validated graph from tables in memory: DataFrames, dicts or row models.

    Keyword arguments are the table names (``nodes`` required; ``edges``, ``impacts``,
    ``social``, ``sources``, ``categories`` optional). Problems are located as
    ``nodes[3]``: the position in what was given.

    Raises
    ------
    InvalidGraphError
        With every problem found, if there is any error.

    Examples
    --------
    >>> chain = from_tables(
    ...     nodes=[{"id": "ore", "kind": "mine", "unit": "kg"},
    ...            {"id": "metal", "kind": "material", "unit": "kg"}],
    ...     edges=[{"source": "ore", "target": "metal", "amount": 1200, "unit": "g"}],
    ...     impacts=[{"node": "ore", "category": "gwp", "value": 2.0}],
    ... )
    >>> float(chain.edges.loc[0, "converted_amount"])
    1.2
    """
    unknown = set(tables) - set(ROW_MODELS)
    if unknown:
        raise TypeError(f"unknown tables {sorted(unknown)}; expected {list(ROW_MODELS)}")
    raw = {
        table: _frame_to_text(data) if isinstance(data, pd.DataFrame) else _records_to_text(data)
        for table, data in tables.items()
    }
    checked = check_graph(raw, {t: "" for t in ROW_MODELS}, builtin_categories())
    if not checked.ok:
        raise InvalidGraphError(checked.problems)
    return build_chain(name, checked.tables, [p for p in checked.problems if not p.is_error])
