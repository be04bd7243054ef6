"""Every validation rule of a graph, on failing inputs, in both input forms.

Each test starts from one small valid graph (``BASE``) and breaks it in one place, then
checks the one problem that must come out: its code, severity, file, row, column, value
and message, and that no unrelated error comes with it.

* CSV folder: the tables are written as ``nodes.csv``, ``edges.csv`` ...; rows count as a
  spreadsheet shows them (header = row 1, first data row = row 2).
* JSON file: the same tables as lists of records in ``graph.json``; a row is a position in
  its list (``edges[0]``), i.e. the CSV row minus 2.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from supplychain.cli import main
from supplychain.errors import GraphNotFoundError
from supplychain.io import load, save_csv, validate
from supplychain.problems import Problem, Severity
from supplychain.tables import from_tables

# ----------------------------------------------------------------------------- the base graph

# Two cobalt mines supply a refinery as a sourcing mix (0.74 + 0.26 = 1), the refinery and
# the grid supply a battery cell. Every figure is sourced; the graph has no problem at all.
BASE: dict[str, str] = {
    "nodes": """\
id,kind,unit,name,lat,lon,transparency,source
mine_cd,mine,kg,Cobalt mine (DR Congo),-10.7,25.5,published,usgs
mine_id,mine,kg,Cobalt mine (Indonesia),-2.5,121.4,published,usgs
cobalt,material,kg,Cobalt refinery,,,published,usgs
battery,component,item,Battery cell,,,estimated,lca
grid,energy,kWh,Grid electricity,,,published,grid
""",
    "edges": """\
source,target,amount,unit,uncertainty,transparency,source_ref
mine_cd,cobalt,0.74,,,published,usgs
mine_id,cobalt,0.26,,,published,usgs
cobalt,battery,8,g,"range(6, 10)",estimated,lca
grid,battery,2.5,kWh,lognormal(gsd=1.5),estimated,lca
""",
    "impacts": """\
node,category,value,unit,uncertainty,transparency,source
mine_cd,gwp,8.3,,,published,lca
mine_id,gwp,11,,,published,lca
grid,gwp,380,g CO2e/kWh,,published,grid
grid,water,1.8,L/kWh,,estimated,grid
mine_cd,mercury,0.2,,,estimated,ngo
""",
    "social": """\
node,indicator,level,transparency,source
mine_cd,child_labour,high,published,ngo
mine_id,child_labour,unknown,,
""",
    "sources": """\
id,title,year,transparency
usgs,USGS Mineral Commodity Summaries,2024,published
lca,A battery life cycle assessment,2021,
grid,Grid emission factors,2023,disclosed
ngo,NGO field report,2022,estimated
""",
    "categories": """\
id,name,unit,group
mercury,Mercury emissions,g,environmental
""",
}

Tables = dict[str, str]
Change = Callable[[Tables], None]


def replace(table: str, old: str, new: str) -> Change:
    """A change: replace the one occurrence of ``old`` in ``table`` by ``new``."""

    def change(tables: Tables) -> None:
        assert tables[table].count(old) == 1, f"{old!r} must occur once in {table}"
        tables[table] = tables[table].replace(old, new)

    return change


def add(table: str, line: str) -> Change:
    """A change: append one CSV line to ``table``."""

    def change(tables: Tables) -> None:
        tables[table] += line + "\n"

    return change


def drop_column(table: str, column: str) -> Change:
    """A change: remove ``column`` from ``table`` (header and every row)."""

    def change(tables: Tables) -> None:
        rows = list(csv.reader(io.StringIO(tables[table])))
        position = rows[0].index(column)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            r[:position] + r[position + 1 :] for r in rows
        )
        tables[table] = out.getvalue()

    return change


def add_column(table: str, column: str, value: str) -> Change:
    """A change: add ``column`` to ``table``, holding ``value`` in every row."""

    def change(tables: Tables) -> None:
        lines = tables[table].splitlines()
        lines = [f"{lines[0]},{column}"] + [f"{line},{value}" for line in lines[1:]]
        tables[table] = "\n".join(lines) + "\n"

    return change


def tables_with(*changes: Change) -> Tables:
    tables = dict(BASE)
    for change in changes:
        change(tables)
    return tables


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write files (name -> text or bytes) into ``folder``; text is written as UTF-8."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def csv_folder(tmp_path: Path, *changes: Change) -> Path:
    """The base graph with ``changes`` as a folder of CSV tables."""
    tables = tables_with(*changes)
    return write_files(tmp_path / "graph", {f"{t}.csv": text for t, text in tables.items()})


def _json_cell(text: str) -> object:
    """A CSV cell as a JSON author would write it: plain decimals as numbers, else text."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text) and repr(float(text)) == text:
        return float(text)
    return text


def json_document(tables: Tables) -> dict:
    """The JSON form of CSV tables (empty cells left out)."""
    document: dict[str, object] = {"format": "supplychain-graph", "version": 1, "name": "g"}
    for table, text in tables.items():
        records = csv.DictReader(io.StringIO(text))
        document[table] = [
            {key: _json_cell(value) for key, value in record.items() if value} for record in records
        ]
    return document


def json_file(tmp_path: Path, *changes: Change) -> Path:
    """The base graph with ``changes`` as one JSON file."""
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(json_document(tables_with(*changes)), indent=1), "utf-8")
    return path


@dataclass(frozen=True)
class Form:
    """One input form: how to write a graph, and where its problems are located."""

    name: str

    def write(self, tmp_path: Path, *changes: Change) -> Path:
        return (csv_folder if self.name == "csv" else json_file)(tmp_path, *changes)

    def file(self, table: str) -> str:
        return f"{table}.csv" if self.name == "csv" else "graph.json"

    def row(self, csv_row: int) -> int:
        """The row a problem names, given the spreadsheet row of the CSV form."""
        return csv_row if self.name == "csv" else csv_row - 2

    def where(self, table: str, csv_row: int) -> str:
        return f"row {csv_row}" if self.name == "csv" else f"{table}[{csv_row - 2}]"


CSV, JSON = Form("csv"), Form("json")


@pytest.fixture(params=[CSV, JSON], ids=["csv", "json"])
def form(request) -> Form:
    return request.param


def errors(problems: list[Problem], *except_codes: str) -> list[Problem]:
    """The errors among ``problems``, leaving out those with one of ``except_codes``."""
    return [p for p in problems if p.is_error and p.code not in except_codes]


def only(problems: list[Problem], code: str) -> Problem:
    """The one problem with ``code`` (fails, listing all problems, if there is not one)."""
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code!r} problem, got: {problems}"
    return found[0]


def test_base_graph_is_valid(form, tmp_path):
    """The base graph every test breaks has no error and no warning, in both forms."""
    path = form.write(tmp_path)
    assert validate(path) == []
    chain = load(path)
    assert len(chain.nodes) == 5 and len(chain.edges) == 4 and len(chain.impacts) == 5


# ------------------------------------------------------------ one rule, one broken place


