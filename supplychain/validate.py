"""Checking a graph's tables: every problem at once, each with file, row, column and value.

The tables arrive as text (every cell a string, ``""`` for an empty cell; the frame's
index holds the row as a person finds it) and leave typed, with units converted and
transparency resolved. The column rules come from the pydantic row models in
:mod:`supplychain.schema`; they run on whole columns with pandas, so a table of millions of
rows is checked in seconds while every bad row is still named.

Rules (errors unless marked as warnings): missing required columns; empty required
cells; non-numeric, NaN, infinite, negative or out-of-range numbers; unknown kinds,
transparency levels, risk levels, indicators, categories and units; unreadable
uncertainty texts; duplicate node ids, edges, impacts, social rows, sources and
categories; edges, impacts and social rows naming unknown nodes; units that cannot be
converted; sources cited but absent from the bibliography; an empty graph. Warnings:
unknown columns (kept as they are); a value outside the bounds of its own uncertainty;
transparency given without a source (taken as ``missing``) or a source without a
transparency (taken from the bibliography, else ``estimated``); sourcing mixes whose
shares do not add up to 1; nodes with no direct impacts and no inputs; unused sources.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import annotated_types
import numpy as np
import pandas as pd
from pydantic.fields import FieldInfo

from supplychain.distributions import bounds_problem, format_uncertainty, parse_uncertainty
from supplychain.errors import SupplyChainError
from supplychain.problems import Problem, Severity
from supplychain.schema import (
    INDICATORS,
    ROW_MODELS,
    ColumnMarker,
    Transparency,
)
from supplychain.units import parse_unit, rate_factor

__all__ = ["ColumnRule", "column_rules", "check_table", "check_graph", "CheckedTables"]

MIX_TOLERANCE = 0.005
"""A sourcing mix whose shares add up to within this of 1 is not reported."""

_MAX_LISTED_ROWS = 10


@dataclass(frozen=True)
class ColumnRule:
    """How one column is checked, derived from a field of a row model.

    ``kind`` is one of ``text``, ``number``, ``integer``, ``choice``, ``unit``,
    ``uncertainty``.
    """

    name: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    ge: float | None = None
    le: float | None = None
    min_length: int = 0
    pattern: str | None = None


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
    return ColumnRule(
        name=name,
        kind=kind,
        required=field.is_required(),
        choices=choices,
        min_length=min_length,
        pattern=pattern,
        **bounds,
    )


def column_rules(table: str) -> list[ColumnRule]:
    """The column rules of a table, in the order of its row model's fields.

    >>> [rule.name for rule in column_rules("edges") if rule.required]
    ['source', 'target', 'amount']
    """
    model = ROW_MODELS[table]
    return [_rule(name, field) for name, field in model.model_fields.items()]


class _Found:
    """Collects problems for one table of one file."""

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
        """One problem for all rows where ``mask`` holds, listing the first rows."""
        rows = mask.index[mask.to_numpy()]
        if len(rows) == 0:
            return
        shown = ", ".join(str(row) for row in rows[:_MAX_LISTED_ROWS])
        more = f" and {len(rows) - _MAX_LISTED_ROWS} more" if len(rows) > _MAX_LISTED_ROWS else ""
        label = "rows" if self.file.endswith(".csv") else f"positions in {self.table}"
        count = f"{len(rows)} row{'s' if len(rows) > 1 else ''}"
        self.problems.append(
            Problem(
                severity,
                code,
                f"{count} {message} ({label} {shown}{more})",
                self.file,
                self.table,
                int(rows[0]),
                column,
            )
        )

    def one(self, code: str, message: str, column: str = "", severity=Severity.ERROR) -> None:
        self.problems.append(Problem(severity, code, message, self.file, self.table, None, column))


def _check_number(text: pd.Series, rule: ColumnRule, found: _Found) -> pd.Series:
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
    finite = numbers.notna() & ~infinite
    if rule.ge is not None:
        below = finite & (numbers < rule.ge)
        word = "negative: must be 0 or more" if rule.ge == 0 else f"must be {rule.ge:g} or more"
        found.each(
            below, text, rule.name, word, "negative-value" if rule.ge == 0 else "out-of-range"
        )
    if rule.le is not None:
        above = finite & (numbers > rule.le)
        found.each(above, text, rule.name, f"must be {rule.le:g} or less", "out-of-range")
    if rule.kind == "integer":
        fractional = finite & (numbers % 1 != 0)
        found.each(fractional, text, rule.name, "must be a whole number", "not-an-integer")
    return numbers.where(finite)


def _check_choice(text: pd.Series, rule: ColumnRule, found: _Found) -> pd.Series:
    normal = text.str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)
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


def _check_parsed(text: pd.Series, rule: ColumnRule, found: _Found) -> pd.Series:
    """Units and uncertainty texts: parse each distinct value once."""
    canonical: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for value in text.unique():
        if value == "":
            continue
        try:
            if rule.kind == "unit":
                parse_unit(value)
                canonical[value] = value
            else:
                canonical[value] = format_uncertainty(parse_uncertainty(value))
        except SupplyChainError as error:
            reasons[value] = str(error).removeprefix(f"{value!r}: ")
    if rule.required:
        found.each(text == "", text, rule.name, f"empty: a {rule.name} is required", "empty-value")
    bad = text.isin(list(reasons))
    code = "unknown-unit" if rule.kind == "unit" else "bad-uncertainty"
    found.each(bad, text, rule.name, lambda value: reasons[value], code)
    return text.map(canonical).fillna("") if canonical else text.where(text == "", "")


def _check_text(text: pd.Series, rule: ColumnRule, found: _Found) -> pd.Series:
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
    "uncertainty": _check_parsed,
    "text": _check_text,
}


def check_table(raw: pd.DataFrame, table: str, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table of text cells against its column rules.

    Parameters
    ----------
    raw : DataFrame
        Every cell a string (``""`` when empty), columns as in the file, index = row
        (spreadsheet row for CSV, list position for JSON).
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
    found = _Found(file, table)
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
    for column in raw.columns:
        if column not in known:
            found.one(
                "unknown-column",
                f"unknown column {column!r}: kept as it is, not used"
                f" (known columns: {', '.join(rule.name for rule in rules)})",
                column,
                Severity.WARNING,
            )
    typed: dict[str, pd.Series] = {}
    for rule in rules:
        if rule.name in raw.columns:
            text = raw[rule.name].astype(str).str.strip()
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


@dataclass(frozen=True)
class CheckedTables:
    """Typed, cross-checked tables (index = row as read) and all problems found."""

    tables: dict[str, pd.DataFrame]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(problem.is_error for problem in self.problems)


def _suggest(value: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(candidates), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown_reference(
    found: _Found,
    values: pd.Series,
    known: pd.Index,
    column: str,
    what: str,
    code: str,
    suggest_limit: int = 200,
) -> pd.Series:
    present = values != ""
    unknown = present & ~values.isin(known)
    if unknown.any():
        candidates = known if len(known) <= 50_000 else []
        suggested = 0

        def message(value: str) -> str:
            nonlocal suggested
            suggested += 1
            hint = _suggest(value, candidates) if suggested <= suggest_limit else ""
            return f"unknown {what}{hint}"

        found.each(unknown, values, column, message, code)
    return unknown


def _duplicates(found: _Found, frame: pd.DataFrame, keys: list[str], what: str, code: str) -> None:
    present = (frame[keys] != "").all(axis=1)
    dup = frame[keys].duplicated(keep="first") & present
    if not dup.any():
        return
    first_rows = frame[present].drop_duplicates(keys, keep="first")
    first_keys = first_rows[keys].to_numpy()
    first_row_of = {tuple(k): row for row, k in zip(first_rows.index, first_keys, strict=True)}
    for row, key in zip(frame.index[dup], frame.loc[dup, keys].to_numpy(), strict=True):
        found.problems.append(
            Problem(
                Severity.ERROR,
                code,
                f"duplicate {what}: already in {found.where(first_row_of[tuple(key)])}",
                found.file,
                found.table,
                int(row),
                ", ".join(keys),
                " -> ".join(str(part) for part in key),
            )
        )


def _split_citations(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


_LEVEL_ORDER = [level.value for level in Transparency]


def _map_text(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values`` looked up in ``mapping``, as text; ``""`` where there is no entry."""
    mapped = values.map(mapping)
    return mapped.astype(object).where(mapped.notna(), "").astype(str)


