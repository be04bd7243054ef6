"""Graphs as Excel workbooks (``.xlsx``): one sheet per table, read and written with openpyxl.

A workbook holds the tables of a graph folder as sheets of the same names (``nodes``,
``edges``, ``impacts``, ``social``, ``sources``, ``categories``; the case of a sheet's name
does not matter), each with its header in row 1. Cells are read as the text a CSV file
would hold (a number at full precision, a date as ISO text), so a workbook is checked by
the same rules and its problems are located by sheet, row and column as Excel shows them.
A formula is read as the value Excel saved with it; one saved without a value (written
by a program, never opened in Excel) is refused, since nothing here computes formulas.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_workbook({"nodes": pd.DataFrame({"id": ["ore"], "kind": ["mine"], "unit": ["kg"],
...                                        "lat": [-10.5]})}, folder / "g.xlsx")
>>> tables, problems = read_workbook(folder / "g.xlsx", ["nodes", "edges"])
>>> tables["nodes"].to_dict("records"), problems
([{'id': 'ore', 'kind': 'mine', 'unit': 'kg', 'lat': '-10.5'}], [])
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from supplychain.files import read_regular_file
from supplychain.problems import Problem, Severity

__all__ = ["read_workbook", "write_workbook", "unwritable_cells", "MAX_SHEET_ROWS"]

MAX_SHEET_ROWS = 2_000_000
"""The most rows a sheet may have (Excel's own limit is 1,048,576)."""

_MAX_COLUMNS = 1000


def _text(value: object) -> str:
    """A cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def read_workbook(
    path: Path, tables: Sequence[str]
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """The sheets of the workbook at ``path`` named as ``tables``, as text cells indexed by
    row (header = row 1), and the problems of reading it (a file that is no workbook, a
    sheet of another name, a formula without a saved value, a sheet too large).

    Raises nothing for bad input: every problem is returned, located by sheet and row.
    """
    from openpyxl import load_workbook  # noqa: PLC0415  (only a workbook needs it)

    file = path.name
    problems: list[Problem] = []

    def problem(message, code, sheet="", row=None, column="", value=None, warning=False):
        severity = Severity.WARNING if warning else Severity.ERROR
        problems.append(Problem(severity, code, message, file, sheet, row, column, value))

    try:
        data = read_regular_file(path)
    except OSError as error:
        problem(f"not read: {error}", "unreadable")
        return {}, problems
    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        problem(
            f"not an Excel workbook (.xlsx) that can be read: {error}; save it from Excel as"
            " 'Excel Workbook (.xlsx)'",
            "not-a-workbook",
        )
        return {}, problems
    by_name = {name.strip().lower(): name for name in values.sheetnames}
    found: dict[str, pd.DataFrame] = {}
    for name in values.sheetnames:
        if name.strip().lower() not in tables:
            problem(
                f"sheet {name!r} is not a table of a graph, ignored (sheets: {', '.join(tables)})",
                "unknown-sheet",
                name,
                warning=True,
            )
    for table in tables:
        if table not in by_name:
            continue
        sheet = values[by_name[table]]
        sheet.reset_dimensions()  # the saved <dimension> may be stale: read every row
        if (sheet.max_row or 0) > MAX_SHEET_ROWS or (sheet.max_column or 0) > _MAX_COLUMNS:
            problem(
                f"the sheet has {sheet.max_row:,} rows and {sheet.max_column:,} columns, more"
                f" than the {MAX_SHEET_ROWS:,} and {_MAX_COLUMNS:,} a table may have",
                "too-large",
                table,
            )
            continue
        rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        typed = formulas[by_name[table]]
        typed.reset_dimensions()
        written = typed.iter_rows(values_only=True)
        for number, (row, typed) in enumerate(zip(rows, written, strict=False), start=1):
            for position, (cell, formula) in enumerate(zip(row, typed, strict=False)):
                if cell == "" and isinstance(formula, str) and formula.startswith("="):
                    header = rows[0][position] if rows and position < len(rows[0]) else ""
                    problem(
                        "a formula with no value saved: open and save the workbook in Excel"
                        " (nothing here computes formulas)",
                        "formula-without-value",
                        table,
                        number,
                        header,
                        formula,
                    )
        found[table] = _frame(rows)
    values.close()
    formulas.close()
    return found, problems


def _frame(rows: list[list[str]]) -> pd.DataFrame:
    """Text rows (the first the header) as a frame indexed by row number; empty rows and
    empty columns without a header dropped, as a CSV file's trailing commas are."""
    if not rows:
        return pd.DataFrame()
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header = rows[0]
    keep = [i for i, name in enumerate(header) if name or any(r[i] for r in rows[1:])]
    frame = pd.DataFrame(
        [[r[i] for i in keep] for r in rows[1:]], columns=[header[i] for i in keep]
    )
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    empty = (frame == "").all(axis=1) if len(frame.columns) else pd.Series(True, frame.index)
    return frame[~empty]


def unwritable_cells(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, int, str, str]]:
    """``(sheet, row, column, character)`` of each text cell a workbook cannot hold: the
    control characters (a form feed pasted from a PDF ...) that its XML forbids."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    found = []
    for name, frame in tables.items():
        for column in frame.columns:
            for number, value in enumerate(frame[column].tolist(), start=2):
                if isinstance(value, str):
                    hit = ILLEGAL_CHARACTERS_RE.search(value)
                    if hit:
                        found.append((name, number, str(column), f"U+{ord(hit.group()):04X}"))
    return found


def write_workbook(tables: Mapping[str, pd.DataFrame], target: Path) -> None:
    """Write ``tables`` as the sheets of one workbook at ``target``: numbers as numbers,
    text as text (never a formula, whatever it starts with). Check
    :func:`unwritable_cells` first: openpyxl refuses those."""
    from openpyxl import Workbook  # noqa: PLC0415

    book = Workbook()
    book.remove(book.active)
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for cells in sheet.iter_rows(min_row=1):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
    book.save(target)


def _cell(value: object) -> object:
    """A value as a workbook cell: a finite number stays one, a missing value is empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return _cell(value.item())
    return str(value) or None  # an empty cell, not an empty text