@dataclass(frozen=True)
class Expected:
    """The problem a change must give, read from a line such as
    ``unknown-node at edges row 5, column source, value 'gird'``.

    ``row`` is the spreadsheet row of the CSV form (the JSON position is ``row - 2``);
    ``row`` None is a problem about a whole column; ``value`` is a Python literal.
    """

    code: str
    table: str
    row: int | None
    column: str
    value: str | None

    _PATTERN = re.compile(
        r"(?P<code>\S+) at (?P<table>\w+)(?: row (?P<row>\d+))?,"
        r" column (?P<column>.+?), value (?P<value>.+)"
    )

    @classmethod
    def parse(cls, text: str) -> Expected:
        match = cls._PATTERN.fullmatch(text)
        assert match, f"cannot read expected problem {text!r}"
        row = match["row"]
        return cls(
            match["code"],
            match["table"],
            None if row is None else int(row),
            match["column"],
            ast.literal_eval(match["value"]),
        )


@dataclass(frozen=True)
class Case:
    """A change to the base graph, the problem it gives and words of its message.

    ``{first}`` in ``message`` stands for where the first of two duplicates is (``row 2``
    or ``nodes[0]``), given by ``first`` as a CSV row.
    """

    change: Change
    expected: Expected
    message: str
    first: int | None = None


def case(case_id, change, expected, message, *, first=None):
    """A test case for pytest.mark.parametrize."""
    return pytest.param(Case(change, Expected.parse(expected), message, first), id=case_id)


def check_problem(problems: list[Problem], form: Form, case: Case, severity: Severity) -> None:
    """The one problem of ``case.expected.code`` is where and what ``case`` says."""
    expected = case.expected
    problem = only(problems, expected.code)
    assert problem.severity is severity
    assert (problem.file, problem.table) == (form.file(expected.table), expected.table)
    row = None if expected.row is None else form.row(expected.row)
    assert (problem.row, problem.column, problem.value) == (row, expected.column, expected.value)
    message = case.message
    if case.first is not None:
        message = message.format(first=form.where(expected.table, case.first))
    assert message in problem.message


