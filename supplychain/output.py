r"""Turning result tables into text: ``table`` for people, ``csv`` and ``json`` for pipelines.

CSV and JSON keep every float at full precision (shortest exact form); the table form
rounds for reading only.

What is printed is data someone else opens, so it is made safe where it is read:

* **tables and Markdown** (read on a terminal or rendered as a page): control characters,
  terminal escape sequences and invisible or bidirectional format characters are shown as
  escapes (``\x1b``, ``\u202e``) by :func:`terminal_safe`; in Markdown, link and image
  syntax (``[``, ``]``) and HTML are inert too;
* **CSV** (opened in spreadsheets): a text cell that starts as a formula would (``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``, as OWASP
  recommends, and is quoted (:func:`spreadsheet_safe`); a cell that starts with ``'``
  before one of those gets one more, so :func:`from_spreadsheet_safe` gives back exactly
  what was written: the graph tables read this way stay lossless;
* **JSON** is the lossless route for everything: strings as they are, with C1 control
  and bidirectional characters written as ``\u`` escapes (the same text once parsed).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from supplychain.problems import Problem, reading_order
from supplychain.text import (
    FORMATS,
    aligned,
    csv_cell,
    from_spreadsheet_safe,
    json_text,
    markdown_cell,
    spreadsheet_safe,
    terminal_safe,
)

__all__ = [
    "FORMATS",
    "render_frame",
    "render_sections",
    "render_problems",
    "json_records",
    "csv_text",
    "terminal_safe",
    "spreadsheet_safe",
    "from_spreadsheet_safe",
]


def _json_ready(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values: missing values None, numpy scalars unboxed."""
    return [
        {key: _json_ready(value) for key, value in record.items()}
        for record in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]


_MAX_CELL = 60
_WHOLE = {
    "path",
    "node",
    "service",
    "input",
}  # shown whole in tables: a path or an id cut short says nothing


def _readable(value: object, share: bool = False, whole: bool = False) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and share:
        small = 0 < abs(value) < 0.001
        return f"{value * 100:.2g}%" if small else f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value).replace("\n", " ")
    text = text if whole or len(text) <= _MAX_CELL else text[: _MAX_CELL - 3] + "..."
    return terminal_safe(text)


def _text_table(frame: pd.DataFrame, width: int | None = None) -> str:
    """Aligned columns; numbers right-aligned to 4 significant digits, ``opacity`` and
    columns whose name ends in ``share`` as percentages, long texts cut at 60 characters
    (except a ``path``)."""
    if frame.empty:
        return "(none)"
    cells = [[terminal_safe(str(c)) for c in frame.columns]]
    shares = [str(c).endswith("share") or c == "opacity" for c in frame.columns]
    whole = [c in _WHOLE for c in frame.columns]
    cells += [
        [_readable(v, s, w) for v, s, w in zip(row, shares, whole, strict=True)]
        for row in frame.astype(object).itertuples(index=False)
    ]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    return aligned(cells[0], cells[1:], numeric, width)


def _csv_column(column: pd.Series, spreadsheet: bool) -> list[str]:
    """The cells of one column: floats at full precision (``repr``), empty for missing;
    text made :func:`spreadsheet_safe` if ``spreadsheet``."""
    if pd.api.types.is_float_dtype(column.dtype):
        return ["" if value != value else repr(value) for value in column.to_numpy().tolist()]
    numeric = pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column)
    texts = column.astype(object).where(column.notna(), "").astype(str)
    codes, distinct = pd.factorize(texts, use_na_sentinel=False)
    texts = np.asarray(distinct, dtype=object)
    if spreadsheet and not numeric:  # a neutralised cell is also quoted, as OWASP advises
        cells = [
            csv_cell(safe, safe != text) for text in texts for safe in [spreadsheet_safe(text)]
        ]
    else:
        cells = [csv_cell(text) for text in texts]
    quoted = np.array(cells, dtype=object)
    return quoted[codes].tolist() if len(codes) else []


