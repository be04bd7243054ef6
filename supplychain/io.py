"""Reading and writing graphs: a folder of CSV tables or one JSON file.

GraphML export lives in :mod:`supplychain.graphml`.

A graph folder holds ``nodes.csv`` (required), ``edges.csv``, ``impacts.csv`` and
optionally ``social.csv``, ``sources.csv``, ``categories.csv``. Files are UTF-8 (a byte
order mark and CRLF line ends are fine). The JSON form holds the same tables as lists of
records in one object (:class:`supplychain.schema.GraphDocument`).

Reading never writes; writing never overwrites unless asked, and never writes onto the
graph it was read from. Load, save, load gives the same graph.

Examples
--------
>>> import tempfile, pathlib
>>> chain = load("example")            # a shipped graph, by name
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "copy"
>>> save_csv(chain, folder)
>>> len(load(folder).nodes) == len(chain.nodes)
True
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from pydantic import ValidationError

from supplychain.columns import check_table, per_distinct
from supplychain.errors import (
    GraphNotFoundError,
    InvalidGraphError,
    OutputExistsError,
    SupplyChainError,
    UnreadableFileError,
    WriteError,
)
from supplychain.files import (
    atomic_write,
    check_target,
    read_regular_file,
    staging_folder,
)
from supplychain.model import (
    DERIVED_COLUMNS,
    SupplyChain,
    build_chain,
    builtin_categories,
    text_cell,
)
from supplychain.output import csv_text, from_spreadsheet_safe
from supplychain.problems import Problem, Severity
from supplychain.schema import ROW_MODELS, GraphDocument
from supplychain.shipped import shipped_graph_names, shipped_graph_path
from supplychain.validate import check_graph
from supplychain.workbook import read_workbook, unwritable_cells, write_workbook

__all__ = [
    "resolve_graph_path",
    "read_problems",
    "load",
    "validate",
    "save_csv",
    "check_table_folder",
    "save_json",
    "save_xlsx",
    "graph_tables",
    "graph_json",
    "GRAPHML_GRAPH_KEY",
    "read_csv_cells",
    "TABLE_FILES",
]

TABLE_FILES = {table: f"{table}.csv" for table in ROW_MODELS}
"""File name of each table in a graph folder."""

GRAPH_FILE_SUFFIXES = (".json", ".xlsx", ".graphml")
"""The files a graph may be, besides a folder of CSV tables: the JSON form, an Excel
workbook (a sheet per table) and the GraphML that ``export`` writes."""

_EXPECTED_FILES = {"edges", "impacts"}

MAX_COLUMNS = 1000
"""The most columns a table may have (its schema has at most 13; the rest are kept as
extras): a header of a million columns would take minutes and gigabytes to read."""

MAX_LINE_BYTES = 2**20
"""The longest line a CSV table may have, in bytes (1 MiB), and the longest text a cell of
a JSON graph may hold, in characters."""


@dataclass
class _RawGraph:
    """A graph as read, before any check: text tables and the problems of reading."""

    name: str
    files: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def resolve_graph_path(path: str | os.PathLike) -> Path:
    """The graph at ``path``: an existing folder or JSON file, else a shipped graph by name.

    Raises
    ------
    GraphNotFoundError
        If nothing is there, naming the shipped graphs.
    """
    candidate = Path(path)
    if candidate.exists():
        if candidate.is_dir() or candidate.suffix.lower() in GRAPH_FILE_SUFFIXES:
            return candidate
        if candidate.suffix.lower() == ".csv":
            raise GraphNotFoundError(
                f"{candidate}: a graph is the folder holding nodes.csv, edges.csv, ...;"
                f" give the folder {candidate.parent}"
            )
        raise GraphNotFoundError(
            f"{candidate}: not a graph folder, nor a {', '.join(GRAPH_FILE_SUFFIXES)} file"
        )
    shipped = shipped_graph_path(str(path))
    if shipped is not None:
        return shipped
    names = ", ".join(shipped_graph_names()) or "none"
    raise GraphNotFoundError(
        f"{path}: no such file or folder, and no shipped graph of that name (shipped: {names})"
    )


def _problem(
    file: str,
    message: str,
    code: str,
    row: int | None = None,
    table: str = "",
    severity: Severity = Severity.ERROR,
) -> Problem:
    return Problem(severity, code, message, file, table, row)


def _looks_like_utf16(data: bytes) -> bool:
    """A UTF-16 byte order mark, or a NUL in every other byte of the start (UTF-16 text
    of mostly Latin letters, as Excel's "Unicode text" saves it)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = data[:200]
    return len(head) >= 4 and (
        head[1::2].count(0) >= 0.9 * len(head[1::2]) or head[0::2].count(0) >= 0.9 * len(head[0::2])
    )


def _decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    if _looks_like_utf16(data):
        message = (
            "is UTF-16 text (as Excel's 'Unicode text' saves it): save it as UTF-8 (CSV UTF-8)"
        )
        return None, [_problem(file, message, "not-utf8")]
    if b"\x00" in data:
        return None, [_problem(file, "contains NUL bytes: not a text file", "not-text")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start : error.start + 1]
        try:
            windows = f" ({byte.decode('cp1252')!r} in Windows-1252, as Excel saves 'CSV')"
        except UnicodeDecodeError:
            windows = ""
        return None, [
            _problem(
                file,
                f"not UTF-8: byte 0x{byte.hex()} at offset {error.start}{windows}; save the"
                " file as UTF-8 (Excel: 'CSV UTF-8')",
                "not-utf8",
                line,
            )
        ]


def _read_bytes(path: Path) -> tuple[bytes | None, list[Problem]]:
    """The bytes of a table file: a regular file, bounded (:mod:`supplychain.files`)."""
    try:
        return read_regular_file(path), []
    except UnreadableFileError as error:
        return None, [_problem(path.name, f"not read: {error}", "unreadable")]
    except OSError as error:
        reason = error.strerror or str(error)
        return None, [_problem(path.name, f"cannot read: {reason}", "unreadable")]


def _shape_problems(raw: bytes, file: str, separator: str = ",") -> list[Problem]:
    """Refuse, before parsing, a table whose lines or header would cost too much: a line
    over :data:`MAX_LINE_BYTES`, a header over :data:`MAX_COLUMNS` columns."""
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 0x0A)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.append(ends, len(raw)) - starts
    longest = int(np.argmax(lengths)) if len(lengths) else 0
    if len(lengths) and lengths[longest] > MAX_LINE_BYTES:
        return [
            _problem(
                file,
                f"line {longest + 1} is {lengths[longest]:,} bytes long, more than the"
                f" {MAX_LINE_BYTES:,} a row of a table may be",
                "too-large",
            )
        ]
    header = raw[: ends[0] if len(ends) else len(raw)]
    columns = header.count(separator.encode()) + 1  # at most, if quoted
    if columns > MAX_COLUMNS:
        return [
            _problem(
                file,
                f"the header has {columns:,} columns, more than the {MAX_COLUMNS:,} a"
                " table may have",
                "too-large",
            )
        ]
    return []