def _resolve_transparency(
    found: _Found, frame: pd.DataFrame, citation_column: str, source_levels: dict[str, str]
) -> None:
    """Fill ``transparency`` in place: no source means ``missing``, by definition."""
    level = frame["transparency"]
    cited = frame[citation_column] != ""
    given = level != ""
    unsourced = given & ~cited & (level != Transparency.MISSING.value)
    found.summary(
        unsourced,
        "transparency",
        f"give a transparency level but no {citation_column}: taken as missing"
        " (a figure without a source is missing by definition)",
        "transparency-without-source",
    )
    implied: dict[str, str] = {}
    for citation in frame.loc[~given & cited, citation_column].unique():
        levels = [source_levels.get(source_id, "") for source_id in _split_citations(citation)]
        known = [lvl for lvl in levels if lvl]
        implied[citation] = max(known, key=_LEVEL_ORDER.index) if known else ""
    implied_level = _map_text(frame[citation_column], implied)
    from_source = ~given & cited & implied_level.ne("")
    fallback = ~given & cited & ~from_source
    found.summary(
        fallback,
        "transparency",
        f"give a {citation_column} but no transparency, and the bibliography gives no level"
        " for it: taken as estimated",
        "transparency-assumed",
    )
    resolved = level.where(cited, Transparency.MISSING.value)
    resolved = resolved.where(~from_source, implied_level)
    resolved = resolved.where(~fallback, Transparency.ESTIMATED.value)
    frame["transparency"] = resolved


def _unit_factors(
    found: _Found,
    frame: pd.DataFrame,
    given: pd.Series,
    numerator: pd.Series,
    denominator: pd.Series,
    what: str,
) -> pd.Series:
    """Conversion factor of each row's ``given`` unit into numerator per denominator."""
    keys = pd.DataFrame({"given": given, "num": numerator, "den": denominator})
    factors = pd.Series(1.0, index=frame.index)
    needs = (given != "") & (numerator != "") & (denominator != "")
    if not needs.any():
        return factors
    lookup = keys[needs].drop_duplicates().reset_index(drop=True)
    factor_of, reason_of = [], []
    for key in lookup.itertuples(index=False, name=None):
        try:
            factor_of.append(rate_factor(*key))
            reason_of.append("")
        except SupplyChainError as error:
            factor_of.append(np.nan)
            reason_of.append(f"{error}; {what} is in {key[1]} per {key[2]}")
    lookup = lookup.assign(factor=factor_of, reason=reason_of)
    merged = keys[needs].merge(lookup, how="left", on=["given", "num", "den"])
    merged.index = keys.index[needs]
    factors[needs] = merged["factor"]
    bad = needs & factors.isna()
    found.each(bad, given, "unit", merged["reason"], "incompatible-unit")
    return factors


def _bounds_warnings(found: _Found, frame: pd.DataFrame, value_column: str) -> None:
    for text in frame["uncertainty"].unique():
        if not text:
            continue
        spec = parse_uncertainty(text)
        if not hasattr(spec, "min"):
            continue
        rows = (frame["uncertainty"] == text) & frame[value_column].notna()
        outside = rows & ((frame[value_column] < spec.min) | (frame[value_column] > spec.max))
        found.each(
            outside,
            frame[value_column].astype(str),
            value_column,
            lambda value, spec=spec: bounds_problem(spec, float(value)),
            "value-outside-uncertainty",
            Severity.WARNING,
        )


def check_graph(
    raw_tables: dict[str, pd.DataFrame],
    files: dict[str, str],
    builtin_categories: pd.DataFrame,
) -> CheckedTables:
    """Check all tables of a graph, each on its own and against each other.

    Parameters
    ----------
    raw_tables : dict of str to DataFrame
        Text tables by name (see :func:`check_table`); absent optional tables may be
        missing from the dict. ``nodes`` is required.
    files : dict of str to str
        File name of each table, for the problems.
    builtin_categories : DataFrame
        The built-in impact categories (``id, name, unit, group, description``).

    Returns
    -------
    CheckedTables
        Tables typed and resolved: ``transparency`` filled everywhere, ``edges`` with
        ``converted_amount`` (supplier unit per consumer unit), ``impacts`` with
        ``converted_value`` (category unit per node unit), ``categories`` with all
        categories and a ``builtin`` flag. Problems: all errors and warnings.
    """
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    founds: dict[str, _Found] = {}
    for table in ROW_MODELS:
        raw = raw_tables.get(table)
        if raw is None:  # an absent optional table is an empty one
            raw = pd.DataFrame(
                {name: pd.Series(dtype=str) for name in ROW_MODELS[table].model_fields}
            )
        typed, table_problems = check_table(raw, table, files.get(table, table))
        tables[table] = typed
        founds[table] = _Found(files.get(table, table), table)
        problems.extend(table_problems)
    nodes, edges, impacts, social = (tables[t] for t in ("nodes", "edges", "impacts", "social"))
    sources, categories = tables["sources"], tables["categories"]

    if len(nodes) == 0:
        founds["nodes"].one("empty-graph", "the graph has no nodes")

    # identities
    _duplicates(founds["nodes"], nodes, ["id"], "node id", "duplicate-id")
    _duplicates(founds["edges"], edges, ["source", "target"], "edge", "duplicate-edge")
    _duplicates(founds["impacts"], impacts, ["node", "category"], "impact", "duplicate-impact")
    _duplicates(founds["social"], social, ["node", "indicator"], "social risk", "duplicate-social")
    _duplicates(founds["sources"], sources, ["id"], "source id", "duplicate-source")
    _duplicates(founds["categories"], categories, ["id"], "category id", "duplicate-category")

    # categories: built-in ones plus the graph's own
    builtin = builtin_categories.set_index("id")
    redefined = categories["id"].isin(builtin.index)
    clash = redefined & (
        categories["unit"] != categories["id"].map(builtin["unit"]).fillna(categories["unit"])
    )
    founds["categories"].each(
        clash,
        categories["unit"],
        "unit",
        "a built-in category cannot change its unit; give the category another id",
        "builtin-category-unit",
    )
    own = categories[~redefined].assign(builtin=False)
    all_categories = pd.concat(
        [builtin_categories.assign(builtin=True), own.reset_index(drop=True)], ignore_index=True
    )
    category_unit = all_categories.drop_duplicates("id").set_index("id")["unit"]

    # references between tables
    node_ids = pd.Index(nodes["id"][nodes["id"] != ""].unique())
    for column in ("source", "target"):
        _unknown_reference(founds["edges"], edges[column], node_ids, column, "node", "unknown-node")
    _unknown_reference(founds["impacts"], impacts["node"], node_ids, "node", "node", "unknown-node")
    _unknown_reference(founds["social"], social["node"], node_ids, "node", "node", "unknown-node")
    _unknown_reference(
        founds["impacts"],
        impacts["category"],
        category_unit.index,
        "category",
        f"category (known: {', '.join(category_unit.index)}; add others in categories.csv)",
        "unknown-category",
    )
    _unknown_reference(
        founds["social"],
        social["indicator"],
        pd.Index(INDICATORS),
        "indicator",
        f"indicator (known: {', '.join(INDICATORS)})",
        "unknown-indicator",
    )

    # units: node units are checked by their column rule; edges and impacts convert here
    node_unit = nodes.drop_duplicates("id").set_index("id")["unit"]
    supplier_unit = edges["source"].map(node_unit).fillna("")
    consumer_unit = edges["target"].map(node_unit).fillna("")
    edge_factor = _unit_factors(
        founds["edges"], edges, edges["unit"], supplier_unit, consumer_unit, "the edge"
    )
    edges["converted_amount"] = edges["amount"] * edge_factor
    impact_unit = impacts["category"].map(category_unit).fillna("")
    impact_factor = _unit_factors(
        founds["impacts"],
        impacts,
        impacts["unit"],
        impact_unit,
        impacts["node"].map(node_unit).fillna(""),
        "the impact",
    )
    impacts["converted_value"] = impacts["value"] * impact_factor
    _bounds_warnings(founds["edges"], edges, "amount")
    _bounds_warnings(founds["impacts"], impacts, "value")

    # bibliography
    source_ids = pd.Index(sources["id"][sources["id"] != ""].unique())
    source_levels = dict(zip(sources["id"], sources["transparency"], strict=True))
    cited: set[str] = set()
    citing = [
        ("nodes", "source"),
        ("edges", "source_ref"),
        ("impacts", "source"),
        ("social", "source"),
    ]
    for table, column in citing:
        frame = tables[table]
        unknown_texts: dict[str, str] = {}
        for text in frame[column].unique():
            ids = _split_citations(text)
            cited.update(ids)
            absent = [source_id for source_id in ids if source_id not in source_ids]
            if absent:
                hint = _suggest(absent[0], source_ids)
                unknown_texts[text] = (
                    f"cites {', '.join(map(repr, absent))}, not in the bibliography"
                    f" (sources table){hint}"
                )
        bad = frame[column].isin(list(unknown_texts))
        founds[table].each(bad, frame[column], column, unknown_texts.get, "unknown-source")
    unused = (sources["id"] != "") & ~sources["id"].isin(list(cited))
    founds["sources"].each(
        unused, sources["id"], "id", "source is never cited", "unused-source", Severity.WARNING
    )
    for table, column in citing:
        _resolve_transparency(founds[table], tables[table], column, source_levels)

    # shape of the graph
    kind_of = nodes.drop_duplicates("id").set_index("id")["kind"]
    _mix_warnings(founds["edges"], edges, node_unit, kind_of)
    has_input = nodes["id"].isin(edges["target"])
    has_impact = nodes["id"].isin(impacts["node"])
    founds["nodes"].each(
        (nodes["id"] != "") & ~has_input & ~has_impact,
        nodes["id"],
        "id",
        "node has no direct impacts and no inputs: it adds nothing to any total",
        "node-without-data",
        Severity.WARNING,
    )

    for found in founds.values():
        problems.extend(found.problems)
    tables["categories"] = all_categories
    return CheckedTables(tables, problems)