def csv_text(frame: pd.DataFrame, spreadsheet: bool = True) -> str:
    """The frame as CSV (no index; newline line ends), written column at a time (a result
    of millions of rows is written in seconds): floats at full precision, text cells
    :func:`spreadsheet_safe` unless ``spreadsheet`` is false.

    >>> print(csv_text(pd.DataFrame({"id": ["=1+1", "a,b"], "value": [0.1, -2.0]})), end="")
    id,value
    "'=1+1",0.1
    "a,b",-2.0
    """
    names = [str(name) for name in frame.columns]
    header = ",".join(
        csv_cell(spreadsheet_safe(name), spreadsheet_safe(name) != name)
        if spreadsheet
        else csv_cell(name)
        for name in names
    )
    columns = [_csv_column(frame[name], spreadsheet) for name in frame.columns]
    body = "\n".join(map(",".join, zip(*columns, strict=True))) if len(frame) else ""
    return header + "\n" + (body + "\n" if body else "")


def _markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (numbers and shares as in the text table)."""
    if frame.empty:
        return "(none)"
    shares = [str(c).endswith("share") or c == "opacity" for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    header = "| " + " | ".join(markdown_cell(str(c)) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    rows = [
        "| "
        + " | ".join(
            markdown_cell(_readable(v, s, whole=True)) for v, s in zip(row, shares, strict=True)
        )
        + " |"
        for row in frame.astype(object).itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def render_frame(frame: pd.DataFrame, fmt: str) -> str:
    """One table as text in ``fmt`` (``table``, ``markdown``, ``csv`` or ``json``: a list of
    records)."""
    if fmt == "markdown":
        return _markdown_table(frame) + "\n"
    if fmt == "csv":
        return csv_text(frame)
    if fmt == "json":
        return json_text(json_records(frame)) + "\n"
    return _text_table(frame) + "\n"


def render_sections(sections: dict[str, pd.DataFrame], fmt: str, width: int | None = None) -> str:
    """Several titled tables: headed blocks (table, markdown), one object by title (json),
    or one CSV with a leading ``section`` column (csv). ``width``: the characters a table
    may take (its text columns are cut and, if need be, wrapped; see
    :func:`supplychain.text.aligned`), None for no limit."""
    if fmt == "json":
        document = {title: json_records(frame) for title, frame in sections.items()}
        return json_text(document) + "\n"
    if fmt == "csv":
        frames = [f.assign(section=title) for title, f in sections.items() if not f.empty]
        whole = {  # columns that are whole numbers in every table keep that type
            c for f in frames for c in f.columns if pd.api.types.is_integer_dtype(f[c])
        } - {c for f in frames for c in f.columns if not pd.api.types.is_integer_dtype(f[c])}
        stacked = pd.concat(frames, ignore_index=True)
        stacked = stacked.astype({c: "Int64" for c in whole})
        columns = ["section"] + [c for c in stacked.columns if c != "section"]
        return csv_text(stacked[columns])
    if fmt == "markdown":
        blocks = [
            f"### {markdown_cell(title)}\n\n{_markdown_table(frame)}"
            for title, frame in sections.items()
        ]
        return "\n\n".join(blocks) + "\n"
    blocks = [
        f"== {_title(terminal_safe(title), width)} ==\n{_text_table(frame, width)}"
        for title, frame in sections.items()
    ]
    return "\n\n".join(blocks) + "\n"


def _title(title: str, width: int | None) -> str:
    """A section's title cut to fit ``width`` with its ``== ==`` marks."""
    if width is None or len(title) + 6 <= width:
        return title
    return title[: max(width - 7, 8)] + "…"


def render_problems(problems: list[Problem], limit: int = 20) -> str:
    """Problems as lines for people, errors first; at most ``limit`` per rule and file
    (0: all), with a count of the rest."""
    lines = []
    shown: dict[tuple[str, str], int] = {}
    hidden: dict[tuple[str, str], int] = {}
    for problem in sorted(problems, key=reading_order):
        key = (problem.code, problem.file)
        shown[key] = shown.get(key, 0) + 1
        if limit and shown[key] > limit:
            hidden[key] = hidden.get(key, 0) + 1
            continue
        label = "ERROR  " if problem.is_error else "warning"
        lines.append(f"{label} {terminal_safe(problem.describe())}")
    for (code, file), count in hidden.items():
        where = terminal_safe(file) or "the input"
        lines.append(f"... and {count} more '{code}' problems in {where}")
    return "\n".join(lines) + ("\n" if lines else "")
