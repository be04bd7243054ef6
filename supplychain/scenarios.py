"""Scenarios: small tables of changes applied to a graph on load, never edits of the graph.

A scenarios file is a CSV table, one change per row; the rows of one ``scenario`` make one
scenario. Columns (``scenario``, ``change`` and ``value`` required):

============  =====================================  ==========================================
``change``    what it names                          ``value`` (and ``unit``)
============  =====================================  ==========================================
``amount``    an edge: ``source``, ``target``        its new amount, in ``unit`` (default: the
                                                     supplier's unit)
``impact``    ``node`` and ``category``              its new direct impact, in ``unit``
                                                     (default: the category's, per the node's
                                                     unit); added if the node has none
``supplier``  ``target`` and the supplier it         the id of the new supplier, which brings
              replaces, ``source`` (may be left      the same amount (a node's grid: the data
              out if ``target`` has one input of     centre's electricity from another grid)
              the new supplier's kind)
``life``      ``source`` (a device) and ``target``   the device's life in ``unit`` (years,
              (the node of its use, e.g. an hour)    days, hours): the amortisation amount
                                                     becomes 1 / life
``share``     ``source`` and ``target``, an input    the source's new share of the mix (0 to
              of a sourcing mix                      1); the other shares are scaled so the mix
                                                     stays whole
============  =====================================  ==========================================

Optional: ``transparency`` of the changed figures (default ``estimated``: a what-if rests
on the person who wrote it) and ``note``. Every changed row cites the scenario (a source
row ``scenario-<name>`` is added to the bibliography) beside what it cited, and drops its
uncertainty text (its level's default spread applies). The graph a scenario makes is
validated like any graph; its errors are reported on the scenario's rows.

Examples
--------
>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "grid", "kind": "energy", "unit": "kWh"},
...            {"id": "chip", "kind": "component", "unit": "item"}],
...     edges=[{"source": "grid", "target": "chip", "amount": 2.0}],
...     impacts=[{"node": "grid", "category": "gwp", "value": 0.4}])
>>> changes = scenario_table([{"scenario": "half", "change": "amount", "source": "grid",
...                            "target": "chip", "value": "1"}])
>>> half = apply_scenario(chain, changes[changes["scenario"] == "half"])
>>> float(half.edges.loc[0, "converted_amount"]), half.edges.loc[0, "source_ref"]
(1.0, 'scenario-half')
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from supplychain.errors import InvalidDataError, InvalidGraphError, UnitError
from supplychain.io import graph_tables, read_csv_cells
from supplychain.model import SupplyChain
from supplychain.problems import Problem, Severity
from supplychain.schema import Transparency
from supplychain.sourcing import is_sourcing, sourcing_shares
from supplychain.tables import from_tables
from supplychain.units import conversion_factor

__all__ = [
    "SCENARIO_COLUMNS",
    "CHANGES",
    "read_scenarios",
    "scenario_table",
    "apply_scenario",
    "scenario_chains",
]

SCENARIO_COLUMNS = (
    "scenario",
    "change",
    "source",
    "target",
    "node",
    "category",
    "value",
    "unit",
    "transparency",
    "note",
)
"""Columns of a scenarios file (``scenario``, ``change``, ``value`` required)."""

CHANGES = {
    "amount": ("source", "target"),
    "impact": ("node", "category"),
    "supplier": ("target",),
    "life": ("source", "target"),
    "share": ("source", "target"),
}
"""Each kind of change and the columns that name what it changes."""

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class _Found:
    """The problems of a scenarios file, each naming its row, column and value."""

    def __init__(self, file: str):
        self.file, self.problems = file, []

    def add(self, message: str, row: int | None = None, column: str = "", value=None) -> None:
        self.problems.append(
            Problem(
                Severity.ERROR,
                "bad-scenario",
                message,
                self.file,
                "scenarios",
                row,
                column,
                None if value is None else str(value),
            )
        )


def read_scenarios(path: str | os.PathLike) -> pd.DataFrame:
    """The changes of a scenarios file (see the module docstring), checked as text: one
    row per change, with its spreadsheet ``row`` (header = 1).

    Raises
    ------
    InvalidDataError
        With every problem at once, each naming its row, column and value (a missing
        column, an unknown change, a value that is not a number ...). Whether the names
        are in a graph is checked by :func:`apply_scenario`.
    """
    path = Path(path)
    cells, problems = read_csv_cells(path, ("scenario", "change", "value"), ("value",))
    if cells is None:
        raise InvalidDataError(problems)
    cells.columns = [str(column).strip().lower() for column in cells.columns]
    return _checked(cells, path.name)


def scenario_table(rows: Iterable[Mapping[str, object]], file: str = "scenarios") -> pd.DataFrame:
    """:func:`read_scenarios` of rows in memory (dicts of the columns); rows numbered from
    2, as a file's would be."""
    frame = pd.DataFrame.from_records(list(rows)).fillna("").astype(str)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return _checked(frame, file)


