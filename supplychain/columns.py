"""Checking one table column by column: rules derived from the pydantic row models.

A table arrives as text (every cell a string, ``""`` for an empty cell; the frame's index
holds the row as a person finds it) and leaves typed. Each column of a row model in
:mod:`supplychain.schema` becomes a :class:`ColumnRule` (number with bounds, whole number,
choice among an enum's values, unit, uncertainty text, text), run on the whole column
with pandas: a table of millions of rows is checked in seconds while every bad row is
still named. ``tests/test_schema_agreement.py`` checks that these rules accept exactly
the rows the pydantic models accept.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum

import annotated_types
import numpy as np
import pandas as pd
from pydantic import BeforeValidator
from pydantic.fields import FieldInfo

from supplychain.distributions import format_uncertainty, parse_uncertainty
from supplychain.errors import SupplyChainError, UnitError
from supplychain.problems import Problem, Severity
from supplychain.schema import ROW_MODELS, ColumnMarker, normalise_choice
from supplychain.units import parse_unit

__all__ = ["ColumnRule", "column_rules", "check_table", "TableProblems", "per_distinct"]

_MAX_LISTED_ROWS = 10


@dataclass(frozen=True)
class ColumnRule:
    """How one column is checked, derived from a field of a row model.

    ``kind`` is one of ``text``, ``number``, ``integer``, ``choice``, ``unit`` (a unit
    or a rate such as ``g/kWh``), ``plain_unit`` (a unit, not a rate), ``uncertainty``.
    ``normalise``: the spelling is made canonical first (``Child Labour`` ->
    ``child_labour``), as the model's validator does.
    """

    name: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    ge: float | None = None
    le: float | None = None
    min_length: int = 0
    pattern: str | None = None
    normalise: bool = False


def _without_none(annotation: object) -> object:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _rule(name: str, field: FieldInfo) -> ColumnRule:
    annotation = _without_none(field.annotation)
    markers = [m for m in field.metadata if isinstance(m, ColumnMarker)]
    choices: tuple[str, ...] = ()
    if markers:
        kind = markers[0].name
    elif annotation is float:
        kind = "number"
    elif annotation is int:
        kind = "integer"
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        kind, choices = "choice", tuple(member.value for member in annotation)
    elif typing.get_origin(annotation) is typing.Literal:
        kind, choices = "choice", tuple(typing.get_args(annotation))
    else:
        kind = "text"
    bounds: dict[str, float] = {}
    min_length, pattern = 0, None
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            bounds["le"] = item.le
        elif isinstance(item, annotated_types.MinLen):
            min_length = item.min_length
        elif getattr(item, "pattern", None):
            pattern = item.pattern
    normalise = any(
        isinstance(item, BeforeValidator) and item.func is normalise_choice
        for item in field.metadata
    )
    return ColumnRule(
        name=name,
        kind=kind,
        required=field.is_required(),
        choices=choices,
        min_length=min_length,
        pattern=pattern,
        normalise=normalise,
        **bounds,
    )


def column_rules(table: str) -> list[ColumnRule]:
    """The column rules of a table, in the order of its row model's fields.

    >>> [rule.name for rule in column_rules("edges") if rule.required]
    ['source', 'target', 'amount']
    """
    model = ROW_MODELS[table]
    return [_rule(name, field) for name, field in model.model_fields.items()]


class TableProblems:
    """Collects the problems of one table of one file."""

    def __init__(self, file: str, table: str):
        self.file, self.table = file, table
        self.problems: list[Problem] = []

    def where(self, row: int) -> str:
        """A row as a person finds it: ``row 7`` in a CSV file, ``edges[6]`` in JSON."""
        return f"row {row}" if self.file.endswith(".csv") else f"{self.table}[{row}]"

    def each(
        self,
        mask: pd.Series,
        values: pd.Series,
        column: str,
        message: str | pd.Series | typing.Callable[[str], str],
        code: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """One problem per row where ``mask`` holds, quoting ``values``.

        ``message`` is one text for all rows, a function of the value, or a Series of
        texts by row.
        """
        if not mask.any():
            return
        for row, value in values[mask].items():
            if isinstance(message, pd.Series):
                text = message[row]
            else:
                text = message(value) if callable(message) else message
            self.problems.append(
                Problem(severity, code, text, self.file, self.table, int(row), column, value)
            )

    def summary(
        self, mask: pd.Series, column: str, message: str, code: str, severity=Severity.WARNING
    ) -> None:
        """One problem for all rows where ``mask`` holds, listing the first rows.

        ``{verb}`` in ``message`` becomes ``give`` or ``gives`` to agree with the count.
        """
        rows = mask.index[mask.to_numpy()]
        if len(rows) == 0:
            return
        first = rows[:_MAX_LISTED_ROWS]
        plural = len(rows) > 1
        if self.file.endswith(".csv"):
            shown = f"{'rows' if plural else 'row'} {', '.join(str(row) for row in first)}"
        else:
            shown = ", ".join(self.where(row) for row in first)
        more = f" and {len(rows) - _MAX_LISTED_ROWS} more" if len(rows) > _MAX_LISTED_ROWS else ""
        text = message.format(verb="give" if plural else "gives")
        self.problems.append(
            Problem(
                severity,
                code,
                f"{len(rows)} {'rows' if plural else 'row'} {text} ({shown}{more})",
                self.file,
                self.table,
                int(rows[0]),
                column,
            )
        )

    def one(self, code: str, message: str, column: str = "", severity=Severity.ERROR) -> None:
        self.problems.append(Problem(severity, code, message, self.file, self.table, None, column))


def per_distinct(text: pd.Series, function: typing.Callable[[str], str]) -> pd.Series:
    """``function`` applied to each distinct value once (columns repeat a few values)."""
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    values = np.asarray(distinct, dtype=object)  # plain objects: fast to iterate
    mapped = np.array([function(value) for value in values], dtype=object)
    return pd.Series(mapped[codes] if len(codes) else [], index=text.index, dtype=str)


def _check_number(text: pd.Series, rule: ColumnRule, found: TableProblems) -> pd.Series:
    empty = text == ""
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)
    nan_written = text.str.lower().isin(["nan", "+nan", "-nan"])
    unparsed = numbers.isna() & ~empty & ~nan_written

    def not_a_number(value: str) -> str:
        hint = " (use a decimal point, no thousands separator)" if "," in value else ""
        return f"not a number{hint}"

    if rule.required:
        found.each(empty, text, rule.name, "empty: a number is required", "empty-value")
    found.each(unparsed, text, rule.name, not_a_number, "not-a-number")
    found.each(nan_written, text, rule.name, "NaN is not a number here", "nan-value")
    infinite = np.isinf(numbers)
    found.each(infinite, text, rule.name, "infinite: must be a finite number", "infinite-value")
    valid = numbers.notna() & ~infinite
    if rule.ge is not None:
        below = valid & (numbers < rule.ge)
        word = "negative: must be 0 or more" if rule.ge == 0 else f"must be {rule.ge:g} or more"
        code = "negative-value" if rule.ge == 0 else "out-of-range"
        found.each(below, text, rule.name, word, code)
        valid &= ~below
    if rule.le is not None:
        above = valid & (numbers > rule.le)
        found.each(above, text, rule.name, f"must be {rule.le:g} or less", "out-of-range")
        valid &= ~above
    if rule.kind == "integer":
        fractional = valid & (numbers % 1 != 0)
        found.each(fractional, text, rule.name, "must be a whole number", "not-an-integer")
        valid &= ~fractional
    return numbers.where(valid)


def _check_choice(text: pd.Series, rule: ColumnRule, found: TableProblems) -> pd.Series:
    canonical = text.isin([*rule.choices, ""])
    normal = text if canonical.all() else per_distinct(text, normalise_choice)
    empty = normal == ""
    unknown = ~empty & ~normal.isin(rule.choices)
    noun = {"kind": "kind", "transparency": "transparency level", "level": "risk level"}.get(
        rule.name, "value"
    )
    options = ", ".join(rule.choices)
    if rule.required:
        found.each(
            empty, text, rule.name, f"empty: a {noun} is required ({options})", "empty-value"
        )
    code = f"unknown-{noun.replace(' ', '-')}"
    found.each(unknown, text, rule.name, f"unknown {noun} (expected one of: {options})", code)
    return normal.where(~unknown, "")


def _parse_cell(value: str, kind: str) -> str:
    """The canonical text of a unit or uncertainty cell; raises SupplyChainError."""
    if kind == "uncertainty":
        return format_uncertainty(parse_uncertainty(value))
    unit = parse_unit(value)
    if kind == "plain_unit" and unit.per is not None:
        raise UnitError(f"{value!r} is a rate; a reference unit is a plain unit such as kg or kWh")
    return value


def _check_parsed(text: pd.Series, rule: ColumnRule, found: TableProblems) -> pd.Series:
    """Units and uncertainty texts: parse each distinct value once."""
    canonical: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for value in text.unique():
        if value == "":
            continue
        try:
            canonical[value] = _parse_cell(value, rule.kind)
        except SupplyChainError as error:
            reasons[value] = str(error).removeprefix(f"{value!r}: ")
    if rule.required:
        found.each(text == "", text, rule.name, f"empty: a {rule.name} is required", "empty-value")
    bad = text.isin(list(reasons))
    code = "bad-uncertainty" if rule.kind == "uncertainty" else "unknown-unit"
    found.each(bad, text, rule.name, reasons.get, code)
    return per_distinct(text, lambda value: canonical.get(value, ""))


def _check_text(text: pd.Series, rule: ColumnRule, found: TableProblems) -> pd.Series:
    if rule.required or rule.min_length:
        found.each(text == "", text, rule.name, f"empty: {rule.name} is required", "empty-value")
    if rule.pattern:
        bad = (text != "") & ~text.str.fullmatch(rule.pattern)
        found.each(bad, text, rule.name, f"must match {rule.pattern}", "bad-format")
    return text


_CHECKERS = {
    "number": _check_number,
    "integer": _check_number,
    "choice": _check_choice,
    "unit": _check_parsed,
    "plain_unit": _check_parsed,
    "uncertainty": _check_parsed,
    "text": _check_text,
}


def check_table(raw: pd.DataFrame, table: str, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table of text cells against its column rules.

    Parameters
    ----------
    raw : DataFrame
        Every cell a string without surrounding white space (``""`` when empty), columns
        as in the file, index = row (spreadsheet row for CSV, list position for JSON).
    table : str
        ``nodes``, ``edges``, ``impacts``, ``social``, ``sources`` or ``categories``.
    file : str
        File name used in problems.

    Returns
    -------
    typed : DataFrame
        The known columns in schema order, typed (float for numbers, nullable Int64 for
        whole numbers, str otherwise; enum values in canonical spelling), then any unknown
        columns as text. Values that failed a check are empty.
    problems : list of Problem
    """
    found = TableProblems(file, table)
    rules = column_rules(table)
    known = {rule.name for rule in rules}
    duplicated = raw.columns[raw.columns.duplicated()]
    for column in dict.fromkeys(duplicated):
        found.one("duplicate-column", f"column {column!r} appears more than once", column)
    raw = raw.loc[:, ~raw.columns.duplicated()]
    for rule in rules:
        if rule.required and rule.name not in raw.columns:
            present = ", ".join(map(str, raw.columns)) or "none"
            found.one(
                "missing-column",
                f"required column {rule.name!r} is missing (columns present: {present})",
                rule.name,
            )
    unknown = [column for column in raw.columns if column not in known]
    names = ", ".join(rule.name for rule in rules)
    if len(unknown) > _MAX_LISTED_ROWS:  # one warning for many, not one each
        shown = ", ".join(map(repr, unknown[:_MAX_LISTED_ROWS]))
        found.one(
            "unknown-column",
            f"{len(unknown)} unknown columns: {shown} and {len(unknown) - _MAX_LISTED_ROWS}"
            f" more, kept as they are, not used (known columns: {names})",
            str(unknown[0]),
            Severity.WARNING,
        )
    else:
        for column in unknown:
            found.one(
                "unknown-column",
                f"unknown column {column!r}: kept as it is, not used (known columns: {names})",
                column,
                Severity.WARNING,
            )
    typed: dict[str, pd.Series] = {}
    for rule in rules:
        if rule.name in raw.columns:
            text = raw[rule.name].astype(str)
            if rule.normalise and rule.kind == "text":
                text = per_distinct(text, normalise_choice)
            typed[rule.name] = _CHECKERS[rule.kind](text, rule, found)
        elif rule.kind in ("number", "integer"):
            typed[rule.name] = pd.Series(np.nan, index=raw.index, dtype=float)
        else:
            typed[rule.name] = pd.Series("", index=raw.index, dtype=str)
        if rule.kind == "integer":
            typed[rule.name] = typed[rule.name].astype("Int64")
    for column in raw.columns:
        if column not in known:
            typed[column] = raw[column].astype(str)
    frame = pd.DataFrame(typed, index=raw.index)
    return frame, found.problems