NUMBER_COLUMNS = {"nodes": ("lat", "lon"), "edges": ("amount",), "impacts": ("value",)}
"""The columns of a graph's tables that hold numbers (decimal commas are read there)."""


def _read_csv_table(path: Path, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV table of a graph as text; index = spreadsheet row (header = row 1)."""
    required = [name for name, f in ROW_MODELS[table].model_fields.items() if f.is_required()]
    return read_csv_cells(path, required, NUMBER_COLUMNS.get(table, ()))


def read_csv_cells(
    path: Path, required: Sequence[str], numbers: Sequence[str] = ()
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The cells of a CSV file as text, read as a graph's tables are (the same encodings,
    limits and spreadsheet conventions); index = spreadsheet row (header = row 1), headers
    matched without case. ``required``: the columns an empty file is told to have. None
    and the problems when it cannot be read as a table.

    A file whose header has no comma but semicolons (or tabs) is read with that separator,
    as Excel saves CSV where the comma is the decimal mark; its ``numbers`` columns are
    then read with decimal commas (``0,74``; ``1.234,5`` with a thousands point), and a
    number such as ``1.234`` there, a thousands point or a decimal one, is refused as
    ambiguous."""
    data, problems = _read_bytes(path)
    if data is None:
        return None, problems
    text, problems = _decode(data, path.name)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [
            _problem(
                path.name,
                f"empty file: expected a header row with the columns {', '.join(required)}",
                "empty-file",
            )
        ]
    raw = data.removeprefix(b"\xef\xbb\xbf")  # decoded above: valid UTF-8
    separator = _separator(raw)
    shape = _shape_problems(raw, path.name, separator)
    if shape:
        return None, shape
    try:
        cells = pd.read_csv(
            io.BytesIO(raw),
            header=None,
            sep=separator,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,  # white space after a comma: dropped by the parser
        )
    except (pd.errors.ParserError, ValueError) as error:
        ragged = _ragged_rows(text, path.name, separator)
        if ragged:
            return None, ragged
        message = str(error).strip().splitlines()[-1]
        return None, [_problem(path.name, f"not a readable CSV table: {message}", "bad-csv")]
    del text
    frame = cells.iloc[1:]
    frame.columns = [_column_name(column) for column in cells.iloc[0]]
    # a trailing comma in the header makes an unnamed, empty column: not worth a word
    unnamed_empty = [
        name == "" and bool((frame.iloc[:, position] == "").all())
        for position, name in enumerate(frame.columns)
    ]
    frame = frame.iloc[:, [not drop for drop in unnamed_empty]]
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # rows as a spreadsheet numbers them
    if _space_at_cell_edge(raw):  # only then is stripping every cell worth it
        frame = frame.apply(lambda column: per_distinct(column, str.strip))
    if raw[:1] == b"'" or any(mark in raw for mark in (b",'", b"\n'", b"\r'", b"\"'")):
        # a cell written inert for spreadsheets ('=...) reads back as it was
        frame = frame.apply(lambda column: per_distinct(column, from_spreadsheet_safe))
    if not len(frame.columns):
        return frame.iloc[:0], problems
    first_empty = frame.iloc[:, 0] == ""  # only such rows can be empty: check them alone
    if first_empty.any():
        candidates = frame[first_empty]
        empty_rows = candidates.index[(candidates == "").all(axis=1)]
        frame = frame.drop(index=empty_rows)
    if separator != ",":
        frame, comma_problems = _decimal_commas(frame, numbers, path.name, separator)
        problems = problems + comma_problems
    return frame, problems


_DECIMAL_COMMA = re.compile(
    r"[+-]?[1-9]\d{0,2}([. \u00a0\u202f]\d{3})+,\d+([eE][+-]?\d+)?|[+-]?\d+,\d+([eE][+-]?\d+)?"
)
_THOUSANDS_ONLY = re.compile(r"[+-]?[1-9]\d{0,2}(\.\d{3})+")  # 0.742 is no thousands


def _separator(raw: bytes) -> str:
    """``,``, or ``;`` or a tab where the header has none of the first but the other."""
    header = raw.split(b"\n", 1)[0]
    if b"," in header:
        return ","
    if b";" in header:
        return ";"
    return "\t" if b"\t" in header else ","


def _decimal_commas(
    frame: pd.DataFrame, numbers: Sequence[str], file: str, separator: str = ";"
) -> tuple[pd.DataFrame, list[Problem]]:
    """``numbers`` columns of a file that uses decimal commas, read as numbers with a
    decimal point; a ``1.234`` there is ambiguous and refused."""
    problems = []
    frame = frame.copy()
    name = "tabs" if separator == "\t" else "semicolons"
    for column in [c for c in numbers if c in frame.columns]:
        cells = frame[column]
        comma = cells.str.fullmatch(_DECIMAL_COMMA.pattern)
        frame.loc[comma, column] = (
            cells[comma]
            .str.replace(r"[. \u00a0\u202f]", "", regex=True)
            .str.replace(",", ".", regex=False)
        )
        for row in cells.index[cells.str.fullmatch(_THOUSANDS_ONLY.pattern)]:
            problems.append(
                Problem(
                    Severity.ERROR,
                    "ambiguous-number",
                    f"the file separates cells with {name}, so its decimal mark is the comma:"
                    f" is {cells[row]!r} a thousands point or a decimal one? write it without"
                    " the point, or with a decimal comma",
                    file,
                    file.removesuffix(".csv"),
                    int(row),
                    column,
                    cells[row],
                )
            )
    return frame, problems


_EDGE_SPACE = re.compile(  # white space beside a comma, a line end or a quote
    b"|".join(
        re.escape(mark)
        for mark in (b" ,", b"\t,", b" \n", b"\t\n", b" \r", b"\t\r", b"\n ", b"\n\t")
        + (b'" ', b' "', b'"\t', b'\t"')
    )
)
_RARE_SPACE_BYTES = b"\x0b\x0c\x1c\x1d\x1e\x1f\xc2\xe1\xe2\xe3"
_RARE_SPACE = re.compile(  # vertical tab ... and white space beyond ASCII, as UTF-8
    b"|".join(
        re.escape(mark)
        for mark in (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f", b"\xc2\x85")
        + (b"\xc2\xa0", b"\xe1\x9a\x80", b"\xe2\x80", b"\xe2\x81\x9f", b"\xe3\x80\x80")
    )
)


def _space_at_cell_edge(raw: bytes) -> bool:
    """Whether white space may be left around a cell once the parser has dropped what
    follows a comma: at the start of a line, before a comma or a line end, inside the
    quotes of a quoted cell, or any white space beyond ASCII (no-break space, ideographic
    space ...) or the rarer ASCII kinds (vertical tab, form feed). A hit only costs the
    time of stripping every cell. One pass of a regular expression over the bytes, and
    the rare kinds only if their first bytes occur at all (a fast ``translate``).
    """
    if raw[:1] in (b" ", b"\t") or raw.endswith((b" ", b"\t")) or _EDGE_SPACE.search(raw):
        return True
    if len(raw.translate(None, _RARE_SPACE_BYTES)) == len(raw):
        return False
    return _RARE_SPACE.search(raw) is not None


def _ragged_rows(text: str, file: str, separator: str = ",") -> list[Problem]:
    """Every row with more cells than the header (pandas stops at the first); none if the
    text is not CSV at all."""
    # a lone \r ends a row, as in pandas
    records = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(records, [])
        rows = list(enumerate(records, start=2))
    except csv.Error:
        return []
    problems = []
    for row, cells in rows:
        if len(cells) > len(header):
            problems.append(
                _problem(
                    file,
                    f"row has {len(cells)} cells but the header has {len(header)}"
                    " (quote cells that contain commas)",
                    "bad-csv",
                    row,
                )
            )
    return problems


def _column_name(column: object) -> str:
    """Header cells are matched without surrounding space and case (``Amount`` = amount)."""
    name = from_spreadsheet_safe(str(column).strip())
    lowered = name.lower()
    known = {field for model in ROW_MODELS.values() for field in model.model_fields}
    return lowered if lowered in known else name


def _read_folder(folder: Path) -> _RawGraph:
    raw = _RawGraph(folder.resolve().name or str(folder), dict(TABLE_FILES))  # "." is its folder
    for table, file_name in TABLE_FILES.items():
        path = folder / file_name
        if not path.exists() and not path.is_symlink():  # a broken link is read, and refused
            if table == "nodes":
                message = f"no {file_name} in {folder}: a graph needs one"
                raw.problems.append(_problem(file_name, message, "no-nodes"))
            elif table in _EXPECTED_FILES:
                message = f"no {file_name}: the graph has no {table}"
                raw.problems.append(
                    _problem(file_name, message, "no-table", severity=Severity.WARNING)
                )
            continue
        frame, read_problems = _read_csv_table(path, table)
        raw.problems.extend(read_problems)
        if frame is None:
            raw.unreadable.add(table)
        else:
            raw.tables[table] = frame
    known = set(TABLE_FILES.values())
    for other in sorted(folder.glob("*.csv")):
        if other.name not in known:
            message = f"not a table of a graph, ignored (tables: {', '.join(sorted(known))})"
            raw.problems.append(
                _problem(other.name, message, "unknown-file", severity=Severity.WARNING)
            )
    return raw


def _read_workbook(path: Path) -> _RawGraph:
    """A graph from an Excel workbook, one sheet per table (:mod:`supplychain.workbook`)."""
    raw = _RawGraph(path.stem, {table: path.name for table in TABLE_FILES})
    tables, problems = read_workbook(path, list(TABLE_FILES))
    raw.problems.extend(problems)
    if any(p.is_error and p.code in ("not-a-workbook", "unreadable") for p in problems):
        return raw
    for table, frame in tables.items():
        frame.columns = [_column_name(column) for column in frame.columns]
        raw.tables[table] = frame
    raw.unreadable.update(p.table for p in problems if p.is_error and p.code == "too-large")
    if "nodes" not in tables:
        raw.problems.append(
            _problem(path.name, "no sheet 'nodes' in the workbook: a graph needs one", "no-nodes")
        )
    return raw


GRAPHML_GRAPH_KEY = "supplychain_graph"
"""The GraphML graph attribute in which ``export --to graphml`` keeps the whole graph in
its JSON form, so that the file loads back losslessly (the node and edge attributes are
for Gephi and other tools)."""


def _read_graphml(path: Path) -> _RawGraph:
    """A graph from a GraphML file written by ``export --to graphml``: its JSON form, kept
    in the graph attribute :data:`GRAPHML_GRAPH_KEY`."""
    raw = _RawGraph(path.stem, {table: path.name for table in ROW_MODELS})
    data, problems = _read_bytes(path)
    raw.problems = problems
    if data is None:
        return raw
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raw.problems.append(
            _problem(path.name, f"not readable GraphML (XML): {error}", "bad-graphml")
        )
        return raw
    space = "{http://graphml.graphdrawing.org/xmlns}"
    keys = {
        key.get("id")
        for key in root.iter(f"{space}key")
        if key.get("attr.name") == GRAPHML_GRAPH_KEY and key.get("for") == "graph"
    }
    graph = root.find(f"{space}graph")
    held = [d.text or "" for d in (graph if graph is not None else []) if d.get("key") in keys]
    if not held:
        raw.problems.append(
            _problem(
                path.name,
                "this GraphML holds no supplychain graph (written by another tool or an older"
                " export): its tables cannot be rebuilt from node and edge attributes; export"
                " the graph again, or load its CSV or JSON form",
                "bad-graphml",
            )
        )
        return raw
    raw = _parse_json(raw, held[0], path)
    if "edges" in raw.tables and "nodes" in raw.tables:
        edited = _graphml_edits(root, space, raw.tables)
        if edited:
            raw.problems.append(
                _problem(
                    path.name,
                    f"this GraphML was edited after export ({edited}): the tables it keeps"
                    " would load without the edit, so nothing is loaded; make the edit in"
                    " the graph's CSV, JSON or workbook form, or in the tables of this file",
                    "edited-graphml",
                )
            )
            raw.tables = {}
    return raw


def _graphml_edits(root, space: str, tables: dict[str, pd.DataFrame]) -> str:
    """What the node and edge elements of an exported GraphML say otherwise than the graph
    it keeps ('' if nothing): a node or edge added or removed, an amount changed."""
    keys = {key.get("id"): key.get("attr.name") for key in root.iter(f"{space}key")}
    graph = root.find(f"{space}graph")
    if graph is None:
        return "no graph element"
    nodes = {node.get("id") for node in graph.iter(f"{space}node")}
    kept_nodes = set(tables["nodes"]["id"]) if "id" in tables["nodes"] else set()
    if nodes != kept_nodes:
        changed = sorted(nodes ^ kept_nodes)[:3]
        return f"nodes added or removed: {', '.join(map(str, changed))}"
    amounts = {}
    for edge in graph.iter(f"{space}edge"):
        data = {keys.get(d.get("key")): d.text for d in edge.iter(f"{space}data")}
        amounts[(edge.get("source"), edge.get("target"))] = data.get("amount_as_written")
    frame = tables["edges"]
    kept = dict(
        zip(zip(frame["source"], frame["target"], strict=True), frame["amount"], strict=True)
    )
    if set(amounts) != set(kept):
        return "edges added or removed"
    for pair, text in amounts.items():
        try:
            changed = not math.isclose(float(text), float(kept[pair]), rel_tol=1e-12)
        except (TypeError, ValueError):
            changed = True
        if changed:
            return f"the amount of {pair[0]} -> {pair[1]}"
    return ""


class _Object(dict):
    """A JSON object as read, with the keys it gave more than once (the last one wins in
    plain ``json``, which would hide the others)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> _Object:
    found = _Object(pairs)
    if len(found) < len(pairs):
        keys = [key for key, _ in pairs]
        found.repeated = tuple(dict.fromkeys(k for k in keys if keys.count(k) > 1))
    return found


def _json_cell_problems(document: object, file: str) -> list[Problem]:
    """What a JSON document holds that would be silently wrong as a graph: keys given twice,
    texts that are not Unicode (a lone surrogate), cells or records too large."""
    problems: list[Problem] = []

    def add(message: str, table: str = "", row: int | None = None, column: str = "") -> None:
        problems.append(Problem(Severity.ERROR, "bad-json", message, file, table, row, column))

    def check_text(text: str, table: str, row: int | None, column: str) -> None:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            char = text[error.start]
            add(
                f"not valid Unicode: a lone surrogate \\u{ord(char):04x} (\\u escapes"
                " must come in pairs)",
                table,
                row,
                column,
            )
            return
        if len(text) > MAX_LINE_BYTES:
            add(
                f"a text of {len(text):,} characters, more than the {MAX_LINE_BYTES:,} a cell"
                " may hold",
                table,
                row,
                column,
            )

    if not isinstance(document, dict):
        return problems
    for key in getattr(document, "repeated", ()):
        add(f"key {key!r} is given more than once (only the last would count)")
    for key in document:
        check_text(key, "", None, "")
    for table, records in document.items():
        if isinstance(records, str):
            check_text(records, "", None, table)
        if not isinstance(records, list):
            continue
        for row, record in enumerate(records):
            if not isinstance(record, dict):
                continue
            for key in getattr(record, "repeated", ()):
                add(
                    f"key {key!r} is given more than once in this record (only the last"
                    " would count)",
                    table,
                    row,
                    key,
                )
            if len(record) > MAX_COLUMNS:
                add(
                    f"a record of {len(record):,} keys, more than the {MAX_COLUMNS:,} columns"
                    " a table may have",
                    table,
                    row,
                )
                continue
            if not record:
                add("an empty record: a row needs its columns", table, row)
            for column, value in record.items():
                check_text(column, table, row, "")
                if isinstance(value, str):
                    check_text(value, table, row, column)
    return problems


def _read_json(path: Path) -> _RawGraph:
    raw = _RawGraph(path.stem, {table: path.name for table in ROW_MODELS})
    data, problems = _read_bytes(path)
    text, decode_problems = _decode(data, path.name) if data is not None else (None, [])
    raw.problems = problems + decode_problems
    if text is None:
        return raw
    return _parse_json(raw, text, path)


def _parse_json(raw: _RawGraph, text: str, path: Path) -> _RawGraph:
    """The tables of the JSON form ``text`` into ``raw`` (or its problems)."""
    try:
        document = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        message = f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        raw.problems.append(_problem(path.name, message, "bad-json"))
        return raw
    except RecursionError:
        raw.problems.append(_problem(path.name, "malformed JSON: nested too deeply", "bad-json"))
        return raw
    except ValueError as error:  # an integer of more digits than Python converts
        message = f"unreadable JSON number: {str(error).split(';')[0]}"
        raw.problems.append(_problem(path.name, message, "bad-json"))
        return raw
    cell_problems = _json_cell_problems(document, path.name)
    if cell_problems:
        raw.problems.extend(cell_problems)
        return raw
    try:
        graph = GraphDocument.model_validate(document)
    except ValidationError as error:
        found = [_json_problem(path.name, item) for item in error.errors()]
        raw.problems.extend(dict.fromkeys(found))  # a union reports once per member
        return raw
    raw.name = graph.name or raw.name
    raw.tables = {table: _json_records(getattr(graph, table)) for table in ROW_MODELS}
    return raw


def _json_problem(file: str, item: dict) -> Problem:
    location = item["loc"]
    table = str(location[0]) if location else ""
    row = location[1] if len(location) > 1 and isinstance(location[1], int) else None
    column = str(location[2]) if len(location) > 2 else ""
    value = item.get("input")
    shown = json.dumps(value)[:80] if row is not None and column else None
    message = item["msg"]
    if item["type"] == "extra_forbidden" and len(location) == 1:
        message = f"unknown key {table!r} (expected: {', '.join(GraphDocument.model_fields)})"
        table = ""
    elif row is not None and column:
        message = "expected text or a number, not a list or an object"
    elif item["type"] == "missing":
        message = f"required key {table!r} is missing"
    elif item["type"] == "model_type" and not location:
        message = "expected a JSON object with the keys nodes, edges, impacts, ..."
    elif row is not None:
        message = f"{table}[{row}] is not an object: expected a record of columns"
    elif len(location) == 1:
        message = f"key {table!r}: {message.lower()}"
        table = ""
    return Problem(Severity.ERROR, "bad-json", message, file, table, row, column, shown)


def _json_records(records: list[dict]) -> pd.DataFrame:
    rows = [{key: text_cell(value).strip() for key, value in record.items()} for record in records]
    return pd.DataFrame.from_records(rows).fillna("") if rows else pd.DataFrame()


def read_problems(path: str | os.PathLike) -> tuple[SupplyChain | None, list[Problem]]:
    """Read and check a graph; return it (None if it has errors) and every problem found.

    Raises
    ------
    GraphNotFoundError
        If ``path`` is no graph (see :func:`resolve_graph_path`).
    """
    resolved = resolved_path = resolve_graph_path(path)
    suffix = resolved_path.suffix.lower()
    if resolved.is_dir():
        raw = _read_folder(resolved)
    elif suffix == ".xlsx":
        raw = _read_workbook(resolved)
    elif suffix == ".graphml":
        raw = _read_graphml(resolved)
    else:
        raw = _read_json(resolved)
    if "nodes" not in raw.tables:  # nothing to check against: check each table on its own
        for table, frame in raw.tables.items():
            raw.problems.extend(check_table(frame, table, raw.files[table])[1])
        return None, raw.problems
    checked = check_graph(raw.tables, raw.files, builtin_categories(), frozenset(raw.unreadable))
    problems = raw.problems + checked.problems
    if any(p.is_error for p in problems):
        return None, problems
    warnings = [p for p in problems if not p.is_error]
    return build_chain(raw.name, checked.tables, warnings), problems


def validate(path: str | os.PathLike) -> list[Problem]:
    """Every error and warning of the graph at ``path``, in the order found.

    >>> [p.code for p in validate("example") if p.is_error]
    []
    """
    return read_problems(path)[1]


def load(path: str | os.PathLike) -> SupplyChain:
    """Load the graph at ``path`` (folder, JSON file or shipped graph name).

    Raises
    ------
    InvalidGraphError
        With every problem, if there is any error.
    GraphNotFoundError
        If there is no graph at ``path``.
    """
    chain, problems = read_problems(path)
    if chain is None:
        raise InvalidGraphError(problems)
    return chain


# ---------------------------------------------------------------------------- writing


def graph_tables(chain: SupplyChain) -> dict[str, pd.DataFrame]:
    """The tables as they are written: schema columns and extras, no derived ones."""
    tables = {}
    for table in ROW_MODELS:
        frame = chain.own_categories() if table == "categories" else chain.table(table)
        tables[table] = frame.drop(columns=DERIVED_COLUMNS.get(table, []))
    return tables


def save_csv(
    chain: SupplyChain,
    folder: str | os.PathLike,
    overwrite: bool = False,
    protect: tuple[Path, ...] = (),
) -> None:
    """Write the graph as a folder of CSV tables (nodes, edges and impacts always; the
    other tables when they have rows or the folder holds them already, so that no stale
    table is left beside the new ones). Nothing else in the folder is touched, and the
    folder is made if it does not exist (not its parents).

    Text cells that a spreadsheet would run as a formula are written inert, and read back
    as they were (:func:`supplychain.output.spreadsheet_safe`).

    Raises
    ------
    OutputExistsError
        If ``folder`` holds any table already and ``overwrite`` is false, is not a folder,
        or lies inside one of ``protect`` (the inputs).
    WriteError
        If a file cannot be written.
    """
    target = Path(folder)
    existing = check_table_folder(target, overwrite, protect)
    tables = graph_tables(chain)
    made = not target.exists()
    try:
        target.mkdir(exist_ok=True)
    except OSError as error:
        raise WriteError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        _write_tables(tables, target, existing)
    except BaseException:
        if made:  # a folder this call made, left empty by the failure: not left behind
            with contextlib.suppress(OSError):
                target.rmdir()
        raise


def check_table_folder(
    folder: str | os.PathLike, overwrite: bool, protect: tuple[Path, ...] = ()
) -> list[str]:
    """Refuse to write a graph's tables into ``folder`` where :func:`save_csv` would
    refuse, before any work is done; returns the table files it holds already.

    Raises
    ------
    OutputExistsError
        As :func:`save_csv`.
    """
    target = Path(folder)
    check_target(target, overwrite, protect, folder=True)
    existing = [n for n in TABLE_FILES.values() if (target / n).exists()] if target.is_dir() else []
    not_files = [n for n in existing if not (target / n).is_file()]
    if not_files:  # refused before any table moves: never half of one graph, half another
        raise OutputExistsError(
            f"{target / not_files[0]} is not a file (a folder or a device); nothing was written"
        )
    if existing and not overwrite:
        raise OutputExistsError(
            f"{target} already holds {', '.join(existing)}; choose another folder or allow"
            " overwriting"
        )
    return existing


def _write_tables(tables: dict[str, pd.DataFrame], target: Path, existing: list[str]) -> None:
    """Write the tables into a staging folder in ``target``, then move each into place."""
    with staging_folder(target) as staging:
        written = []
        for table, frame in tables.items():
            name = TABLE_FILES[table]
            if frame.empty and table not in ("nodes", "edges", "impacts") and name not in existing:
                continue
            text = csv_text(frame, spreadsheet=True)
            try:
                (staging / name).write_text(text, encoding="utf-8", newline="")
            except OSError as error:
                raise WriteError(f"cannot write {target / name}: {error.strerror}") from None
            written.append(name)
        for name in written:
            try:
                os.replace(staging / name, target / name)
            except OSError as error:
                raise WriteError(f"cannot write {target / name}: {error.strerror}") from None


def _table_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain values, empty cells left out; column at a time (a table of
    10^6 rows in seconds, where a value-by-value conversion took minutes)."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        values = column.astype(object).where(column.notna(), None).tolist()
        if pd.api.types.is_float_dtype(column.dtype):  # NaN and infinities have no JSON
            values = [v if v is None or math.isfinite(v) else None for v in values]
        columns.append(values)
    names = [str(name) for name in frame.columns]
    return [
        {
            key: value
            for key, value in zip(names, row, strict=True)
            if value is not None and value != ""
        }
        for row in zip(*columns, strict=True)
    ]


def graph_document(chain: SupplyChain) -> dict:
    """The JSON form of a graph as a dict (empty cells left out)."""
    document: dict[str, object] = {"format": "supplychain-graph", "version": 1, "name": chain.name}
    for table, frame in graph_tables(chain).items():
        document[table] = _table_records(frame)
    return document


def graph_json(chain: SupplyChain) -> str:
    """The JSON form of a graph as text, as :func:`save_json` writes it."""
    return _json_text(graph_document(chain))


def _json_text(document: dict) -> str:
    """The JSON form as text: one record per line (readable in a diff), each encoded by
    json's C encoder (an indented document goes through its pure-Python one, 10x slower)."""

    def encoded(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    parts = []
    for key, value in document.items():
        if isinstance(value, list):
            rows = ",\n  ".join(encoded(record) for record in value)
            parts.append(f" {encoded(key)}: [" + (f"\n  {rows}\n ]" if value else "]"))
        else:
            parts.append(f" {encoded(key)}: {encoded(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def save_json(
    chain: SupplyChain,
    file: str | os.PathLike,
    overwrite: bool = False,
    protect: tuple[Path, ...] = (),
) -> None:
    """Write the graph as one JSON file (numbers at full precision).

    Raises
    ------
    OutputExistsError
        If ``file`` exists and ``overwrite`` is false, is a folder, or lies inside one of
        ``protect`` (the inputs).
    WriteError
        If it cannot be written (the target is then unchanged).
    """
    target = Path(file)
    check_target(target, overwrite, protect)
    text = graph_json(chain)
    atomic_write(target, lambda path: path.write_text(text, encoding="utf-8"))


def save_xlsx(
    chain: SupplyChain,
    file: str | os.PathLike,
    overwrite: bool = False,
    protect: tuple[Path, ...] = (),
) -> None:
    """Write the graph as an Excel workbook, one sheet per table (numbers as numbers, text
    never a formula); it loads back as the same graph.

    Raises
    ------
    OutputExistsError
        If ``file`` exists and ``overwrite`` is false, is a folder, or lies inside one of
        ``protect`` (the inputs).
    WriteError
        If it cannot be written (the target is then unchanged).
    """
    target = Path(file)
    check_target(target, overwrite, protect)
    tables = graph_tables(chain)
    bad = unwritable_cells(tables)
    if bad:
        sheet, row, column, character = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise SupplyChainError(
            f"{target}: a workbook cannot hold the control character {character} of"
            f" {sheet}.csv, row {row}, column {column}{more}; remove it, or export as CSV or"
            " JSON, which keep it"
        )
    atomic_write(target, lambda path: write_workbook(tables, path))
