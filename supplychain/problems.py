"""Problems found while reading or checking a graph: where they are and what is wrong.

A :class:`Problem` names the file, the row, the column and the value, so that a person can
find it in a spreadsheet. Rows of CSV files count as a spreadsheet shows them (the header
is row 1, the first data row is row 2); rows of a JSON file, or of tables given in
memory, are positions in their list (``nodes[0]`` is the first node).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from supplychain.schema import ROW_MODELS

__all__ = ["Severity", "Problem", "problems_frame", "reading_order", "PROBLEM_COLUMNS"]


class Severity(StrEnum):
    """How bad a problem is: an error stops the graph from loading, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


_MAX_VALUE_CHARS = 80


def _show_value(value: object) -> str:
    """A short printable quotation of a bad value (control characters escaped)."""
    text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return repr(text)


@dataclass(frozen=True)
class Problem:
    """One problem in one place.

    Parameters
    ----------
    severity : Severity
    code : str
        A stable identifier of the rule, e.g. ``unknown-node`` (for filtering and tests).
    message : str
        What is wrong and, where it helps, what would fix it.
    file : str
        File name (not the full path), e.g. ``edges.csv``; empty when not about one file.
    table : str
        The table, e.g. ``edges`` (the list name inside a JSON file).
    row : int or None
        Spreadsheet row for CSV (header = 1), list index for JSON (the line, when the
        problem is in a JSON file that could not be read as tables); None for a whole file.
    column : str
        The column (field) name; empty when not about one column.
    value : str or None
        The offending value as read; None when there is none to show.
    """

    severity: Severity
    code: str
    message: str
    file: str = ""
    table: str = ""
    row: int | None = None
    column: str = ""
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        """Where, as a person reads it: ``edges.csv, row 7, column target`` (a workbook's:
        ``graph.xlsx, sheet edges, row 7, column target``)."""
        parts = [self.file] if self.file else []
        if self.row is not None:
            if self.file.endswith(".csv"):
                parts.append(f"row {self.row}")
            elif self.file.lower().endswith(".xlsx") and self.table:
                parts.append(f"sheet {self.table}, row {self.row}")
            elif self.table:
                parts.append(f"{self.table}[{self.row}]")
            else:  # a place in a file that was not read as a table (e.g. bad bytes)
                parts.append(f"line {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def describe(self) -> str:
        """One line: location, value and message."""
        where = self.location
        value = f" value {_show_value(self.value)}" if self.value is not None else ""
        head = f"{where}{',' if where and value else ''}{value}"
        return f"{head}: {self.message}" if head else self.message


_TABLE_ORDER = list(ROW_MODELS)


def reading_order(problem: Problem) -> tuple:
    """Sort key: errors first, then by table (nodes, edges, impacts ...), then by row."""
    table = _TABLE_ORDER.index(problem.table) if problem.table in _TABLE_ORDER else -1
    return (not problem.is_error, table, problem.file, -1 if problem.row is None else problem.row)


PROBLEM_COLUMNS = ["severity", "code", "file", "row", "column", "value", "message"]


def problems_frame(problems: list[Problem] | tuple[Problem, ...]) -> pd.DataFrame:
    """Problems as a table with columns ``severity, code, file, row, column, value, message``.

    ``row`` is an integer (nullable) as in :class:`Problem`; sorted by
    :func:`reading_order`.
    """
    records = [
        {
            "severity": p.severity.value,
            "code": p.code,
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "message": p.message,
        }
        for p in sorted(problems, key=reading_order)
    ]
    frame = pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame
