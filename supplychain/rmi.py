"""RMI reporting templates (CMRT, EMRT) read into graph rows: the smelters a supplier declares.

The Responsible Minerals Initiative's Conflict Minerals Reporting Template (CMRT: tin,
tantalum, tungsten, gold) and Extended Minerals Reporting Template (EMRT: cobalt, mica and,
from 2.0, copper, graphite, lithium, nickel) are Excel workbooks that suppliers fill in.
:func:`read_template` reads the ``Smelter List`` sheet of the versions in
:data:`TEMPLATE_VERSIONS` by the position of its columns, which every version and language
shares (header in row 4, smelters from row 5; the labels are translated, the helper
columns ``Standard Smelter Name`` and ``Country Code`` are not and mark the layout):

====  ==========================================  ====  ===========================================
col   what                                        col   what
====  ==========================================  ====  ===========================================
B     metal                                       G     source of the smelter id (RMI, ...)
C     smelter look-up (a listed name, or "Smelter  I, J  city, state or province
      not listed" / "not yet identified")         O     countries of the mines (or "recycled",
D     smelter name                                      "scrap")
E     smelter country                             P     100 % recycled or scrap feed? (Yes / No)
F     smelter identification (an RMI id: CID and
      six digits)
====  ==========================================  ====  ===========================================

A country is read by the template's own country list (sheet ``C``: ISO alpha-2 code and
name) and coded by alpha-3 (``data/iso3166.csv``). The template carries no quantities and
no RMAP conformance status (RMI publishes that list on its own), so :func:`smelter_tables`
gives every smelter of a metal an equal share of it, and every declared mine country an
equal share of the smelter's feed, all marked ``missing``: the audit ranks them as the
gaps they are. A smelter gets inputs, so it carries impacts, mined mass and conflict scope:
the declared countries' mines, or the world production prior (the metal's unknown origin)
where it declares none; a recycled or scrap feed is mined nowhere and has no figure.

Examples
--------
>>> sorted(TEMPLATE_VERSIONS)
['CMRT', 'EMRT']
>>> is_smelter_id("CID000211"), is_smelter_id("CID-211")
(True, False)
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from supplychain.citations import split_ids
from supplychain.errors import InvalidDataError
from supplychain.files import read_regular_file
from supplychain.io import graph_tables
from supplychain.mixes import conflict_scope, mine_layer, mine_node_id
from supplychain.model import SupplyChain
from supplychain.problems import Problem, Severity
from supplychain.reference import read_table

__all__ = [
    "TEMPLATE_VERSIONS",
    "TEMPLATE_METALS",
    "Template",
    "read_template",
    "smelter_tables",
    "is_smelter_id",
    "smelter_summary",
]

TEMPLATE_VERSIONS = {
    "CMRT": ("6.01", "6.1", "6.22", "6.31", "6.4", "6.5"),
    "EMRT": ("1.1", "1.11", "1.2", "1.3", "2.0", "2.1"),
}
"""The template versions whose Smelter List layout is read (checked on RMI's files)."""

TEMPLATE_METALS = {
    "CMRT": ("tantalum", "tin", "tungsten", "gold"),
    "EMRT": ("cobalt", "mica", "copper", "graphite", "lithium", "nickel"),
}
"""The metals each template reports, as the graphs' material ids."""

SHEET = "Smelter List"
_HEADER_ROW, _FIRST_ROW = 4, 5
_COLUMNS = {  # 0-based position: (column letter, what it holds)
    "metal": (1, "B", "Metal"),
    "lookup": (2, "C", "Smelter Look-up"),
    "name": (3, "D", "Smelter Name"),
    "country": (4, "E", "Smelter Country"),
    "facility_id": (5, "F", "Smelter Identification"),
    "id_source": (6, "G", "Source of Smelter Identification Number"),
    "city": (8, "I", "Smelter City"),
    "province": (9, "J", "Smelter State / Province"),
    "mines": (13, "N", "Name of Mine(s)"),
    "mine_countries": (14, "O", "Location (Country) of Mine(s)"),
    "recycled": (15, "P", "100% recycled or scrap"),
    "comments": (16, "Q", "Comments"),
}
_SIGNATURE = {17: "Standard Smelter Name", 18: "Country Code"}
_CID = re.compile(r"CID\d{6}")
_RECYCLED = {"recycled", "scrap", "recycled or scrap", "recycled/scrap"}
_UNKNOWN = {"unknown", ""}


def is_smelter_id(text: str) -> bool:
    """Whether ``text`` is of the form of an RMI smelter id: ``CID`` and six digits."""
    return bool(_CID.fullmatch(text.strip()))


@dataclass(frozen=True)
class Template:
    """A reporting template as read: ``kind`` (``CMRT``/``EMRT``), ``version``, the file
    name, and ``smelters``: one row per smelter (``row`` of the sheet, ``metal``,
    ``name``, ``country`` (alpha-3, ``""`` unknown), ``country_as_written``,
    ``facility_id``, ``id_source``, ``location``, ``mine_countries`` (alpha-3 codes joined
    by ``;``), ``recycled`` (bool), ``mines`` and ``comments`` as written, ``identified``
    (false for a "Smelter not yet identified" row: a node of its own, ``missing``))."""

    kind: str
    version: str
    file: str
    smelters: pd.DataFrame


class _Found:
    def __init__(self, file: str):
        self.file, self.problems = file, []

    def add(self, message: str, sheet: str = "", row=None, column: str = "", value=None):
        shown = None if value is None else str(value)
        self.problems.append(
            Problem(Severity.ERROR, "bad-template", message, self.file, sheet, row, column, shown)
        )


def _text(value: object) -> str:
    return "" if value is None else str(value).replace("_x000D_", "").strip()


def read_template(path: str | Path) -> Template:
    """The smelters of the RMI template at ``path`` (see the module docstring).

    Raises
    ------
    InvalidDataError
        With every problem at once, named by sheet, row and column: not a workbook, no
        Smelter List sheet, not the RMI layout, an unknown template version, no smelter
        listed, a metal the template does not report, a smelter without a name or a
        country, a smelter id not of the RMI's form, a country the template's list does
        not name.
    """
    from openpyxl import load_workbook  # noqa: PLC0415

    path = Path(path)
    found = _Found(path.name)
    try:
        book = load_workbook(io.BytesIO(read_regular_file(path)), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        found.add(f"not an Excel workbook (.xlsx) that can be read: {error}")
        raise InvalidDataError(found.problems) from None
    if SHEET not in book.sheetnames:
        found.add(
            f"no sheet {SHEET!r}: not an RMI reporting template"
            f" (sheets: {', '.join(book.sheetnames)})"
        )
        raise InvalidDataError(found.problems)
    rows = [list(r) for r in book[SHEET].iter_rows(values_only=True)]
    kind, version = _kind_and_version(book, rows, found)
    header = rows[_HEADER_ROW - 1] if len(rows) >= _HEADER_ROW else []
    for position, label in _SIGNATURE.items():
        cell = _text(header[position]) if position < len(header) else ""
        if cell != label:
            letter = chr(ord("A") + position)
            found.add(
                f"not the Smelter List layout of an RMI template: expected {label!r} in the header",
                SHEET,
                _HEADER_ROW,
                letter,
                cell,
            )
    if found.problems:
        raise InvalidDataError(found.problems)
    names = _country_names(book)
    smelters = []
    metals = TEMPLATE_METALS[kind]
    for number, row in enumerate(rows[_FIRST_ROW - 1 :], start=_FIRST_ROW):
        cell = {key: _text(row[p]) if p < len(row) else "" for key, (p, _, _) in _COLUMNS.items()}
        if not cell["metal"]:
            continue
        metal = cell["metal"].lower()
        if metal not in metals:
            found.add(
                f"not a metal the {kind} reports ({', '.join(metals)})",
                SHEET,
                number,
                "B (Metal)",
                cell["metal"],
            )
            continue
        name = cell["name"] or cell["lookup"]
        identified = name.lower() not in ("smelter not yet identified", "unknown")
        if not identified:  # one node per row: two unidentified smelters are not one
            name = f"Smelter not yet identified (row {number})"
        if not name or name.lower() in ("smelter not listed",):
            found.add("a smelter without a name", SHEET, number, "D (Smelter Name)", cell["name"])
            continue
        country = _country(cell["country"], names)
        if country is None:
            found.add(
                "a country the template's country list does not name",
                SHEET,
                number,
                "E (Smelter Country)",
                cell["country"],
            )
            continue
        if cell["facility_id"] and not is_smelter_id(cell["facility_id"]):
            found.add(
                "not an RMI smelter id: CID and six digits, e.g. CID000211",
                SHEET,
                number,
                "F (Smelter Identification)",
                cell["facility_id"],
            )
            continue
        recycled = cell["recycled"].lower() in ("yes", "y", "true") or (
            cell["mine_countries"].lower() in _RECYCLED
        )
        mine_countries = []
        if not recycled:
            mine_countries, bad = _countries_of(cell["mine_countries"], names)
            if bad:
                found.add(
                    f"a mine country the template's country list does not name: {bad!r}",
                    SHEET,
                    number,
                    "O (Location (Country) of Mine(s))",
                    cell["mine_countries"],
                )
                continue
        smelters.append(
            {
                "row": number,
                "metal": metal,
                "name": name,
                "country": country,
                "country_as_written": cell["country"],
                "facility_id": cell["facility_id"],
                "id_source": cell["id_source"],
                "location": ", ".join(c for c in (cell["city"], cell["province"]) if c),
                "mine_countries": ";".join(mine_countries),
                "recycled": recycled,
                "mines": cell["mines"],
                "comments": cell["comments"],
                "identified": identified,
            }
        )
    if found.problems:
        raise InvalidDataError(found.problems)
    if not smelters:
        found.add("the Smelter List names no smelter (no row from row 5 has a metal)", SHEET)
        raise InvalidDataError(found.problems)
    return Template(kind, version, path.name, pd.DataFrame(smelters))


def _kind_and_version(book, rows, found) -> tuple[str, str]:
    """``CMRT``/``EMRT`` and the version, from the revision text of the Smelter List's
    third row and the Declaration's title."""
    texts = [_text(c) for row in rows[:3] for c in row]
    revision = next((t for t in texts if re.match(r"(Revision|Version)\s+\d", t)), "")
    version = re.match(r"(?:Revision|Version)\s+([\d.]+)", revision)
    title = ""
    for sheet in ("Declaration", "Revision"):
        if sheet in book.sheetnames:
            cells = [
                _text(c) for r in book[sheet].iter_rows(max_row=4, values_only=True) for c in r
            ]
            title += " ".join(cells)
    kind = (
        "CMRT"
        if "CMRT" in title or "Conflict Minerals" in title
        else "EMRT"
        if "EMRT" in title or "Extended Minerals" in title
        else ""
    )
    if not kind:
        found.add(
            "neither a CMRT nor an EMRT: the Declaration sheet names no template", "Declaration"
        )
        return "CMRT", ""
    if version is None:
        found.add("no template version (expected 'Revision 6.5' or 'Version 1.3')", SHEET, 3)
        return kind, ""
    number = version.group(1).rstrip(".")
    if number not in TEMPLATE_VERSIONS[kind]:
        found.add(
            f"{kind} version {number} is not one whose layout is known"
            f" ({', '.join(TEMPLATE_VERSIONS[kind])})",
            SHEET,
            3,
            "",
            revision.splitlines()[0],
        )
    return kind, number


def _country_names(book) -> dict[str, str]:
    """Country name (upper case) to alpha-3: the template's own list (sheet ``C``), then
    every ISO 3166-1 short name and code."""
    iso = read_table("iso3166")
    alpha3 = dict(zip(iso["alpha2"], iso["alpha3"], strict=True))
    names = {name.upper(): code for name, code in zip(iso["name"], iso["alpha3"], strict=True)}
    names |= {code: code for code in iso["alpha3"]}
    if "C" in book.sheetnames:
        for row in book["C"].iter_rows(min_row=2, values_only=True):
            code, name = (_text(c) for c in (list(row) + [None, None])[:2])
            if code in alpha3 and name:
                names[name.upper()] = alpha3[code]
    return names


def _country(text: str, names: dict[str, str]) -> str | None:
    """Alpha-3 of a country as written, ``""`` for unknown, None if no such name."""
    if text.lower() in _UNKNOWN:
        return ""
    return names.get(text.upper())


def _countries_of(text: str, names: dict[str, str]) -> tuple[list[str], str]:
    """The countries of a cell that may list several (``;``, new lines, or commas, where a
    name such as 'KOREA, REPUBLIC OF' has its own comma): codes, and the first part that
    names none ('' if all do)."""
    codes: list[str] = []
    for part in (p.strip() for p in re.split(r"[;\n/]+", text) if p.strip()):
        if part.lower() in _UNKNOWN:
            continue
        pieces, start = [p.strip() for p in part.split(",")], 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):  # the longest name first
                code = names.get(", ".join(pieces[start:end]).upper())
                if code:
                    codes.append(code)
                    start = end
                    break
            else:
                return codes, pieces[start]
    return list(dict.fromkeys(codes)), ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "unnamed"


def smelter_tables(
    template: Template,
    chain: SupplyChain | None = None,
    component: str | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Graph tables of the smelters of ``template``; with ``chain`` and ``component``,
    the whole graph with them merged into the component's supply of each metal; and notes
    for the person (a metal the component does not take ...).

    Merged, the component's input of a metal (the edge from the node of that id, e.g.
    ``tin``) comes through a new node ``<metal>-for-<component>``, whose mix is the
    template's smelters in equal shares; the rest of the graph keeps its own supply. Mines
    and unknown-origin nodes the graph has are reused, others come from ``data/``.

    Raises
    ------
    InvalidDataError
        If ``component`` is not in the graph, or takes none of the template's metals.
    """
    source_id = f"rmi-{template.kind.lower()}-{_slug(Path(template.file).stem)}"
    base = graph_tables(chain) if chain is not None else {}
    tables = {name: [frame] for name, frame in base.items()}
    for name in ("nodes", "edges", "impacts", "social", "sources"):
        tables.setdefault(name, [])
    have = set(base["nodes"]["id"]) if base else set()
    notes: list[str] = []
    metals = list(dict.fromkeys(template.smelters["metal"]))
    targets: dict[str, str] = {}
    if chain is not None:
        if component is None or component not in have:
            raise InvalidDataError([_problem(template, f"no node {component!r} in the graph")])
        edges = base["edges"]
        for metal in metals:
            into = edges.index[(edges["source"] == metal) & (edges["target"] == component)]
            if len(into) == 0:
                notes.append(
                    f"{component} takes no {metal} in the graph: the template's {metal}"
                    " smelters are left out"
                )
                continue
            mix = f"{metal}-for-{component}"
            edges.loc[into, "source"] = mix
            edges.loc[into, "note"] = (
                edges.loc[into, "note"].astype(str)
                + f" Through the smelters of {template.kind} {template.file}."
            )
            targets[metal] = mix
        if not targets:
            raise InvalidDataError(
                [_problem(template, f"{component} takes none of {', '.join(metals)}")]
            )
    else:
        targets = {metal: metal for metal in metals}
    new_nodes, new_edges, new_impacts = [], [], []
    layer = mine_layer(list(targets), allow_no_prior=True)
    layer_nodes = layer["nodes"].set_index("id")

    def borrow(node: str) -> None:
        """A mine or unknown-origin node of ``data/`` with its rows, unless the graph has it."""
        if node in have or node not in layer_nodes.index:
            return
        have.add(node)
        new_nodes.append(layer_nodes.loc[node].to_dict() | {"id": node})
        for name in ("impacts", "social"):
            rows = layer[name][layer[name]["node"] == node]
            tables[name].append(rows)
        inputs = layer["edges"][layer["edges"]["target"] == node]
        tables["edges"].append(inputs)
        for supplier in inputs["source"]:
            borrow(supplier)

    for metal, target in targets.items():
        rows = template.smelters[template.smelters["metal"] == metal]
        if target not in have:
            have.add(target)
            new_nodes.append(
                {
                    "id": target,
                    "kind": "material",
                    "unit": "kg",
                    "name": f"{metal.capitalize()}, from the smelters of {template.file}",
                    "transparency": "disclosed",
                    "source": source_id,
                    "note": f"{len(rows)} smelters declared in {template.kind} {template.version}.",
                }
            )
        seen: set[str] = set()
        pairs = zip(rows["facility_id"], rows["name"], strict=True)
        count = len({_smelter_id(f, metal, n) for f, n in pairs})
        for smelter in rows.itertuples(index=False):
            node = _smelter_id(smelter.facility_id, metal, smelter.name)
            if node in seen:
                continue
            seen.add(node)
            if node not in have:
                have.add(node)
                new_nodes.append(
                    {
                        "id": node,
                        "kind": "material",
                        "unit": "kg",
                        "name": f"{smelter.name} ({metal} smelter or refiner)",
                        "country": smelter.country,
                        "transparency": "disclosed" if smelter.identified else "missing",
                        "source": source_id,
                        "operator": smelter.name,
                        "facility_id": smelter.facility_id,
                        "location": smelter.location,
                        "note": (
                            f"{template.kind} {template.version} {template.file}, Smelter List"
                            f" row {smelter.row}"
                            + (f"; id from {smelter.id_source}" if smelter.id_source else "")
                            + (f"; mines named: {smelter.mines}" if smelter.mines else "")
                        ),
                    }
                )
                new_edges.extend(_feed(node, metal, smelter, borrow, have, new_nodes, new_impacts))
            new_edges.append(
                {
                    "source": node,
                    "target": target,
                    "amount": 1.0 / count,
                    "unit": "kg",
                    "transparency": "missing",
                    "note": "An equal share: the template declares the smelter, not how much of"
                    " the metal it supplies.",
                }
            )
    tables["nodes"].append(pd.DataFrame(new_nodes))
    tables["edges"].append(pd.DataFrame(new_edges))
    tables["impacts"].append(pd.DataFrame(new_impacts))
    cited = {c for row in new_impacts for c in split_ids(row["source"])}
    if cited:
        catalogue = read_table("sources")
        tables["sources"].append(catalogue[catalogue["id"].isin(cited)])
    layer_sources = layer["sources"]
    tables["sources"].append(layer_sources)
    tables["sources"].append(
        pd.DataFrame(
            [
                {
                    "id": source_id,
                    "title": f"{template.kind} {template.version} reporting template,"
                    f" {template.file}",
                    "locator": "Smelter List sheet",
                    "transparency": "disclosed",
                    "note": "The supplier's declaration of its smelters (no quantities).",
                }
            ]
        )
    )
    merged = {
        name: pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame()
        for name, frames in tables.items()
    }
    merged["sources"] = merged["sources"].drop_duplicates("id", keep="first")
    for name in ("impacts", "social", "edges"):
        if len(merged[name]):
            merged[name] = merged[name].drop_duplicates(keep="first")
    smelters = template.smelters
    made = {
        _smelter_id(fid, metal, name): metal
        for fid, metal, name in zip(
            smelters["facility_id"], smelters["metal"], smelters["name"], strict=True
        )
    }
    scope = conflict_scope(merged["nodes"], merged["edges"], merged.get("social"), metals=made)
    if len(scope):
        merged["social"] = pd.concat([merged["social"], scope], ignore_index=True)
        cited = {s for text in scope["source"] for s in split_ids(text)}
        extra = read_table("sources")
        extra = extra[extra["id"].isin(cited - set(merged["sources"]["id"]))]
        merged["sources"] = pd.concat([merged["sources"], extra], ignore_index=True)
    if base.get("categories") is not None and len(base["categories"]):
        merged["categories"] = base["categories"]
    return {k: v for k, v in merged.items() if len(v) or k == "nodes"}, notes


def _smelter_id(facility_id: str, metal: str, name: str) -> str:
    """A smelter's node id: its metal and RMI id (a facility smelting two metals is two
    nodes, one per metal), or its metal and name."""
    return f"smelter-{metal}-{facility_id.lower() if facility_id else _slug(name)}"


def _feed(node, metal, smelter, borrow, have, new_nodes, new_impacts) -> list[dict]:
    """The inputs of a smelter: its declared mine countries in equal shares, a recycled
    feed, or its metal's world production prior (the unknown origin)."""
    if smelter.recycled:
        feed = f"{metal}-recycled-feed"
        if feed not in have:
            have.add(feed)
            new_nodes.append(
                {
                    "id": feed,
                    "kind": "material",
                    "unit": "kg",
                    "name": f"{metal.capitalize()}, recycled or scrap feed",
                    "transparency": "estimated",
                    "note": "Declared as recycled or scrap in a reporting template: mined nowhere"
                    " in this chain. No figure of recycled metal's impacts is in data/: the"
                    " primary metal's stand in, an upper bound, so that the feed is no free"
                    " metal.",
                }
            )
            new_impacts.extend(_primary_figures(metal, feed))
        return [_input(feed, node, 1.0, "The smelter declares a recycled or scrap feed.")]
    countries = [c for c in smelter.mine_countries.split(";") if c]
    if not countries:
        origin = f"{metal}-unknown-origin"
        borrow(origin)
        return [_input(origin, node, 1.0, "No mine country declared: the world production prior.")]
    edges = []
    for country in countries:
        mine = mine_node_id(metal, country)
        borrow(mine)
        if mine not in have:  # a country with no production figure for the metal
            have.add(mine)
            new_nodes.append(
                {
                    "id": mine,
                    "kind": "mine",
                    "unit": "kg",
                    "name": f"{metal.capitalize()} mining, {country} (country aggregate)",
                    "country": country,
                    "transparency": "missing",
                    "note": "Declared as a mine country in a reporting template; the production"
                    " table has no figure of this metal for it.",
                }
            )
        edges.append(
            _input(
                mine,
                node,
                1.0 / len(countries),
                "An equal share of the declared mine countries: the template gives none.",
            )
        )
    return edges


