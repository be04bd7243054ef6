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


def aligned(header: list[str], rows: list[list[str]], numeric: list[bool]) -> str:
    """Cells padded into columns under a rule; numbers right-aligned, text left-aligned.
    The cells are shown as given: make them :func:`terminal_safe` first."""
    cells = [header, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        padded = [
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
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