def _mix_warnings(
    found: _Found, edges: pd.DataFrame, node_unit: pd.Series, kind_of: pd.Series
) -> None:
    """Warn where several suppliers of one kind, in the consumer's own unit, add up to != 1."""
    if edges.empty:
        return
    frame = pd.DataFrame(
        {
            "target": edges["target"],
            "supplier_kind": edges["source"].map(kind_of),
            "supplier_unit": edges["source"].map(node_unit),
            "consumer_unit": edges["target"].map(node_unit),
            "amount": edges["converted_amount"],
        }
    ).dropna()
    if frame.empty:
        return
    pairs = frame[["supplier_unit", "consumer_unit"]].drop_duplicates()
    same: dict[tuple[str, str], float] = {}
    for supplier, consumer in pairs.itertuples(index=False, name=None):
        try:
            same[(supplier, consumer)] = rate_factor(supplier, consumer, consumer)
        except SupplyChainError:
            continue
    index = pd.MultiIndex.from_frame(frame[["supplier_unit", "consumer_unit"]])
    frame["share"] = frame["amount"] * np.asarray(index.map(lambda k: same.get(k, np.nan)))
    frame = frame.dropna(subset=["share"])
    groups = frame.groupby(["target", "supplier_kind"], sort=False)["share"].agg(["sum", "size"])
    off = groups[(groups["size"] >= 2) & ((groups["sum"] - 1).abs() > MIX_TOLERANCE)]
    first_row = frame.reset_index().groupby(["target", "supplier_kind"], sort=False)["index"].min()
    for (target, kind), row in off.iterrows():
        unit = node_unit[target]
        found.problems.append(
            Problem(
                Severity.WARNING,
                "mix-not-one",
                f"the {int(row['size'])} {kind} inputs of {target!r} add up to "
                f"{row['sum']:.6g} {unit} per {unit}, not 1: if they are a sourcing mix, "
                + (
                    "the rest has no origin" if row["sum"] < 1 else "they count more than the whole"
                ),
                found.file,
                found.table,
                int(first_row[(target, kind)]),
                "amount",
                None,
            )
        )