def _primary_figures(metal: str, node: str) -> list[dict]:
    """The primary metal's cradle-to-gate gwp and energy (``data/metal_impacts.csv``) on
    ``node``, marked ``estimated``: an upper bound standing in for recycled metal."""
    table = read_table("metal_impacts")
    rows = table[table["material"] == metal]
    if rows.empty:
        return []
    row = rows.iloc[0]
    return [
        {
            "node": node,
            "category": category,
            "value": float(row[category]),
            "unit": row[f"{category}_unit"],
            "transparency": "estimated",
            "source": row["source"],
            "note": f"data/metal_impacts.csv {metal}: primary metal standing in for recycled"
            " metal (an upper bound).",
        }
        for category in ("gwp", "energy")
        if row[category] == row[category]
    ]


def _input(source: str, target: str, amount: float, note: str) -> dict:
    return {
        "source": source,
        "target": target,
        "amount": amount,
        "unit": "kg",
        "transparency": "missing",
        "note": note,
    }


def _problem(template: Template, message: str) -> Problem:
    return Problem(Severity.ERROR, "bad-template", message, template.file)


def smelter_summary(template: Template) -> pd.DataFrame:
    """The smelters read, for a person: ``row``, ``metal``, ``smelter``, ``country``,
    ``facility_id``, ``feed`` (the declared mine countries, ``recycled``, or ``world
    prior``)."""
    rows = template.smelters
    feed = [
        "recycled" if r else (m.replace(";", ", ") or "world prior")
        for r, m in zip(rows["recycled"], rows["mine_countries"], strict=True)
    ]
    return pd.DataFrame(
        {
            "row": rows["row"],
            "metal": rows["metal"],
            "smelter": rows["name"],
            "country": rows["country"].replace("", "(unknown)"),
            "facility_id": rows["facility_id"],
            "feed": feed,
        }
    )
