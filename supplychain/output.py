"""Turning result tables into text: ``table`` for people, ``csv`` and ``json`` for pipelines.

CSV and JSON keep every float at full precision (shortest exact form); the table form
rounds for reading only.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from supplychain.problems import Problem, reading_order

__all__ = ["FORMATS", "render_frame", "render_sections", "render_problems", "json_records"]

FORMATS = ("table", "csv", "json", "markdown")


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
_WHOLE = {"path"}  # columns shown whole in tables: a supply path cut short says nothing


def _readable(value: object, share: bool = False, whole: bool = False) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and share:
        small = 0 < abs(value) < 0.001
        return f"{value * 100:.2g}%" if small else f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value).replace("\n", " ")
    return text if whole or len(text) <= _MAX_CELL else text[: _MAX_CELL - 3] + "..."


def _text_table(frame: pd.DataFrame) -> str:
    """Aligned columns; numbers right-aligned to 4 significant digits, ``opacity`` and
    columns whose name ends in ``share`` as percentages, long texts cut at 60 characters
    (except a ``path``)."""
    if frame.empty:
        return "(none)"
    cells = [[str(c) for c in frame.columns]]
    shares = [str(c).endswith("share") or c == "opacity" for c in frame.columns]
    whole = [c in _WHOLE for c in frame.columns]
    cells += [
        [_readable(v, s, w) for v, s, w in zip(row, shares, whole, strict=True)]
        for row in frame.astype(object).itertuples(index=False)
    ]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    widths = [max(len(row[i]) for row in cells) for i in range(len(frame.columns))]
    lines = []
    for row in cells:
        padded = [
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _csv_cell(text: str) -> str:
    """Quote a cell as the csv module does by default (only where it must)."""
    if any(mark in text for mark in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(column: pd.Series) -> list[str]:
    """The cells of one column: floats at full precision (``repr``), empty for missing."""
    if pd.api.types.is_float_dtype(column.dtype):
        return ["" if value != value else repr(value) for value in column.to_numpy().tolist()]
    texts = column.astype(object).where(column.notna(), "").astype(str)
    codes, distinct = pd.factorize(texts, use_na_sentinel=False)
    quoted = np.array([_csv_cell(text) for text in np.asarray(distinct, dtype=object)], object)
    return quoted[codes].tolist() if len(codes) else []


def _csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV, the same text as ``DataFrame.to_csv(index=False)`` writes, faster
    (a result of millions of rows is written in seconds)."""
    header = ",".join(_csv_cell(str(name)) for name in frame.columns)
    columns = [_csv_column(frame[name]) for name in frame.columns]
    body = "\n".join(map(",".join, zip(*columns, strict=True))) if len(frame) else ""
    return header + "\n" + (body + "\n" if body else "")


def _markdown_cell(text: str) -> str:
    """A cell of a Markdown table: pipes escaped, line breaks as spaces, HTML inert."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (numbers and shares as in the text table)."""
    if frame.empty:
        return "(none)"
    shares = [str(c).endswith("share") or c == "opacity" for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    header = "| " + " | ".join(_markdown_cell(str(c)) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    rows = [
        "| "
        + " | ".join(
            _markdown_cell(_readable(v, s, whole=True)) for v, s in zip(row, shares, strict=True)
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
        return _csv_text(frame)
    if fmt == "json":
        return json.dumps(json_records(frame), indent=1, ensure_ascii=False) + "\n"
    return _text_table(frame) + "\n"


def render_sections(sections: dict[str, pd.DataFrame], fmt: str) -> str:
    """Several titled tables: headed blocks (table, markdown), one object by title (json),
    or one CSV with a leading ``section`` column (csv)."""
    if fmt == "json":
        document = {title: json_records(frame) for title, frame in sections.items()}
        return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if fmt == "csv":
        frames = [f.assign(section=title) for title, f in sections.items() if not f.empty]
        whole = {  # columns that are whole numbers in every table keep that type
            c for f in frames for c in f.columns if pd.api.types.is_integer_dtype(f[c])
        } - {c for f in frames for c in f.columns if not pd.api.types.is_integer_dtype(f[c])}
        stacked = pd.concat(frames, ignore_index=True)
        stacked = stacked.astype({c: "Int64" for c in whole})
        columns = ["section"] + [c for c in stacked.columns if c != "section"]
        return stacked[columns].to_csv(index=False, lineterminator="\n")
    if fmt == "markdown":
        blocks = [f"### {title}\n\n{_markdown_table(frame)}" for title, frame in sections.items()]
        return "\n\n".join(blocks) + "\n"
    blocks = [f"== {title} ==\n{_text_table(frame)}" for title, frame in sections.items()]
    return "\n\n".join(blocks) + "\n"


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
        lines.append(f"{label} {problem.describe()}")
    for (code, file), count in hidden.items():
        lines.append(f"... and {count} more '{code}' problems in {file or 'the input'}")
    return "\n".join(lines) + ("\n" if lines else "")