ERROR_CASES = [
    # identities
    case(
        "duplicate-node-id",
        add("nodes", "grid,energy,MJ,Grid again,,,published,grid"),
        "duplicate-id at nodes row 7, column id, value 'grid'",
        "duplicate node id: already in {first}",
        first=6,
    ),
    case(
        "duplicate-edge",
        add("edges", "mine_cd,cobalt,0.1,,,published,usgs"),
        "duplicate-edge at edges row 6, column source, target, value 'mine_cd -> cobalt'",
        "duplicate edge: already in {first}",
        first=2,
    ),
    case(
        "duplicate-impact",
        add("impacts", "grid,gwp,400,g CO2e/kWh,,published,grid"),
        "duplicate-impact at impacts row 7, column node, category, value 'grid -> gwp'",
        "duplicate impact: already in {first}",
        first=4,
    ),
    case(
        "duplicate-social",
        add("social", "mine_cd,child_labour,low,published,ngo"),
        "duplicate-social at social row 4, column node, indicator, value 'mine_cd -> child_labour'",
        "duplicate social risk: already in {first}",
        first=2,
    ),
    case(
        "duplicate-source",
        add("sources", "usgs,USGS again,2023,published"),
        "duplicate-source at sources row 6, column id, value 'usgs'",
        "duplicate source id: already in {first}",
        first=2,
    ),
    case(
        "duplicate-category",
        add("categories", "mercury,Mercury again,kg,environmental"),
        "duplicate-category at categories row 3, column id, value 'mercury'",
        "duplicate category id: already in {first}",
        first=2,
    ),
    # references to nodes
    case(
        "edge-unknown-source-node",
        replace("edges", "grid,battery,2.5", "gird,battery,2.5"),
        "unknown-node at edges row 5, column source, value 'gird'",
        "unknown node; did you mean 'grid'?",
    ),
    case(
        "edge-unknown-target-node",
        replace("edges", "cobalt,battery,8", "cobalt,batery,8"),
        "unknown-node at edges row 4, column target, value 'batery'",
        "unknown node; did you mean 'battery'?",
    ),
    case(
        "impact-unknown-node",
        replace("impacts", "grid,water", "grd,water"),
        "unknown-node at impacts row 5, column node, value 'grd'",
        "unknown node; did you mean 'grid'?",
    ),
    case(
        "social-unknown-node",
        replace("social", "mine_id,child_labour", "mine_idn,child_labour"),
        "unknown-node at social row 3, column node, value 'mine_idn'",
        "unknown node; did you mean 'mine_id'?",
    ),
    # unknown choices and names
    case(
        "unknown-kind",
        replace("nodes", "mine_cd,mine,", "mine_cd,mines,"),
        "unknown-kind at nodes row 2, column kind, value 'mines'",
        "unknown kind (expected one of: mine, material, component, device, service, energy)",
    ),
    case(
        "unknown-category",
        replace("impacts", "mine_id,gwp", "mine_id,gwpp"),
        "unknown-category at impacts row 3, column category, value 'gwpp'",
        "particulate-matter, photochemical-ozone, land-use-score, water-scarcity, mercury; add"
        " others in categories.csv); did you mean 'gwp'?",
    ),
    case(
        "unknown-transparency-edge",
        replace("edges", "0.26,,,published", "0.26,,,publised"),
        "unknown-transparency-level at edges row 3, column transparency, value 'publised'",
        "unknown transparency level (expected one of: disclosed, published, estimated, missing)",
    ),
    case(
        "unknown-transparency-source",
        replace("sources", "2022,estimated", "2022,guessed"),
        "unknown-transparency-level at sources row 5, column transparency, value 'guessed'",
        "unknown transparency level",
    ),
    case(
        "unknown-risk-level",
        replace("social", "high,published", "severe,published"),
        "unknown-risk-level at social row 2, column level, value 'severe'",
        "unknown risk level (expected one of: none, low, medium, high, very_high, unknown)",
    ),
    case(
        "unknown-indicator",
        replace("social", "mine_id,child_labour", "mine_id,child_labor"),
        "unknown-indicator at social row 3, column indicator, value 'child_labor'",
        "unknown indicator (known: child_labour, forced_labour, conflict, occupational_health,"
        " community_harm, land_rights; add others in categories.csv with group social); did you"
        " mean 'child_labour'?",
    ),
    case(
        "unknown-category-group",
        replace("categories", ",g,environmental", ",g,economic"),
        "unknown-value at categories row 2, column group, value 'economic'",
        "unknown value (expected one of: environmental, social)",
    ),
    # units
    case(
        "unknown-node-unit",
        replace("nodes", "battery,component,item", "battery,component,itm"),
        "unknown-unit at nodes row 5, column unit, value 'itm'",
        "unknown unit 'itm'; did you mean 'item'",
    ),
    case(
        "unknown-edge-unit",
        replace("edges", "8,g,", "8,grams,"),
        "unknown-unit at edges row 4, column unit, value 'grams'",
        "unknown unit 'grams'",
    ),
    case(
        "unknown-impact-unit",
        replace("impacts", "L/kWh", "litre/kWh"),
        "unknown-unit at impacts row 5, column unit, value 'litre/kWh'",
        "unknown unit 'litre/kWh'",
    ),
    case(
        "unknown-category-unit",
        replace("categories", ",g,environmental", ",grams,environmental"),
        "unknown-unit at categories row 2, column unit, value 'grams'",
        "unknown unit 'grams'",
    ),
    case(
        "edge-unit-vs-supplier-unit",
        replace("edges", "8,g,", "8,kWh,"),
        "incompatible-unit at edges row 4, column unit, value 'kWh'",
        "unit 'kWh' (energy) cannot be converted to 'kg' (mass); the edge is in kg per item",
    ),
    case(
        "edge-rate-denominator-vs-consumer-unit",
        replace("edges", "8,g,", "8,g/kWh,"),
        "incompatible-unit at edges row 4, column unit, value 'g/kWh'",
        "cannot be converted to 'item' (item); the edge is in kg per item",
    ),
    case(
        "impact-unit-vs-category-unit",
        replace("impacts", "mine_cd,gwp,8.3,,", "mine_cd,gwp,8.3,MJ,"),
        "incompatible-unit at impacts row 2, column unit, value 'MJ'",
        "unit 'MJ' (energy) cannot be converted to 'kg CO2e' (mass);"
        " the impact is in kg CO2e per kg",
    ),
    case(
        "impact-rate-denominator-vs-node-unit",
        replace("impacts", "L/kWh", "L/kg"),
        "incompatible-unit at impacts row 5, column unit, value 'L/kg'",
        "cannot be converted to 'kWh' (energy); the impact is in m3 per kWh",
    ),
    case(
        "impact-qualifier-mismatch",
        replace("impacts", "mine_id,gwp,11,,", "mine_id,gwp,11,kg Sb-eq,"),
        "incompatible-unit at impacts row 3, column unit, value 'kg Sb-eq'",
        "unit 'kg Sb-eq' counts 'sb-eq' but 'kg CO2e' counts 'co2e'",
    ),
    # numbers
    case(  # a credit is allowed (see test_credits.py), but not inside a loop
        "credit-in-loop",
        replace(
            "edges",
            "mine_id,cobalt,0.26,,,published,usgs",
            "mine_id,cobalt,0.26,,,published,usgs\ncobalt,mine_id,-0.1,,,published,usgs",
        ),
        "credit-in-loop at edges row 4, column amount, value '-0.1'",
        "a negative amount (a credit) inside a loop",
    ),
    case(
        "empty-amount",
        replace("edges", "grid,battery,2.5", "grid,battery,"),
        "empty-value at edges row 5, column amount, value ''",
        "empty: a number is required",
    ),
    case(
        "empty-value",
        replace("impacts", "grid,gwp,380", "grid,gwp,"),
        "empty-value at impacts row 4, column value, value ''",
        "empty: a number is required",
    ),
    case(
        "non-numeric-amount",
        replace("edges", "grid,battery,2.5", "grid,battery,about 2"),
        "not-a-number at edges row 5, column amount, value 'about 2'",
        "not a number",
    ),
    case(
        "decimal-comma-amount",
        replace("edges", "grid,battery,2.5", 'grid,battery,"2,5"'),
        "not-a-number at edges row 5, column amount, value '2,5'",
        "not a number (use a decimal point, no thousands separator)",
    ),
    case(
        "decimal-comma-value",
        replace("impacts", "mine_cd,gwp,8.3", 'mine_cd,gwp,"1,5"'),
        "not-a-number at impacts row 2, column value, value '1,5'",
        "not a number (use a decimal point, no thousands separator)",
    ),
    case(
        "nan-amount",
        replace("edges", "grid,battery,2.5", "grid,battery,NaN"),
        "nan-value at edges row 5, column amount, value 'NaN'",
        "NaN is not a number here",
    ),
    case(
        "nan-value",
        replace("impacts", "mine_cd,gwp,8.3", "mine_cd,gwp,nan"),
        "nan-value at impacts row 2, column value, value 'nan'",
        "NaN is not a number here",
    ),
    case(
        "inf-amount",
        replace("edges", "grid,battery,2.5", "grid,battery,inf"),
        "infinite-value at edges row 5, column amount, value 'inf'",
        "infinite: must be a finite number",
    ),
    case(
        "minus-infinity-amount",
        replace("edges", "grid,battery,2.5", "grid,battery,-Infinity"),
        "infinite-value at edges row 5, column amount, value '-Infinity'",
        "infinite: must be a finite number",
    ),
    case(
        "overflowing-value-1e999",
        replace("impacts", "mine_cd,gwp,8.3", "mine_cd,gwp,1e999"),
        "infinite-value at impacts row 2, column value, value '1e999'",
        "infinite: must be a finite number",
    ),
    case(
        "lat-above-90",
        replace("nodes", "-10.7,25.5", "91,25.5"),
        "out-of-range at nodes row 2, column lat, value '91'",
        "must be 90 or less",
    ),
    case(
        "lat-below-minus-90",
        replace("nodes", "-10.7,25.5", "-90.5,25.5"),
        "out-of-range at nodes row 2, column lat, value '-90.5'",
        "must be -90 or more",
    ),
    case(
        "lon-above-180",
        replace("nodes", "-2.5,121.4", "-2.5,181"),
        "out-of-range at nodes row 3, column lon, value '181'",
        "must be 180 or less",
    ),
    case(
        "lon-below-minus-180",
        replace("nodes", "-2.5,121.4", "-2.5,-180.5"),
        "out-of-range at nodes row 3, column lon, value '-180.5'",
        "must be -180 or more",
    ),
    case(
        "lat-not-a-number",
        replace("nodes", "-10.7,25.5", "north,25.5"),
        "not-a-number at nodes row 2, column lat, value 'north'",
        "not a number",
    ),
    case(
        "year-not-whole",
        replace("sources", "2021,", "2021.5,"),
        "not-an-integer at sources row 3, column year, value '2021.5'",
        "must be a whole number",
    ),
    case(
        "year-too-big-for-an-integer",
        replace("sources", "2021,", "1e30,"),
        "out-of-range at sources row 3, column year, value '1e30'",
        "must be 2200 or less",
    ),
    case(
        "year-too-small",
        replace("sources", "2021,", "999,"),
        "out-of-range at sources row 3, column year, value '999'",
        "must be 1000 or more",
    ),
    case(
        "year-not-a-number",
        replace("sources", "2021,", "last year,"),
        "not-a-number at sources row 3, column year, value 'last year'",
        "not a number",
    ),
    # required cells and formats
    case(
        "empty-kind",
        replace("nodes", "cobalt,material,kg", "cobalt,,kg"),
        "empty-value at nodes row 4, column kind, value ''",
        "empty: a kind is required (mine, material, component, device, service, energy)",
    ),
    case(
        "empty-node-unit",
        replace("nodes", "cobalt,material,kg", "cobalt,material,"),
        "empty-value at nodes row 4, column unit, value ''",
        "empty: a unit is required",
    ),
    case(
        "empty-risk-level",
        replace("social", "high,published", ",published"),
        "empty-value at social row 2, column level, value ''",
        "empty: a risk level is required",
    ),
    case(
        "empty-source-title",
        replace("sources", "ngo,NGO field report", "ngo,"),
        "empty-value at sources row 5, column title, value ''",
        "empty: title is required",
    ),
    case(
        "category-id-pattern",
        add("categories", "Toxic-Stuff,Toxic stuff,kg,environmental"),
        "bad-format at categories row 3, column id, value 'Toxic-Stuff'",
        "must match ^[a-z][a-z0-9_]*$",
    ),
    case(
        "builtin-category-redefined-with-another-unit",
        add("categories", "gwp,Global warming,MJ,environmental"),
        "builtin-category-unit at categories row 3, column unit, value 'MJ'",
        "a built-in category cannot change its unit; give the category another id",
    ),
    # uncertainty texts
    case(
        "uncertainty-unknown-distribution",
        replace("edges", "lognormal(gsd=1.5)", "gamma(k=2)"),
        "bad-uncertainty at edges row 5, column uncertainty, value 'gamma(k=2)'",
        "unknown distribution 'gamma' (known: lognormal, normal, uniform, range, triangular,"
        " choice)",
    ),
    case(
        "uncertainty-gsd-below-1",
        replace("edges", "lognormal(gsd=1.5)", "lognormal(gsd=0.5)"),
        "bad-uncertainty at edges row 5, column uncertainty, value 'lognormal(gsd=0.5)'",
        "gsd: Input should be greater than or equal to 1",
    ),
    case(
        "uncertainty-min-above-max",
        replace("edges", "range(6, 10)", "range(10, 6)"),
        "bad-uncertainty at edges row 4, column uncertainty, value 'range(10, 6)'",
        "min 10 is above max 6",
    ),
    case(
        "uncertainty-of-the-other-sign",
        replace("impacts", "mine_id,gwp,11,,", 'mine_id,gwp,11,,"range(-9, -2)"'),
        "uncertainty-sign at impacts row 3, column value, value '11'",
        "the figure and range(min=-9, max=-2) have opposite signs, so the draws would turn its"
        " sign around (a credit is a negative figure with negative bounds)",
    ),
    case(
        "uncertainty-junk",
        replace("edges", "lognormal(gsd=1.5)", "give or take"),
        "bad-uncertainty at edges row 5, column uncertainty, value 'give or take'",
        "'give or take' is not an uncertainty; write e.g. lognormal(gsd=1.5)",
    ),
    case(
        "impact-uncertainty-not-a-number",
        replace("impacts", "mine_id,gwp,11,,", "mine_id,gwp,11,,lognormal(gsd=wide)"),
        "bad-uncertainty at impacts row 3, column uncertainty, value 'lognormal(gsd=wide)'",
        "'wide' is not a number",
    ),
    # the shape of the graph
    case(
        "loop-that-needs-itself",
        add("edges", "battery,cobalt,200,,,estimated,lca"),  # 8 g x 200 cells per kg: 1.6
        "divergent-loop at edges row 4, column amount, value None",
        "of the loop cobalt, battery, which needs one unit or more of itself per unit"
        " (spectral radius 1.26491)",
    ),
    # bibliography
    case(
        "edge-cites-absent-source",
        replace("edges", "0.26,,,published,usgs", "0.26,,,published,usgss"),
        "unknown-source at edges row 3, column source_ref, value 'usgss'",
        "cites 'usgss', not in the bibliography (sources table); did you mean 'usgs'?",
    ),
    case(
        "edge-cites-two-sources-one-absent",
        replace("edges", "gsd=1.5),estimated,lca", "gsd=1.5),estimated,lca; ipcc"),
        "unknown-source at edges row 5, column source_ref, value 'lca; ipcc'",
        "cites 'ipcc', not in the bibliography (sources table)",
    ),
    case(
        "node-cites-absent-source",
        replace("nodes", "Grid electricity,,,published,grid", "Grid electricity,,,published,eia"),
        "unknown-source at nodes row 6, column source, value 'eia'",
        "cites 'eia', not in the bibliography (sources table)",
    ),
    case(
        "impact-cites-absent-source",
        replace("impacts", "mercury,0.2,,,estimated,ngo", "mercury,0.2,,,estimated,ngo2"),
        "unknown-source at impacts row 6, column source, value 'ngo2'",
        "cites 'ngo2', not in the bibliography (sources table); did you mean 'ngo'?",
    ),
    case(
        "amount-overflows-once-converted",
        replace("edges", "cobalt,battery,8,g", "cobalt,battery,1e306,t"),
        "out-of-range at edges row 4, column amount, value '1e306'",
        "beyond the range of floating-point numbers (about 1.8e308) once converted",
    ),
    case(
        "social-cites-absent-source",
        replace("social", "high,published,ngo", "high,published,amnesty"),
        "unknown-source at social row 2, column source, value 'amnesty'",
        "cites 'amnesty', not in the bibliography (sources table)",
    ),
]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_rule(form, tmp_path, case: Case):
    """One break gives one error naming file, row, column and value, and nothing unrelated."""
    problems = validate(form.write(tmp_path, case.change))
    check_problem(problems, form, case, Severity.ERROR)
    assert errors(problems, case.expected.code) == []


def test_unknown_node_without_close_match_has_no_hint(form, tmp_path):
    """The did-you-mean hint only appears when a node id is close."""
    path = form.write(tmp_path, replace("edges", "grid,battery,2.5", "wind_farm,battery,2.5"))
    problem = only(validate(path), "unknown-node")
    assert problem.message == "unknown node"
    assert problem.value == "wind_farm"


def test_two_absent_sources_are_both_named(form, tmp_path):
    """``a; b; c`` with two absent ids names both of them, in one problem."""
    path = form.write(
        tmp_path, replace("edges", "0.26,,,published,usgs", "0.26,,,published,x1; usgs; x2")
    )
    problem = only(validate(path), "unknown-source")
    assert problem.message.startswith("cites 'x1', 'x2', not in the bibliography")
    assert (problem.row, problem.value) == (form.row(3), "x1; usgs; x2")


def test_several_existing_sources_are_fine(form, tmp_path):
    """``lca; ngo`` with both ids in the bibliography is no problem."""
    path = form.write(tmp_path, replace("edges", "estimated,lca\ngrid", "estimated,lca; ngo\ngrid"))
    assert validate(path) == []


def test_builtin_category_redefined_with_its_own_unit_is_fine(form, tmp_path):
    path = form.write(tmp_path, add("categories", "gwp,Global warming,kg CO2e,environmental"))
    assert errors(validate(path)) == []


@pytest.mark.parametrize(
    "spelling, expected",
    [("Very High", "very_high"), ("very-high", "very_high"), (" HIGH ", "high")],
)
def test_risk_level_spelling_is_tolerated(form, tmp_path, spelling, expected):
    path = form.write(tmp_path, replace("social", "high,published", f"{spelling},published"))
    assert validate(path) == []
    assert load(path).social.loc[0, "level"] == expected


def test_indicator_spelling_is_tolerated_like_levels(form, tmp_path):
    path = form.write(tmp_path, replace("social", "mine_cd,child_labour", "mine_cd,Child Labour"))
    assert validate(path) == []
    assert load(path).social.loc[0, "indicator"] == "child_labour"


def test_rate_denominator_message_names_the_denominator(form, tmp_path):
    path = form.write(tmp_path, replace("impacts", "L/kWh", "L/kg"))
    message = only(validate(path), "incompatible-unit").message
    assert "'L/kg' (mass)" not in message
    assert "'kg' (mass) cannot be converted to 'kWh' (energy)" in message


def test_rate_as_node_unit_is_reported_on_the_node(form, tmp_path):
    path = form.write(tmp_path, replace("nodes", "grid,energy,kWh,", "grid,energy,kWh/h,"))
    problems = validate(path)
    node_problems = [p for p in errors(problems) if p.table == "nodes"]
    assert [(p.row, p.column, p.value) for p in node_problems] == [(form.row(6), "unit", "kWh/h")]
    assert [p for p in errors(problems) if p.table in ("edges", "impacts")] == []


# ----------------------------------------------------------------------- missing columns

REQUIRED_COLUMNS = [
    # table, column, errors that follow from it (nothing refers to rows without ids)
    ("nodes", "id", ("unknown-node",)),
    ("nodes", "kind", ()),
    ("nodes", "unit", ()),
    ("edges", "source", ()),
    ("edges", "target", ()),
    ("edges", "amount", ()),
    ("impacts", "node", ()),
    ("impacts", "category", ()),
    ("impacts", "value", ()),
    ("social", "node", ()),
    ("social", "indicator", ()),
    ("social", "level", ()),
    ("sources", "id", ("unknown-source",)),
    ("sources", "title", ()),
    ("categories", "id", ("unknown-category",)),
    ("categories", "name", ()),
    ("categories", "unit", ()),
]


@pytest.mark.parametrize(
    "table, column, follows", REQUIRED_COLUMNS, ids=[f"{t}.{c}" for t, c, _ in REQUIRED_COLUMNS]
)
def test_missing_required_column(form, tmp_path, table, column, follows):
    problems = validate(form.write(tmp_path, drop_column(table, column)))
    problem = only(problems, "missing-column")
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.table, problem.row) == (form.file(table), table, None)
    assert (problem.column, problem.value) == (column, None)
    assert problem.message.startswith(f"required column {column!r} is missing (columns present: ")
    assert errors(problems, "missing-column", *follows) == []


# ------------------------------------------------------------------------------ warnings


def both(*changes: Change) -> Change:
    """Several changes as one."""

    def change(tables: Tables) -> None:
        for each in changes:
            each(tables)

    return change


WARNING_CASES = [
    case(
        "mix-below-one",
        both(
            replace("edges", "mine_cd,cobalt,0.74", "mine_cd,cobalt,0.5"),
            replace("edges", "mine_id,cobalt,0.26", "mine_id,cobalt,0.3"),
        ),
        "mix-not-one at edges row 2, column amount, value None",
        "the 2 sourcing inputs of 'cobalt' add up to 0.8 kg per kg, not 1: if they are a sourcing"
        " mix, the rest has no origin",
    ),
    case(
        "mix-above-one",
        replace("edges", "mine_id,cobalt,0.26", "mine_id,cobalt,0.46"),
        "mix-not-one at edges row 2, column amount, value None",
        "add up to 1.2 kg per kg, not 1: if they are a sourcing mix, they count more than the"
        " whole",
    ),
    case(
        "node-without-impacts-or-inputs",
        add("nodes", "recycler,material,kg,Recycling plant,,,estimated,lca"),
        "node-without-data at nodes row 7, column id, value 'recycler'",
        "node has no direct impacts and no inputs: it adds nothing to any total",
    ),
    case(
        "unused-source",
        add("sources", "spare,An unused report,2020,published"),
        "unused-source at sources row 6, column id, value 'spare'",
        "source is never cited",
    ),
    case(
        "unknown-column",
        add_column("edges", "comment", "checked"),
        "unknown-column at edges, column comment, value None",
        "unknown column 'comment': kept as it is, not used (known columns: source, target,"
        " amount, unit, uncertainty, transparency, source_ref, note)",
    ),
    case(
        "transparency-without-source",
        replace("edges", "0.26,,,published,usgs", "0.26,,,published,"),
        "transparency-without-source at edges row 3, column transparency, value None",
        "1 row gives a transparency level but no source_ref: taken as missing",
    ),
    case(
        "source-without-transparency",
        replace("edges", "gsd=1.5),estimated,lca", "gsd=1.5),,lca"),
        "transparency-assumed at edges row 5, column transparency, value None",
        "1 row gives a source_ref but no transparency, and the bibliography gives no level for it:"
        " taken as estimated",
    ),
    case(
        "amount-outside-its-range",
        replace("edges", "cobalt,battery,8,", "cobalt,battery,12.5,"),
        "value-outside-uncertainty at edges row 4, column amount, value '12.5'",
        "the value 12.5 lies outside range(min=6, max=10)",
    ),
    case(
        "value-outside-its-range",
        replace("impacts", "mine_id,gwp,11,,", 'mine_id,gwp,11,,"range(min=2, max=9)"'),
        "value-outside-uncertainty at impacts row 3, column value, value '11'",
        "the value 11 lies outside range(min=2, max=9)",
    ),
]


@pytest.mark.parametrize("case", WARNING_CASES)
def test_warning_rule(form, tmp_path, case: Case):
    """A warning names its place, and the graph still loads (keeping the warning)."""
    path = form.write(tmp_path, case.change)
    problems = validate(path)
    check_problem(problems, form, case, Severity.WARNING)
    assert errors(problems) == []
    assert case.expected.code in [warning.code for warning in load(path).warnings]


def test_mix_adding_to_one_in_other_units_gives_no_warning(form, tmp_path):
    """500 g + 0.5 kg of cobalt ore per kg of cobalt is a complete mix."""
    path = form.write(
        tmp_path,
        replace("edges", "mine_cd,cobalt,0.74,,", "mine_cd,cobalt,500,g,"),
        replace("edges", "mine_id,cobalt,0.26", "mine_id,cobalt,0.5"),
    )
    assert validate(path) == []
    assert load(path).edges["converted_amount"].iloc[:2].tolist() == [0.5, 0.5]


def test_a_citation_of_only_separators_cites_nothing(form, tmp_path):
    # ";" was taken as a source: a published figure citing nothing stayed published
    path = form.write(tmp_path, replace("edges", "0.26,,,published,usgs", "0.26,,,published,;"))
    chain = load(path)
    assert chain.edges["transparency"].tolist()[1] == "missing"
    assert "transparency-without-source" in [w.code for w in chain.warnings]


def test_transparency_without_source_is_read_as_missing(form, tmp_path):
    path = form.write(tmp_path, replace("edges", "0.26,,,published,usgs", "0.26,,,published,"))
    edges = load(path).edges
    assert edges["transparency"].tolist() == ["published", "missing", "estimated", "estimated"]


def test_missing_without_source_gives_no_warning(form, tmp_path):
    """``missing`` without a source is what it says: nothing to warn about."""
    path = form.write(tmp_path, replace("edges", "0.26,,,published,usgs", "0.26,,,missing,"))
    assert validate(path) == []


def test_source_without_transparency_takes_the_bibliography_level(form, tmp_path):
    """The grid source is ``disclosed`` in sources.csv: a row citing it takes that level."""
    path = form.write(
        tmp_path, replace("impacts", "g CO2e/kWh,,published,grid", "g CO2e/kWh,,,grid")
    )
    assert validate(path) == []
    assert load(path).impacts.loc[2, "transparency"] == "disclosed"


def test_source_without_transparency_and_no_bibliography_level_is_estimated(form, tmp_path):
    path = form.write(tmp_path, replace("edges", "gsd=1.5),estimated,lca", "gsd=1.5),,lca"))
    assert load(path).edges.loc[3, "transparency"] == "estimated"


def test_no_transparency_and_no_source_is_missing_without_warning(form, tmp_path):
    """The base graph's second social row has neither: missing, silently."""
    chain = load(form.write(tmp_path))
    assert chain.social["transparency"].tolist() == ["published", "missing"]
    assert chain.warnings == ()


def test_unknown_column_is_kept_and_written_back(form, tmp_path):
    chain = load(form.write(tmp_path, add_column("edges", "comment", "checked")))
    assert chain.edges["comment"].tolist() == ["checked"] * 4
    out = tmp_path / "saved"
    save_csv(chain, out)
    with (out / "edges.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["comment"] for row in rows] == ["checked"] * 4
    assert only(validate(out), "unknown-column").column == "comment"


def test_unknown_csv_file_in_folder_is_a_warning(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "notes.csv").write_text("a,b\n1,2\n", "utf-8")
    problems = validate(folder)
    problem = only(problems, "unknown-file")
    assert problem.severity is Severity.WARNING
    assert (problem.file, problem.row, problem.column) == ("notes.csv", None, "")
    assert problem.message.startswith("not a table of a graph, ignored (tables: ")
    assert errors(problems) == []
    load(folder)


@pytest.mark.parametrize("table", ["edges", "impacts"])
def test_absent_edges_or_impacts_file_is_a_warning(tmp_path, table):
    folder = csv_folder(tmp_path)
    (folder / f"{table}.csv").unlink()
    problems = validate(folder)
    problem = only(problems, "no-table")
    assert problem.severity is Severity.WARNING
    assert (problem.file, problem.row, problem.column) == (f"{table}.csv", None, "")
    assert problem.message == f"no {table}.csv: the graph has no {table}"
    assert errors(problems) == []
    assert len(load(folder).table(table)) == 0


def test_absent_optional_tables_give_no_problem(tmp_path):
    """social.csv and categories.csv are optional; without them the graph is still clean."""
    folder = csv_folder(tmp_path, replace("impacts", "mine_cd,mercury,0.2,,,estimated,ngo\n", ""))
    (folder / "social.csv").unlink()
    (folder / "categories.csv").unlink()
    (folder / "sources.csv").write_text(
        BASE["sources"].replace("ngo,NGO field report,2022,estimated\n", "")
    )
    assert validate(folder) == []


# ---------------------------------------------------------------- files that cannot be read


def test_missing_nodes_file(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "nodes.csv").unlink()
    problem = only(validate(folder), "no-nodes")
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.row, problem.column) == ("nodes.csv", None, "")
    assert problem.message == f"no nodes.csv in {folder}: a graph needs one"


def test_json_without_nodes_key(tmp_path):
    path = write_files(tmp_path, {"graph.json": json.dumps({"edges": []})}) / "graph.json"
    problem = only(validate(path), "bad-json")
    assert (problem.file, problem.message) == ("graph.json", "required key 'nodes' is missing")


def test_empty_graph_csv(tmp_path):
    """A nodes.csv with only its header: no nodes is an error (absent tables are warnings)."""
    folder = write_files(tmp_path / "g", {"nodes.csv": "id,kind,unit\n"})
    problems = validate(folder)
    problem = only(problems, "empty-graph")
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.row) == ("nodes.csv", None)
    assert problem.message == "the graph has no nodes"
    assert errors(problems, "empty-graph") == []


def test_empty_graph_json(tmp_path):
    path = write_files(tmp_path, {"graph.json": '{"nodes": []}'}) / "graph.json"
    problems = validate(path)
    problem = only(problems, "empty-graph")
    assert (problem.file, problem.row) == ("graph.json", None)
    assert errors(problems, "empty-graph") == []


@pytest.mark.parametrize("table", ["nodes", "edges", "impacts", "sources"])
def test_zero_byte_file(tmp_path, table):
    folder = csv_folder(tmp_path)
    (folder / f"{table}.csv").write_bytes(b"")
    problems = validate(folder)
    problem = only(problems, "empty-file")
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.row, problem.column) == (f"{table}.csv", None, "")
    assert problem.message.startswith("empty file: expected a header row with the columns ")
    # what follows from the table being unreadable (e.g. citations of absent sources)
    assert errors(problems, "empty-file", "unknown-source") == []


def test_zero_byte_json_file(tmp_path):
    path = write_files(tmp_path, {"graph.json": b""}) / "graph.json"
    problem = only(validate(path), "bad-json")
    assert problem.message == "malformed JSON at line 1, column 1: Expecting value"


def test_non_utf8_csv_names_the_byte_and_row(tmp_path):
    """A latin-1 'é' in the name of the 4th node (spreadsheet row 5)."""
    folder = csv_folder(tmp_path)
    text = BASE["nodes"].replace("Battery cell", "Batterie \xe9lectrique")
    (folder / "nodes.csv").write_bytes(text.encode("latin-1"))
    problems = validate(folder)
    problem = only(problems, "not-utf8")
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.row, problem.column, problem.value) == ("nodes.csv", 5, "", None)
    assert problem.message.startswith("not UTF-8: byte 0xe9 at offset ")
    assert problem.message.endswith("save the file as UTF-8 (Excel: 'CSV UTF-8')")
    assert "('é' in Windows-1252, as Excel saves 'CSV')" in problem.message
    assert errors(problems) == [problem]


def test_non_utf8_json_is_reported(tmp_path):
    path = json_file(tmp_path)
    path.write_bytes(
        path.read_text("utf-8").replace("Battery cell", "Batterie \xe9").encode("latin-1")
    )
    problem = only(validate(path), "not-utf8")
    assert (problem.file, problem.column, problem.value) == ("graph.json", "", None)
    assert "byte 0xe9" in problem.message


def test_non_utf8_json_location_names_a_line(tmp_path):
    path = json_file(tmp_path)
    text = path.read_text("utf-8").replace("Battery cell", "Batterie \xe9")
    path.write_bytes(text.encode("latin-1"))
    line = text[: text.index("\xe9")].count("\n") + 1
    described = only(validate(path), "not-utf8").describe()
    assert f"[{line}]" not in described
    assert f"line {line}" in described


@pytest.mark.parametrize(
    "content",
    [b"id,kind,unit\nore\x00,mine,kg\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"],
    ids=["nul-byte-in-text", "binary-garbage"],
)
def test_nul_bytes_mean_not_a_text_file(tmp_path, content):
    folder = csv_folder(tmp_path)
    (folder / "nodes.csv").write_bytes(content)
    problems = validate(folder)
    problem = only(problems, "not-text")
    assert (problem.file, problem.row, problem.severity) == ("nodes.csv", None, Severity.ERROR)
    assert problem.message == "contains NUL bytes: not a text file"


def test_nul_bytes_in_json(tmp_path):
    path = write_files(tmp_path, {"graph.json": b'{"nodes": [\x00]}'}) / "graph.json"
    assert only(validate(path), "not-text").file == "graph.json"


def test_binary_garbage_without_nul_is_not_utf8(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "edges.csv").write_bytes(b"source,target,amount\n" + bytes(range(0x80, 0x100)))
    problem = only(validate(folder), "not-utf8")
    assert (problem.file, problem.row) == ("edges.csv", 2)
    assert problem.message.startswith("not UTF-8: byte 0x80 at offset 21")


def test_unreadable_edges_file_gives_no_false_node_warnings(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "edges.csv").write_bytes(b"\x00")
    assert [p.code for p in validate(folder)] == ["not-text"]


def test_every_row_with_too_many_cells_is_reported(tmp_path):
    """Unquoted commas in two rows: both are named, not only the first."""
    folder = csv_folder(
        tmp_path,
        replace("edges", '"range(6, 10)"', "range(6, 10)"),
        replace("edges", "grid,battery,2.5", "grid,battery,2,5"),
    )
    problems = validate(folder)
    ragged = [p for p in problems if p.code == "bad-csv"]
    assert [(p.file, p.row) for p in ragged] == [("edges.csv", 4), ("edges.csv", 5)]
    assert all(p.severity is Severity.ERROR for p in ragged)
    assert ragged[0].message == (
        "row has 8 cells but the header has 7 (quote cells that contain commas)"
    )
    assert errors(problems, "bad-csv") == []


def test_rows_count_records_not_lines(tmp_path):
    """A quoted cell over two lines is one spreadsheet row: the next record is row 4."""
    folder = csv_folder(
        tmp_path,
        replace("nodes", "Cobalt mine (Indonesia)", '"Cobalt mine\n(Indonesia)"'),
        replace("nodes", "cobalt,material,", "cobalt,materal,"),
    )
    problem = only(validate(folder), "unknown-kind")
    assert (problem.row, problem.value) == (4, "materal")


def test_ragged_row_after_multiline_cell_names_the_spreadsheet_row(tmp_path):
    folder = csv_folder(
        tmp_path,
        replace("nodes", "Cobalt mine (Indonesia)", '"Cobalt mine\n(Indonesia)"'),
        replace("nodes", "Cobalt refinery,,,published,usgs", "Cobalt refinery,,,published,usgs,x"),
    )
    assert [(p.code, p.row) for p in errors(validate(folder))] == [("bad-csv", 4)]


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    folder = csv_folder(
        tmp_path,
        replace("edges", "usgs\nmine_id", "usgs\n\n\nmine_id"),
        replace("edges", "mine_id,cobalt,0.26", "mine_id,cobalt,lots"),
    )
    assert only(validate(folder), "not-a-number").row == 5


def test_bom_and_crlf_load_fine(tmp_path):
    """Every file with a UTF-8 byte order mark and CRLF line ends: no problem at all."""
    files = {f"{t}.csv": "\ufeff" + text.replace("\n", "\r\n") for t, text in BASE.items()}
    folder = write_files(tmp_path / "g", files)
    assert validate(folder) == []
    chain = load(folder)
    assert chain.nodes["id"].tolist() == ["mine_cd", "mine_id", "cobalt", "battery", "grid"]
    assert chain.sources["title"].iloc[-1] == "NGO field report"


def test_bom_in_json_loads_fine(tmp_path):
    path = json_file(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert validate(path) == []


def test_column_names_ignore_case_and_spaces(tmp_path):
    folder = csv_folder(tmp_path, replace("nodes", "id,kind,unit,", "ID, Kind ,UNIT,"))
    assert validate(folder) == []


def test_trailing_comma_in_header_is_ignored(tmp_path):
    folder = csv_folder(tmp_path, replace("edges", "source_ref\n", "source_ref,\n"))
    assert validate(folder) == []


# ------------------------------------------------------------------------ JSON-only rules


def json_text_file(tmp_path: Path, text: str) -> Path:
    return write_files(tmp_path, {"graph.json": text}) / "graph.json"


def test_malformed_json_gives_line_and_column(tmp_path):
    path = json_text_file(tmp_path, '{"nodes": [\n  {"id": "ore", "kind": "mine",}\n]}')
    problem = only(validate(path), "bad-json")
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.row) == ("graph.json", None)
    assert problem.message == (
        "malformed JSON at line 2, column 32: Expecting property name enclosed in double quotes"
    )


@pytest.mark.parametrize("text", ["[1, 2]", '"a graph"', "42", "null"])
def test_json_that_is_not_an_object(tmp_path, text):
    problem = only(validate(json_text_file(tmp_path, text)), "bad-json")
    assert problem.file == "graph.json"
    assert problem.message == "expected a JSON object with the keys nodes, edges, impacts, ..."


def test_json_unknown_top_level_key(tmp_path):
    document = json_document(BASE) | {"edgez": []}
    problem = only(validate(json_text_file(tmp_path, json.dumps(document))), "bad-json")
    assert (problem.file, problem.row, problem.column) == ("graph.json", None, "")
    assert problem.message == (
        "unknown key 'edgez' (expected: format, version, name, nodes, edges, impacts, social,"
        " sources, categories)"
    )


@pytest.mark.parametrize(
    "key, value",
    [("version", 2), ("nodes", {}), ("edges", "none")],
    ids=["version", "nodes", "edges"],
)
def test_json_top_level_key_of_wrong_type_is_named(tmp_path, key, value):
    document = json_document(BASE) | {key: value}
    problem = only(validate(json_text_file(tmp_path, json.dumps(document))), "bad-json")
    assert repr(key) in problem.describe()


@pytest.mark.parametrize("cell", [[1, 2], {"value": 2.5}], ids=["list", "object"])
def test_json_cell_that_is_a_list_or_object(tmp_path, cell):
    document = json_document(BASE)
    document["edges"][3]["amount"] = cell
    problem = only(validate(json_text_file(tmp_path, json.dumps(document))), "bad-json")
    assert (problem.file, problem.table) == ("graph.json", "edges")
    assert (problem.row, problem.column) == (3, "amount")
    assert problem.value == json.dumps(cell)
    assert problem.message == "expected text or a number, not a list or an object"
    assert problem.describe().startswith("graph.json, edges[3], column amount, value ")


def test_json_record_that_is_not_an_object(tmp_path):
    document = json_document(BASE)
    document["edges"].append(5)
    problem = only(validate(json_text_file(tmp_path, json.dumps(document))), "bad-json")
    assert (problem.table, problem.row) == ("edges", 4)


@pytest.mark.parametrize(
    "literal, code, value",
    [
        ("NaN", "nan-value", "nan"),
        ("Infinity", "infinite-value", "inf"),
        ("-Infinity", "infinite-value", "-inf"),
        ("1e999", "infinite-value", "inf"),
    ],
)
def test_json_non_finite_literals(tmp_path, literal, code, value):
    """Python's json reads these as floats; they must not pass as numbers."""
    text = json.dumps(json_document(BASE)).replace('"amount": 2.5', f'"amount": {literal}')
    problems = validate(json_text_file(tmp_path, text))
    problem = only(problems, code)
    assert (problem.table, problem.row, problem.column) == ("edges", 3, "amount")
    assert problem.value == value
    assert errors(problems, code) == []


def test_json_numbers_and_text_numbers_both_work(tmp_path):
    document = json_document(BASE)
    document["edges"][3]["amount"] = "2.5"
    document["impacts"][0]["value"] = 8.3
    chain = load(json_text_file(tmp_path, json.dumps(document)))
    assert chain.edges.loc[3, "converted_amount"] == 2.5
    assert chain.impacts.loc[0, "converted_value"] == 8.3


# ----------------------------------------------------------------- whole-graph behaviour


