r"""Text safe to print and to open, for every output: stdlib only, so that the commands
that print little (``supplychain --help``, ``supplychain graphs``) start at once.

* :func:`terminal_safe`: control characters, terminal escape sequences and invisible or
  bidirectional format characters written as escapes (``\x1b``, ``\u202e``);
* :func:`spreadsheet_safe` and :func:`from_spreadsheet_safe`: a text cell that a
  spreadsheet would run as a formula gets a leading ``'`` (OWASP), undone exactly;
* :func:`aligned`, :func:`csv_cell`, :func:`markdown_cell`, :func:`json_text`: the pieces
  of the four output formats, and :func:`render_rows` for rows of plain values.

Examples
--------
>>> print(render_rows([{"name": "example", "nodes": 13}], ["name", "nodes"], "table"))
name     nodes
-------  -----
example     13
"""

from __future__ import annotations

import json
import re

__all__ = [
    "FORMATS",
    "short_label",
    "terminal_safe",
    "spreadsheet_safe",
    "from_spreadsheet_safe",
    "csv_cell",
    "markdown_cell",
    "json_text",
    "aligned",
    "render_rows",
]

FORMATS = ("table", "csv", "json", "markdown")
"""The output formats of every command that prints a result."""


# C0 and C1 controls, DEL, zero-width and bidirectional format characters, the BOM and
# interlinear annotations, lone surrogates: what a terminal may act on or a reader not see.
_UNSAFE_FOR_TERMINAL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    r"""``text`` with every character a terminal could act on, or a reader could not see,
    written as an escape.

    >>> terminal_safe("cobalt\x1b[31m red\u202e")
    'cobalt\\x1b[31m red\\u202e'
    """
    return _UNSAFE_FOR_TERMINAL.sub(_escape, text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_START = frozenset("=+-@\t\r'")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula: a leading ``'`` before a cell
    that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's CSV
    injection advice), and before one that starts with ``'`` and one of those, so that
    :func:`from_spreadsheet_safe` undoes it exactly.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("cobalt"), spreadsheet_safe("'=x")
    ("'=HYPERLINK(1)", 'cobalt', "''=x")
    """
    if text.startswith(_FORMULA_START) or (text[:1] == "'" and text[1:2] in _ESCAPED_START):
        return "'" + text
    return text


def from_spreadsheet_safe(text: str) -> str:
    """What :func:`spreadsheet_safe` was given.

    >>> all(from_spreadsheet_safe(spreadsheet_safe(t)) == t for t in ["=1", "'=1", "'a", "a"])
    True
    """
    return text[1:] if text[:1] == "'" and text[1:2] in _ESCAPED_START else text


def json_text(document: object) -> str:
    """JSON for standard output: C1 controls and bidirectional characters escaped."""
    text = json.dumps(document, indent=1, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_cell(text: str, quote: bool = False) -> str:
    """Quote a cell as the csv module does by default (only where it must), or always."""
    if quote or any(mark in text for mark in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def markdown_cell(text: str) -> str:
    """A cell of a Markdown table: pipes escaped, line breaks as spaces, HTML, links and
    images inert, terminal escapes shown."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    text = text.replace("[", "\\[").replace("]", "\\]")
    return terminal_safe(text.replace("<", "&lt;").replace(">", "&gt;"))


MIN_COLUMN = 16
"""The narrowest a text column is cut to, to fit a table into a width (with ``…``); the
first column (what a row is about) keeps up to :data:`MIN_KEY_COLUMN`."""

MIN_KEY_COLUMN = 32


