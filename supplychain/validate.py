"""Checking a graph: every table on its own, then the tables against each other.

Every problem is reported at once, each with file, row, column and value. The tables
are checked column by column first (:mod:`supplychain.columns`), then here: references
between tables, duplicates, unit conversion, the bibliography, transparency, and the
shape of the graph. Tables leave typed, with units converted and transparency resolved.

Rules (errors unless marked as warnings): duplicate node ids, edges, impacts, social
entries, sources and categories; edges, impacts and social entries naming unknown nodes;
unknown categories and indicators; units that cannot be converted; sources cited but
absent from the bibliography; an empty graph. Warnings: a value outside the bounds of its
own uncertainty; transparency given without a source (taken as ``missing``) or a source
without a transparency (taken from the bibliography, else ``estimated``); sourcing mixes
whose shares do not add up to 1; nodes with no direct impacts and no inputs; unused
sources.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from supplychain.citations import cites_anything, split_ids
from supplychain.columns import TableProblems, check_table
from supplychain.distributions import bounds_problem, format_uncertainty, parse_uncertainty
from supplychain.errors import DivergentLoopError, NumericRangeError, SupplyChainError
from supplychain.problems import Problem, Severity
from supplychain.schema import ROW_MODELS, Transparency, indicator_ids
from supplychain.solver import plan, solve
from supplychain.sourcing import MIX_TOLERANCE, mix_totals, sourcing_shares
from supplychain.units import rate_factor

__all__ = ["check_graph", "CheckedTables"]


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
    found: TableProblems,
    values: pd.Series,
    known: pd.Index,
    column: str,
    what: str,
    code: str,
    positions: np.ndarray | None = None,
    suggest_limit: int = 200,
) -> pd.Series:
    """Report values naming nothing in ``known`` (``positions``: their indexes in ``known``
    if already looked up, -1 for none)."""
    present = values != ""
    found_in = values.isin(known) if positions is None else positions >= 0
    unknown = present & ~found_in
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


def _duplicates(
    found: TableProblems,
    frame: pd.DataFrame,
    keys: list[str],
    what: str,
    code: str,
    key_codes: np.ndarray | None = None,
) -> None:
    """Report rows repeating the ``keys`` of an earlier row (``key_codes``: one integer per
    row standing for its keys, when known, which is faster than comparing texts)."""
    if key_codes is not None:
        present = pd.Series(True, index=frame.index)
        dup = pd.Series(pd.Series(key_codes).duplicated(keep="first").to_numpy(), frame.index)
    else:
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


def _invisible(text: str) -> list[str]:
    """The characters of ``text`` that show nothing or turn the text around (zero-width
    spaces, joiners, direction marks and overrides: Unicode's format characters)."""
    return [char for char in text if unicodedata.category(char) == "Cf"]


def _lookalike_key(text: str) -> str:
    """What an id looks like on screen: compatibility normal form, format characters gone."""
    return "".join(
        c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf"
    )


def _lookalike_ids(found: TableProblems, ids: pd.Series, what: str) -> None:
    """Warn where an id holds invisible characters, or looks the same as another id while
    being another text (``é`` composed and decomposed). Only ids beyond ASCII can: they
    are found first, with one vectorised test."""
    beyond_ascii = ~ids.str.isascii()
    if not beyond_ascii.any():
        return
    candidates = ids[beyond_ascii]
    hidden = candidates.map(lambda value: ", ".join(f"U+{ord(c):04X}" for c in _invisible(value)))
    found.each(
        hidden != "",
        candidates,
        "id",
        lambda value: (
            f"{what} holds characters that show nothing or turn the text around"
            f" ({', '.join(f'U+{ord(c):04X}' for c in _invisible(value))}): it may look like"
            " another id but is not"
        ),
        "invisible-character",
        Severity.WARNING,
    )
    keys = candidates.map(_lookalike_key)
    first_of = {value: row for row, value in ids[::-1].items()}  # first row of each id
    seen: dict[str, str] = {}
    for row, (value, key) in enumerate(zip(candidates, keys, strict=True)):
        other = key if key != value and key in first_of else seen.get(key)
        if other is not None and other != value:
            found.problems.append(
                Problem(
                    Severity.WARNING,
                    "lookalike-id",
                    f"{what} looks the same as {other!r} ({found.where(first_of[other])}) but is"
                    " another text (Unicode normal form or invisible characters): references"
                    " to one do not reach the other",
                    found.file,
                    found.table,
                    int(candidates.index[row]),
                    "id",
                    value,
                )
            )
        seen.setdefault(key, value)


_LEVEL_ORDER = [level.value for level in Transparency]


def _map_text(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values`` looked up in ``mapping``, as text; ``""`` where there is no entry."""
    mapped = values.map(mapping)
    return mapped.astype(object).where(mapped.notna(), "").astype(str)


def _resolve_transparency(
    found: TableProblems, frame: pd.DataFrame, citation_column: str, source_levels: dict[str, str]
) -> None:
    """Fill ``transparency`` in place: no source means ``missing``, by definition."""
    level = frame["transparency"]
    cited = pd.Series(cites_anything(frame[citation_column]), index=frame.index)
    given = level != ""
    unsourced = given & ~cited & (level != Transparency.MISSING.value)
    found.summary(
        unsourced,
        "transparency",
        f"{{verb}} a transparency level but no {citation_column}: taken as missing"
        " (a figure without a source is missing by definition)",
        "transparency-without-source",
    )
    implied: dict[str, str] = {}
    for citation in frame.loc[~given & cited, citation_column].unique():
        levels = [source_levels.get(source_id, "") for source_id in split_ids(citation)]
        known = [lvl for lvl in levels if lvl]
        implied[citation] = max(known, key=_LEVEL_ORDER.index) if known else ""
    implied_level = _map_text(frame[citation_column], implied)
    from_source = ~given & cited & implied_level.ne("")
    fallback = ~given & cited & ~from_source
    found.summary(
        fallback,
        "transparency",
        f"{{verb}} a {citation_column} but no transparency, and the bibliography gives no level"
        " for it: taken as estimated",
        "transparency-assumed",
    )
    resolved = level.where(cited, Transparency.MISSING.value)
    resolved = resolved.where(~from_source, implied_level)
    resolved = resolved.where(~fallback, Transparency.ESTIMATED.value)
    frame["transparency"] = resolved


def _unit_factors(
    found: TableProblems,
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


def _bounds_warnings(
    found: TableProblems, frame: pd.DataFrame, value_column: str, as_written: pd.Series
) -> None:
    """Warn where a figure lies outside the bounds of its own uncertainty; refuse bounds
    of the other sign than the figure (the draws would turn a cost into a credit)."""
    for text in frame["uncertainty"].unique():
        if not text:
            continue
        spec = parse_uncertainty(text)
        if not hasattr(spec, "min"):
            continue
        values = frame[value_column]
        rows = frame["uncertainty"] == text
        flipped = rows & (((values > 0) & (spec.max < 0)) | ((values < 0) & (spec.min > 0)))
        found.each(
            flipped,
            as_written,
            value_column,
            f"the figure and {format_uncertainty(spec)} have opposite signs, so the draws would"
            " turn its sign around (a credit is a negative figure with negative bounds)",
            "uncertainty-sign",
        )
        outside = rows & ~flipped & ((values < spec.min) | (values > spec.max))
        messages = pd.Series(
            [bounds_problem(spec, value) for value in values[outside]], index=values.index[outside]
        )
        found.each(
            outside,
            as_written,
            value_column,
            messages,
            "value-outside-uncertainty",
            Severity.WARNING,
        )


def _merge_categories(
    found: TableProblems, categories: pd.DataFrame, builtin_categories: pd.DataFrame
) -> pd.DataFrame:
    """The built-in categories plus the graph's own (flag ``builtin``); a built-in one may
    be declared again but not with another unit."""
    builtin = builtin_categories.set_index("id")
    redefined = categories["id"].isin(builtin.index)
    clash = redefined & (
        categories["unit"] != categories["id"].map(builtin["unit"]).fillna(categories["unit"])
    )
    found.each(
        clash,
        categories["unit"],
        "unit",
        "a built-in category cannot change its unit; give the category another id",
        "builtin-category-unit",
    )
    own = categories[~redefined].assign(builtin=False).reset_index(drop=True)
    return pd.concat([builtin_categories.assign(builtin=True), own], ignore_index=True)


def _check_bibliography(
    founds: dict[str, TableProblems], tables: dict[str, pd.DataFrame], unreadable: frozenset[str]
) -> None:
    """Citations must name sources of the bibliography; resolve every ``transparency``."""
    sources = tables["sources"]
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
            ids = split_ids(text)
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
    all_citations_read = not unreadable & {"nodes", "edges", "impacts", "social"}
    unused = (sources["id"] != "") & ~sources["id"].isin(list(cited)) & all_citations_read
    founds["sources"].each(
        unused, sources["id"], "id", "source is never cited", "unused-source", Severity.WARNING
    )
    for table, column in citing:
        _resolve_transparency(founds[table], tables[table], column, source_levels)


def check_graph(
    raw_tables: dict[str, pd.DataFrame],
    files: dict[str, str],
    builtin_categories: pd.DataFrame,
    unreadable: frozenset[str] = frozenset(),
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
    unreadable : set of str
        Tables that exist but could not be read (their problems are reported already);
        warnings that would be false without them are not given.

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
    founds: dict[str, TableProblems] = {}
    for table in ROW_MODELS:
        raw = raw_tables.get(table)
        if raw is None or (raw.empty and len(raw.columns) == 0):  # absent: an empty table
            raw = pd.DataFrame(
                {name: pd.Series(dtype=str) for name in ROW_MODELS[table].model_fields}
            )
            raw_tables = {**raw_tables, table: raw}
        typed, table_problems = check_table(raw, table, files.get(table, table))
        tables[table] = typed
        founds[table] = TableProblems(files.get(table, table), table)
        problems.extend(table_problems)
    nodes, edges, impacts, social = (tables[t] for t in ("nodes", "edges", "impacts", "social"))
    sources, categories = tables["sources"], tables["categories"]

    if len(nodes) == 0:
        founds["nodes"].one("empty-graph", "the graph has no nodes")

    # node positions of the edges, looked up once
    unique_nodes = nodes[nodes["id"] != ""].drop_duplicates("id").reset_index(drop=True)
    ids = pd.Index(unique_nodes["id"])
    supplier, consumer = ids.get_indexer(edges["source"]), ids.get_indexer(edges["target"])
    all_known = bool((supplier >= 0).all() and (consumer >= 0).all())
    edge_codes = supplier.astype(np.int64) * len(ids) + consumer if all_known else None

    # identities
    _duplicates(founds["nodes"], nodes, ["id"], "node id", "duplicate-id")
    _duplicates(founds["edges"], edges, ["source", "target"], "edge", "duplicate-edge", edge_codes)
    _duplicates(founds["impacts"], impacts, ["node", "category"], "impact", "duplicate-impact")
    _duplicates(founds["social"], social, ["node", "indicator"], "social risk", "duplicate-social")
    _duplicates(founds["sources"], sources, ["id"], "source id", "duplicate-source")
    _duplicates(founds["categories"], categories, ["id"], "category id", "duplicate-category")
    _lookalike_ids(founds["nodes"], nodes["id"], "node id")
    _lookalike_ids(founds["sources"], sources["id"], "source id")

    all_categories = _merge_categories(founds["categories"], categories, builtin_categories)
    category_unit = all_categories.drop_duplicates("id").set_index("id")["unit"]

    # references between tables
    for column, positions in (("source", supplier), ("target", consumer)):
        _unknown_reference(
            founds["edges"], edges[column], ids, column, "node", "unknown-node", positions
        )
    _unknown_reference(founds["impacts"], impacts["node"], ids, "node", "node", "unknown-node")
    _unknown_reference(founds["social"], social["node"], ids, "node", "node", "unknown-node")
    _unknown_reference(
        founds["impacts"],
        impacts["category"],
        category_unit.index,
        "category",
        f"category (known: {', '.join(category_unit.index)}; add others in categories.csv)",
        "unknown-category",
    )
    own_indicators = all_categories.loc[all_categories["group"] == "social", "id"]
    known_indicators = pd.Index(indicator_ids(own_indicators))
    _unknown_reference(
        founds["social"],
        social["indicator"],
        known_indicators,
        "indicator",
        f"indicator (known: {', '.join(known_indicators)}; add others in categories.csv with"
        " group social)",
        "unknown-indicator",
    )

    # units: node units are checked by their column rule; edges and impacts convert here
    node_unit = nodes.drop_duplicates("id").set_index("id")["unit"]
    unit_by_position = np.append(unique_nodes["unit"].to_numpy(dtype=object), "")  # -1: ""
    supplier_unit = pd.Series(unit_by_position[supplier], index=edges.index, dtype=str)
    consumer_unit = pd.Series(unit_by_position[consumer], index=edges.index, dtype=str)
    edge_factor = _unit_factors(
        founds["edges"], edges, edges["unit"], supplier_unit, consumer_unit, "the edge"
    )
    edges["converted_amount"] = edges["amount"] * edge_factor
    impact_unit = impacts["category"].map(category_unit).astype(object).fillna("")
    impact_factor = _unit_factors(
        founds["impacts"],
        impacts,
        impacts["unit"],
        impact_unit,
        impacts["node"].map(node_unit).astype(object).fillna(""),
        "the impact",
    )
    impacts["converted_value"] = impacts["value"] * impact_factor
    for table, column, converted, factor in (
        ("edges", "amount", "converted_amount", edge_factor),
        ("impacts", "value", "converted_value", impact_factor),
    ):
        frame = tables[table]
        finite = np.isfinite(frame[column]) & np.isfinite(factor)  # else reported already
        overflow = finite & ~np.isfinite(frame[converted])
        if not overflow.any():
            continue
        written = raw_tables[table]
        found_in = founds[table]
        found_in.each(
            overflow,
            written[column] if column in written else frame[column].astype(str),
            column,
            f"beyond the range of floating-point numbers (about 1.8e308) once converted from"
            f" its unit to the {'supplier' if table == 'edges' else 'category'}'s",
            "out-of-range",
        )
    for table, column in (("edges", "amount"), ("impacts", "value")):
        as_written = raw_tables[table].get(column, pd.Series(dtype=str))
        _bounds_warnings(founds[table], tables[table], column, as_written)

    _check_bibliography(founds, tables, unreadable)

    # shape of the graph
    _mix_warnings(founds["edges"], edges, supplier, consumer, unique_nodes)
    if all_known and not any(p.is_error for p in problems + founds["edges"].problems):
        _divergent_loops(founds["edges"], edges, supplier, consumer, unique_nodes["id"])
    has_input = nodes["id"].isin(edges["target"]) | ("edges" in unreadable)
    has_impact = nodes["id"].isin(impacts["node"]) | ("impacts" in unreadable)
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


def _divergent_loops(
    found: TableProblems,
    edges: pd.DataFrame,
    supplier: np.ndarray,
    consumer: np.ndarray,
    ids: pd.Series,
) -> None:
    """An error for a loop that needs one unit or more of itself (spectral radius at or
    above 1): no total through it is finite, so ``impacts`` and every analysis would refuse
    the graph. Found as the totals would find it (the solver's probe), only if the graph
    has a loop at all (strongly connected components, one pass)."""
    n = len(ids)
    amount = edges["converted_amount"].to_numpy(dtype=float)
    positive = np.isfinite(amount) & (amount > 0)
    nonzero = np.isfinite(amount) & (amount != 0)
    linked = sp.csr_array(
        (np.ones(nonzero.sum()), (supplier[nonzero], consumer[nonzero])), shape=(n, n)
    )
    count, component = connected_components(linked, directed=True, connection="strong")
    negative = nonzero & ~positive
    looped = negative & (component[supplier] == component[consumer])
    if looped.any():  # a credit inside a loop: its convergence is not that of a supply chain
        found.each(
            pd.Series(looped, index=edges.index),
            edges["amount"].astype(str) if "amount" in edges else pd.Series("", index=edges.index),
            "amount",
            "a negative amount (a credit) inside a loop: credits are taken on edges between"
            " nodes that do not supply each other; model the credit on the loop's output",
            "credit-in-loop",
        )
        return
    A = sp.csr_array((amount[positive], (supplier[positive], consumer[positive])), shape=(n, n))
    if count == n and not (supplier[nonzero] == consumer[nonzero]).any():
        return  # no loop
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            solve(plan(A, labels=ids.to_numpy()), np.ones(n))
    except DivergentLoopError as error:
        inside = pd.Index(error.nodes)
        rows = edges["source"].isin(inside) & edges["target"].isin(inside) & positive
        radius = f" (spectral radius {error.spectral_radius:.6g})" if error.spectral_radius else ""
        found.summary(
            pd.Series(rows.to_numpy(), index=edges.index),
            "amount",
            f"of the loop {', '.join(error.nodes[:12])}, which needs one unit or more of"
            f" itself per unit{radius}: no total through it is finite; lower an amount of the"
            " loop (a recycled share, a yield) below what it returns",
            "divergent-loop",
            Severity.ERROR,
        )
    except NumericRangeError:
        return  # a loop that converges, on totals too large for floats: refused when solved


def _mix_warnings(
    found: TableProblems,
    edges: pd.DataFrame,
    supplier: np.ndarray,
    consumer: np.ndarray,
    unique_nodes: pd.DataFrame,
) -> None:
    """Warn where two or more sourcing inputs of one consumer add up to != 1 (the rule of
    :mod:`supplychain.sourcing`). ``supplier`` and ``consumer`` are positions of each
    edge's nodes in ``unique_nodes`` (-1 where unknown)."""
    amount = edges["converted_amount"].to_numpy(dtype=float)
    known = (supplier >= 0) & (consumer >= 0)
    if not known.any():
        return
    kind, unit = unique_nodes["kind"].to_numpy(), unique_nodes["unit"].to_numpy()
    s, c = supplier[known], consumer[known]
    share = sourcing_shares(kind[s], kind[c], unit[s], unit[c], amount[known])
    consumers, total, suppliers = mix_totals(c, share)
    rows = edges.index.to_numpy()[known]
    counted = np.isfinite(share)
    first_row = pd.Series(rows[counted]).groupby(c[counted]).min()
    off = (suppliers >= 2) & (np.abs(total - 1) > MIX_TOLERANCE)
    ids = unique_nodes["id"].to_numpy()
    for k in np.flatnonzero(off):
        target, unit_of = ids[consumers[k]], unit[consumers[k]]
        rest = "the rest has no origin" if total[k] < 1 else "they count more than the whole"
        message = (
            f"the {suppliers[k]} sourcing inputs of {target!r} add up to {total[k]:.6g}"
            f" {unit_of} per {unit_of}, not 1: if they are a sourcing mix, {rest}"
        )
        found.problems.append(
            Problem(
                Severity.WARNING,
                "mix-not-one",
                message,
                found.file,
                found.table,
                int(first_row[consumers[k]]),
                "amount",
            )
        )