def test_all_errors_at_once(form, tmp_path):
    """Errors in three files are reported together, in one call."""
    path = form.write(
        tmp_path,
        replace("nodes", "mine_cd,mine,", "mine_cd,mines,"),
        replace("edges", "cobalt,battery,8", "cobalt,batery,8"),
        replace("impacts", "mine_cd,gwp,8.3", 'mine_cd,gwp,"8,3"'),
    )
    found = {(p.code, p.table, p.row) for p in errors(validate(path))}
    assert found == {
        ("unknown-kind", "nodes", form.row(2)),
        ("unknown-node", "edges", form.row(4)),
        ("not-a-number", "impacts", form.row(2)),
    }


def test_all_errors_at_once_including_an_unreadable_file(tmp_path):
    folder = csv_folder(
        tmp_path,
        replace("nodes", "mine_cd,mine,", "mine_cd,mines,"),
        replace("impacts", "mine_cd,gwp,8.3", "mine_cd,gwp,"),
    )
    (folder / "social.csv").write_bytes(BASE["social"].replace("high", "h\xf6ch").encode("latin-1"))
    found = {(p.code, p.file, p.row) for p in errors(validate(folder))}
    assert found == {
        ("unknown-kind", "nodes.csv", 2),
        ("empty-value", "impacts.csv", 2),
        ("not-utf8", "social.csv", 2),
    }


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_validate_never_writes_to_the_input(tmp_path, capsys):
    folder = csv_folder(
        tmp_path,
        replace("nodes", "mine_cd,mine,", "mine_cd,mines,"),
        add_column("edges", "comment", "checked"),
        replace("edges", "gsd=1.5),estimated,lca", "gsd=1.5),,lca"),
    )
    (folder / "notes.csv").write_text("x\n1\n")
    before = snapshot(folder)
    validate(folder)
    assert main(["validate", str(folder)]) == 1
    assert snapshot(folder) == before


def test_validate_never_writes_to_a_json_input(tmp_path, capsys):
    path = json_file(tmp_path, replace("edges", "grid,battery,2.5", "grid,battery,"))
    before = snapshot(tmp_path)
    validate(path)
    assert main(["validate", str(path)]) == 1
    assert snapshot(tmp_path) == before


def test_validate_nonexistent_path_raises(tmp_path):
    with pytest.raises(GraphNotFoundError, match="no such file or folder"):
        validate(tmp_path / "no-such-graph")


def test_validate_csv_file_instead_of_folder_raises(tmp_path):
    folder = csv_folder(tmp_path)
    with pytest.raises(GraphNotFoundError, match="give the folder"):
        validate(folder / "nodes.csv")


# ---------------------------------------------------------------------- through the CLI


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


CASES_BY_ID = {param.id: param.values[0] for param in ERROR_CASES}
CLI_CASES = [
    "edge-unknown-source-node",
    "unknown-kind",
    "decimal-comma-value",
    "edge-unit-vs-supplier-unit",
    "credit-in-loop",
    "uncertainty-min-above-max",
    "duplicate-node-id",
]


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_cli_names_file_row_column_and_value(form, tmp_path, capsys, case_id):
    case = CASES_BY_ID[case_id]
    expected = case.expected
    code, out, _ = run_cli(capsys, str(form.write(tmp_path, case.change)))
    assert code == 1
    where = form.where(expected.table, expected.row)
    location = f"{form.file(expected.table)}, {where}, column {expected.column}"
    line = next(line for line in out.splitlines() if location in line)
    assert line.startswith("ERROR ")
    assert f"value {expected.value!r}" in line
    assert "invalid: " in out


def test_cli_fractional_year_is_reported_not_raised(tmp_path, capsys):
    folder = csv_folder(tmp_path, replace("sources", "2021,", "2021.5,"))
    code, out, _ = run_cli(capsys, str(folder))
    assert code == 1
    assert "sources.csv, row 3, column year, value '2021.5'" in out


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"source,target,amount\n\xff\xfe\n", "edges.csv, row 2: not UTF-8: byte 0xff"),
        (b"\x00\x01", "edges.csv: contains NUL bytes"),
        (b"", "edges.csv: empty file"),
        (
            b"source,target,amount\ngrid,battery,2,5\n",
            "edges.csv, row 2: row has 4 cells but the header has 3",
        ),
    ],
    ids=["not-utf8", "nul", "empty", "too-many-cells"],
)
def test_cli_reports_unreadable_files(tmp_path, capsys, content, expected):
    folder = csv_folder(tmp_path)
    (folder / "edges.csv").write_bytes(content)
    code, out, _ = run_cli(capsys, str(folder))
    assert code == 1
    assert expected in out


def test_cli_malformed_json(tmp_path, capsys):
    code, out, _ = run_cli(capsys, str(json_text_file(tmp_path, '{"nodes": [}')))
    assert code == 1
    assert "graph.json: malformed JSON at line 1, column 12" in out


def test_cli_warnings_only_exits_zero(form, tmp_path, capsys):
    path = form.write(tmp_path, add("sources", "spare,An unused report,2020,published"))
    code, out, _ = run_cli(capsys, str(path))
    assert code == 0
    assert (
        f"warning {form.file('sources')}, {form.where('sources', 6)}, column id, value 'spare'"
        in out
    )
    assert "valid: 0 errors, 1 warning" in out


def test_cli_nonexistent_path(tmp_path, capsys):
    code, out, err = run_cli(capsys, str(tmp_path / "no-such-graph"))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"supplychain: {tmp_path / 'no-such-graph'}: no such file or folder")


def test_a_bill_of_materials_is_no_sourcing_mix():
    """Metals in a board and parts in a device need not add up to one unit per unit."""
    chain = from_tables(
        nodes=[
            {"id": "copper", "kind": "material", "unit": "kg"},
            {"id": "tin", "kind": "material", "unit": "kg"},
            {"id": "board", "kind": "component", "unit": "kg"},
            {"id": "fan", "kind": "component", "unit": "kg"},
            {"id": "server", "kind": "device", "unit": "kg"},
        ],
        edges=[
            {"source": "copper", "target": "board", "amount": 0.2},
            {"source": "tin", "target": "board", "amount": 0.04},
            {"source": "board", "target": "server", "amount": 3},
            {"source": "fan", "target": "server", "amount": 2},
        ],
        impacts=[{"node": n, "category": "gwp", "value": 1} for n in ("copper", "tin", "fan")],
    )
    assert [w.code for w in chain.warnings] == []


def test_a_mix_of_a_mine_and_an_unknown_origin_is_one_mix():
    """A disclosed mine and the unknown-origin material share out one metal: one mix (it
    was two, one of each kind, and their 0.4 + 0.5 passed silently)."""
    nodes = [
        {"id": "mine", "kind": "mine", "unit": "kg"},
        {"id": "unknown", "kind": "material", "unit": "kg"},
        {"id": "tantalum", "kind": "material", "unit": "kg"},
    ]
    impacts = [{"node": "mine", "category": "gwp", "value": 1}]
    edges = [
        {"source": "mine", "target": "tantalum", "amount": 0.4},
        {"source": "unknown", "target": "tantalum", "amount": 0.5},
    ]

    def mixes():
        found = from_tables(nodes=nodes, edges=edges, impacts=impacts).warnings
        return [warning for warning in found if warning.code == "mix-not-one"]

    (warning,) = mixes()
    assert "the 2 sourcing inputs of 'tantalum' add up to 0.9 kg per kg" in warning.message
    edges[1]["amount"] = 0.6
    assert mixes() == []