def _checked(cells: pd.DataFrame, file: str) -> pd.DataFrame:
    found = _Found(file)
    columns = list(cells.columns)
    for column in ("scenario", "change", "value"):
        if column not in columns:
            found.add(f"missing column {column!r}", column=column)
    for column in columns:
        if column not in SCENARIO_COLUMNS:
            found.add(
                f"unknown column (expected {', '.join(SCENARIO_COLUMNS)})", None, column, column
            )
        elif columns.count(column) > 1:
            found.add("the column is named twice", None, column, column)
    if found.problems:
        raise InvalidDataError(found.problems)
    cells = cells.reindex(columns=list(SCENARIO_COLUMNS), fill_value="").map(str.strip)
    levels = {level.value for level in Transparency}
    seen: dict[tuple, int] = {}
    for row, change in cells.iterrows():
        kind = change["change"]
        if not change["scenario"]:
            found.add("no scenario named", row, "scenario", "")
        elif change["scenario"] == "base":
            found.add(
                "'base' names the graph itself: call the scenario otherwise",
                row,
                "scenario",
                "base",
            )
        if kind not in CHANGES:
            close = difflib.get_close_matches(kind, list(CHANGES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            found.add(f"unknown change (one of {', '.join(CHANGES)}){hint}", row, "change", kind)
            continue
        for column in CHANGES[kind]:
            if not change[column]:
                found.add(f"a change of {kind} names its {column}", row, column, "")
        value = change["value"]
        if kind != "supplier":
            if not _NUMBER.fullmatch(value):
                hint = " (use a decimal point)" if re.fullmatch(r"-?\d+,\d+", value) else ""
                found.add(f"expected a number{hint}", row, "value", value)
            elif kind == "share" and not 0 <= float(value) <= 1:
                found.add("a share lies between 0 and 1", row, "value", value)
            elif kind == "life" and not float(value) > 0:
                found.add("a life is longer than 0", row, "value", value)
            elif not math.isfinite(float(value)):
                found.add("expected a finite number", row, "value", value)
        elif not value:
            found.add("a change of supplier names the new supplier's id", row, "value", "")
        if kind == "life" and not change["unit"]:
            found.add("a life needs its unit (years, days, hours)", row, "unit", "")
        if change["transparency"] and change["transparency"] not in levels:
            found.add(
                f"expected one of {', '.join(sorted(levels))}",
                row,
                "transparency",
                change["transparency"],
            )
        what = (change["scenario"], _changed_key(change))
        if what in seen:
            found.add(
                f"changed twice in scenario {change['scenario']!r} (row {seen[what]})",
                row,
                "change",
                kind,
            )
        seen.setdefault(what, row)
    if found.problems:
        raise InvalidDataError(found.problems)
    if cells.empty:
        found.add("no changes: the file has a header and no rows")
        raise InvalidDataError(found.problems)
    return cells.rename_axis("row").reset_index()


def _changed_key(change: pd.Series) -> tuple:
    """What a change changes: two changes of one thing in one scenario would clash."""
    kind = change["change"]
    if kind == "impact":
        return ("impact", change["node"], change["category"])
    if kind == "supplier":
        return ("edge", change["source"] or "*", change["target"])
    return ("edge", change["source"], change["target"])


def scenario_chains(
    chain: SupplyChain, changes: pd.DataFrame, file: str = "scenarios"
) -> dict[str, SupplyChain]:
    """Each scenario of ``changes`` (from :func:`read_scenarios`) applied to ``chain``, in
    the order of the file.

    Raises
    ------
    InvalidDataError
        With the problems of every scenario at once (see :func:`apply_scenario`).
    """
    made, problems = {}, []
    for name in dict.fromkeys(changes["scenario"]):
        try:
            made[name] = apply_scenario(chain, changes[changes["scenario"] == name], file)
        except InvalidDataError as error:
            problems += list(error.problems)
    if problems:
        raise InvalidDataError(problems)
    return made


def apply_scenario(
    chain: SupplyChain, changes: pd.DataFrame, file: str = "scenarios"
) -> SupplyChain:
    """The graph ``chain`` with the ``changes`` of one scenario (rows of
    :func:`read_scenarios`), validated as any graph; ``chain`` itself is not changed.
    The new graph is named ``<graph> [<scenario>]``.

    Raises
    ------
    InvalidDataError
        Naming the row, column and value of each change that names nothing in the graph
        (with the closest ids), cannot be converted into the unit it must be in, or makes
        the graph invalid (the graph's own problem in the message).
    """
    name = str(changes["scenario"].iloc[0])
    found = _Found(file)
    tables = {table: frame.copy() for table, frame in graph_tables(chain).items()}
    nodes = chain.nodes.set_index("id")
    cite = f"scenario-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-') or 'unnamed'}"
    edges, impacts = tables["edges"], tables["impacts"]
    # the amount of each edge in its supplier's unit as the changes go, and the shares set
    edges["_converted"] = chain.edges["converted_amount"].to_numpy(dtype=float)
    edges["_held"] = False
    if name == "base":
        found.add(
            "'base' names the graph itself: call the scenario otherwise",
            int(changes["row"].iloc[0]),
            "scenario",
            name,
        )
    for change in changes.itertuples(index=False):
        row = int(change.row)
        level = change.transparency or "estimated"
        note = f"scenario {name!r}: {change.note or change.change}"
        named = [getattr(change, c) for c in ("source", "target", "node") if getattr(change, c)]
        if change.change == "supplier":
            named.append(change.value)
        absent = [node for node in named if node not in nodes.index]
        if absent:
            close = difflib.get_close_matches(absent[0], list(nodes.index), n=3)
            hint = f"; closest: {', '.join(close)}" if close else ""
            column = next(
                c for c in ("source", "target", "node", "value") if getattr(change, c) == absent[0]
            )
            found.add(
                f"no node {absent[0]!r} in the graph {chain.name}{hint}", row, column, absent[0]
            )
            continue
        try:
            if change.change == "impact":
                _change_impact(impacts, change, level, cite, note, found, row)
            elif change.change == "supplier":
                _change_supplier(edges, nodes, change, level, cite, note, found, row)
            else:
                _change_edge(edges, chain, nodes, change, level, cite, note, found, row)
        except UnitError as error:
            found.add(str(error), row, "unit", change.unit)
    if found.problems:
        raise InvalidDataError(found.problems)
    tables["edges"] = edges.drop(columns=["_converted", "_held"])
    if cite not in set(tables["sources"]["id"]):  # the scenario is the figures' source
        source = {"id": cite, "title": f"Scenario {name!r} of {file}", "transparency": level}
        tables["sources"] = pd.concat(
            [tables["sources"], pd.DataFrame([source])], ignore_index=True
        )
    try:
        return from_tables(f"{chain.name} [{name}]", **tables)
    except InvalidGraphError as error:
        rows = ", ".join(str(r) for r in changes["row"])
        for problem in error.problems:
            if problem.is_error:
                found.add(
                    f"scenario {name!r} (rows {rows}) makes an invalid graph: {problem.describe()}",
                    int(changes["row"].iloc[0]),
                    "scenario",
                    name,
                )
        raise InvalidDataError(found.problems) from None


def _cited(old: str, cite: str) -> str:
    return cite if not old else f"{old};{cite}"


def _edge_position(edges: pd.DataFrame, source: str, target: str, found, row) -> int | None:
    at = np.flatnonzero(
        (edges["source"] == source).to_numpy() & (edges["target"] == target).to_numpy()
    )
    if len(at) == 0:
        found.add(f"no edge {source} -> {target} in the graph", row, "source", source)
        return None
    return int(at[0])


def _mark(
    rows: pd.DataFrame,
    at: int,
    level: str,
    cite: str,
    note: str,
    cited_in: str = "source_ref",
    keep_spread: bool = False,
) -> None:
    """Row ``at`` of edges (or impacts, ``cited_in="source"``) as a scenario changed it:
    its level, the scenario cited beside its sources, a note, and no uncertainty text
    unless ``keep_spread`` (its figure is unchanged)."""
    rows.loc[at, "transparency"] = level
    rows.loc[at, cited_in] = _cited(str(rows.loc[at, cited_in] or ""), cite)
    if not keep_spread:
        rows.loc[at, "uncertainty"] = ""
    old = str(rows.loc[at, "note"] or "")
    rows.loc[at, "note"] = note if not old else f"{note}. Before: {old}"


def _change_edge(edges, chain, nodes, change, level, cite, note, found, row) -> None:
    at = _edge_position(edges, change.source, change.target, found, row)
    if at is None:
        return
    value = float(change.value)
    if change.change == "amount":
        factor = (
            conversion_factor(change.unit, nodes.loc[change.source, "unit"]) if change.unit else 1
        )
        edges.loc[at, "amount"], edges.loc[at, "unit"] = value, change.unit
        edges.loc[at, "_converted"] = value * factor
        _mark(edges, at, level, cite, note)
    elif change.change == "life":
        use_unit = nodes.loc[change.target, "unit"]
        life = value * conversion_factor(change.unit, use_unit)
        edges.loc[at, "amount"], edges.loc[at, "unit"] = 1.0 / life, ""
        edges.loc[at, "_converted"] = 1.0 / life
        _mark(edges, at, level, cite, f"{note} (a life of {change.value} {change.unit})")
    else:  # share
        _change_share(edges, chain, change, at, value, level, cite, note, found, row)


def _change_share(edges, chain, change, at, share, level, cite, note, found, row) -> None:
    kinds = chain.nodes.set_index("id")["kind"]
    units = chain.nodes.set_index("id")["unit"]
    into = np.flatnonzero((edges["target"] == change.target).to_numpy())
    converted = edges["_converted"].to_numpy(dtype=float)[into]
    held = edges["_held"].to_numpy(dtype=bool)[into]
    shares = sourcing_shares(
        kinds.reindex(edges["source"].iloc[into]).to_numpy(),
        np.full(len(into), kinds[change.target]),
        units.reindex(edges["source"].iloc[into]).to_numpy(),
        np.full(len(into), units[change.target]),
        converted,
    )
    sourcing = is_sourcing(
        kinds.reindex(edges["source"].iloc[into]).to_numpy(),
        np.full(len(into), kinds[change.target]),
    ) & np.isfinite(shares)
    mine = int(np.flatnonzero(into == at)[0])
    if not sourcing[mine]:
        found.add(
            f"{change.source} -> {change.target} is no share of a sourcing mix (a mine,"
            " or a material into a material)",
            row,
            "source",
            change.source,
        )
        return
    others = sourcing & (np.arange(len(into)) != mine) & ~held
    kept = float(shares[sourcing & held & (np.arange(len(into)) != mine)].sum())
    if share + kept > 1 + 1e-9:
        found.add(
            f"with the shares set before in this scenario ({kept:g}), the mix of"
            f" {change.target} would add up to more than 1",
            row,
            "value",
            change.value,
        )
        return
    old = shares[mine]
    if old >= 1 and share < 1 and not others.any():
        found.add(
            f"{change.source} is the whole mix of {change.target}: no other share to scale",
            row,
            "value",
            change.value,
        )
        return
    per_share = converted[mine] / old if old > 0 else 1.0 / _factor(shares, converted, mine)
    rest = shares[others].sum()
    scale = (1 - share - kept) / rest if rest > 0 else 0.0
    edges.loc[at, "amount"], edges.loc[at, "unit"] = share * per_share, ""
    edges.loc[at, "_converted"], edges.loc[at, "_held"] = share * per_share, True
    _mark(edges, at, level, cite, f"{note} (a share of {change.value})")
    for position in into[others]:
        k = int(np.flatnonzero(into == position)[0])
        edges.loc[position, "amount"], edges.loc[position, "unit"] = converted[k] * scale, ""
        edges.loc[position, "_converted"] = converted[k] * scale
        _mark(edges, position, level, cite, f"{note} (scaled with the share of {change.source})")


def _factor(shares: np.ndarray, converted: np.ndarray, mine: int) -> float:
    """Shares per converted amount, from any input of the mix with a share (an input at 0
    has none of its own: the units of the mix are alike)."""
    with_share = np.flatnonzero(np.isfinite(shares) & (converted > 0))
    if not len(with_share):
        return 1.0
    k = with_share[0]
    return shares[k] / converted[k]


def _change_impact(impacts, change, level, cite, note, found, row) -> None:
    at = np.flatnonzero(
        (impacts["node"] == change.node).to_numpy()
        & (impacts["category"] == change.category).to_numpy()
    )
    if len(at) == 0:
        impacts.loc[len(impacts)] = {
            "node": change.node,
            "category": change.category,
            "value": float(change.value),
            "unit": change.unit,
            "uncertainty": "",
            "transparency": level,
            "source": cite,
            "note": note,
        }
        return
    k = int(at[0])
    impacts.loc[k, "value"], impacts.loc[k, "unit"] = float(change.value), change.unit
    _mark(impacts, k, level, cite, note, cited_in="source")


def _change_supplier(edges, nodes, change, level, cite, note, found, row) -> None:
    new = change.value
    into = np.flatnonzero((edges["target"] == change.target).to_numpy())
    if change.source:
        at = [k for k in into if edges.loc[k, "source"] == change.source]
        if not at:
            found.add(
                f"no edge {change.source} -> {change.target} in the graph",
                row,
                "source",
                change.source,
            )
            return
    else:
        kind = nodes.loc[new, "kind"]
        at = [k for k in into if nodes.loc[edges.loc[k, "source"], "kind"] == kind]
        if len(at) != 1:
            listed = ", ".join(edges.loc[k, "source"] for k in at) or "none"
            found.add(
                f"{change.target} has {len(at)} inputs of kind {kind} ({listed}): name the"
                " one to replace in source",
                row,
                "source",
                "",
            )
            return
    if any(edges.loc[k, "source"] == new for k in into):
        found.add(
            f"{change.target} takes {new} already: change that edge's amount instead",
            row,
            "value",
            new,
        )
        return
    k = at[0]
    old = edges.loc[k, "source"]
    edges.loc[k, "source"] = new
    # the same amount from another supplier: its spread stands
    _mark(edges, k, level, cite, f"{note} ({new} in place of {old})", keep_spread=True)