def aligned(
    header: list[str], rows: list[list[str]], numeric: list[bool], width: int | None = None
) -> str:
    """Cells padded into columns under a rule; numbers right-aligned, text left-aligned.
    The cells are shown as given: make them :func:`terminal_safe` first.

    With ``width`` (characters), a table wider than that has its widest text columns cut
    (to :data:`MIN_COLUMN` at least, ending in ``…``); if it is still too wide, its
    columns are wrapped into blocks that each repeat the first column.

    >>> rows = [["a", "a long note about it, and more"]]
    >>> print(aligned(["id", "note"], rows, [False, False], 20))
    id  note
    --  ----------------
    a   a long note abo…
    """
    cells = [header, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    if width is not None and _span(widths) > width:
        widths = _fitted(widths, numeric, width)
        cells = [
            [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(row, widths, strict=True)]
            for row in cells
        ]
        if _span(widths) > width and len(widths) > 1:
            return "\n\n".join(
                _block(cells, widths, numeric, columns) for columns in _blocks(widths, width)
            )
    return _block(cells, widths, numeric, list(range(len(widths))))


def _span(widths: list[int]) -> int:
    return sum(widths) + 2 * (len(widths) - 1)


def _fitted(widths: list[int], numeric: list[bool], width: int) -> list[int]:
    """Column widths with the widest text columns narrowed until the table fits ``width``
    (or none can be narrowed further)."""
    widths = list(widths)
    floors = [MIN_KEY_COLUMN if i == 0 else MIN_COLUMN for i in range(len(widths))]
    while _span(widths) > width:
        shrinkable = [i for i, w in enumerate(widths) if not numeric[i] and w > floors[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        others = [widths[i] for i in shrinkable if i != widest] or [floors[widest]]
        target = max(max(others), floors[widest], widths[widest] - (_span(widths) - width))
        widths[widest] = target if target < widths[widest] else widths[widest] - 1
    return widths


def _blocks(widths: list[int], width: int) -> list[list[int]]:
    """Columns in blocks of at most ``width`` characters, each starting with column 0."""
    blocks, current = [], [0]
    for i in range(1, len(widths)):
        if _span([widths[c] for c in [*current, i]]) > width and len(current) > 1:
            blocks.append(current)
            current = [0]
        current.append(i)
    blocks.append(current)
    return blocks


def _block(cells: list[list[str]], widths: list[int], numeric: list[bool], columns) -> str:
    lines = []
    for row in cells:
        padded = [
            row[i].rjust(widths[i]) if numeric[i] else row[i].ljust(widths[i]) for i in columns
        ]
        lines.append("  ".join(padded).rstrip())
    lines.insert(1, "  ".join("-" * widths[i] for i in columns))
    return "\n".join(lines)


def render_rows(rows: list[dict], columns: list[str], fmt: str) -> str:
    """Rows of plain values (text, whole numbers) in ``fmt``, without pandas."""
    if fmt == "json":
        return json_text(rows)
    if fmt == "csv":
        header = ",".join(csv_cell(spreadsheet_safe(c)) for c in columns)
        lines = [
            ",".join(
                str(row[c]) if isinstance(row[c], int) else _safe_cell(str(row[c])) for c in columns
            )
            for row in rows
        ]
        return "\n".join([header, *lines])
    texts = [[str(row[c]) for c in columns] for row in rows]
    numeric = [bool(rows) and all(isinstance(row[c], int) for row in rows) for c in columns]
    if fmt == "markdown":
        head = "| " + " | ".join(markdown_cell(c) for c in columns) + " |"
        rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
        body = ["| " + " | ".join(markdown_cell(t) for t in row) + " |" for row in texts]
        return "\n".join([head, rule, *body]) if rows else "(none)"
    if not rows:
        return "(none)"
    return aligned(columns, [[terminal_safe(t) for t in row] for row in texts], numeric)


def _safe_cell(text: str) -> str:
    safe = spreadsheet_safe(text)
    return csv_cell(safe, safe != text)


def short_label(text: str, width: int = 28) -> str:
    """A short label for a drawing (the whole name goes in its tooltip): where the name is
    longer than ``width`` characters, without its asides in parentheses, then cut after a
    whole word.

    >>> short_label("Tantalum mining, Congo (Kinshasa) (country aggregate)", 22)
    'Tantalum mining, Congo'
    >>> short_label("Tungsten mining, rest of the world (country aggregate)", 22)
    'Tungsten mining, rest…'
    >>> short_label("electricity-datacentre-oregon", 22)
    'electricity…'
    """
    text = str(text)
    if len(text) <= width:
        return text
    plain = re.sub(r"\s*\([^()]*\)", "", text).strip()  # asides go first
    if plain and len(plain) <= width:
        return plain
    text = plain or text
    cut = text[: width - 1]
    if text[width - 1] not in " ,-(":  # the cut falls inside a word: back to its start
        end = max(cut.rfind(" "), cut.rfind("-"), cut.rfind(","))
        cut = cut[:end] if end >= width // 2 else cut
    return cut.rstrip(" ,(-") + "…"
